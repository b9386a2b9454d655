"""Each built-in rule on a tiny hand-built warehouse, run by the runner alone (facts, then
find_exceptions; no `tieout run`): one case that must fire and near misses that must not,
every expected figure worked out by hand in a comment. And the loader's checks of a rule:
exactly one of `subject` and `sql`, columns of the subject only, canonical tables only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tieout import facts
from tieout.config.rules import ResolvedRule, builtin_rules, check_rule
from tieout.config.rules import Rule as RuleModel
from tieout.config.yamlfile import parse_yaml, validate_model
from tieout.engine import Warehouse
from tieout.errors import ConfigError
from tieout.match.sqlfiles import load_macros
from tieout.model import TABLE_MAP, TABLES
from tieout.reconcile.exceptions import find_exceptions

AS_OF = dt.date(2026, 2, 15)
D = dt.date
T = dt.datetime
Row = dict[str, Any]

# Acme is one golden customer: its CRM account 001A and its name on the Xero invoices
CUSTOMERS = [
    {"entity_type": "customer", "golden_key": "CUS-A", "source_system": "crm",
     "source_object": "Account", "native_id": "001A", "method": "master"},
    {"entity_type": "customer", "golden_key": "CUS-A", "source_system": "xero",
     "source_object": "contact", "native_id": "Acme Ltd", "method": "model"},
]  # fmt: skip
EUR_AT_085 = {"id": "fx-1", "rate_date": D(2026, 1, 1), "from_currency": "EUR",
              "to_currency": "GBP", "rate": Decimal("0.85")}  # fmt: skip


def _insert(wh: Warehouse, table: str, rows: list[Row]) -> None:
    """Rows of a model table; a source table's lineage filled in where the row leaves it
    out (system crm, object the table, native id the id in capitals)."""
    lineage = not TABLE_MAP[table].derived
    for given in rows:
        row = dict(given)
        if lineage:
            row.setdefault("source_system", "crm")
            row.setdefault("source_object", table)
            row.setdefault("native_id", str(row["id"]).upper())
            row.update(load_id="load", source_file=f"{table}.csv", source_row=2)
        names = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        wh.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", row)


def findings(rule_id: str, tables: dict[str, list[Row]]) -> list[Row]:
    """The rule's exceptions over `tables` (and Acme's keys), largest amount first."""
    rule, located = builtin_rules()[rule_id]
    with Warehouse() as wh:
        for table in TABLES:
            wh.create_model_table(table)
        for name, rows in {"xref": CUSTOMERS, **tables}.items():
            _insert(wh, name, rows)
        load_macros(wh)  # the match stage's text macros, as in a run (duplicate_invoice)
        facts.build(wh, as_of=AS_OF, currency="GBP")
        resolved = ResolvedRule(rule, located.file, dict(rule.params), rule.health)
        find_exceptions(wh, [resolved], AS_OF, "GBP", {})
        return wh.query_dicts(
            "SELECT account_key, amount, currency, amount_at_risk, detail, "
            "source_refs AS refs FROM exception ORDER BY amount DESC NULLS LAST, detail"
        )


def _refs(*records: tuple[str, str, str]) -> str:
    return (
        "["
        + ",".join(f'{{"system":"{s}","object":"{o}","native_id":"{n}"}}' for s, o, n in records)
        + "]"
    )


def _gbp(amount: str, detail: str, refs: str, account_key: str | None = "CUS-A") -> Row:
    """A finding of Acme's (unless told) in pounds: its money at risk is its amount."""
    return {"account_key": account_key, "amount": Decimal(amount), "currency": "GBP",
            "amount_at_risk": Decimal(amount), "detail": detail, "refs": refs}  # fmt: skip


# -- onboarding_overdue: subject onboarding_milestone ---------------------------------------


def test_onboarding_overdue() -> None:
    found = findings(
        "onboarding_overdue",
        {
            "onboarding_milestone": [
                # due 10 Feb, before the as-of date 15 Feb, not done: fires, blocked
                {"id": "m1", "account_native_id": "001A", "name": "Kick-off",
                 "due_date": D(2026, 2, 10), "status": "blocked", "blocker": "waiting on IT"},
                # named by customer name in Xero: Acme through customer_key
                {"id": "m2", "source_system": "xero", "customer_name": "Acme Ltd",
                 "name": "Training", "due_date": D(2026, 1, 1), "status": "planned"},
                # near misses: due on the as-of date; completed (date, or status); canceled
                {"id": "m3", "account_native_id": "001A", "name": "Go-live",
                 "due_date": AS_OF, "status": "planned"},
                {"id": "m4", "account_native_id": "001A", "name": "Sign-off",
                 "due_date": D(2026, 1, 1), "status": "in_progress",
                 "completed_at": T(2026, 1, 2, 9)},
                {"id": "m5", "account_native_id": "001A", "name": "Data load",
                 "due_date": D(2026, 1, 1), "status": "completed"},
                {"id": "m6", "account_native_id": "001A", "name": "Survey",
                 "due_date": D(2026, 1, 1), "status": "canceled"},
            ]
        },
    )  # fmt: skip
    assert found == [
        {"account_key": "CUS-A", "amount": None, "currency": None, "amount_at_risk": None,
         "detail": "milestone Kick-off due 2026-02-10, blocked: waiting on IT",
         "refs": _refs(("crm", "onboarding_milestone", "M1"))},
        {"account_key": "CUS-A", "amount": None, "currency": None, "amount_at_risk": None,
         "detail": "milestone Training due 2026-01-01",
         "refs": _refs(("xero", "onboarding_milestone", "M2"))},
    ]  # fmt: skip


# -- unbilled_work: subject work_order_fact -------------------------------------------------

