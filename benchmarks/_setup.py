"""What the benchmarks share: Django pointed at a throw-away database, and the demo data set built in it.

Import this before anything from Django: ``setup_django`` must run first, once per process (Django binds
its database settings at setup, so a benchmark comparing databases runs one child process per database).
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"


def fresh_sqlite(path: Path) -> str:
    """The URL of an empty SQLite file at ``path`` (any earlier file and its WAL removed)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build_demo(projects: int, years: int) -> float:
    """A fresh demo data set; returns the seconds the demo command took."""
    from io import StringIO

    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    call_command("demo", projects=projects, years=years, stdout=StringIO())
    return time.perf_counter() - started
