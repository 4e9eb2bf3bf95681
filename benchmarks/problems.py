"""How the problem pages hold up for a province: 20,000 projects, 100,000 problems, 36,000 approval items.

Run: .venv/bin/python benchmarks/problems.py [--repeat 20] [--projects 20000] [--problems 100000] [--reuse]

Builds the demo data set (benchmarks/_setup.py) in a throw-away SQLite file (var/bench-problems.sqlite3),
then adds problems spread over the projects, their governments' departments, every status and two years of
deadlines, approval items and enterprise requests, all drawn from ``random.Random(SEED)`` and written with
bulk_create. One department is busy on purpose: 交城县自然资源局, whose handler (county_handler) gets about
6,800 problems (3,800 open, 2,500 of them overdue) and 1,100 pending approval items.

Times with the Django test client, logged in, median and p95 over --repeat requests, with the queries
counted and the time the database took (sql ms, median; SQLite does part of its work while rows are
fetched, which this leaves out): the department inbox of that handler, the province coordinator's inbox
(the first page of its 1,161 departments with their figures) and that of the busy department, the problem
list (problems:list, skipped with a message where it does not exist) and the enterprise channel's list.
Target: at most 150 ms per page (p95). --reuse measures the file of an earlier run.

The province coordinator's pages pay for ``Problem.objects.visible_to``: ``project__in=<the visible projects>``
made SQLite drive every query from the province's 20,000 projects; filtering on
``project__region__path__startswith`` instead brought them to about 100 ms, and the problem list to 197 ms
(a sort of every row joined to projects and regions). Problems now carry their project's region path
(``Problem.region_path``) with an index on (deadline, id) for the list's order and one on (status, deadline,
region_path) for the overdue count, which needs no join at all.
"""

import argparse
import datetime
import gc
import random
import statistics
import sys
import time
from contextlib import contextmanager

from _setup import VAR_DIR, build_demo, fresh_sqlite, setup_django

DB_FILE = VAR_DIR / "bench-problems.sqlite3"
SEED = 2025
TARGET_MS = 150
BUSY = ("141122", "自然资源局")  # 交城县自然资源局: county_handler's department
BUSY_SHARE = 0.06
# status -> weight; struck off ones get a closing time, open ones may be overdue.
STATUSES = {"struck_off": 45, "registered": 20, "in_progress": 20, "proposed": 10, "returned": 5}
ISSUES = ["用地指标未落实", "资金缺口", "环评待批", "征拆未完成", "电力增容"]
CATEGORIES = ["land", "funding", "approvals", "demolition", "energy", "environment", "utilities", "other"]
# (kind, name, a word of the handling department's name)
ITEMS = [
    ("land_preview", "用地预审与选址意见书", "自然资源"),
    ("eia", "环境影响评价", "生态环境"),
    ("construction_permit", "施工许可证", "住房和城乡建设"),
]


@contextmanager
def _own_created_at(model):
    """Let bulk_create keep the ``created_at`` we give (auto_now_add would stamp every row with now)."""
    field = model._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def _departments():
    """region id -> its departments, and the busy department."""
    from org.models import Department

    by_region = {}
    busy = None
    for department in Department.objects.select_related("region"):
        by_region.setdefault(department.region_id, []).append(department)
        if department.region.code == BUSY[0] and department.name.endswith(BUSY[1]):
            busy = department
    return by_region, busy


def _governments(project, by_region, regions) -> list:
    """The project's region and the regions above it that have departments, nearest first."""
    chain, region = [], regions[project.region_id]
    while region is not None:
        if region.pk in by_region:
            chain.append(region.pk)
        region = regions.get(region.parent_id)
    return chain


