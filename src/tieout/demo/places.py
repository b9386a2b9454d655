"""Where the demo's customers are: cities with their postcode and phone formats, currency,
web domain and legal forms, and the streets their addresses use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa

from tieout.demo import names
from tieout.demo.catalogue import table_rows
from tieout.demo.fmt import IntArray, fixed_text


@dataclass(frozen=True)
class Place:
    country: str
    city: str
    region: str
    postcode: str  # template: A = area letters given, 9 = digit, L = letter
    phone: str
    currency: int
    tld: str
    suffixes: tuple[str, ...]
    street_first: bool = False  # continental style: "Hauptstraße 12"


# country|city|region|postcode template (9 digit, L letter)|phone stem|currency|tld|
# legal forms|street style (c = continental: "Hauptstraße 12")
_PLACE_TABLE: Final = """
United Kingdom|London|Greater London|EC1A 9LL|+44 20 7946 0|0|.co.uk|Ltd Limited|
United Kingdom|London|Greater London|SE1 9LL|+44 20 7946 0|0|.co.uk|Ltd Limited PLC|
United Kingdom|Manchester|Greater Manchester|M1 9LL|+44 161 496 0|0|.co.uk|Ltd Limited|
United Kingdom|Leeds|West Yorkshire|LS1 9LL|+44 113 496 0|0|.co.uk|Ltd Limited|
United Kingdom|Bristol|City of Bristol|BS1 9LL|+44 117 496 0|0|.co.uk|Ltd Limited LLP|
United Kingdom|Birmingham|West Midlands|B3 9LL|+44 121 496 0|0|.co.uk|Ltd Limited|
United Kingdom|Glasgow|Glasgow City|G2 9LL|+44 141 496 0|0|.co.uk|Ltd Limited|
United Kingdom|Edinburgh|City of Edinburgh|EH3 9LL|+44 131 496 0|0|.co.uk|Ltd Limited|
United Kingdom|Cardiff|South Glamorgan|CF10 9LL|+44 29 2018 0|0|.co.uk|Ltd Limited|
United Kingdom|Newcastle upon Tyne|Tyne and Wear|NE1 9LL|+44 191 498 0|0|.co.uk|Ltd Limited|
United Kingdom|Reading|Berkshire|RG1 9LL|+44 118 496 0|0|.com|Ltd Limited PLC|
United Kingdom|Sheffield|South Yorkshire|S1 9LL|+44 114 496 0|0|.co.uk|Ltd Limited|
Germany|Berlin|Berlin|10999|+49 30 9099|1|.de|GmbH AG|c
Germany|München|Bayern|80999|+49 89 9099|1|.de|GmbH|c
France|Paris|Île-de-France|75099|+33 1 7099|1|.fr|SAS SARL|
France|Lyon|Auvergne-Rhône-Alpes|69099|+33 4 7299|1|.fr|SAS|
Netherlands|Amsterdam|Noord-Holland|1099 LL|+31 20 7099|1|.nl|BV|c
Ireland|Dublin|County Dublin|D02 L999|+353 1 4099|1|.ie|Ltd Limited|
Spain|Madrid|Comunidad de Madrid|28099|+34 91 2099|1|.es|SL|c
United States|New York|NY|10099|+1 212 555 01|2|.com|Inc. LLC|
United States|Boston|MA|02199|+1 617 555 01|2|.com|Inc. Corp.|
United States|Austin|TX|78799|+1 512 555 01|2|.com|LLC Inc.|
"""
PLACES: Final = tuple(
    Place(country, city, region, postcode, phone, int(cur), tld, tuple(forms.split()), style == "c")
    for country, city, region, postcode, phone, cur, tld, forms, style in table_rows(_PLACE_TABLE)
)
STREETS: Final = names.words(
    "High Street, Station Road, Mill Lane, Church Street, Park Road, Victoria Street, "
    "King Street, Queen Street, Albert Road, Wellington Place, Canal Street, Bridge Street"
)
CONTINENTAL_STREETS: Final = {
    "Germany": ("Hauptstraße", "Lindenallee", "Friedrichstraße"),
    "Netherlands": ("Keizersgracht", "Herengracht"),
    "Spain": ("Calle Mayor", "Calle de Alcalá"),
}


def postcode(template: str, rng: np.random.Generator) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    out = []
    for ch in template:
        if ch == "9":
            out.append(str(int(rng.integers(10))))
        elif ch == "L":
            out.append(letters[int(rng.integers(len(letters)))])
        else:
            out.append(ch)
    return "".join(out)


def postcodes(rng: np.random.Generator, place: IntArray) -> pa.Array:
    """A postcode for each place index, from the place's template (vectorised)."""
    letters = np.frombuffer(b"ABDEFGHJLNPQRSTUWXYZ", dtype=np.uint8)
    parts: list[pa.Array] = []
    where_: list[IntArray] = []
    for p in np.unique(place):
        idx = np.flatnonzero(place == p)
        template = np.frombuffer(PLACES[int(p)].postcode.encode(), dtype=np.uint8)
        chars = np.tile(template, (len(idx), 1))
        digit = template == ord("9")
        letter = template == ord("L")
        chars[:, digit] = 48 + rng.integers(0, 10, (len(idx), int(digit.sum())))
        chars[:, letter] = letters[rng.integers(0, len(letters), (len(idx), int(letter.sum())))]
        parts.append(fixed_text(chars.astype(np.uint8)))
        where_.append(idx)
    if not parts:
        return pa.array([], type=pa.string())
    order = np.argsort(np.concatenate(where_), kind="stable")
    return pa.concat_arrays(parts).take(pa.array(order))
