"""Fuzzed CSV exports through the real ingest: nothing crashes and no record is lost.

Each Hypothesis example writes a small project (a fresh temporary directory) with one or
two files for a preset, made of a random mixture of valid records, records with bad
values, ragged records, blank lines, other delimiters and line endings, BOMs, cp1252 and
invalid UTF-8 bytes, NUL bytes, formula-looking text, quoted fields with line breaks and
doubled quotes, and 100k+ character fields. The test keeps its own account of what it
wrote (which records are valid, what each should load as) and checks the snapshot
against it: per file, rows read = the records written = accepted + quarantined; exactly
the valid records are accepted, with the values written; every other record is in
quarantine with a reason.

Below the property tests, example tests with expectations worked out by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import string
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from helpers_fuzz import csv_record, load_log, write_project
from support import invoke
from tieout import pipeline
from tieout.config import load_project
from tieout.errors import SourceFileError

# 8 files per property keeps the suite within its budget; TIEOUT_FUZZ_EXAMPLES=500 for a soak
FUZZ = settings(
    max_examples=int(os.environ.get("TIEOUT_FUZZ_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Text ------------------------------------------------------------------------------------

# In cp1252 files only letters whose cp1252 byte is >= 0xC0: such bytes never form valid
# UTF-8 next to ASCII or each other, so the file is unambiguously not UTF-8.
CP1252_CHARS = string.ascii_letters + string.digits + " .-_'/&()éüßñøåÉÜÖ"
CSV_PIECES = ('"', '""', ",", ";", "\t", "|", "\n", "\r\n", "\r", " ")
FORMULAS = (
    '=HYPERLINK("http://x","y")',
    "+cmd",
    "@SUM(A1)",
    "-2+3",
    "=1+2",
    "=cmd|' /C calc'!A0",
    '=""quoted""',
)
HUGE = (
    ('ab"c,d;e|f\tg\nh\r\ni ' * 7_000).strip(),  # ~120k chars, every special character
    "x" * 150_000,  # one 150k character line
)
# Appended to the free-text field of some records. A NUL keeps the file UTF-8; the rest
# make it cp1252 or latin-1 (0x81 and 0x9D are undefined in cp1252).
NUL_DIRT = (b"\x00", b"\x00\x00")
BAD_BYTES = (b"\x81", b"\x9d\xff", b"\xc3(", b"\xe9", b"\x00\xe9")


def text(encoding: str, *, min_size: int = 0) -> st.SearchStrategy[str]:
    """Free text (no leading/trailing whitespace) that the file's encoding can carry."""
    if encoding == "cp1252":
        chars: st.SearchStrategy[str] = st.sampled_from(CP1252_CHARS)
    else:
        chars = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
    piece = st.one_of(st.text(chars, min_size=1, max_size=6), st.sampled_from(CSV_PIECES))
    out = st.lists(piece, max_size=5).map(lambda parts: "".join(parts).strip())
    return out.filter(lambda s: len(s) >= min_size)


def long_text(encoding: str) -> st.SearchStrategy[str]:
    """Text for the free-text column: formulas and huge values are drawn often."""
    return st.one_of(text(encoding), st.sampled_from(FORMULAS), st.sampled_from(HUGE), st.just(""))


def amount_text(value: Decimal) -> st.SearchStrategy[str]:
    """The ways exports spell an amount that tieout reads as `value`."""
    forms = [f"{value}", f"{value:,}"]
    if value < 0:
        forms += [f"({abs(value):,})", f"-${abs(value):,}"]
    else:
        forms += [f"+{value}", f"${value:,}"]
    return st.sampled_from(forms)


def decimals(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False)


# Layouts: per preset, a valid record, the ways to spoil one, and how to read it back ---------

Draw = Callable[[st.SearchStrategy[Any]], Any]


