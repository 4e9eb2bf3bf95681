"""Scheduled work of the problems app, run by the huey consumer (``manage.py run_huey``).

The task only calls ``escalation.escalate``, which ``manage.py escalate_problems`` runs by hand too.
The crontab hour is Beijing time (settings give huey ``utc=False``).
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import escalation


@db_periodic_task(crontab(hour="7", minute="30"))
def escalate() -> None:
    """督办 before the working day starts: overdue problems rise a level, the people concerned are told."""
    escalation.escalate()
