"""Demo 标准地 control figures for the demo's development zones (projects demo ``ZONES``).

Each zone gets investment, output and tax floors (万元/亩) around what Shanxi's zones publish, drawn from
``rng``, so some of its projects fall below them. The projects' land areas, expected output and tax come
with the ledger (projects demo ``_money``); nothing else is needed.
"""

import random
from decimal import Decimal

from org.models import Role, User
from projects.management.commands.demo import ZONES

from .models import StandardLand

INVESTMENT = [250, 280, 300, 320, 350]
OUTPUT = [300, 350, 400, 450, 500]
TAX = [15, 18, 20, 25, 30]
BASIS = "《{name}“标准地”出让控制性指标（{year}年版）》"


def _setter(zone, accounts: list[User]) -> User | None:
    """The nearest demo coordinator above the zone (county, city, then province)."""
    coordinators = [u for u in accounts if u.role == Role.COORDINATOR and zone.path.startswith(u.region.path)]
    return max(coordinators, key=lambda u: len(u.region.path), default=None)


def build(world, accounts: list[User], rng: random.Random) -> str:
    rows = []
    for code, _name, _parent in ZONES:
        zone = world.regions.get(code)
        if zone is None:
            continue
        values = {
            "investment_intensity": Decimal(rng.choice(INVESTMENT)),
            "output_intensity": Decimal(rng.choice(OUTPUT)),
            "tax_intensity": Decimal(rng.choice(TAX)),
            "basis": BASIS.format(name=zone.name, year=world.today.year - rng.randint(0, 2)),
            "updated_by": _setter(zone, accounts),
        }
        standard, _created = StandardLand.objects.update_or_create(zone=zone, defaults=values)
        rows.append(standard)
    return f"Standard land: control figures for {len(rows)} development zones."
