"""标准地 control figures: the per-mu floors a development zone holds its projects to.

A zone (``org.models.Region`` of kind ZONE) sets how much investment, output at full production and tax
each 亩 of its land must carry (万元/亩). The per-mu figures of the zone's projects are compared with them
in ``dashboards.zones``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords

from org.models import Region

INTENSITY = {
    "max_digits": 10,
    "decimal_places": 2,
    "null": True,
    "blank": True,
    "validators": [MinValueValidator(Decimal("0"))],
}
# (field, label) of the three per-mu figures, in the order the pages show them.
FIGURES = [
    ("investment_intensity", _("投资强度")),
    ("output_intensity", _("亩均产出")),
    ("tax_intensity", _("亩均税收")),
]


class StandardLandQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.region_id is None:
            return self if user.is_superuser else self.none()
        return self.filter(zone__path__startswith=user.region.path)


class StandardLand(models.Model):
    """A zone's 标准地 control figures (控制指标), 万元 per 亩; a figure left empty is not held against."""

    zone = models.OneToOneField(
        Region,
        verbose_name=_("开发区"),
        on_delete=models.CASCADE,
        related_name="standard_land",
        limit_choices_to={"kind": Region.Kind.ZONE},
    )
    investment_intensity = models.DecimalField(_("投资强度（万元/亩）"), **INTENSITY)
    output_intensity = models.DecimalField(_("亩均产出（万元/亩）"), **INTENSITY)
    tax_intensity = models.DecimalField(_("亩均税收（万元/亩）"), **INTENSITY)
    basis = models.CharField(_("依据文件"), max_length=200, blank=True, help_text=_("如：关于印发标准地控制指标的通知"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("更新人"), null=True, blank=True, on_delete=models.SET_NULL
    )

    objects = ScopedManager(
        region="zone__path__startswith", _manager_class=models.Manager.from_queryset(StandardLandQuerySet)
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("标准地控制指标")
        verbose_name_plural = _("标准地控制指标")
        ordering = ["zone__path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(investment_intensity__gte=0) | Q(investment_intensity__isnull=True),
                name="standardland_investment_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(output_intensity__gte=0) | Q(output_intensity__isnull=True),
                name="standardland_output_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(tax_intensity__gte=0) | Q(tax_intensity__isnull=True),
                name="standardland_tax_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return str(self.zone)

    def clean(self):
        if self.zone_id and not self.zone.is_zone:
            raise ValidationError({"zone": _("标准地控制指标只能设置在开发区上。")})
        if all(getattr(self, name) is None for name, _label in FIGURES):
            raise ValidationError(_("请至少填写一项控制指标。"))
