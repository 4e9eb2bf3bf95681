"""Permission rows for the bulletins app (see tests/permission_rows/__init__.py).

Objects: ``bulletin`` a draft of 交城县 (last month), ``issued bulletin`` an issued one of 交城县 (the month
before), ``other bulletin`` an issued one of 小店区. Drafts are for the key-project office only (a reader gets
404, as if it did not exist); an enterprise gets 403 on every bulletin URL; issued bulletins are frozen
(regenerate, issue, delete: 400). Regenerating and issuing only claim the draft for a background job and
redirect to its page (302; the job, queued once the request commits, never runs here); the page then polls
``bulletins:progress``, which any reader of the bulletin may GET.
"""

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone
from django_scopes import scopes_disabled

from bulletins.content import compute
from bulletins.models import Bulletin
from reports.models import previous_month

from ..conftest import EDITOR_ROLES
from . import MONTH, YEAR, Row

DOCX, PDF, XLSX = {"fmt": "docx"}, {"fmt": "pdf"}, {"fmt": "xlsx"}
ENTERPRISE_403 = {"enterprise": 403}
LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)

ROWS = [
    Row("bulletins:list", "GET", 302, 200, 200, overrides=ENTERPRISE_403),
    Row("bulletins:list", "POST", 302, 405, 405),
    Row("bulletins:generate", "POST", 302, 400, 403),  # empty form: nothing generated
    Row("bulletins:generate", "GET", 302, 405, 405),
    Row("bulletins:detail", "GET", 302, 200, 404, obj="bulletin", overrides=ENTERPRISE_403),  # a draft
    Row("bulletins:detail", "GET", 302, 200, 200, obj="issued bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:detail", "GET", 302, 404, 404, obj="other bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:detail", "POST", 302, 405, 405, obj="issued bulletin"),
    Row("bulletins:regenerate", "POST", 302, 302, 404, obj="bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:regenerate", "POST", 302, 400, 403, obj="issued bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:regenerate", "POST", 302, 404, 404, obj="other bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:regenerate", "GET", 302, 405, 405, obj="bulletin"),
    Row("bulletins:issue", "POST", 302, 302, 404, obj="bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:issue", "POST", 302, 400, 403, obj="issued bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:issue", "POST", 302, 404, 404, obj="other bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:issue", "GET", 302, 405, 405, obj="bulletin"),
    Row("bulletins:delete", "POST", 302, 302, 404, obj="bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:delete", "POST", 302, 400, 403, obj="issued bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:delete", "POST", 302, 404, 404, obj="other bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:delete", "GET", 302, 405, 405, obj="bulletin"),
    Row("bulletins:progress", "GET", 302, 200, 404, obj="bulletin", overrides=ENTERPRISE_403),  # a draft
    Row("bulletins:progress", "GET", 302, 200, 200, obj="issued bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:progress", "GET", 302, 404, 404, obj="other bulletin", overrides=ENTERPRISE_403),
    Row("bulletins:progress", "POST", 302, 405, 405, obj="bulletin"),
    Row("bulletins:download", "GET", 302, 200, 404, obj="bulletin", kwargs=DOCX, overrides=ENTERPRISE_403),
    Row("bulletins:download", "GET", 302, 200, 200, obj="issued bulletin", kwargs=DOCX, overrides=ENTERPRISE_403),
    Row("bulletins:download", "GET", 302, 200, 200, obj="issued bulletin", kwargs=PDF, overrides=ENTERPRISE_403),
    Row("bulletins:download", "GET", 302, 200, 200, obj="issued bulletin", kwargs=XLSX, overrides=ENTERPRISE_403),
    Row("bulletins:download", "GET", 302, 404, 404, obj="other bulletin", kwargs=PDF, overrides=ENTERPRISE_403),
    Row("bulletins:download", "POST", 302, 405, 405, obj="issued bulletin", kwargs=PDF),
]


def _bulletins(cast):
    """The three bulletins, made once per test; stand-in files (the views only serve them)."""
    if not hasattr(cast, "bulletins"):
        last = previous_month(YEAR, MONTH)
        before = previous_month(*last)
        with scopes_disabled():
            draft = _bulletin(cast.region, *last)
            issued = _bulletin(cast.region, *before, number=1)
            other = _bulletin(cast.regions.xiaodian, *before, number=1)
        cast.bulletins = {"bulletin": draft, "issued bulletin": issued, "other bulletin": other}
    return cast.bulletins


def _bulletin(region, year: int, month: int, number: int | None = None) -> Bulletin:
    bulletin = Bulletin(region=region, year=year, month=month, content=compute(region, year, month),
                        generated_at=LONG_AGO)  # fmt: skip
    if number:
        bulletin.status, bulletin.number, bulletin.number_year = Bulletin.Status.ISSUED, number, YEAR
        bulletin.issued_at = timezone.now()
        bulletin.content["meta"].update(number=number, number_year=YEAR, issued_on=f"{YEAR}-{MONTH:02d}-01")
    for field, body in (("docx", b"PK\x03\x04docx"), ("pdf", b"%PDF-1.7\n"), ("ledger", b"PK\x03\x04xlsx")):
        getattr(bulletin, field).save(f"{region.code}.{field}", ContentFile(body), save=False)
    bulletin.save()
    return bulletin


OBJECTS = {name: (lambda cast, name=name: _bulletins(cast)[name].pk) for name in
           ("bulletin", "issued bulletin", "other bulletin")}  # fmt: skip


def _reloaded(cast, name: str) -> Bulletin | None:
    return Bulletin._base_manager.filter(pk=cast.bulletins[name].pk).first()


def _claimed(cast, job: str) -> bool:
    """The draft is held by a fresh ``job`` of an editor, and nothing else changed yet (the job has not run)."""
    bulletin = _reloaded(cast, "bulletin")
    return (
        bulletin.job == job
        and bulletin.job_token is not None
        and bulletin.job_by.role in EDITOR_ROLES
        and (bulletin.status, bulletin.number, bulletin.generated_at) == (Bulletin.Status.DRAFT, None, LONG_AGO)
        and bulletin.docx.read(4) == b"PK\x03\x04"
    )


WRITES = {
    ("bulletins:regenerate", "POST"): lambda cast: _claimed(cast, Bulletin.Job.GENERATE),
    ("bulletins:issue", "POST"): lambda cast: _claimed(cast, Bulletin.Job.ISSUE),
    ("bulletins:delete", "POST"): lambda cast: _reloaded(cast, "bulletin") is None,
}


SNAPSHOT_FIELDS = ("pk", "status", "number", "generated_at", "issued_at", "docx", "pdf", "ledger", "content", "job",
                   "job_token", "failure")  # fmt: skip


def snapshot() -> tuple:
    with scopes_disabled():
        return (
            sorted(
                Bulletin.objects.values_list(*SNAPSHOT_FIELDS),
                key=lambda row: row[0],
            ),
        )
