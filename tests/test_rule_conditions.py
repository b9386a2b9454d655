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
        marks = ", ".join("?" for _ in row)
        wh.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values()))


def findings(rule_id: str, tables: dict[str, list[Row]]) -> list[Row]:
    """The rule's exceptions over `tables` (and Acme's keys), largest amount first."""
    rule, located = builtin_rules()[rule_id]
    with Warehouse() as wh:
        for table in TABLES:
            wh.create_model_table(table)
        for name, rows in {"xref": CUSTOMERS, **tables}.items():
            _insert(wh, name, rows)
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
        {"account_key": "CUS-A", "amount": Decimal("5000.00"), "currency": "GBP",
         "amount_at_risk": Decimal("5000.00"),
         "detail": "work order WO-1 completed 2026-01-20, not invoiced",
         "refs": _refs(("crm", "work_order", "WO-1"))},
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
        {"account_key": "CUS-A", "amount": Decimal("900.00"), "currency": "GBP",
         "amount_at_risk": Decimal("900.00"),
         "detail": "invoice INV-1 of 2026-01-05 bills no work order",
         "refs": _refs(("xero", "invoice", "INV-1"))},
        {"account_key": None, "amount": Decimal("400.00"), "currency": "GBP",
         "amount_at_risk": Decimal("400.00"),
         "detail": "invoice INV-2 of 2025-06-01 bills no work order",
         "refs": _refs(("xero", "invoice", "INV-2"))},
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
        {"account_key": "CUS-A", "amount": Decimal("35.00"), "currency": "GBP",
         "amount_at_risk": Decimal("35.00"),
         "detail": "margin 11.1% on revenue 900.00 and time cost 800.00",
         "refs": _refs(("crm", "quote", "Q-A"), ("crm", "work_order", "WO-A1"),
                       ("crm", "work_order", "WO-A2"))},
    ]  # fmt: skip


# -- the rules that stay whole queries (sql:), on their tables ------------------------------


def _ticket(ticket_id: str, opened: dt.date, **sla: Any) -> tuple[Row, Row]:
    """A Zendesk ticket of Acme and its SLA clock (ticket_sla, as operations builds it)."""
    ticket = {
        "id": ticket_id,
        "source_system": "zendesk",
        "native_id": ticket_id.upper(),
        "ticket_number": ticket_id.upper(),
        "opened_at": T(*opened.timetuple()[:3], 9),
    }
    clock = {"ticket_id": ticket_id, "account_key": "CUS-A", "opened_at": ticket["opened_at"],
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
    monday = D(2026, 3, 2)
    found = findings(
        "capacity_risk",
        {
            "work_order": [  # both start in the week of 2 March; only wo-1 is not started
                {**_work_order("wo-1", "scheduled", None, "3000.00"),
                 "start_date": T(2026, 3, 3, 9)},
                {**_work_order("wo-2", "in_progress", None, "2000.00"),
                 "start_date": T(2026, 3, 3, 9)},
                # scheduled in a week with room
                {**_work_order("wo-3", "scheduled", None, "1000.00"),
                 "start_date": T(2026, 3, 10, 9)},
            ],
            "work_order_demand": [
                {"work_order_id": "wo-1", "team": "Field", "start_week": monday},
                {"work_order_id": "wo-2", "team": "Field", "start_week": monday},
                {"work_order_id": "wo-3", "team": "Field", "start_week": D(2026, 3, 9)},
            ],
            "team_week": [
                {"team": "Field", "week_start": monday, "available_hours": Decimal(80),
                 "demand_hours": Decimal(120), "over_committed": True},
                {"team": "Field", "week_start": D(2026, 3, 9), "available_hours": Decimal(80),
                 "demand_hours": Decimal(40), "over_committed": False},
            ],
        },
    )  # fmt: skip
    assert found == [
        {"account_key": "CUS-A", "amount": Decimal("3000.00"), "currency": "GBP",
         "amount_at_risk": Decimal("3000.00"),
         "detail": "work order WO-1 starts 2026-03-03: Field has 80.00 h for 120.00 h of "
                   "demand that week",
         "refs": _refs(("crm", "work_order", "WO-1"))},
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
        {"account_key": None, "amount": Decimal("2500.00"), "currency": "GBP",
         "amount_at_risk": Decimal("2500.00"),
         "detail": "campaign C1 started 2025-10-01 and spent 2500.00 GBP with no conversion "
                   "committed: no plan commitment, no expected response or revenue in the CRM",
         "refs": _refs(("crm", "campaign", "C1"))},
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
        {"account_key": "CUS-A", "amount": Decimal("15.00"), "currency": "GBP",
         "amount_at_risk": Decimal("15.00"),
         "detail": "INV-1: invoiced at 105.0000, quoted at 100.0000",
         "refs": _refs(("xero", "invoice_line", "L1"), ("crm", "quote_line", "QL1"))},
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
