"""Permission rows for the batches app (see tests/permission_rows/__init__.py).

The whole app is the government's: an enterprise user gets 403 everywhere, before any lookup. Every other
role reads; coordinators and admins build and edit events. "event" is a 交城县 event (its entries frozen with
a stale name, so a refresh visibly writes), "other event" one of 小店区, outside every 交城县 user's subtree.
"""

import datetime
from types import SimpleNamespace

from django_scopes import scopes_disabled

from batches.models import BatchEntry, BatchEvent

from . import XLSX, Row

DOCX = {"fmt": "docx"}
ENTERPRISE_403 = {"enterprise": 403}
STALE = "旧项目名称"

#   URL name                       method  anon editors readers
ROWS = [
    Row("batches:index", "GET", 302, 200, 200, overrides=ENTERPRISE_403),
    Row("batches:index", "POST", 302, 405, 405),
    Row("batches:create", "GET", 302, 200, 403),
    Row("batches:create", "POST", 302, 400, 403),  # empty form
    Row("batches:create", "PUT", 302, 405, 405),
    Row("batches:detail", "GET", 302, 200, 200, obj="event", overrides=ENTERPRISE_403),
    Row("batches:detail", "GET", 302, 404, 404, obj="other event", overrides=ENTERPRISE_403),
    Row("batches:detail", "POST", 302, 405, 405, obj="event"),
    Row("batches:edit", "GET", 302, 200, 403, obj="event"),
    Row("batches:edit", "POST", 302, 400, 403, obj="event"),  # empty form
    Row("batches:edit", "GET", 302, 404, 404, obj="other event", overrides=ENTERPRISE_403),
    Row("batches:edit", "POST", 302, 404, 404, obj="other event", overrides=ENTERPRISE_403),
    Row("batches:edit", "DELETE", 302, 405, 405, obj="event"),
    Row("batches:add", "POST", 302, 400, 403, obj="event"),  # no batch, no project
    Row("batches:add", "POST", 302, 404, 404, obj="other event", overrides=ENTERPRISE_403),
    Row("batches:add", "GET", 302, 405, 405, obj="event"),
    Row("batches:refresh", "POST", 302, 302, 403, obj="event"),
    Row("batches:refresh", "POST", 302, 404, 404, obj="other event", overrides=ENTERPRISE_403),
    Row("batches:refresh", "GET", 302, 405, 405, obj="event"),
    Row("batches:delete", "POST", 302, 302, 403, obj="event"),
    Row("batches:delete", "POST", 302, 404, 404, obj="other event", overrides=ENTERPRISE_403),
    Row("batches:delete", "GET", 302, 405, 405, obj="event"),
    Row("batches:remove", "POST", 302, 302, 403, obj="entry"),
    Row("batches:remove", "POST", 302, 404, 404, obj="other entry", overrides=ENTERPRISE_403),
    Row("batches:remove", "GET", 302, 405, 405, obj="entry"),
    Row("batches:export", "GET", 302, 200, 200, obj="event", kwargs=XLSX, overrides=ENTERPRISE_403),
    Row("batches:export", "GET", 302, 200, 200, obj="event", kwargs=DOCX, overrides=ENTERPRISE_403),
    Row("batches:export", "GET", 302, 404, 404, obj="other event", kwargs=XLSX, overrides=ENTERPRISE_403),
    Row("batches:export", "POST", 302, 405, 405, obj="event", kwargs=XLSX),
    Row("batches:stalled", "GET", 302, 200, 200, overrides=ENTERPRISE_403),
    Row("batches:stalled", "POST", 302, 405, 405),
    Row("batches:stalled_export", "GET", 302, 200, 200, overrides=ENTERPRISE_403),
    Row("batches:stalled_export", "POST", 302, 405, 405),
    Row("batches:ledger_export", "GET", 302, 200, 200, overrides=ENTERPRISE_403),
    Row("batches:ledger_export", "POST", 302, 405, 405),
]


def _events(cast) -> SimpleNamespace:
    if not hasattr(cast, "batch_events"):
        with scopes_disabled():
            own = _build(cast.region, cast.users.coordinator)
            other = _build(cast.regions.xiaodian, cast.users.outsider)
            BatchEntry.objects.update(name=STALE)
            cast.batch_events = SimpleNamespace(
                own=own,
                other=other,
                entry=BatchEntry.objects.filter(event=own).order_by("pk").first(),
                other_entry=BatchEntry.objects.filter(event=other).order_by("pk").first(),
            )
    return cast.batch_events


def _build(region, by) -> BatchEvent:
    return BatchEvent.build(
        region=region,
        name="“三个一批”活动",
        held_on=datetime.date(2025, 1, 8),
        window_start=datetime.date(2023, 1, 1),
        window_end=datetime.date(2024, 12, 31),
        by=by,
    )


OBJECTS = {
    "event": lambda cast: _events(cast).own.pk,
    "other event": lambda cast: _events(cast).other.pk,
    "entry": lambda cast: _events(cast).entry.pk,
    "other entry": lambda cast: _events(cast).other_entry.pk,
}


def _refreshed(cast) -> bool:
    with scopes_disabled():
        return not BatchEntry.objects.filter(event=_events(cast).own, name=STALE).exists()


def _gone(model, pk) -> bool:
    with scopes_disabled():
        return not model.objects.filter(pk=pk).exists()


WRITES = {
    ("batches:refresh", "POST"): _refreshed,
    ("batches:delete", "POST"): lambda cast: _gone(BatchEvent, _events(cast).own.pk),
    ("batches:remove", "POST"): lambda cast: _gone(BatchEntry, _events(cast).entry.pk),
}


def snapshot() -> tuple:
    with scopes_disabled():
        return (
            sorted(BatchEvent.objects.values_list("pk", "name", "held_on", "frozen_at")),
            sorted(BatchEntry.objects.values_list("pk", "kind", "project", "name", "total_investment")),
        )
