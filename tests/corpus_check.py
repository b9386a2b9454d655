"""Score tieout on the blind export corpus (tests/corpus): what a new user would get.

Each variant folder is copied into a fresh project, recognised with `tieout init --from`
(the real CLI), given only the settings its expected.yml says a user would write, and
loaded through the ingest stage. Every fact the corpus author stated by hand is compared;
a value that was accepted but differs from the stated one is a *silent misread*.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from tieout import ingest
from tieout.cli.main import app
from tieout.config import load_project
from tieout.engine import Warehouse
from tieout.errors import TieoutError

CORPUS = Path(__file__).parent / "corpus"
AS_OF = dt.date(2026, 6, 30)

# Where tieout differs from what the corpus states on purpose, or the corpus is wrong:
# (variant prefix, table, column) -> why. Shown apart from misreads, never silently.
DELIBERATE: dict[tuple[str, str, str], str] = {
    ("servicenow/", "ticket", "priority"): "tieout's scale is 1 critical .. 4 low: "
    "ServiceNow's 5 - Planning reads as 4; priority_label keeps '5 - Planning'",
    ("salesforce/data_export", "quote", "subtotal"): "issue 14: totals Data Export lacks "
    "are computed from the quote lines and flagged in derived_value",
    ("salesforce/data_export", "quote", "total_price"): "as subtotal",
    ("salesforce/data_export", "campaign", "budget"): "an amount is never stored without "
    "its unit: CurrencyIsoCode '000' is emptied and the amounts in it with it (field warnings)",
    ("salesforce/data_export", "quote_line", "product_native_id"): "corpus error: the "
    "18-character form of 01t5g00000FgHiJ ends AAV by Salesforce's checksum, not IAV",
}


@dataclass
class FileScore:
    file: str
    expected_table: str | None
    table: str | None = None  # where tieout put it (None: not placed)
    preset: str | None = None
    rows: tuple[int, int, int] | None = None  # read, accepted, quarantined
    expected_rows: tuple[int, int, int] | None = None
    values_right: int = 0
    values_wrong: list[str] = field(default_factory=list)  # accepted but different
    values_missing: list[str] = field(default_factory=list)  # record not accepted
    values_deliberate: list[str] = field(default_factory=list)  # see DELIBERATE
    dates: dict[str, str] = field(default_factory=dict)  # column -> reading tieout chose
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.problems or self.values_wrong or self.values_missing)


@dataclass
class VariantScore:
    variant: str
    files: list[FileScore]
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(f.ok for f in self.files)

    @property
    def silent_misreads(self) -> int:
        return sum(len(f.values_wrong) for f in self.files)


def variants() -> list[str]:
    return sorted(str(p.parent.relative_to(CORPUS)) for p in CORPUS.glob("*/*/expected.yml"))


def score(variant: str, work: Path) -> VariantScore:
    spec = yaml.safe_load((CORPUS / variant / "expected.yml").read_text(encoding="utf-8"))
    root = work / variant.replace("/", "_")
    shutil.copytree(CORPUS / variant, root / "exports", ignore=shutil.ignore_patterns("*.yml"))
    result = CliRunner().invoke(app, ["init", str(root), "--from", str(root / "exports")])
    if result.exit_code != 0:
        return VariantScore(variant, [], f"tieout init failed: {result.output[-300:]}")
    _apply_settings(root, spec.get("project") or {})
    files = {name: FileScore(name, f.get("table")) for name, f in spec["files"].items()}
    try:
        project = load_project(root)
        with Warehouse() as wh:
            summary = ingest.run(wh, project, cache_dir=root / ".cache", as_of=AS_OF)
            for loaded in summary.files:
                name = _corpus_name(loaded.file)
                if name not in files:
                    if name in (spec.get("unrecognised") or []):
                        continue
                    files[name] = FileScore(name, None, problems=["not in expected.yml"])
                _check_file(wh, variant, files[name], spec["files"].get(name, {}), loaded)
    except TieoutError as exc:
        return VariantScore(variant, list(files.values()), str(exc)[:300])
    for name in spec.get("unrecognised") or []:
        placed = [f for f in files.values() if f.file == name and f.table]
        if placed:
            placed[0].problems.append("should have been listed, not placed")
    for f in files.values():
        if f.table is None and f.expected_table is not None:
            f.problems.append("not placed")
    return VariantScore(variant, list(files.values()))


def _apply_settings(root: Path, settings: dict[str, Any]) -> None:
    path = root / "tieout.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["ingest"] = {"max_quarantine_pct": 100}
    if settings.get("date_order"):
        config["ingest"]["date_order"] = settings["date_order"]
    for source in config.get("sources") or []:
        if settings.get("base_currency"):
            source["base_currency"] = settings["base_currency"]
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def _corpus_name(shown: str) -> str:
    """`exports/x.csv` or `exports/x.zip!member.csv` -> the name expected.yml uses."""
    return shown.removeprefix("exports/").split("!")[0].split("/")[-1]


def _check_file(
    wh: Warehouse, variant: str, score: FileScore, spec: dict[str, Any], loaded: Any
) -> None:
    score.table, score.preset = loaded.table, loaded.source
    score.rows = (loaded.rows_read, loaded.rows_accepted, loaded.rows_quarantined)
    score.dates = {r.header: r.shown for r in loaded.dates}
    forbidden = spec.get("must_not_land_in") or []
    if loaded.table in forbidden:
        score.problems.append(f"landed in {loaded.table}")
    expected_table = spec.get("table")
    if expected_table and loaded.table != expected_table:
        score.problems.append(f"loaded as {loaded.table}, not {expected_table}")
        return
    if "rows" in spec and "accepted" in spec:
        expected = (spec["rows"], spec["accepted"], spec.get("quarantined", 0))
        score.expected_rows = expected
        if score.rows != expected:
            score.problems.append(f"rows read/accepted/quarantined {score.rows} != {expected}")
            reasons = wh.query(
                "SELECT source_row, reason FROM quarantine WHERE source_file = :file ORDER BY 1",
                {"file": loaded.file},
            )
            score.problems += [f"  quarantined row {row}: {why}" for row, why in reasons[:4]]
    for record in spec.get("records") or []:
        row = _record(wh, loaded, record)
        for column, want in (record.get("values") or {}).items():
            where = f"{record.get('native_id') or 'row ' + str(record.get('row'))}.{column}"
            if row is None:
                score.values_missing.append(where)
            elif column not in row:
                score.problems.append(f"{where}: no such column")
            elif _same(row[column], want):
                score.values_right += 1
            elif _deliberate(variant, loaded.table, column):
                score.values_deliberate.append(f"{where}: {row[column]!r} != {want!r}")
            else:
                score.values_wrong.append(f"{where}: {row[column]!r} != {want!r}")


def _deliberate(variant: str, table: str, column: str) -> bool:
    return any(
        variant.startswith(prefix) and (table, column) == (t, c) for prefix, t, c in DELIBERATE
    )


def _record(wh: Warehouse, loaded: Any, record: dict[str, Any]) -> dict[str, Any] | None:
    table, file = loaded.table, loaded.file
    if "native_id" in record:
        rows = wh.query_dicts(
            f'SELECT * FROM "{table}" WHERE source_file = :file AND native_id = :native',
            {"file": file, "native": str(record["native_id"])},
        )
        return rows[0] if rows else None
    # the n-th data record of the file, counting quarantined ones
    numbers = [
        r[0]
        for r in wh.query(
            f'SELECT source_row FROM "{table}" WHERE source_file = :file '
            "UNION SELECT source_row FROM quarantine WHERE source_file = :file "
            "UNION SELECT source_row FROM superseded_row WHERE source_file = :file ORDER BY 1",
            {"file": file},
        )
    ]
    n = int(record["row"])
    if n > len(numbers):
        return None
    rows = wh.query_dicts(
        f'SELECT * FROM "{table}" WHERE source_file = :file AND source_row = :row',
        {"file": file, "row": numbers[n - 1]},
    )
    return rows[0] if rows else None


def _same(got: Any, want: Any) -> bool:
    if want is None or got is None:
        return want is None and got is None
    if isinstance(got, bool) or isinstance(want, bool):
        return bool(got) == bool(want) and isinstance(got, bool)
    if isinstance(got, dt.datetime):
        return got.strftime("%Y-%m-%d %H:%M:%S") == str(want).replace("T", " ")[:19]
    if isinstance(got, dt.date):
        return got.isoformat() == str(want)[:10]
    if isinstance(got, (Decimal, int, float)):
        try:
            return Decimal(str(got)) == Decimal(str(want))
        except InvalidOperation:
            return False
    return str(got) == str(want)
