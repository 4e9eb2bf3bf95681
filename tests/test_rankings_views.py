"""The targets and rankings screens, with the fixed cast (tests/conftest.py): who sees which ranking, computing
and publishing, the scheme, the split of targets, the FAI figures, the gap table against direct queries."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from projects.models import AnnualPlan
from rankings.compute import compute, last_closed
from rankings.models import (
    DepartmentTarget,
    FaiActual,
    Kind,
    RankingPeriod,
    RankingScheme,
    RankingSnapshot,
    RegionTarget,
)
from rankings.targets import gap_by_department, gap_table, region_gap
from reports.models import MonthlyReport, Period, ReportStatus

from .conftest import THIS_YEAR, reload

D = Decimal
TODAY = timezone.localdate()
LAST = last_closed(TODAY, Kind.MONTH)
BEFORE = LAST.previous()
RANKING = reverse("rankings:ranking")


def _published(region, period, dimension="region", by=None):
    with scopes_disabled():
        snapshot = compute(region, period, dimension)
        snapshot.publish(by=by)
    return snapshot


def _approved(project, month: int, amount: str, year: int = THIS_YEAR):
    with scopes_disabled():
        period = Period.for_month(project.region, year, month)
        return MonthlyReport.objects.create(
            project=project, period=period, year=year, month=month, completed=D(amount),
            status=ReportStatus.APPROVED, submitted_at=timezone.now(),
        )  # fmt: skip


# ---- the ranking page ----


def test_the_ranking_page_shows_the_latest_published_ranking_with_rank_changes(cast, client_for):
    _approved(cast.projects.hospital, LAST.number, "15000", LAST.year)  # 文水县 ahead of 交城县 last month
    before = _published(cast.regions.lvliang, BEFORE)
    latest = _published(cast.regions.lvliang, LAST)

    response = client_for(cast.users.city_coordinator).get(RANKING)

    assert response.status_code == 200
    assert response.context["snapshot"] == latest
    assert latest.previous == before
    entries = response.context["entries"]
    assert [(e.subject_name, e.rank) for e in entries] == [("文水县", 1), ("交城县", 2)]
    assert [e.rank_change for e in entries] == [before.entries.get(region=e.region).rank - e.rank for e in entries]
    chart = json.loads(
        response.content.decode().split('id="ranking-chart-data" type="application/json">')[1].split("<")[0]
    )
    assert chart == {"names": ["文水县", "交城县"], "scores": [float(e.score) for e in entries], "label": "综合得分"}
    assert [(p.year, p.number) for p in response.context["periods"]] == [
        (LAST.year, LAST.number),
        (BEFORE.year, BEFORE.number),
    ]


def test_the_ranking_page_costs_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries):
    _published(cast.regions.lvliang, BEFORE)
    _published(cast.regions.lvliang, LAST)
    client = client_for(cast.users.city_coordinator)
    client.get(RANKING)  # warm the session and the user

    # session, user, region of the user, has subregions, latest snapshot (with its region, the users and the
    # previous one), ancestors (breadcrumbs), children, periods, entries with their regions; the navigation bar's
    # unread count; the session's expiry renewed (savepoint, update, release)
    with django_assert_num_queries(13):
        response = client.get(RANKING)
    assert len(response.context["entries"]) == 2


def test_a_county_reads_its_city_ranking_but_no_other_city(cast, client_for):
    _published(cast.regions.lvliang, LAST)
    _published(cast.regions.taiyuan, LAST)
    client = client_for(cast.users.leader)

    assert client.get(RANKING, {"region": "141100"}).context["snapshot"].region == cast.regions.lvliang
    assert client.get(RANKING, {"region": "140100"}).status_code == 404  # 太原市: neither above nor below
    assert client.get(RANKING, {"region": "140105"}).status_code == 404
    assert client.get(RANKING, {"region": "nonsense"}).status_code == 404
    assert client.get(RANKING, {"region": "141122901"}).status_code == 404  # a zone is never ranked


def test_a_county_ranks_its_departments_by_default(cast, client_for):
    snapshot = _published(cast.region, LAST, "department")

    response = client_for(cast.users.reporter).get(RANKING)

    assert response.context["dimension"] == "department"
    assert response.context["snapshot"] == snapshot
    assert {e.subject_name for e in response.context["entries"]} == {
        "交城县发展和改革局", "交城县自然资源局", "交城县住房和城乡建设局",
    }  # fmt: skip


def test_a_draft_is_shown_to_the_office_and_hidden_from_readers(cast, client_for):
    with scopes_disabled():
        draft = compute(cast.region, LAST, "department")

    office = client_for(cast.users.coordinator).get(RANKING)
    leader = client_for(cast.users.leader).get(RANKING)

    assert office.context["snapshot"] == draft
    assert 'data-testid="publish"' in office.content.decode()
    assert leader.context["snapshot"] is None
    assert 'data-testid="empty"' in leader.content.decode()
    assert client_for(cast.users.leader).get(reverse("rankings:snapshot", args=[draft.pk])).status_code == 404


def test_an_unknown_kind_or_period_falls_back_to_the_latest(cast, client_for):
    snapshot = _published(cast.regions.lvliang, LAST)
    client = client_for(cast.users.city_leader)

    for query in ({"kind": "weekly"}, {"year": "abc", "period": "99"}, {"dimension": "x"}):
        assert client.get(RANKING, query).context["snapshot"] == snapshot
    assert client.get(RANKING, {"year": LAST.year - 5, "period": 1}).context["snapshot"] is None


# ---- computing and publishing ----


def _compute_post(client, **data):
    fields = {"kind": "month", "dimension": "department", "year": LAST.year, "period": LAST.number, **data}
    return client.post(reverse("rankings:compute"), fields)


def test_the_office_computes_a_draft_and_publishes_it(cast, client_for):
    client = client_for(cast.users.coordinator)

    response = _compute_post(client)

    with scopes_disabled():
        snapshot = RankingSnapshot.objects.get()
    assert response.url == reverse("rankings:snapshot", args=[snapshot.pk])
    assert (snapshot.region, snapshot.kind, snapshot.dimension, snapshot.year, snapshot.period) == (
        cast.region, "month", "department", LAST.year, LAST.number,
    )  # fmt: skip
    assert (snapshot.version, snapshot.computed_by, snapshot.published_at) == (1, cast.users.coordinator, None)
    assert snapshot.entries.count() == 3

    response = client.post(reverse("rankings:publish", args=[snapshot.pk]))

    assert response.status_code == 302
    snapshot = reload(snapshot)
    assert snapshot.is_published and snapshot.published_by == cast.users.coordinator
    assert RankingSnapshot.latest(cast.region, dimension="department") == snapshot


def test_a_city_office_computes_a_county_below_it_but_not_outside(cast, client_for):
    client = client_for(cast.users.city_coordinator)

    assert _compute_post(client, region="141122").status_code == 302
    assert _compute_post(client, region="140105").status_code == 404
    with scopes_disabled():
        assert list(RankingSnapshot.objects.values_list("region__code", flat=True)) == ["141122"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"period": "13"}, "period", "月份或季度超出范围。"),
        ({"kind": "quarter", "period": "5"}, "period", "季度须为 1 到 4。"),
        ({"year": TODAY.year + 1, "period": "1"}, "period", "该期尚未开始，不能计算排名。"),
        ({"year": ""}, "year", "请填写年度。"),
        ({"kind": "weekly"}, "kind", "选择一个有效的选项。 weekly 不在可用的选项中。"),
    ],
)
def test_computing_refuses_bad_input_with_field_errors(cast, client_for, data, field, message):
    response = _compute_post(client_for(cast.users.coordinator), **data)

    assert response.status_code == 400
    assert response.context["compute_form"].errors[field] == [message]
    with scopes_disabled():
        assert not RankingSnapshot.objects.exists()


def test_computing_a_region_without_subjects_is_a_form_error(cast, client_for):
    response = _compute_post(client_for(cast.users.coordinator), dimension="region")

    assert response.status_code == 400
    assert response.context["compute_form"].non_field_errors() == ["交城县没有可参加排名的下级区划。"]


def test_a_published_period_recomputed_is_a_new_draft_version(cast, client_for):
    first = _published(cast.region, LAST, "department")
    client = client_for(cast.users.coordinator)

    _compute_post(client)

    with scopes_disabled():
        versions = list(RankingSnapshot.objects.order_by("version").values_list("version", "published_at"))
    assert versions == [(1, reload(first).published_at), (2, None)]
    page = client.get(reverse("rankings:snapshot", args=[first.pk]))
    assert page.context["is_current"] is True  # version 2 is only a draft
    client.post(reverse("rankings:publish", args=[first.pk + 1]))
    page = client.get(reverse("rankings:snapshot", args=[first.pk]))
    assert page.context["is_current"] is False
    assert 'data-testid="superseded"' in page.content.decode()


def test_publishing_a_published_snapshot_changes_nothing(cast, client_for):
    snapshot = _published(cast.region, LAST, "department", by=cast.users.coordinator)
    published_at = reload(snapshot).published_at

    response = client_for(cast.users.admin).post(reverse("rankings:publish", args=[snapshot.pk]))

    assert response.status_code == 302
    assert (reload(snapshot).published_at, reload(snapshot).published_by) == (published_at, cast.users.coordinator)


# ---- export and history ----


def test_a_snapshot_exports_its_table(cast, client_for):
    snapshot = _published(cast.regions.lvliang, LAST)

    response = client_for(cast.users.leader).get(reverse("rankings:snapshot_export", args=[snapshot.pk, "csv"]))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "名次", "名次变化", "名称", "综合得分", "投资完成率（%）", "开工率（%）", "投产率（%）",
        "签约投资目标完成率（%）", "问题按期销号率（%）", "月报按时报送率（%）", "期间", "版本", "状态",
    ]  # fmt: skip
    entries = list(snapshot.entries.all())
    assert [row[2] for row in rows[1:]] == [e.subject_name for e in entries]
    assert [row[3] for row in rows[1:]] == [str(e.score) for e in entries]
    assert {row[-1] for row in rows[1:]} == {"已发布"}


def test_the_history_lists_versions_and_hides_drafts_from_readers(cast, client_for, django_assert_num_queries):
    first = _published(cast.region, LAST, "department")
    second = _published(cast.region, LAST, "department")
    with scopes_disabled():
        draft = compute(cast.region, BEFORE, "department")
    client = client_for(cast.users.coordinator)
    client.get(reverse("rankings:history"))

    # session, user, region, ancestors, children, count, page (with superseded and the first place); the
    # navigation bar's unread count; the session's expiry renewed (savepoint, update, release)
    with django_assert_num_queries(11):
        office = client.get(reverse("rankings:history"))
    leader = client_for(cast.users.leader).get(reverse("rankings:history"))

    rows = [(s.pk, s.superseded) for s in office.context["page"].object_list]
    assert rows == [(second.pk, False), (first.pk, True), (draft.pk, False)]
    assert [s.pk for s in leader.context["page"].object_list] == [second.pk, first.pk]
    assert office.context["page"].object_list[0].leader_name == second.entries.first().subject_name


# ---- the scheme ----


def _weights(**overrides) -> dict:
    values = {"completion": 40, "start": 20, "production": 10, "signing": 10, "problems": 10, "timeliness": 10}
    values.update(overrides)
    return {f"{k}_weight": v for k, v in values.items()}


def test_the_scheme_page_shows_the_inherited_scheme_and_saves_an_own_one(cast, client_for):
    with scopes_disabled():
        RankingScheme.objects.create(region=cast.regions.lvliang, normalisation="relative")
    client = client_for(cast.users.coordinator)

    page = client.get(reverse("rankings:scheme"))
    assert page.context["inherited"].region == cast.regions.lvliang
    assert page.context["form"]["normalisation"].value() == "relative"

    response = client.post(reverse("rankings:scheme"), {"action": "save", "normalisation": "minmax", **_weights()})

    assert response.status_code == 302
    with scopes_disabled():
        own = RankingScheme.objects.get(region=cast.region)
    assert (own.normalisation, own.weights) == ("minmax", {
        "completion": D("40.00"), "start": D("20.00"), "production": D("10.00"), "signing": D("10.00"),
        "problems": D("10.00"), "timeliness": D("10.00"),
    })  # fmt: skip
    assert RankingScheme.for_region(cast.region) == own


def test_weights_not_adding_up_to_one_hundred_are_refused_on_every_weight(cast, client_for):
    response = client_for(cast.users.coordinator).post(
        reverse("rankings:scheme"), {"action": "save", "normalisation": "capped", **_weights(completion=35)}
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["completion_weight"] == ["各项权重合计须为 100，当前合计 95。"]
    assert form.weight_errors() == ["各项权重合计须为 100，当前合计 95。"]
    assert response.content.decode().count('data-field-error="weights"') == 1
    with scopes_disabled():
        assert not RankingScheme.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "权重不能为负数。"),
        ("abc", "权重须为数字。"),
        ("101", "权重不能超过 100。"),
        ("", "请填写权重（不计入可填 0）。"),
    ],
)
def test_a_bad_weight_is_a_field_error(cast, client_for, value, message):
    data = {"action": "save", "normalisation": "capped", **_weights(), "start_weight": value}

    response = client_for(cast.users.admin).post(reverse("rankings:scheme"), data)

    assert response.status_code == 400
    assert response.context["form"].errors["start_weight"] == [message]


def test_deleting_the_own_scheme_goes_back_to_the_inherited_one(cast, client_for):
    with scopes_disabled():
        RankingScheme.objects.create(region=cast.region, normalisation="minmax")

    response = client_for(cast.users.coordinator).post(reverse("rankings:scheme"), {"action": "reset"})

    assert response.status_code == 302
    with scopes_disabled():
        assert not RankingScheme.objects.exists()


def test_a_changed_scheme_leaves_computed_snapshots_as_they_were(cast, client_for):
    snapshot = _published(cast.region, LAST, "department")
    scores = [e.score for e in snapshot.entries.all()]
    client_for(cast.users.coordinator).post(
        reverse("rankings:scheme"), {"action": "save", "normalisation": "minmax", **_weights()}
    )

    assert [e.score for e in reload(snapshot).entries.all()] == scores
    assert reload(snapshot).weights["completion"] == "30.00"


# ---- targets: the gap table against direct queries ----


@pytest.fixture
def figures(cast):
    """Approved monthly figures this year in both counties, a July one submitted only, targets and FAI."""
    _approved(cast.projects.materials, 1, "4000")
    _approved(cast.projects.materials, 2, "5000.50")
    _approved(cast.projects.road, 2, "300")
    _approved(cast.projects.hospital, 1, "7000")
    _approved(cast.projects.materials, 1, "999", year=THIS_YEAR - 1)  # last year: not counted
    with scopes_disabled():
        period = Period.for_month(cast.projects.road.region, THIS_YEAR, 3)
        MonthlyReport.objects.create(
            project=cast.projects.road, period=period, year=THIS_YEAR, month=3, completed=D("800"),
            status=ReportStatus.SUBMITTED,
        )  # fmt: skip
        RegionTarget.objects.create(
            region=cast.regions.lvliang, year=THIS_YEAR, fai_target=D("500000"), plan_target=D("60000")
        )
        RegionTarget.objects.create(region=cast.region, year=THIS_YEAR, fai_target=D("200000"), plan_target=D("40000"))
        RegionTarget.objects.create(region=cast.regions.wenshui, year=THIS_YEAR, plan_target=D("15000"))
        DepartmentTarget.objects.create(department=cast.departments.drc, year=THIS_YEAR, plan_target=D("35000"))
        FaiActual.objects.create(region=cast.region, year=THIS_YEAR, month=1, amount=D("10000"))
        FaiActual.objects.create(region=cast.region, year=THIS_YEAR, month=2, amount=D("21000"))
        FaiActual.objects.create(region=cast.regions.lvliang, year=THIS_YEAR, month=2, amount=D("61000"))
    return cast


def _direct(path: str, year: int, **project) -> tuple[Decimal, Decimal]:
    """What the gap table should say, asked of the database directly: (approved completed, annual plans)."""
    where = {"project__region__path__startswith": path, "project__archived_at__isnull": True}
    where.update({f"project__{k}": v for k, v in project.items()})
    done = MonthlyReport._base_manager.filter(status=ReportStatus.APPROVED, year=year, **where)
    plans = AnnualPlan._base_manager.filter(year=year, **where)
    return (
        done.aggregate(s=Sum("completed", default=D("0")))["s"],
        plans.aggregate(s=Sum("amount", default=D("0")))["s"],
    )


def test_the_gap_table_agrees_with_direct_queries(figures):
    cast = figures
    with scopes_disabled():
        rows = gap_table(cast.regions.lvliang, THIS_YEAR)
        expected = {
            child.pk: _direct(child.path, THIS_YEAR) for child in (cast.regions.jiaocheng, cast.regions.wenshui)
        }

    assert [(r.subject_name, r.region_id) for r in rows] == [
        ("文水县", cast.regions.wenshui.pk),
        ("交城县", cast.region.pk),
    ]
    assert {r.region_id: (r.completed, r.annual_plan) for r in rows} == expected
    jc, ws = rows[1], rows[0]
    assert expected[cast.region.pk] == (D("9300.50"), D("33000"))  # 4000 + 5000.50 + 300; plans 30000 + 3000
    assert (jc.plan_target, jc.gap, jc.rate) == (D("40000"), D("30699.50"), D("23.25"))  # 9300.50 / 40000
    assert (jc.fai_target, jc.fai_actual, jc.fai_month, jc.fai_gap, jc.fai_rate) == (
        D("200000"), D("21000"), 2, D("179000"), D("10.50"),
    )  # fmt: skip
    assert jc.plan_shortfall == D("7000")  # the projects' plans (33000) fall 7000 short of the 40000 assigned
    assert (ws.plan_target, ws.completed, ws.gap, ws.rate, ws.fai_target, ws.fai_actual) == (
        D("15000"), D("7000"), D("8000"), D("46.67"), None, None,
    )  # fmt: skip


def test_the_gap_of_the_region_itself_and_by_department_agree_with_direct_queries(figures):
    cast = figures
    with scopes_disabled():
        total = region_gap(cast.regions.lvliang, THIS_YEAR)
        by_department = gap_by_department(cast.region, THIS_YEAR)
        lvliang = _direct(cast.regions.lvliang.path, THIS_YEAR)
        drc = _direct(cast.region.path, THIS_YEAR, department=cast.departments.drc)
        housing = _direct(cast.region.path, THIS_YEAR, department=cast.departments.housing)

    assert (total.completed, total.annual_plan) == lvliang == (D("16300.50"), D("48000"))
    assert (total.plan_target, total.gap, total.fai_actual, total.fai_month) == (
        D("60000"),
        D("43699.50"),
        D("61000"),
        2,
    )
    assert [(r.subject_name, r.completed, r.annual_plan, r.plan_target) for r in by_department] == [
        ("交城县住房和城乡建设局", *housing, None),
        ("交城县发展和改革局", *drc, D("35000")),
        ("交城县自然资源局", D("0"), D("0"), None),
    ]
    assert by_department[1].gap == D("35000") - D("9000.50")
    assert by_department[1].fai_actual is None


def test_the_fai_figure_is_the_latest_month_up_to_the_one_asked(figures):
    with scopes_disabled():
        row = region_gap(figures.region, THIS_YEAR, month=1)

    assert (row.fai_actual, row.fai_month) == (D("10000"), 1)
    assert row.completed == D("4000")  # January's approved figure only


def test_the_targets_page_shows_the_table_in_a_fixed_number_of_queries(figures, client_for, django_assert_num_queries):
    client = client_for(figures.users.city_leader)
    client.get(reverse("rankings:targets"))

    # session, user, region, breadcrumbs; region gap (target, FAI, completed, plans); subregions (children, map,
    # targets, FAI, completed, plans); departments (none in 吕梁市: no targets or sums asked for); the navigation
    # bar's unread count; the session's expiry renewed (savepoint, update, release)
    with django_assert_num_queries(19):
        response = client.get(reverse("rankings:targets"))

    assert [row.subject_name for row in response.context["rows"]] == ["文水县", "交城县"]
    html = response.content.decode()
    assert html.count('data-testid="gap-row"') == 2
    assert 'data-testid="no-departments"' in html  # 吕梁市 has no departments of its own in the cast


def test_a_region_outside_the_subtree_is_not_found_on_the_targets_pages(cast, client_for):
    client = client_for(cast.users.coordinator)

    for name in ("rankings:targets", "rankings:targets_edit", "rankings:fai"):
        assert client.get(reverse(name), {"region": "141100"}).status_code == 404  # above: not the county's
        assert client.get(reverse(name), {"region": "140105"}).status_code == 404


def test_the_targets_export_has_every_level(figures, client_for):
    response = client_for(figures.users.city_coordinator).get(reverse("rankings:targets_export", args=["csv"]))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[:2] for row in rows[1:]] == [["本级合计", "吕梁市"], ["下级区划", "文水县"], ["下级区划", "交城县"]]
    assert rows[3][9:12] == ["9300.50", "23.25", "30699.50"]


# ---- targets: the split ----

EDIT = reverse("rankings:targets_edit")


def _split_data(cast, **values) -> dict:
    data = {f"r{cast.region.pk}_fai": "", f"r{cast.region.pk}_plan": "", f"r{cast.regions.wenshui.pk}_fai": "",
            f"r{cast.regions.wenshui.pk}_plan": ""}  # fmt: skip
    data.update(values)
    return data


def test_a_city_splits_its_targets_among_its_counties(figures, client_for):
    cast = figures
    data = _split_data(cast, **{f"r{cast.region.pk}_plan": "44000", f"r{cast.regions.wenshui.pk}_plan": "15000.5",
                                f"r{cast.regions.wenshui.pk}_fai": "90000"})  # fmt: skip

    response = client_for(cast.users.city_coordinator).post(f"{EDIT}?year={THIS_YEAR}", data)

    assert response.status_code == 302
    with scopes_disabled():
        rows = set(RegionTarget.objects.filter(year=THIS_YEAR).values_list("region__name", "fai_target", "plan_target"))
    assert rows == {
        ("吕梁市", D("500000"), D("60000")),  # its own total, set by the province, untouched
        ("交城县", None, D("44000")),  # the blank FAI share cleared
        ("文水县", D("90000"), D("15000.50")),
    }


def test_handing_out_more_than_the_total_is_refused_and_nothing_is_saved(figures, client_for):
    cast = figures
    data = _split_data(cast, **{f"r{cast.region.pk}_plan": "50000", f"r{cast.regions.wenshui.pk}_plan": "10000.01"})
    with scopes_disabled():
        before = list(RegionTarget.objects.order_by("pk").values_list("fai_target", "plan_target"))

    response = client_for(cast.users.city_coordinator).post(f"{EDIT}?year={THIS_YEAR}", data)

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "下级区划重点项目投资计划分解合计 60,000.01 万元，超过目标总额 60,000.00 万元。"
    ]
    assert 'data-testid="r-plan-remainder">-0.01' in response.content.decode()
    with scopes_disabled():
        assert list(RegionTarget.objects.order_by("pk").values_list("fai_target", "plan_target")) == before


@pytest.mark.parametrize(
    ("value", "message"), [("-1", "金额不能为负数。"), ("12,000", "请输入数字（万元）。"), ("1.234", "最多两位小数。")]
)
def test_a_bad_share_is_a_field_error(figures, client_for, value, message):
    cast = figures
    name = f"r{cast.regions.wenshui.pk}_plan"

    response = client_for(cast.users.city_coordinator).post(EDIT, _split_data(cast, **{name: value}))

    assert response.status_code == 400
    assert response.context["form"].errors[name] == [message]
    assert f'data-field-error="{name}"' in response.content.decode()


def test_the_top_region_enters_its_own_total_and_a_county_cannot(cast, client_for):
    province = client_for(cast.users.province_coordinator)
    children = {f"r{r.pk}_{f}": "" for r in (cast.regions.lvliang, cast.regions.taiyuan) for f in ("fai", "plan")}

    response = province.post(EDIT, {"total_fai": "3000000", "total_plan": "900000", **children})

    assert response.status_code == 302
    with scopes_disabled():
        assert RegionTarget.objects.get(region=cast.regions.shanxi).plan_target == D("900000")
    county = client_for(cast.users.coordinator).get(EDIT)
    assert "total_plan" not in county.context["form"].fields


def test_a_county_splits_among_its_departments_within_the_total_from_the_city(figures, client_for):
    cast = figures
    client = client_for(cast.users.coordinator)
    d = cast.departments
    data = {f"d{d.drc.pk}_plan": "30000", f"d{d.land.pk}_plan": "10000.01", f"d{d.housing.pk}_fai": "5",
            "total_plan": "99999999"}  # fmt: skip

    refused = client.post(EDIT, data)
    data[f"d{d.land.pk}_plan"] = "10000"
    accepted = client.post(EDIT, data)

    assert refused.status_code == 400
    assert refused.context["form"].non_field_errors() == [
        "部门重点项目投资计划分解合计 40,000.01 万元，超过目标总额 40,000.00 万元。"
    ]
    assert accepted.status_code == 302
    with scopes_disabled():
        assert set(DepartmentTarget.objects.values_list("department__name", "fai_target", "plan_target")) == {
            ("交城县发展和改革局", None, D("30000")),
            ("交城县自然资源局", None, D("10000")),
            ("交城县住房和城乡建设局", D("5"), None),
        }
        assert RegionTarget.objects.get(region=cast.region).plan_target == D("40000")  # the city's figure stands


def test_a_split_records_who_changed_it(figures, client_for):
    cast = figures
    client_for(cast.users.city_coordinator).post(EDIT, _split_data(cast, **{f"r{cast.region.pk}_plan": "41000"}))

    with scopes_disabled():
        record = RegionTarget.history.filter(region=cast.region).latest("history_date")
    assert (record.plan_target, record.history_user) == (D("41000"), cast.users.city_coordinator)


# ---- FAI figures ----

FAI = reverse("rankings:fai")


def test_the_office_enters_a_month_of_fai_and_a_blank_removes_one(cast, client_for):
    client = client_for(cast.users.city_coordinator)
    month = f"{TODAY.year}-{TODAY.month:02d}"
    lv, jc, ws = cast.regions.lvliang, cast.region, cast.regions.wenshui

    client.post(f"{FAI}?month={month}", {f"r{lv.pk}": "120000", f"r{jc.pk}": "50000.5", f"r{ws.pk}": ""})
    response = client.post(f"{FAI}?month={month}", {f"r{lv.pk}": "121000", f"r{jc.pk}": "", f"r{ws.pk}": ""})

    assert response.status_code == 302
    with scopes_disabled():
        rows = list(FaiActual.objects.values_list("region__name", "year", "month", "amount", "entered_by"))
    assert rows == [("吕梁市", TODAY.year, TODAY.month, D("121000"), cast.users.city_coordinator.pk)]


def test_a_negative_fai_figure_is_a_field_error(cast, client_for):
    response = client_for(cast.users.coordinator).post(FAI, {f"r{cast.region.pk}": "-3"})

    assert response.status_code == 400
    assert response.context["form"].errors[f"r{cast.region.pk}"] == ["金额不能为负数。"]
    with scopes_disabled():
        assert not FaiActual.objects.exists()


def test_a_future_month_in_the_query_falls_back_to_this_month(cast, client_for):
    response = client_for(cast.users.coordinator).get(FAI, {"month": f"{TODAY.year + 1}-01"})

    assert (response.context["year"], response.context["month"]) == (TODAY.year, TODAY.month)


def test_period_labels():
    assert RankingPeriod(2025, "month", 6).label() == "2025年6月"
    assert RankingPeriod(2025, "quarter", 2).label() == "2025年第2季度"
    assert RankingPeriod(2025, "quarter", 2).months == [4, 5, 6]
    with pytest.raises(ValueError):
        RankingPeriod(2025, "quarter", 5)
