"""How long the colour recompute takes for a whole province: 20,000 projects, this month, SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/colours.py [--projects 20000] [--years 3] [--repeat 3] [--explain]

Builds the demo data set (projects, monthly reports for --years, colours for every month) in a throw-away
SQLite file (var/bench_colours.sqlite3), then in a PostgreSQL database bench_colours created for the run
and dropped after, when a server answers at postgresql://postgres@127.0.0.1:5432 (skipped otherwise).
Each database is measured in a child process, since Django binds its database at setup. PostgreSQL gets
an ANALYZE after the bulk load, as autovacuum would give a live server.

Times ``reports.colours.recompute(year, month)`` for this month over the whole province (an upsert: the
demo has coloured the month already), median of --repeat runs, with the rows written; "select s" is the
SELECT that feeds the upsert run on its own (median), to tell reading from writing. Target: ≤ 5 s.
--explain prints the query plan of that SELECT (printed anyway when the target is missed).
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

from _setup import VAR_DIR, build_demo, fresh_sqlite, setup_django

DB_FILE = VAR_DIR / "bench_colours.sqlite3"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_DATABASE = "bench_colours"
TARGET_S = 5.0
RESULT_PREFIX = "RESULT "


@dataclass
class Result:
    backend: str
    projects: int
    reports: int
    demo_s: float
    recompute_s: float  # median
    runs: list[float]
    select_s: float  # median
    rows: int
    subqueries: int  # correlated subqueries in the SELECT's text
    plan: str


# ---- one database, in a child process ----


def measure(database_url: str, projects: int, years: int, repeat: int) -> Result:
    setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection
    from django_scopes import scopes_disabled

    from reports.colours import current_month, recompute
    from reports.models import MonthlyReport

    call_command("migrate", verbosity=0)
    with scopes_disabled():
        demo_s = build_demo(projects, years)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        year, month = current_month()
        runs, rows = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            rows = recompute(year, month)
            runs.append(time.perf_counter() - started)
        select, sql, params = _feeding_select(year, month)
        select_s = statistics.median(_timed_select(sql, params) for _ in range(repeat))
        return Result(
            backend=connection.vendor,
            projects=projects,
            reports=MonthlyReport._base_manager.count(),
            demo_s=demo_s,
            recompute_s=statistics.median(runs),
            runs=runs,
            select_s=select_s,
            rows=rows,
            subqueries=sql.upper().count("SELECT") - 1,
            plan=select.explain(),
        )


def _feeding_select(year: int, month: int):
    """The SELECT of recompute's upsert for the first rule group (the demo has one: the default rules).

    Built from reports.colours' own helpers, so it stays the statement recompute runs.
    """
    from reports import colours

    projects = colours._in_scope(None, None)
    (rules, shares), region_ids = next(iter(colours._rule_groups(projects, year).items()))
    as_of = colours.as_of_date(year, month)
    return colours.feeding_select(projects.filter(region_id__in=region_ids), rules, shares, year, month, as_of)


def _timed_select(sql: str, params) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        cursor.fetchall()
        return time.perf_counter() - started


# ---- the parent: one child per database, then the table ----


def run_child(database_url: str, args) -> Result | None:
    command = [sys.executable, __file__, "--database", database_url]
    command += ["--projects", str(args.projects), "--years", str(args.years), "--repeat", str(args.repeat)]
    child = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in child.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if child.returncode != 0 or not lines:
        print(f"{database_url}: the measurement failed (exit {child.returncode}).\n{child.stdout}")
        return None
    return Result(**json.loads(lines[-1].removeprefix(RESULT_PREFIX)))


def create_pg_database() -> bool:
    """bench_colours, empty, on the local server; False (with the reason printed) when none answers."""
    try:
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)", f"CREATE DATABASE {PG_DATABASE}")
    except Exception as error:  # psycopg missing, server down, no such role: all mean "skip"
        print(f"PostgreSQL at {PG_SERVER} not usable, skipped: {str(error).strip() or type(error).__name__}")
        return False
    return True


def drop_pg_database() -> None:
    _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


def _pg_admin(*statements: str) -> None:
    import psycopg

    # CREATE/DROP DATABASE cannot run inside a transaction: autocommit.
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as connection:
        for statement in statements:
            connection.execute(statement)


def report(results: list[Result], explain: bool) -> bool:
    print(
        f"\n{'backend':<12}{'projects':>9}{'reports':>9}{'demo s':>8}{'recompute s':>13}"
        f"{'runs s':>20}{'select s':>10}{'rows':>7}{'subqueries':>12}"
    )
    for r in results:
        runs = "/".join(f"{s:.2f}" for s in r.runs)
        print(
            f"{r.backend:<12}{r.projects:>9}{r.reports:>9}{r.demo_s:>8.1f}{r.recompute_s:>13.2f}"
            f"{runs:>20}{r.select_s:>10.2f}{r.rows:>7}{r.subqueries:>12}"
        )
    fast = all(r.recompute_s <= TARGET_S for r in results)
    print(f"\n≤ {TARGET_S:.0f} s per recompute of this month for the province: {'yes' if fast else 'NO'}")
    for r in results:
        if explain or r.recompute_s > TARGET_S:
            print(f"\nQuery plan of the SELECT feeding the upsert ({r.backend}):\n{r.plan}")
    return fast


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--years", type=int, default=3, help="years of reports and colours in the data set")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--database", help=argparse.SUPPRESS)  # the child: measure this database only
    args = parser.parse_args()

    if args.database:
        result = measure(args.database, args.projects, args.years, args.repeat)
        print(RESULT_PREFIX + json.dumps(asdict(result)))
        return 0
    results = [run_child(fresh_sqlite(DB_FILE), args)]
    if create_pg_database():
        try:
            results.append(run_child(f"{PG_SERVER}/{PG_DATABASE}", args))
        finally:
            drop_pg_database()
    measured = [r for r in results if r is not None]
    return 0 if len(measured) == len(results) and report(measured, args.explain) else 1


if __name__ == "__main__":
    sys.exit(main())