# days 14: completed before 1 Feb 2026 (15 Feb - 14 days) and no live invoice line bills it
BILLING = {
    "invoice": [
        {"id": "inv-3", "source_system": "xero", "native_id": "INV3", "invoice_number": "INV-3",
         "doc_type": "invoice", "invoice_date": D(2026, 1, 20), "status": "paid",
         "currency": "GBP", "total": Decimal("100.00")},
        {"id": "inv-4", "source_system": "xero", "native_id": "INV4", "invoice_number": "INV-4",
         "doc_type": "invoice", "invoice_date": D(2026, 1, 20), "status": "draft",
         "currency": "EUR", "total": Decimal("100.00")},
    ],
    "invoice_line": [
        {"id": "line-3", "source_system": "xero", "invoice_native_id": "INV3",
         "line_amount": Decimal("100.00"), "currency": "GBP"},
        {"id": "line-4", "source_system": "xero", "invoice_native_id": "INV4",
         "line_amount": Decimal("100.00"), "currency": "EUR"},
    ],
}  # fmt: skip


def _work_order(wo_id: str, status: str, completed: dt.date | None, value: str,
                currency: str = "GBP") -> Row:  # fmt: skip
    return {
        "id": wo_id, "work_order_number": wo_id.upper(), "account_native_id": "001A",
        "status": status, "completed_at": T(*completed.timetuple()[:3], 17) if completed else None,
        "planned_value": Decimal(value), "currency": currency,
    }  # fmt: skip


def test_unbilled_work() -> None:
    found = findings(
        "unbilled_work",
        {
            **BILLING,
            "fx_rate": [EUR_AT_085],
            "work_order": [
                _work_order("wo-1", "completed", D(2026, 1, 20), "5000.00"),  # fires
                _work_order("wo-2", "completed", D(2026, 2, 1), "700.00"),  # on the cut-off day
                _work_order("wo-3", "closed", D(2026, 1, 10), "800.00"),  # billed by INV-3
                # billed only by a draft: fires, EUR 1,200.00 at 0.85 = GBP 1,020.00
                _work_order("wo-4", "completed", D(2026, 1, 10), "1200.00", "EUR"),
                _work_order("wo-5", "completed", D(2026, 1, 10), "900.00"),  # unreadable bill
                _work_order("wo-6", "in_progress", None, "600.00"),
            ],
            "job": [
                {"job_key": "wo-3", "work_order_id": "wo-3", "invoice_line_id": "line-3"},
                {"job_key": "wo-4", "work_order_id": "wo-4", "invoice_line_id": "line-4"},
            ],
            "unreadable_billing": [
                {"work_order_id": "wo-5", "source_file": "bills.csv", "source_row": 7}
            ],
        },
    )
    assert found == [
        _gbp("5000.00", "work order WO-1 completed 2026-01-20, not invoiced",
             _refs(("crm", "work_order", "WO-1"))),
        {"account_key": "CUS-A", "amount": Decimal("1200.00"), "currency": "EUR",
         "amount_at_risk": Decimal("1020.00"),
         "detail": "work order WO-4 completed 2026-01-10, not invoiced",
         "refs": _refs(("crm", "work_order", "WO-4"))},
    ]  # fmt: skip


# -- invoice_without_work: subject invoice_fact ---------------------------------------------


def _invoice(number: str, day: dt.date, total: str, customer: str = "Acme Ltd",
             doc_type: str = "invoice", status: str = "authorised") -> Row:  # fmt: skip
    return {
        "id": number.lower(), "source_system": "xero", "native_id": number,
        "invoice_number": number, "doc_type": doc_type, "customer_name": customer,
        "invoice_date": day, "status": status, "currency": "GBP", "total": Decimal(total),
    }  # fmt: skip


def test_invoice_without_work() -> None:
    found = findings(
        "invoice_without_work",
        {
            # Acme's contract runs through 2025; a draft one would start March 2026
            "contract": [
                {"id": "c-1", "account_native_id": "001A", "status": "Activated",
                 "start_date": D(2025, 1, 1), "end_date": D(2025, 12, 31)},
                {"id": "c-2", "account_native_id": "001A", "status": "Draft",
                 "start_date": D(2026, 1, 1), "end_date": None},
            ],
            "invoice": [
                _invoice("INV-1", D(2026, 1, 5), "900.00"),  # after the contract: fires
                _invoice("INV-2", D(2025, 6, 1), "400.00", customer="Bolt plc"),  # fires, no key
                _invoice("INV-3", D(2025, 6, 1), "300.00"),  # while the contract runs
                _invoice("INV-4", D(2026, 1, 5), "200.00"),  # a line bills a work order
                _invoice("CN-5", D(2026, 1, 5), "-100.00", doc_type="credit_note"),
                _invoice("INV-6", D(2026, 1, 5), "600.00", status="voided"),
            ],
            "invoice_line": [
                {"id": "line-4", "source_system": "xero", "invoice_native_id": "INV-4",
                 "line_amount": Decimal("200.00")},
            ],
            "job": [{"job_key": "wo-1", "work_order_id": "wo-1", "invoice_line_id": "line-4"}],
        },
    )  # fmt: skip
    assert found == [
        _gbp("900.00", "invoice INV-1 of 2026-01-05 bills no work order",
             _refs(("xero", "invoice", "INV-1"))),
        _gbp("400.00", "invoice INV-2 of 2025-06-01 bills no work order",
             _refs(("xero", "invoice", "INV-2")), account_key=None),
    ]  # fmt: skip


# -- margin_below_floor: subject job_fact ---------------------------------------------------


