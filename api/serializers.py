"""What the API answers (read serializers) and what it takes (input serializers built from the screens' forms).

Money is in 万元 as decimal strings ("120000.00"); dates are ISO dates, times ISO with their offset. Related rows
appear as small objects ({"id", "name"}) where a reader needs the name, as ids where a writer sends them back.
"""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.forms import ItemForm
from approvals.models import ApprovalItem
from attraction.models import Agreement, Lead
from batches.models import BatchEntry, BatchEvent, BatchKind
from bulletins.documents import FIELDS as BULLETIN_FILES
from bulletins.models import Bulletin
from org.models import Department, Region
from problems.forms import ActionForm, ProblemForm
from problems.models import Problem, ProblemEvent
from projects.forms import ProjectForm, StageActionForm
from projects.models import STAGE_ORDER, AnnualPlan, ChainTag, Milestone, Project
from rankings.models import Kind, RankingEntry, RankingSnapshot, RegionTarget
from reports.forms import CorrectionForm, ReportForm, ReturnForm
from reports.models import Correction, MonthlyReport

from .validation import form_serializer

MONEY = {"max_digits": 16, "decimal_places": 2}

# ---- small related objects ----


class RegionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name"]


class DepartmentBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name"]


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__", help_text=_("姓名（未填时为用户名）"))


class ChainTagSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChainTag
        fields = ["id", "name"]


class ProjectBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "name", "national_code"]


# ---- regions and departments ----


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "kind", "parent", "depth", "longitude", "latitude"]


class DepartmentSerializer(serializers.ModelSerializer):
    region = RegionBriefSerializer()

    class Meta:
        model = Department
        fields = ["id", "name", "short_name", "region"]


# ---- projects ----


class AnnualPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnnualPlan
        fields = ["year", "amount"]


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "name", "sort_order", "duration_days", "planned_on", "actual_on"]


LEDGER_FIELDS = [
    "id", "name", "national_code", "owner_name", "credit_code", "level", "category", "nature", "stage", "region",
    "zone", "department", "leader", "chain_tags", "total_investment", "annual_plan", "planned_start_on", "started_on",
    "planned_completion_on", "completed_on", "archived_at", "updated_at",
]  # fmt: skip


class ProjectListSerializer(serializers.ModelSerializer):
    """A ledger row."""

    region = RegionBriefSerializer()
    zone = RegionBriefSerializer(allow_null=True)
    department = DepartmentBriefSerializer(allow_null=True)
    leader = PersonSerializer(allow_null=True)
    chain_tags = ChainTagSerializer(many=True)
    annual_plan = serializers.DecimalField(
        **MONEY, allow_null=True, read_only=True, help_text=_("所选年度（?year=，默认今年）的年度计划投资（万元）")
    )

    class Meta:
        model = Project
        fields = LEDGER_FIELDS
        read_only_fields = LEDGER_FIELDS


