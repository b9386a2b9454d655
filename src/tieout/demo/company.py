"""The demo firm and its customers (staff in `staff`, cities in `places`).

Larkspur Digital Ltd is a UK services firm selling consulting, delivery and managed
services. Everything here is small (hundreds of rows at scale 1), so it is plain Python;
the volume tables in `sales`, `delivery` and `service` draw from it with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final

import numpy as np

from tieout.demo import names
from tieout.demo.fmt import BoolArray, FloatArray, IntArray, day_number, i64
from tieout.demo.names import Name
from tieout.demo.places import CONTINENTAL_STREETS, PLACES, STREETS, Place, postcode
from tieout.demo.staff import FUNCTIONS, Person, build_people

AS_OF: Final = date(2026, 10, 31)
START: Final = date(2024, 11, 1)
D0: Final = day_number(START)
D1: Final = day_number(AS_OF)

CURRENCIES: Final = ("GBP", "EUR", "USD")
FX_TO_GBP: Final = (1.0, 0.86, 0.78)  # typical level; the monthly table wanders around it
TIERS: Final = ("Strategic", "Key", "Standard")


INDUSTRIES: Final = names.words(
    "Professional Services, Manufacturing, Retail, Healthcare, Financial Services, Technology, "
    "Transportation, Hospitality, Energy, Education, Construction, Media"
)

# Customers every demo has, whatever the scale: the hard cases the matcher must get right.
# (name, currency, place index, tier, family role)
CURATED: Final = (
    (Name("Northwind Traders", "Limited", short="NW Traders", trading="Northwind"), 3, "Strategic"),
    (Name("Acme Holdings", "Ltd"), 0, "Key"),
    (Name("Acme Facilities", "Ltd"), 0, "Standard"),
    (Name("Acme Logistics", "Ltd"), 0, "Standard"),
    (Name("Harbour Foods", "Ltd", tag="(Leeds)"), 3, "Standard"),
    (Name("Harbour Foods", "Ltd", tag="(Bristol)"), 4, "Standard"),
    (Name("Müller & Söhne", "GmbH", trading="Müller"), 13, "Key"),
    (Name("Société Lumière Services", "SAS"), 14, "Standard"),
    (Name("Café Noir", "Ltd"), 1, "Standard"),
    (Name("Brasserie Léon", "SARL"), 15, "Standard"),
    (Name("Nørrebro Design", "ApS"), 16, "Standard"),
    (Name("Österreichische Präzisionstechnik", "GmbH"), 12, "Standard"),
    (Name("Old Mill Bakery", "Ltd", the=True), 5, "Standard"),
    (Name("Hughes & Partners", "LLP", trading="Hughes"), 4, "Key"),
    (Name("Blue Ridge Analytics", "Inc.", short="BR Analytics", trading="Blue Ridge"), 19, "Key"),
)
ACCENTED: Final = tuple(
    i for i, c in enumerate(CURATED) if names.fold_accents(c[0].core) != c[0].core
)


@dataclass
class Customer:
    """One real customer; `spell` is its name as each system that knows it writes it."""

    index: int
    key: str
    name: Name
    tier: str
    currency: int
    place: Place
    street: str
    postcode: str
    phone: str
    domain: str
    website: str
    industry: str
    created_day: int
    active: bool  # buys project work during the window
    managed: bool  # managed-service contract; raises incidents in ServiceNow
    retainer: bool  # support retainer contract; raises tickets in Zendesk
    weight: float  # relative amount of work bought
    parent: int = -1
    shared_domain: bool = False
    owner: int = 0
    email: str = ""
    spell: dict[str, str] = field(default_factory=dict)

    @property
    def legal(self) -> str:
        return self.name.legal


@dataclass
class Company:
    customers: list[Customer]
    people: list[Person]
    # Vectorised views used by the volume generators.
    cust_currency: IntArray
    cust_weight: FloatArray
    cust_active: BoolArray
    cust_managed: BoolArray
    cust_created: IntArray
    cust_owner: IntArray
    person_cost: IntArray
    ps_staff: IntArray  # person indexes who log project time
    service_staff: IntArray
    sales_staff: IntArray
    marketing_staff: IntArray


def _random_names(rng: np.random.Generator, n: int, reserved: set[str]) -> list[Name]:
    """Distinct company names from compound words ('Northwind Traders') and surname firms."""
    out: list[Name] = []
    n_compound = len(names.PREFIXES) * len(names.ROOTS) * len(names.SECTORS)
    n_surname = len(names.SURNAMES) * len(names.SURNAME_FORMS)
    draw = rng.choice(n_compound + n_surname, size=min(n * 2 + 50, n_compound), replace=False)
    for k in (int(v) for v in draw):
        if k < n_compound:
            p, rest = divmod(k, len(names.ROOTS) * len(names.SECTORS))
            r, s = divmod(rest, len(names.SECTORS))
            nm = names.compound_name(names.PREFIXES[p], names.ROOTS[r], names.SECTORS[s], "")
        else:
            sn, form = divmod(k - n_compound, len(names.SURNAME_FORMS))
            nm = names.surname_name(names.SURNAMES[sn], names.SURNAME_FORMS[form], "")
        key = names.match_key(nm.core)
        if key in reserved:
            continue
        reserved.add(key)
        out.append(nm)
        if len(out) == n:
            break
    return out


def prospect_names(
    rng: np.random.Generator, n: int, company: Company
) -> list[tuple[str, str, int]]:
    """(name, web domain, place index) of companies that are not customers; never a
    customer's words, so a lead is only a customer when the truth says it converted."""
    reserved = {names.match_key(c.name.core) for c in company.customers}
    out = []
    for nm in _random_names(rng, n, reserved):
        p = int(rng.integers(len(PLACES)))
        suffixes = PLACES[p].suffixes
        suffix = suffixes[int(rng.integers(len(suffixes)))]
        out.append((names.assemble(nm.core, suffix), names.domain_of(nm, PLACES[p].tld), p))
    return out


