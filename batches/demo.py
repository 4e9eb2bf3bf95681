"""Demo "three batches" events, called by ``manage.py demo`` after the ledger and reports.

Two past events of this year, each built from the demo ledger the way a coordinator would: 山西省's
province-wide event a week or two ago (from 1 January to the event), keeping about as many projects per batch
as the province's real events list (seed 003: 18 signed, 16 started, 20 in production), and 吕梁市's own
event a month or two earlier with fewer.
"""

import datetime
import random

from org.models import Role, User

from .models import BatchEvent, BatchKind

PROVINCE, CITY = "140000", "141100"
PROVINCE_LIMITS = {BatchKind.SIGNED: (16, 20), BatchKind.STARTED: (14, 18), BatchKind.PRODUCTION: (18, 22)}
CITY_LIMITS = {BatchKind.SIGNED: (6, 9), BatchKind.STARTED: (5, 8), BatchKind.PRODUCTION: (5, 8)}


def build(world, accounts: list[User], rng: random.Random) -> str:
    coordinators = {user.region.code: user for user in accounts if user.role == Role.COORDINATOR}
    january = datetime.date(world.today.year, 1, 1)
    province_day = max(world.today - datetime.timedelta(days=rng.randint(7, 20)), january)
    city_day = max(province_day - datetime.timedelta(days=rng.randint(30, 60)), january)
    events = [
        _event(world, rng, PROVINCE, province_day, coordinators.get(PROVINCE), PROVINCE_LIMITS),
        _event(world, rng, CITY, city_day, coordinators.get(CITY), CITY_LIMITS),
    ]
    return "Three batches: " + "; ".join(_summary(event) for event in events) + "."


def _event(world, rng, code: str, held_on: datetime.date, by, limits) -> BatchEvent:
    region = world.regions[code]
    name = f"{held_on.year}年{region.name}重大项目“三个一批”活动"
    window_end = max(held_on - datetime.timedelta(days=1), datetime.date(held_on.year, 1, 1))
    return BatchEvent.build(
        region=region,
        name=name,
        held_on=held_on,
        window_start=datetime.date(held_on.year, 1, 1),
        window_end=window_end,
        by=by,
        limits={kind: rng.randint(*bounds) for kind, bounds in limits.items()},
    )


def _summary(event: BatchEvent) -> str:
    batches = ", ".join(f"{t.count} {t.kind} {t.total_yi} 亿元" for t in event.totals())
    return f"{event.region.name} on {event.held_on} ({batches})"
