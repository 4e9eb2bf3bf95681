"""How long a ranking takes for the whole province: 20,000 projects with 36 months of reports, SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/rankings.py [--projects 20000] [--years 3] [--repeat 3] [--reuse] [--no-pg]

Builds the demo data set (``manage.py demo --projects 20000 --years 3``: projects, monthly reports, problems,
attraction rows, rankings) in a throw-away SQLite file (var/bench_rankings.sqlite3; --reuse keeps one built
before), then in a PostgreSQL database bench_rankings created for the run and dropped after, when a server
answers at postgresql://postgres@127.0.0.1:5432 (skipped otherwise, or with --no-pg). Each database is
measured in a child process, since Django binds its database at setup; PostgreSQL gets an ANALYZE after the
bulk load, as autovacuum would give a live server.

Times, median of --repeat runs, each with its query count:
- "month": ``rankings.compute.compute`` of 山西省's cities for last month (figures, scores, the snapshot and its
  entries written; a draft replaced each run);
- "quarter": the same for last quarter (one reports query per month of it);
- "figures": the figure queries of the month alone (``figures_for``), to tell reading from the rest;
- "departments": 吕梁市's departments for last month;
- "gap": the province's gap table (``targets.gap_table``) and its own line (``region_gap``).
Target: ≤ 2 s for the province's month.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from _setup import VAR_DIR, build_demo, fresh_sqlite, setup_django

DB_FILE = VAR_DIR / "bench_rankings.sqlite3"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "bench_rankings"
TARGET_S = 2.0
RESULT_PREFIX = "RESULT "


@dataclass
class Timing:
    name: str
    seconds: float  # median
    runs: list[float]
    queries: int


@dataclass
class Result:
    backend: str
    projects: int
    reports: int
    problems: int
    demo_s: float
    timings: list[Timing]


# ---- one database, in a child process ----


def measure(database_url: str, projects: int, years: int, repeat: int, build: bool) -> Result:
    setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from org.models import Region
    from problems.models import Problem
    from projects.models import Project
    from rankings.compute import compute, last_closed
    from rankings.indicators import figures_for, subjects_of
    from rankings.models import Kind
    from rankings.targets import gap_table, region_gap
    from reports.models import MonthlyReport

    call_command("migrate", verbosity=0)
    with scopes_disabled():
        demo_s = build_demo(projects, years) if build or not Project.objects.exists() else 0.0
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        province, city = Region.objects.get(code="140000"), Region.objects.get(code="141100")
        today = timezone.localdate()
        month, quarter = last_closed(today, Kind.MONTH), last_closed(today, Kind.QUARTER)
        subjects = subjects_of(province, "region")
        cases = {
            "month": lambda: compute(province, month, "region"),
            "quarter": lambda: compute(province, quarter, "region"),
            "figures": lambda: figures_for(subjects, month, month.end),
            "departments": lambda: compute(city, month, "department"),
            "gap": lambda: (gap_table(province, today.year), region_gap(province, today.year)),
        }
        timings = [_timed(name, case, repeat) for name, case in cases.items()]
        return Result(
            backend=connection.vendor,
            projects=Project.objects.count(),
            reports=MonthlyReport._base_manager.count(),
            problems=Problem._base_manager.count(),
            demo_s=demo_s,
            timings=timings,
        )


def _timed(name: str, case, repeat: int) -> Timing:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    runs, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            case()
            runs.append(time.perf_counter() - started)
        queries = len(captured)
    return Timing(name, statistics.median(runs), runs, queries)


# ---- the parent: one child per database, then the table ----


def run_child(database_url: str, args, build: bool) -> Result | None:
    command = [sys.executable, __file__, "--database", database_url]
    command += ["--projects", str(args.projects), "--years", str(args.years), "--repeat", str(args.repeat)]
    if build:
        command.append("--build")
    child = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in child.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if child.returncode != 0 or not lines:
        print(f"{database_url}: the measurement failed (exit {child.returncode}).\n{child.stdout}")
        return None
    data = json.loads(lines[-1].removeprefix(RESULT_PREFIX))
    data["timings"] = [Timing(**timing) for timing in data["timings"]]
    return Result(**data)


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


def report(results: list[Result]) -> bool:
    for r in results:
        print(
            f"\n{r.backend}: {r.projects} projects, {r.reports} monthly reports, {r.problems} problems"
            + (f", demo built in {r.demo_s:.0f} s" if r.demo_s else " (data set reused)")
        )
        print(f"{'':<14}{'median s':>10}{'runs s':>22}{'queries':>9}")
        for t in r.timings:
            runs = "/".join(f"{s:.3f}" for s in t.runs)
            print(f"{t.name:<14}{t.seconds:>10.3f}{runs:>22}{t.queries:>9}")
    fast = all(t.seconds <= TARGET_S for r in results for t in r.timings if t.name == "month")
    print(f"\n≤ {TARGET_S:.0f} s for the province's monthly ranking: {'yes' if fast else 'NO'}")
    return fast


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--years", type=int, default=3, help="years of reports in the data set")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="measure the SQLite data set of an earlier run")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--database", help=argparse.SUPPRESS)  # the child: measure this database only
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.database:
        result = measure(args.database, args.projects, args.years, args.repeat, args.build)
        print(RESULT_PREFIX + json.dumps(asdict(result)))
        return 0
    reuse = args.reuse and Path(DB_FILE).exists()
    sqlite_url = f"sqlite:///{DB_FILE}" if reuse else fresh_sqlite(DB_FILE)
    results = [run_child(sqlite_url, args, build=not reuse)]
    if not args.no_pg and create_pg_database():
        try:
            results.append(run_child(f"{PG_SERVER}/{PG_DATABASE}", args, build=True))
        finally:
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    measured = [r for r in results if r is not None]
    return 0 if len(measured) == len(results) and report(measured) else 1


if __name__ == "__main__":
    sys.exit(main())
