"""Investment attraction (招商引资): industry chains, target enterprises, leads, agreements, signing targets.

An investment is followed from a target enterprise (``TargetEnterprise``, the 目标企业库) through a lead
(``Lead``: lead → negotiating → signed → landed, or dropped with a reason) to a signed ``Agreement``
(contracted investment, agreed start date, funds arriving over time as ``FundArrival`` rows) and, once
landed, to a ``projects.Project`` on the ledger, linked both ways (``lead.project`` and
``project.attraction_lead``). A lead's stage moves only through its methods (``negotiate``, ``sign``,
``land``, ``drop``, ``reopen``); each demands its facts and leaves a ``LeadMove``.

Industry chains are the region's ``projects.ChainTag`` rows; ``ChainLink`` splits a chain into upstream,
midstream and downstream links, and the enterprises tagged with a link show who is present locally
(``TargetEnterprise.is_local``) and which links are gaps to fill.

Who may do what, in one place: ``may_read`` / ``may_edit`` (the role), and each queryset's
``visible_to(user)`` (the region subtree). Promoters, coordinators and admins edit; leaders read. Nobody
else gets anything here: target enterprises and negotiations are commercially sensitive, and reporters (the
project owners' staff), department handlers and enterprises have no part in them.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from lib.codes import validate_credit_code
from org.models import Department, Region, Role, ancestor_codes
from projects.models import MONEY, Category, ChainTag, Project, Stage, StageChange

EDIT_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.PROMOTER})
READ_ROLES = EDIT_ROLES | {Role.LEADER}
POSITIVE_MONEY = {**MONEY, "validators": [MinValueValidator(Decimal("0.01"))]}


def today() -> datetime.date:
    return timezone.localdate()


def may_read(user) -> bool:
    """The attraction screens at all: promoters, the key-project office, admins, leaders."""
    return user.is_authenticated and (user.is_superuser or user.role in READ_ROLES)


def may_edit(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in EDIT_ROLES)


def in_subtree(user, region: Region) -> bool:
    if user.region_id is None:
        return user.is_superuser
    return region.path.startswith(user.region.path)


class RegionOwnedQuerySet(models.QuerySet):
    """Rows owned by a region: a reader sees its region subtree; anyone else nothing."""

    region_path = "region__path"

    def visible_to(self, user):
        if not may_read(user):
            return self.none()
        if user.region_id is None:
            return self
        return self.filter(**{f"{self.region_path}__startswith": user.region.path})

    def editable_by(self, user):
        return self.visible_to(user) if may_edit(user) else self.none()


# ---- industry chains ----


class Position(models.TextChoices):
    UPSTREAM = "upstream", _("上游")
    MIDSTREAM = "midstream", _("中游")
    DOWNSTREAM = "downstream", _("下游")


class ChainLinkQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Links of the chains the user sees: ``ChainTag.objects.visible_to`` (its region, above and below)."""
        if not may_read(user):
            return self.none()
        if user.region_id is None:
            return self
        region = user.region
        return self.filter(
            Q(chain__region__code__in=ancestor_codes(region)) | Q(chain__region__path__startswith=region.path)
        )


