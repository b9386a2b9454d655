"""The demo firm's catalogue: services sold by the day or hour and fixed-price packages,
with prices per currency and the Harvest task each is logged under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

PRICE_FACTOR: Final = (1.0, 1.16, 1.27)  # price book uplift for EUR and USD price lists


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    family: str
    unit: str  # day / hour / package / month
    hours: float  # delivery hours per unit (0 for recurring fees)
    price: int  # GBP list price, whole pounds
    cost: int  # GBP standard cost per unit, whole pounds
    task: str  # the Harvest task its work is logged under
    account: str  # Xero revenue account code
    active: bool = True
    quotable: bool = True  # offered on project quotes


# code|name|family|unit|hours per unit|GBP price|GBP cost|Harvest task|account|flags
# flags: q = offered on project quotes, x = retired product
_PRODUCT_TABLE: Final = """
PS-CONS-D|Consultant - day rate|PS|day|7.5|950|420|Consulting|200|q
PS-SCON-D|Senior Consultant - day rate|PS|day|7.5|1250|520|Consulting|200|q
PS-ARCH-D|Solution Architect - day rate|PS|day|7.5|1400|560|Architecture|200|q
PS-DEV-D|Developer - day rate|PS|day|7.5|850|360|Development|200|q
PS-SDEV-D|Senior Developer - day rate|PS|day|7.5|1050|430|Development|200|q
PS-DES-D|Designer - day rate|PS|day|7.5|800|320|Design|200|q
PS-PM-D|Project Manager - day rate|PS|day|7.5|900|380|Project Mgmt|200|q
PS-DATA-D|Data Engineer - day rate|PS|day|7.5|1000|420|Development|200|q
PS-BA-D|Business Analyst - day rate|PS|day|7.5|850|350|Analysis|200|q
SUP-HR|Technical support - per hour|SUP|hour|1|95|40|Support|200|q
CONS-HR|Ad-hoc consulting - per hour|PS|hour|1|150|60|Consulting|200|q
ENG-HR|On-site engineer - per hour|SUP|hour|1|110|48|Support|200|q
PKG-AUDIT|Website audit (fixed price)|FIX|package|30|4500|1350|Consulting|200|q
PKG-DISC|Discovery workshop (fixed price)|FIX|package|22.5|3200|1000|Consulting|200|q
PKG-SEC|Security review (fixed price)|FIX|package|45|6800|2000|Consulting|200|q
PKG-MIG|Data migration package|FIX|package|90|12500|4000|Development|200|q
PKG-CRM|CRM implementation starter|FIX|package|120|18000|5400|Development|200|q
PKG-ONB|Onboarding package|FIX|package|15|2400|700|Project Mgmt|200|q
PKG-HC|Platform health check|FIX|package|12|1900|560|Support|200|q
PKG-A11Y|Accessibility audit (fixed price)|FIX|package|26|3900|1200|Design|200|q
TRN-DAY|Training course - per day|TRN|day|7.5|1400|380|Training|220|q
TRN-WS|Half-day workshop|TRN|package|3.75|750|190|Training|220|q
CR-HR|Change request - per hour|PS|hour|1|135|55|Development|200|
MS-BRZ|Managed service - Bronze (monthly)|MS|month|0|1500|600|Support|210|
MS-SLV|Managed service - Silver (monthly)|MS|month|0|3200|1250|Support|210|
MS-GLD|Managed service - Gold (monthly)|MS|month|0|6500|2500|Support|210|
RET-SUP|Support retainer (monthly)|SUP|month|0|2000|800|Support|210|
LEG-BLK10|Support block - 10 hours (legacy)|SUP|package|10|900|400|Support|200|x
LEG-HOST|Website hosting (legacy)|MS|month|0|60|25|Support|210|x
"""
_FAMILIES: Final = {"PS": "Professional Services", "SUP": "Support", "FIX": "Fixed Price",
                    "TRN": "Training", "MS": "Managed Services"}  # fmt: skip


def table_rows(table: str) -> list[list[str]]:
    return [[f.strip() for f in line.split("|")] for line in table.strip().splitlines()]


PRODUCTS: Final = tuple(
    Product(code, name, _FAMILIES[fam], unit, float(hours), int(price), int(cost),
            task.replace("Mgmt", "Management"), account, "x" not in flags, "q" in flags)
    for code, name, fam, unit, hours, price, cost, task, account, flags
    in table_rows(_PRODUCT_TABLE)
)  # fmt: skip
PRODUCT_INDEX: Final = {p.code: i for i, p in enumerate(PRODUCTS)}


def price_in(product: Product, currency: int) -> int:
    """List price in whole units of the customer's currency (EUR/USD price books round to 5)."""
    if currency == 0:
        return product.price
    return int(round(product.price * PRICE_FACTOR[currency] / 5) * 5)


# list price per product (row) and currency index (column)
LIST_PRICE: Final = np.asarray(
    [[price_in(p, c) for c in range(3)] for p in PRODUCTS], dtype=np.int64
)
