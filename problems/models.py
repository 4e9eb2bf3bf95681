"""Problems handled against deadlines: register → in progress → resolution proposed → struck off (挂号销号).

Every move is a method on ``Problem`` that checks who may make it and leaves a
``ProblemEvent`` (the timeline). Overdue problems escalate (督办): department →
responsible leader → county leaders, by days overdue set in ``EscalationRules``.
Enterprise users reach the platform through ``EnterpriseRequest`` (企业诉求直通车).
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from org.models import Department, Region, Role
from projects.models import Project


def today() -> datetime.date:
    return timezone.localdate()


class Category(models.TextChoices):
    LAND = "land", _("用地")
    FUNDING = "funding", _("资金")
    APPROVALS = "approvals", _("审批")
    DEMOLITION = "demolition", _("征拆")
    ENERGY = "energy", _("能耗")
    ENVIRONMENT = "environment", _("环境")
    UTILITIES = "utilities", _("水电气")
    OTHER = "other", _("其他")


class Status(models.TextChoices):
    REGISTERED = "registered", _("已挂号")
    IN_PROGRESS = "in_progress", _("办理中")
    PROPOSED = "proposed", _("申请销号")
    STRUCK_OFF = "struck_off", _("已销号")
    RETURNED = "returned", _("已退回")


class Level(models.IntegerChoices):
    """督办 level: who answers for an overdue problem."""

    DEPARTMENT = 0, _("部门督办")
    LEADER = 1, _("包联领导督办")
    COUNTY = 2, _("县领导挂牌督办")


OPEN_STATUSES = [Status.REGISTERED, Status.IN_PROGRESS, Status.PROPOSED, Status.RETURNED]

# Timeline attachments: extension -> the bytes such a file starts with (DOCX and XLSX are ZIP packages).
ATTACHMENT_SIGNATURES = {
    "pdf": b"%PDF-",
    "jpg": b"\xff\xd8\xff",
    "jpeg": b"\xff\xd8\xff",
    "png": b"\x89PNG\r\n\x1a\n",
    "docx": b"PK\x03\x04",
    "xlsx": b"PK\x03\x04",
}
ATTACHMENT_MAX_MB = 10


def validate_attachment(upload) -> None:
    """PDF, JPG, PNG, DOCX or XLSX, at most 10 MB, and its first bytes what its extension claims."""
    if upload.size > ATTACHMENT_MAX_MB * 1024 * 1024:
        raise ValidationError(_("附件不能超过 %(mb)s MB。") % {"mb": ATTACHMENT_MAX_MB})
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in ATTACHMENT_SIGNATURES:
        raise ValidationError(_("附件只支持 PDF、JPG、PNG、DOCX 或 XLSX 格式。"))
    signature = ATTACHMENT_SIGNATURES[extension]
    upload.seek(0)
    head = upload.read(len(signature))
    upload.seek(0)
    if head != signature:
        raise ValidationError(_("附件内容与其扩展名（%(ext)s）不符。") % {"ext": extension})


def in_subtree(user, region: Region) -> bool:
    """The region lies in the user's region subtree (a platform superuser without a region sees all)."""
    if user.region_id is None:
        return user.is_superuser
    return region.path.startswith(user.region.path)


class EscalationRules(models.Model):
    """Days past the deadline at which a problem rises a level; regions below inherit the nearest."""

    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="escalation_rules")
    to_leader_days = models.PositiveSmallIntegerField(_("逾期几天升至包联领导督办"), default=1)
    to_county_days = models.PositiveSmallIntegerField(_("逾期几天升至县领导挂牌督办"), default=15)

    objects = ScopedManager(region="region__path__startswith")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("督办规则")
        verbose_name_plural = _("督办规则")

    def __str__(self) -> str:
        return str(self.region)

    def level_for(self, days_overdue: int) -> int:
        if days_overdue >= self.to_county_days:
            return Level.COUNTY
        if days_overdue >= self.to_leader_days:
            return Level.LEADER
        return Level.DEPARTMENT


class ProblemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Region subtree; a department handler sees its department's problems. Enterprises see none: they
        follow their own requests, which show status and resolution, never the internal file."""
        if user.role == Role.ENTERPRISE:
            return self.none()
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        # The copied path, not ``project_visibility``: no join to projects and regions for the count and the
        # page of a province's 100,000 problems (benchmarks/problems.py).
        visible = self.filter(region_path__startswith=user.region.path)
        if user.role == "handler":
            visible = visible.filter(department_id=user.department_id)
        return visible

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, on: datetime.date | None = None):
        return self.open().filter(deadline__lt=on or today())


class Problem(models.Model):
    Category = Category
    Status = Status
    Level = Level

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="problems")
    category = models.CharField(_("问题类别"), max_length=16, choices=Category.choices)
    description = models.TextField(_("问题描述"))
    department = models.ForeignKey(
        Department, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="problems"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任领导"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="led_problems", limit_choices_to={"role": "leader"},
    )
    deadline = models.DateField(_("限时办结日期"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.REGISTERED)
    level = models.PositiveSmallIntegerField(_("督办级别"), choices=Level.choices, default=Level.DEPARTMENT)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提出人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_report = models.ForeignKey(
        "reports.MonthlyReport", verbose_name=_("来源月报"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="raised_problems",
    )
    resolution = models.TextField(_("办理结果"), blank=True)
    created_at = models.DateTimeField(_("挂号时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_on_time = models.BooleanField(_("按期办结"), null=True, blank=True)
    # The project's region path, copied on save and when the project moves (``sync_region_path``).
    region_path = models.CharField(max_length=255, editable=False)

    objects = ScopedManager(
        region="region_path__startswith", _manager_class=models.Manager.from_queryset(ProblemQuerySet)
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        ordering = ["deadline", "pk"]
        indexes = [
            # Department inbox: its open problems by deadline.
            models.Index(fields=["department", "status", "deadline"], name="problem_inbox"),
            # Overdue scan for escalation and colours: open problems by deadline.
            models.Index(fields=["status", "deadline"], name="problem_status_deadline"),
            # A project's problems (project page, colour input).
            models.Index(fields=["project", "status"], name="problem_project_status"),
            # The problem list's default order, and the overdue filter's count without touching the rows.
            models.Index(fields=["deadline", "id"], name="problem_deadline"),
            models.Index(fields=["status", "deadline", "region_path"], name="problem_open_in_region"),
        ]

    def __str__(self) -> str:
        return f"{self.project}：{self.get_category_display()}"

    def save(self, *args, **kwargs):
        if not self.region_path:
            self.region_path = Project._base_manager.select_related("region").get(pk=self.project_id).region.path
        super().save(*args, **kwargs)

    @staticmethod
    def sync_region_path(project: Project) -> int:
        """Re-copy a project's region path onto its problems (after the project moved region)."""
        path = project.region.path
        return Problem._base_manager.filter(project=project).exclude(region_path=path).update(region_path=path)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def days_overdue(self, on: datetime.date | None = None) -> int:
        on = on or today()
        return max((on - self.deadline).days, 0) if self.is_open else 0

    # The state machine: (action, allowed from, to). Who may act is checked in ``may``.
    TRANSITIONS = {
        "accept": ([Status.REGISTERED, Status.RETURNED], Status.IN_PROGRESS),
        "propose": ([Status.REGISTERED, Status.IN_PROGRESS, Status.RETURNED], Status.PROPOSED),
        "strike_off": ([Status.PROPOSED], Status.STRUCK_OFF),
        "return": ([Status.PROPOSED], Status.RETURNED),
    }

    def allowed_actions(self) -> list[str]:
        return [action for action, (sources, _to) in self.TRANSITIONS.items() if self.status in sources]

    # ---- who may do what: the one place ----

    @staticmethod
    def may_raise(user, project: Project) -> bool:
        """Register a problem on a project: the key-project office, leaders, and the project's reporters.

        Enterprises raise theirs through ``EnterpriseRequest``. ``project.region`` should be loaded.
        """
        if not in_subtree(user, project.region):
            return False
        if user.can_edit_projects or user.role == Role.LEADER:
            return True
        return user.role == Role.REPORTER and Project.objects.reported_by(user).filter(pk=project.pk).exists()

    def may_read(self, user) -> bool:
        """Instance twin of ``ProblemQuerySet.visible_to``: a handler reads its department's, an enterprise its own."""
        if not in_subtree(user, self.project.region):
            return False
        if user.role == Role.HANDLER:
            return user.department_id == self.department_id
        return user.role != Role.ENTERPRISE

    def may(self, user, action: str) -> bool:
        """Make a move: the department's handlers work the problem, the key-project office also confirms or returns."""
        if action not in self.TRANSITIONS or user is None or not in_subtree(user, self.project.region):
            return False
        if user.can_edit_projects:
            return True
        is_own_handler = user.role == Role.HANDLER and user.department_id == self.department_id
        return is_own_handler and action in ("accept", "propose")

    def may_act(self, user) -> bool:
        """Any move at all, in any state (the detail page's forms, 403 on a POST by anyone else)."""
        return any(self.may(user, action) for action in self.TRANSITIONS)

    def actions_for(self, user) -> list[str]:
        """The moves this user may make now."""
        return [action for action in self.allowed_actions() if self.may(user, action)]

    # ---- the moves ----

    def clean(self):
        if self.deadline and self._state.adding and self.deadline < today():
            raise ValidationError({"deadline": _("限时办结日期不能早于今天。")})

    @classmethod
    @transaction.atomic
    def register(cls, *, project: Project, by, note: str = "", **fields) -> "Problem":
        """挂号: raise a problem on a project and open its timeline (fields: category, description, department,
        leader, deadline, source_report)."""
        if not cls.may_raise(by, project):
            raise PermissionDenied
        problem = cls(project=project, raised_by=by, **fields)
        problem.clean()
        problem._history_user = by
        problem.save()
        problem.record("register", by, note)
        problem._recolour()
        return problem

    @transaction.atomic
    def act(self, action: str, by, note: str = "", attachment=None) -> "ProblemEvent":
        """Make one move of the state machine and record it on the timeline."""
        if not self.may(by, action):
            raise PermissionDenied
        if action not in self.allowed_actions():
            raise ValidationError(_("当前状态（%(status)s）下不能执行此操作。") % {"status": self.get_status_display()})
        if action in ("propose", "return") and not (note or "").strip():
            raise ValidationError({"note": _("请填写办理情况或退回原因。")})
        if attachment:
            try:
                validate_attachment(attachment)
            except ValidationError as error:
                raise ValidationError({"attachment": error.messages}) from None
        old, self.status = self.status, self.TRANSITIONS[action][1]
        if action == "propose":
            self.resolution = note.strip()
        if action == "strike_off":
            self.closed_at = timezone.now()
            self.closed_on_time = timezone.localdate(self.closed_at) <= self.deadline
        self._history_user = by
        self.save()
        self._recolour()
        if action == "strike_off":
            self._tell_the_enterprise()
        return self.record(action, by, note, old, attachment)

    def _tell_the_enterprise(self) -> None:
        """A problem that came from an enterprise's request: the enterprise learns it was resolved."""
        request = EnterpriseRequest._base_manager.filter(problem=self).select_related("submitted_by").first()
        if request:
            from lib.notify import notify

            text = _("您提出的诉求“%(subject)s”已办结销号：%(resolution)s") % {
                "subject": request.subject, "resolution": self.resolution or "—",
            }
            url = reverse("problems:request_detail", args=[request.pk])
            notify([request.submitted_by], text, url, kind="request_resolved")

    def strike_off(self, by, note: str = "", attachment=None) -> "ProblemEvent":
        return self.act("strike_off", by, note, attachment)

    def _recolour(self) -> None:
        # An open overdue problem turns its project yellow or red: recolour the running month once committed.
        from reports.colours import current_month, recompute_after_commit

        recompute_after_commit([self.project_id], *current_month())

    def record(self, action: str, by, note: str = "", old: str = "", attachment=None) -> "ProblemEvent":
        return ProblemEvent.objects.create(
            problem=self, action=action, from_status=old, to_status=self.status, by=by, note=note or "",
            attachment=attachment,
        )


