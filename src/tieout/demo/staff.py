"""The demo firm's staff: functions, titles, delivery roles with their cost rates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from tieout.demo import names

FIRM_DOMAIN: Final = "larkspur-digital.co.uk"
FUNCTIONS: Final = (
    "Leadership",
    "Sales",
    "Marketing",
    "Service",
    "Professional Services",
    "Operations",
    "Finance",
)
DEPARTMENTS: Final = (
    "Executive",
    "Sales",
    "Marketing",
    "Customer Service",
    "Professional Services",
    "Operations",
    "Finance",
)
TITLES: Final[dict[str, tuple[str, ...]]] = {
    "Leadership": ("Managing Director", "Chief Financial Officer", "Chief Operating Officer"),
    "Sales": ("Account Executive", "Senior Account Executive", "Account Manager"),
    "Marketing": ("Marketing Manager", "Demand Generation Manager", "Marketing Executive"),
    "Service": ("Service Desk Analyst", "Support Engineer", "Service Delivery Manager"),
    "Operations": ("Operations Manager", "Resource Manager", "Operations Analyst"),
    "Finance": ("Financial Controller", "Accounts Assistant", "Credit Controller"),
}
# Professional services roles: (title, GBP cost per hour, share of the team)
PS_ROLES: Final = (
    ("Consultant", 42, 0.14),
    ("Senior Consultant", 55, 0.10),
    ("Principal Consultant", 68, 0.05),
    ("Developer", 40, 0.16),
    ("Senior Developer", 52, 0.12),
    ("Designer", 38, 0.08),
    ("Project Manager", 48, 0.10),
    ("Solution Architect", 66, 0.05),
    ("Data Engineer", 50, 0.08),
    ("Business Analyst", 42, 0.07),
    ("Trainer", 36, 0.05),
)
HARVEST_TEAMS: Final = ("Delivery", "Engineering", "Advisory", "Support")


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    function: str
    title: str
    division: str
    manager: int
    active: bool
    cost: int  # GBP per hour
    roles: str  # Harvest 'Roles' text

    @property
    def email(self) -> str:
        local = names.fold_accents(f"{self.first}.{self.last}").lower()
        return local.replace(" ", "").replace("'", "") + "@" + FIRM_DOMAIN


def _person_names(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """n distinct (first, last) names; a big firm runs out of pairs and adds
    double-barrelled surnames, so time tracking can still tell everyone apart."""
    n_first, n_last = len(names.FIRST_NAMES), len(names.LAST_NAMES)
    single = n_first * n_last
    out = [
        (names.FIRST_NAMES[f], names.LAST_NAMES[s])
        for f, s in (divmod(int(k), n_last) for k in rng.permutation(single)[:n])
    ]
    if n > single:
        extra = rng.choice(single * n_last, size=2 * (n - single), replace=False)
        for k in (int(v) for v in extra):
            f, rest = divmod(k, n_last * n_last)
            a, b = divmod(rest, n_last)
            if a != b and len(out) < n:
                last = f"{names.LAST_NAMES[a]}-{names.LAST_NAMES[b]}"
                out.append((names.FIRST_NAMES[f], last))
    return out


def build_people(rng: np.random.Generator, scale: float) -> list[Person]:
    """Staff: a leadership team, sales, marketing, service desk and a delivery bench."""
    n = max(36, round(150 * scale))
    shares = {"Leadership": 0.03, "Sales": 0.12, "Marketing": 0.06, "Service": 0.12,
              "Operations": 0.04, "Finance": 0.03}  # fmt: skip
    counts = {f: max(2, round(n * s)) for f, s in shares.items()}
    counts["Professional Services"] = n - sum(counts.values())
    full_names = _person_names(rng, n)
    people: list[Person] = []
    heads: dict[str, int] = {}
    k = 0
    for function in FUNCTIONS:
        for j in range(counts[function]):
            first, last = full_names[k]
            k += 1
            if function == "Professional Services":
                role = int(rng.choice(len(PS_ROLES), p=[r[2] for r in PS_ROLES]))
                title, base = PS_ROLES[role][0], PS_ROLES[role][1]
                cost = base + int(rng.integers(-4, 5))
                team = HARVEST_TEAMS[int(rng.integers(3))]
                roles = f"{title}, {team}" if rng.random() < 0.3 else title
            else:
                options = TITLES[function]
                title = options[0] if j == 0 else options[1 + int(rng.integers(len(options) - 1))]
                cost = 34 + int(rng.integers(0, 8)) if function == "Service" else 45
                roles = f"{title}, Support" if function == "Service" else title
            if j == 0:
                heads[function] = len(people)
            manager = 0 if j == 0 else heads[function]
            division = "UK" if rng.random() < 0.85 else ("EMEA", "Americas")[int(rng.integers(2))]
            active = bool(rng.random() < 0.94 or j == 0)
            boss = -1 if not people else manager
            people.append(Person(first, last, function, title, division, boss, active, cost, roles))
    return people