@dataclass(frozen=True)
class Layout:
    preset: str
    prefix: str  # of generated ids
    columns: tuple[str, ...]
    id_column: str
    text_column: str  # free text: formulas, huge values and raw bytes go here
    text_key: str  # the expected key read from text_column
    text_keys: tuple[str, ...]  # expected keys holding text (exact only when decodable)
    # (draw, encoding, id, the file's date layout) -> (cells, expected canonical values)
    valid: Callable[[Draw, str, str, str], tuple[dict[str, str], dict[str, Any]]]
    spoilers: tuple[tuple[str, tuple[str, ...]], ...]  # column -> values that must fail
    accepted_sql: str  # accepted rows of one file (:file), with id_key and every expected key
    id_key: str
    date_formats: tuple[str, ...]  # layouts the exporting user may have chosen
    star: bool = False  # headers may carry Xero's leading '*'


def xero_valid(draw: Draw, enc: str, token: str, fmt: str) -> tuple[dict[str, str], dict[str, Any]]:
    contact = draw(text(enc, min_size=1))
    day = draw(st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)))
    amount = draw(decimals(-(10**7), 10**7))
    type_text, doc_type = draw(
        st.sampled_from(
            [
                ("Sales invoice", "invoice"),
                ("ACCREC", "invoice"),
                ("", "invoice"),
                ("Sales credit note", "credit_note"),
                ("ACCRECCREDIT", "credit_note"),
                ("credit note", "credit_note"),
            ]
        )
    )
    currency = draw(st.sampled_from(["GBP", "EUR", "usd", "Nzd", "JPY"]))
    description = draw(long_text(enc))
    values = {
        "ContactName": contact,
        "InvoiceNumber": token,
        "InvoiceDate": day.strftime(fmt),
        "Description": description,
        "Quantity": str(draw(decimals(0, 1000))),
        "UnitAmount": draw(decimals(-1000, 10**6).flatmap(amount_text)),
        "LineAmount": draw(amount_text(amount)),
        "Currency": currency,
        "Type": type_text,
        "Reference": draw(text(enc)),
    }
    expect = {
        "invoice_number": token,
        "customer_name": contact,
        "invoice_date": day,
        "description": description or None,
        "line_amount": amount if doc_type == "invoice" else -abs(amount),
        "currency": currency.upper(),
        "doc_type": doc_type,
    }
    return values, expect


XERO = Layout(
    preset="xero.invoices",
    prefix="INV",
    date_formats=("%d/%m/%Y", "%d %b %Y", "%d-%b-%Y", "%Y-%m-%d"),
    columns=(
        "ContactName",
        "InvoiceNumber",
        "InvoiceDate",
        "Description",
        "Quantity",
        "UnitAmount",
        "LineAmount",
        "Currency",
        "Type",
        "Reference",
    ),
    id_column="InvoiceNumber",
    text_column="Description",
    text_key="description",
    text_keys=("customer_name", "description"),
    valid=xero_valid,
    spoilers=(
        ("LineAmount", ("12.5O", "abc", "1.2.3", "12,34", "N/A", "1O0")),
        ("Quantity", ("one", "1x")),
        (
            "InvoiceDate",
            (
                "31/02/2026",
                "30/02/2026",
                "29/02/2027",
                "2026-02-30",
                "32/01/2026",
                "00/01/2026",
                "31 Feb 2026",
                "2026-13-01",
                "yesterday",
                "",
            ),
        ),
        # a blank Currency is the organisation's base currency in Xero: not a spoiler
        ("Currency", ("ZZZ", "EURO", "US$", "GBX", "XBT", "12")),
        ("ContactName", ("", "   ")),
        ("InvoiceNumber", ("",)),
        ("Type", ("Bill", "Purchase invoice", "ACCPAY")),
    ),
    accepted_sql=(
        "SELECT l.invoice_number, i.customer_name, i.invoice_date, l.description, "
        "l.line_amount, l.currency, l.doc_type FROM invoice_line l "
        "JOIN invoice i ON i.native_id = l.invoice_native_id AND i.source_system = 'xero' "
        "WHERE l.source_file = :file"
    ),
    id_key="invoice_number",
    star=True,
)

BOOLEANS = (
    ("", None),
    ("Yes", True),
    ("no", False),
    ("TRUE", True),
    ("f", False),
    ("1", True),
    ("0", False),
    ("x", True),
    ("Y", True),
    ("N", False),
)