def _job(key: str, work_orders: list[Row], lines: list[tuple[str, str, str]],
         cost: str) -> dict[str, list[Row]]:  # fmt: skip
    """A quoted job: its work orders, invoice lines (id, document status, amount; a negative
    amount on a credit note) and the time cost on its first work order."""
    quote = {"id": key, "native_id": key.upper(), "quote_number": key.upper(),
             "account_native_id": "001A", "currency": "GBP"}  # fmt: skip
    invoices = [
        {"id": f"{line}-doc", "source_system": "xero", "native_id": f"{line.upper()}-DOC",
         "invoice_number": f"{line.upper()}-DOC", "invoice_date": D(2026, 1, 5),
         "doc_type": "credit_note" if amount.startswith("-") else "invoice", "status": status,
         "currency": "GBP", "total": Decimal(amount)}
        for line, status, amount in lines
    ]  # fmt: skip
    invoice_lines = [
        {"id": line, "source_system": "xero", "invoice_native_id": f"{line.upper()}-DOC",
         "line_amount": Decimal(amount), "currency": "GBP"}
        for line, _, amount in lines
    ]  # fmt: skip
    job = [
        {"job_key": key, "quote_id": key, "work_order_id": w["id"], "invoice_line_id": None}
        for w in work_orders
    ] + [
        {"job_key": key, "quote_id": key, "work_order_id": work_orders[0]["id"],
         "invoice_line_id": line}
        for line, _, _ in lines
    ]  # fmt: skip
    time = [{"work_order_id": work_orders[0]["id"], "hours": Decimal(10),
             "cost_amount": Decimal(cost), "entries": 1}]  # fmt: skip
    return {"quote": [quote], "work_order": work_orders, "invoice": invoices,
            "invoice_line": invoice_lines, "job": job, "work_order_time": time}  # fmt: skip


