#!/usr/bin/env python3
"""Blind test company for tieout: a building-services firm and its real-world habits.

    python benchmarks/blind_company/generate.py --seed N --out DIR [--customers 60]

Writes DIR/tieout.yml, DIR/exports/... and DIR/truth.json. Standard library only,
deterministic per seed. The ground truth is what this script planted (which quote a work
order was made from, which work order each invoice line bills, which anomaly sits on which
record); no detection rule is re-implemented here. See README.md next to this file.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import unicodedata
import zipfile
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal as D

CENT = D("0.01")
ZERO = D("0")
EMPTY_LOOKUP = "000000000000000AAA"


def money(x) -> D:
    return D(x).quantize(CENT, ROUND_HALF_UP)


def f2(x) -> str:
    return f"{D(x):.2f}"


def round_to(x: D, step: int) -> D:
    return (D(x) / step).quantize(D("1"), ROUND_HALF_UP) * step


def strip_accents(s: str) -> str:
    repl = {"ü": "ue", "ö": "oe", "ä": "ae", "Ü": "Ue", "Ö": "Oe", "Ä": "Ae", "ß": "ss"}
    for a, b in repl.items():
        s = s.replace(a, b)
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


# --------------------------------------------------------------------------- Salesforce ids
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def sf18(id15: str) -> str:
    out = ""
    for i in range(3):
        flags = 0
        for j, c in enumerate(id15[i * 5 : i * 5 + 5]):
            if "A" <= c <= "Z":
                flags |= 1 << j
        out += SUFFIX[flags]
    return id15 + out


def b62(n: int, width: int) -> str:
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s.rjust(width, "0")


class SfIds:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pod = rng.choice(["5J", "8d", "4T", "7Q", "3k", "6F"])
        self.counters: dict[str, int] = {}

    def new(self, prefix: str) -> str:
        if prefix not in self.counters:
            self.counters[prefix] = self.rng.randint(200_000, 9_000_000)
        self.counters[prefix] += self.rng.randint(1, 40)
        return sf18(prefix + self.pod + "000" + b62(self.counters[prefix], 7))


# --------------------------------------------------------------------------- reference data
PRODUCTS = [
    # code, name, family, unit of measure, GBP list price, kind, department
    ("INST-BLR", "Boiler installation", "Installation", "Each", 4200, "equip", "Installations"),
    (
        "INST-HP",
        "Air source heat pump installation",
        "Installation",
        "Each",
        9800,
        "equip",
        "Installations",
    ),
    (
        "INST-AHU",
        "Air handling unit installation",
        "Installation",
        "Each",
        6500,
        "equip",
        "Installations",
    ),
    (
        "INST-CTRL",
        "BMS controls installation",
        "Installation",
        "Each",
        3200,
        "equip",
        "Installations",
    ),
    (
        "INST-LED",
        "LED lighting retrofit (per floor)",
        "Installation",
        "Floor",
        2800,
        "equip",
        "Installations",
    ),
    (
        "INST-EVC",
        "EV charge point installation",
        "Installation",
        "Each",
        1450,
        "equip",
        "Installations",
    ),
    ("MAT-CABLE", "Cabling and containment", "Materials", "Metre", 18, "material", "Installations"),
    ("MAT-PIPE", "Pipework and fittings", "Materials", "Lot", 650, "material", "Installations"),
    (
        "MNT-PPM",
        "Planned preventive maintenance visit",
        "Maintenance",
        "Visit",
        480,
        "visit",
        "Maintenance",
    ),
    ("MNT-FGAS", "F-Gas leak inspection", "Maintenance", "Each", 240, "visit", "Maintenance"),
    ("MNT-SVC", "Annual plant service", "Maintenance", "Each", 360, "visit", "Maintenance"),
    ("MNT-REACT", "Reactive call-out", "Maintenance", "Visit", 190, "visit", "Maintenance"),
    ("CON-SURV", "Site survey", "Consulting", "Each", 850, "lump", "Consulting"),
    ("CON-DAY", "Engineering consultancy", "Consulting", "Day", 950, "day", "Consulting"),
    ("CON-DES", "Design and specification", "Consulting", "Day", 1100, "day", "Consulting"),
    ("CON-PM", "Project management", "Consulting", "Day", 780, "day", "Consulting"),
    ("CON-CMM", "Commissioning", "Consulting", "Day", 720, "day", "Consulting"),
    ("TRN-DAY", "Operator training", "Consulting", "Day", 650, "day", "Consulting"),
    ("CON-AUD", "Energy audit report", "Consulting", "Each", 1650, "lump", "Consulting"),
    ("HIRE-ACC", "Access equipment hire", "Hire", "Day", 140, "hire", "Installations"),
    (
        "MAT-WASTE",
        "Waste removal and disposal",
        "Materials",
        "Lot",
        280,
        "material",
        "Installations",
    ),
]

# deal name, work-order service phrase, department, [(code, (min, max))], duration days
TEMPLATES = [
    (
        "Boiler replacement",
        "Heating plant replacement",
        "Installations",
        [
            ("CON-SURV", (0, 1)),
            ("INST-BLR", (1, 3)),
            ("MAT-PIPE", (1, 2)),
            ("MAT-WASTE", (0, 1)),
            ("CON-CMM", (1, 2)),
            ("CON-PM", (1, 4)),
        ],
        (5, 25),
    ),
    (
        "Heat pump retrofit",
        "Heat pump works",
        "Installations",
        [
            ("CON-SURV", (1, 1)),
            ("INST-HP", (1, 4)),
            ("MAT-PIPE", (1, 3)),
            ("HIRE-ACC", (0, 6)),
            ("CON-CMM", (1, 3)),
            ("CON-PM", (1, 3)),
            ("TRN-DAY", (0, 1)),
        ],
        (10, 40),
    ),
    (
        "Ventilation upgrade",
        "AHU install",
        "Installations",
        [
            ("INST-AHU", (1, 4)),
            ("INST-CTRL", (1, 1)),
            ("MAT-CABLE", (4, 40)),
            ("HIRE-ACC", (2, 10)),
            ("MAT-WASTE", (0, 1)),
            ("CON-CMM", (1, 3)),
            ("CON-PM", (0, 3)),
        ],
        (10, 35),
    ),
    (
        "Lighting upgrade",
        "LED retrofit",
        "Installations",
        [
            ("INST-LED", (2, 8)),
            ("MAT-CABLE", (8, 60)),
            ("HIRE-ACC", (2, 12)),
            ("MAT-WASTE", (1, 1)),
        ],
        (5, 30),
    ),
    (
        "EV charging rollout",
        "EVCP install",
        "Installations",
        [("CON-SURV", (0, 1)), ("INST-EVC", (2, 12)), ("MAT-CABLE", (5, 30)), ("CON-CMM", (1, 1))],
        (3, 20),
    ),
    (
        "Planned maintenance",
        "PPM visits",
        "Maintenance",
        [("MNT-PPM", (4, 12)), ("MNT-FGAS", (1, 4)), ("MNT-SVC", (0, 2))],
        (30, 90),
    ),
    (
        "Annual servicing",
        "Annual servicing",
        "Maintenance",
        [("MNT-SVC", (2, 10)), ("MNT-FGAS", (0, 3))],
        (3, 20),
    ),
    (
        "Energy audit",
        "Energy audit",
        "Consulting",
        [("CON-SURV", (1, 1)), ("CON-AUD", (1, 1)), ("CON-DAY", (1, 5)), ("CON-PM", (0, 2))],
        (5, 25),
    ),
    (
        "Design package",
        "Design & spec",
        "Consulting",
        [("CON-SURV", (0, 1)), ("CON-DES", (3, 15)), ("CON-PM", (2, 6)), ("CON-DAY", (0, 3))],
        (15, 60),
    ),
    (
        "Controls optimisation",
        "Controls tune-up",
        "Consulting",
        [("CON-DAY", (2, 6)), ("INST-CTRL", (1, 1)), ("TRN-DAY", (1, 2)), ("CON-CMM", (0, 2))],
        (5, 25),
    ),
]
SITE_TEMPLATES = [
    "Planned maintenance",
    "EV charging rollout",
    "Lighting upgrade",
    "Annual servicing",
]

UK_STEMS = [
    "Harbourside",
    "Brightwater",
    "Kestrel",
    "Ashford",
    "Meridian",
    "Oakridge",
    "Pennine",
    "Riverside",
    "Thornbury",
    "Westfield",
    "Calder",
    "Summit",
    "Beacon",
    "Fairhaven",
    "Greystone",
    "Highmoor",
    "Lakemoor",
    "Millbrook",
    "Redhill",
    "Silverdale",
    "Stonebridge",
    "Wexcombe",
    "Yarrow",
    "Cobalt",
    "Falcon",
    "Granite",
    "Juniper",
    "Linden",
    "Marlow",
    "Norwood",
    "Orchard",
    "Quayside",
    "Rowan",
    "Sterling",
    "Tamar",
    "Windmill",
    "Alder",
    "Bramley",
    "Cedar",
    "Dunmore",
    "Elmstead",
    "Foxley",
    "Glenridge",
    "Hawthorn",
    "Ivybridge",
    "Kingsway",
    "Larkfield",
    "Moorland",
    "Oldfield",
    "Parkside",
    "Rosewood",
    "Saxon",
    "Trentham",
    "Upland",
    "Verity",
    "Whitcombe",
    "Ashgrove",
    "Blackwood",
    "Castlegate",
    "Dovecote",
    "Easton",
    "Fernhill",
    "Goldcrest",
    "Hollybank",
    "Kenmore",
    "Lowther",
]
SECTORS = [
    ("Logistics", "Log", "Freight"),
    ("Foods", "Foods", "Kitchens"),
    ("Properties", "Props", "Lettings"),
    ("Engineering", "Eng", "Fabrication"),
    ("Healthcare", "Health", "Clinics"),
    ("Hotels", "Hotels", "Inns"),
    ("Manufacturing", "Mfg", "Works"),
    ("Retail", "Retail", "Stores"),
    ("Leisure", "Leisure", "Gyms"),
    ("Facilities", "FM", "Services"),
    ("Packaging", "Pack", "Cartons"),
    ("Pharma", "Pharma", "Labs"),
    ("Data Centres", "DC", "Hosting"),
    ("Distribution", "Dist", "Depots"),
    ("Motor Group", "Motors", "Cars"),
    ("Print", "Print", "Press"),
    ("Plastics", "Plastics", "Mouldings"),
    ("Care Homes", "Care", "Living"),
    ("Food & Drink", "F&D", "Brewing"),
    ("Storage", "Storage", "Self Store"),
]
UK_TOWNS = [
    ("Leeds", "LS"),
    ("Manchester", "M"),
    ("Bristol", "BS"),
    ("Birmingham", "B"),
    ("Sheffield", "S"),
    ("Nottingham", "NG"),
    ("Leicester", "LE"),
    ("Reading", "RG"),
    ("York", "YO"),
    ("Hull", "HU"),
    ("Derby", "DE"),
    ("Coventry", "CV"),
    ("Norwich", "NR"),
    ("Exeter", "EX"),
    ("Cardiff", "CF"),
    ("Newcastle upon Tyne", "NE"),
    ("Preston", "PR"),
    ("Stoke-on-Trent", "ST"),
    ("Swindon", "SN"),
    ("Milton Keynes", "MK"),
    ("Wakefield", "WF"),
    ("Bradford", "BD"),
    ("Doncaster", "DN"),
]
SITE_WORDS = [
    "depot",
    "DC",
    "head office",
    "warehouse",
    "plant",
    "store",
    "clinic",
    "campus",
    "hub",
]
STREETS = [
    "Station Road",
    "Mill Lane",
    "Park Way",
    "Canal Street",
    "Victoria Road",
    "Riverside Drive",
    "Enterprise Park",
    "Kingsway",
    "Church Street",
    "Commercial Road",
    "Dock Road",
    "Harbour Way",
]

EU_CUSTOMERS = [
    # stem, sector, suffix, country, city, postcode, tld
    ("Müller", "Haustechnik", "GmbH", "Germany", "Köln", "50667", "de"),
    ("Becker", "Logistik", "GmbH", "Germany", "Hamburg", "20095", "de"),
    ("Schäfer", "Kliniken", "GmbH", "Germany", "Düsseldorf", "40213", "de"),
    ("Krüger", "Lebensmittel", "AG", "Germany", "Bremen", "28195", "de"),
    ("Dupont", "Hôtellerie", "SAS", "France", "Lyon", "69002", "fr"),
    ("Lefèvre", "Immobilier", "SA", "France", "Lille", "59000", "fr"),
    ("Girard", "Industrie", "SARL", "France", "Nantes", "44000", "fr"),
    ("Van den Berg", "Vastgoed", "B.V.", "Netherlands", "Utrecht", "3511 AB", "nl"),
    ("De Vries", "Distributie", "B.V.", "Netherlands", "Rotterdam", "3011 AD", "nl"),
    ("Shannon", "Foods", "Limited", "Ireland", "Limerick", "V94 T9PX", "ie"),
    ("Liffey", "Properties", "Limited", "Ireland", "Dublin", "D02 X285", "ie"),
    ("Corrib", "Healthcare", "Limited", "Ireland", "Galway", "H91 E2K3", "ie"),
    ("Slaney", "Packaging", "Limited", "Ireland", "Wexford", "Y35 W5RD", "ie"),
    ("Boyne", "Logistics", "Limited", "Ireland", "Drogheda", "A92 YX26", "ie"),
]
US_CUSTOMERS = [
    ("Lakeview", "Medical Center", "Inc.", "Chicago", "IL", "60601"),
    ("Pioneer", "Cold Storage", "LLC", "Denver", "CO", "80202"),
    ("Bayshore", "Hospitality", "Inc.", "Tampa", "FL", "33602"),
    ("Granite State", "Manufacturing", "Corp.", "Manchester", "NH", "03101"),
    ("Redwood", "Data Systems", "Inc.", "Sacramento", "CA", "95814"),
    ("Sunbelt", "Logistics", "LLC", "Atlanta", "GA", "30303"),
    ("Prairie", "Foods", "Inc.", "Omaha", "NE", "68102"),
    ("Harborview", "Properties", "LLC", "Boston", "MA", "02110"),
    ("Blue Ridge", "Healthcare", "Inc.", "Roanoke", "VA", "24011"),
    ("Cascade", "Packaging", "Corp.", "Portland", "OR", "97204"),
    ("Lone Star", "Distribution", "LLC", "Dallas", "TX", "75201"),
    ("Great Lakes", "Plastics", "Inc.", "Cleveland", "OH", "44113"),
]

FIRST = [
    "James",
    "Sarah",
    "David",
    "Emma",
    "Michael",
    "Laura",
    "Daniel",
    "Sophie",
    "Paul",
    "Rachel",
    "Mark",
    "Helen",
    "Andrew",
    "Claire",
    "Richard",
    "Joanne",
    "Simon",
    "Katie",
    "Gareth",
    "Amy",
    "Stephen",
    "Nicola",
    "Tom",
    "Hannah",
    "Lukas",
    "Marie",
    "Pieter",
    "Aoife",
    "Brian",
    "Megan",
]
LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Wilson",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Hughes",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Turner",
    "Hill",
    "Cooper",
    "Ward",
    "Morris",
    "Schmidt",
    "Martin",
    "de Jong",
    "Murphy",
    "Kelly",
    "Byrne",
    "Miller",
    "Davis",
    "Baker",
    "Price",
]

STAFF_ROLES = {
    # role: (GBP cost rate range, GBP billable rate, department)
    "Technician": ((28, 36), 65, "Installations"),
    "Maintenance Engineer": ((30, 38), 70, "Maintenance"),
    "Design Engineer": ((45, 58), 95, "Consulting"),
    "Consultant": ((55, 68), 120, "Consulting"),
    "Project Manager": ((40, 50), 85, None),
}

FX_TO_GBP_APPROX = {"GBP": D("1"), "EUR": D("0.86"), "USD": D("0.78")}
HARVEST_CCY = {
    "GBP": "British Pound - GBP",
    "EUR": "Euro - EUR",
    "USD": "United States Dollar - USD",
}
TAX = {
    "GBP": ("20% (VAT on Income)", D("0.20")),
    "EUR": ("Zero Rated Income", ZERO),
    "USD": ("No VAT", ZERO),
}
ACCOUNT_CODE = {"Installations": "200", "Maintenance": "210", "Consulting": "220"}


# --------------------------------------------------------------------------- the model
class Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def weekday_on_or_after(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def iso_dt(d: date, hh: int = 9, mm: int = 0, ss: int = 0) -> str:
    return f"{d.isoformat()}T{hh:02d}:{mm:02d}:{ss:02d}.000Z"


class Company:
    def __init__(self, seed: int, n_customers: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.n_customers = n_customers
        self.ids = SfIds(self.rng)
        r = self.rng
        y, m = r.choice(
            [
                (2025, 10),
                (2025, 11),
                (2025, 12),
                (2026, 1),
                (2026, 2),
                (2026, 3),
                (2026, 4),
                (2026, 5),
                (2026, 6),
            ]
        )
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        self.as_of = nxt - timedelta(days=1)
        self.hist_start = self.as_of - timedelta(days=560)
        self.name = r.choice(
            [
                "Corvane Building Services",
                "Halstow Mechanical & Electrical",
                "Brenton Facilities Engineering",
                "Ellery Building Services",
            ]
        )
        self.variations: dict[str, int] = {}
        self.all_pos: set[str] = set()
        self.anomalies: dict[str, list] = {
            k: []
            for k in (
                "unbilled_work",
                "invoice_without_work",
                "duplicate_invoice",
                "price_variance",
                "discount_after_quote",
                "scope_drift",
                "unpriced_change",
                "margin_below_floor",
            )
        }
        self.also_acceptable: dict[str, list] = {k: [] for k in self.anomalies}
        # export-format habits decided per seed
        self.habits = {
            "salesforce_encoding": r.choice(["utf-8", "iso-8859-1"]),
            "xero_star_headers": r.random() < 0.5,
            "xero_blank_base_currency": r.random() < 0.5,
            "harvest_date_format": r.choice(["%Y-%m-%d", "%d/%m/%Y"]),
        }

    def bump(self, key: str, n: int = 1):
        self.variations[key] = self.variations.get(key, 0) + n

    # ------------------------------------------------------------------ fx
    def make_fx(self):
        r = self.rng
        self.fx_rows = []
        rates = {
            "EUR": D(str(round(r.uniform(0.835, 0.875), 4))),
            "USD": D(str(round(r.uniform(0.74, 0.80), 4))),
        }
        d = date(self.hist_start.year, self.hist_start.month, 1) - timedelta(days=62)
        d = date(d.year, d.month, 1)
        while d <= self.as_of:
            for ccy in ("EUR", "USD"):
                step = D(str(round(r.uniform(-0.008, 0.008), 4)))
                rates[ccy] = (rates[ccy] + step).quantize(D("0.0001"))
                self.fx_rows.append(
                    {
                        "native_id": f"{ccy}GBP-{d:%Y-%m}",
                        "rate_date": d.isoformat(),
                        "from_currency": ccy,
                        "to_currency": "GBP",
                        "rate": str(rates[ccy]),
                    }
                )
            d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)

    # ------------------------------------------------------------------ products
    def make_products(self):
        self.products = {}
        for code, name, fam, uom, gbp, kind, dept in PRODUCTS:
            p = Obj(
                code=code,
                name=name,
                family=fam,
                uom=uom,
                gbp=D(gbp),
                kind=kind,
                dept=dept,
                id=self.ids.new("01t"),
                created=self.hist_start - timedelta(days=self.rng.randint(200, 900)),
            )
            p.list = {}
            p.pbe = {}
            for ccy in ("GBP", "EUR", "USD"):
                v = D(gbp) / FX_TO_GBP_APPROX[ccy]
                p.list[ccy] = round_to(v, 10) if gbp >= 100 else v.quantize(D("1"), ROUND_HALF_UP)
                p.pbe[ccy] = self.ids.new("01u")
            self.products[code] = p
        self.pricebook_id = self.ids.new("01s")

    # ------------------------------------------------------------------ people
    def make_people(self):
        r = self.rng
        used = set()

        def person(first=None, last=None):
            while True:
                fn = first or r.choice(FIRST)
                ln = last or r.choice(LAST)
                if (fn, ln) not in used or first:
                    used.add((fn, ln))
                    return fn, ln

        dom = self.name.split()[0].lower() + "-bs.co.uk"
        self.users = []
        for title in [
            "Sales Manager",
            "Account Manager",
            "Account Manager",
            "Account Manager",
            "Business Development Manager",
            "Account Manager",
            "Service Delivery Manager",
            "Finance Controller",
        ]:
            fn, ln = person()
            self.users.append(
                Obj(
                    id=self.ids.new("005"),
                    first=fn,
                    last=ln,
                    title=title,
                    email=f"{fn.lower()}.{ln.lower().replace(' ', '')}@{dom}",
                    created=self.hist_start - timedelta(days=r.randint(100, 1500)),
                )
            )
        self.sales_users = [
            u
            for u in self.users
            if "Manager" in u.title and "Finance" not in u.title and "Delivery" not in u.title
        ]
        # Harvest staff
        self.staff = []
        emp = r.randint(100, 400)
        plan = (
            ["Technician"] * 8
            + ["Maintenance Engineer"] * 5
            + ["Design Engineer"] * 3
            + ["Consultant"] * 3
            + ["Project Manager"] * 3
        )
        twin = None
        for i, role in enumerate(plan):
            if i == 5 and twin:
                fn, ln = twin  # two people who share a name; Employee Id tells them apart
                self.bump("harvest_shared_person_names")
            else:
                fn, ln = person()
            if i == 1:
                twin = (fn, ln)
            (lo, hi), bill, dept = STAFF_ROLES[role]
            emp += r.randint(1, 9)
            self.staff.append(
                Obj(
                    first=fn,
                    last=ln,
                    role=role,
                    dept=dept,
                    emp_id=f"E{emp}",
                    cost_gbp=D(r.randint(lo, hi)),
                    bill_gbp=D(bill),
                )
            )
        # the delivery manager also books time (same person in Salesforce and Harvest)
        sdm = [u for u in self.users if u.title == "Service Delivery Manager"][0]
        self.staff.append(
            Obj(
                first=sdm.first,
                last=sdm.last,
                role="Project Manager",
                dept=None,
                emp_id=f"E{emp + 3}",
                cost_gbp=D(52),
                bill_gbp=D(90),
            )
        )

    # ------------------------------------------------------------------ customers
    def make_customers(self):
        r = self.rng
        n = self.n_customers
        n_eur = max(3, round(n * 0.25))
        n_usd = max(2, round(n * 0.15))
        n_gbp = n - n_eur - n_usd
        self.customers = []
        stems = UK_STEMS[:]
        r.shuffle(stems)
        sectors = SECTORS[:]
        specials = []
        if n_gbp >= 20:
            specials = [
                ("Northgate", ("Engineering", "Eng", "Fabrication")),
                ("Northgate", ("Estates", "Estates", "Lettings")),
                ("Halden", ("Group", "Group", "Holdings")),
                ("Halden", ("Facilities", "FM", "Services")),
            ]
        uk_specs = list(specials)
        si = 0
        while len(uk_specs) < n_gbp:
            stem = stems[si % len(stems)]
            sec = sectors[(si * 7 + r.randint(0, 3)) % len(sectors)]
            si += 1
            if any(s == stem and x[0] == sec[0] for s, x in uk_specs):
                continue
            uk_specs.append((stem, sec))
        key = 0
        harvest_names = set()

        def add(c):
            nonlocal key
            key += 1
            c.key = f"C{key:03d}"
            c.sf_id = self.ids.new("001")
            c.owner = r.choice(self.sales_users)
            c.created = self.hist_start - timedelta(days=r.randint(30, 1200))
            c.contacts = []
            for _ in range(r.randint(1, 3)):
                fn, ln = r.choice(FIRST), r.choice(LAST)
                c.contacts.append(
                    Obj(
                        id=self.ids.new("003"),
                        first=fn,
                        last=ln,
                        email=f"{fn.lower()}.{ln.lower().replace(' ', '')}@{c.domain}",
                        title=r.choice(
                            [
                                "Facilities Manager",
                                "Operations Director",
                                "Estates Manager",
                                "Procurement Lead",
                                "Accounts Payable",
                                "Site Manager",
                            ]
                        ),
                    )
                )
            c.sites = []
            c.ref_style = r.choices(["po", "none", "mixed"], [55, 30, 15])[0]
            c.po_style = r.choice(["PO{7}", "4500{6}", "P/O {5}", "PO-{5}", "{init}/{4}"])
            c.po_seq = r.randint(1000, 900000)
            # is the name unique within Harvest
            hn = c.harvest_name
            if hn in harvest_names:
                hn = c.harvest_name_alt
            harvest_names.add(hn)
            c.harvest_name = hn
            self.customers.append(c)

        for stem, (sector, abbr, alt) in uk_specs:
            base_sf = f"{stem} {sector}".replace("&", "and")
            base = f"{stem} {sector}"
            town, pc = r.choice(UK_TOWNS)
            slug = (stem + sector).lower().replace(" ", "").replace("&", "and")
            c = Obj(
                region="UK",
                currency="GBP",
                country="United Kingdom",
                city=town,
                postcode=f"{pc}{r.randint(1, 28)} {r.randint(1, 9)}{r.choice('ABDEFGHJLNPQRSTUWXYZ')}{r.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                street=f"{r.randint(1, 240)} {r.choice(STREETS)}",
                domain=f"{slug}.co.uk",
                industry=sector,
            )
            if sector == "Group":
                c.sf_name, c.xero_name = f"{stem} Group plc", f"{stem} Group PLC"
                c.harvest_name, c.harvest_name_alt = f"{stem} Group", f"{stem} Grp"
                c.zd_name = f"{stem} Group"
            else:
                c.sf_name = r.choices(
                    [
                        f"{base_sf} Limited",
                        f"{base_sf} Ltd",
                        f"{base_sf.upper()} LTD",
                        f"{base_sf} Ltd.",
                    ],
                    [45, 25, 15, 15],
                )[0]
                c.xero_name = r.choices([f"{base} Ltd", base, f"{base} Limited"], [60, 25, 15])[0]
                c.harvest_name = stem if stem != "Northgate" else f"{stem} {abbr}"
                c.harvest_name_alt = f"{stem} {abbr}"
                zd = r.choices(["base", "ltd", "typo"], [70, 20, 10])[0]
                if zd == "typo" and len(stem) > 5:
                    i = r.randint(2, len(stem) - 2)
                    c.zd_name = f"{stem[:i] + stem[i + 1 :]} {sector}"
                    self.bump("ticket_org_typos")
                else:
                    c.zd_name = base if zd != "ltd" else f"{base} Ltd"
            c.trading_alt = f"{stem} {alt}"
            add(c)
        eu = EU_CUSTOMERS[:]
        r.shuffle(eu)
        extra_stems = [s for s in UK_STEMS if s not in {x[0] for x in uk_specs}]
        for i in range(n_eur):
            if i < len(eu):
                stem, sector, suf, country, city, pc, tld = eu[i]
            else:
                stem, sector, suf, country, city, pc, tld = (
                    extra_stems[i],
                    r.choice(SECTORS)[0],
                    "Limited",
                    "Ireland",
                    "Cork",
                    "T12 X70A",
                    "ie",
                )
            slug = strip_accents(stem + sector).lower().replace(" ", "").replace("&", "and")
            c = Obj(
                region=country,
                currency="EUR",
                country=country,
                city=city,
                postcode=pc,
                street={
                    "de": f"{r.choice(['Hauptstraße', 'Industriestraße', 'Hafenstraße'])} {r.randint(1, 90)}",
                    "fr": f"{r.randint(1, 90)} {r.choice(['rue de la République', 'avenue Jean Jaurès', 'quai Est'])}",
                    "nl": f"{r.choice(['Kerkstraat', 'Havenweg', 'Industrieweg'])} {r.randint(1, 90)}",
                }.get(
                    tld,
                    f"Unit {r.randint(1, 30)}, {r.choice(['Business Park', 'Industrial Estate'])}",
                ),
                domain=f"{slug}.{tld}",
                industry=sector,
            )
            c.sf_name = f"{stem} {sector} {suf}"
            if tld == "ie":
                c.xero_name = f"{stem} {sector} Ltd"
            elif tld == "nl":
                c.xero_name = f"{stem} {sector} {suf.replace('.', '')}"
            else:
                c.xero_name = strip_accents(f"{stem} {sector} {suf}")
            c.harvest_name = strip_accents(stem)
            c.harvest_name_alt = strip_accents(f"{stem} {sector}")
            c.zd_name = f"{stem} {sector}"
            c.trading_alt = f"{stem} Group"
            add(c)
        us = US_CUSTOMERS[:]
        r.shuffle(us)
        for i in range(n_usd):
            if i < len(us):
                stem, sector, suf, city, st, zipc = us[i]
            else:
                stem, sector, suf, city, st, zipc = (
                    extra_stems[-1 - i],
                    r.choice(SECTORS)[0],
                    "Inc.",
                    "Columbus",
                    "OH",
                    "43215",
                )
            slug = (stem + sector).lower().replace(" ", "").replace("&", "and")
            c = Obj(
                region="US",
                currency="USD",
                country="United States",
                city=city,
                state=st,
                postcode=zipc,
                street=f"{r.randint(100, 9800)} {r.choice(['Main St', 'Commerce Dr', 'Industrial Pkwy', 'Harbor Blvd'])}",
                domain=f"{slug}.com",
                industry=sector,
            )
            c.sf_name = f"{stem} {sector}, {suf}"
            c.xero_name = f"{stem} {sector} {suf.rstrip('.')}"
            c.harvest_name = stem
            c.harvest_name_alt = f"{stem} {sector}"
            c.zd_name = f"{stem} {sector}"
            c.trading_alt = f"{stem} Group"
            add(c)
        # a few Xero contacts carry a trading name nobody else uses
        cands = [
            c
            for c in self.customers
            if c.region == "UK"
            and "Group" not in c.sf_name
            and not c.sf_name.startswith("Northgate")
        ]
        for c in r.sample(cands, min(len(cands), r.randint(1, 3))):
            c.xero_name = c.trading_alt + " Ltd"
            self.bump("xero_trading_names")
        # parent / subsidiary
        self.parent_of = {}
        hg = [c for c in self.customers if c.sf_name.startswith("Halden Group")]
        hf = [c for c in self.customers if c.sf_name.startswith("Halden Facilities")]
        if hg and hf:
            self.parent_of[hf[0].key] = hg[0]
            hf[0].domain = hg[0].domain  # one e-mail domain for the group
            self.bump("parent_subsidiary_pairs")
        # multi-site customers
        multi = r.sample(self.customers, max(4, n // 7))
        for c in multi:
            towns = (
                r.sample(UK_TOWNS, 3)
                if c.region == "UK"
                else [(c.city, ""), ("North", ""), ("South", "")]
            )
            c.sites = [f"{t} {r.choice(SITE_WORDS)}" for t, _ in towns]
        for c in self.customers:
            c.xero_seen = False

    def next_po(self, c) -> str:
        po = self._next_po(c)
        self.all_pos.add(po)
        return po

    def _next_po(self, c) -> str:
        c.po_seq += self.rng.randint(1, 57)
        n = c.po_seq
        st = c.po_style
        if st == "PO{7}":
            return f"PO{n % 10_000_000:07d}"
        if st == "4500{6}":
            return f"4500{n % 1_000_000:06d}"
        if st == "P/O {5}":
            return f"P/O {n % 100_000:05d}"
        if st == "PO-{5}":
            return f"PO-{n % 100_000:05d}"
        init = "".join(
            w[0] for w in c.contacts[0].first.split() + c.contacts[0].last.split()
        ).upper()
        return f"{init}/{n % 10_000:04d}"

    # ------------------------------------------------------------------ deals, quotes, work orders
    def unit_price(self, code: str, ccy: str) -> D:
        return self.products[code].list[ccy]

    def make_deals(self):
        r = self.rng
        self.opps, self.quotes, self.wos = [], [], []
        deal_specs = []
        for c in self.customers:
            n = r.choice([2, 3, 3, 4, 4, 4, 5, 5, 6, 6])
            for _ in range(n):
                t = r.choice(TEMPLATES)
                created = self.hist_start + timedelta(
                    days=r.randint(0, (self.as_of - self.hist_start).days - 12)
                )
                deal_specs.append((c, t, created, None, None))
            if c.sites:
                # concurrent jobs: the same service at two or three sites at the same time
                tname = r.choice(SITE_TEMPLATES)
                t = [x for x in TEMPLATES if x[0] == tname][0]
                created = self.hist_start + timedelta(
                    days=r.randint(60, (self.as_of - self.hist_start).days - 150)
                )
                grp = f"G{len(deal_specs)}"
                same_qty = r.random() < 0.5
                base_lines = None
                for site in c.sites[: r.randint(2, 3)]:
                    lines = None
                    if same_qty:
                        if base_lines is None:
                            base_lines = self.pick_lines(t)
                        lines = base_lines
                    deal_specs.append(
                        (c, t, created + timedelta(days=r.randint(0, 6)), site, (grp, lines))
                    )
        deal_specs.sort(key=lambda x: x[2])
        qnum = r.randint(600_000, 760_000)
        self.quote_number_base = qnum
        for c, t, created, site, grp in deal_specs:
            deal_name, service, dept, _lines, dur = t
            opp = Obj(
                id=self.ids.new("006"),
                customer=c,
                created=created,
                owner=c.owner,
                name=f"{c.harvest_name} - {deal_name}" + (f" ({site})" if site else ""),
                deal=deal_name + (f" - {site}" if site else ""),
                template=t,
                site=site,
                group=grp[0] if grp else None,
            )
            accept_days = r.randint(7, 35)
            opp.close = created + timedelta(days=accept_days)
            roll = r.random()
            if opp.close > self.as_of - timedelta(days=2):
                opp.stage = "open"
            elif grp:
                opp.stage = "won"
            else:
                opp.stage = "won" if roll < 0.88 else "lost"
            lines = grp[1] if grp and grp[1] else self.pick_lines(t)
            quotes = []
            # superseded first version, denied by the customer, priced higher
            if opp.stage == "won" and r.random() < 0.12:
                qnum += r.randint(1, 4)
                v1 = self.make_quote(
                    opp,
                    qnum,
                    created + timedelta(days=r.randint(1, 4)),
                    lines,
                    status="Denied",
                    uplift=True,
                    suffix="",
                )
                quotes.append(v1)
                self.bump("superseded_quotes")
            qnum += r.randint(1, 4)
            qcreated = created + timedelta(days=r.randint(2, 6))
            status = {
                "won": "Accepted",
                "lost": "Denied",
                "open": r.choice(["Presented", "Draft", "Needs Review"]),
            }[opp.stage]
            q = self.make_quote(
                opp,
                qnum,
                qcreated,
                lines,
                status=status,
                uplift=False,
                suffix=" (rev B)" if quotes else "",
            )
            quotes.append(q)
            opp.quotes = quotes
            opp.accepted = q if opp.stage == "won" else None
            opp.amount = sum(ql.value for ql in q.lines)
            self.opps.append(opp)
            self.quotes.extend(quotes)
            if opp.stage == "won":
                self.make_work_orders(opp, q)
        self.quotes.sort(key=lambda q: q.number)

    def pick_lines(self, t):
        r = self.rng
        out = []
        for code, (lo, hi) in t[3]:
            qty = r.randint(lo, hi)
            if qty == 0:
                continue
            if code == "MAT-CABLE":
                qty *= 10
            out.append((code, qty))
        return out

    def make_quote(self, opp, number, created, lines, status, uplift, suffix):
        r = self.rng
        c = opp.customer
        q = Obj(
            id=self.ids.new("0Q0"),
            number=number,
            opp=opp,
            customer=c,
            created=created,
            status=status,
            name=f"Quote {c.sf_name} - {opp.deal}{suffix}",
            currency=c.currency,
        )
        q.expiration = created + timedelta(days=30)
        q.lines = []
        disc_lines = set()
        if not uplift and r.random() < 0.2:
            disc_lines = set(r.sample(range(len(lines)), min(len(lines), r.randint(1, 2))))
        for i, (code, qty) in enumerate(lines):
            p = self.products[code]
            unit = p.list[c.currency]
            special = False
            if uplift:
                unit = round_to(
                    unit * D(str(1 + r.choice([0.05, 0.08, 0.1, 0.12]))), 10 if unit >= 100 else 1
                )
            elif r.random() < 0.15 and unit >= 100:
                unit = round_to(unit * D("0.95"), 10)  # negotiated special price, below list
                special = True
            disc = D(r.choice([5, 10, 15])) if i in disc_lines else None
            ql = Obj(
                id=self.ids.new("0QL"),
                quote=q,
                product=p,
                qty=D(qty),
                unit=unit,
                disc=disc,
                list=p.list[c.currency],
                line_no=i + 1,
                special=special,
            )
            ql.value = money(ql.qty * ql.unit * (1 - (disc or ZERO) / 100))
            q.lines.append(ql)
        if disc_lines:
            self.bump("quoted_discounts")
        return q

    def make_work_orders(self, opp, q):
        r = self.rng
        c = opp.customer
        t = opp.template
        dur_lo, dur_hi = t[4]
        wo_created = opp.close + timedelta(days=r.randint(1, 10))
        phased = len(q.lines) >= 2 and r.random() < 0.06 and not opp.group
        if phased:
            k = r.randint(1, len(q.lines) - 1)
            parts = [q.lines[:k], q.lines[k:]]
            self.bump("phased_quotes")
        else:
            parts = [q.lines]
        start = weekday_on_or_after(wo_created + timedelta(days=r.randint(3, 25)))
        for pi, qls in enumerate(parts):
            dur = r.randint(dur_lo, dur_hi)
            end = start + timedelta(days=dur)
            wo = Obj(
                id=self.ids.new("0WO"),
                customer=c,
                quote=q,
                opp=opp,
                created=wo_created,
                start=start,
                end=end,
                site=opp.site,
                phase=(pi + 1, len(parts)) if phased else None,
                template=t,
                dept=t[2],
                service=t[1],
                plant=None,
                reopened=None,
                canceled=False,
                group=opp.group,
            )
            wo.lines = []
            for ql in qls:
                wo.lines.append(
                    Obj(
                        id=self.ids.new("1WL"),
                        wo=wo,
                        product=ql.product,
                        qty=ql.qty,
                        unit=ql.unit,
                        disc=ql.disc,
                        list=ql.list,
                        qli=ql,
                        extra=False,
                        billed_extra=False,
                    )
                )
            self.wos.append(wo)
            wo_created = end - timedelta(days=r.randint(0, 3))
            start = weekday_on_or_after(end + timedelta(days=r.randint(3, 20)))

    def finalize_work_orders(self):
        r = self.rng
        self.wos.sort(key=lambda w: (w.created, w.id))
        n = r.randint(11_000, 19_000)
        for w in self.wos:
            n += r.randint(1, 3)
            w.number = n
        for w in self.wos:
            w.value = sum(
                money(l.qty * l.unit * (1 - (l.disc or ZERO) / 100))
                for l in w.lines
                if l.unit is not None
            )
        # canceled before start
        fut = [
            w
            for w in self.wos
            if w.start > self.as_of - timedelta(days=60)
            and w.start <= self.as_of + timedelta(days=30)
            and not w.phase
            and not w.group
        ]
        for w in r.sample(fut, min(len(fut), r.randint(2, 4))):
            w.canceled = True
            self.bump("canceled_work_orders")

    def status_of(self, w):
        if w.canceled:
            return "Canceled"
        if w.start > self.as_of:
            return "New"
        if w.end > self.as_of:
            return "In Progress"
        return "Completed"

    # ------------------------------------------------------------------ free-text quote references
    def quote_ref_text(self):
        r = self.rng
        qn_all = {q.number: q for q in self.quotes}
        # typos: transposed digits on a couple of work orders
        eligible = [w for w in self.wos if w.quote]
        typo_wos = set(id(w) for w in r.sample(eligible, min(len(eligible), r.randint(1, 3))))
        for w in self.wos:
            n = w.quote.number
            style = r.choices(
                ["per", "Q-", "ref7", "full8", "asper", "accepted", "subject", "none"],
                [18, 18, 12, 12, 10, 8, 12, 10],
            )[0]
            if id(w) in typo_wos:
                s = str(n)
                i = r.randint(1, len(s) - 2)
                s2 = s[:i] + s[i + 1] + s[i] + s[i + 2 :]
                if s2 == s:
                    s2 = s[:-1] + str((int(s[-1]) + 1) % 10)
                n_shown = int(s2)
                style = r.choice(["per", "Q-"])
                w.typo = n_shown
                if n_shown in qn_all:
                    self.bump("typo_quote_refs_naming_another_quote")
                self.bump("typo_quote_refs")
            else:
                n_shown = n
                w.typo = None
            w.po = self.next_po(w.customer) if w.customer.ref_style != "none" else None
            who = w.customer.harvest_name
            site = f" ({w.site})" if w.site else ""
            w.subject = f"{w.service} for {who}{site}"
            ph = f" - phase {w.phase[0]} of {w.phase[1]}" if w.phase else ""
            w.subject += ph
            ref = {
                "per": f"per quote {n_shown}",
                "Q-": f"Q-{n_shown}",
                "ref7": f"ref {n_shown:07d}",
                "full8": f"Quote #{n_shown:08d}",
                "asper": f"as per our quotation {n_shown}",
                "accepted": f"quote {n_shown} accepted {w.quote.opp.close:%d/%m/%Y}",
                "subject": None,
                "none": None,
            }[style]
            if style == "subject":
                w.subject += f" (Q{n_shown})"
            w.ref_style = style
            access = r.choice(
                [
                    "Access via rear gate, sign in at reception.",
                    "Site contact on arrival.",
                    "Permit to work required.",
                    "Out of hours only.",
                    "Keys from security.",
                    "",
                ]
            )
            where = w.site or w.customer.city
            body = f"{w.service} at {where}."
            if ref:
                body += f" {ref[0].upper() + ref[1:]}."
            elif style == "none":
                body += r.choice(
                    [
                        " Scope as agreed with client by e-mail.",
                        " See opportunity for scope.",
                        " Scope per Dave's site walk.",
                    ]
                )
            if access:
                body += ("\n" if r.random() < 0.4 else " ") + access
            w.description = body
            if style == "none":
                self.bump("work_orders_without_quote_ref")
            else:
                self.bump("free_text_quote_refs")

    # ------------------------------------------------------------------ planting WO-level anomalies
    def plant_work_orders(self):
        r = self.rng
        a = self.as_of
        comp = [
            w
            for w in self.wos
            if self.status_of(w) == "Completed" and not w.phase and w.typo is None
        ]
        old45 = [w for w in comp if w.end <= a - timedelta(days=45)]
        old25 = [w for w in comp if w.end <= a - timedelta(days=25)]
        taken = set()

        def pick(pool, k, cond=lambda w: True):
            pool = [w for w in pool if id(w) not in taken and cond(w)]
            out = r.sample(pool, min(k, len(pool)))
            for w in out:
                taken.add(id(w))
            return out

        def k():
            return r.randint(9, 16)

        for w in pick(old45, k()):
            w.plant = "unbilled_work"
            self.anomalies["unbilled_work"].append(
                {
                    "record": w.id,
                    "related": [w.quote.id, f"WO {w.number:08d}"],
                    "note": f"completed {w.end.isoformat()}, {w.value} {w.customer.currency} of work, never invoiced",
                }
            )
            # a job with cost and no revenue: a margin rule may reasonably fire too
            self.also_acceptable["margin_below_floor"].append(w.id)
        for w in pick(old25, k(), lambda w: any(l.product.kind != "material" for l in w.lines)):
            w.plant = "scope_drift"
            before = w.value
            grown = []
            cands = [l for l in w.lines if l.product.kind != "material"]
            for l in r.sample(cands, min(len(cands), r.randint(1, 2))):
                old = l.qty
                l.qty = max(
                    old + 1,
                    (old * D(str(r.choice([1.4, 1.5, 1.75, 2.0])))).quantize(D("1"), ROUND_HALF_UP),
                )
                grown.append((l, old))
            w.value = sum(money(l.qty * l.unit * (1 - (l.disc or ZERO) / 100)) for l in w.lines)
            while w.value < before * D("1.2"):
                l, old = grown[0]
                l.qty += 1
                w.value = sum(money(x.qty * x.unit * (1 - (x.disc or ZERO) / 100)) for x in w.lines)
            self.anomalies["scope_drift"].append(
                {
                    "record": w.id,
                    "related": [w.quote.id] + [l.id for l, _ in grown],
                    "note": "work order quantities grew beyond the quote: "
                    + ", ".join(f"{l.product.code} {old}->{l.qty}" for l, old in grown)
                    + f"; delivered {w.value} vs quoted {before} {w.customer.currency}, no change priced",
                }
            )
            self.also_acceptable["unpriced_change"].append(w.id)
        for w in pick(old25, k()):
            w.plant = "unpriced_change"
            have = {l.product.code for l in w.lines}
            extra_pool = [
                c
                for c in ("MNT-REACT", "CON-DAY", "CON-CMM", "MAT-PIPE", "CON-PM", "MNT-FGAS")
                if c not in have
            ]
            code = r.choice(extra_pool)
            p = self.products[code]
            qty = D(r.randint(1, 3))
            l = Obj(
                id=self.ids.new("1WL"),
                wo=w,
                product=p,
                qty=qty,
                unit=None,
                disc=None,
                list=p.list[w.customer.currency],
                qli=None,
                extra=True,
                billed_extra=r.random() < 0.5,
            )
            w.lines.append(l)
            self.anomalies["unpriced_change"].append(
                {
                    "record": w.id,
                    "related": [l.id, w.quote.id],
                    "note": f"extra work order line {code} x{qty} not on the quote, no unit price agreed; "
                    + ("billed at list price" if l.billed_extra else "not billed"),
                }
            )
            self.also_acceptable["scope_drift"].append(w.id)
        for w in pick(old25, k()):
            w.plant = "margin_below_floor"
        # invoice-level plants need a clean single invoice per job
        self.wo_for_price = pick(old25, k(), lambda w: any(l.disc is None for l in w.lines))
        self.wo_for_discount = pick(old25, k(), lambda w: any(l.disc is None for l in w.lines))
        self.wo_for_duplicate = pick(old25, k())
        for w in self.wo_for_price:
            w.plant = "price_variance"
        for w in self.wo_for_discount:
            w.plant = "discount_after_quote"
        for w in self.wo_for_duplicate:
            w.plant = "duplicate_invoice"
        # re-opened work orders (clean): completed and billed, then re-opened for snagging
        rest = [w for w in comp if id(w) not in taken and w.end <= a - timedelta(days=40)]
        for w in r.sample(rest, min(len(rest), r.randint(2, 4))):
            w.reopened = w.end + timedelta(days=r.randint(14, 30))
            taken.add(id(w))
            self.bump("reopened_work_orders")
        self.taken = taken

    # ------------------------------------------------------------------ billing
    def plan_billing(self, w):
        """Parts of the bill: [(date, [(wo_line, qty, label)], kind)]."""
        r = self.rng
        lines = [l for l in w.lines if not l.extra or l.billed_extra]
        st = self.status_of(w)
        if st == "Canceled" or w.plant == "unbilled_work":
            return [], "none"
        final_date = w.end + timedelta(days=r.randint(1, 9))
        if w.plant in (
            "price_variance",
            "discount_after_quote",
            "duplicate_invoice",
            "unpriced_change",
            "scope_drift",
            "margin_below_floor",
        ):
            pattern = "single"
        else:
            opts, wts = ["single"], [45]
            equip = [l for l in lines if l.product.kind in ("equip", "material")]
            if equip and len(equip) < len(lines):
                opts.append("deposit")
                wts.append(18)
            if (w.end - w.start).days >= 20 and any(l.qty >= 2 for l in lines):
                opts.append("progress")
                wts.append(20)
            if any(l.qty == 1 and l.unit % 10 == 0 for l in lines):
                opts.append("stage")
                wts.append(18)
            pattern = r.choices(opts, wts)[0]
        parts = []
        if pattern == "single":
            parts.append((final_date, [(l, l.qty, "") for l in lines], "final"))
        elif pattern == "deposit":
            dep = [l for l in lines if l.product.kind in ("equip", "material")]
            rest = [l for l in lines if l not in dep]
            if (w.start - w.created).days >= 3 and r.random() < 0.5:
                d = w.created + timedelta(days=r.randint(1, (w.start - w.created).days - 1))
                w.deposit_before_start = True
            else:
                d = w.start + timedelta(days=r.randint(0, 4))
                w.deposit_before_start = False
            parts.append((d, [(l, l.qty, "equipment on order") for l in dep], "deposit"))
            parts.append((final_date, [(l, l.qty, "") for l in rest], "final"))
        elif pattern == "progress":
            split = [l for l in lines if l.qty >= 2]
            k = r.choice([2, 3]) if all(l.qty >= 3 for l in split) else 2
            span = (w.end - w.start).days
            dates = sorted(
                {
                    w.start + timedelta(days=max(5, span * (i + 1) // k - r.randint(0, 3)))
                    for i in range(k - 1)
                }
            )
            k = len(dates) + 1
            pieces = {}
            for l in split:
                q = int(l.qty)
                cuts = sorted(r.sample(range(1, q), k - 1))
                bounds = [0] + cuts + [q]
                pieces[id(l)] = [D(bounds[i + 1] - bounds[i]) for i in range(k)]
            for i, d in enumerate(dates):
                parts.append(
                    (
                        d,
                        [(l, pieces[id(l)][i], f"progress {i + 1} of {k}") for l in split],
                        "progress",
                    )
                )
            last = [(l, pieces[id(l)][-1], f"progress {k} of {k}") for l in split]
            last += [(l, l.qty, "") for l in lines if l not in split]
            parts.append((final_date, last, "final"))
        elif pattern == "stage":
            lumps = [l for l in lines if l.qty == 1 and l.unit % 10 == 0]
            f1, f2_ = r.choice([(D("0.5"), D("0.5")), (D("0.3"), D("0.7")), (D("0.4"), D("0.6"))])
            d1 = w.start + timedelta(days=r.randint(0, min(7, max(0, (w.end - w.start).days - 1))))
            parts.append((d1, [(l, f1, f"stage payment {int(f1 * 100)}%") for l in lumps], "stage"))
            last = [(l, f2_, f"balance {int(f2_ * 100)}%") for l in lumps]
            last += [(l, l.qty, "") for l in lines if l not in lumps]
            parts.append((final_date, last, "final"))
        parts = [p for p in parts if p[0] <= self.as_of and p[1]]
        return parts, pattern

    def make_billing(self):
        r = self.rng
        self.docs = []  # invoices and credit notes in creation order
        seq = [0]

        def doc(kind, d, c, lines, ref, **kw):
            seq[0] += 1
            x = Obj(
                kind=kind,
                date=d,
                customer=c,
                lines=lines,
                ref=ref,
                seq=seq[0],
                status=None,
                contact=kw.pop("contact", None),
                **kw,
            )
            self.docs.append(x)
            return x

        def inv_line(l, qty, label, w):
            p = l.product
            unit = l.unit if l.unit is not None else l.list
            return Obj(
                code=p.code,
                name=p.name,
                qty=D(qty),
                unit=unit,
                disc=l.disc,
                wo=w,
                wol=l,
                label=label,
                dept=p.dept,
                neg=False,
            )

        self.wo_docs = {}
        for w in self.wos:
            parts, pattern = self.plan_billing(w)
            w.pattern = pattern
            w.docs = []
            if len(parts) >= 2:
                self.bump("partial_bills")
                if pattern == "deposit" and getattr(w, "deposit_before_start", False):
                    self.bump("deposit_invoices_before_start")
            for d, items, kind in parts:
                lines = [inv_line(l, q, lab, w) for l, q, lab in items]
                x = doc("invoice", d, w.customer, lines, self.reference_for(w), wo=w, part=kind)
                w.docs.append(x)
            w.billed_final = bool(parts) and parts[-1][2] == "final"
            st = self.status_of(w)
            if st == "Completed" and not parts and w.plant is None:
                self.bump("completed_unbilled_within_grace")
            elif st == "Completed" and parts and parts[-1][2] != "final" and w.plant is None:
                self.bump("completed_partly_billed_within_grace")
        # ---- invoice-level anomalies
        for w in self.wo_for_price:
            x = w.docs[-1]
            cand = [ln for ln in x.lines if ln.disc is None and ln.wol.qli is not None]
            ln = r.choice(cand)
            quoted = ln.unit
            while True:
                pct = D(str(r.choice([-0.2, -0.15, -0.12, 0.1, 0.12, 0.15, 0.2, 0.25])))
                new = round_to(quoted * (1 + pct), 10 if quoted >= 100 else 1)
                if abs(new - quoted) >= quoted * D("0.09"):
                    break
            ln.unit = new
            ln.planted = (
                "price_variance",
                {
                    "related": [w.id, ln.wol.qli.id],
                    "note": f"{ln.code} billed at {new} vs quoted {quoted} {w.customer.currency}",
                },
            )
        for w in self.wo_for_discount:
            x = w.docs[-1]
            cand = [ln for ln in x.lines if ln.disc is None and ln.wol.qli is not None]
            ln = r.choice(cand)
            pct = D(r.choice([10, 15, 20]))
            if r.random() < 0.3:
                base = money(ln.qty * ln.unit)
                amt = round_to(base * pct / 100, 1)
                neg = Obj(
                    code="",
                    name=r.choice(["Discount", "Loyalty discount", "Discount as agreed"]),
                    qty=D(1),
                    unit=-amt,
                    disc=None,
                    wo=w,
                    wol=None,
                    label=f"{pct}% on {ln.code}",
                    dept=ln.dept,
                    neg=True,
                )
                x.lines.append(neg)
                neg.planted = (
                    "discount_after_quote",
                    {
                        "related": [w.id, ln.wol.qli.id],
                        "note": f"negative discount line -{amt} ({pct}% of {ln.code}); quote line had no discount",
                    },
                )
                self.bump("discount_as_negative_line")
            else:
                ln.disc = pct
                ln.planted = (
                    "discount_after_quote",
                    {
                        "related": [w.id, ln.wol.qli.id],
                        "note": f"{ln.code} invoiced with {pct}% discount; quote line had none",
                    },
                )
        for w in self.wo_for_duplicate:
            x = w.docs[-1]
            d = min(self.as_of, x.date + timedelta(days=r.randint(0, 10)))
            dup = doc(
                "invoice",
                d,
                w.customer,
                [Obj(**ln.__dict__) for ln in x.lines],
                x.ref,
                wo=w,
                part="duplicate",
            )
            for ln in dup.lines:
                ln.__dict__.pop("planted", None)
            dup.duplicate_of = x
            dup.text_src = x
            w.docs.append(dup)
        # ---- clean credit notes for part of a bill
        billed = [w for w in self.wos if w.docs and w.plant is None and id(w) not in self.taken]
        r.shuffle(billed)
        n_cn = max(6, len(billed) // 12)
        for w in billed[:n_cn]:
            x = r.choice(w.docs)
            cands = [
                ln
                for ln in x.lines
                if not ln.neg
                and (ln.qty >= 2 and ln.qty == int(ln.qty) or (ln.qty == 1 and ln.unit % 10 == 0))
            ]
            if not cands:
                continue
            d = x.date + timedelta(days=r.randint(7, 40))
            if d > self.as_of:
                continue
            ln = r.choice(cands)
            q = D(1) if ln.qty >= 2 else r.choice([D("0.1"), D("0.2")])
            reason = r.choice(
                [
                    "day not attended",
                    "visit missed",
                    "delay on site - agreed credit",
                    "unit not fitted",
                    "over-charge corrected",
                ]
            )
            cl = Obj(
                code=ln.code,
                name=ln.name,
                qty=q,
                unit=ln.unit,
                disc=ln.disc,
                wo=w,
                wol=ln.wol,
                label=f"credit: {reason}",
                dept=ln.dept,
                neg=False,
            )
            cn = doc("credit", d, w.customer, [cl], None, wo=w, part="credit", credits=x)
            w.docs.append(cn)
            self.bump("credit_notes")
            self.bump("partial_credit_notes")
        # ---- credited in full and re-issued (looks like a duplicate, is not)
        for w in billed[n_cn : n_cn + r.randint(2, 4)]:
            singles = [x for x in w.docs if x.part == "final" and x.kind == "invoice"]
            if not singles:
                continue
            x = singles[0]
            d = x.date + timedelta(days=r.randint(3, 15))
            if d > self.as_of:
                continue
            cn = doc(
                "credit",
                d,
                w.customer,
                [Obj(**ln.__dict__) for ln in x.lines],
                None,
                wo=w,
                part="credit",
                credits=x,
            )
            # the customer rejected it for want of their PO number: credited, raised again with the PO
            x.ref = ""
            re_ref = self.next_po(w.customer)
            x2 = doc(
                "invoice",
                d,
                w.customer,
                [Obj(**ln.__dict__) for ln in x.lines],
                re_ref,
                wo=w,
                part="reissue",
            )
            cn.reissue = x2
            cn.text_src = x
            x2.text_src = x
            w.docs += [cn, x2]
            self.bump("credit_notes")
            self.bump("reissued_after_full_credit")
        # ---- voided in error, raised again
        for w in billed[n_cn + 5 : n_cn + 5 + r.randint(2, 4)]:
            singles = [x for x in w.docs if x.part == "final" and x.kind == "invoice"]
            if not singles:
                continue
            x = singles[0]
            v = doc(
                "invoice",
                x.date - timedelta(days=1),
                w.customer,
                [Obj(**ln.__dict__) for ln in x.lines],
                x.ref,
                wo=w,
                part="voided",
            )
            v.lines[0].qty += 1
            v.status = "Voided"
            v.text_src, x.text_src = x, v
            w.docs.append(v)
            self.bump("voided_invoices")
        # ---- invoice lines with no work order behind them
        n_iww = r.randint(9, 15)
        xero_only = []
        for i in range(r.randint(1, 2)):
            town, pc = r.choice(UK_TOWNS)
            stem = r.choice(["Abbott", "Barlow", "Crane", "Denholm", "Everett"])
            xo = Obj(
                key=f"X{i + 1:02d}",
                region="UK",
                currency="GBP",
                country="United Kingdom",
                city=town,
                postcode=f"{pc}{r.randint(1, 20)} {r.randint(1, 9)}AB",
                street=f"{r.randint(1, 99)} High Street",
                domain=f"{stem.lower()}-{r.choice(['dental', 'joinery', 'motors'])}.co.uk",
                xero_name=f"{stem} {r.choice(['Dental Practice', 'Joinery', 'Motors'])}",
                sf_id=None,
                contacts=[],
                xero_seen=False,
                ref_style="none",
            )
            xero_only.append(xo)
        self.xero_only = xero_only
        made = 0
        custs = [c for c in self.customers if any(w.customer is c and w.docs for w in self.wos)]
        while made < n_iww:
            if xero_only and (made == 0 or r.random() < 0.2):
                c = r.choice(xero_only)
                have = set()
            else:
                c = r.choice(custs)
                have = {l.product.code for w in self.wos if w.customer is c for l in w.lines}
                have |= {ql.product.code for q in self.quotes if q.customer is c for ql in q.lines}
            pool = [
                p for p in self.products.values() if p.code not in have and p.kind != "material"
            ]
            k = min(n_iww - made, r.choice([1, 1, 2]))
            ps = r.sample(pool, k)
            d = self.hist_start + timedelta(
                days=r.randint(40, (self.as_of - self.hist_start).days - 3)
            )
            lines = [
                Obj(
                    code=p.code,
                    name=p.name,
                    qty=D(r.randint(1, 3)),
                    unit=p.list[c.currency],
                    disc=None,
                    wo=None,
                    wol=None,
                    label="",
                    dept=p.dept,
                    neg=False,
                )
                for p in ps
            ]
            ref = self.next_po(c) if c.ref_style == "po" else ""
            x = doc("invoice", d, c, lines, ref, wo=None, part="no_work")
            for ln in lines:
                ln.planted = (
                    "invoice_without_work",
                    {
                        "related": [],
                        "note": f"{ln.code} billed to {c.xero_name}; no work order or quote for it",
                    },
                )
            made += k

    def reference_for(self, w):
        r = self.rng
        c = w.customer
        if c.ref_style == "po":
            return w.po or ""
        if c.ref_style == "none":
            return ""
        roll = r.random()
        if roll < 0.5 and w.po:
            return w.po
        if roll < 0.75:
            return f"Att: {c.contacts[0].first} {c.contacts[0].last}"
        return w.site or ""

    # ------------------------------------------------------------------ number and write Xero
    def number_docs(self):
        r = self.rng
        self.docs.sort(key=lambda x: (x.date, x.seq))
        inv_n = r.randint(1200, 4800)
        cn_n = r.randint(20, 300)
        for x in self.docs:
            if x.kind == "invoice":
                inv_n += 1
                x.number = f"INV-{inv_n:04d}"
            else:
                cn_n += 1
                x.number = f"CN-{cn_n:04d}"
        for x in self.docs:
            if x.kind == "credit":
                style = r.choice(["inv", "inv", "against", "po", "blank"])
                if style == "inv":
                    x.ref = x.credits.number
                elif style == "against":
                    x.ref = f"Credit against {x.credits.number}"
                elif style == "po":
                    x.ref = x.credits.ref
                else:
                    x.ref = ""

    def line_texts(self, x):
        """Item code and description for each line, in one style per invoice. A copy of an invoice
        (a re-send, a re-issue, a full credit, a voided twin) keeps the text of the one it copies."""
        src = getattr(x, "text_src", None)
        if src is not None and getattr(src, "texts", None) is not None:
            x.text_style = src.text_style
            x.texts = src.texts
            return x.texts
        x.texts = self._line_texts(x)
        return x.texts

    def _line_texts(self, x):
        r = self.rng
        style = r.choices(["code", "desc_code", "name_only"], [65, 25, 10])[0]
        out = []
        for ln in x.lines:
            if ln.neg:
                out.append(("", f"{ln.name} ({ln.label})"))
                continue
            extra = ""
            if ln.label:
                extra = f" - {ln.label}"
            w = ln.wo
            if w is not None and w.site:
                extra = f" - {w.site}" + extra
            if w is not None and w.phase:
                extra += f" (phase {w.phase[0]})"
            if style == "code":
                out.append((ln.code, ln.name + extra))
            elif style == "desc_code":
                out.append(
                    ("", r.choice([f"{ln.code} {ln.name}", f"{ln.name} ({ln.code})"]) + extra)
                )
            else:
                out.append(("", ln.name + extra))
        x.text_style = style
        return out

    def write_xero(self, root):
        r = self.rng
        cols = [
            "ContactName",
            "EmailAddress",
            "POAddressLine1",
            "POAddressLine2",
            "POAddressLine3",
            "POAddressLine4",
            "POCity",
            "PORegion",
            "POPostalCode",
            "POCountry",
            "SAAddressLine1",
            "SAAddressLine2",
            "SAAddressLine3",
            "SAAddressLine4",
            "SACity",
            "SARegion",
            "SAPostalCode",
            "SACountry",
            "InvoiceNumber",
            "Reference",
            "InvoiceDate",
            "DueDate",
            "PlannedDate",
            "Total",
            "TaxTotal",
            "InvoiceAmountPaid",
            "InvoiceAmountDue",
            "InventoryItemCode",
            "Description",
            "Quantity",
            "UnitAmount",
            "Discount",
            "LineAmount",
            "AccountCode",
            "TaxType",
            "TaxAmount",
            "TrackingName1",
            "TrackingOption1",
            "TrackingName2",
            "TrackingOption2",
            "Currency",
            "Type",
            "Sent",
            "Status",
        ]
        star = {
            "ContactName",
            "InvoiceNumber",
            "InvoiceDate",
            "DueDate",
            "Description",
            "Quantity",
            "UnitAmount",
            "AccountCode",
            "TaxType",
        }
        header = [("*" + c if self.habits["xero_star_headers"] and c in star else c) for c in cols]
        by_year: dict[int, list] = {}
        for x in self.docs:
            by_year.setdefault(x.date.year, []).append(x)
        self.line_refs = []  # (doc, line index, file, row)
        os.makedirs(os.path.join(root, "exports", "xero"), exist_ok=True)
        for year, docs in sorted(by_year.items()):
            fname = f"exports/xero/Sales_Invoices_{year}.csv"
            rows = []
            for x in docs:
                c = x.customer
                c.xero_seen = True
                ccy = c.currency
                tax_name, tax_rate = TAX[ccy]
                texts = self.line_texts(x)
                amounts = []
                for ln in x.lines:
                    la = money(ln.qty * ln.unit * (1 - (ln.disc or ZERO) / 100))
                    amounts.append((la, money(la * tax_rate)))
                sub = sum(a for a, _ in amounts)
                tax = sum(t for _, t in amounts)
                total = sub + tax
                due = x.date + timedelta(days=30)
                if x.status == "Voided":
                    status, paid = "Voided", ZERO
                elif due < self.as_of - timedelta(days=r.randint(0, 25)):
                    status, paid = "Paid", total
                else:
                    status, paid = "Awaiting Payment", ZERO
                if x.status == "Voided":
                    amt_due = ZERO
                else:
                    amt_due = total - paid
                x.total = total
                for i, ln in enumerate(x.lines):
                    code, desc = texts[i]
                    la, ta = amounts[i]
                    row = {
                        "ContactName": c.xero_name,
                        "EmailAddress": f"accounts@{c.domain}",
                        "POAddressLine1": c.street,
                        "POAddressLine2": "",
                        "POAddressLine3": "",
                        "POAddressLine4": "",
                        "POCity": c.city,
                        "PORegion": getattr(c, "state", ""),
                        "POPostalCode": c.postcode,
                        "POCountry": c.country,
                        "SAAddressLine1": "",
                        "SAAddressLine2": "",
                        "SAAddressLine3": "",
                        "SAAddressLine4": "",
                        "SACity": "",
                        "SARegion": "",
                        "SAPostalCode": "",
                        "SACountry": "",
                        "InvoiceNumber": x.number,
                        "Reference": x.ref or "",
                        "InvoiceDate": x.date.strftime("%d/%m/%Y"),
                        "DueDate": due.strftime("%d/%m/%Y"),
                        "PlannedDate": "",
                        "Total": f2(total),
                        "TaxTotal": f2(tax),
                        "InvoiceAmountPaid": f2(paid),
                        "InvoiceAmountDue": f2(amt_due),
                        "InventoryItemCode": code,
                        "Description": desc,
                        "Quantity": f2(ln.qty),
                        "UnitAmount": f2(ln.unit),
                        "Discount": f2(ln.disc) if ln.disc else "",
                        "LineAmount": f2(la),
                        "AccountCode": ACCOUNT_CODE[ln.dept],
                        "TaxType": tax_name,
                        "TaxAmount": f2(ta),
                        "TrackingName1": "Department",
                        "TrackingOption1": ln.dept,
                        "TrackingName2": "",
                        "TrackingOption2": "",
                        "Currency": ""
                        if (ccy == "GBP" and self.habits["xero_blank_base_currency"])
                        else ccy,
                        "Type": "Sales invoice" if x.kind == "invoice" else "Sales credit note",
                        "Sent": "Sent" if status != "Voided" else "",
                        "Status": status,
                    }
                    rows.append([row[k] for k in cols])
                    self.line_refs.append((x, i, fname, len(rows) + 1))
            with open(os.path.join(root, fname), "w", newline="", encoding="utf-8") as fh:
                wr = csv.writer(fh)
                wr.writerow(header)
                wr.writerows(rows)
        self.xero_files = sorted({f for _, _, f, _ in self.line_refs})

    # ------------------------------------------------------------------ Harvest time
    def make_time(self):
        r = self.rng
        self.time_rows = []
        staff_by = {}
        for s in self.staff:
            staff_by.setdefault(s.dept, []).append(s)
        pms = [s for s in self.staff if s.role == "Project Manager"]
        task_for = {
            "Technician": "Installation",
            "Maintenance Engineer": "Maintenance",
            "Design Engineer": "Design",
            "Consultant": "Consultancy",
            "Project Manager": "Project Management",
        }
        retainer_projects = {}
        self.wo_time_cost = {}
        for w in self.wos:
            st = self.status_of(w)
            if st in ("New", "Canceled"):
                continue
            c = w.customer
            ccy = c.currency
            fx = FX_TO_GBP_APPROX[ccy]
            # how the time sheet names the job
            if w.plant == "margin_below_floor":
                mode = "code"
            elif w.dept == "Maintenance" and r.random() < 0.4:
                mode = "retainer"
            else:
                mode = r.choices(["code", "named"], [65, 35])[0]
            if mode == "code":
                codefmt = r.choice(["WO-{n8}", "WO{n}", "{n}", "J{n}"])
                code = codefmt.replace("{n8}", f"{w.number:08d}").replace("{n}", str(w.number))
                project = r.choice(
                    [
                        f"{w.service} - {w.site or c.city}",
                        f"WO {w.number} {w.service}",
                        f"{c.harvest_name} {w.service}",
                    ]
                )
                self.bump("time_projects_with_wo_code")
            elif mode == "named":
                code = ""
                project = f"{c.harvest_name} - {w.service}" + (f" {w.site}" if w.site else "")
                self.bump("time_projects_named_only")
            else:
                code = ""
                project = retainer_projects.setdefault(
                    (c.key, w.start.year), f"Maintenance contract {w.start.year}"
                )
                self.bump("time_on_customer_retainer_project")
            w.time_mode, w.time_project, w.time_code = mode, project, code
            team = r.sample(staff_by[w.dept], min(len(staff_by[w.dept]), r.randint(1, 3))) + [
                r.choice(pms)
            ]
            avg_cost = sum(s.cost_gbp for s in team) / len(team) / fx
            if w.plant == "margin_below_floor":
                target = w.value * D(str(r.uniform(1.2, 1.6)))
            else:
                target = w.value * D(str(r.uniform(0.18, 0.36)))
            hours_total = target / avg_cost
            last = min(w.end, self.as_of)
            if w.reopened and w.reopened <= self.as_of:
                last = min(w.reopened, self.as_of)
            days = [w.start + timedelta(days=i) for i in range((last - w.start).days + 1)]
            days = [d for d in days if d.weekday() < 5] or [w.start]
            if st == "In Progress":
                frac = D((self.as_of - w.start).days + 1) / D(max(1, (w.end - w.start).days + 1))
                hours_total *= min(D(1), frac)
            cost_sum = ZERO
            h_left = hours_total
            while h_left > D("0.5"):
                s = r.choice(team)
                h = min(h_left, D(str(r.choice([3, 4, 6, 7.5, 7.5, 8, 8, 8]))))
                h = (h * 4).quantize(D("1"), ROUND_HALF_UP) / 4
                if h <= 0:
                    break
                d = r.choice(days)
                task = task_for[s.role]
                billable = True
                if r.random() < 0.08:
                    task, billable = "Travel", False
                cost_rate = money(s.cost_gbp / fx)
                bill_rate = money(s.bill_gbp / fx)
                cost = money(h * cost_rate)
                cost_sum += cost
                notes = r.choice(
                    [
                        "",
                        "",
                        f"{w.service}",
                        "on site",
                        "snagging",
                        "prep and RAMS",
                        "client meeting",
                        "install day",
                        "commissioning checks",
                    ]
                )
                if task == "Travel":
                    notes = r.choice(["travel to site", "travel", ""])
                if w.reopened and d > w.end:
                    notes = "re-opened: snagging"
                self.time_rows.append(
                    (
                        d,
                        c.harvest_name,
                        project,
                        code,
                        task,
                        notes,
                        h,
                        billable,
                        s,
                        bill_rate,
                        cost_rate,
                        cost,
                        ccy,
                        w.id,
                    )
                )
                h_left -= h
            self.wo_time_cost[w.id] = cost_sum
        # internal, non-billable time
        for _ in range(r.randint(120, 220)):
            s = r.choice(self.staff)
            d = self.hist_start + timedelta(days=r.randint(0, (self.as_of - self.hist_start).days))
            if d.weekday() >= 5:
                continue
            task = r.choice(["Training", "Admin", "Toolbox talk", "Holiday cover"])
            h = D(str(r.choice([1, 2, 3.5, 4, 7.5])))
            cr = money(s.cost_gbp)
            self.time_rows.append(
                (
                    d,
                    self.name,
                    "Internal",
                    "INT",
                    task,
                    "",
                    h,
                    False,
                    s,
                    ZERO,
                    cr,
                    money(h * cr),
                    "GBP",
                    None,
                )
            )
        self.time_rows.sort(key=lambda t: (t[0], t[8].emp_id, t[2]))
        for w in self.wos:
            if w.plant == "margin_below_floor":
                billed = w.value
                cost = self.wo_time_cost.get(w.id, ZERO)
                self.anomalies["margin_below_floor"].append(
                    {
                        "record": w.id,
                        "related": [w.quote.id],
                        "note": f"billed {billed} vs time at cost {cost} {w.customer.currency} (margin {((billed - cost) / billed * 100):.0f}%)",
                    }
                )

    def write_harvest(self, root):
        os.makedirs(os.path.join(root, "exports", "harvest"), exist_ok=True)
        cols = [
            "Date",
            "Client",
            "Project",
            "Project Code",
            "Task",
            "Notes",
            "Hours",
            "Hours Rounded",
            "Billable?",
            "Invoiced?",
            "Approved?",
            "First Name",
            "Last Name",
            "Employee Id",
            "Roles",
            "Employee?",
            "Billable Rate",
            "Billable Amount",
            "Cost Rate",
            "Cost Amount",
            "Currency",
            "External Reference URL",
        ]
        fmt = self.habits["harvest_date_format"]
        fname = f"exports/harvest/harvest_time_report_from{self.hist_start:%Y-%m-%d}to{self.as_of:%Y-%m-%d}.csv"
        self.time_refs = []
        with open(os.path.join(root, fname), "w", newline="", encoding="utf-8") as fh:
            wr = csv.writer(fh)
            wr.writerow(cols)
            for i, (
                d,
                client,
                project,
                code,
                task,
                notes,
                h,
                billable,
                s,
                br,
                cr,
                cost,
                ccy,
                wid,
            ) in enumerate(self.time_rows):
                if wid:
                    self.time_refs.append([{"file": fname, "row": i + 2}, wid])
                hr = (h * 4).quantize(D("1"), ROUND_HALF_UP) / 4
                wr.writerow(
                    [
                        d.strftime(fmt),
                        client,
                        project,
                        code,
                        task,
                        notes,
                        f2(h),
                        f2(hr),
                        "Yes" if billable else "No",
                        "No",
                        "Yes" if d < self.as_of - timedelta(days=7) else "No",
                        s.first,
                        s.last,
                        s.emp_id,
                        s.role,
                        "Yes",
                        f2(br) if billable else "",
                        f2(money(h * br)) if billable else f2(0),
                        f2(cr),
                        f2(cost),
                        HARVEST_CCY[ccy],
                        "",
                    ]
                )
        self.harvest_file = fname

    # ------------------------------------------------------------------ tickets
    def write_zendesk(self, root):
        r = self.rng
        cols = [
            "Id",
            "Requester",
            "Requester id",
            "Requester external id",
            "Requester email",
            "Requester domain",
            "Submitter",
            "Assignee",
            "Group",
            "Subject",
            "Tags",
            "Status",
            "Priority",
            "Via",
            "Ticket type",
            "Created at",
            "Updated at",
            "Assigned at",
            "Organization",
            "Due date",
            "Initially assigned at",
            "Solved at",
            "Resolution time",
            "Satisfaction Score",
            "Group stations",
            "Assignee stations",
            "Reopens",
            "Replies",
            "First reply time in minutes",
            "First reply time in minutes within business hours",
            "First resolution time in minutes",
            "First resolution time in minutes within business hours",
            "Full resolution time in minutes",
            "Full resolution time in minutes within business hours",
            "Agent wait time in minutes",
            "Agent wait time in minutes within business hours",
            "Requester wait time in minutes",
            "Requester wait time in minutes within business hours",
            "On hold time in minutes",
            "On hold time in minutes within business hours",
        ]
        agents = [s for s in self.staff if s.role in ("Maintenance Engineer", "Project Manager")][
            :5
        ]
        rows = []
        tid = r.randint(2000, 9000)
        subjects = [
            "Boiler not firing",
            "Noisy AHU on level 2",
            "Lights flickering in warehouse",
            "EV charger offline",
            "Request for F-Gas certificate",
            "Invoice query",
            "Heating schedule change",
            "BMS alarm",
            "Water leak near plant room",
            "Request quote for additional work",
            "Engineer arrival time",
            "Access for PPM visit",
        ]
        self.ticket_orgs = {}
        wos_by_c = {}
        for w in self.wos:
            wos_by_c.setdefault(w.customer.key, []).append(w)
        for c in self.customers:
            if r.random() < 0.12:
                continue  # a customer that never raised a ticket
            self.ticket_orgs[c.key] = c.zd_name
            for _ in range(r.randint(1, 7)):
                tid += r.randint(1, 6)
                created = datetime.combine(
                    self.hist_start
                    + timedelta(days=r.randint(0, (self.as_of - self.hist_start).days)),
                    datetime.min.time(),
                ) + timedelta(minutes=r.randint(7 * 60, 18 * 60))
                ct = r.choice(c.contacts)
                subj = r.choice(subjects)
                mine = [
                    w
                    for w in wos_by_c.get(c.key, [])
                    if w.start <= created.date() <= w.end + timedelta(days=60)
                ]
                if mine and r.random() < 0.3:
                    w = r.choice(mine)
                    subj += r.choice(
                        [
                            f" - WO {w.number:08d}",
                            f" (job {w.number})",
                            f" re work order {w.number}",
                        ]
                    )
                    self.bump("tickets_naming_a_work_order")
                first = r.randint(5, 600)
                full = first + r.randint(30, 6000)
                solved = created + timedelta(minutes=full)
                open_ = solved.date() > self.as_of
                status = r.choice(["Open", "Pending"]) if open_ else r.choice(["Solved", "Closed"])
                ag = r.choice(agents)
                rows.append(
                    [
                        str(tid),
                        f"{ct.first} {ct.last}",
                        str(r.randint(10**11, 10**12)),
                        "",
                        ct.email,
                        c.domain,
                        f"{ct.first} {ct.last}",
                        f"{ag.first} {ag.last}",
                        "Service Desk",
                        subj,
                        r.choice(["", "hvac", "maintenance", "billing", "hvac maintenance"]),
                        status,
                        r.choice(["Low", "Normal", "Normal", "High", "Urgent"]),
                        r.choice(["Mail", "Web form", "Phone call (incoming)"]),
                        r.choice(["Incident", "Question", "Problem", "Task"]),
                        created.strftime("%Y-%m-%d %H:%M:%S"),
                        (min(solved, datetime.combine(self.as_of, datetime.min.time()))).strftime(
                            "%Y-%m-%d %H:%M:%S"
                        ),
                        (created + timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M:%S"),
                        c.zd_name,
                        "",
                        (created + timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M:%S"),
                        "" if open_ else solved.strftime("%Y-%m-%d %H:%M:%S"),
                        "" if open_ else str(max(1, full // 60)),
                        r.choice(["Offered", "Not Offered", "Good", "Bad", "Unoffered", "Good"]),
                        "1",
                        "1",
                        "0",
                        str(r.randint(1, 6)),
                        str(first),
                        str(min(first, 480)),
                        "" if open_ else str(full),
                        "" if open_ else str(full // 3),
                        "" if open_ else str(full),
                        "" if open_ else str(full // 3),
                        str(full // 2),
                        str(full // 6),
                        str(full // 4),
                        str(full // 12),
                        "0",
                        "0",
                    ]
                )
        rows.sort(key=lambda x: int(x[0]))
        os.makedirs(os.path.join(root, "exports", "zendesk"), exist_ok=True)
        stamp = f"export-{self.as_of:%Y-%m-%d}-{r.randint(1000000, 9999999)}"
        buf = io.StringIO()
        wr = csv.writer(buf)
        wr.writerow(cols)
        wr.writerows(rows)
        zpath = os.path.join(root, "exports", "zendesk", stamp + ".csv.zip")
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
            zi = zipfile.ZipInfo(
                stamp + ".csv",
                date_time=(self.as_of.year, self.as_of.month, self.as_of.day, 6, 0, 0),
            )
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, buf.getvalue().encode("utf-8"))
        self.zendesk_file = f"exports/zendesk/{stamp}.csv.zip"
        self.n_tickets = len(rows)

    # ------------------------------------------------------------------ Salesforce
    def write_salesforce(self, root):
        r = self.rng
        enc = self.habits["salesforce_encoding"]
        d = os.path.join(root, "exports", "salesforce")
        os.makedirs(d, exist_ok=True)
        admin = self.users[0]

        def sysf(created: date, by=None):
            mod = min(self.as_of, created + timedelta(days=r.randint(0, 40)))
            by = by or admin
            return {
                "IsDeleted": "false",
                "CreatedDate": iso_dt(
                    created, r.randint(7, 17), r.randint(0, 59), r.randint(0, 59)
                ),
                "CreatedById": by.id,
                "LastModifiedDate": iso_dt(mod, r.randint(7, 17), r.randint(0, 59)),
                "LastModifiedById": by.id,
                "SystemModstamp": iso_dt(mod, r.randint(7, 17), r.randint(0, 59)),
            }

        def write(name, cols, rows):
            with open(os.path.join(d, name), "w", newline="", encoding=enc, errors="replace") as fh:
                wr = csv.writer(fh, quoting=csv.QUOTE_ALL)
                wr.writerow(cols)
                for row in rows:
                    wr.writerow([row.get(k, "") for k in cols])

        sys_cols = [
            "IsDeleted",
            "CreatedDate",
            "CreatedById",
            "LastModifiedDate",
            "LastModifiedById",
            "SystemModstamp",
        ]
        # User
        cols = [
            "Id",
            "Username",
            "LastName",
            "FirstName",
            "Name",
            "CompanyName",
            "Title",
            "Email",
            "IsActive",
            "UserRoleId",
            "ManagerId",
        ] + sys_cols
        rows = []
        for u in self.users:
            rows.append(
                {
                    "Id": u.id,
                    "Username": u.email,
                    "LastName": u.last,
                    "FirstName": u.first,
                    "Name": f"{u.first} {u.last}",
                    "CompanyName": self.name,
                    "Title": u.title,
                    "Email": u.email,
                    "IsActive": "true",
                    "UserRoleId": EMPTY_LOOKUP,
                    "ManagerId": EMPTY_LOOKUP,
                    **sysf(u.created),
                }
            )
        write("User.csv", cols, rows)
        # Account
        cols = [
            "Id",
            "Name",
            "Type",
            "ParentId",
            "BillingStreet",
            "BillingCity",
            "BillingState",
            "BillingPostalCode",
            "BillingCountry",
            "Phone",
            "Website",
            "Industry",
            "NumberOfEmployees",
            "OwnerId",
            "CurrencyIsoCode",
            "AccountSource",
        ] + sys_cols
        rows = []
        for c in self.customers:
            parent = self.parent_of.get(c.key)
            rows.append(
                {
                    "Id": c.sf_id,
                    "Name": c.sf_name,
                    "Type": "Customer",
                    "ParentId": parent.sf_id if parent else EMPTY_LOOKUP,
                    "BillingStreet": c.street,
                    "BillingCity": c.city,
                    "BillingState": getattr(c, "state", ""),
                    "BillingPostalCode": c.postcode,
                    "BillingCountry": c.country,
                    "Phone": f"0{r.randint(1000000000, 1999999999)}" if c.region == "UK" else "",
                    "Website": f"www.{c.domain}",
                    "Industry": c.industry,
                    "NumberOfEmployees": str(r.randint(20, 4000)),
                    "OwnerId": c.owner.id,
                    "CurrencyIsoCode": c.currency,
                    "AccountSource": r.choice(["Referral", "Web", "Trade Show", "Partner", ""]),
                    **sysf(c.created, c.owner),
                }
            )
        write("Account.csv", cols, rows)
        # Contact
        cols = [
            "Id",
            "AccountId",
            "FirstName",
            "LastName",
            "Email",
            "Phone",
            "Title",
            "OwnerId",
        ] + sys_cols
        rows = []
        for c in self.customers:
            for ct in c.contacts:
                rows.append(
                    {
                        "Id": ct.id,
                        "AccountId": c.sf_id,
                        "FirstName": ct.first,
                        "LastName": ct.last,
                        "Email": ct.email,
                        "Phone": "",
                        "Title": ct.title,
                        "OwnerId": c.owner.id,
                        **sysf(c.created + timedelta(days=r.randint(0, 60)), c.owner),
                    }
                )
        write("Contact.csv", cols, rows)
        # Product2
        cols = [
            "Id",
            "Name",
            "ProductCode",
            "Description",
            "IsActive",
            "Family",
            "QuantityUnitOfMeasure",
            "CurrencyIsoCode",
            "StockKeepingUnit",
        ] + sys_cols
        rows = []
        for p in self.products.values():
            rows.append(
                {
                    "Id": p.id,
                    "Name": p.name,
                    "ProductCode": p.code,
                    "Description": f"{p.family}: {p.name}",
                    "IsActive": "true",
                    "Family": p.family,
                    "QuantityUnitOfMeasure": p.uom,
                    "CurrencyIsoCode": "GBP",
                    "StockKeepingUnit": "",
                    **sysf(p.created),
                }
            )
        write("Product2.csv", cols, rows)
        # Opportunity
        cols = [
            "Id",
            "AccountId",
            "Name",
            "Description",
            "StageName",
            "Amount",
            "Probability",
            "CloseDate",
            "Type",
            "LeadSource",
            "IsClosed",
            "IsWon",
            "ForecastCategory",
            "CurrencyIsoCode",
            "OwnerId",
            "Pricebook2Id",
            "SyncedQuoteId",
            "CampaignId",
        ] + sys_cols
        rows = []
        for o in self.opps:
            stage, prob, closed, won, fc = {
                "won": ("Closed Won", 100, "true", "true", "Closed"),
                "lost": ("Closed Lost", 0, "true", "false", "Omitted"),
                "open": ("Proposal/Price Quote", 60, "false", "false", "Pipeline"),
            }[o.stage]
            rows.append(
                {
                    "Id": o.id,
                    "AccountId": o.customer.sf_id,
                    "Name": o.name,
                    "Description": "",
                    "StageName": stage,
                    "Amount": f2(o.amount),
                    "Probability": str(prob),
                    "CloseDate": o.close.isoformat(),
                    "Type": r.choice(["New Business", "Existing Business"]),
                    "LeadSource": r.choice(["Referral", "Web", "Phone Inquiry", "Partner", ""]),
                    "IsClosed": closed,
                    "IsWon": won,
                    "ForecastCategory": fc,
                    "CurrencyIsoCode": o.customer.currency,
                    "OwnerId": o.owner.id,
                    "Pricebook2Id": self.pricebook_id,
                    "SyncedQuoteId": o.quotes[-1].id if o.stage != "lost" else EMPTY_LOOKUP,
                    "CampaignId": EMPTY_LOOKUP,
                    **sysf(o.created, o.owner),
                }
            )
        write("Opportunity.csv", cols, rows)
        # Quote
        cols = [
            "Id",
            "Name",
            "CurrencyIsoCode",
            "OpportunityId",
            "Pricebook2Id",
            "ContactId",
            "QuoteNumber",
            "IsSyncing",
            "ShippingHandling",
            "Tax",
            "Status",
            "ExpirationDate",
            "Description",
            "BillingName",
            "BillingStreet",
            "BillingCity",
            "BillingPostalCode",
            "BillingCountry",
            "AccountId",
            "Email",
            "Phone",
        ] + sys_cols
        rows = []
        for q in self.quotes:
            c = q.customer
            rows.append(
                {
                    "Id": q.id,
                    "Name": q.name,
                    "CurrencyIsoCode": q.currency,
                    "OpportunityId": q.opp.id,
                    "Pricebook2Id": self.pricebook_id,
                    "ContactId": c.contacts[0].id,
                    "QuoteNumber": f"{q.number:08d}",
                    "IsSyncing": "true"
                    if q is q.opp.quotes[-1] and q.opp.stage != "lost"
                    else "false",
                    "ShippingHandling": "",
                    "Tax": "",
                    "Status": q.status,
                    "ExpirationDate": q.expiration.isoformat(),
                    "Description": "",
                    "BillingName": c.sf_name,
                    "BillingStreet": c.street,
                    "BillingCity": c.city,
                    "BillingPostalCode": c.postcode,
                    "BillingCountry": c.country,
                    "AccountId": c.sf_id,
                    "Email": c.contacts[0].email,
                    "Phone": "",
                    **sysf(q.created, q.opp.owner),
                }
            )
        write("Quote.csv", cols, rows)
        # QuoteLineItem
        cols = [
            "Id",
            "LineNumber",
            "QuoteId",
            "PricebookEntryId",
            "OpportunityLineItemId",
            "Quantity",
            "UnitPrice",
            "Discount",
            "Description",
            "ServiceDate",
            "Product2Id",
            "SortOrder",
            "ListPrice",
            "CurrencyIsoCode",
        ] + sys_cols
        rows = []
        ln = r.randint(10000, 60000)
        for q in self.quotes:
            for ql in q.lines:
                ln += 1
                rows.append(
                    {
                        "Id": ql.id,
                        "LineNumber": f"{ln:08d}",
                        "QuoteId": q.id,
                        "PricebookEntryId": ql.product.pbe[q.currency],
                        "OpportunityLineItemId": EMPTY_LOOKUP,
                        "Quantity": f2(ql.qty),
                        "UnitPrice": f2(ql.unit),
                        "Discount": f2(ql.disc) if ql.disc else "",
                        "Description": "",
                        "ServiceDate": "",
                        "Product2Id": ql.product.id,
                        "SortOrder": str(ql.line_no),
                        "ListPrice": f2(ql.list),
                        "CurrencyIsoCode": q.currency,
                        **sysf(q.created, q.opp.owner),
                    }
                )
        write("QuoteLineItem.csv", cols, rows)
        # WorkOrder (no quote lookup: the quote is named only in free text)
        cols = [
            "Id",
            "OwnerId",
            "WorkOrderNumber",
            "AccountId",
            "ContactId",
            "CaseId",
            "AssetId",
            "Street",
            "City",
            "State",
            "PostalCode",
            "Country",
            "Description",
            "StartDate",
            "EndDate",
            "Subject",
            "RootWorkOrderId",
            "Status",
            "Priority",
            "Pricebook2Id",
            "ParentWorkOrderId",
            "IsClosed",
            "StatusCategory",
            "Duration",
            "DurationType",
            "CurrencyIsoCode",
            "Site__c",
        ] + sys_cols
        rows = []
        sdm = [u for u in self.users if u.title == "Service Delivery Manager"][0]
        for w in self.wos:
            c = w.customer
            st = self.status_of(w)
            desc = w.description
            end = w.end
            if w.reopened:
                if w.reopened <= self.as_of - timedelta(days=5) and r.random() < 0.5:
                    end = w.reopened  # re-opened, fixed and completed again after it was billed
                    desc += f"\nRe-opened {w.end + timedelta(days=5):%d/%m/%Y} for snagging (no charge); completed {w.reopened:%d/%m/%Y}."
                else:
                    st = "In Progress"
                    desc += f"\nRe-opened {w.end + timedelta(days=5):%d/%m/%Y} for snagging - no charge."
            if (
                st == "Completed"
                and w.end < self.as_of - timedelta(days=45)
                and w.plant != "unbilled_work"
                and r.random() < 0.5
            ):
                st = "Closed"
            if st == "In Progress" and r.random() < 0.07:
                st = "On Hold"
            cat = {
                "New": "New",
                "In Progress": "InProgress",
                "On Hold": "OnHold",
                "Completed": "Completed",
                "Closed": "Closed",
                "Canceled": "Canceled",
            }[st]
            rows.append(
                {
                    "Id": w.id,
                    "OwnerId": sdm.id,
                    "WorkOrderNumber": f"{w.number:08d}",
                    "AccountId": c.sf_id,
                    "ContactId": r.choice(c.contacts).id,
                    "CaseId": EMPTY_LOOKUP,
                    "AssetId": EMPTY_LOOKUP,
                    "Street": c.street,
                    "City": c.city,
                    "State": getattr(c, "state", ""),
                    "PostalCode": c.postcode,
                    "Country": c.country,
                    "Description": desc,
                    "StartDate": iso_dt(w.start, 8),
                    "EndDate": "" if w.canceled else iso_dt(end, 17),
                    "Subject": w.subject,
                    "RootWorkOrderId": w.id,
                    "Status": st,
                    "Priority": r.choice(["Low", "Medium", "Medium", "High"]),
                    "Pricebook2Id": self.pricebook_id,
                    "ParentWorkOrderId": EMPTY_LOOKUP,
                    "IsClosed": "true" if st in ("Closed", "Canceled") else "false",
                    "StatusCategory": cat,
                    "Duration": str(max(1, (w.end - w.start).days) * 8),
                    "DurationType": "Hours",
                    "CurrencyIsoCode": c.currency,
                    "Site__c": w.site or "",
                    **sysf(w.created, sdm),
                }
            )
        write("WorkOrder.csv", cols, rows)
        # WorkOrderLineItem
        cols = [
            "Id",
            "LineItemNumber",
            "WorkOrderId",
            "ParentWorkOrderLineItemId",
            "Product2Id",
            "AssetId",
            "OrderId",
            "RootWorkOrderLineItemId",
            "Description",
            "StartDate",
            "EndDate",
            "Status",
            "PricebookEntryId",
            "Quantity",
            "UnitPrice",
            "Discount",
            "ListPrice",
            "Subject",
            "CurrencyIsoCode",
            "StatusCategory",
        ] + sys_cols
        rows = []
        li = r.randint(20000, 90000)
        for w in self.wos:
            st = self.status_of(w)
            for l in w.lines:
                li += 1
                desc = ""
                if l.extra:
                    desc = r.choice(
                        [
                            "Additional works requested on site - not on quote",
                            "Extra visit requested by site manager",
                            "Added on the day - price TBC",
                        ]
                    )
                rows.append(
                    {
                        "Id": l.id,
                        "LineItemNumber": f"{li:08d}",
                        "WorkOrderId": w.id,
                        "ParentWorkOrderLineItemId": EMPTY_LOOKUP,
                        "Product2Id": l.product.id,
                        "AssetId": EMPTY_LOOKUP,
                        "OrderId": EMPTY_LOOKUP,
                        "RootWorkOrderLineItemId": l.id,
                        "Description": desc,
                        "StartDate": iso_dt(w.start, 8),
                        "EndDate": "" if w.canceled else iso_dt(w.end, 17),
                        "Status": st if st != "Canceled" else "Canceled",
                        "PricebookEntryId": l.product.pbe[w.customer.currency],
                        "Quantity": f2(l.qty),
                        "UnitPrice": f2(l.unit) if l.unit is not None else "",
                        "Discount": f2(l.disc) if l.disc else "",
                        "ListPrice": f2(l.list),
                        "Subject": l.product.name,
                        "CurrencyIsoCode": w.customer.currency,
                        "StatusCategory": {
                            "New": "New",
                            "In Progress": "InProgress",
                            "Completed": "Completed",
                            "Canceled": "Canceled",
                        }[st],
                        **sysf(w.created, sdm),
                    }
                )
        write("WorkOrderLineItem.csv", cols, rows)

    # ------------------------------------------------------------------ project file and truth
    def write_project(self, root):
        with open(
            os.path.join(root, "exports", "fx", "fx_rates.csv"), "w", newline="", encoding="utf-8"
        ) as fh:
            wr = csv.DictWriter(
                fh, ["native_id", "rate_date", "from_currency", "to_currency", "rate"]
            )
            wr.writeheader()
            wr.writerows(self.fx_rows)
        sf = [
            ("sf_users", "User.csv", "salesforce.user"),
            ("sf_accounts", "Account.csv", "salesforce.account"),
            ("sf_contacts", "Contact.csv", "salesforce.contact"),
            ("sf_products", "Product2.csv", "salesforce.product2"),
            ("sf_opportunities", "Opportunity.csv", "salesforce.opportunity"),
            ("sf_quotes", "Quote.csv", "salesforce.quote"),
            ("sf_quote_lines", "QuoteLineItem.csv", "salesforce.quotelineitem"),
            ("sf_work_orders", "WorkOrder.csv", "salesforce.workorder"),
            ("sf_work_order_lines", "WorkOrderLineItem.csv", "salesforce.workorderlineitem"),
        ]
        lines = [
            f"# Blind test company (seed {self.seed}): {self.name}.",
            "# Written by benchmarks/blind_company/generate.py; see its README.md.",
            f"name: blind-company-{self.seed}",
            f"as_of: {self.as_of.isoformat()}",
            "reporting_currency: GBP",
            "sources:",
        ]
        for name, f, preset in sf:
            lines.append(f"  - {{name: {name}, path: exports/salesforce/{f}, preset: {preset}}}")
        lines.append(
            "  - {name: xero, path: exports/xero/*.csv, preset: xero.invoices, base_currency: GBP}"
        )
        lines.append("  - {name: harvest, path: exports/harvest/*.csv, preset: harvest.time}")
        lines.append(
            "  - {name: zendesk, path: exports/zendesk/*.csv.zip, preset: zendesk.tickets}"
        )
        lines.append("  - {name: fx, path: exports/fx/fx_rates.csv, preset: canonical.fx_rate}")
        with open(os.path.join(root, "tieout.yml"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")

    def truth(self):
        customers = []
        for c in self.customers:
            recs = [["salesforce", c.sf_id]]
            if c.xero_seen:
                recs.append(["xero", c.xero_name])
            if any(t[1] == c.harvest_name for t in self.time_rows):
                recs.append(["harvest", c.harvest_name])
            if c.key in self.ticket_orgs:
                recs.append(["zendesk", self.ticket_orgs[c.key]])
            customers.append({"key": c.key, "records": recs})
        for c in self.xero_only:
            if c.xero_seen:
                customers.append({"key": c.key, "records": [["xero", c.xero_name]]})
        wq = [[w.id, w.quote.id] for w in self.wos]
        ilw = []
        for x, i, f, row in self.line_refs:
            ln = x.lines[i]
            ref = {"invoice_number": x.number, "line": i + 1, "file": f, "row": row}
            if x.kind == "credit":
                ref["type"] = "credit_note"
            if x.status == "Voided":
                ref["status"] = "Voided"
            if getattr(ln, "planted", None):
                rule, info = ln.planted
                entry = {
                    "record": f"{x.number}/{i + 1}",
                    "invoice_number": x.number,
                    "line": i + 1,
                    "related": info["related"],
                    "note": info["note"],
                    "file": f,
                    "row": row,
                }
                self.anomalies[rule].append(entry)
            if ln.wo is not None:
                ilw.append([ref, ln.wo.id])
            if ln.wol is not None and ln.wol.extra:
                for e in self.anomalies["unpriced_change"]:
                    if e["record"] == ln.wo.id:
                        e["related"].append(f"{x.number}/{i + 1}")
        for x in self.docs:
            if getattr(x, "duplicate_of", None) is not None:
                o = x.duplicate_of
                self.anomalies["duplicate_invoice"].append(
                    {
                        "record": x.number,
                        "invoice_number": x.number,
                        "related": [o.number, x.wo.id],
                        "note": f"same bill as {o.number} ({o.date.isoformat()}), sent again {x.date.isoformat()}: "
                        f"same contact, lines and total {x.total}",
                    }
                )
        for k in self.anomalies:
            self.anomalies[k].sort(key=lambda e: e["record"])
        # jobs still in flight whose bills so far trail their time at cost: a margin-to-date rule may
        # reasonably fire on them, though nothing was planted
        for w in self.wos:
            if self.status_of(w) == "Completed" and w.billed_final:
                continue
            net = sum(
                (
                    money(ln.qty * ln.unit * (1 - (ln.disc or ZERO) / 100))
                    * (1 if x.kind == "invoice" else -1)
                )
                for x in w.docs
                if x.status != "Voided" and x.part != "duplicate"
                for ln in x.lines
            )
            cost = self.wo_time_cost.get(w.id, ZERO)
            if net > 0 and (net - cost) / net < D("0.3"):
                self.also_acceptable["margin_below_floor"].append(w.id)
        credit_notes = []
        for x in self.docs:
            if x.kind == "credit":
                re_ = getattr(x, "reissue", None)
                credit_notes.append(
                    {
                        "credit_note": x.number,
                        "credits": x.credits.number,
                        "work_order": x.wo.id,
                        "full": re_ is not None,
                        "reissued_as": re_.number if re_ else None,
                    }
                )
        voided = [
            {"invoice_number": x.number, "work_order": x.wo.id}
            for x in self.docs
            if x.status == "Voided"
        ]
        # variations computed from what was generated
        v = self.variations
        v["po_only_references"] = sum(
            1 for x in self.docs if x.kind == "invoice" and x.ref in self.all_pos
        )
        v["other_text_references"] = sum(
            1 for x in self.docs if x.kind == "invoice" and x.ref and x.ref not in self.all_pos
        )
        v["blank_references"] = sum(1 for x in self.docs if x.kind == "invoice" and not x.ref)
        conc = set()
        by_c = {}
        for w in self.wos:
            if self.status_of(w) == "Canceled":
                continue
            by_c.setdefault(w.customer.key, []).append(w)
        for ws in by_c.values():
            for i, a in enumerate(ws):
                for b in ws[i + 1 :]:
                    if (
                        a.start <= b.end
                        and b.start <= a.end
                        and {l.product.code for l in a.lines} & {l.product.code for l in b.lines}
                    ):
                        conc.add(a.id)
                        conc.add(b.id)
        v["concurrent_same_product_jobs"] = len(conc)
        v["quoted_discounts_carried_to_invoice"] = sum(
            1
            for x, i, f, row in self.line_refs
            if x.lines[i].wol is not None and x.lines[i].wol.disc
        )
        v["special_quote_prices_below_list"] = sum(
            1 for q in self.quotes for ql in q.lines if ql.special
        )
        v["lines_code_in_description_only"] = sum(
            len(x.lines) for x in self.docs if getattr(x, "text_style", "") == "desc_code"
        )
        v["lines_name_only"] = sum(
            len(x.lines) for x in self.docs if getattr(x, "text_style", "") == "name_only"
        )
        v["currencies"] = {
            ccy: sum(1 for c in self.customers if c.currency == ccy)
            for ccy in ("GBP", "EUR", "USD")
        }
        v["xero_only_contacts"] = sum(1 for c in self.xero_only if c.xero_seen)
        v["work_orders"] = len(self.wos)
        v["quotes"] = len(self.quotes)
        v["invoices"] = sum(1 for x in self.docs if x.kind == "invoice")
        v["invoice_lines"] = len(self.line_refs)
        v["time_entries"] = len(self.time_rows)
        v["tickets"] = self.n_tickets
        v["habits"] = self.habits
        return {
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "company": self.name,
            "customers": customers,
            "work_order_quote": wq,
            "invoice_line_work_order": ilw,
            "anomalies": self.anomalies,
            "also_acceptable": {k: sorted(set(v_)) for k, v_ in self.also_acceptable.items() if v_},
            "credit_notes": credit_notes,
            "time_entry_work_order": self.time_refs,
            "voided_invoices": voided,
            "variations": dict(sorted(v.items())),
            "files": {
                "salesforce": [
                    f"exports/salesforce/{f}"
                    for f in (
                        "User.csv",
                        "Account.csv",
                        "Contact.csv",
                        "Product2.csv",
                        "Opportunity.csv",
                        "Quote.csv",
                        "QuoteLineItem.csv",
                        "WorkOrder.csv",
                        "WorkOrderLineItem.csv",
                    )
                ],
                "xero": self.xero_files,
                "harvest": [self.harvest_file],
                "zendesk": [self.zendesk_file],
                "fx": ["exports/fx/fx_rates.csv"],
            },
        }

    # ------------------------------------------------------------------ run
    def build(self, root):
        # start from empty export folders (only the ones this script writes)
        for sub in ("salesforce", "xero", "harvest", "zendesk", "fx"):
            d = os.path.join(root, "exports", sub)
            if os.path.isdir(d):
                for f in os.listdir(d):
                    if os.path.isfile(os.path.join(d, f)):
                        os.remove(os.path.join(d, f))
        os.makedirs(os.path.join(root, "exports", "fx"), exist_ok=True)
        self.make_fx()
        self.make_products()
        self.make_people()
        self.make_customers()
        self.make_deals()
        self.finalize_work_orders()
        self.quote_ref_text()
        self.plant_work_orders()
        self.make_billing()
        self.number_docs()
        self.make_time()
        self.write_xero(root)
        self.write_harvest(root)
        self.write_zendesk(root)
        self.write_salesforce(root)
        self.write_project(root)
        t = self.truth()
        with open(os.path.join(root, "truth.json"), "w", encoding="utf-8") as fh:
            json.dump(t, fh, indent=1, ensure_ascii=False)
        return t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--customers", type=int, default=60)
    a = ap.parse_args(argv)
    if not 10 <= a.customers <= 200:
        ap.error("--customers must be between 10 and 200")
    t = Company(a.seed, a.customers).build(a.out)
    counts = {k: len(v) for k, v in t["anomalies"].items()}
    print(
        f"wrote {a.out}: seed {a.seed}, as of {t['as_of']}, {len(t['customers'])} customers, "
        f"{t['variations']['quotes']} quotes, {t['variations']['work_orders']} work orders, "
        f"{t['variations']['invoice_lines']} invoice lines, {t['variations']['time_entries']} time entries"
    )
    print("planted: " + ", ".join(f"{k} {n}" for k, n in counts.items()))


if __name__ == "__main__":
    main()
