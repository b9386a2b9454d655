"""Landing zipped deliveries and files whose lines were written in different encodings."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tieout.config.presets import ResolvedSource
from tieout.engine import Warehouse
from tieout.errors import SourceFileError
from tieout.ingest import _display, _files
from tieout.ingest.csvsplit import ReportLayout
from tieout.ingest.land import LandedFile, land


@pytest.fixture
def wh() -> Iterator[Warehouse]:
    with Warehouse() as warehouse:
        yield warehouse


def _rows(landed: LandedFile) -> list[tuple[object, ...]]:
    table = pq.read_table(landed.data).to_pylist()
    return [tuple(r.values()) for r in table]


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


TICKETS = b"Id,Subject\n101,Printer jam\n102,VPN down\n"
ARCHIVE = "exports/export-2025-03-01-1234.csv.zip"


def _source(path: str) -> ResolvedSource:
    return ResolvedSource(
        name="tickets",
        path=path,
        system="zendesk",
        object="ticket",
        preset_id=None,
        fields={},
        tables={},
        date_formats=(),
        timestamp_formats=(),
        date_orders=(),
        base_currency="GBP",
        timezone=None,
        delimiter=None,
        encoding=None,
        sheet=None,
    )


def test_zipped_export_lands_its_member_as_its_own_file(tmp_path: Path, wh: Warehouse) -> None:
    _zip(tmp_path / ARCHIVE, {"export-2025-03-01-1234.csv": TICKETS, "__MACOSX/._x.csv": b"x"})
    (path,) = _files(tmp_path, _source("exports/*.csv.zip"))
    display = _display(tmp_path, path)
    assert display == f"{ARCHIVE}!export-2025-03-01-1234.csv"
    landed = land(path, display, tmp_path / "cache", wh)
    assert (landed.path, landed.headers, landed.rows_read, landed.rejected) == (
        display,
        ["Id", "Subject"],
        2,
        0,
    )
    assert _rows(landed) == [(2, "101", "Printer jam"), (3, "102", "VPN down")]
    again = land(path, display, tmp_path / "cache", wh)
    assert again.cached and again.sha256 == landed.sha256


def test_zip_of_several_exports_gives_one_file_per_member(tmp_path: Path, wh: Warehouse) -> None:
    _zip(
        tmp_path / "weekly.zip",
        {"Account.csv": b"Id,Name\n001,Acme\n", "Contact.csv": b"Id,LastName\n003,Ng\n"},
    )
    assert [p.name for p in _files(tmp_path, _source("weekly.zip"))] == [
        "weekly.zip!Account.csv",
        "weekly.zip!Contact.csv",
    ]
    (one,) = _files(tmp_path, _source("weekly.zip!Contact*.csv"))
    landed = land(one, "weekly.zip!Contact.csv", tmp_path / "cache", wh)
    assert _rows(landed) == [(2, "003", "Ng")]
    with pytest.raises(SourceFileError, match="holds 2 exports"):
        land(tmp_path / "weekly.zip", "weekly.zip", tmp_path / "cache", wh)


def test_zip_with_no_readable_member_names_the_zip(tmp_path: Path) -> None:
    _zip(tmp_path / "photos.zip", {"logo.png": b"\x89PNG"})
    (tmp_path / "broken.zip").write_bytes(b"not a zip at all")
    with pytest.raises(SourceFileError, match=r"photos\.zip: the zip holds no CSV.*logo\.png"):
        _files(tmp_path, _source("photos.zip"))
    with pytest.raises(SourceFileError, match=r"broken\.zip: not a readable zip"):
        _files(tmp_path, _source("broken.zip"))


# Written by hand: a header and two rows saved as UTF-8, then two rows appended by a tool
# writing cp1252, then one row holding 0x81 (undefined in cp1252, so latin-1 reads it).
MIXED = (
    "Id,Name,City\r\n".encode("ascii")
    + "1,Zoë Ørsted,Kraków\r\n".encode()
    + "2,Plain Name,Leeds\r\n".encode("ascii")
    + "3,Müller & Söhne,Köln\r\n".encode("cp1252")
    + "4,Café “Le Dôme”,€ Zone\r\n".encode("cp1252")
    + b"5,A\x81B,Oslo\r\n"
)


def test_mixed_encodings_are_read_line_by_line(tmp_path: Path, wh: Warehouse) -> None:
    (tmp_path / "mixed.csv").write_bytes(MIXED)
    landed = land(tmp_path / "mixed.csv", "mixed.csv", tmp_path / "cache", wh)
    assert _rows(landed) == [
        (2, "1", "Zoë Ørsted", "Kraków"),
        (3, "2", "Plain Name", "Leeds"),
        (4, "3", "Müller & Söhne", "Köln"),
        (5, "4", "Café “Le Dôme”", "€ Zone"),
        (6, "5", "A\x81B", "Oslo"),
    ]
    assert (landed.rows_read, landed.rejected) == (5, 0)
    # lines with non-ASCII bytes, by the encoding that read them (ASCII lines read alike)
    assert landed.encodings == {"utf-8": 1, "cp1252": 2, "latin-1": 1}
    assert landed.mixed_encoding
    assert landed.encoding == "cp1252+utf-8+latin-1"


def test_a_copied_projects_cache_reads_its_own_files(tmp_path: Path, wh: Warehouse) -> None:
    """A project copied or moved reads the landed files where its cache now is, not where
    they were written (a sealed run may reach only its own folder)."""
    (tmp_path / "a.csv").write_text("Id,Name\n1,Acme\n2,Bad,row\n", encoding="utf-8")
    first = land(tmp_path / "a.csv", "a.csv", tmp_path / "old", wh)
    shutil.copytree(tmp_path / "old", tmp_path / "new")
    shutil.rmtree(tmp_path / "old")
    again = land(tmp_path / "a.csv", "a.csv", tmp_path / "new", wh)
    assert again.cached
    assert Path(again.data).parent.parent == tmp_path / "new"
    assert again.rejects is not None and Path(again.rejects).parent.parent == tmp_path / "new"
    assert pq.read_table(again.data).num_rows == first.rows_read - first.rejected == 1


def test_single_encoding_files_are_not_called_mixed(tmp_path: Path, wh: Warehouse) -> None:
    (tmp_path / "utf8.csv").write_bytes("\ufeffId,Name\n1,Zoë\n2,Bob\n3,Åsa\n".encode())
    (tmp_path / "cp.csv").write_bytes("Id,Name\n1,Zoë\n2,Bob\n".encode("cp1252"))
    utf8 = land(tmp_path / "utf8.csv", "utf8.csv", tmp_path / "cache", wh)
    cp = land(tmp_path / "cp.csv", "cp.csv", tmp_path / "cache", wh)
    assert (utf8.encoding, utf8.encodings, utf8.mixed_encoding) == ("utf-8", {"utf-8": 2}, False)
    assert _rows(utf8) == [(2, "1", "Zoë"), (3, "2", "Bob"), (4, "3", "Åsa")]
    assert utf8.headers == ["Id", "Name"]
    assert (cp.encoding, cp.encodings, cp.mixed_encoding) == ("cp1252", {"cp1252": 1}, False)
    assert _rows(cp) == [(2, "1", "Zoë"), (3, "2", "Bob")]


def test_named_encoding_reads_the_whole_file_in_it(tmp_path: Path, wh: Warehouse) -> None:
    (tmp_path / "u16.csv").write_bytes("Id,Name\n1,Zoë\n".encode("utf-16"))
    landed = land(tmp_path / "u16.csv", "u16.csv", tmp_path / "cache", wh, encoding="utf-16")
    assert (landed.encoding, landed.encodings) == ("utf-16", {})
    assert _rows(landed) == [(2, "1", "Zoë")]


def test_report_title_rows_do_not_shift_row_numbers(tmp_path: Path, wh: Warehouse) -> None:
    # rows 1-3 titles, row 4 blank, row 5 the header, rows 6-7 data, row 8 a total line
    (tmp_path / "r.csv").write_text(
        'Invoice List\nAcme Ltd\n"January 1 - March 31, 2025"\n\n'
        "Date,Num,Customer,Amount\n"
        '01/06/2025,1001,Bluebird Bakery,"2,475.00"\n'
        "01/15/2025,1002,Harbor Dental,950.00\n"
        "TOTAL,,,3425.00\n",
        encoding="utf-8",
    )
    landed = land(tmp_path / "r.csv", "r.csv", tmp_path / "cache", wh)
    assert landed.headers == ["Date", "Num", "Customer", "Amount"]
    assert _rows(landed) == [
        (6, "01/06/2025", "1001", "Bluebird Bakery", "2,475.00"),
        (7, "01/15/2025", "1002", "Harbor Dental", "950.00"),
        (8, "TOTAL", None, None, "3425.00"),
    ]
    assert (landed.rows_read, landed.rejected) == (3, 0)


def test_a_reports_footer_block_is_counted_not_read(wh: Warehouse, tmp_path: Path) -> None:
    # a Salesforce report export: the data, blank lines, then one-cell footer lines
    path = tmp_path / "report.csv"
    path.write_text(
        '"Opportunity Name","Amount"\n"A","1.00"\n"B","2.00"\n""\n""\n'
        '"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."\n'
        '"Generated By:  Pat  3/31/2025 9:14 AM"\n',
        encoding="utf-8",
    )
    landed = land(path, "report.csv", tmp_path / "cache", wh, layout=ReportLayout())
    assert _rows(landed) == [(2, "A", "1.00"), (3, "B", "2.00")]
    assert (landed.rows_read, landed.rejected, landed.skipped) == (2, 0, {"footer": 4})
    # a file whose preset reads no reports: the same lines are short records, rejected
    plain = land(path, "report.csv", tmp_path / "plain", wh)
    assert (plain.rows_read, plain.rejected, plain.skipped) == (6, 4, {})


def test_a_short_record_before_the_last_full_one_is_still_rejected(
    wh: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("Name,Amount\nA,1.00\nstray\nB,2.00\n", encoding="utf-8")
    landed = land(path, "broken.csv", tmp_path / "cache", wh)
    assert (landed.rows_read, landed.rejected, landed.skipped) == (3, 1, {})


def test_report_group_and_total_rows_follow_the_presets_layout(
    wh: Warehouse, tmp_path: Path
) -> None:
    # QuickBooks Sales by Customer Detail: the customer heads its lines, totals close them
    path = tmp_path / "sales.csv"
    path.write_text(
        "Sales by Customer Detail\n\n"
        ",Date,Num,Amount\n"
        "Acme Corp,,,\n,03/12/2025,1001,10.00\n,03/14/2025,1002,-2.00\n"
        'Total for Acme Corp,,,"$8.00"\n'
        "Globex,,,\n,04/02/2025,1003,7.50\n"
        'TOTAL,,,"$15.50"\n\n"Monday, Apr 07, 2025"\n',
        encoding="utf-8",
    )
    layout = ReportLayout(totals="^(TOTAL|Total for .+)$", groups="Customer")
    landed = land(path, "sales.csv", tmp_path / "cache", wh, layout=layout)
    assert landed.headers == ["Customer", "Date", "Num", "Amount"]
    assert _rows(landed) == [
        (5, "Acme Corp", "03/12/2025", "1001", "10.00"),
        (6, "Acme Corp", "03/14/2025", "1002", "-2.00"),
        (9, "Globex", "04/02/2025", "1003", "7.50"),
    ]
    assert landed.skipped == {"footer": 1, "group": 2, "total": 2}
    assert landed.rejected == 0
