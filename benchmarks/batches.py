"""How the three batches, the stalled lists and the official-layout ledger hold up for a province of 20,000 projects.

Run: .venv/bin/python benchmarks/batches.py [--repeat 10] [--projects 20000] [--years 3] [--reuse]

Builds the demo data set (benchmarks/_setup.py) in a throw-away SQLite file (var/bench-batches.sqlite3), then
times with the Django test client, logged in as province_coordinator: the stalled lists page (each list, for
the province and for 交城县), the demo province event's page (with the editor's candidates), and the
downloads — the stalled lists workbook, the batch list in Excel and Word, and 重点项目建设情况表 for the
province (every project of the year, grouped by city) and for 交城县. It also times building an event over the
whole year so far for the province (every project signed, started or in production since 1 January).
Targets: pages at most 150 ms (p95); downloads reported only.
"""

import argparse
import datetime
import gc
import statistics
import sys
import time

from _setup import VAR_DIR, build_demo, fresh_sqlite, setup_django

DB_FILE = VAR_DIR / "bench-batches.sqlite3"
TARGET_MS = 150


def requests_to_time() -> dict:
    from django.urls import reverse
    from django_scopes import scopes_disabled

    from batches.models import BatchEvent
    from org.models import Region

    with scopes_disabled():
        county = Region.objects.get(code="141122")
        event = BatchEvent.objects.filter(region__code="140000").first()
    stalled = reverse("batches:stalled")
    pages = {
        "stalled, province, 签而未开": (stalled, True),
        "stalled, province, 开而未竣": (f"{stalled}?list=started_not_completed", True),
        "stalled, province, 竣而未投": (f"{stalled}?list=completed_not_in_production", True),
        "stalled, province, agreements": (f"{stalled}?list=agreements_not_started", True),
        "stalled, county": (f"{stalled}?region={county.pk}", True),
        "event list": (reverse("batches:index"), True),
        "province event page": (reverse("batches:detail", kwargs={"pk": event.pk}), True),
        "stalled lists xlsx": (reverse("batches:stalled_export"), False),
        "event xlsx": (reverse("batches:export", kwargs={"pk": event.pk, "fmt": "xlsx"}), False),
        "event docx": (reverse("batches:export", kwargs={"pk": event.pk, "fmt": "docx"}), False),
        "ledger xlsx, province": (reverse("batches:ledger_export"), False),
        "ledger xlsx, county": (f"{reverse('batches:ledger_export')}?region={county.pk}", False),
    }
    return pages


def measure(repeat: int) -> list[tuple]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from org.models import User

    client = Client()
    client.force_login(User.objects.get(username="province_coordinator"))
    rows = []
    for name, (url, is_page) in requests_to_time().items():
        _get(client, url)  # warm up
        timings, sql = [], []
        for _ in range(repeat if is_page else max(repeat // 4, 2)):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                size = _get(client, url)
                timings.append((time.perf_counter() - started) * 1000)
            sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        rows.append(
            (name, is_page, statistics.median(timings), _p95(timings), statistics.median(sql), len(queries), size)
        )
    return rows


def time_build() -> tuple[float, list]:
    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from batches.models import BatchEvent
    from org.models import Region, User

    today = timezone.localdate()
    with scopes_disabled():
        province = Region.objects.get(code="140000")
        by = User.objects.get(username="province_coordinator")
        started = time.perf_counter()
        with transaction.atomic():
            event = BatchEvent.build(
                region=province, name="bench", held_on=today, window_start=datetime.date(today.year, 1, 1),
                window_end=today, by=by,
            )  # fmt: skip
            seconds = time.perf_counter() - started
            counts = [totals.count for totals in event.totals()]
            transaction.set_rollback(True)
    return seconds, counts


def _get(client, url: str) -> int:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return len(response.content)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(rows: list[tuple]) -> bool:
    print(f"\n{'request':<32}{'median ms':>10}{'p95 ms':>9}{'sql ms':>9}{'queries':>9}{'KiB':>8}")
    for name, _is_page, median, p95, sql, queries, size in rows:
        print(f"{name:<32}{median:>10.1f}{p95:>9.1f}{sql:>9.1f}{queries:>9}{size / 1024:>8.0f}")
    fast = all(row[3] <= TARGET_MS for row in rows if row[1])
    print(f"\npages ≤ {TARGET_MS} ms (p95): {'yes' if fast else 'NO'}")
    return fast


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="measure the data set of an earlier run")
    args = parser.parse_args()
    setup_django(f"sqlite:///{DB_FILE}" if args.reuse else fresh_sqlite(DB_FILE))
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if not args.reuse:
        print(f"demo --projects {args.projects} --years {args.years}: {build_demo(args.projects, args.years):.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seconds, counts = time_build()
    print(f"building a province event over the year so far: {seconds:.2f} s for {sum(counts)} entries {counts}")
    gc.collect()
    gc.freeze()  # as a server can after loading: see benchmarks/project_list.py
    return 0 if report(measure(args.repeat)) else 1


if __name__ == "__main__":
    sys.exit(main())