def _merged(*parts: dict[str, list[Row]]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for part in parts:
        for table, rows in part.items():
            out.setdefault(table, []).extend(rows)
    return out


def test_margin_below_floor() -> None:
    done, late = D(2026, 1, 10), D(2026, 2, 5)  # finished before / after 1 Feb (days 14)
    found = findings(
        "margin_below_floor",
        _merged(
            # revenue 1,000.00 - 100.00 credited = 900.00 (the draft 500.00 does not count);
            # cost 800.00; margin 100 / 900 = 11.1 % < 15 %: fires for
            # 800.00 - 0.85 x 900.00 = 35.00; refs: the quote, then both work orders
            _job("q-a", [_work_order("wo-a1", "completed", done, "0"),
                         _work_order("wo-a2", "canceled", None, "0")],
                 [("la1", "paid", "1000.00"), ("la2", "authorised", "-100.00"),
                  ("la3", "draft", "500.00")], "800.00"),
            # margin exactly 15 %: 150 / 1,000 is not below the floor
            _job("q-b", [_work_order("wo-b1", "completed", done, "0")],
                 [("lb1", "paid", "1000.00")], "850.00"),
            # a work order still in progress: not finished
            _job("q-c", [_work_order("wo-c1", "completed", done, "0"),
                         _work_order("wo-c2", "in_progress", None, "0")],
                 [("lc1", "paid", "1000.00")], "950.00"),
            # finished 5 Feb: within the 14 days
            _job("q-d", [_work_order("wo-d1", "completed", late, "0")],
                 [("ld1", "paid", "1000.00")], "950.00"),
            # a quarantined bill names it: revenue unknown
            _job("q-e", [_work_order("wo-e1", "completed", done, "0")],
                 [("le1", "paid", "1000.00")], "950.00"),
            {"unreadable_billing": [
                {"work_order_id": "wo-e1", "source_file": "bills.csv", "source_row": 3}]},
        ),
    )  # fmt: skip
    assert found == [
        _gbp("35.00", "margin 11.1% on revenue 900.00 and time cost 800.00",
             _refs(("crm", "quote", "Q-A"), ("crm", "work_order", "WO-A1"),
                   ("crm", "work_order", "WO-A2"))),
    ]  # fmt: skip


# -- the other rules, on their tables (ticket_sla, work_order_demand as operations builds them)


def _ticket(ticket_id: str, opened: dt.date, **sla: Any) -> tuple[Row, Row]:
    """A Zendesk ticket of Acme and its SLA clock (ticket_sla, as operations builds it)."""
    ticket = {
        "id": ticket_id,
        "source_system": "zendesk",
        "native_id": ticket_id.upper(),
        "ticket_number": ticket_id.upper(),
        "opened_at": T(*opened.timetuple()[:3], 9),
    }
    record = {"system": "zendesk", "object": "ticket", "native_id": ticket["native_id"]}
    clock = {"ticket_id": ticket_id, "ticket_number": ticket["ticket_number"],
             "account_key": "CUS-A", "opened_at": ticket["opened_at"], "refs": [record],
             **sla}  # fmt: skip
    return ticket, clock


def _ticket_tables(tickets: list[tuple[Row, Row]]) -> dict[str, list[Row]]:
    return {"ticket": [t for t, _ in tickets], "ticket_sla": [s for _, s in tickets]}


def _no_money(detail: str, refs: str) -> Row:
    """A finding of Acme's with no money at risk of its own."""
    return {"account_key": "CUS-A", "amount": None, "currency": None, "amount_at_risk": None,
            "detail": detail, "refs": refs}  # fmt: skip


def test_sla_breach_strategic() -> None:
    tickets = [
        # strategic, opened 10 Jan (within 90 days of 15 Feb), 600 business minutes
        # against 480: fires, no money of its own
        _ticket("t1", D(2026, 1, 10), tier="strategic", priority=2, resolution_breached=True,
                resolution_minutes=600, resolution_target_minutes=480),
        # near misses: within target; another tier; opened 17 Nov 2025, 90 days before
        _ticket("t2", D(2026, 1, 10), tier="strategic", priority=2, resolution_breached=False,
                resolution_minutes=400, resolution_target_minutes=480),
        _ticket("t3", D(2026, 1, 10), tier="standard", priority=2, resolution_breached=True,
                resolution_minutes=600, resolution_target_minutes=480),
        _ticket("t4", D(2025, 11, 17), tier="strategic", priority=2, resolution_breached=True,
                resolution_minutes=600, resolution_target_minutes=480),
    ]  # fmt: skip
    found = findings(
        "sla_breach_strategic",
        _ticket_tables(tickets),
    )
    assert found == [
        _no_money("ticket T1 (P2): 600 business minutes against a target of 480",
                  _refs(("zendesk", "ticket", "T1"))),
    ]  # fmt: skip


def test_repeat_issue() -> None:
    tickets = [  # count 3 in the 30 days up to 15 Feb (opened after 16 Jan)
        _ticket(f"r{i}", day, category="incident", topic="vpn")
        for i, day in enumerate([D(2026, 1, 17), D(2026, 2, 1), D(2026, 2, 15)], 1)
    ] + [
        _ticket("r4", D(2026, 1, 16), category="incident", topic="vpn"),  # 30 days back: out
        _ticket("r5", D(2026, 2, 1), category="incident", topic="email"),  # another topic
        _ticket("r6", D(2026, 2, 2), category="incident", topic="email"),
    ]
    found = findings(
        "repeat_issue",
        _ticket_tables(tickets),
    )
    assert found == [
        _no_money("3 incident tickets about vpn in 30 days",
                  _refs(("zendesk", "ticket", "R1"), ("zendesk", "ticket", "R2"),
                        ("zendesk", "ticket", "R3"))),
    ]  # fmt: skip


def test_capacity_risk() -> None:
    def demand(wo_id: str, status: str, starts: dt.date, value: str,
               week: tuple[str, str, bool] | None) -> Row:  # fmt: skip
        """A work order's demand row as operations builds it: its team's week (available,
        demand, over-committed), none outside the horizon."""
        available, wanted, over = week or (None, None, None)
        return {"work_order_id": wo_id, "work_order_number": wo_id.upper(), "status": status,
                "account_key": "CUS-A", "team": "Field", "starts_on": starts,
                "start_week": starts - dt.timedelta(days=starts.weekday()),
                "planned_hours": Decimal(40), "planned_value": Decimal(value), "currency": "GBP",
                "team_available_hours": available and Decimal(available),
                "team_demand_hours": wanted and Decimal(wanted), "team_over_committed": over,
                "refs": [{"system": "crm", "object": "work_order",
                          "native_id": wo_id.upper()}]}  # fmt: skip

    over = ("80.00", "120.00", True)  # the week of 2 March: 120 h of demand for 80 h
    found = findings(
        "capacity_risk",
        {
            "work_order_demand": [
                demand("wo-1", "scheduled", D(2026, 3, 3), "3000.00", over),  # fires
                demand("wo-2", "in_progress", D(2026, 3, 3), "2000.00", over),  # started
                # a week with room; a start on the as-of date (not after it) in a full week;
                # a start beyond the horizon (no team week)
                demand("wo-3", "scheduled", D(2026, 3, 10), "1000.00", ("80.00", "40.00", False)),
                demand("wo-4", "new", AS_OF, "900.00", ("80.00", "100.00", True)),
                demand("wo-5", "new", D(2026, 9, 1), "800.00", None),
            ],
        },
    )  # fmt: skip
    assert found == [
        _gbp("3000.00", "work order WO-1 starts 2026-03-03: Field has 80.00 h for 120.00 h of "
                        "demand that week",
             _refs(("crm", "work_order", "WO-1"))),
    ]  # fmt: skip


def test_spend_without_commitment() -> None:
    def campaign(cid: str, start: dt.date, spend: str) -> Row:
        return {"id": cid, "name": cid.upper(), "start_date": start, "spend": Decimal(spend),
                "currency": "GBP"}  # fmt: skip

    found = findings(
        "spend_without_commitment",
        {
            "campaign": [
                campaign("c1", D(2025, 10, 1), "2500.00"),  # 137 days back (within 180): fires
                campaign("c2", D(2025, 10, 1), "0"),  # no spend
                campaign("c3", D(2026, 3, 1), "900.00"),  # starts after the as-of date
                campaign("c4", D(2025, 10, 1), "800.00"),  # committed in a plan
                campaign("c5", D(2025, 1, 1), "700.00"),  # 410 days back, in no plan
            ],
            "campaign_commitment": [{"campaign_id": "c4", "campaign": "C4"}],
        },
    )  # fmt: skip
    assert found == [
        _gbp("2500.00", "campaign C1 started 2025-10-01 and spent 2500.00 GBP with no conversion "
                        "committed: no plan commitment, no expected response or revenue in the CRM",
             _refs(("crm", "campaign", "C1")), account_key=None),
    ]  # fmt: skip


def test_price_variance() -> None:
    def line(line_id: str, doc: str, price: str, currency: str = "GBP") -> Row:
        return {"id": line_id, "source_system": "xero", "native_id": line_id.upper(),
                "invoice_native_id": doc, "quantity": Decimal(3), "unit_price": Decimal(price),
                "line_amount": 3 * Decimal(price), "currency": currency}  # fmt: skip

    found = findings(
        "price_variance",
        {
            "quote": [{"id": "q1", "native_id": "Q1", "quote_number": "Q-1",
                       "account_native_id": "001A", "currency": "GBP"}],
            "quote_line": [{"id": "ql1", "native_id": "QL1", "quote_native_id": "Q1",
                            "unit_price": Decimal(100), "quantity": Decimal(3),
                            "currency": "GBP"}],
            "invoice": [
                _invoice("INV-1", D(2026, 1, 5), "0", status="paid"),
                _invoice("CN-1", D(2026, 1, 6), "0", doc_type="credit_note"),
            ],
            "invoice_line": [
                # 105.00 against 100.00 quoted: 5 % > 2 %, 3 x 5.00 = 15.00 at risk
                line("l1", "INV-1", "105.00"),
                line("l2", "INV-1", "102.00"),  # exactly 2 %: not beyond
                line("l3", "INV-1", "150.00", currency="EUR"),  # prices in two currencies
                line("l4", "CN-1", "150.00"),  # a credit note
            ],
            "invoice_quote_line": [
                {"invoice_line_id": f"l{i}", "quote_line_id": "ql1"} for i in range(1, 5)
            ],
        },
    )  # fmt: skip
    assert found == [
        _gbp("15.00", "INV-1: invoiced at 105.0000, quoted at 100.0000",
             _refs(("xero", "invoice_line", "L1"), ("crm", "quote_line", "QL1"))),
    ]  # fmt: skip


# -- aged_case_renewal_risk: a renewing contract and its customer's aged tickets ------------


def test_aged_case_renewal_risk() -> None:
    def contract(cid: str, number: str | None, value: str, currency: str = "GBP",
                 status: str = "Activated", **dates: dt.date) -> Row:  # fmt: skip
        return {"id": cid, "contract_number": number, "account_native_id": "001A",
                "status": status, "start_date": D(2025, 1, 1), "value": Decimal(value),
                "currency": currency, **dates}  # fmt: skip

    def open_ticket(ticket_id: str, opened: dt.date, is_open: bool = True,
                    account_key: str | None = "CUS-A") -> tuple[Row, Row]:  # fmt: skip
        ticket, clock = _ticket(ticket_id, opened, is_open=is_open)
        return ticket, {**clock, "account_key": account_key}

    # aged: open and opened before 16 Jan 2026 (15 Feb - 30 days)
    tickets = [
        open_ticket("t1", D(2026, 1, 15)),  # aged
        open_ticket("t2", D(2025, 12, 1)),  # aged
        open_ticket("t3", D(2026, 1, 16)),  # 30 days back: not aged
        open_ticket("t4", D(2025, 12, 1), is_open=False),  # resolved
        open_ticket("t5", D(2025, 12, 1), account_key=None),  # no customer
    ]
    found = findings(
        "aged_case_renewal_risk",
        {
            **_ticket_tables(tickets),
            "fx_rate": [EUR_AT_085],
            # renews within 90 days of 15 Feb: after 15 Feb, on or before 16 May 2026
            "contract": [
                # renewal date 16 May, the 90th day: fires for its value
                contract("c1", "CT-1", "12000.00", renewal_date=D(2026, 5, 16)),
                # no renewal date: ends 31 Mar, renews 1 Apr; no number: named by native id;
                # EUR 5,000.00 at 0.85 = GBP 4,250.00
                contract("c2", None, "5000.00", "EUR", end_date=D(2026, 3, 31)),
                # near misses: renews 17 May (91 days); ends 14 Feb, renews on the as-of
                # date (not after it); expired
                contract("c3", "CT-3", "900.00", renewal_date=D(2026, 5, 17)),
                contract("c4", "CT-4", "800.00", end_date=D(2026, 2, 14)),
                contract("c5", "CT-5", "700.00", status="Expired",
                         renewal_date=D(2026, 3, 1)),
            ],
        },
    )  # fmt: skip
    aged = (("zendesk", "ticket", "T1"), ("zendesk", "ticket", "T2"))
    assert found == [
        _gbp("12000.00", "contract CT-1 renews 2026-05-16 with 2 ticket(s) open over 30 days",
             _refs(("crm", "contract", "C1"), *aged)),
        {"account_key": "CUS-A", "amount": Decimal("5000.00"), "currency": "EUR",
         "amount_at_risk": Decimal("4250.00"),
         "detail": "contract C2 renews 2026-04-01 with 2 ticket(s) open over 30 days",
         "refs": _refs(("crm", "contract", "C2"), *aged)},
    ]  # fmt: skip


# -- discount_after_quote: invoice lines against the quote lines they bill -------------------


def test_discount_after_quote() -> None:
    def line(line_id: str, doc: str, price: str, qty: str = "10", discount: str = "0",
             amount: str | None = None, description: str = "Consulting") -> Row:  # fmt: skip
        return {"id": line_id, "source_system": "xero", "native_id": line_id.upper(),
                "invoice_native_id": doc, "invoice_number": doc, "description": description,
                "quantity": Decimal(qty), "unit_price": Decimal(price),
                "discount_pct": Decimal(discount),
                "line_amount": Decimal(amount if amount is not None else price),
                "currency": "GBP"}  # fmt: skip

    found = findings(
        "discount_after_quote",
        {
            "quote": [{"id": "q1", "native_id": "Q1", "quote_number": "Q-1",
                       "account_native_id": "001A", "currency": "GBP"}],
            # quoted: 10 x 100.00 at 10 % off; 4 x 50.00 at no discount
            "quote_line": [
                {"id": "ql1", "native_id": "QL1", "quote_native_id": "Q1", "quantity": Decimal(10),
                 "unit_price": Decimal(100), "discount_pct": Decimal(10), "currency": "GBP"},
                {"id": "ql2", "native_id": "QL2", "quote_native_id": "Q1", "quantity": Decimal(4),
                 "unit_price": Decimal(50), "discount_pct": Decimal(0), "currency": "GBP"},
            ],
            "invoice": [
                _invoice("INV-1", D(2026, 1, 5), "1050.00", status="paid"),
                _invoice("INV-2", D(2026, 1, 6), "750.00", status="paid"),
                _invoice("INV-3", D(2026, 1, 7), "900.00", status="paid"),
                _invoice("INV-4", D(2026, 1, 8), "800.00", status="voided"),
                _invoice("CN-5", D(2026, 1, 9), "-800.00", doc_type="credit_note"),
            ],
            "invoice_line": [
                # 15 % against 10 % quoted: 10 x 100.00 x 5 % = 50.00
                line("l1", "INV-1", "100.00", discount="15", amount="850.00"),
                line("l2", "INV-1", "50.00", qty="4", amount="200.00"),  # as quoted
                # the quoted 10 % not on the product line (10 x 100.00 x 10 % = 100.00 the
                # quote explains), and a Discount line of -250.00: 250.00 - 100.00 = 150.00
                line("l3", "INV-2", "100.00", amount="1000.00"),
                line("l4", "INV-2", "-250.00", qty="1", amount="-250.00",
                     description="Discount"),
                # a Discount line of -100.00 the quote explains in full: 0.00, no finding
                line("l5", "INV-3", "100.00", amount="1000.00"),
                line("l6", "INV-3", "-100.00", qty="1", amount="-100.00",
                     description="Discount"),
                # deeper discounts on a voided invoice and on a credit note
                line("l7", "INV-4", "100.00", discount="20", amount="800.00"),
                line("l8", "CN-5", "100.00", discount="20", amount="-800.00"),
            ],
            "invoice_quote_line": [
                {"invoice_line_id": line_id, "quote_line_id": quote_line}
                for line_id, quote_line in [("l1", "ql1"), ("l2", "ql2"), ("l3", "ql1"),
                                            ("l5", "ql1"), ("l7", "ql1"), ("l8", "ql1")]
            ],
            "job": [
                {"job_key": "q1", "quote_id": "q1", "work_order_id": None,
                 "invoice_line_id": f"l{i}"}
                for i in range(1, 9)
            ],
        },
    )  # fmt: skip
    assert found == [
        _gbp("150.00", "INV-2: Discount -250.00, not on quote Q-1",
             _refs(("xero", "invoice_line", "L4"), ("crm", "quote", "Q1"))),
        _gbp("50.00", "INV-1: discount 15.0000% against 10.0000% quoted",
             _refs(("xero", "invoice_line", "L1"), ("crm", "quote_line", "QL1"))),
    ]  # fmt: skip


# -- duplicate_invoice: pairs of invoices --------------------------------------------------


def test_duplicate_invoice() -> None:
    def bill(number: str, day: dt.date, total: str, said: str, qty: str = "1",
             customer: str = "Acme Ltd", doc_type: str = "invoice", status: str = "authorised",
             reference: str | None = None) -> tuple[Row, Row]:  # fmt: skip
        invoice = {**_invoice(number, day, total, customer, doc_type, status),
                   "reference": reference}  # fmt: skip
        line = {"id": f"{number.lower()}-1", "source_system": "xero", "invoice_native_id": number,
                "description": said, "quantity": Decimal(qty),
                "unit_price": abs(Decimal(total)) / Decimal(qty), "line_amount": Decimal(total),
                "currency": "GBP"}  # fmt: skip
        return invoice, line

    bills = [
        # the same two lines of consulting a week apart, each naming its own work order
        # (a number of 4+ digits is left out): fires for the later one, 1,200.00
        bill("INV-1", D(2026, 1, 5), "1200.00", "Consulting WO-00001124", qty="2"),
        bill("INV-2", D(2026, 1, 12), "1200.00", "consulting  WO-00001200", qty="2"),
        # the same again and voided
        bill("INV-3", D(2026, 1, 5), "1200.00", "Consulting", qty="2", status="voided"),
        # 11 days apart
        bill("INV-10", D(2026, 1, 5), "600.00", "Training"),
        bill("INV-11", D(2026, 1, 16), "600.00", "Training"),
        # the same total for the same service at two sites
        bill("INV-20", D(2026, 1, 5), "300.00", "Support site A"),
        bill("INV-21", D(2026, 1, 5), "300.00", "Support site B"),
        # credited by number: a credit note naming INV-0031 (INV-31)
        bill("INV-30", D(2026, 1, 5), "500.00", "Licence"),
        bill("INV-31", D(2026, 1, 6), "500.00", "Licence"),
        bill(
            "CN-1", D(2026, 1, 8), "-500.00", "Refund", doc_type="credit_note", reference="INV-0031"
        ),
        # credited and re-issued: a credit note repeating the bill line for line
        bill("INV-40", D(2026, 1, 5), "400.00", "Hosting"),
        bill("INV-41", D(2026, 1, 7), "400.00", "Hosting"),
        bill("CN-2", D(2026, 1, 6), "-400.00", "Hosting", doc_type="credit_note"),
        # another customer's bill, the same as INV-1
        bill("INV-50", D(2026, 1, 6), "1200.00", "Consulting", qty="2", customer="Bolt plc"),
    ]
    found = findings(
        "duplicate_invoice",
        {"invoice": [i for i, _ in bills], "invoice_line": [line for _, line in bills]},
    )
    assert found == [
        _gbp("1200.00", "invoices INV-1 and INV-2 both bill 1200.00 GBP",
             _refs(("xero", "invoice", "INV-1"), ("xero", "invoice", "INV-2"))),
    ]  # fmt: skip


# -- scope_drift: hours per job and quantities per job and product --------------------------

PRODUCTS = [
    {"entity_type": "product", "golden_key": f"PRD-{n}", "source_system": "crm",
     "source_object": "Product2", "native_id": f"P{n}", "method": "master"}
    for n in (1, 2, 3, 9)
]  # fmt: skip


def _delivery(
    key: str, quoted: bool, work_orders: list[tuple[Row, str | None]]
) -> dict[str, list[Row]]:
    """A job of Acme: its quote (when quoted; the job key is the quote's id, else the first
    work order's) and its work orders, each with the hours logged on it (none: no time)."""
    job = [{"job_key": key, "quote_id": key if quoted else None, "work_order_id": w["id"],
            "invoice_line_id": None} for w, _ in work_orders]  # fmt: skip
    time = [{"work_order_id": w["id"], "hours": Decimal(h), "cost_amount": Decimal(0),
             "entries": 1} for w, h in work_orders if h is not None]  # fmt: skip
    quote = [{"id": key, "native_id": key.upper(), "quote_number": key.upper(),
              "account_native_id": "001A", "currency": "GBP"}] if quoted else []  # fmt: skip
    return {"quote": quote, "work_order": [w for w, _ in work_orders], "job": job,
            "work_order_time": time}  # fmt: skip


def _planned(wo_id: str, hours: str, value: str, status: str = "completed") -> Row:
    done = D(2026, 1, 10) if status in ("completed", "closed") else None
    return {**_work_order(wo_id, status, done, value), "planned_hours": Decimal(hours)}


def test_scope_drift() -> None:
    found = findings(
        "scope_drift",
        _merged(
            {"xref": CUSTOMERS + PRODUCTS},
            # 12 hours against 10 planned: 20 % > 10 %; 2 hours at 1,000.00 / 10 = 200.00
            _delivery("q-a", True, [(_planned("wo-a1", "10", "1000.00"), "12")]),
            # 11 hours against 10: exactly 10 %, not beyond
            _delivery("wo-b1", False, [(_planned("wo-b1", "10", "800.00"), "11")]),
            # 30 hours against 20 (the canceled work order's 100 planned hours and its time
            # do not count): 10 hours at 2,000.00 / 20 = 1,000.00; no quote, refs the
            # work orders only
            _delivery("wo-c1", False, [(_planned("wo-c1", "20", "2000.00"), "30"),
                                       (_planned("wo-c2", "100", "0", "canceled"), "5")]),
            # a job within its hours (no time logged) whose quantities grew; apart from q-a,
            # since two findings of one rule on the same records are one exception
            _delivery("q-d", True, [(_planned("wo-d1", "10", "1000.00"), None)]),
            {
                # q-d quoted 10 of PRD-1 at 50.00 and 10 of PRD-2 at 20.00
                "quote_line": [
                    {"id": f"qd-l{n}", "native_id": f"QD-L{n}", "quote_native_id": "Q-D",
                     "product_native_id": f"P{n}", "quantity": Decimal(10),
                     "unit_price": Decimal(price), "currency": "GBP"}
                    for n, price in ((1, "50.00"), (2, "20.00"))
                ],
                # delivered 12 of PRD-1: 2 more at 50.00 = 100.00; 11 of PRD-2: 10 %, not
                # beyond; 5 of PRD-3, which the quote does not have
                "work_order_line": [
                    {"id": f"wd-l{n}", "work_order_native_id": "WO-D1",
                     "product_native_id": f"P{n}", "quantity": Decimal(qty)}
                    for n, qty in ((1, 12), (2, 11), (3, 5))
                ],
            },
        ),
    )  # fmt: skip
    assert found == [
        _gbp("1000.00", "30.00 hours logged against 20.00 planned",
             _refs(("crm", "work_order", "WO-C1"))),
        _gbp("200.00", "12.00 hours logged against 10.00 planned",
             _refs(("crm", "quote", "Q-A"), ("crm", "work_order", "WO-A1"))),
        _gbp("100.00", "work order quantities beyond quote Q-D: PRD-1 10.0000 -> 12.0000",
             _refs(("crm", "quote", "Q-D"), ("crm", "work_order", "WO-D1"))),
    ]  # fmt: skip


def test_scope_drift_reads_planned_hours_only_where_they_estimate_effort() -> None:
    # ten completed work orders with time, each logged at twice its plan (the field holds
    # the scheduled window): none within 25 % of plan, fewer than half: no hours finding
    jobs = [
        _delivery(f"wo-{n}", False, [(_planned(f"wo-{n}", "8", "800.00"), "16")]) for n in range(10)
    ]
    assert findings("scope_drift", _merged(*jobs)) == []


# -- unexplained_variance: subject plan_variance ---------------------------------------------


def test_unexplained_variance() -> None:
    def variance(period: dt.date, metric: str, review: dt.date, dimension: str | None = None,
                 member: str | None = None, needs: bool = True,
                 explanation: str | None = None) -> Row:  # fmt: skip
        return {"plan": "FY26", "version": 1, "period_start": period, "metric": metric,
                "dimension": dimension, "member": member, "target": Decimal(100),
                "actual": Decimal(60), "variance": Decimal(-40), "variance_pct": Decimal(-40),
                "threshold_pct": Decimal(10), "review_date": review,
                "needs_explanation": needs, "explanation": explanation}  # fmt: skip

    found = findings(
        "unexplained_variance",
        {
            "campaign": [{"id": "c1", "name": "Spring Push", "currency": "GBP"}],
            "plan_variance": [
                # the campaign's January and December, reviewed 10 Feb and 10 Jan, before
                # 15 Feb: one finding on the campaign (matched by name, case and spaces aside)
                variance(D(2026, 1, 1), "leads", D(2026, 2, 10), "campaign", "SPRING PUSH"),
                variance(D(2025, 12, 1), "leads", D(2026, 1, 10), "campaign", "SPRING PUSH"),
                # a target of no campaign: the plan target itself; blank explanation
                variance(D(2026, 1, 1), "revenue", D(2026, 2, 10), explanation="  "),
                # near misses: reviewed on the as-of date; explained; within threshold
                variance(D(2026, 1, 1), "mqls", AS_OF),
                variance(D(2026, 1, 1), "sqls", D(2026, 2, 10), explanation="late launch"),
                variance(D(2026, 1, 1), "wins", D(2026, 2, 10), needs=False),
            ],
        },
    )  # fmt: skip
    beyond = ": actual 60.00 against target 100.00 (-40.00 %), beyond 10.00 %; review date"
    assert found == [
        {"account_key": None, "amount": None, "currency": None, "amount_at_risk": None,
         "detail": f"FY26 2025-12 leads campaign=SPRING PUSH{beyond} 2026-01-10, no explanation; "
                   f"FY26 2026-01 leads campaign=SPRING PUSH{beyond} 2026-02-10, no explanation",
         "refs": _refs(("crm", "campaign", "C1"))},
        {"account_key": None, "amount": None, "currency": None, "amount_at_risk": None,
         "detail": f"FY26 2026-01 revenue{beyond} 2026-02-10, no explanation",
         "refs": _refs(("tieout", "plan_target", "FY26|2026-01|revenue||"))},
    ]  # fmt: skip


# -- unpriced_change: unpriced changes and unquoted lines of no price ------------------------


def test_unpriced_change() -> None:
    def change(cid: str, wo: str, hours: str, priced: bool | None,
               description: str | None = None) -> Row:  # fmt: skip
        return {"id": cid, "work_order_native_id": wo, "hours_delta": Decimal(hours),
                "priced": priced, "description": description}  # fmt: skip

    def wo_line(lid: str, wo: str, product: str, price: str | None = None) -> Row:
        return {"id": lid, "work_order_native_id": wo, "product_native_id": product,
                "quantity": Decimal(3), "unit_price": None if price is None else Decimal(price),
                "currency": "GBP"}  # fmt: skip

    found = findings(
        "unpriced_change",
        _merged(
            {"xref": CUSTOMERS + PRODUCTS},
            # WO-1 plans 40 hours for 4,000.00: 100.00 an hour
            _delivery("q-1", True, [(_planned("wo-1", "40", "4000.00", "in_progress"), None)]),
            # WO-2 plans no hours: no rate to price a change at
            _delivery("q-2", True, [(_planned("wo-2", "0", "1000.00", "in_progress"), None)]),
            _delivery("q-3", True, [(_planned("wo-3", "10", "1000.00", "canceled"), None)]),
            {
                "work_order_change": [
                    change("ch1", "WO-1", "4", False, "extra site visit"),  # 4 x 100.00 = 400.00
                    change("ch2", "WO-1", "1.5", None),  # priced unknown: 1.5 x 100.00 = 150.00
                    change("ch3", "WO-1", "8", True),  # priced
                    change("ch4", "WO-1", "-2", False),  # hours taken away
                    change("ch5", "WO-2", "4", False),
                ],
                "product": [
                    {"id": f"p{n}", "native_id": f"P{n}", "name": name,
                     "list_price": Decimal(price)}
                    for n, name, price in ((1, "Survey", "90.00"), (2, "Sensor", "120.00"),
                                           (3, "Cable", "10.00"))
                ],
                "quote_line": [{"id": "q1-l1", "native_id": "Q1-L1", "quote_native_id": "Q-1",
                                "product_native_id": "P1", "quantity": Decimal(1),
                                "unit_price": Decimal(90), "currency": "GBP"}],
                "work_order_line": [
                    wo_line("wl1", "WO-1", "P2"),  # not quoted, no price: 3 x 120.00 = 360.00
                    wo_line("wl2", "WO-1", "P1"),  # on the quote
                    wo_line("wl3", "WO-1", "P3", "10.00"),  # priced
                    wo_line("wl4", "WO-1", "P7"),  # a product with no golden key
                    wo_line("wl5", "WO-3", "P2"),  # on a canceled work order
                ],
            },
        ),
    )  # fmt: skip
    assert found == [
        _gbp("400.00", "work order WO-1: 4.00 hours added unpriced (extra site visit)",
             _refs(("crm", "work_order_change", "CH1"), ("crm", "work_order", "WO-1"))),
        _gbp("360.00", "work order WO-1: Sensor x3.0000 is not on quote Q-1 and has no price",
             _refs(("crm", "work_order_line", "WL1"), ("crm", "work_order", "WO-1"),
                   ("crm", "quote", "Q-1"))),
        _gbp("150.00", "work order WO-1: 1.50 hours added unpriced",
             _refs(("crm", "work_order_change", "CH2"), ("crm", "work_order", "WO-1"))),
    ]  # fmt: skip


# -- the loader ------------------------------------------------------------------------------

HEAD = """id: my_rule
title: A rule
description: A test rule.
owner: finance
severity: low
params: {limit: 10}
"""


def _load(body: str) -> RuleModel:
    located = parse_yaml(HEAD + body, "rules/my_rule.yml")
    rule = validate_model(RuleModel, located)
    check_rule(rule, located)
    return rule


def _problem(body: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        _load(body)
    return caught.value


def test_a_condition_loads_and_names_its_parameters() -> None:
    rule = _load("subject: invoice\nwhere: total > :limit\ndetail: invoice_number\n")
    assert "subject.total > :limit" in rule.query


def test_subject_and_sql_both_given() -> None:
    error = _problem(
        "subject: invoice\nwhere: total > 1\ndetail: invoice_number\nsql: SELECT 1 AS account_key\n"
    )
    assert (error.file, error.line, error.key) == ("rules/my_rule.yml", 10, "sql")
    assert "not both" in error.message


def test_neither_subject_nor_sql() -> None:
    error = _problem("detail: invoice_number\n")
    assert (error.file, error.key) == ("rules/my_rule.yml", "subject")
    assert "give a subject" in error.message


def test_unknown_column_in_where() -> None:
    error = _problem("subject: invoice\nwhere: totl > :limit\ndetail: invoice_number\n")
    assert (error.file, error.line, error.key) == ("rules/my_rule.yml", 8, "where")
    assert "totl" in error.message


@pytest.mark.parametrize(
    ("body", "key", "words"),
    [
        ("subject: invoices\nwhere: 'true'\ndetail: \"'x'\"\n", "subject", "did you mean"),
        ("subject: xref\nwhere: 'true'\ndetail: \"'x'\"\n", "subject", "no source records"),
        ("subject: invoice\nwhere: total > :limt\ndetail: \"'x'\"\n", "where", "limt"),
        ("subject: invoice\nwhere: 'true'\n", "detail", "needs detail"),
        ("subject: invoice\nwhere: i.total > 1\ndetail: \"'x'\"\n", "where", "without a table"),
        (
            "subject: invoice\nwhere: total > (SELECT 1 FROM _reconcile_found)\ndetail: \"'x'\"\n",
            "where",
            "not a query",
        ),
        (
            "sql: SELECT account_key, amount, currency, refs, detail FROM _reconcile_found\n",
            "sql",
            "unknown table '_reconcile_found'",
        ),
        (
            "sql: SELECT 1 AS account_key, 1 AS amount, 1 AS currency, 1 AS refs, 1 AS detail "
            "FROM read_csv('/etc/passwd')\n",
            "sql",
            "function read_csv is not allowed",
        ),
        ("sql: SELECT 1 AS a FROM invoice\nwhere: 'true'\n", "where", "goes with subject"),
    ],
)
def test_a_bad_rule_names_its_key(body: str, key: str, words: str) -> None:
    error = _problem(body)
    assert (error.file, error.key) == ("rules/my_rule.yml", key)
    assert error.line is not None
    assert words in error.message, error.message