def time_entry_valid(
    draw: Draw, enc: str, token: str, fmt: str
) -> tuple[dict[str, str], dict[str, Any]]:
    day = draw(st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)))
    hours = draw(decimals(-100, 10**6))
    billable_text, billable = draw(st.sampled_from(BOOLEANS))
    currency = draw(st.sampled_from(["", "GBP", "usd", "Eur"]))
    person = draw(text(enc))
    notes = draw(long_text(enc))
    code = draw(text(enc))
    values = {
        "native_id": token,
        "entry_date": day.strftime(fmt),
        "person_name": person,
        "notes": notes,
        "hours": draw(amount_text(hours)),
        "billable": billable_text,
        "currency": currency,
        "project_code": code,
    }
    expect = {
        "native_id": token,
        "entry_date": day,
        "person_name": person or None,
        "notes": notes or None,
        "hours": hours,
        "billable": billable,
        "currency": currency.upper() or None,
        "project_code": code or None,
    }
    return values, expect


TIME_ENTRY = Layout(
    preset="canonical.time_entry",
    prefix="TE",
    date_formats=("%Y-%m-%d",),
    columns=(
        "native_id",
        "entry_date",
        "person_name",
        "notes",
        "hours",
        "billable",
        "currency",
        "project_code",
    ),
    id_column="native_id",
    text_column="notes",
    text_key="notes",
    text_keys=("person_name", "notes", "project_code"),
    valid=time_entry_valid,
    spoilers=(
        (
            "entry_date",
            # impossible in any layout (02/01/2026 is a date when the file is day-first)
            ("2026-02-30", "2026-02-29", "31/02/2026", "2026-13-01", "soon", ""),
        ),
        # an unreadable optional value (billable, currency) is emptied and the row kept:
        # not a spoiler here (test_ingest_rules checks that rule by hand)
        # not "1,5": where it is the file's only hours it is a decimal comma, read as 1.5
        # (a number format is the column's, and such a column has no other reading)
        ("hours", ("1.5h", "abc", "one", "1,5,0", "..", "")),
        ("native_id", ("", "  ")),
    ),
    accepted_sql=(
        "SELECT native_id, entry_date, person_name, notes, hours, billable, currency, "
        "project_code FROM time_entry WHERE source_file = :file"
    ),
    id_key="native_id",
)

# Files --------------------------------------------------------------------------------------

INVALID_KINDS = ("spoil", "spoil", "spoil", "short", "long", "all_empty", "duplicate")
KINDS = ("valid", "valid", "valid", "valid", *INVALID_KINDS)


@dataclass
class Record:
    token: str  # the id written in the record ("" when it has none)
    valid: bool
    expect: dict[str, Any] = field(default_factory=dict)
    dirty: bool = False  # raw bytes in the free-text field: its text is not compared


@dataclass
class CsvFile:
    name: str
    data: bytes
    encoding: str
    bad_bytes: bool  # bytes that make the whole file decode as cp1252 / latin-1
    records: list[Record]

    def text_is_exact(self, value: object) -> bool:
        """Whether a text value must come back exactly as written."""
        if not isinstance(value, str) or value.isascii():
            return True
        return self.encoding == "cp1252" or not self.bad_bytes


