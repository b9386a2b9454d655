"""The match stage's SQL text functions (sql/normalise.sql, sql/references.sql), run
through the real engine on realistic values. Expected values are written out by hand.

Decisions recorded by these tables:
- "W.O. 123" is a work order, like "WO 123" and "W/O 123".
- "Job 123" is a work order; a PO / purchase-order / contract number is the customer's
  and is never returned as a work order, quote or bare reference.
- "Q1".."Q4" next to a year are quarters, not quotes.
- Only a trailing run of legal suffixes is removed ("Acme Ltd Holdings" keeps its "ltd"),
  and only whole words ("Coltd", "Ltdx" stay). A name that is only a suffix normalises to
  '' (callers turn '' into NULL), as does NULL.
- Free-mail and junk values give a NULL domain; a sub-domain is kept as written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tieout.engine import Warehouse
from tieout.match.sqlfiles import load_macros


@pytest.fixture(scope="module")
def wh() -> Iterator[Warehouse]:
    warehouse = Warehouse()
    load_macros(warehouse)
    yield warehouse
    warehouse.close()


def norm(wh: Warehouse, name: str | None) -> Any:
    return wh.scalar("SELECT _match_norm_company(:name)", {"name": name})


def domain(wh: Warehouse, value: str | None) -> Any:
    return wh.scalar("SELECT _match_domain(:value)", {"value": value})


# --- company names ------------------------------------------------------------------


NORM_COMPANY = [
    # legal suffixes, one at a time
    ("Acme Ltd", "acme"),
    ("Acme Limited", "acme"),
    ("ACME LTD.", "acme"),
    ("Acme Ltd.", "acme"),
    ("ACME LIMITED.", "acme"),
    pytest.param(
        "Acme L.T.D.",
        "acme",
    ),
    ("Acme LLC", "acme"),
    ("Acme L.L.C.", "acme"),
    ("Acme L L C", "acme"),
    ("Acme Inc", "acme"),
    ("Acme Inc.", "acme"),
    ("Acme Incorporated", "acme"),
    ("Acme GmbH", "acme"),
    ("ACME GMBH", "acme"),
    ("Acme PLC", "acme"),
    ("acme plc", "acme"),
    ("Acme LLP", "acme"),
    ("Acme L.L.P.", "acme"),
    ("Acme Corp", "acme"),
    ("Acme Corp.", "acme"),
    ("Acme Corporation", "acme"),
    ("Acme Pty", "acme"),
    ("Acme BV", "acme"),
    ("Acme B.V.", "acme"),
    ("Acme AG", "acme"),
    ("Acme SA", "acme"),
    ("Acme S.A.", "acme"),
    ("Acme sa", "acme"),
    ("Acme SAS", "acme"),
    ("Acme S.A.S.", "acme"),
    ("Acme SARL", "acme"),
    ("Acme S.A.R.L.", "acme"),
    ("Acme SL", "acme"),
    ("Acme S.L.", "acme"),
    ("Acme SRL", "acme"),
    ("Acme NV", "acme"),
    ("Acme N.V.", "acme"),
    ("Acme Oy", "acme"),
    ("Acme AB", "acme"),
    ("Acme AS", "acme"),
    pytest.param("Maersk A/S", "maersk"),
    pytest.param("Acme KG", "acme"),
    pytest.param("Acme GmbH & Co. KG", "acme"),
    ("Lloyds Bank plc", "lloyds bank"),
    ("Bank of America Corporation", "bank of america"),
    ("Nestlé S.A.", "nestle"),
    ("Renault S.A.S.", "renault"),
    # stacked suffixes
    ("Foo Holdings Ltd PLC", "foo holdings"),
    ("Foo Holdings Limited Ltd", "foo holdings"),
    ("Acme Pty Ltd", "acme"),
    ("Acme Holdings (Pty) Ltd", "acme holdings"),
    ("Acme Corp Inc", "acme"),
    ("Acme Inc Ltd", "acme"),
    # '&' and 'and'
    ("Smith & Sons Ltd", "smith and sons"),
    ("Smith and Sons Limited", "smith and sons"),
    ("Procter & Gamble", "procter and gamble"),
    ("P&G", "p and g"),
    ("AT&T Inc.", "at and t"),
    ("Marks & Spencer Group plc", "marks and spencer group"),
    ("Fish & Chips Ltd", "fish and chips"),
    # "& Co" / "and Co" at the end: one spelling
    ("Smith & Co", "smith and company"),
    ("Smith and Co", "smith and company"),
    ("Smith & Co.", "smith and company"),
    ("Smith&Co", "smith and company"),
    ("Smith &Co", "smith and company"),
    ("Smith & Co Ltd", "smith and company"),
    ("Smith and Co. Limited", "smith and company"),
    ("Smith & Company", "smith and company"),
    ("Smith and Company Ltd", "smith and company"),
    ("ACME & CO. LTD.", "acme and company"),
    ("& Co", "and company"),
    # punctuation
    ("Acme, Ltd.", "acme"),
    ("Acme Ltd,", "acme"),
    ("Acme – Ltd", "acme"),
    ("Acme.com Ltd", "acme com"),
    ("Acme + Partners", "acme partners"),
    ("Acme @ Home", "acme home"),
    ("No. 1 Acme Ltd", "no 1 acme"),
    ("3M", "3m"),
    ("Acme 2000 Ltd", "acme 2000"),
    # case
    ("ACME LTD", "acme"),
    ("acme ltd", "acme"),
    ("AcMe LtD", "acme"),
    # a leading "The" goes; "The" elsewhere, and words starting "the", stay
    ("The Acme Company", "acme company"),
    ("THE ACME LTD", "acme"),
    ("the acme ltd", "acme"),
    ("Bank of The West", "bank of the west"),
    ("Over The Top Ltd", "over the top"),
    ("Thermo Fisher", "thermo fisher"),
    ("Theodore Ltd", "theodore"),
    ("The Theatre Co-op", "theatre co op"),
    ("Theatre Co-op", "theatre co op"),
    # accents
    ("Société Générale SA", "societe generale"),
    ("Müller GmbH", "muller"),
    ("Café Nero Ltd", "cafe nero"),
    ("Ångström Labs AB", "angstrom labs"),
    pytest.param("Ørsted", "orsted"),
    pytest.param("Ørsted A/S", "orsted"),
    pytest.param("Straße Bau GmbH", "strasse bau"),
    pytest.param("Łódź Logistics", "lodz logistics"),
    pytest.param("Ærø Shipping", "aero shipping"),
    # whitespace
    ("  Acme    Ltd  ", "acme"),
    ("Acme\tLtd", "acme"),
    ("Acme\nLtd", "acme"),
    ("Acme\u00a0Ltd", "acme"),
    # parentheses and hyphens
    ("Harbour Foods (Leeds) Ltd", "harbour foods leeds"),
    ("Harbour Foods Leeds Limited", "harbour foods leeds"),
    ("Acme (UK) Ltd", "acme uk"),
    ("Rolls-Royce plc", "rolls royce"),
    ("Rolls Royce PLC", "rolls royce"),
    ("Coca-Cola Europacific Partners plc", "coca cola europacific partners"),
    # words that merely contain a suffix, or a suffix that is not at the end
    ("Coltd Engineering", "coltd engineering"),
    ("Ltdx", "ltdx"),
    ("Acme Ltdx", "acme ltdx"),
    ("Acme Coltd", "acme coltd"),
    ("Agile Ltd", "agile"),
    ("Plcs Direct", "plcs direct"),
    ("SAS Institute Inc.", "sas institute"),
    ("Casa", "casa"),
    ("Visa", "visa"),
    ("Incorporated Society of Musicians", "incorporated society of musicians"),
    ("Limited Editions Ltd", "limited editions"),
    ("Acme Ltd Holdings", "acme ltd holdings"),
    ("Acme Co-operative", "acme co operative"),
    # names that are only a suffix (or nothing)
    ("Ltd", ""),
    ("Ltd.", ""),
    ("Limited", ""),
    ("PLC", ""),
    ("Inc", ""),
    ("The", ""),
    ("The Ltd", ""),
    ("", ""),
    (None, ""),
]


@pytest.mark.parametrize(("name", "expected"), NORM_COMPANY)
def test_norm_company(wh: Warehouse, name: str | None, expected: str) -> None:
    assert norm(wh, name) == expected


SAME_COMPANY = [
    ("Acme Ltd", "ACME LIMITED"),
    ("Acme Ltd", "Acme Inc."),
    ("Smith & Sons Ltd", "Smith and Sons Limited"),
    ("Smith & Co", "Smith and Company Ltd"),
    ("Smith and Co.", "Smith & Co Ltd"),
    ("Société Générale SA", "SOCIETE GENERALE S.A."),
    ("The Acme Company Ltd", "Acme Company"),
    ("O'Brien Ltd", "O’Brien Limited"),
    ("Harbour Foods (Leeds) Ltd", "Harbour Foods Leeds Limited"),
    ("Rolls-Royce plc", "Rolls Royce PLC"),
    ("Marks & Spencer Group plc", "Marks and Spencer Group PLC"),
    ("Café Nero Ltd", "Cafe Nero Limited"),
    ("Procter & Gamble", "Procter and Gamble"),
    ("  Acme    Ltd  ", "acme"),
    pytest.param(
        "Sainsbury's Supermarkets Ltd",
        "Sainsburys Supermarkets Ltd",
    ),
    pytest.param(
        "A.B. Smith Ltd",
        "AB Smith Ltd",
    ),
    pytest.param(
        "Acme Co Ltd",
        "Acme Company Limited",
    ),
    pytest.param(
        "Smith & Co (Leeds) Ltd",
        "Smith & Company (Leeds) Ltd",
    ),
]


@pytest.mark.parametrize(("a", "b"), SAME_COMPANY)
def test_same_company_normalises_alike(wh: Warehouse, a: str, b: str) -> None:
    assert norm(wh, a) == norm(wh, b)


DIFFERENT_COMPANY = [
    ("Acme Holdings Ltd", "Acme Facilities Ltd"),
    ("Harbour Foods (Leeds) Ltd", "Harbour Foods (Bristol) Ltd"),
    ("Acme (UK) Ltd", "Acme (Ireland) Ltd"),
    ("Smith & Sons Ltd", "Smith & Daughters Ltd"),
    ("Acme Ltd", "Acme Ltdx"),
    ("Coltd Engineering", "Engineering Ltd"),
    ("Bank of the West", "Bank West"),
    ("Theatre Co-op", "Theatre Company"),
    pytest.param("Øresund Ltd", "Resund Ltd"),
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT_COMPANY)
def test_different_companies_stay_apart(wh: Warehouse, a: str, b: str) -> None:
    assert norm(wh, a) != norm(wh, b)


# --- domains -------------------------------------------------------------------------


DOMAIN = [
    # websites
    ("acme.co.uk", "acme.co.uk"),
    ("Acme.co.uk", "acme.co.uk"),
    ("ACME.CO.UK", "acme.co.uk"),
    ("www.acme.co.uk", "acme.co.uk"),
    ("  www.acme.co.uk  ", "acme.co.uk"),
    ("http://www.acme.co.uk", "acme.co.uk"),
    ("https://www.acme.co.uk/", "acme.co.uk"),
    ("acme.co.uk/", "acme.co.uk"),
    ("https://acme.co.uk/contact-us", "acme.co.uk"),
    ("https://www.harbour-foods.co.uk/about/team", "harbour-foods.co.uk"),
    ("https://acme.co.uk:8443/path", "acme.co.uk"),
    ("acme.co.uk:8080", "acme.co.uk"),
    ("https://acme.co.uk?utm_source=x", "acme.co.uk"),
    ("https://acme.co.uk/?q=1#top", "acme.co.uk"),
    ("acme.co.uk#top", "acme.co.uk"),
    ("http://shop.acme.co.uk/", "shop.acme.co.uk"),
    ("ftp://files.acme.com", "files.acme.com"),
    pytest.param("HTTPS://WWW.ACME.CO.UK/About", "acme.co.uk"),
    pytest.param("Http://acme.com", "acme.com"),
    pytest.param("WWW.ACME.CO.UK", "acme.co.uk"),
    pytest.param("Www.Acme.com", "acme.com"),
    # e-mail addresses
    ("jane.doe@acme.co.uk", "acme.co.uk"),
    ("Jane.Doe@ACME.CO.UK", "acme.co.uk"),
    ("  accounts@acme.com ", "acme.com"),
    ("mailto:jane@acme.co.uk", "acme.co.uk"),
    ("accounts@harbour-foods.co.uk", "harbour-foods.co.uk"),
    pytest.param(
        "Jane Doe <jane@acme.co.uk>",
        "acme.co.uk",
    ),
    # free mail
    ("jane@gmail.com", None),
    ("jane@GMAIL.COM", None),
    ("jane@googlemail.com", None),
    ("j@outlook.com", None),
    ("j@hotmail.com", None),
    ("j@hotmail.co.uk", None),
    ("j@yahoo.com", None),
    ("j@yahoo.co.uk", None),
    ("j@icloud.com", None),
    ("j@btinternet.com", None),
    ("j@sky.com", None),
    ("j@virginmedia.com", None),
    ("gmail.com", None),
    ("www.gmail.com", None),
    pytest.param("j@live.co.uk", None),
    pytest.param("j@msn.com", None),
    pytest.param("j@aol.co.uk", None),
    pytest.param("j@ymail.com", None),
    pytest.param("j@hotmail.fr", None),
    pytest.param("j@talktalk.net", None),
    pytest.param("j@proton.me", None),
    # junk
    ("n/a", None),
    ("N/A", None),
    ("-", None),
    ("", None),
    (None, None),
    ("acme", None),
    ("none", None),
    ("TBC", None),
    ("www.", None),
    ("http://", None),
    ("http://localhost", None),
]


@pytest.mark.parametrize(("value", "expected"), DOMAIN)
def test_domain(wh: Warehouse, value: str | None, expected: str | None) -> None:
    assert domain(wh, value) == expected


# --- work-order, quote, bare and invoice references ---------------------------------

NONE: list[int] = []

# (text, work orders, quotes, bare padded numbers, invoice numbers)
REFS = [
    # work orders
    ("WO-00123", [123], NONE, NONE, []),
    ("WO00123", [123], NONE, NONE, []),
    ("wo 123", [123], NONE, NONE, []),
    ("wo-00123", [123], NONE, NONE, []),
    ("Wo 12", [12], NONE, NONE, []),
    ("W/O #123", [123], NONE, NONE, []),
    ("W/O12", [12], NONE, NONE, []),
    ("WO#123", [123], NONE, NONE, []),
    ("WO: 123", [123], NONE, NONE, []),
    ("WO No. 123", [123], NONE, NONE, []),
    pytest.param("W.O. 123", [123], NONE, NONE, []),
    pytest.param("W.O.123", [123], NONE, NONE, []),
    ("Work order 123", [123], NONE, NONE, []),
    ("Work Order: 123", [123], NONE, NONE, []),
    ("Work order number 123", [123], NONE, NONE, []),
    pytest.param(
        "work-order no. 123",
        [123],
        NONE,
        NONE,
        [],
    ),
    ("Work Order WO-00123", [123], NONE, NONE, []),
    ("Job 123", [123], NONE, NONE, []),
    ("JOB-00123", [123], NONE, NONE, []),
    ("job no 123", [123], NONE, NONE, []),
    ("Job No: 00012", [12], NONE, NONE, []),
    ("Job WO-00123", [123], NONE, NONE, []),
    # the customer's purchase order is never ours
    ("Job #123 / PO 4471", [123], NONE, NONE, []),
    ("PO 4471 Job 123", [123], NONE, NONE, []),
    ("Your PO 4471, our WO-00123", [123], NONE, NONE, []),
    ("Job #123 / PO 4471 / Q-45", [123], [45], NONE, []),
    ("Q-00045 / WO-00123 / PO 4471 / INV-0012", [123], [45], NONE, ["INV-0012"]),
    ("PO 4471", NONE, NONE, NONE, []),
    ("P.O. 4471", NONE, NONE, NONE, []),
    ("PO#4471", NONE, NONE, NONE, []),
    ("PO-4471", NONE, NONE, NONE, []),
    ("PO4471", NONE, NONE, NONE, []),
    ("Purchase order 4471", NONE, NONE, NONE, []),
    ("Purchase Order No. 4471", NONE, NONE, NONE, []),
    ("PO# 00004471", NONE, NONE, NONE, []),
    ("P.O. 00004471", NONE, NONE, NONE, []),
    ("Purchase order 00004471", NONE, NONE, NONE, []),
    # contracts and milestones are not job references
    ("Contract 00000132", NONE, NONE, NONE, []),
    ("Contract No. 00000132", NONE, NONE, NONE, []),
    ("Contract 132", NONE, NONE, NONE, []),
    ("MS-2025-09", NONE, NONE, NONE, []),
    ("MS-2025-0009", NONE, NONE, NONE, []),
    ("MS-2025-09 WO-12", [12], NONE, NONE, []),
    # quotes
    ("Q-00045", NONE, [45], NONE, []),
    ("q-45", NONE, [45], NONE, []),
    ("Q45", NONE, [45], NONE, []),
    ("Q.45", NONE, [45], NONE, []),
    ("Q #45", NONE, [45], NONE, []),
    ("Quote 45", NONE, [45], NONE, []),
    ("quote no. 45", NONE, [45], NONE, []),
    ("Quotation #45", NONE, [45], NONE, []),
    ("QT-45", NONE, [45], NONE, []),
    ("Qt 45", NONE, [45], NONE, []),
    ("Quote Q-00045", NONE, [45], NONE, []),
    ("Q-00045 accepted", NONE, [45], NONE, []),
    ("Rev 2 of Quote 45", NONE, [45], NONE, []),
    # bare zero-padded numbers
    ("00001234", NONE, NONE, [1234], []),
    ("Ref: 00001921", NONE, NONE, [1921], []),
    ("Ref 00001921 and Q-12", NONE, [12], [1921], []),
    ("Order 00001234", NONE, NONE, [1234], []),
    ("12345", NONE, NONE, NONE, []),
    ("0123", NONE, NONE, NONE, []),
    ("Phone 07700900123", NONE, NONE, NONE, []),
    pytest.param(
        "Tel 01132 496000",
        NONE,
        NONE,
        NONE,
        [],
    ),
    # invoice numbers
    ("INV-0012", NONE, NONE, NONE, ["INV-0012"]),
    ("inv-0012", NONE, NONE, NONE, ["INV-0012"]),
    ("Invoice INV-0012", NONE, NONE, NONE, ["INV-0012"]),
    ("Invoice no. INV-0012", NONE, NONE, NONE, ["INV-0012"]),
    ("INV-0012-A", NONE, NONE, NONE, ["INV-0012"]),
    ("Credit for INV-0042 (WO-00012)", [12], NONE, NONE, ["INV-0042"]),
    ("Credit note against INV-0042 and INV-0043", NONE, NONE, NONE, ["INV-0042", "INV-0043"]),
    ("INV-0043 INV-0042 INV-0041", NONE, NONE, NONE, ["INV-0041", "INV-0042", "INV-0043"]),
    ("Inventory 12", NONE, NONE, NONE, []),
    # words that contain wo / q / job are not prefixes
    ("Woodwork 12", NONE, NONE, NONE, []),
    ("Wolseley 12", NONE, NONE, NONE, []),
    ("Swo 12", NONE, NONE, NONE, []),
    ("WOW 12", NONE, NONE, NONE, []),
    ("Two 45", NONE, NONE, NONE, []),
    ("Two-45", NONE, NONE, NONE, []),
    ("Quarterly 2025", NONE, NONE, NONE, []),
    ("Qty 12", NONE, NONE, NONE, []),
    ("Qtr 3 2025", NONE, NONE, NONE, []),
    ("Equipment 12", NONE, NONE, NONE, []),
    ("Network 12", NONE, NONE, NONE, []),
    ("Request 12", NONE, NONE, NONE, []),
    ("Jobsheet 12", NONE, NONE, NONE, []),
    ("Jobbing 12", NONE, NONE, NONE, []),
    ("Postcode LS1 4AP", NONE, NONE, NONE, []),
    ("Woking WO-12", [12], NONE, NONE, []),
    ("Woodwork 12, WO-13", [13], NONE, NONE, []),
    pytest.param("Q3 2025 retainer", NONE, NONE, NONE, []),
    pytest.param("Q1 2025 services", NONE, NONE, NONE, []),
    pytest.param("FY2025 Q2", NONE, NONE, NONE, []),
    pytest.param("Q3 2025 WO-12", [12], NONE, NONE, []),
    # position and punctuation
    ("(WO-123)", [123], NONE, NONE, []),
    ("[WO-00123]", [123], NONE, NONE, []),
    ("WO-123.", [123], NONE, NONE, []),
    ("Project: WO-00123 - Boiler service", [123], NONE, NONE, []),
    ("Boiler service (WO-00123)", [123], NONE, NONE, []),
    ("Call-out WO-00123 2025-01-01", [123], NONE, NONE, []),
    ("Visit 2025-03-14 WO-77", [77], NONE, NONE, []),
    ("Hours 7.5 for WO-99", [99], NONE, NONE, []),
    ("WO-00123-01", [123], NONE, NONE, []),
    ("WO-12345678", [12345678], NONE, NONE, []),
    ("WO-123456789", NONE, NONE, NONE, []),  # more than 8 digits is not one of ours
    # several references in one text: distinct and sorted
    ("WO-00123, WO-00124 and WO-00125", [123, 124, 125], NONE, NONE, []),
    ("WO-00125, WO-00123, WO-00125", [123, 125], NONE, NONE, []),
    ("WO-1, WO-2", [1, 2], NONE, NONE, []),
    ("WO-123 & Q-45", [123], [45], NONE, []),
    ("Q-45: WO-123", [123], [45], NONE, []),
    ("WO-00123;Q-00045", [123], [45], NONE, []),
    ("00001234, 00001235", NONE, NONE, [1234, 1235], []),
    pytest.param("WO-1 WO-2", [1, 2], NONE, NONE, []),
    pytest.param("WO-1,WO-2", [1, 2], NONE, NONE, []),
    pytest.param("WO-00123/WO-00124", [123, 124], NONE, NONE, []),
    pytest.param("WO-00125 WO-00123 WO-00125", [123, 125], NONE, NONE, []),
    pytest.param(
        "Jobs WO-00123 WO-00124 WO-00125 WO-00126",
        [123, 124, 125, 126],
        NONE,
        NONE,
        [],
    ),
    pytest.param("Q-1 Q-2", NONE, [1, 2], NONE, []),
    pytest.param("00001234 00001235", NONE, NONE, [1234, 1235], []),
    pytest.param("Reference 00001234/00001235", NONE, NONE, [1234, 1235], []),
    # nothing
    ("", NONE, NONE, NONE, []),
    (None, NONE, NONE, NONE, []),
]


@pytest.mark.parametrize(("text", "wo", "quote", "bare", "invoice"), REFS)
def test_references(
    wh: Warehouse,
    text: str | None,
    wo: list[int],
    quote: list[int],
    bare: list[int],
    invoice: list[str],
) -> None:
    got = wh.query(
        "SELECT _match_wo_refs(:text), _match_quote_refs(:text), _match_bare_refs(:text), "
        "_match_invoice_refs(:text)",
        {"text": text},
    )[0]
    # invoice refs are compared as a set here; their order is test_invoice_refs_sorted's
    assert (got[0], got[1], got[2], sorted(got[3])) == (wo, quote, bare, invoice)


def test_invoice_refs_sorted(wh: Warehouse) -> None:
    got = wh.scalar(
        "SELECT _match_invoice_refs(:text)", {"text": "Credit note against INV-0042 and INV-0043"}
    )
    assert got == ["INV-0042", "INV-0043"]


def test_invoice_ref_hyphen_optional(wh: Warehouse) -> None:
    def refs(text: str) -> Any:
        return wh.scalar("SELECT _match_invoice_refs(:text)", {"text": text})

    assert refs("Credit INV0042") == refs("Credit INV-0042")


def test_ref_lists_are_bigint_lists(wh: Warehouse) -> None:
    types = wh.query(
        "SELECT typeof(_match_wo_refs('WO-1')), typeof(_match_quote_refs('Q-1')), "
        "typeof(_match_bare_refs('00001234')), typeof(_match_invoice_refs('INV-1'))"
    )[0]
    assert types == ("BIGINT[]", "BIGINT[]", "BIGINT[]", "VARCHAR[]")
