"""Date columns are read with one layout per file column, decided from all its values.

Expected dates are stated by hand or generated first and then written out in a layout,
never recomputed the way the code reads them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from tieout.config.presets import builtin_presets
from tieout.engine import Warehouse
from tieout.ingest import date_layouts, formats

BOUNDS = formats.Bounds(dt.date(1990, 1, 1), dt.date(2046, 12, 31))


@pytest.fixture(scope="module")
def wh() -> Iterator[Warehouse]:
    with Warehouse() as warehouse:
        yield warehouse


def _read(
    wh: Warehouse,
    folder: Path,
    values: list[str | None],
    *,
    preferred: tuple[str, ...] = (),
    orders: tuple[tuple[formats.DateOrder, str], ...] = (),
) -> tuple[formats.Reading, list[dt.datetime | None]]:
    """Decide the column's reading, then read every value with it."""
    path = folder / "landed.parquet"
    rows = list(range(2, len(values) + 2))
    pq.write_table(pa.table({"_row": rows, "c0": pa.array(values, pa.string())}), path)
    source = wh.parquet_source(path)
    column = formats.Column("d", "Date", 0, preferred)
    reading = formats.decide(wh, source, [column], BOUNDS, orders)["d"]
    text = exp.func("nullif", exp.func("trim", exp.column("c0")), exp.Literal.string(""))
    query = exp.select(formats.parse(text, reading.formats)).from_(source).order_by("_row")
    return reading, [r[0] for r in wh.query(query)]


def test_a_month_first_column_is_read_month_first_throughout(wh: Warehouse, tmp_path: Path) -> None:
    # a ServiceNow export in MM-dd-yyyy: 03-12 is 12 March because 03-13 exists in the file
    values = ["03-12-2025 10:04:11", "03-13-2025 08:00:00", "04-01-2025 17:30:00"]
    reading, got = _read(wh, tmp_path, values, preferred=("%d-%m-%Y %H:%M:%S",))
    assert reading.shown == "MM-DD-YYYY hh:mm:ss"
    assert reading.decided_by == "the values"
    assert got == [
        dt.datetime(2025, 3, 12, 10, 4, 11),
        dt.datetime(2025, 3, 13, 8, 0, 0),
        dt.datetime(2025, 4, 1, 17, 30, 0),
    ]


def test_an_ambiguous_column_follows_the_setting_and_says_so(wh: Warehouse, tmp_path: Path) -> None:
    values = ["03/04/2025", "05/06/2025", "12/01/2025"]
    reading, got = _read(wh, tmp_path, values, orders=(("MDY", "project"),))
    assert reading.decided_by == "date_order MDY (project)"
    assert got[0] == dt.datetime(2025, 3, 4)
    reading, got = _read(wh, tmp_path, values, orders=(("DMY", "source"), ("MDY", "project")))
    assert reading.decided_by == "date_order DMY (source)"
    assert got == [dt.datetime(2025, 4, 3), dt.datetime(2025, 6, 5), dt.datetime(2025, 1, 12)]


def test_an_ambiguous_column_with_no_setting_is_flagged_as_assumed(
    wh: Warehouse, tmp_path: Path
) -> None:
    reading, _ = _read(wh, tmp_path, ["03/04/2025", "05/06/2025"])
    assert reading.ambiguous
    assert "DMY" in reading.decided_by and "MDY" in reading.decided_by
    assert reading.alternatives


def test_a_column_the_values_cannot_settle_follows_the_files_other_dates(
    wh: Warehouse, tmp_path: Path
) -> None:
    # ServiceNow's event log: opened_at has 25-03-2016, so the file is day first; every
    # closed_at has a day <= 12, and the preset's month-first default must not decide it
    path = tmp_path / "landed.parquet"
    opened = ["25-03-2016 09:00", "04-03-2016 10:00"]
    closed = ["01-04-2016 11:00", "05-03-2016 12:00"]
    pq.write_table(pa.table({"_row": [2, 3], "c0": opened, "c1": closed}), path)
    source = wh.parquet_source(path)
    columns = [
        formats.Column("opened", "opened_at", 0, ()),
        formats.Column("closed", "closed_at", 1, ()),
    ]
    readings = formats.decide(wh, source, columns, BOUNDS, (("MDY", "the system's default"),))
    assert readings["opened"].decided_by == "the values"
    assert readings["closed"].decided_by == "date_order DMY (the file's opened_at column)"
    assert readings["closed"].shown == "DD-MM-YYYY hh:mm"


