"""Company and person names, and the way each source system misspells them.

Real systems share no customer id: finance, CRM, service and time tracking each hold their
own spelling of the same company. These functions produce those spellings on purpose, so
the matcher has something honest to do.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

import numpy as np


def words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(","))


PREFIXES: Final = words(
    "North, South, East, West, Black, White, Silver, Golden, Red, Green, Blue, Oak, Ash, "
    "Elm, Stone, River, Lake, Hill, Bright, Clear, Fair, High, Long, New, Rose, Star, "
    "Sun, Moor, Cross, Kings, Queens, Castle, Bridge, Mill, Park, Wood, Brook, Marsh, "
    "Iron, Copper, Amber, Cedar, Maple, Pine, Thorn, Harbour, Ever, Glen, Wren, Fox"
)
ROOTS: Final = words(
    "wind, field, stone, bridge, gate, ford, wood, well, brook, hurst, ley, ton, worth, "
    "mere, combe, dale, haven, wick, stead, moor, crest, point, light, water, vale, "
    "land, way, view, side, mark"
)
SECTORS: Final = words(
    "Traders, Logistics, Engineering, Foods, Facilities, Consulting, Manufacturing, "
    "Health, Energy, Retail, Media, Construction, Property, Finance, Insurance, Pharma, "
    "Software, Systems, Solutions, Analytics, Hospitality, Leisure, Transport, Marine, "
    "Aerospace, Textiles, Packaging, Chemicals, Electrical, Security, Recruitment, "
    "Education, Design, Labs, Supplies, Services, Technologies, Interiors, Brewing, "
    "Architects"
)
SURNAMES: Final = words(
    "Hughes, Patel, Wright, Baker, Turner, Ellis, Shaw, Dixon, Holt, Marsh, Barker, "
    "Fletcher, Porter, Hayes, Lloyd, Quinn, Reid, Walsh, Khan, Doyle"
)
SURNAME_FORMS: Final = ("& Sons", "& Partners", "and Co", "Brothers", "Associates", "& Daughters")
FIRST_NAMES: Final = words(
    "Oliver, Amelia, George, Isla, Harry, Ava, Jack, Mia, Charlie, Ivy, Thomas, Grace, "
    "Oscar, Freya, James, Lily, William, Emily, Henry, Sophie, Leo, Ella, Alfie, Evie, "
    "Joshua, Poppy, Noah, Chloe, Ethan, Ruby, Samuel, Jessica, Daniel, Hannah, Adam, "
    "Zara, Ryan, Aisha, Mohammed, Priya, Liam, Niamh, Callum, Eilidh, Rhys, Cerys, "
    "Connor, Siobhan, Lucas, Maya, Benjamin, Olivia, Max, Chloé, Luca, Anna, Felix, "
    "Clara, Hugo, Léa, Jonas, Sofia, Mateo, Lucía, Daan, Emma, Finn, Julia, Ravi, "
    "Anjali, Kwame, Ama, Tomasz, Zofia, Andrei, Elena, Marcus, Naomi, Owen, Megan, "
    "Patrick, Aoife, Stuart, Fiona, Graham, Helen, Ian, Karen, Neil, Rachel, Simon, "
    "Sarah, Paul, Claire, Mark, Laura, David, Rebecca, Chris, Nicola"
)
LAST_NAMES: Final = words(
    "Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Robinson, Wright, "
    "Thompson, Evans, Walker, White, Roberts, Green, Hall, Wood, Jackson, Clarke, Patel, "
    "Khan, Lewis, James, Phillips, Mason, Mitchell, Rose, Davis, Rodriguez, Cox, "
    "Alexander, Morgan, Moore, Martin, Price, Bell, Cooper, Ward, Turner, Hill, Harris, "
    "Clark, Scott, Baker, Adams, Campbell, Anderson, Allen, Cook, Bailey, Parker, "
    "Miller, Murphy, Young, Watson, Kelly, Hughes, Edwards, Richardson, Shaw, Lloyd, "
    "Fraser, Byrne, O'Brien, O'Connor, MacDonald, McLean, Singh, Ahmed, Ali, Hussain, "
    "Begum, Chen, Wang, Nguyen, Kowalski, Nowak, Müller, Schmidt, Dubois, Martín, "
    "García, de Vries, Jansen, Rossi, Okafor, Mensah, Osei, Ferreira, Silva, Fitzgerald, "
    "Gallagher, Doherty, Sutherland, Henderson, Pearson, Holmes, Lane"
)

LEGAL_SUFFIX_VARIANTS: Final[dict[str, tuple[str, ...]]] = {
    "Limited": ("Ltd", "LTD.", "Ltd.", "LIMITED", ""),
    "Ltd": ("Limited", "LTD.", "Ltd.", "LTD", ""),
    "PLC": ("plc", "Plc", ""),
    "LLP": ("L.L.P.", ""),
    "GmbH": ("GMBH", "Gmbh", ""),
    "SAS": ("S.A.S.", ""),
    "SARL": ("S.A.R.L.", "Sarl", ""),
    "BV": ("B.V.", ""),
    "SL": ("S.L.", ""),
    "AG": ("A.G.", ""),
    "ApS": ("APS", ""),
    "Inc.": ("Inc", "Incorporated", ""),
    "LLC": ("L.L.C.", ""),
    "Corp.": ("Corporation", "Corp", ""),
    "": ("",),
}
SYSTEMS: Final = ("salesforce", "xero", "harvest", "servicenow", "zendesk")


@dataclass(frozen=True)
class Name:
    """A company name in parts, so each system can re-assemble it its own way."""

    core: str  # "Northwind Traders"
    suffix: str = ""  # legal form: "Limited", "GmbH", ...
    the: bool = False  # legal name starts with "The "
    tag: str = ""  # branch qualifier, e.g. "(Leeds)"
    short: str = ""  # initials form used as an abbreviation, e.g. "NW Traders"
    trading: str = ""  # trading name, e.g. "Northwind"

    @property
    def legal(self) -> str:
        return assemble(self.core, self.suffix, the=self.the, tag=self.tag)


def assemble(core: str, suffix: str, *, the: bool = False, tag: str = "") -> str:
    text = ("The " if the else "") + core + (f" {tag}" if tag else "")
    return f"{text} {suffix}" if suffix else text


def compound_name(prefix: str, root: str, sector: str, suffix: str) -> Name:
    """'North' + 'wind' + 'Traders' -> Northwind Traders, short form 'NW Traders'."""
    word = prefix + root
    return Name(
        core=f"{word} {sector}",
        suffix=suffix,
        short=f"{prefix[0]}{root[0].upper()} {sector}",
        trading=word,
    )


def surname_name(surname: str, form: str, suffix: str) -> Name:
    return Name(core=f"{surname} {form}", suffix=suffix, short="", trading=surname)


def fold_accents(text: str) -> str:
    """'Müller & Söhne' -> 'Muller & Sohne', as systems without Unicode support store it."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def match_key(text: str) -> str:
    """Case and punctuation blind key: two customers must never share one in a system."""
    return re.sub(r"[^0-9a-z]", "", fold_accents(text).casefold())