def _problem(rng, project, department, now):
    from problems.models import Level, Problem

    status = rng.choices(list(STATUSES), weights=list(STATUSES.values()))[0]
    # Closed problems over two years; open ones registered in the last five months, so some are overdue.
    created = now - datetime.timedelta(days=rng.uniform(0, 720 if status == "struck_off" else 150))
    deadline = (created + datetime.timedelta(days=rng.randint(15, 90))).date()
    problem = Problem(
        project_id=project.pk, department=department, category=rng.choice(CATEGORIES), status=status,
        description=f"{project.name}：{rng.choice(ISSUES)}",
        deadline=deadline, created_at=created,
    )  # fmt: skip
    if status == "struck_off":
        problem.closed_at = min(created + datetime.timedelta(days=rng.expovariate(1 / 30) + 0.2), now)
        problem.closed_on_time = problem.closed_at.date() <= deadline
    else:
        late = (now.date() - deadline).days
        problem.level = Level.COUNTY if late >= 15 else Level.LEADER if late >= 1 else Level.DEPARTMENT
    return problem


def add_problems(count: int, rng: random.Random) -> dict:
    from django.utils import timezone

    from org.models import Region
    from problems.models import Problem
    from projects.models import Project

    regions = {r.pk: r for r in Region.objects.all()}
    by_region, busy = _departments()
    projects = list(Project.objects.only("pk", "name", "region_id").order_by("pk"))
    busy_projects = [p for p in projects if regions[p.region_id].path.startswith(busy.region.path)]
    now = timezone.now()
    problems = []
    for _ in range(count):
        if rng.random() < BUSY_SHARE:
            project, department = rng.choice(busy_projects), busy
        else:
            project = rng.choice(projects)
            chain = _governments(project, by_region, regions)
            level = 0 if rng.random() < 0.8 or len(chain) == 1 else rng.randrange(1, len(chain))
            department = rng.choice(by_region[chain[level]])
        problem = _problem(rng, project, department, now)
        problem.region_path = regions[project.region_id].path  # bulk_create skips Problem.save
        problems.append(problem)
    with _own_created_at(Problem):
        Problem.objects.bulk_create(problems, batch_size=2000)
    return {"busy": busy, "busy_projects": busy_projects, "projects": projects, "by_region": by_region}


def add_approval_items(built: dict, rng: random.Random) -> int:
    """Three items on 12,000 projects and 500 more of 交城县, each handled by the department of the project's
    region whose name fits the item (None where the region has none: a city's zone); the land pre-review of
    those 500 by the busy department."""
    from django.utils import timezone

    from approvals.models import ApprovalItem

    today = timezone.localdate()
    busy_pks = {p.pk for p in rng.sample(built["busy_projects"], min(500, len(built["busy_projects"])))}
    chosen = rng.sample(built["projects"], min(12000, len(built["projects"])))
    taken = {p.pk for p in chosen}
    chosen += [p for p in built["busy_projects"] if p.pk in busy_pks and p.pk not in taken]
    items = []
    for project in chosen:
        departments = built["by_region"].get(project.region_id, [])
        for kind, name, handler in ITEMS:
            department = next((d for d in departments if handler in d.name), None)
            if kind == "land_preview" and project.pk in busy_pks:
                department = built["busy"]
            items.append(_item(rng, project, kind, name, department, today))
    ApprovalItem.objects.bulk_create(items, batch_size=2000)
    return len(items)


def _item(rng, project, kind, name, department, today):
    from approvals.models import ApprovalItem

    applied = today - datetime.timedelta(days=rng.randint(1, 200)) if rng.random() < 0.7 else None
    status = "approved" if applied and rng.random() < 0.3 else "in_progress" if applied else "not_started"
    return ApprovalItem(
        project_id=project.pk, kind=kind, name=name, department=department, status=status, applied_on=applied,
        approved_on=applied + datetime.timedelta(days=15) if status == "approved" else None,
        statutory_days=rng.choice([20, 30, 60]), promised_days=rng.choice([5, 10, 15, 20]),
    )  # fmt: skip