def test_two_digit_years_are_not_read_as_the_first_century(wh: Warehouse, tmp_path: Path) -> None:
    # Harvest's older exports: m/d/yy
    reading, got = _read(wh, tmp_path, ["8/14/18", "12/1/19", None, "1/31/20"])
    assert reading.shown == "MM/DD/YY"
    assert got == [
        dt.datetime(2018, 8, 14),
        dt.datetime(2019, 12, 1),
        None,
        dt.datetime(2020, 1, 31),
    ]


def test_excel_resaved_times_without_seconds_and_am_pm(wh: Warehouse, tmp_path: Path) -> None:
    reading, got = _read(wh, tmp_path, ["3/17/2025 6:04", "3/18/2025 16:30", "3/19/2025 0:00"])
    assert reading.shown == "MM/DD/YYYY hh:mm"
    assert got[1] == dt.datetime(2025, 3, 18, 16, 30)
    reading, got = _read(wh, tmp_path, ["12/Mar/25 10:04 AM", "01/Apr/25 3:15 PM"])
    assert got == [dt.datetime(2025, 3, 12, 10, 4), dt.datetime(2025, 4, 1, 15, 15)]


def test_offsets_and_zones_become_utc(wh: Warehouse, tmp_path: Path) -> None:
    values = ["2025-03-12T10:04:11.000Z", "2025-03-12T10:04:11+01:00", "2025-03-13"]
    _, got = _read(wh, tmp_path, values)
    assert got == [
        dt.datetime(2025, 3, 12, 10, 4, 11),
        dt.datetime(2025, 3, 12, 9, 4, 11),
        dt.datetime(2025, 3, 13),
    ]


def test_values_that_fit_no_chosen_layout_are_not_read_another_way(
    wh: Warehouse, tmp_path: Path
) -> None:
    # 25/12/2025 fits only day-first, but the column is month-first: it is not read
    values = ["01/13/2025", "02/14/2025", "03/15/2025", "25/12/2025"]
    reading, got = _read(wh, tmp_path, values)
    assert reading.shown == "MM/DD/YYYY" and reading.read == 3
    assert got[3] is None


def _preset_layouts() -> list[str]:
    listed = {
        f for p in builtin_presets().values() for f in (*p.date_formats, *p.timestamp_formats)
    }
    return sorted(listed)


def _write(when: dt.datetime, layout: str) -> str:
    text = when.strftime(layout.replace("%z", "+0000").replace("%Z", "UTC"))
    return text


_WHEN = st.datetimes(dt.datetime(1995, 1, 1), dt.datetime(2040, 12, 31)).map(
    lambda d: d.replace(microsecond=(d.microsecond // 1000) * 1000)
)


@pytest.mark.parametrize("layout", _preset_layouts())
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(whens=st.lists(_WHEN, min_size=1, max_size=12), low_days=st.booleans())
def test_a_file_written_in_a_preset_layout_is_read_in_it(
    wh: Warehouse, tmp_path: Path, layout: str, whens: list[dt.datetime], low_days: bool
) -> None:
    if low_days:  # every day 12 or less: only the setting can tell the order
        whens = [w.replace(day=min(w.day, 12)) for w in whens]
    order = date_layouts.order_of(layout)
    orders: tuple[tuple[formats.DateOrder, str], ...] = ((order, "project"),) if order else ()
    values = [_write(w, layout) for w in whens]
    reading, got = _read(wh, tmp_path, values, preferred=(layout,), orders=orders)
    expected = [_truncate(w, layout) for w in whens]
    assert got == expected, (layout, reading)


def _truncate(when: dt.datetime, layout: str) -> dt.datetime:
    """What the layout keeps of a moment: no time for a date, no seconds without %S."""
    if "%H" not in layout and "%I" not in layout:
        return dt.datetime(when.year, when.month, when.day)
    if "%S" not in layout:
        return when.replace(second=0, microsecond=0)
    if "%f" not in layout:
        return when.replace(microsecond=0)
    return when
