"""Large imports in the background: the dry run or the save of a ledger as a huey task, with progress.

Why (benchmarks/ledger_import.py, SQLite): a 10,000-row ledger costs about 2 s of CPU for the dry run and
7 s for the save (which checks again, then writes 8,000 new projects, 2,000 updates, plans, stage records,
import items and their history); on a shared two-core server the same run took 6 s and 22 s of wall time.
That is no "few seconds" to hold a request (gunicorn kills a worker after 30 s), so files over
``SYNC_ROWS`` data rows run here while the detail page polls ``imports:progress`` with htmx; smaller ones (a
county's usual few hundred rows, well under a second) stay in the request. ``manage.py run_ledger_import``
runs the same step by hand.

Each step records its progress on the import with conditional ``update()`` calls (visible to the polling
page while the step runs outside any transaction) and ends the ``running`` status whatever happens.
"""

from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled
from huey.contrib.djhuey import db_task

from org.models import User

from .apply import ImportRefused, apply_import, run_check
from .files import Refused
from .models import ImportStatus, LedgerImport

SYNC_ROWS = 2000
STEPS = ("check", "apply")


def runs_in_background(ledger_import: LedgerImport) -> bool:
    return ledger_import.data_rows > SYNC_ROWS


def start(ledger_import: LedgerImport, user, step: str) -> bool:
    """Mark the import running (a conditional update: one run at a time) and queue the step."""
    source = ImportStatus.MAPPING if step == "check" else ImportStatus.CHECKED
    sources = [source, ImportStatus.CHECKED] if step == "check" else [source]
    claimed = LedgerImport._base_manager.filter(pk=ledger_import.pk, status__in=sources).update(
        status=ImportStatus.RUNNING, progress_step=step, progress_done=0, progress_total=0, failure=""
    )
    if claimed:
        ledger_import_task(ledger_import.pk, user.pk, step)
    return bool(claimed)


@db_task()
def ledger_import_task(import_id: int, user_id: int, step: str) -> str:
    return run_step(import_id, user_id, step)


def run_step(import_id: int, user_id: int, step: str) -> str:
    """Run the dry run ("check") or the save ("apply") of an import outside a request; returns a summary."""
    with scopes_disabled():
        ledger_import = LedgerImport.objects.select_related("region", "template").get(pk=import_id)
        user = User.objects.select_related("region").get(pk=user_id)
    with scope(region=user.region.path):
        try:
            if step == "check":
                result = run_check(ledger_import, user, _progress(import_id))
            else:
                result = apply_import(ledger_import, user, _progress(import_id))
        except (ImportRefused, Refused) as exc:
            message = exc.message if isinstance(exc, ImportRefused) else " ".join(exc.messages)
            _fail(import_id, step, message)
            return message
    return _("新建 %(create)s，更新 %(update)s，错误 %(errors)s 行") % {
        "create": result.creates,
        "update": result.updates,
        "errors": result.error_rows,
    }


def _progress(import_id: int):
    def report(done: int, total: int) -> None:
        LedgerImport._base_manager.filter(pk=import_id).update(progress_done=done, progress_total=total)

    return report


def _fail(import_id: int, step: str, message: str) -> None:
    back = ImportStatus.MAPPING if step == "check" else ImportStatus.CHECKED
    LedgerImport._base_manager.filter(pk=import_id, status=ImportStatus.RUNNING).update(
        status=back, progress_step="", failure=message[:500]
    )
    LedgerImport._base_manager.filter(pk=import_id).update(failure=message[:500])
