"""Demo bulletins, called by ``manage.py demo`` after the ledger, the reports, the problems and the rankings.

Last month's bulletins of 交城县 and 吕梁市, each issued by its own key-project office (the demo coordinator)
on the 5th of this month: their content, Word, PDF and Excel ledger are in storage and their numbers taken,
so the list, the preview and the downloads have something to show. Nothing is drawn from ``rng``: the
bulletins say what the demo data say.
"""

import datetime
import random

from org.models import Role, User
from reports.models import previous_month

from .models import Bulletin

REGIONS = ("141122", "141100")  # 交城县, 吕梁市
ISSUE_DAY = 5


def build(world, accounts: list[User], rng: random.Random) -> str:
    year, month = previous_month(world.today.year, world.today.month)
    issued_on = min(world.today, datetime.date(world.today.year, world.today.month, ISSUE_DAY))
    coordinators = {user.region.code: user for user in accounts if user.role == Role.COORDINATOR}
    issued = []
    for code in REGIONS:
        region, by = world.regions[code], coordinators.get(code)
        # Issued at once: the files are rendered once, with the number (render=False skips the draft's).
        bulletin = Bulletin.generate(region, year, month, by=by, today=world.today, render=False)
        bulletin.issue(by=by, on=issued_on)
        bulletin.refresh_from_db()
        issued.append(f"{region.name} No. {bulletin.number}")
    return f"Bulletins: {year}-{month:02d} issued for {', '.join(issued)} (Word, PDF and Excel ledger in storage)."
