"""Demo OC4IDS import, called by ``manage.py demo`` after the ledger: the official example package, uploaded by
交城县's coordinator and checked but not confirmed, so the import page shows a dry run (with its warnings) that
can be confirmed or discarded by hand. Nothing reaches the ledger until then; no draw from ``rng`` is needed.
"""

import random

from org.models import Role, User

from . import importer, reading
from .models import PackageImport
from .schema import DATA_DIR

COUNTY = "141122"  # 交城县


def build(world, accounts: list[User], rng: random.Random) -> str:
    county = world.region(COUNTY)
    coordinator = next((u for u in accounts if u.region_id == county.pk and u.role == Role.COORDINATOR), None)
    package = reading.read_package((DATA_DIR / "example.json").read_bytes())
    outcomes = importer.check(package, county, coordinator)
    PackageImport.objects.create(
        region=county,
        file_name="oc4ids-0.9.5-example.json",
        package=package,
        outcomes=[outcome.as_dict() for outcome in outcomes],
        by=coordinator,
    )
    return f"OC4IDS: the official example package checked for {county.name}, waiting for confirmation."