@st.composite
def csv_file(draw: Draw, layout: Layout, index: int) -> CsvFile:
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    codec = "cp1252" if enc == "cp1252" else "utf-8"
    delim = draw(st.sampled_from([",", ";", "\t", "|"])).encode()
    newline = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    force_quote = draw(st.booleans())
    columns: list[str] = draw(st.permutations(layout.columns))
    spellings = [lambda c: c, str.upper, str.lower, lambda c: f" {c} "]
    if layout.star:
        spellings.append(lambda c: f"*{c}")
    header = [draw(st.sampled_from(spellings))(c).encode() for c in columns]
    # Known bug (test_bom_file_with_cp1252_bytes_keeps_its_first_column): a UTF-8 BOM in a
    # file that is not valid UTF-8 corrupts the first header. Until it is fixed, BOM files
    # only get NUL dirt; lift this when that test starts passing.
    dirt = NUL_DIRT if enc == "utf-8-sig" else NUL_DIRT + BAD_BYTES

    out = bytearray(b"\xef\xbb\xbf" if enc == "utf-8-sig" else b"")
    out += csv_record(header, delim, force_quote=force_quote)
    records: list[Record] = []
    # a date layout is a property of the file (the exporting user's setting), not the row
    fmt = draw(st.sampled_from(layout.date_formats))
    valid_tokens: list[str] = []
    bad_bytes = False
    for n, kind in enumerate(draw(st.lists(st.sampled_from(KINDS), max_size=10))):
        token = f"{layout.prefix}-{index}x{n:04d}"
        values, expect = layout.valid(draw, enc, token, fmt)
        raw = {c: v.encode(codec) for c, v in values.items()}
        extra = draw(st.sampled_from((b"", b"", b"", *dirt)))
        raw[layout.text_column] += extra
        bad_bytes = bad_bytes or extra.strip(b"\x00") != b""
        fields = [raw[c] for c in columns]
        record = Record(token=token, valid=kind == "valid", dirty=bool(extra))
        if kind == "valid":
            record.expect = expect
            valid_tokens.append(token)
        elif kind == "spoil" or (kind == "duplicate" and not valid_tokens):
            column, bad_values = draw(st.sampled_from(layout.spoilers))
            fields[columns.index(column)] = draw(st.sampled_from(bad_values)).encode()
            if column == layout.id_column:
                record.token = ""
        elif kind == "duplicate":  # a clean record reusing an accepted id
            if layout is XERO:  # Xero lines share invoice numbers: spoil the date instead
                fields[columns.index("InvoiceDate")] = b"31/02/2026"
            record.token = draw(st.sampled_from(valid_tokens))
            fields[columns.index(layout.id_column)] = record.token.encode()
        elif kind == "short":
            keep = draw(st.integers(1, len(fields) - 1))
            if columns.index(layout.id_column) >= keep:
                record.token = ""
            fields = fields[:keep]
        elif kind == "long":
            extras = st.lists(
                st.sampled_from([b"", b"x", b"=SUM(A1)", b"a,b"]), min_size=1, max_size=3
            )
            fields += draw(extras)  # a trailing empty field is one field too many as well
        else:  # all_empty: only delimiters
            fields = [b""] * len(fields)
            record.token = ""
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
            out += newline  # blank lines are not records
        out += newline + csv_record(fields, delim, force_quote=force_quote)
        records.append(record)
    if draw(st.booleans()):
        out += newline * draw(st.integers(1, 3))
    suffix = draw(st.sampled_from([".csv", ".txt", ".CSV"]))
    return CsvFile(
        f"exports/{layout.prefix.lower()}{index}{suffix}", bytes(out), enc, bad_bytes, records
    )


def csv_files(layout: Layout) -> st.SearchStrategy[list[CsvFile]]:
    return st.integers(1, 2).flatmap(
        lambda n: st.tuples(*(csv_file(layout, i) for i in range(n))).map(list)
    )


