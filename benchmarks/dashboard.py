"""How the leaders' dashboard holds up for a province: 20,000 projects × 36 months, SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/dashboard.py [--repeat 20] [--projects 20000] [--years 3] [--keep] [--reuse]
[--no-pg]

Builds the demo data set (benchmarks/_setup.py: ``manage.py demo``, whose extensions add the zones' 标准地
figures) twice, a county-sized one (--small projects, one year) and the province-scale one, in a throw-away
SQLite file (var/bench-dashboard.sqlite3), and the province-scale one again in a PostgreSQL database
bench_dashboard created for the run and dropped after, when a server answers at
postgresql://postgres@127.0.0.1:5432 (skipped otherwise, or with --no-pg). Each database is measured in a
child process, since Django binds its database at setup; PostgreSQL gets an ANALYZE after the bulk load, as
autovacuum would give a live server. --keep leaves the PostgreSQL database in place, and --reuse measures the
province-scale sets of such a run again without building them (the SQLite file holds the last size built).

Times with the Django test client, logged in, median and p95 over --repeat requests after one warm-up, with
the queries counted: the province dashboard (province_coordinator), the big screen and its map points, the
city leader's dashboard and the zones' per-mu figures. "cpu ms" is the process time of the request (median):
on SQLite, which runs inside the process, it is what the request costs on an idle machine, where "median" on
a busy one also counts the time spent waiting for a core. Targets for the province dashboard: at most 300 ms
on SQLite and 150 ms on PostgreSQL (median), and the same number of queries at both sizes.

As a server can after loading the app (gc.freeze() in a post_fork hook), everything alive after the data is
built goes to Python's permanent GC generation (see benchmarks/project_list.py).
"""

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

from _setup import VAR_DIR, build_demo, fresh_sqlite, setup_django

DB_FILE = VAR_DIR / "bench-dashboard.sqlite3"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "bench_dashboard"
TARGET_MS = {"sqlite": 300, "postgresql": 150}
TIMED = "province dashboard"
RESULT_PREFIX = "RESULT "


@dataclass
class Measure:
    backend: str
    size: int
    name: str
    median_ms: float
    p95_ms: float
    cpu_ms: float
    queries: int
    kilobytes: float


def pages() -> dict:
    """(username, name) -> URL of the pages timed."""
    from django.urls import reverse
    from django_scopes import scopes_disabled

    from org.models import Region

    with scopes_disabled():
        province = Region.objects.get(code="140000")
    return {
        ("province_coordinator", TIMED): reverse("dashboards:index"),
        ("province_coordinator", "province big screen"): reverse("dashboards:screen"),
        ("province_coordinator", "province map points"): reverse("dashboards:points", args=[province.pk]),
        ("city_leader", "city leader dashboard"): reverse("dashboards:index"),
        ("province_coordinator", "zones per-mu figures"): reverse("dashboards:zones"),
    }


def measure(size: int, repeat: int) -> list[Measure]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from org.models import User

    results = []
    for (username, name), url in pages().items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        _get(client, url)  # warm up: templates, the boundaries file, the first page reads
        timings, cpu = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = _get(client, url)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
        results.append(
            Measure(
                connection.vendor,
                size,
                name,
                statistics.median(timings),
                _p95(timings),
                statistics.median(cpu),
                len(queries),
                len(response.content) / 1024,
            )  # fmt: skip
        )
    return results


def _get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return response


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# ---- one database, in a child process ----


def run(database_url: str, sizes: list[tuple[int, int]], repeat: int, reuse: bool) -> list[Measure]:
    setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection
    from django_scopes import scopes_disabled

    call_command("migrate", verbosity=0)
    results = []
    for size, years in sizes:
        if not reuse:
            with scopes_disabled():
                seconds = build_demo(size, years)
            print(f"{connection.vendor}: demo --projects {size} --years {years}: {seconds:.1f} s", file=sys.stderr)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
        gc.collect()
        gc.freeze()
        results += measure(size, repeat)
        gc.unfreeze()
    return results


def run_child(database_url: str, sizes, args) -> list[Measure] | None:
    command = [sys.executable, __file__, "--database", database_url, "--repeat", str(args.repeat)]
    command += ["--sizes", json.dumps(sizes)] + (["--reuse"] if args.reuse else [])
    child = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in child.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if child.returncode != 0 or not lines:
        print(f"{database_url}: the measurement failed (exit {child.returncode}).\n{child.stdout}")
        return None
    return [Measure(**row) for row in json.loads(lines[-1].removeprefix(RESULT_PREFIX))]


def _pg_admin(*statements: str) -> None:
    import psycopg

    # CREATE/DROP DATABASE cannot run inside a transaction: autocommit.
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as connection:
        for statement in statements:
            connection.execute(statement)


def create_pg_database() -> bool:
    try:
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)", f"CREATE DATABASE {PG_DATABASE}")
    except Exception as error:  # psycopg missing, server down, no such role: all mean "skip"
        print(f"PostgreSQL at {PG_SERVER} not usable, skipped: {str(error).strip() or type(error).__name__}")
        return False
    return True


# ---- the parent: the table and the verdict ----


def report(results: list[Measure], large: int) -> bool:
    header = f"{'backend':<11}{'projects':>9}  {'page':<24}{'median ms':>10}{'p95 ms':>9}{'cpu ms':>8}{'queries':>9}"
    print(f"\n{header}{'KB':>8}")
    for m in results:
        print(
            f"{m.backend:<11}{m.size:>9}  {m.name:<24}{m.median_ms:>10.1f}{m.p95_ms:>9.1f}{m.cpu_ms:>8.1f}"
            f"{m.queries:>9}{m.kilobytes:>8.0f}"
        )
    ok = True
    for backend, target in TARGET_MS.items():
        timed = [m for m in results if m.backend == backend and m.size == large and m.name == TIMED]
        if timed:
            fast = timed[0].median_ms <= target
            print(f"{backend}: the province dashboard ≤ {target} ms (median): {'yes' if fast else 'NO'}")
            ok &= fast
    counts = {}
    for m in results:
        counts.setdefault((m.backend, m.name), set()).add(m.queries)
    flat = all(len(found) == 1 for found in counts.values())
    print(f"same query count at every size: {'yes' if flat else 'NO'}")
    return ok and flat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--small", type=int, default=400)
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--years", type=int, default=3, help="years of reports in the large set")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database for --reuse")
    parser.add_argument("--reuse", action="store_true", help="measure the data sets of a --keep run (large only)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--database", help=argparse.SUPPRESS)  # the child: measure this database only
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.database:
        results = run(args.database, [tuple(size) for size in json.loads(args.sizes)], args.repeat, args.reuse)
        print(RESULT_PREFIX + json.dumps([asdict(m) for m in results]))
        return 0
    large = [(args.projects, args.years)]
    sizes = large if args.reuse else [(args.small, 1), *large]
    measured = [run_child(f"sqlite:///{DB_FILE}" if args.reuse else fresh_sqlite(DB_FILE), sizes, args)]
    if not args.no_pg and (args.reuse or create_pg_database()):
        try:
            measured.append(run_child(f"{PG_SERVER}/{PG_DATABASE}", sizes, args))
        finally:
            if not args.keep:
                _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    if any(m is None for m in measured):
        return 1
    return 0 if report([m for ms in measured for m in ms], args.projects) else 1


if __name__ == "__main__":
    sys.exit(main())