def _with_suffix(nm: Name, suffix: str) -> Name:
    return Name(nm.core, suffix, nm.the, nm.tag, nm.short, nm.trading)


def build_customers(rng: np.random.Generator, scale: float) -> list[Customer]:
    n = max(len(CURATED) + 25, round(300 * scale))
    reserved = {names.match_key(c[0].core) for c in CURATED}
    plan: list[tuple[Name, int, str, int]] = [(nm, pl, tier, -1) for nm, pl, tier in CURATED]
    plan[2] = (plan[2][0], plan[2][1], plan[2][2], 1)  # Acme Facilities -> Acme Holdings
    plan[3] = (plan[3][0], plan[3][1], plan[3][2], 1)
    for nm in _random_names(rng, n, reserved):
        if len(plan) >= n:
            break
        place = int(rng.integers(len(PLACES))) if rng.random() < 0.22 else int(rng.integers(12))
        suffixes = PLACES[place].suffixes
        tier = TIERS[int(rng.choice(3, p=[0.08, 0.22, 0.70]))]
        suffix = suffixes[int(rng.integers(len(suffixes)))]
        u = rng.random()
        if u < 0.03 and nm.trading and len(plan) + 3 <= n:
            # a holding and its subsidiaries: shared words and a shared registered address
            holding = len(plan)
            plan.append((Name(f"{nm.trading} Holdings", suffix), place, tier, -1))
            for sector in rng.choice(names.SECTORS, size=2, replace=False):
                plan.append((Name(f"{nm.trading} {sector}", suffix), place, "Standard", holding))
        elif u < 0.05 and len(plan) + 2 <= n:
            # two branches of one business in different cities
            cities = rng.choice(12, size=2, replace=False)
            for c in cities:
                tag = f"({PLACES[int(c)].city})"
                plan.append((Name(nm.core, suffix, tag=tag), int(c), tier, -1))
        else:
            plan.append((_with_suffix(nm, suffix), place, tier, -1))
    customers = [
        _customer(rng, i, nm, pl, tier, parent) for i, (nm, pl, tier, parent) in enumerate(plan[:n])
    ]
    _share_family_details(rng, customers)
    return customers