def attachment_path(instance, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"problems/{instance.problem_id}/{timezone.now():%Y%m%d%H%M%S%f}.{extension}"


class ProblemEvent(models.Model):
    """One entry of a problem's timeline: actor, time, note, optional attachment."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=16)
    from_status = models.CharField(_("原状态"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Status.choices, blank=True)
    note = models.TextField(_("说明"), blank=True)
    attachment = models.FileField(_("附件"), upload_to=attachment_path, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    objects = ScopedManager(region="problem__region_path__startswith")

    class Meta:
        verbose_name = _("问题办理记录")
        verbose_name_plural = _("问题办理记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.action}"


class EnterpriseRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An enterprise user sees only its own requests; government users those of their region subtree."""
        if user.role == "enterprise":
            return self.filter(submitted_by=user)
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        return self.filter(region__path__startswith=user.region.path)


class EnterpriseRequest(models.Model):
    """企业诉求直通车: an enterprise's request, answered or turned into a problem by a coordinator."""

    class State(models.TextChoices):
        OPEN = "open", _("待处理")
        ANSWERED = "answered", _("已答复")
        CONVERTED = "converted", _("已转为问题")

    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(
        Project, verbose_name=_("涉及项目"), null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="requests"
    )
    category = models.CharField(_("诉求类别"), max_length=16, choices=Category.choices)
    subject = models.CharField(_("标题"), max_length=100)
    text = models.TextField(_("诉求内容"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    reply = models.TextField(_("答复"), blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("答复人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    problem = models.OneToOneField(
        Problem, verbose_name=_("转办问题"), null=True, blank=True, on_delete=models.SET_NULL, related_name="request"
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    objects = ScopedManager(
        region="region__path__startswith", _manager_class=models.Manager.from_queryset(EnterpriseRequestQuerySet)
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("企业诉求")
        verbose_name_plural = _("企业诉求")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject

    def clean(self):
        if self.project_id and self.submitted_by_id and self.project.credit_code != self.submitted_by.credit_code:
            raise ValidationError({"project": _("只能就本企业的项目提交诉求。")})
