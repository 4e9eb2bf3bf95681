"""Regions, departments and users: who belongs where.

A region's ``path`` is the chain of codes from the root ("/140000/141100/141122/"),
so "this region and everything below it" is one ``path__startswith`` filter that an
index on ``path`` serves.
"""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from lib.codes import validate_credit_code


class RegionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The user's own region and everything below it."""
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        return self.filter(path__startswith=user.region.path)

    def subtree(self, region):
        return self.filter(path__startswith=region.path)


class Region(models.Model):
    class Kind(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("市")
        COUNTY = "county", _("县（区）")
        ZONE = "zone", _("开发区")

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("层级"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Subtree queries: path__startswith on every scoped list.
    path = models.CharField(max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)

    objects = ScopedManager(region="path__startswith", _manager_class=models.Manager.from_queryset(RegionQuerySet))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = self.compute_path()
        self.depth = self.path.count("/") - 2
        super().save(*args, **kwargs)

    def clean(self):
        if self.kind == self.Kind.ZONE and (
            self.parent is None or self.parent.kind not in (self.Kind.CITY, self.Kind.COUNTY)
        ):
            raise ValidationError({"parent": _("开发区必须隶属于一个市或县（区）。")})

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.code}/"

    def contains(self, other: "Region") -> bool:
        return other.path.startswith(self.path)

    @property
    def is_zone(self) -> bool:
        return self.kind == self.Kind.ZONE


class DepartmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        return self.filter(region__path__startswith=user.region.path)


DepartmentManager = models.Manager.from_queryset(DepartmentQuerySet)


class Department(models.Model):
    """A functional department (责任单位) of one region's government."""

    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="departments")
    name = models.CharField(_("名称"), max_length=64)
    short_name = models.CharField(_("简称"), max_length=32, blank=True)

    objects = ScopedManager(region="region__path__startswith", _manager_class=DepartmentManager)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["region__path", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="department_unique_name_in_region")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("系统管理员")
    COORDINATOR = "coordinator", _("重点办")
    REPORTER = "reporter", _("填报员")
    HANDLER = "handler", _("部门经办")
    LEADER = "leader", _("领导")
    PROMOTER = "promoter", _("招商专员")
    ENTERPRISE = "enterprise", _("企业")


class UserQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.is_superuser and user.region_id is None:
            return self
        if user.region_id is None:
            return self.none()
        return self.filter(region__path__startswith=user.region.path)

    def leaders(self):
        return self.filter(role=Role.LEADER, is_active=True)

    def around(self, region):
        """Users of the region's ancestors and of its subtree (e.g. leaders a project may name)."""
        codes = ancestor_codes(region)
        return self.filter(models.Q(region__code__in=codes) | models.Q(region__path__startswith=region.path))


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person using the platform, bound to one region.

    Not scoped by django-scopes: authentication must find users before any scope
    exists. Lists of users go through ``User.objects.visible_to(user)``.
    """

    full_name = models.CharField(_("姓名"), max_length=32, blank=True)
    title = models.CharField(_("职务"), max_length=64, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.REPORTER)
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("所属部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    enterprise_name = models.CharField(_("企业名称"), max_length=128, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, validators=[validate_credit_code])

    objects = UserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(region__isnull=False) | models.Q(is_superuser=True),
                name="user_region_required_unless_superuser",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="handler") | models.Q(department__isnull=False),
                name="user_handler_has_department",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="enterprise") | ~models.Q(credit_code=""),
                name="user_enterprise_has_credit_code",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def clean(self):
        super().clean()
        if self.region_id is None and not self.is_superuser:
            raise ValidationError({"region": _("请选择所属区划。")})
        if self.role == Role.HANDLER and self.department_id is None:
            raise ValidationError({"department": _("部门经办人员必须选择所属部门。")})
        if self.role == Role.ENTERPRISE and not self.credit_code:
            raise ValidationError({"credit_code": _("企业用户必须填写统一社会信用代码。")})
        if self.department_id and self.region_id and self.department.region_id != self.region_id:
            raise ValidationError({"department": _("部门必须属于用户所在的区划。")})

    @property
    def can_edit_projects(self) -> bool:
        return self.is_superuser or self.role in (Role.ADMIN, Role.COORDINATOR)

    @property
    def is_enterprise(self) -> bool:
        return self.role == Role.ENTERPRISE


def ancestor_codes(region: Region) -> list[str]:
    """Codes of the region and all regions above it, from its path."""
    return region.path.strip("/").split("/")


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app message to one user (reminders, returned reports, escalations)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(_("内容"), max_length=500)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    kind = models.CharField(_("类别"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-pk"]
        # A user's unread messages, newest first (the badge in the navigation bar).
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.text