class ProjectSerializer(ProjectListSerializer):
    """A project with everything its page shows."""

    annual_plans = AnnualPlanSerializer(many=True)
    milestones = MilestoneSerializer(many=True)

    class Meta:
        model = Project
        fields = [
            *LEDGER_FIELDS[:-2], "address", "longitude", "latitude", "fund_government", "fund_enterprise",
            "fund_bank_loans", "fund_special_bonds", "fund_other", "opening_completed", "land_area", "expected_output",
            "expected_tax", "task_force", "reporters", "contact_name", "contact_phone", "description",
            "planned_reserve_on", "reserve_on", "planned_sign_on", "signed_on", "planned_preparing_on", "preparing_on",
            "planned_production_on", "production_on", "stopped_on", "stop_reason", "suspension_reason_code",
            "expected_resume_on", "suspension_confirmed_on", "plan_approved_at", "annual_plans", "milestones",
            "archived_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


def _validate_annual_plans(self, plans: list[dict]) -> list[dict]:
    years = [plan["year"] for plan in plans]
    if len(set(years)) != len(years):
        raise serializers.ValidationError(_("同一年度只能填报一条年度计划，请合并重复的年度。"))
    return plans


ProjectInputSerializer = form_serializer(
    ProjectForm,
    "ProjectInputSerializer",
    extra={
        "annual_plans": AnnualPlanSerializer(
            many=True, required=False, max_length=30, help_text=_("年度计划：给出时整体替换项目的年度计划")
        ),
        "validate_annual_plans": _validate_annual_plans,
    },
)

StageActionSerializer = form_serializer(
    StageActionForm,
    "StageActionSerializer",
    extra={
        "to": serializers.ChoiceField(
            choices=[(stage.value, stage.label) for stage in STAGE_ORDER], required=False, allow_blank=True,
            help_text=_("目标阶段（推进、阶段更正）"),
        ),
    },
)  # fmt: skip

# ---- monthly reports ----


class CorrectionSerializer(serializers.ModelSerializer):
    by = PersonSerializer(allow_null=True)

    class Meta:
        model = Correction
        fields = ["id", "old_completed", "new_completed", "reason", "is_restatement", "by", "at"]


REPORT_FIELDS = [
    "id", "project", "year", "month", "completed", "ytd_completed", "since_start_completed", "progress",
    "problems_text", "over_total_confirmed", "is_outlier", "status", "return_reason", "submitted_at", "submitted_by",
    "approved_at", "approved_by", "closes_on", "period_closed", "created_at", "updated_at",
]  # fmt: skip


class MonthlyReportSerializer(serializers.ModelSerializer):
    project = ProjectBriefSerializer()
    ytd_completed = serializers.DecimalField(
        **MONEY, read_only=True, help_text=_("本年已审核月份累计完成投资（万元，截至本月）")
    )
    since_start_completed = serializers.DecimalField(
        **MONEY, read_only=True, help_text=_("开工以来累计完成投资（万元，含纳入平台前，已审核月份截至本月）")
    )
    submitted_by = PersonSerializer(allow_null=True)
    approved_by = PersonSerializer(allow_null=True)
    closes_on = serializers.DateField(source="period.closes_on", help_text=_("本期截止日期"))
    period_closed = serializers.BooleanField(source="period.is_closed", help_text=_("本期是否已关账"))

    class Meta:
        model = MonthlyReport
        fields = REPORT_FIELDS
        read_only_fields = REPORT_FIELDS


class MonthlyReportDetailSerializer(MonthlyReportSerializer):
    corrections = CorrectionSerializer(many=True)

    class Meta(MonthlyReportSerializer.Meta):
        fields = [*REPORT_FIELDS, "corrections"]
        read_only_fields = fields


_SUBMIT = serializers.BooleanField(default=False, help_text=_("保存后立即提交审核"))
ReportChangeSerializer = form_serializer(
    ReportForm, "MonthlyReportChangeSerializer", exclude=["photos"], extra={"submit": _SUBMIT}
)
ReportInputSerializer = form_serializer(
    ReportForm,
    "MonthlyReportInputSerializer",
    exclude=["photos"],
    extra={
        "project": serializers.IntegerField(help_text=_("项目 ID")),
        "year": serializers.IntegerField(help_text=_("年度")),
        "month": serializers.IntegerField(help_text=_("月份")),
        "submit": _SUBMIT,
    },
)
ReturnSerializer = form_serializer(ReturnForm, "ReportReturnSerializer")
CorrectionInputSerializer = form_serializer(CorrectionForm, "ReportCorrectionSerializer")

# ---- problems ----


class ProblemSerializer(serializers.ModelSerializer):
    project = ProjectBriefSerializer()
    department = DepartmentBriefSerializer()
    leader = PersonSerializer(allow_null=True)
    raised_by = PersonSerializer(allow_null=True)
    days_overdue = serializers.SerializerMethodField(help_text=_("逾期天数（已销号为 0）"))
    actions = serializers.SerializerMethodField(help_text=_("当前用户现在可以执行的操作"))

    class Meta:
        model = Problem
        fields = [
            "id", "project", "category", "description", "department", "leader", "deadline", "status", "level",
            "days_overdue", "raised_by", "resolution", "created_at", "closed_at", "closed_on_time", "actions",
        ]  # fmt: skip
        read_only_fields = fields

    def get_days_overdue(self, problem: Problem) -> int:
        return problem.days_overdue()

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(Problem.TRANSITIONS))))
    def get_actions(self, problem: Problem) -> list[str]:
        return problem.actions_for(self.context["request"].user)


class ProblemEventSerializer(serializers.ModelSerializer):
    by = PersonSerializer(allow_null=True)
    attachment = serializers.SerializerMethodField(help_text=_("附件下载地址（经权限检查）"))

    class Meta:
        model = ProblemEvent
        fields = ["id", "action", "from_status", "to_status", "note", "by", "at", "attachment"]

    def get_attachment(self, event: ProblemEvent) -> str | None:
        if not event.attachment:
            return None
        return self.context["request"].build_absolute_uri(reverse("problems:attachment", args=[event.pk]))


