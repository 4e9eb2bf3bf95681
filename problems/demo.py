"""Demo problems (挂号销号) and enterprise requests, called by ``manage.py demo`` after the ledger and reports.

About three projects in ten that is being prepared or built gets a problem of the kind such projects meet
(land quotas, money, approvals, demolition, power…), handled by the right department of its own government:
most struck off, the rest in every open state, some of those past their deadline and escalated by the
default rules. Each has its timeline. The county's enterprise user has three requests: one open, one
answered, one turned into a problem.
"""

import datetime
import random
from contextlib import contextmanager

from django.utils import timezone

from org.models import Role, User
from projects.models import Project, Stage

from .models import EnterpriseRequest, Level, Problem, ProblemEvent, Status

SHARE = 0.3
# category, department key (projects demo DEPARTMENTS), description, what the department did
ISSUES = [
    ("land", "land", "建设用地指标未落实，影响土地挂牌出让", "已纳入年度用地计划，完成组卷报批"),
    ("land", "land", "项目用地涉及基本农田调整，选址意见书待出具", "已完成规划调整论证，出具选址意见书"),
    ("funding", "drc", "专项债券资金未到位，资金缺口约 3000 万元", "已协调第二批专项债券额度，资金拨付到位"),
    ("approvals", "approval", "施工许可证办理材料不全，需联合审图", "已组织联合审图，施工许可证核发"),
    ("environment", "env", "环评报告书待批复，影响开工", "环评报告书已批复"),
    ("demolition", "housing", "红线内 12 户征拆未完成", "征拆补偿协议全部签订，场地交付"),
    ("energy", "industry", "能耗指标不足，节能审查未通过", "已调剂能耗指标，节能审查通过"),
    ("utilities", "water", "施工用水用电接入滞后", "临时用电用水已接通"),
]
OPEN_WEIGHTS = {Status.REGISTERED: 3, Status.IN_PROGRESS: 5, Status.PROPOSED: 2, Status.RETURNED: 1}
STRUCK_OFF_SHARE = 0.55
TO_LEADER_DAYS, TO_COUNTY_DAYS = 1, 15  # the default escalation rules
REQUESTS = [
    ("land", "厂房扩建用地手续咨询", "二期厂房扩建需新增用地约 30 亩，请问办理流程和所需材料。"),
    ("utilities", "申请电力增容", "新生产线投产需增容 2000 千伏安，供电公司排期较晚，请协调。"),
    ("funding", "技改补助资金申报", "企业智能化技改项目拟申报省级补助，请告知申报时间和条件。"),
]


def build(world, accounts: list[User], rng: random.Random) -> str:
    by_role = {(user.region.code, user.role): user for user in accounts}
    projects = list(
        Project.objects.filter(
            stage__in=[Stage.SIGNED, Stage.PREPARING, Stage.CONSTRUCTION], archived_at__isnull=True
        ).select_related("region").order_by("pk")
    )
    enterprise = by_role.get(("141122", Role.ENTERPRISE))
    own = enterprise.credit_code if enterprise else None
    chosen = [project for project in projects if rng.random() < SHARE or project.credit_code == own]
    drafts = [_draft(world, rng, project, by_role) for project in chosen]
    with _own_times():
        problems = Problem.objects.bulk_create([problem for problem, _events in drafts])
        events = [event for problem, timeline in drafts for event in _timeline(problem, timeline)]
        ProblemEvent.objects.bulk_create(events)
    requests = _requests(world, rng, by_role)
    open_count = sum(problem.status != Status.STRUCK_OFF for problem in problems)
    overdue = sum(problem.status != Status.STRUCK_OFF and problem.deadline < world.today for problem in problems)
    return f"Problems: {len(problems)} ({open_count} open, {overdue} overdue); {requests} enterprise requests."


@contextmanager
def _own_times():
    """Let bulk_create keep the registration and event times drawn here (auto_now_add would stamp now)."""
    fields = [Problem._meta.get_field("created_at"), ProblemEvent._meta.get_field("at")]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def _government_code(world, project: Project) -> str:
    """The project's own government (a county or city; the province for province-level rows)."""
    return project.region.code if (project.region.code, "drc") in world.departments else project.region.parent.code


def _moment(day: datetime.date, rng: random.Random) -> datetime.datetime:
    naive = datetime.datetime.combine(day, datetime.time(rng.randint(8, 17), rng.randrange(60)))
    return timezone.make_aware(naive)


