"""How the reporting pages hold up for a province of 20,000 projects.

Run: .venv/bin/python benchmarks/reports_pages.py [--repeat 20] [--large 20000] [--reuse]

Builds the demo data set (projects, reporters, a year of monthly reports and colours) in a throw-away
SQLite file (var/bench-reports.sqlite3), logs in as province_coordinator and times the period overview,
the approval queue and the red and yellow list, counting their queries. Target: at most 200 ms per request
(p95) and the same number of queries at both sizes. --reuse measures the file left by an earlier run.
"""

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_FILE = ROOT / "var" / "bench-reports.sqlite3"

REQUESTS = {
    "period overview": "/reports/period/",
    "approval queue": "/reports/queue/",
    "red and yellow list": "/reports/colours/",
    "colour list, all": "/reports/colours/?colour=all",
}
TARGET_MS = 200


def setup_django(reuse: bool) -> None:
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DB_FILE}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_FILE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build(projects: int) -> float:
    from io import StringIO

    from django.core.management import call_command
    from django_scopes import scopes_disabled

    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    with scopes_disabled():
        call_command("demo", projects=projects, years=1, stdout=StringIO())
    return time.perf_counter() - started


def measure(size: int, repeat: int) -> list[tuple]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from org.models import User

    client = Client()
    client.force_login(User.objects.get(username="province_coordinator"))
    rows = []
    for name, url in REQUESTS.items():
        client.get(url)  # warm up
        timings, sql = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")
            sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        ordered = sorted(timings)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        rows.append((size, name, statistics.median(timings), p95, statistics.median(sql), len(queries)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--small", type=int, default=400)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    setup_django(args.reuse)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    results = []
    sizes = [args.large] if args.reuse else [args.small, args.large]
    for size in sizes:
        if not args.reuse:
            print(f"demo --projects {size}: {build(size):.1f} s")
        gc.collect()
        gc.freeze()
        results += measure(size, args.repeat)
    print(f"\n{'projects':>9}  {'request':<22}{'median ms':>10}{'p95 ms':>9}{'sql ms':>9}{'queries':>9}")
    for size, name, median, p95, sql, queries in results:
        print(f"{size:>9}  {name:<22}{median:>10.1f}{p95:>9.1f}{sql:>9.1f}{queries:>9}")
    fast = all(r[3] <= TARGET_MS for r in results if r[0] == args.large)
    flat = all(len({r[5] for r in results if r[1] == name}) == 1 for name in REQUESTS)
    print(f"\n≤ {TARGET_MS} ms per request (p95) at {args.large} projects: {'yes' if fast else 'NO'}")
    print(f"same query count at every size: {'yes' if flat else 'NO'}")
    return 0 if fast and flat else 1


if __name__ == "__main__":
    sys.exit(main())