class ChainLink(models.Model):
    """A link of an industry chain (产业链环节), upstream, midstream or downstream.

    Not region-scoped, like ``ChainTag`` itself: a county reads the chains its city and province set too.
    """

    Position = Position

    chain = models.ForeignKey(ChainTag, verbose_name=_("产业链"), on_delete=models.CASCADE, related_name="links")
    position = models.CharField(_("环节位置"), max_length=12, choices=Position.choices)
    name = models.CharField(_("环节名称"), max_length=64)
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    gap_note = models.CharField(_("招商方向"), max_length=200, blank=True, help_text=_("缺什么样的企业、补链强链方向"))

    objects = ChainLinkQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("产业链环节")
        verbose_name_plural = _("产业链环节")
        ordering = ["chain_id", "sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["chain", "name"], name="chainlink_unique_name_in_chain")]

    def __str__(self) -> str:
        return f"{self.chain.name}·{self.name}"

    @staticmethod
    def may_edit_chain(user, chain: ChainTag) -> bool:
        """A chain's links are set by the editors of the chain's own region or above it."""
        return may_edit(user) and in_subtree(user, chain.region)


# ---- the target enterprise library ----


class Size(models.TextChoices):
    LARGE = "large", _("大型")
    MEDIUM = "medium", _("中型")
    SMALL = "small", _("小型")
    MICRO = "micro", _("微型")


class ContactStatus(models.TextChoices):
    NOT_CONTACTED = "not_contacted", _("未接触")
    CONTACTED = "contacted", _("已接触")
    INTERESTED = "interested", _("有投资意向")
    NEGOTIATING = "negotiating", _("洽谈中")
    SIGNED = "signed", _("已签约")
    LANDED = "landed", _("已落地")
    DECLINED = "declined", _("暂无意向")


class TargetEnterpriseQuerySet(RegionOwnedQuerySet):
    pass


class TargetEnterprise(models.Model):
    """An enterprise in a region's target library (目标企业库), or one already present locally."""

    Size = Size
    ContactStatus = ContactStatus

    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="target_enterprises"
    )
    name = models.CharField(_("企业名称"), max_length=128)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, validators=[validate_credit_code])
    headquarters = models.CharField(_("总部所在地"), max_length=64, blank=True)
    size = models.CharField(_("企业规模"), max_length=8, choices=Size.choices, blank=True)
    is_leading = models.BooleanField(_("龙头企业"), default=False)
    is_specialised = models.BooleanField(_("专精特新"), default=False)
    is_listed = models.BooleanField(_("上市企业"), default=False)
    is_local = models.BooleanField(
        _("本地已落户"), default=False, help_text=_("已在本地投资落户的企业，产业链图谱中计为本地企业")
    )
    chain_links = models.ManyToManyField(
        ChainLink, verbose_name=_("产业链环节"), blank=True, related_name="enterprises"
    )
    contact_status = models.CharField(
        _("对接状态"), max_length=16, choices=ContactStatus.choices, default=ContactStatus.NOT_CONTACTED
    )
    promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("招商专员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attraction_enterprises",
        limit_choices_to={"role": Role.PROMOTER},
    )
    contact_name = models.CharField(_("联系人"), max_length=32, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager(
        region="region__path__startswith", _manager_class=models.Manager.from_queryset(TargetEnterpriseQuerySet)
    )
    history = HistoricalRecords(m2m_fields=[chain_links])

    class Meta:
        verbose_name = _("目标企业")
        verbose_name_plural = _("目标企业")
        ordering = ["region__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="targetenterprise_unique_name_in_region"),
            models.UniqueConstraint(
                fields=["region", "credit_code"],
                condition=~Q(credit_code=""),
                name="targetenterprise_unique_code_in_region",
            ),
        ]
        indexes = [
            # A promoter's own enterprises (the promoter page, the "mine" filter).
            models.Index(fields=["promoter", "contact_status"], name="targetenterprise_promoter"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("attraction:enterprise_detail", kwargs={"pk": self.pk})

    @property
    def tag_labels(self) -> list[str]:
        flags = [(self.is_leading, _("龙头企业")), (self.is_specialised, _("专精特新")), (self.is_listed, _("上市"))]
        return [str(label) for flag, label in flags if flag]


# ---- leads and their moves ----


class LeadStage(models.TextChoices):
    LEAD = "lead", _("线索")
    NEGOTIATING = "negotiating", _("洽谈")
    SIGNED = "signed", _("签约")
    LANDED = "landed", _("落地")
    DROPPED = "dropped", _("已放弃")


class Source(models.TextChoices):
    BUSINESS = "business", _("以商招商")
    RESIDENT = "resident", _("驻点招商")
    EXPO = "expo", _("展会招商")
    AGENCY = "agency", _("委托招商")
    CHAIN = "chain", _("产业链招商")
    VISIT = "visit", _("上门拜访")
    OTHER = "other", _("其他")


# The board's columns, in order; dropped leads are listed under it.
BOARD_STAGES = [LeadStage.LEAD, LeadStage.NEGOTIATING, LeadStage.SIGNED, LeadStage.LANDED]
OPEN_STAGES = [LeadStage.LEAD, LeadStage.NEGOTIATING, LeadStage.SIGNED]
# Target stage -> the stages a lead may move to it from; one step at a time, dropped from any open stage.
MOVES = {
    LeadStage.NEGOTIATING: [LeadStage.LEAD],
    LeadStage.SIGNED: [LeadStage.NEGOTIATING],
    LeadStage.LANDED: [LeadStage.SIGNED],
    LeadStage.DROPPED: OPEN_STAGES,
}
# The enterprise's contact status a lead's move implies.
CONTACT_AFTER = {
    LeadStage.NEGOTIATING: ContactStatus.NEGOTIATING,
    LeadStage.SIGNED: ContactStatus.SIGNED,
    LeadStage.LANDED: ContactStatus.LANDED,
}


class LeadQuerySet(RegionOwnedQuerySet):
    def open(self):
        return self.filter(stage__in=OPEN_STAGES)


class Lead(models.Model):
    """线索: an investment an enterprise may make in the region, followed to a signed agreement and a project."""

    Stage = LeadStage
    Source = Source

    region = models.ForeignKey(Region, verbose_name=_("拟落地区划"), on_delete=models.PROTECT, related_name="leads")
    enterprise = models.ForeignKey(
        TargetEnterprise, verbose_name=_("投资企业"), on_delete=models.PROTECT, related_name="leads"
    )
    name = models.CharField(_("项目名称"), max_length=128)
    stage = models.CharField(_("阶段"), max_length=12, choices=LeadStage.choices, default=LeadStage.LEAD)
    intended_investment = models.DecimalField(_("意向投资（万元）"), **POSITIVE_MONEY)
    category = models.CharField(_("项目类别"), max_length=16, choices=Category.choices, default=Category.INDUSTRY)
    chain_tags = models.ManyToManyField(ChainTag, verbose_name=_("产业链"), blank=True, related_name="leads")
    source = models.CharField(_("线索来源"), max_length=12, choices=Source.choices, blank=True)
    description = models.TextField(_("项目内容"), blank=True)
    promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("招商专员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attraction_leads",
        limit_choices_to={"role": Role.PROMOTER},
    )
    department = models.ForeignKey(
        Department, verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("包联领导"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attraction_led_leads",
        limit_choices_to={"role": Role.LEADER},
    )
    found_on = models.DateField(_("获取线索日期"), default=today)
    negotiating_on = models.DateField(_("开始洽谈日期"), null=True, blank=True, editable=False)
    landed_on = models.DateField(_("落地日期"), null=True, blank=True, editable=False)
    dropped_on = models.DateField(_("放弃日期"), null=True, blank=True, editable=False)
    drop_reason = models.TextField(_("放弃原因"), blank=True, editable=False)
    stage_before_drop = models.CharField(max_length=12, choices=LeadStage.choices, blank=True, editable=False)
    project = models.OneToOneField(
        Project,
        verbose_name=_("落地项目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attraction_lead",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager(
        region="region__path__startswith", _manager_class=models.Manager.from_queryset(LeadQuerySet)
    )
    history = HistoricalRecords(m2m_fields=[chain_tags])

    class Meta:
        verbose_name = _("招商线索")
        verbose_name_plural = _("招商线索")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            # The board: a subtree's leads by stage.
            models.Index(fields=["stage", "region"], name="lead_stage_region"),
            # A promoter's own page and the board's "mine" filter.
            models.Index(fields=["promoter", "stage"], name="lead_promoter_stage"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(stage="landed") | Q(project__isnull=False, landed_on__isnull=False),
                name="lead_landed_has_project",
            ),
            models.CheckConstraint(
                condition=~Q(stage="dropped") | (Q(dropped_on__isnull=False) & ~Q(drop_reason="")),
                name="lead_dropped_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The agreement keeps the lead's region (the figures by region read it from there).
        Agreement._base_manager.filter(lead=self).exclude(region=self.region_id).update(region=self.region_id)

    def get_absolute_url(self) -> str:
        return reverse("attraction:lead_detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    def may_move_to(self, to: str) -> bool:
        return self.stage in MOVES.get(to, [])

    def next_stage(self) -> str | None:
        return next((to for to, sources in MOVES.items() if to != LeadStage.DROPPED and self.stage in sources), None)

    def agreement_or_none(self) -> "Agreement | None":
        try:
            return self.agreement
        except Agreement.DoesNotExist:
            return None

    # ---- the moves ----

    def _check_move(self, to: str) -> None:
        if self.stage == to:
            raise ValidationError(_("线索已处于“%(stage)s”阶段。") % {"stage": self.get_stage_display()})
        if not self.may_move_to(to):
            raise ValidationError(
                _("“%(from)s”阶段的线索不能直接转为“%(to)s”：线索须依次经过洽谈、签约、落地。")
                % {"from": self.get_stage_display(), "to": LeadStage(to).label}
            )

    @staticmethod
    def _check_date(on: datetime.date | None, field: str = "on", *, not_before=None, before_label="") -> None:
        if on is None:
            raise ValidationError({field: _("请填写日期。")})
        if on > today():
            raise ValidationError({field: _("日期不能晚于今天。")})
        if not_before and on < not_before:
            raise ValidationError(
                {field: _("不能早于%(what)s（%(date)s）。") % {"what": before_label, "date": not_before}}
            )

    def _advance(self, to: str, on: datetime.date, by, note: str = "") -> "LeadMove":
        old, self.stage = self.stage, to
        self._history_user = by
        self.save()
        if to in CONTACT_AFTER:
            update = {"contact_status": CONTACT_AFTER[to]}
            if to == LeadStage.LANDED:
                update["is_local"] = True
            TargetEnterprise._base_manager.filter(pk=self.enterprise_id).update(**update, updated_at=timezone.now())
        return LeadMove.objects.create(lead=self, from_stage=old, to_stage=to, on=on, note=note, by=by)

    @transaction.atomic
    def negotiate(self, on: datetime.date | None, by, note: str = "") -> "LeadMove":
        """洽谈: talks with the enterprise began on ``on``."""
        self._check_move(LeadStage.NEGOTIATING)
        self._check_date(on, not_before=self.found_on, before_label=gettext("获取线索日期"))
        self.negotiating_on = on
        return self._advance(LeadStage.NEGOTIATING, on, by, note)

    @transaction.atomic
    def sign(
        self,
        *,
        signed_on: datetime.date | None,
        contracted_investment: Decimal | None,
        agreed_start_on: datetime.date | None,
        by,
        obligations: str = "",
        name: str = "",
    ) -> "Agreement":
        """签约: the agreement with its contracted investment and agreed start date."""
        self._check_move(LeadStage.SIGNED)
        agreement = Agreement(
            lead=self,
            region=self.region,
            name=(name or self.name).strip(),
            contracted_investment=contracted_investment,
            signed_on=signed_on,
            agreed_start_on=agreed_start_on,
            obligations=(obligations or "").strip(),
        )
        agreement.full_clean(exclude=["lead"])
        if self.negotiating_on and signed_on < self.negotiating_on:
            raise ValidationError(
                {"signed_on": _("签约日期不能早于开始洽谈日期（%(date)s）。") % {"date": self.negotiating_on}}
            )
        agreement._history_user = by
        agreement.save()
        self._advance(LeadStage.SIGNED, signed_on, by)
        return agreement

    @transaction.atomic
    def land(self, on: datetime.date | None, by, project: Project | None = None) -> Project:
        """落地: the ledger project, made from the lead and its agreement (or ``project``, an existing one)."""
        self._check_move(LeadStage.LANDED)
        agreement = self.agreement
        self._check_date(on, not_before=agreement.signed_on, before_label=gettext("签约日期"))
        if project is None:
            project = self._make_project(agreement, by)
        elif not self._may_link(project):
            raise ValidationError(_("所选项目不在线索所在区划，或已关联其他线索。"))
        self.project, self.landed_on = project, on
        self._advance(LeadStage.LANDED, on, by)
        return project

    def _may_link(self, project: Project) -> bool:
        """An existing project may stand for the lead: in the lead's region (its zone) and no other lead's."""
        linked = Lead._base_manager.filter(project=project).exclude(pk=self.pk).exists()
        if self.region.is_zone:
            return project.zone_id == self.region_id and not linked
        return project.region.path.startswith(self.region.path) and not linked

    def _make_project(self, agreement: "Agreement", by) -> Project:
        enterprise = self.enterprise
        region, zone = (self.region.parent, self.region) if self.region.is_zone else (self.region, None)
        project = Project(
            name=self.name,
            owner_name=enterprise.name,
            credit_code=enterprise.credit_code,
            region=region,
            zone=zone,
            category=self.category,
            total_investment=agreement.contracted_investment,
            leader=self.leader,
            department=self.department,
            planned_start_on=agreement.agreed_start_on,
            contact_name=enterprise.contact_name,
            contact_phone=enterprise.contact_phone,
            description=self.description,
        )
        try:
            project.full_clean()
        except ValidationError as error:
            raise ValidationError(_project_errors(error)) from None
        project._history_user = by
        project.save()
        project.chain_tags.set(self.chain_tags.all())
        note = gettext("招商落地：%(lead)s") % {"lead": self.name}
        StageChange.objects.create(project=project, from_stage="", to_stage=project.stage, on=today(), by=by, note=note)
        try:
            project.advance(Stage.SIGNED, on=agreement.signed_on, by=by, note=gettext("签约（招商引资协议）"))
        except ValidationError as error:
            raise ValidationError(_project_errors(error)) from None
        return project

    @transaction.atomic
    def drop(self, on: datetime.date | None, reason: str, by) -> "LeadMove":
        """放弃: the enterprise withdrew or the talks failed; a signed agreement stays on record (and counts as not
        honoured)."""
        self._check_move(LeadStage.DROPPED)
        if not (reason or "").strip():
            raise ValidationError({"reason": _("请填写放弃原因。")})
        self._check_date(on, not_before=self.found_on, before_label=gettext("获取线索日期"))
        self.stage_before_drop, self.dropped_on, self.drop_reason = self.stage, on, reason.strip()
        return self._advance(LeadStage.DROPPED, on, by, reason.strip())

    @transaction.atomic
    def reopen(self, by, note: str = "") -> "LeadMove":
        """Take a dropped lead up again at the stage it was dropped from."""
        if self.stage != LeadStage.DROPPED:
            raise ValidationError(_("只有已放弃的线索可以恢复跟进。"))
        back = self.stage_before_drop or LeadStage.LEAD
        self.stage_before_drop, self.dropped_on, self.drop_reason = "", None, ""
        return self._advance(back, today(), by, note)


def _project_errors(error: ValidationError) -> dict:
    """The ledger's objections to the project a landing would make, named for the landing form.

    The owner and its credit code come from the enterprise, which the landing form lets the user complete;
    anything else is the lead's own data and goes on top of the form, labelled with the project's field.
    """
    if not hasattr(error, "error_dict"):
        return {"__all__": error.messages}
    errors: dict[str, list[str]] = {}
    for field, messages in ValidationError(error.error_dict).message_dict.items():
        if field in ("credit_code", "owner_name"):
            errors.setdefault("credit_code", []).extend(messages)
            continue
        label = _field_label(field)
        errors.setdefault("__all__", []).extend(f"{label}：{m}" if label else m for m in messages)
    return errors


def _field_label(field: str) -> str:
    try:
        return str(Project._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:  # "__all__"
        return ""


class LeadMove(models.Model):
    """One move of a lead's stage: the timeline on the lead's page."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="moves")
    from_stage = models.CharField(_("原阶段"), max_length=12, choices=LeadStage.choices, blank=True)
    to_stage = models.CharField(_("新阶段"), max_length=12, choices=LeadStage.choices)
    on = models.DateField(_("日期"))
    note = models.TextField(_("说明"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("操作时间"), auto_now_add=True)

    objects = ScopedManager(region="lead__region__path__startswith")

    class Meta:
        verbose_name = _("线索阶段变更")
        verbose_name_plural = _("线索阶段变更")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_from_stage_display()} → {self.get_to_stage_display()}"


class VisitKind(models.TextChoices):
    VISIT = "visit", _("上门拜访")
    MEETING = "meeting", _("洽谈会谈")
    INSPECTION = "inspection", _("企业来访考察")
    CALL = "call", _("电话/视频沟通")
    EXPO = "expo", _("展会推介")


class Visit(models.Model):
    """A visit, meeting or call on a lead (走访洽谈记录)."""

    Kind = VisitKind

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="visits")
    kind = models.CharField(_("方式"), max_length=12, choices=VisitKind.choices, default=VisitKind.VISIT)
    on = models.DateField(_("日期"))
    participants = models.CharField(_("参加人员"), max_length=200, blank=True)
    summary = models.TextField(_("洽谈内容"))
    next_step = models.CharField(_("下一步工作"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = ScopedManager(region="lead__region__path__startswith")

    class Meta:
        verbose_name = _("走访洽谈记录")
        verbose_name_plural = _("走访洽谈记录")
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.on} {self.get_kind_display()}"

    def clean(self):
        if self.on and self.on > today():
            raise ValidationError({"on": _("日期不能晚于今天。")})


# ---- agreements and the money that arrives ----


class AgreementQuerySet(RegionOwnedQuerySet):
    def live(self):
        """Agreements whose lead was not dropped."""
        return self.exclude(lead__stage=LeadStage.DROPPED)

    def past_agreed_start(self, today: datetime.date):
        """签而未开: the agreed start date has passed (before ``today``) and no project started; dropped leads and
        terminated projects excluded."""
        not_started = Q(lead__project__isnull=True) | Q(lead__project__started_on__isnull=True)
        return self.live().filter(not_started, agreed_start_on__lt=today).exclude(lead__project__stage=Stage.TERMINATED)

    def signed_between(self, start: datetime.date, end: datetime.date):
        return self.filter(signed_on__gte=start, signed_on__lte=end)


class Agreement(models.Model):
    """A signed investment agreement (签约协议): what was promised, by when the works start, what money arrived."""

    lead = models.OneToOneField(Lead, verbose_name=_("线索"), on_delete=models.CASCADE, related_name="agreement")
    # The lead's region, kept here so the figures by region read one table (set on signing, and when the lead moves).
    region = models.ForeignKey(Region, verbose_name=_("落地区划"), on_delete=models.PROTECT, related_name="agreements")
    name = models.CharField(_("签约项目名称"), max_length=128)
    contracted_investment = models.DecimalField(_("合同投资（万元）"), **POSITIVE_MONEY)
    signed_on = models.DateField(_("签约日期"))
    agreed_start_on = models.DateField(_("约定开工日期"))
    obligations = models.TextField(_("约定事项"), blank=True, help_text=_("双方义务：投资强度、用地、配套、优惠政策等"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager(
        region="region__path__startswith", _manager_class=models.Manager.from_queryset(AgreementQuerySet)
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("签约协议")
        verbose_name_plural = _("签约协议")
        ordering = ["-signed_on", "-pk"]
        indexes = [
            # Signed investment by region over a date window (rankings, targets).
            models.Index(fields=["signed_on", "region"], name="agreement_signed_region"),
            # The stalled list: agreed start passed.
            models.Index(fields=["agreed_start_on"], name="agreement_agreed_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(agreed_start_on__gte=F("signed_on")), name="agreement_start_not_before_signing"
            ),
            models.CheckConstraint(condition=Q(contracted_investment__gt=0), name="agreement_investment_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("attraction:agreement_detail", kwargs={"pk": self.pk})

    def clean(self):
        errors = {}
        if self.signed_on and self.signed_on > today():
            errors["signed_on"] = _("签约日期不能晚于今天。")
        if self.signed_on and self.agreed_start_on and self.agreed_start_on < self.signed_on:
            errors["agreed_start_on"] = _("约定开工日期不能早于签约日期。")
        if errors:
            raise ValidationError(errors)

    @property
    def enterprise(self) -> TargetEnterprise:
        return self.lead.enterprise

    @property
    def project(self) -> Project | None:
        return self.lead.project

    @property
    def promoter(self):
        return self.lead.promoter

    def is_past_agreed_start(self, on: datetime.date | None = None) -> bool:
        project = self.lead.project
        started = project is not None and project.started_on is not None
        return self.lead.stage != LeadStage.DROPPED and not started and self.agreed_start_on < (on or today())

    def arrived(self) -> Decimal:
        return self.funds.aggregate(s=models.Sum("amount", default=Decimal("0")))["s"]


class FundArrival(models.Model):
    """Money of an agreement that actually arrived (资金到位), as it arrives."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="funds")
    arrived_on = models.DateField(_("到位日期"))
    amount = models.DecimalField(_("到位资金（万元）"), **POSITIVE_MONEY)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager(region="agreement__region__path__startswith")

    class Meta:
        verbose_name = _("到位资金")
        verbose_name_plural = _("到位资金")
        ordering = ["arrived_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="fundarrival_amount_positive")]

    def __str__(self) -> str:
        return f"{self.arrived_on} {self.amount}"

    def clean(self):
        errors = {}
        if self.arrived_on and self.arrived_on > today():
            errors["arrived_on"] = _("到位日期不能晚于今天。")
        elif self.arrived_on and self.agreement_id and self.arrived_on < self.agreement.signed_on:
            errors["arrived_on"] = _("到位日期不能早于签约日期（%(date)s）。") % {"date": self.agreement.signed_on}
        if errors:
            raise ValidationError(errors)


# ---- signing targets ----


class SigningTarget(models.Model):
    """A region's signed-investment target for a year (签约目标, 万元), set by the region above or the region itself."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="signing_targets")
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    amount = models.DecimalField(_("签约目标（万元）"), **MONEY)

    objects = ScopedManager(
        region="region__path__startswith", _manager_class=models.Manager.from_queryset(RegionOwnedQuerySet)
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("签约目标")
        verbose_name_plural = _("签约目标")
        ordering = ["year", "region__path"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="signingtarget_one_per_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="signingtarget_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}: {self.amount}"
