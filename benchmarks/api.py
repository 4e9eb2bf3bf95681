"""How the API's project list (/api/projects/) holds up from a county's 400 projects to a province's 20,000.

Run: .venv/bin/python benchmarks/api.py [--repeat 20] [--large 20000] [--years 3] [--gc-freeze]

Builds the demo data set in a throw-away SQLite file (var/bench_api.sqlite3), issues an API token to
province_coordinator (who sees every project) and times the list pages another system would ask for, with the
token, counting their queries. Targets: at most 100 ms per page (p95) at the large size, and the same number of
queries at both sizes (no N+1). "sql ms" is the time the database took within a request (median).
--gc-freeze: see benchmarks/project_list.py.
"""

import argparse
import gc
import statistics
import sys
import time
from dataclasses import dataclass

from _setup import VAR_DIR, build_demo, fresh_sqlite, setup_django

DB_FILE = VAR_DIR / "bench_api.sqlite3"

REQUESTS = {
    "first page": "/api/projects/",
    "filtered": "/api/projects/?stage=construction&category=industry&q=项目",
    "sorted by annual plan": "/api/projects/?sort=-annual_plan",
    "last page": None,  # /api/projects/?page=<last>, found from the count
    "200 rows": "/api/projects/?page_size=200",
}
TARGET_MS = 100


@dataclass
class Measure:
    size: int
    name: str
    median_ms: float
    p95_ms: float
    sql_ms: float
    queries: int


def measure(size: int, repeat: int) -> list[Measure]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from org.models import User

    user = User.objects.get(username="province_coordinator")
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    results = []
    for name, url in REQUESTS.items():
        url = url or _last_page(client)
        _get(client, url)  # warm caches: the first SQLite page reads
        timings, sql = [], []
        for _ in range(repeat):
            cache.clear()  # the rate limit would otherwise count the benchmark's own requests
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                _get(client, url)
                timings.append((time.perf_counter() - started) * 1000)
            sql.append(sum(float(query["time"]) for query in queries.captured_queries) * 1000)
        results.append(
            Measure(size, name, statistics.median(timings), _p95(timings), statistics.median(sql), len(queries))
        )
    return results


def _get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}: {response.content[:200]!r}")
    return response


def _last_page(client) -> str:
    count = _get(client, "/api/projects/").json()["count"]
    return f"/api/projects/?page={-(-count // 50)}"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(results: list[Measure], large: int) -> bool:
    print(f"\n{'projects':>9}  {'request':<24}{'median ms':>10}{'p95 ms':>9}{'sql ms':>9}{'queries':>9}")
    for m in results:
        print(f"{m.size:>9}  {m.name:<24}{m.median_ms:>10.1f}{m.p95_ms:>9.1f}{m.sql_ms:>9.1f}{m.queries:>9}")
    big = [m for m in results if m.size == large and m.name != "200 rows"]
    fast = all(m.p95_ms <= TARGET_MS for m in big)
    queries = {}
    for m in results:
        queries.setdefault(m.name, set()).add(m.queries)
    flat = all(len(counts) == 1 for counts in queries.values())
    print(f"\n≤ {TARGET_MS} ms per page of 50 (p95) at {large} projects: {'yes' if fast else 'NO'}")
    print(f"same query count at every size: {'yes' if flat else 'NO'}")
    return fast and flat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--small", type=int, default=400)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--years", type=int, default=3, help="years of annual plans in the large set")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() before measuring")
    args = parser.parse_args()

    setup_django(fresh_sqlite(DB_FILE))
    from django.core.management import call_command
    from django_scopes import scopes_disabled

    call_command("migrate", verbosity=0)
    results = []
    for size, years in ((args.small, 1), (args.large, args.years)):
        with scopes_disabled():
            seconds = build_demo(size, years)
        print(f"demo --projects {size} --years {years}: {seconds:.1f} s")
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        results += measure(size, args.repeat)  # the requests run in the token user's scope, set by the API
    return 0 if report(results, args.large) else 1


if __name__ == "__main__":
    sys.exit(main())
