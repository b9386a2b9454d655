"""Every CSV the CLI writes is safe to open in a spreadsheet: a cell that starts with
= + - @, a tab or a carriage return gets a leading quote (OWASP), the web's rule; amounts,
negative ones too, stay numbers; JSON is left as it is."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import test_reconcile as books
from support import invoke, write_project
from tieout.reports.cells import safe_cell

FORMULA = '=HYPERLINK("http://evil.example","Contoso")'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A customer whose CRM name is a spreadsheet formula."""
    quoted = '"' + FORMULA.replace('"', '""') + '"'
    root = write_project(
        tmp_path_factory.mktemp("csv"),
        books.YML,
        {
            "Account.csv": books.ACCOUNTS.replace("Contoso GmbH", quoted),
            "WorkOrder.csv": books.WORK_ORDERS,
            "invoices.csv": books.XERO_HEADER + "\n".join(books.XERO_ROWS) + "\n",
            "fx.csv": books.FX,
        },
    )
    code, out = invoke(CliRunner(), "run", "-p", str(root))
    assert code == 0, out
    return root


def _cells(out: str, column: str) -> list[str]:
    return [row[column] for row in csv.DictReader(io.StringIO(out))]


@pytest.mark.parametrize(
    ("command", "column"),
    [
        (("accounts",), "name"),
        (
            ("metrics", "show", "delivered_value", "--by", "customer", "--period", "2026"),
            "customer",
        ),
        (("export", "crosswalk"), "name"),
    ],
)
def test_a_formula_in_the_data_is_quoted_in_csv(
    hostile: Path, command: tuple[str, ...], column: str
) -> None:
    code, out = invoke(CliRunner(), *command, "-p", str(hostile), "-f", "csv")
    assert code == 0, out
    cells = _cells(out, column)
    assert "'" + FORMULA in cells, out
    assert FORMULA not in cells


def test_json_keeps_the_text_and_numbers_stay_numbers(hostile: Path) -> None:
    code, out = invoke(CliRunner(), "accounts", "-p", str(hostile), "-f", "json")
    assert code == 0 and FORMULA in {a["name"] for a in json.loads(out)}
    cells = [safe_cell(v) for v in ("-12.50", -5, "-cmd", "+1", "@SUM(A1)", "\tx", "\rx", "ok")]
    assert cells == ["-12.50", "-5", "'-cmd", "'+1", "'@SUM(A1)", "'\tx", "'\rx", "ok"]