def typo(text: str, rng: np.random.Generator) -> str:
    """One-character slip inside a word (never a first letter, never in 'The'): drop,
    double or swap."""
    skip = 4 if text.startswith("The ") else 1
    positions = [
        i for i in range(skip, len(text) - 1) if text[i].isalpha() and text[i - 1].isalpha()
    ]
    if not positions:
        return text
    i = positions[int(rng.integers(len(positions)))]
    kind = int(rng.integers(3))
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def _swap_and(core: str) -> str:
    if " & " in core:
        return core.replace(" & ", " and ")
    return core.replace(" and ", " & ")


def _other_suffix(suffix: str, rng: np.random.Generator) -> str:
    options = LEGAL_SUFFIX_VARIANTS.get(suffix, ("",))
    return options[int(rng.integers(len(options)))]


def variant(name: Name, system: str, rng: np.random.Generator) -> str:
    """How `system` spells the company: each system has its own habits.

    CRM keeps the legal name; finance shortens legal forms and sometimes uses the trading
    name; time tracking drops legal forms and abbreviates; ServiceNow often shouts in
    capitals and loses accents; Zendesk uses what the customer typed.
    """
    u = rng.random(8)
    core, suffix, the, tag = name.core, name.suffix, name.the, name.tag
    if system == "salesforce":
        return name.legal if u[0] < 0.97 else name.legal.replace(" & ", " and ")
    if system == "xero":
        if u[0] < 0.08 and name.trading:
            return name.trading + (f" {tag}" if tag else "")
        if u[1] < 0.45:
            suffix = _other_suffix(suffix, rng)
        if u[2] < 0.5:
            core = _swap_and(core)
        if u[3] < 0.5:
            the = not the if the else u[4] < 0.04
        text = assemble(core, suffix, the=the, tag=tag)
        return typo(text, rng) if u[5] < 0.03 else text
    if system == "harvest":
        if u[0] < 0.12 and name.short:
            return name.short
        if u[1] < 0.6:
            suffix = ""
        if u[2] < 0.4:
            core = _swap_and(core)
        tag = tag.replace("(", "- ").replace(")", "") if u[3] < 0.5 else tag
        text = assemble(core, suffix, the=the and u[4] < 0.3, tag=tag)
        return typo(text, rng) if u[5] < 0.04 else text
    if system == "servicenow":
        if u[0] < 0.35:
            suffix = _other_suffix(suffix, rng)
        text = assemble(core, suffix, the=the, tag=tag)
        if u[1] < 0.5:
            text = fold_accents(text)
        if u[2] < 0.3:
            text = text.upper()
        return typo(text, rng) if u[3] < 0.03 else text
    if system == "zendesk":
        if u[0] < 0.6:
            suffix = ""
        if u[1] < 0.3:
            core = _swap_and(core)
        text = assemble(core, suffix, the=the and u[2] < 0.5, tag=tag)
        text = text.replace(".", "").replace(",", "") if u[3] < 0.3 else text
        if u[4] < 0.05:
            text = text.lower()
        return typo(text, rng) if u[5] < 0.03 else text
    raise ValueError(system)


def domain_of(name: Name, tld: str) -> str:
    """Web domain derived from the company words: 'Northwind Traders' -> northwindtraders.co.uk."""
    words = re.sub(r"\(.*?\)|&| and ", " ", fold_accents(name.core)).lower()
    return re.sub(r"[^a-z0-9]", "", words) + tld
