"""The board pack shows the same figures as the CLI and the app: a tiny book whose revenue
is worked out by hand, in PDF, XLSX and HTML."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from support import invoke, write_project
from tieout import pipeline
from tieout.config import load_project
from tieout.serve import create_app
from tieout.state.users import add_user
from web_project import PASSWORD, log_in

YML = """
name: board
as_of: 2026-10-31
sources:
  - {name: crm, path: Account.csv, preset: salesforce.account}
  - {name: xero, path: invoices.csv, preset: xero.invoices}
"""
HEADER = (
    "ContactName,InvoiceNumber,Reference,InvoiceDate,Total,InventoryItemCode,Description,"
    "Quantity,UnitAmount,Discount,Currency,Type,Status\n"
)
# September: INV-1, 2 x 100.00 = 200.00; October: INV-2, 3 x 150.00 = 450.00 (no tax lines)
FILES = {
    "Account.csv": "Id,Name\n001Dn000004AAAaIAK,Acme Ltd\n",
    "invoices.csv": HEADER
    + "Acme Ltd,INV-1,,15/09/2026,200.00,DEV,Development,2,100.00,,GBP,Sales invoice,Paid\n"
    + "Acme Ltd,INV-2,,12/10/2026,450.00,DEV,Development,3,150.00,,GBP,Sales invoice,Authorised\n",
}


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("board"), YML, FILES)
    code, out = invoke(CliRunner(), "run", "-p", str(root))
    assert code == 0, out
    return root


def _cli_total(root: Path, metric: str) -> tuple[Decimal | None, Decimal | None]:
    code, out = invoke(
        CliRunner(),
        "metrics",
        "show",
        metric,
        "--period",
        "2026-10",
        "--compare",
        "previous",
        "-p",
        str(root),
        "-f",
        "json",
    )
    assert code == 0, out
    d = json.loads(out)

    def value(key: str) -> Decimal | None:
        return None if d[key] is None else Decimal(d[key])

    return value("total"), value("total_compared")


def _board(book: Path, fmt: str, dest: Path) -> None:
    """`tieout report board --period 2026-10` in `fmt`, written to `dest`."""
    code, out = invoke(
        CliRunner(), "report", "board", "--period", "2026-10", "-f", fmt, "--out", str(dest),
        "-p", str(book),
    )  # fmt: skip
    assert code == 0, out


def _headlines(book: Path, folder: Path) -> list[tuple[Any, ...]]:
    """The rows of the XLSX pack's Headlines sheet, below its header."""
    _board(book, "xlsx", folder / "board.xlsx")
    sheet = openpyxl.load_workbook(folder / "board.xlsx")["Headlines"]
    return list(sheet.iter_rows(min_row=2, values_only=True))


def test_board_pack_figures_equal_the_cli(book: Path, tmp_path: Path) -> None:
    rows = {r[0]: (r[2], r[3]) for r in _headlines(book, tmp_path)}
    assert rows["Revenue"] == (Decimal("450.00"), Decimal("200.00"))  # by hand, see FILES
    for title, metric in (("Revenue", "revenue"), ("Margin", "margin"), ("Quoted", "quoted_value")):
        now, before = rows[title]
        expected = _cli_total(book, metric)
        assert (
            None if now is None else Decimal(str(now)),
            None if before is None else Decimal(str(before)),
        ) == expected, title


def test_board_pack_as_pdf_and_html(book: Path, tmp_path: Path) -> None:
    pdf, html = tmp_path / "board.pdf", tmp_path / "board.html"
    for fmt, dest in (("pdf", pdf), ("html", html)):
        _board(book, fmt, dest)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = html.read_text(encoding="utf-8")
    assert "Board pack, 2026-10" in text and "450.00" in text and "200.00" in text
    assert "<svg" in text  # the margin bridge, drawn offline


def test_board_pack_figures_equal_the_app(book: Path, tmp_path: Path) -> None:
    """The app's overview cards and metric API show the board pack's October figures."""
    board = {r[0]: r[2] for r in _headlines(book, tmp_path)}
    store = pipeline.state_store(load_project(book))
    add_user(store, "cfo", "leadership", PASSWORD, None)
    store.close()
    with TestClient(create_app(load_project(book))) as client:
        log_in(client, "cfo")
        overview = client.get("/").text
        for title, metric in (("Revenue", "revenue"), ("Margin", "margin")):
            figure = Decimal(str(board[title]))
            card = overview.split(f'id="card-{metric}"')[1].split("</a>")[0]
            assert f"GBP {figure:,.2f}" in card, title
            api = client.get(f"/api/v1/metrics/{metric}?by=customer&period=2026-10").json()
            assert Decimal(api["total"]) == figure, title
    assert Decimal(str(board["Revenue"])) == Decimal("450.00")  # by hand, see FILES