def _draft(world, rng: random.Random, project: Project, by_role: dict) -> tuple[Problem, list]:
    today = world.today
    category, key, description, resolution = rng.choice(ISSUES)
    code = _government_code(world, project)
    registered = today - datetime.timedelta(days=rng.randint(3, 160))
    deadline = registered + datetime.timedelta(days=rng.choice([15, 20, 30, 45, 60]))
    coordinator = by_role.get((code, Role.COORDINATOR))
    problem = Problem(
        project=project, category=category, description=description, department=world.departments[(code, key)],
        leader_id=project.leader_id, deadline=deadline, raised_by=coordinator, region_path=project.region.path,
        created_at=_moment(registered, rng),
    )  # fmt: skip
    if rng.random() < STRUCK_OFF_SHARE and (today - registered).days >= 4:
        closed = min(registered + datetime.timedelta(days=rng.randint(3, 75)), today)
        problem.status, problem.resolution = Status.STRUCK_OFF, resolution
        problem.closed_at, problem.closed_on_time = _moment(closed, rng), closed <= deadline
        steps = ["register", "accept", "propose", "strike_off"]
    else:
        problem.status = rng.choices(list(OPEN_WEIGHTS), weights=list(OPEN_WEIGHTS.values()))[0]
        steps = {
            Status.REGISTERED: ["register"],
            Status.IN_PROGRESS: ["register", "accept"],
            Status.PROPOSED: ["register", "accept", "propose"],
            Status.RETURNED: ["register", "accept", "propose", "return"],
        }[problem.status]
        if problem.status == Status.PROPOSED:
            problem.resolution = resolution
        problem.level = _level((today - deadline).days)
    handler = by_role.get((code, Role.HANDLER))
    return problem, [(step, coordinator if step in ("register", "strike_off", "return") else handler) for step in steps]


def _level(days_overdue: int) -> int:
    if days_overdue >= TO_COUNTY_DAYS:
        return Level.COUNTY
    return Level.LEADER if days_overdue >= TO_LEADER_DAYS else Level.DEPARTMENT


NOTES = {
    "register": "",
    "accept": "已受理，正在协调办理",
    "propose": "已办结，申请销号",
    "strike_off": "经核实已解决，同意销号",
    "return": "问题尚未彻底解决，退回继续办理",
}
MOVES = {  # action -> (from, to)
    "register": ("", Status.REGISTERED),
    "accept": (Status.REGISTERED, Status.IN_PROGRESS),
    "propose": (Status.IN_PROGRESS, Status.PROPOSED),
    "strike_off": (Status.PROPOSED, Status.STRUCK_OFF),
    "return": (Status.PROPOSED, Status.RETURNED),
}


def _timeline(problem: Problem, steps: list) -> list[ProblemEvent]:
    """Evenly spaced entries from registration to closing (or to now for open problems)."""
    start = problem.created_at
    end = problem.closed_at or min(timezone.now(), start + datetime.timedelta(days=40))
    gap = (end - start) / max(len(steps) - 1, 1)
    events = []
    for index, (action, by) in enumerate(steps):
        note = problem.resolution if action == "propose" and problem.resolution else NOTES[action]
        old, new = MOVES[action]
        events.append(
            ProblemEvent(problem=problem, action=action, from_status=old, to_status=new, note=note, by=by,
                         at=start + gap * index)
        )  # fmt: skip
    return events


def _requests(world, rng: random.Random, by_role: dict) -> int:
    """The county enterprise's requests: one open, one answered, one turned into a problem."""
    code = "141122"
    enterprise, coordinator = by_role.get((code, Role.ENTERPRISE)), by_role.get((code, Role.COORDINATOR))
    if enterprise is None or EnterpriseRequest.objects.filter(submitted_by=enterprise).exists():
        return 0
    own = Project.objects.filter(credit_code=enterprise.credit_code).order_by("pk").first()
    converted = Problem.objects.filter(project=own).order_by("pk").first() if own else None
    states = [
        (EnterpriseRequest.State.OPEN, "", None),
        (EnterpriseRequest.State.ANSWERED, "请携带项目备案文件到县行政审批服务管理局窗口办理，可同步网上申报。", None),
        (EnterpriseRequest.State.CONVERTED, "", converted),
    ]
    rows = []
    for (category, subject, text), (state, reply, problem) in zip(REQUESTS, states, strict=True):
        if state == EnterpriseRequest.State.CONVERTED and problem is None:
            continue
        rows.append(
            EnterpriseRequest(
                region=world.region(code), project=own if category != "funding" else None, submitted_by=enterprise,
                category=category, subject=subject, text=text, state=state, reply=reply,
                replied_by=coordinator if reply else None, problem=problem,
            )
        )  # fmt: skip
    EnterpriseRequest.objects.bulk_create(rows)
    return len(rows)