def check_fuzzed(layout: Layout, files: list[CsvFile]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_project(
            Path(tmp),
            [("src", f"exports/{layout.prefix.lower()}*", layout.preset)],
            {f.name: f.data for f in files},
        )
        project = load_project(root)
        summary = pipeline.run(project)  # any exception fails: every file has a header
        log = load_log(project)
        assert {f.file for f in summary.ingest.files} == {f.name for f in files}
        with pipeline.snapshots(project).open_current() as wh:
            for f in files:
                valid = [r for r in f.records if r.valid]
                entry = log[f.name]
                assert entry["rows_read"] == len(f.records), f.name
                assert entry["rows_accepted"] + entry["rows_quarantined"] == entry["rows_read"]
                assert entry["rows_accepted"] == len(valid)

                accepted = {
                    r[layout.id_key]: r
                    for r in wh.query_dicts(layout.accepted_sql, {"file": f.name})
                }
                assert len(accepted) == len(valid)
                assert set(accepted) == {r.token for r in valid}
                for rec in valid:
                    got = accepted[rec.token]
                    for key, want in rec.expect.items():
                        where = (f.name, rec.token, key)
                        if key in layout.text_keys and not f.text_is_exact(want):
                            continue  # UTF-8 text in a file that is not UTF-8
                        if key == layout.text_key and rec.dirty:
                            # raw bytes were appended: the text before them is intact and
                            # they leave a visible trace (a NUL must not cut the value)
                            assert got[key].startswith(want or ""), where
                            assert len(got[key]) > len(want or ""), where
                            continue
                        assert got[key] == want, where

                held = wh.query_dicts(
                    "SELECT source_row, reason, raw_text FROM quarantine WHERE source_file = :file",
                    {"file": f.name},
                )
                assert len({q["source_row"] for q in held}) == len(f.records) - len(valid)
                assert all(q["reason"] for q in held)
                raw = "\n".join(str(q["raw_text"]) for q in held)
                for rec in f.records:
                    if not rec.valid and rec.token:
                        assert rec.token in raw, (f.name, rec.token)


@FUZZ
@given(files=csv_files(XERO))
def test_fuzzed_xero_exports_keep_every_record(files: list[CsvFile]) -> None:
    check_fuzzed(XERO, files)


@FUZZ
@given(files=csv_files(TIME_ENTRY))
def test_fuzzed_canonical_time_entries_keep_every_record(files: list[CsvFile]) -> None:
    check_fuzzed(TIME_ENTRY, files)


# Any bytes after a good header -------------------------------------------------------------

XERO_MINIMAL_HEADER = b"ContactName,InvoiceNumber,InvoiceDate,Description,LineAmount,Currency"
BYTE_PIECES = (
    b",",
    b";",
    b'"',
    b'""',
    b"\n",
    b"\r",
    b"\r\n",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xe9",
    b"\x81",
    b"Acme",
    b"INV-1",
    b"05/03/2026",
    b"31/02/2026",
    b"1,234.50",
    b"GBP",
    b'=HYPERLINK("http://x","y")',
)


@FUZZ
@given(
    body=st.lists(st.one_of(st.binary(max_size=12), st.sampled_from(BYTE_PIECES)), max_size=40).map(
        b"".join
    )
)
def test_any_bytes_after_a_valid_header_load_without_losing_rows(body: bytes) -> None:
    """Whatever follows a good header, the run succeeds and every record is accounted for.

    What counts as a record in arbitrary bytes is the parser's call, but a record takes at
    least one non-empty physical line, which bounds rows read from outside tieout.
    """
    lines = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    with tempfile.TemporaryDirectory() as tmp:
        root = write_project(
            Path(tmp),
            [("xero", "exports/*.csv", "xero.invoices")],
            {"exports/any.csv": XERO_MINIMAL_HEADER + b"\n" + body},
        )
        project = load_project(root)
        pipeline.run(project)
        entry = load_log(project)["exports/any.csv"]
        assert entry["rows_read"] == entry["rows_accepted"] + entry["rows_quarantined"]
        assert entry["rows_read"] <= sum(1 for line in lines if line)
        with pipeline.snapshots(project).open_current() as wh:
            assert wh.count("invoice_line") == entry["rows_accepted"]
            assert (
                wh.scalar("SELECT count(DISTINCT source_row) FROM quarantine")
                == (entry["rows_quarantined"])
            )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n",
        b"\r\n",
        b"\xef\xbb\xbf",
        b"\xef\xbb\xbf\r\n\r\n",
        b"   \n\t\n",
        b"\x00\x00\n",
        b"Name,Amount\nAcme,1\n",
    ],
    ids=[
        "empty",
        "blank-lines",
        "crlf",
        "bom",
        "bom-blank",
        "spaces",
        "nul",
        "other-export",
    ],
)
def test_file_without_a_usable_header_fails_cleanly(tmp_path: Path, data: bytes) -> None:
    root = write_project(
        tmp_path, [("xero", "exports/*.csv", "xero.invoices")], {"exports/bad.csv": data}
    )
    project = load_project(root)
    with pytest.raises(SourceFileError, match=r"exports/bad\.csv"):
        pipeline.run(project)
    assert pipeline.snapshots(project).current_id() is None