class ProblemDetailSerializer(ProblemSerializer):
    events = ProblemEventSerializer(many=True)

    class Meta(ProblemSerializer.Meta):
        fields = [*ProblemSerializer.Meta.fields, "events"]
        read_only_fields = fields


ProblemInputSerializer = form_serializer(
    ProblemForm,
    "ProblemInputSerializer",
    extra={
        "project": serializers.IntegerField(help_text=_("项目 ID")),
        "department": serializers.IntegerField(required=False, help_text=_("责任单位：不填时为项目的责任单位")),
        "leader": serializers.IntegerField(
            required=False, allow_null=True, help_text=_("责任领导：不填时为项目的包联领导")
        ),
    },
)
ProblemActionSerializer = form_serializer(ActionForm, "ProblemActionSerializer")

# ---- approval items ----


class ClockSerializer(serializers.Serializer):
    """A pending item's clock against its promised limit, in working days."""

    due_on = serializers.DateField(help_text=_("承诺办结期限"))
    covered = serializers.BooleanField(help_text=_("期间各年节假日安排均已公布（否则按周一至周五计算）"))
    days_left = serializers.IntegerField(help_text=_("剩余工作日（逾期为负数）"))
    overdue = serializers.BooleanField()


class ApprovalItemSerializer(serializers.ModelSerializer):
    project = ProjectBriefSerializer()
    department = DepartmentBriefSerializer(allow_null=True)
    clock = serializers.SerializerMethodField(help_text=_("办理中事项的承诺时限进度；未申报或已办结时为空"))

    class Meta:
        model = ApprovalItem
        fields = [
            "id", "project", "kind", "name", "department", "status", "applied_on", "approved_on", "document_no",
            "statutory_days", "promised_days", "handling_days", "sort_order", "clock",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ClockSerializer(allow_null=True))
    def get_clock(self, item: ApprovalItem) -> dict | None:
        urgency = item.urgency(self.context.get("today") or _today())
        if urgency is None:
            return None
        due = urgency.due
        left = urgency.days_left
        return {"due_on": due.date, "covered": due.covered, "days_left": left, "overdue": urgency.is_overdue}


def _today() -> datetime.date:
    return timezone.localdate()


ApprovalItemChangeSerializer = form_serializer(ItemForm, "ApprovalItemChangeSerializer")


# ---- investment attraction (read-only) ----


class EnterpriseBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LeadSerializer(serializers.ModelSerializer):
    region = RegionBriefSerializer()
    enterprise = EnterpriseBriefSerializer()
    chain_tags = ChainTagSerializer(many=True)
    promoter = PersonSerializer(allow_null=True)
    department = DepartmentBriefSerializer(allow_null=True)
    leader = PersonSerializer(allow_null=True)
    project = ProjectBriefSerializer(allow_null=True, help_text=_("落地后的重点项目"))

    class Meta:
        model = Lead
        fields = [
            "id", "name", "stage", "region", "enterprise", "intended_investment", "category", "chain_tags", "source",
            "description", "promoter", "department", "leader", "found_on", "negotiating_on", "landed_on", "dropped_on",
            "drop_reason", "project", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class AgreementSerializer(serializers.ModelSerializer):
    region = RegionBriefSerializer()
    enterprise = EnterpriseBriefSerializer(source="lead.enterprise")
    project = ProjectBriefSerializer(source="lead.project", allow_null=True, help_text=_("落地后的重点项目"))
    arrived = serializers.DecimalField(**MONEY, read_only=True, help_text=_("已到位资金（万元）"))
    past_agreed_start = serializers.SerializerMethodField(help_text=_("签而未开：约定开工日期已过仍未开工"))

    class Meta:
        model = Agreement
        fields = [
            "id", "name", "lead", "enterprise", "region", "contracted_investment", "arrived", "signed_on",
            "agreed_start_on", "past_agreed_start", "obligations", "project", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_past_agreed_start(self, agreement: Agreement) -> bool:
        return agreement.is_past_agreed_start(self.context.get("today") or _today())


# ---- targets and rankings (read-only) ----


class GapRowSerializer(serializers.Serializer):
    """A subject's targets beside what was done (rankings.targets.GapRow), 万元 and percent."""

    subject_name = serializers.CharField(help_text=_("区划或部门名称"))
    region = serializers.IntegerField(source="region_id", allow_null=True, help_text=_("区划 ID（部门行为空）"))
    department = serializers.IntegerField(source="department_id", allow_null=True, help_text=_("部门 ID"))
    fai_target = serializers.DecimalField(**MONEY, allow_null=True, help_text=_("固定资产投资目标（万元）"))
    fai_actual = serializers.DecimalField(
        **MONEY, allow_null=True, help_text=_("固定资产投资完成（万元，1 至统计月累计）")
    )
    fai_month = serializers.IntegerField(allow_null=True, help_text=_("固定资产投资统计截至月份"))
    fai_rate = serializers.DecimalField(**MONEY, allow_null=True, help_text=_("固定资产投资完成率（%）"))
    fai_gap = serializers.DecimalField(**MONEY, allow_null=True, help_text=_("固定资产投资差距（万元）"))
    plan_target = serializers.DecimalField(**MONEY, allow_null=True, help_text=_("重点项目投资计划（万元）"))
    annual_plan = serializers.DecimalField(**MONEY, help_text=_("项目年度计划合计（万元）"))
    completed = serializers.DecimalField(**MONEY, help_text=_("重点项目已审核完成投资（万元）"))
    rate = serializers.DecimalField(**MONEY, allow_null=True, help_text=_("完成率（%）"))
    gap = serializers.DecimalField(**MONEY, allow_null=True, help_text=_("差距（万元，负数为超额）"))
    plan_shortfall = serializers.DecimalField(
        **MONEY, allow_null=True, help_text=_("项目计划缺口（万元）：投资计划减项目年度计划合计")
    )


class RegionTargetSerializer(serializers.ModelSerializer):
    region = RegionBriefSerializer()

    class Meta:
        model = RegionTarget
        fields = ["id", "region", "year", "fai_target", "plan_target", "updated_at"]
        read_only_fields = fields


class RegionTargetDetailSerializer(RegionTargetSerializer):
    """The region's targets with the gap table of its screen: the region itself, its subregions, its departments."""

    gap = GapRowSerializer(help_text=_("本级：本区划目标对比其全部下辖项目"))
    regions = GapRowSerializer(many=True, help_text=_("下级区划的目标分解与差距"))
    departments = GapRowSerializer(many=True, help_text=_("部门的目标分解与差距（有目标、计划或完成投资的部门）"))

    class Meta(RegionTargetSerializer.Meta):
        fields = [*RegionTargetSerializer.Meta.fields, "gap", "regions", "departments"]
        read_only_fields = fields


RATES = serializers.DictField(
    child=serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True),
    help_text=_("指标键 -> 数值"),
)


class RankingEntrySerializer(serializers.ModelSerializer):
    indicators = serializers.SerializerMethodField(help_text=_("各项指标值（%），无可计算内容时为空"))
    points = serializers.SerializerMethodField(help_text=_("各项指标标准化得分"))

    class Meta:
        model = RankingEntry
        fields = [
            "id", "position", "rank", "previous_rank", "rank_change", "region", "department", "subject_name", "score",
            "indicators", "points",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(RATES)
    def get_indicators(self, entry: RankingEntry) -> dict:
        return {key: None if value is None else f"{value:.2f}" for key, value in entry.indicators.items()}

    @extend_schema_field(RATES)
    def get_points(self, entry: RankingEntry) -> dict:
        return {key: None if value is None else f"{value:.2f}" for key, value in entry.point_values.items()}


SNAPSHOT_FIELDS = [
    "id", "region", "kind", "dimension", "year", "period", "label", "version", "as_of", "weights", "normalisation",
    "previous", "computed_at", "computed_by", "published_at", "published_by",
]  # fmt: skip


@extend_schema_field({"type": "string", "description": "month（月度）或 quarter（季度）"})
class PeriodKindField(serializers.ChoiceField):
    """No enum in the schema: one named "kind" would collide with the regions' (and the two snapshot components
    share it, so the generator could not name it after either)."""


class RankingSnapshotSerializer(serializers.ModelSerializer):
    region = RegionBriefSerializer()
    kind = PeriodKindField(choices=Kind.choices)
    label = serializers.CharField(help_text=_("期间，如“2026年3月”"))
    weights = serializers.SerializerMethodField(help_text=_("计算时的指标权重"))
    computed_by = PersonSerializer(allow_null=True)
    published_by = PersonSerializer(allow_null=True)

    class Meta:
        model = RankingSnapshot
        fields = SNAPSHOT_FIELDS
        read_only_fields = fields

    @extend_schema_field(RATES)
    def get_weights(self, snapshot: RankingSnapshot) -> dict:
        return {key: f"{value:.2f}" for key, value in snapshot.weight_values.items()}


class RankingSnapshotDetailSerializer(RankingSnapshotSerializer):
    entries = RankingEntrySerializer(many=True, help_text=_("按名次排列的排名条目"))

    class Meta(RankingSnapshotSerializer.Meta):
        fields = [*SNAPSHOT_FIELDS, "entries"]
        read_only_fields = fields


# ---- the three batches and the stalled lists (read-only) ----


class BatchEntrySerializer(serializers.ModelSerializer):
    ledger_changed = serializers.BooleanField(help_text=_("台账数据在列入后有变化"))

    class Meta:
        model = BatchEntry
        fields = [
            "id", "project", "name", "national_code", "owner_name", "category", "location", "total_investment",
            "stage_on", "added_at", "ledger_changed",
        ]  # fmt: skip
        read_only_fields = fields


class BatchSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BatchKind.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()
    total_investment = serializers.DecimalField(**MONEY, help_text=_("总投资合计（万元）"))
    entries = BatchEntrySerializer(many=True)


EVENT_FIELDS = ["id", "name", "region", "held_on", "window_start", "window_end", "created_at", "frozen_at"]


class BatchEventSerializer(serializers.ModelSerializer):
    region = RegionBriefSerializer()

    class Meta:
        model = BatchEvent
        fields = EVENT_FIELDS
        read_only_fields = fields


class BatchEventDetailSerializer(BatchEventSerializer):
    batches = serializers.SerializerMethodField(help_text=_("签约、开工、投产三批：个数、总投资和项目"))

    class Meta(BatchEventSerializer.Meta):
        fields = [*EVENT_FIELDS, "batches"]
        read_only_fields = fields

    @extend_schema_field(BatchSerializer(many=True))
    def get_batches(self, event: BatchEvent) -> list[dict]:
        entries = {kind: [] for kind in BatchKind.values}
        for entry in event.api_entries:
            entries[entry.kind].append(entry)
        batches = [
            {"kind": t.kind, "label": t.label, "count": t.count, "total_investment": t.total_investment,
             "entries": entries[t.kind]}
            for t in event.totals()
        ]  # fmt: skip
        return BatchSerializer(batches, many=True, context=self.context).data


class AgreementBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class StalledRowSerializer(serializers.Serializer):
    """A line of a stalled list: the project (or, for the agreements list, the agreement) and how late it is."""

    list = serializers.CharField(source="key", help_text=_("清单"))
    project = ProjectBriefSerializer(allow_null=True)
    agreement = AgreementBriefSerializer(allow_null=True)
    region = RegionBriefSerializer()
    investment = serializers.DecimalField(**MONEY, help_text=_("总投资或协议投资（万元）"))
    planned_on = serializers.DateField(help_text=_("已过的计划（约定）日期"))
    days_overdue = serializers.IntegerField(help_text=_("逾期天数"))


class StalledCountSerializer(serializers.Serializer):
    list = serializers.CharField(help_text=_("清单，用作 ?list="))
    label = serializers.CharField()
    title = serializers.CharField()
    count = serializers.IntegerField()


# ---- bulletins (read-only) ----


class DownloadsSerializer(serializers.Serializer):
    docx = serializers.URLField(allow_null=True, help_text=_("Word 文档"))
    pdf = serializers.URLField(allow_null=True, help_text=_("PDF 文档"))
    xlsx = serializers.URLField(allow_null=True, help_text=_("Excel 附件"))


class BulletinSerializer(serializers.ModelSerializer):
    region = RegionBriefSerializer()
    title = serializers.CharField(allow_null=True, help_text=_("通报标题（生成完成前为空）"))
    downloads = serializers.SerializerMethodField(help_text=_("文件下载地址（经权限检查）；未生成的为空"))
    generated_by = PersonSerializer(allow_null=True)
    issued_by = PersonSerializer(allow_null=True)

    class Meta:
        model = Bulletin
        fields = [
            "id", "region", "year", "month", "status", "title", "number_year", "number", "generated_at",
            "generated_by", "issued_at", "issued_by", "job", "failure", "downloads",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(DownloadsSerializer)
    def get_downloads(self, bulletin: Bulletin) -> dict:
        request = self.context["request"]
        return {
            fmt: request.build_absolute_uri(reverse("bulletins:download", args=[bulletin.pk, fmt]))
            if getattr(bulletin, field)
            else None
            for fmt, field in BULLETIN_FILES.items()
        }
