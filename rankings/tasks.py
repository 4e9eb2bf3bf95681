"""Scheduled work of the rankings app, run by the huey consumer (``manage.py run_huey``).

On the 1st of each month, when every region's close day (1–28) of last month has passed, last month's
rankings are computed for every region as drafts (and last quarter's after a quarter's end); the key-project
office checks and publishes them. ``manage.py compute_rankings`` does the same by hand. The crontab hour is
Beijing time (settings give huey ``utc=False``).
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .compute import monthly_run


@db_periodic_task(crontab(day="1", hour="3", minute="0"))
def compute_rankings_monthly() -> None:
    monthly_run()