def test_blank_line_before_the_header_is_refused_or_skipped(tmp_path: Path) -> None:
    data = b"\r\n" + XERO_MINIMAL_HEADER + b"\r\nAcme,INV-1,05/03/2026,x,1.00,GBP\r\n"
    root = write_project(
        tmp_path, [("xero", "exports/*.csv", "xero.invoices")], {"exports/x.csv": data}
    )
    project = load_project(root)
    try:
        pipeline.run(project)
    except SourceFileError as exc:
        assert "exports/x.csv" in str(exc)
        return
    entry = load_log(project)["exports/x.csv"]
    assert (entry["rows_read"], entry["rows_accepted"], entry["rows_quarantined"]) == (1, 1, 0)


@pytest.mark.parametrize(
    "data", [XERO_MINIMAL_HEADER, b"\xef\xbb\xbf" + XERO_MINIMAL_HEADER + b"\r\n\r\n\r\n"]
)
def test_header_only_file_loads_zero_rows(tmp_path: Path, data: bytes) -> None:
    root = write_project(
        tmp_path, [("xero", "exports/*.csv", "xero.invoices")], {"exports/x.csv": data}
    )
    project = load_project(root)
    pipeline.run(project)
    entry = load_log(project)["exports/x.csv"]
    assert (entry["rows_read"], entry["rows_accepted"], entry["rows_quarantined"]) == (0, 0, 0)


# Worked by hand ------------------------------------------------------------------------------

HAND_HEADER = [
    "ContactName",
    "EmailAddress",
    "InvoiceNumber",
    "InvoiceDate",
    "DueDate",
    "Description",
    "Quantity",
    "UnitAmount",
    "LineAmount",
    "TaxAmount",
    "Total",
    "Currency",
    "Type",
]
HAND_ROWS = [
    # row 2: cp1252 accents, quoted thousands, a comma inside a quoted description
    ["Société Générale Services", "ap@sgs.fr", "INV-0001", "05/03/2026", "04/04/2026",
     "Design, phase 1", "1", "1,234.50", "1,234.50", "0.00", "1,234.50", "EUR", "Sales invoice"],
    # row 3: a credit note exported with positive amounts
    ["Northwind Ltd", "ap@northwind.co.uk", "CN-0001", "06/03/2026", "", "Refund", "2",
     "50.00", "100.00", "20.00", "120.00", "GBP", "Sales credit note"],
    # row 4: a credit note exported with negative amounts stays negative
    ["Northwind Ltd", "", "CN-0002", "07/03/2026", "", "Goodwill", "1", "-40.00", "-40.00",
     "", "-40.00", "GBP", "Sales credit note"],
    # row 5: no 31st of February
    ["Northwind Ltd", "", "INV-0002", "31/02/2026", "", "X", "1", "50", "50", "", "50", "GBP",
     "Sales invoice"],
]  # fmt: skip


