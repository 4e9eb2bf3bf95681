"""Generating and issuing bulletins in the background: the screens claim the row, a huey task does the work.

Why (benchmarks/bulletin.py, a city of the 20,000-project set): generating takes seconds of CPU (the figures,
the Word and PDF documents, the Excel annex) and issuing renders both documents again; on a shared two-core
server that is too long to hold a request. So a click only claims the bulletin (``Bulletin.claim_generation``
or ``claim_issue``: the row shows 生成中/印发中 at once) and queues ``bulletin_task`` once the claim is
committed, so that the worker finds the row marked; the detail page polls ``bulletins:progress`` until the job
ends. ``manage.py make_bulletin`` runs the same ``run_generation``/``run_issue`` in its own process.

The task carries the claim's token: a job that was taken over after ``JOB_TIMEOUT`` or whose draft was
deleted finds no row holding it and does nothing.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled
from huey.contrib.djhuey import db_task

from org.models import Region

from .models import Bulletin, Job

logger = logging.getLogger(__name__)


def start_generation(region: Region, year: int, month: int, by) -> Bulletin:
    """Claim the month's draft for generating (created if new) and queue the job; ValidationError if refused."""
    bulletin = Bulletin.claim_generation(region, year, month, by=by)
    _enqueue(bulletin)
    return bulletin


def start_issue(bulletin: Bulletin, by, on: datetime.date | None = None) -> None:
    """Claim the draft for issuing on ``on`` (today) and queue the job; ValidationError if refused."""
    bulletin.claim_issue(by=by)
    _enqueue(bulletin, on or timezone.localdate())


def _enqueue(bulletin: Bulletin, on: datetime.date | None = None) -> None:
    pk, token, day = bulletin.pk, str(bulletin.job_token), on.isoformat() if on else None
    transaction.on_commit(lambda: bulletin_task(pk, token, day))


@db_task()
def bulletin_task(bulletin_id: int, token: str, on: str | None = None) -> str:
    return run(bulletin_id, token, on)


def run(bulletin_id: int, token: str, on: str | None = None) -> str:
    """Run the job the token claimed; returns what happened in a few words (huey keeps it as the result).

    A failure is recorded on the row by ``run_generation``/``run_issue``; an unexpected one is logged with
    its traceback as well.
    """
    with scopes_disabled():
        bulletin = Bulletin._base_manager.select_related("region").filter(pk=bulletin_id, job_token=token).first()
    if bulletin is None:
        return "superseded"
    try:
        if bulletin.job == Job.ISSUE:
            bulletin.run_issue(on=datetime.date.fromisoformat(on) if on else None)
        else:
            bulletin.run_generation()
    except ValidationError as error:
        return " ".join(error.messages)
    except Exception:
        logger.exception("Bulletin %s: the %s job failed", bulletin_id, bulletin.job)
        return "failed"
    return "done"