def add_requests(count: int, rng: random.Random) -> int:
    from org.models import User
    from problems.models import EnterpriseRequest
    from projects.models import Project

    submitters = list(User.objects.filter(role="enterprise").select_related("region"))
    own = {u.pk: list(Project.objects.filter(credit_code=u.credit_code).only("pk", "region_id")) for u in submitters}
    rows = []
    for index in range(count):
        user = rng.choice(submitters)
        project = rng.choice(own[user.pk]) if own[user.pk] and rng.random() < 0.7 else None
        rows.append(
            EnterpriseRequest(
                submitted_by=user,
                project=project,
                region_id=project.region_id if project else user.region_id,
                category=rng.choice(CATEGORIES),
                subject=f"诉求{index}",
                text="请协调解决。",
                state=rng.choice(["open", "answered"]),
            )  # fmt: skip
        )
    EnterpriseRequest.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def build(projects: int, problems: int) -> None:
    from django.db import connection
    from django_scopes import scopes_disabled

    with scopes_disabled():
        print(f"demo --projects {projects}: {build_demo(projects, 1):.1f} s")
        started = time.perf_counter()
        rng = random.Random(SEED)
        built = add_problems(problems, rng)
        items = add_approval_items(built, rng)
        requests = add_requests(5000, rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{problems} problems, {items} approval items, {requests} requests: {time.perf_counter() - started:.1f} s")


def requests_to_time() -> dict:
    from django.urls import NoReverseMatch, reverse
    from django_scopes import scopes_disabled

    from org.models import Department

    with scopes_disabled():
        busy = Department.objects.get(region__code=BUSY[0], name__endswith=BUSY[1])
    inbox = reverse("problems:inbox")
    pages = {
        ("county_handler", "inbox, busy department"): inbox,
        ("county_handler", "inbox, busy, page 50"): f"{inbox}?page=50&items_page=20",
        ("province_coordinator", "inbox, all departments"): inbox,
        ("province_coordinator", "inbox, one department"): f"{inbox}?department={busy.pk}",
        ("province_coordinator", "enterprise requests"): reverse("problems:requests"),
    }
    try:
        problem_list = reverse("problems:list")
    except NoReverseMatch:
        print("problems:list does not exist yet: the problem list is not timed.")
    else:
        pages[("province_coordinator", "problem list")] = problem_list
        pages[("province_coordinator", "problem list, open")] = f"{problem_list}?status=open"
        pages[("province_coordinator", "problem list, overdue")] = f"{problem_list}?overdue=on"
        pages[("province_coordinator", "problem list, page 200")] = f"{problem_list}?page=200"
        pages[("county_coordinator", "county problem list")] = problem_list
    return pages


def measure(repeat: int) -> list[tuple]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from org.models import User

    rows = []
    for (username, name), url in requests_to_time().items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        _get(client, url)  # warm up: templates, the first SQLite page reads
        timings, sql = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                _get(client, url)
                timings.append((time.perf_counter() - started) * 1000)
            sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        rows.append((name, statistics.median(timings), _p95(timings), statistics.median(sql), len(queries)))
    return rows


def _get(client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(rows: list[tuple]) -> bool:
    print(f"\n{'page':<26}{'median ms':>10}{'p95 ms':>9}{'sql ms':>9}{'queries':>9}")
    for name, median, p95, sql, queries in rows:
        print(f"{name:<26}{median:>10.1f}{p95:>9.1f}{sql:>9.1f}{queries:>9}")
    fast = all(row[2] <= TARGET_MS for row in rows)
    print(f"\n≤ {TARGET_MS} ms per page (p95): {'yes' if fast else 'NO'}")
    return fast


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--problems", type=int, default=100000)
    parser.add_argument("--reuse", action="store_true", help="measure the data set of an earlier run")
    args = parser.parse_args()
    setup_django(f"sqlite:///{DB_FILE}" if args.reuse else fresh_sqlite(DB_FILE))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not args.reuse:
        build(args.projects, args.problems)
    # As a server can after loading (gc.freeze() in a post_fork hook): see benchmarks/project_list.py.
    gc.collect()
    gc.freeze()
    return 0 if report(measure(args.repeat)) else 1


if __name__ == "__main__":
    sys.exit(main())