def hand_csv() -> bytes:
    lines = [",".join(HAND_HEADER)]
    for row in HAND_ROWS:
        lines.append(",".join(f'"{v}"' if "," in v else v for v in row))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def hand_xlsx(path: Path) -> None:
    """The same export saved from Excel: real dates and numbers, except the impossible date."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HAND_HEADER)
    for row in HAND_ROWS:
        cells: list[object] = []
        for name, value in zip(HAND_HEADER, row, strict=True):
            if value == "":
                cells.append(None)
            elif name.endswith("Date") and value != "31/02/2026":
                cells.append(dt.datetime.strptime(value, "%d/%m/%Y").date())
            elif name in ("Quantity", "UnitAmount", "LineAmount", "TaxAmount", "Total"):
                cells.append(float(value.replace(",", "")))
            else:
                cells.append(value)
        sheet.append(cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


@pytest.fixture(scope="module")
def hand_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(
        tmp_path_factory.mktemp("hand"),
        [("xero", "exports/*.csv", "xero.invoices")],
        {"exports/invoices.csv": hand_csv()},
    )
    pipeline.run(load_project(root))
    return root


def test_cp1252_name_and_quoted_thousands(hand_project: Path) -> None:
    project = load_project(hand_project)
    entry = load_log(project)["exports/invoices.csv"]
    assert entry["encoding"] == "cp1252"
    assert (entry["rows_read"], entry["rows_accepted"], entry["rows_quarantined"]) == (4, 3, 1)
    with pipeline.snapshots(project).open_current() as wh:
        inv = wh.query_dicts("SELECT * FROM invoice WHERE invoice_number = 'INV-0001'")
        assert len(inv) == 1
        assert inv[0]["customer_name"] == "Société Générale Services"
        assert inv[0]["invoice_date"] == dt.date(2026, 3, 5)
        assert inv[0]["due_date"] == dt.date(2026, 4, 4)
        assert inv[0]["total"] == Decimal("1234.50")
        assert inv[0]["currency"] == "EUR"
        line = wh.query_dicts("SELECT * FROM invoice_line WHERE invoice_number = 'INV-0001'")
        assert len(line) == 1
        assert line[0]["line_amount"] == Decimal("1234.50")
        assert line[0]["unit_price"] == Decimal("1234.5000")
        assert line[0]["description"] == "Design, phase 1"
        assert line[0]["source_row"] == 2
        names = {r[0] for r in wh.query("SELECT name FROM account")}
        assert names == {"Société Générale Services", "Northwind Ltd"}


def test_credit_notes_are_negative(hand_project: Path) -> None:
    project = load_project(hand_project)
    with pipeline.snapshots(project).open_current() as wh:
        lines = wh.query(
            "SELECT invoice_number, doc_type, line_amount, tax_amount FROM invoice_line "
            "WHERE doc_type = 'credit_note' ORDER BY invoice_number"
        )
        assert lines == [
            ("CN-0001", "credit_note", Decimal("-100.00"), Decimal("-20.00")),
            ("CN-0002", "credit_note", Decimal("-40.00"), None),
        ]
        totals = wh.query(
            "SELECT invoice_number, total FROM invoice WHERE doc_type = 'credit_note' "
            "ORDER BY invoice_number"
        )
        assert totals == [("CN-0001", Decimal("-120.00")), ("CN-0002", Decimal("-40.00"))]


def test_impossible_date_is_quarantined_with_column_and_raw_text(
    hand_project: Path, cli: CliRunner
) -> None:
    code, out = invoke(cli, "quarantine", "-p", str(hand_project), "--format", "json")
    assert code == 0, out
    rows = json.loads(out)
    assert len(rows) == 1
    (row,) = rows
    assert row["source_file"] == "exports/invoices.csv"
    assert row["source_row"] == 5
    assert row["column_name"] == "InvoiceDate"
    assert "31/02/2026" in row["reason"]
    assert row["raw_text"].startswith("Northwind Ltd,,INV-0002,31/02/2026,")
    with pipeline.snapshots(load_project(hand_project)).open_current() as wh:
        assert wh.count("invoice_line") == 3
        assert not wh.query("SELECT 1 FROM invoice WHERE invoice_number = 'INV-0002'")


def test_xlsx_export_loads_like_the_csv(hand_project: Path, tmp_path: Path) -> None:
    hand_xlsx(tmp_path / "exports" / "invoices.xlsx")
    write_project(tmp_path, [("xero", "exports/*.xlsx", "xero.invoices")], {})
    xlsx = load_project(tmp_path)
    pipeline.run(xlsx)
    csv_entry = load_log(load_project(hand_project))["exports/invoices.csv"]
    xlsx_entry = load_log(xlsx)["exports/invoices.xlsx"]
    for key in ("rows_read", "rows_accepted", "rows_quarantined"):
        assert xlsx_entry[key] == csv_entry[key], key

    def content(root_project: Any) -> dict[str, list[tuple[Any, ...]]]:
        with pipeline.snapshots(root_project).open_current() as wh:
            out = {
                t: wh.query(f"SELECT * EXCLUDE (load_id, source_file) FROM {t} ORDER BY id")
                for t in ("invoice", "invoice_line", "account")
            }
            # the reason names the layout of its column: the workbook holds real dates
            out["quarantine"] = wh.query(
                "SELECT source_row, column_name, regexp_extract(reason, 'got .*') "
                "FROM quarantine ORDER BY source_row"
            )
            return out

    csv_content = content(load_project(hand_project))
    xlsx_content = content(xlsx)
    assert len(csv_content["invoice_line"]) == 3
    assert xlsx_content == csv_content


def test_formula_text_is_kept_literally(tmp_path: Path) -> None:
    lines = [b"ContactName,InvoiceNumber,InvoiceDate,Description,LineAmount,Currency"]
    for i, formula in enumerate(FORMULAS):
        text = formula.encode()
        lines.append(csv_record([text, f"F-{i}".encode(), b"05/03/2026", text, b"1", b"GBP"], b","))
    root = write_project(
        tmp_path,
        [("xero", "exports/*.csv", "xero.invoices")],
        {"exports/f.csv": b"\r\n".join(lines) + b"\r\n"},
    )
    project = load_project(root)
    pipeline.run(project)
    with pipeline.snapshots(project).open_current() as wh:
        got = wh.query(
            "SELECT l.invoice_number, l.description, i.customer_name FROM invoice_line l "
            "JOIN invoice i ON i.native_id = l.invoice_native_id ORDER BY l.source_row"
        )
        assert wh.count("quarantine") == 0
    assert got == [(f"F-{i}", f, f) for i, f in enumerate(FORMULAS)]


def test_trailing_delimiter_gets_the_same_verdict_in_every_file(tmp_path: Path) -> None:
    """A record's fate must not depend on its neighbours, i.e. on which parser the file
    needed: DuckDB alone forgives a trailing extra delimiter, the forgiving parser does not.
    """
    header = b"native_id,entry_date,hours,notes\n"
    root = write_project(
        tmp_path,
        [("te", "exports/*.csv", "canonical.time_entry")],
        {
            "exports/alone.csv": header + b"A-1,2026-01-05,1.50,call,\n",
            "exports/mixed.csv": header + b"B-1,2026-01-06\nA-2,2026-01-05,1.50,call,\n",
        },
    )
    project = load_project(root)
    pipeline.run(project)
    with pipeline.snapshots(project).open_current() as wh:
        accepted = {r[0] for r in wh.query("SELECT native_id FROM time_entry")}
        held = wh.query("SELECT source_file, source_row FROM quarantine ORDER BY ALL")
    assert ("A-1" in accepted) == ("A-2" in accepted)
    assert len(held) == 3 - len(accepted)


# Regressions found by fuzzing --------------------------------------------------------------


@pytest.mark.parametrize("first", ["Description", "ContactName"])
def test_bom_file_with_cp1252_bytes_keeps_its_first_column(tmp_path: Path, first: str) -> None:
    """A UTF-8 export with one stray cp1252 byte (e.g. a row pasted in from elsewhere).

    The BOM must not end up in the first header (which lost that column: silently when it
    was optional, or with "missing required column(s) ContactName").
    """
    columns = ["Description", "ContactName", "InvoiceNumber", "InvoiceDate", "LineAmount"]
    columns.remove(first)
    columns.insert(0, first)
    values = {
        "Description": b"Caf\xe9 design",
        "ContactName": b"Acme",
        "InvoiceNumber": b"INV-1",
        "InvoiceDate": b"05/03/2026",
        "LineAmount": b"12.00",
    }
    data = (
        b"\xef\xbb\xbf"
        + ",".join([*columns, "Currency"]).encode()
        + b"\n"
        + b",".join([*(values[c] for c in columns), b"GBP"])
        + b"\n"
    )
    root = write_project(
        tmp_path, [("xero", "exports/*.csv", "xero.invoices")], {"exports/bom.csv": data}
    )
    project = load_project(root)
    pipeline.run(project)
    with pipeline.snapshots(project).open_current() as wh:
        got = wh.query(
            "SELECT l.description, i.customer_name FROM invoice_line l "
            "JOIN invoice i ON i.native_id = l.invoice_native_id"
        )
    assert got == [("Café design", "Acme")]


def test_a_field_holding_only_a_control_character_is_kept(tmp_path: Path) -> None:
    data = b"native_id,entry_date,notes,hours\nA-1,2026-01-05,\x01,1.50\n"
    root = write_project(
        tmp_path, [("te", "exports/*.csv", "canonical.time_entry")], {"exports/t.csv": data}
    )
    project = load_project(root)
    pipeline.run(project)
    with pipeline.snapshots(project).open_current() as wh:
        assert wh.query("SELECT notes FROM time_entry") == [("\x01",)]