def _customer(
    rng: np.random.Generator, i: int, nm: Name, place_idx: int, tier: str, parent: int
) -> Customer:
    place = PLACES[place_idx]
    curated = i < len(CURATED)
    num = int(rng.integers(1, 180))
    if place.street_first:
        streets = CONTINENTAL_STREETS[place.country]
        street = f"{streets[int(rng.integers(len(streets)))]} {num}"
    else:
        street = f"{num} {STREETS[int(rng.integers(len(STREETS)))]}"
    active = curated or rng.random() < 0.88
    tier_i = TIERS.index(tier)
    managed = active and rng.random() < (0.6, 0.45, 0.25)[tier_i]
    retainer = active and not managed and rng.random() < 0.1
    new = active and not curated and rng.random() < 0.2
    created = int(rng.integers(D0, D1 - 240)) if new else int(rng.integers(D0 - 3000, D0 - 30))
    weight = float(rng.lognormal((1.8, 0.9, 0.0)[tier_i], 0.6))
    domain = names.domain_of(nm, place.tld)
    web_form = int(rng.choice(4, p=[0.7, 0.15, 0.1, 0.05]))
    website = (f"www.{domain}", f"https://www.{domain}", f"http://{domain}/", "")[web_form]
    return Customer(
        index=i,
        key="",
        name=nm,
        tier=tier,
        currency=place.currency,
        place=place,
        street=street,
        postcode=postcode(place.postcode, rng),
        phone=place.phone + "".join(str(int(d)) for d in rng.integers(0, 10, size=3)),
        domain=domain,
        website=website,
        industry=INDUSTRIES[int(rng.integers(len(INDUSTRIES)))],
        created_day=created,
        active=active,
        managed=managed,
        retainer=retainer,
        weight=weight,
        parent=parent,
    )


def _share_family_details(rng: np.random.Generator, customers: list[Customer]) -> None:
    """Subsidiaries sit at the holding's address and half of them use its email domain;
    branches of one business share a domain."""
    by_core: dict[str, list[int]] = {}
    for c in customers:
        if c.parent >= 0:
            head = customers[c.parent]
            c.street, c.postcode, c.phone = head.street, head.postcode, head.phone
            if rng.random() < 0.5:
                c.domain, c.shared_domain, head.shared_domain = head.domain, True, True
                c.website = ""
        if c.name.tag:
            by_core.setdefault(c.name.core, []).append(c.index)
    for members in by_core.values():
        for i in members[1:]:
            customers[i].domain = customers[members[0]].domain
            customers[i].shared_domain = customers[members[0]].shared_domain = True


def _spell(rng: np.random.Generator, customers: list[Customer]) -> None:
    """Each system's spelling, unique within that system by a case/punctuation-blind key.

    Family members (holding, subsidiaries, branches) carry no trading or short name, so no
    system spells one of them in a way that fits a sibling equally well.
    """
    legal = {names.match_key(c.legal): c.index for c in customers}
    for system in names.SYSTEMS:
        taken: set[str] = set()
        for c in customers:
            text = names.variant(c.name, system, rng)
            key = names.match_key(text)
            if key in taken or legal.get(key, c.index) != c.index:
                text = c.legal
            taken.add(names.match_key(text))
            c.spell[system] = text


def _emails(rng: np.random.Generator, customers: list[Customer]) -> None:
    """Xero contact email: accounts@ for most, blanks and odd mailboxes for the rest."""
    for c in customers:
        u = rng.random()
        if u < 0.75:
            c.email = f"accounts@{c.domain}"
        elif u < 0.83:
            c.email = f"finance@{c.domain}"
        elif u < 0.88:
            first = names.fold_accents(names.FIRST_NAMES[int(rng.integers(len(names.FIRST_NAMES)))])
            c.email = f"{first.lower()}@{c.domain}"
        else:
            c.email = ""


def build_company(rng: np.random.Generator, scale: float) -> Company:
    customers = build_customers(rng, scale)
    people = build_people(rng, scale)
    width = max(4, len(str(len(customers))))
    for c in customers:
        c.key = f"C{c.index + 1:0{width}d}"
    _spell(rng, customers)
    _emails(rng, customers)
    sales = i64([i for i, p in enumerate(people) if p.function == "Sales"])
    for c in customers:
        c.owner = int(sales[int(rng.integers(len(sales)))])
    by_function = {f: i64([i for i, p in enumerate(people) if p.function == f]) for f in FUNCTIONS}
    return Company(
        customers=customers,
        people=people,
        cust_currency=i64([c.currency for c in customers]),
        cust_weight=np.asarray([c.weight for c in customers], dtype=np.float64),
        cust_active=np.asarray([c.active for c in customers], dtype=np.bool_),
        cust_managed=np.asarray([c.managed for c in customers], dtype=np.bool_),
        cust_created=i64([c.created_day for c in customers]),
        cust_owner=i64([c.owner for c in customers]),
        person_cost=i64([p.cost for p in people]),
        ps_staff=by_function["Professional Services"],
        service_staff=by_function["Service"],
        sales_staff=by_function["Sales"],
        marketing_staff=by_function["Marketing"],
    )
