"""The date and date-time layouts tieout recognises, the day-month order each implies,
and how to name a layout to people (DD/MM/YYYY): the catalogue formats.py decides from."""

from __future__ import annotations

from itertools import product

from tieout.config import DateOrder

# Date layouts, each with the order of its numeric day and month (None when a month name
# or the year first leaves no doubt). Order of this list is the tie-break of last resort.
_DATE_LAYOUTS: tuple[tuple[str, DateOrder | None], ...] = (
    ("%Y-%m-%d", "YMD"),
    ("%Y/%m/%d", "YMD"),
    ("%Y.%m.%d", "YMD"),
    ("%d/%m/%Y", "DMY"),
    ("%m/%d/%Y", "MDY"),
    ("%d-%m-%Y", "DMY"),
    ("%m-%d-%Y", "MDY"),
    ("%d.%m.%Y", "DMY"),
    ("%d/%m/%y", "DMY"),
    ("%m/%d/%y", "MDY"),
    ("%d-%m-%y", "DMY"),
    ("%m-%d-%y", "MDY"),
    ("%d.%m.%y", "DMY"),
    ("%d %b %Y", None),
    ("%d-%b-%Y", None),
    ("%d/%b/%Y", None),
    ("%d-%b-%y", None),
    ("%d/%b/%y", None),
    ("%d %b %y", None),
    ("%d %B %Y", None),
    ("%b %d, %Y", None),
    ("%B %d, %Y", None),
    ("%b %d %Y", None),
)
_TIMES = (
    " %H:%M:%S",
    " %H:%M",
    " %H:%M:%S.%f",
    " %I:%M:%S %p",
    " %I:%M %p",
    " %I:%M:%S%p",
    " %I:%M%p",
    "T%H:%M:%S",
    "T%H:%M:%S.%f",
    "T%H:%M",
)
_ZONES = ("", "Z", "%z", " %z", " %Z")
_ORDER_OF = dict(_DATE_LAYOUTS)

HUMAN = {
    "%Y": "YYYY",
    "%y": "YY",
    "%m": "MM",
    "%d": "DD",
    "%H": "hh",
    "%I": "hh",
    "%M": "mm",
    "%S": "ss",
    "%f": "fff",
    "%b": "Mon",
    "%B": "Month",
    "%p": "AM/PM",
    "%z": "+hh:mm",
    "%Z": "zone",
}


def human(fmt: str) -> str:
    """`%d/%m/%Y %H:%M` as people write it: DD/MM/YYYY hh:mm."""
    for code, word in HUMAN.items():
        fmt = fmt.replace(code, word)
    return fmt


def catalogue() -> list[str]:
    """Every layout tieout recognises in a date or date-time column (a date column may
    carry a time, as Excel writes midnight, and a date-time column may be dates only)."""
    dates = [d for d, _ in _DATE_LAYOUTS]
    return dates + [d + t + z for d, t, z in product(dates, _TIMES, _ZONES)]


def date_part(fmt: str) -> str:
    """The date layout a format starts with (the part whose order can be in doubt)."""
    for layout, _ in sorted(_DATE_LAYOUTS, key=lambda d: -len(d[0])):
        if fmt.startswith(layout) and (len(fmt) == len(layout) or fmt[len(layout)] in " T"):
            return layout
    return fmt


def order_of(fmt: str) -> DateOrder | None:
    return _ORDER_OF.get(date_part(fmt))
