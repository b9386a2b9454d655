"""The facts tables on a tiny hand-built warehouse: every expected value worked out by hand
in a comment, so a change to the one rate rule or the one customer look-up shows here first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tieout import facts
from tieout.engine import Warehouse
from tieout.model import TABLES

AS_OF = dt.date(2026, 2, 15)
D = dt.date


def _insert(wh: Warehouse, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    names = [c.strip() for c in columns.split(",")]
    marks = ", ".join(f":{n}" for n in names)
    for row in rows:
        wh.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", dict(zip(names, row, strict=True))
        )


@pytest.fixture(scope="module")
def wh() -> Iterator[Warehouse]:
    with Warehouse() as w:
        for table in TABLES:
            w.create_model_table(table)
        _insert(
            w,
            "fx_rate",
            "rate_date, from_currency, to_currency, rate",
            [
                (D(2026, 1, 10), "EUR", "GBP", Decimal("0.80")),
                (D(2026, 2, 1), "EUR", "GBP", Decimal("0.88")),
                (D(2026, 2, 1), "EUR", "GBP", Decimal("0.90")),  # two for one day: the higher
                (D(2026, 3, 1), "EUR", "GBP", Decimal("0.95")),  # after the as-of date
                (D(2026, 3, 1), "USD", "GBP", Decimal("0.75")),  # USD's only rate: too late
                (D(2026, 1, 1), "GBP", "GBP", Decimal("1.50")),  # nonsense: 1 to itself
            ],
        )
        _insert(w, "invoice", "id, currency", [("inv-1", "CHF")])  # a currency with no rate
        _insert(
            w,
            "xref",
            "entity_type, golden_key, source_system, source_object, native_id, method",
            [
                ("customer", "CUS-A", "crm", "Account", "001A", "master"),
                ("customer", "CUS-A", "xero", "contact", "Acme Ltd", "model"),
                ("customer", "CUS-B", "crm", "Account", "001B", "master"),
                # one (system, native id) in two golden records: the lower key, every run
                ("customer", "CUS-C", "xero", "contact", "Shared", "unmatched"),
                ("customer", "CUS-B", "xero", "invoice", "Shared", "model"),
                ("customer", "CUS-D", "xero", "contact", "No CRM", "unmatched"),
                ("product", "PRD-1", "crm", "Product2", "01tA", "master"),
                ("product", "PRD-1", "xero", "item", "BLR", "model"),
                ("person", "PER-1", "crm", "User", "005A", "master"),
                ("person", "PER-1", "harvest", "user", "Ann Lee", "model"),
            ],
        )
        _insert(
            w,
            "account",
            "source_system, source_object, native_id, name, region, country, tier, owner_native_id",
            [
                ("crm", "Account", "001A", "Acme Ltd", None, "Germany", "Strategic", "005A"),
                ("crm", "Account", "001B", "Bolt plc", "North", "UK", None, None),
            ],
        )
        _insert(w, "person", "source_system, native_id, name", [("crm", "005A", "Ann Lee")])
        _insert(
            w,
            "work_order",
            "id, source_system, native_id, account_native_id",
            [
                ("wo-1", "crm", "WO1", "001A"),
                ("wo-2", "crm", "WO2", "001B"),
                ("wo-3", "crm", "WO3", None),
            ],
        )
        _insert(
            w,
            "job",
            "job_key, quote_id, work_order_id, invoice_line_id",
            [
                ("q-1", "q-1", "wo-1", "line-1"),
                ("q-1", "q-1", "wo-1", "line-2"),  # one row per bill line: one job still
                ("wo-2", None, "wo-2", None),
            ],
        )
        facts.build(w, as_of=AS_OF, currency="GBP")
        yield w


def _rates(wh: Warehouse, source: str, target: str, day: dt.date) -> list[Decimal]:
    rows = wh.query(
        "SELECT rate FROM currency_rate WHERE from_currency = :source AND to_currency = :target "
        "AND :day BETWEEN valid_from AND valid_until",
        {"source": source, "target": target, "day": day},
    )
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (D(2025, 12, 1), "0.80"),  # before the first rate: the first one after it
        (D(2026, 1, 10), "0.80"),  # the rate of the day
        (D(2026, 1, 31), "0.80"),  # no rate that day: the latest before
        (D(2026, 2, 1), "0.90"),  # two rates that day: the higher
        (D(2026, 2, 15), "0.90"),  # the as-of date
        (D(2026, 3, 5), "0.90"),  # 0.95 is dated 1 March, after the as-of date: not known
    ],
)
def test_the_rate_on_a_day(wh: Warehouse, day: dt.date, rate: str) -> None:
    assert _rates(wh, "EUR", "GBP", day) == [Decimal(rate)]


def test_a_currency_to_itself_is_one_on_every_day(wh: Warehouse) -> None:
    # GBP (the reporting currency, with a nonsense 1.50 row), EUR and USD (in fx_rate) and
    # CHF (only on an invoice) each convert to themselves at 1
    for currency in ("GBP", "EUR", "USD", "CHF"):
        for day in (D(1990, 1, 1), AS_OF, D(2099, 12, 31)):
            assert _rates(wh, currency, currency, day) == [Decimal(1)], (currency, day)


def test_no_rate_is_made_up(wh: Warehouse) -> None:
    assert _rates(wh, "USD", "GBP", D(2026, 3, 5)) == []  # its only rate is after the as-of
    assert _rates(wh, "CHF", "GBP", AS_OF) == []
    assert _rates(wh, "GBP", "EUR", AS_OF) == []  # no inverse rates


def test_one_range_per_pair_and_day(wh: Warehouse) -> None:
    """The ranges tile time: a plain range join never fans out or leaves a gap."""
    overlaps = wh.scalar(
        "SELECT count(*) FROM currency_rate a JOIN currency_rate b "
        "ON a.from_currency = b.from_currency AND a.to_currency = b.to_currency "
        "AND a.valid_from < b.valid_from AND a.valid_until >= b.valid_from"
    )
    assert overlaps == 0
    eur = wh.query(
        "SELECT valid_from, valid_until, rate FROM currency_rate "
        "WHERE from_currency = 'EUR' AND to_currency = 'GBP' ORDER BY valid_from"
    )
    assert eur == [
        (D(1, 1, 1), D(2026, 1, 31), Decimal("0.80")),
        (D(2026, 2, 1), D(9999, 12, 31), Decimal("0.90")),
    ]


def test_a_later_as_of_date_knows_the_later_rate() -> None:
    with Warehouse() as later:
        for table in TABLES:
            later.create_model_table(table)
        later.execute(
            "INSERT INTO fx_rate (rate_date, from_currency, to_currency, rate) VALUES "
            "(DATE '2026-02-01', 'EUR', 'GBP', 0.90), (DATE '2026-03-01', 'EUR', 'GBP', 0.95)"
        )
        facts.build(later, as_of=D(2026, 3, 31), currency="GBP")
        assert _rates(later, "EUR", "GBP", D(2026, 3, 5)) == [Decimal("0.95")]
        assert _rates(later, "EUR", "GBP", D(2026, 2, 28)) == [Decimal("0.90")]


def test_customer_key(wh: Warehouse) -> None:
    assert wh.query("SELECT * FROM customer_key ORDER BY ALL") == [
        ("crm", "001A", "CUS-A"),
        ("crm", "001B", "CUS-B"),
        ("xero", "Acme Ltd", "CUS-A"),
        ("xero", "No CRM", "CUS-D"),
        ("xero", "Shared", "CUS-B"),  # CUS-B and CUS-C name it: the lower key
    ]


def test_customer_master(wh: Warehouse) -> None:
    # Acme: no region, so its country; tier lower-cased; owner 005A is Ann Lee.
    # CUS-C and CUS-D have no master CRM record: no row.
    assert wh.query("SELECT * FROM customer_master ORDER BY golden_key") == [
        ("CUS-A", "Acme Ltd", "Germany", "strategic", "Ann Lee"),
        ("CUS-B", "Bolt plc", "North", None, None),
    ]


def test_product_and_person_keys(wh: Warehouse) -> None:
    assert wh.query("SELECT * FROM product_key ORDER BY ALL") == [
        ("crm", "01tA", "PRD-1"),
        ("xero", "BLR", "PRD-1"),
    ]
    assert wh.query("SELECT * FROM person_key ORDER BY ALL") == [
        ("crm", "005A", "PER-1", True),
        ("harvest", "Ann Lee", "PER-1", False),
    ]


def test_work_order_job(wh: Warehouse) -> None:
    # wo-1 is on quote q-1 (two bill lines, one row); wo-2 is a job of its own; wo-3 is in
    # no job row and no account: its own key, no customer
    assert wh.query("SELECT * FROM work_order_job ORDER BY work_order_id") == [
        ("wo-1", "q-1", "q-1", "CUS-A"),
        ("wo-2", "wo-2", None, "CUS-B"),
        ("wo-3", "wo-3", None, None),
    ]
