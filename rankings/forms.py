from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.forms import BootstrapForm, BootstrapMixin
from lib.money import format_wan

from .models import (
    INDICATOR_HELP,
    INDICATORS,
    WEIGHT_FIELDS,
    Dimension,
    Kind,
    RankingPeriod,
    RankingScheme,
    weight_field,
)
from .targets import Split

MAX_WAN = Decimal("999999999999.99")


def _money_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_WAN,
        error_messages={
            "invalid": _("请输入数字（万元）。"),
            "min_value": _("金额不能为负数。"),
            "max_value": _("金额过大。"),
            "max_decimal_places": _("最多两位小数。"),
            "max_digits": _("金额过大。"),
            "max_whole_digits": _("金额过大。"),
        },
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "class": "form-control form-control-sm text-end"}),
    )


class SchemeForm(BootstrapMixin, forms.ModelForm):
    """The weights (each 0–100, together 100) and the normalisation of a region's ranking scheme."""

    class Meta:
        model = RankingScheme
        fields = [*WEIGHT_FIELDS, "normalisation"]
        widgets = {"normalisation": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in INDICATORS:
            field = self.fields[weight_field(key)]
            field.help_text = INDICATOR_HELP[key]
            field.error_messages.update(
                {
                    "required": _("请填写权重（不计入可填 0）。"),
                    "invalid": _("权重须为数字。"),
                    "min_value": _("权重不能为负数。"),
                    "max_value": _("权重不能超过 100。"),
                    "max_decimal_places": _("权重最多两位小数。"),
                    "max_digits": _("权重不能超过 100。"),
                    "max_whole_digits": _("权重不能超过 100。"),
                }
            )
            field.widget.attrs.update({"step": "0.01", "min": "0", "max": "100"})
        self.fields["normalisation"].widget.attrs["class"] = "form-check-input"

    def weight_rows(self):
        return [(key, label, self[weight_field(key)]) for key, label in INDICATORS.items()]

    def weight_errors(self) -> list[str]:
        """The weights' messages once each (a wrong total is reported on every weight)."""
        seen = []
        for name in WEIGHT_FIELDS:
            for message in self.errors.get(name, []):
                if message not in seen:
                    seen.append(message)
        return seen


class SplitForm(BootstrapForm):
    """A region's split of its targets: its own total (if it enters it) and a row per subregion and department.

    Field names: ``total_fai`` / ``total_plan``; ``r<region pk>_fai`` …; ``d<department pk>_plan`` ….
    A decomposition may leave a remainder but may not hand out more than the total.
    """

    FIGURES = (("fai", _("固定资产投资目标")), ("plan", _("重点项目投资计划")))

    def __init__(self, *args, children, departments, total: tuple | None, total_editable: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.children, self.departments = children, departments
        self.total_editable, self.stored_total = total_editable, total
        if total_editable:
            for figure, label in self.FIGURES:
                self.fields[f"total_{figure}"] = _money_field(label)
        for prefix, items in (("r", children), ("d", departments)):
            for item in items:
                for figure, label in self.FIGURES:
                    self.fields[f"{prefix}{item.pk}_{figure}"] = _money_field(f"{item.name} {label}")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-sm text-end"

    # ---- the table's rows, for the template ----

    def region_rows(self):
        return [(child, self[f"r{child.pk}_fai"], self[f"r{child.pk}_plan"]) for child in self.children]

    def department_rows(self):
        return [(d, self[f"d{d.pk}_fai"], self[f"d{d.pk}_plan"]) for d in self.departments]

    def summary(self) -> dict:
        """Per table and figure: the total, what the rows hand out, the unallocated remainder (as shown)."""
        lines = {}
        for prefix, items in (("r", self.children), ("d", self.departments)):
            for figure, _label in self.FIGURES:
                total = self._shown(f"total_{figure}") if self.total_editable else self.total_value(figure, {})
                given = sum(
                    (self._shown(f"{prefix}{item.pk}_{figure}") or Decimal("0") for item in items), Decimal("0")
                )
                remainder = None if total is None else total - given
                lines[f"{prefix}_{figure}"] = {"total": total, "given": given, "remainder": remainder}
        return lines

    def _shown(self, name: str) -> Decimal | None:
        """A field's value as the page shows it (typed input, or the stored initial); junk counts as blank."""
        value = self[name].value()
        try:
            return Decimal(str(value)) if value not in (None, "") else None
        except ArithmeticError:
            return None

    # ---- checks ----

    def total_value(self, figure: str, cleaned: dict) -> Decimal | None:
        if self.total_editable:
            return cleaned.get(f"total_{figure}")
        return self.stored_total[0 if figure == "fai" else 1] if self.stored_total else None

    def clean(self):
        cleaned = super().clean()
        for prefix, items, what in (("r", self.children, _("下级区划")), ("d", self.departments, _("部门"))):
            for figure, label in self.FIGURES:
                self._check_sum(cleaned, prefix, items, figure, label, what)
        return cleaned

    def _check_sum(self, cleaned, prefix, items, figure, label, what) -> None:
        names = [f"{prefix}{item.pk}_{figure}" for item in items]
        if any(name in self.errors for name in names):
            return
        total = self.total_value(figure, cleaned)
        shares = sum((cleaned.get(name) or Decimal("0") for name in names), Decimal("0"))
        if total is not None and shares > total:
            message = _("%(what)s%(label)s分解合计 %(sum)s 万元，超过目标总额 %(total)s 万元。") % {
                "what": what,
                "label": label,
                "sum": format_wan(shares),
                "total": format_wan(total),
            }
            self.add_error(f"total_{figure}" if self.total_editable else None, message)

    def split(self) -> Split:
        data = self.cleaned_data

        def pair(prefix: str) -> tuple:
            return (data.get(f"{prefix}_fai"), data.get(f"{prefix}_plan"))

        return Split(
            total=pair("total") if self.total_editable else None,
            regions={child.pk: pair(f"r{child.pk}") for child in self.children},
            departments={d.pk: pair(f"d{d.pk}") for d in self.departments},
        )


class FaiForm(BootstrapForm):
    """One month's year-to-date FAI for the region and each direct subregion (``r<pk>``); blank: not given."""

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = regions
        for region in regions:
            self.fields[f"r{region.pk}"] = _money_field(region.name)

    def rows(self):
        return [(region, self[f"r{region.pk}"]) for region in self.regions]

    def amounts(self) -> dict[int, Decimal | None]:
        return {region.pk: self.cleaned_data.get(f"r{region.pk}") for region in self.regions}


class ComputeForm(BootstrapForm):
    """Which period and subjects to (re)compute."""

    kind = forms.ChoiceField(label=_("周期"), choices=Kind.choices, error_messages={"required": _("请选择周期。")})
    dimension = forms.ChoiceField(
        label=_("排名对象"), choices=Dimension.choices, error_messages={"required": _("请选择排名对象。")}
    )
    year = forms.IntegerField(
        label=_("年度"), min_value=2000, max_value=2100,
        error_messages={"required": _("请填写年度。"), "invalid": _("年度须为数字。"),
                        "min_value": _("年度超出范围。"), "max_value": _("年度超出范围。")},
    )  # fmt: skip
    period = forms.IntegerField(
        label=_("月份/季度"), min_value=1, max_value=12,
        error_messages={"required": _("请选择月份或季度。"), "invalid": _("月份或季度须为数字。"),
                        "min_value": _("月份或季度超出范围。"), "max_value": _("月份或季度超出范围。")},
    )  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            period = RankingPeriod.of(cleaned["year"], cleaned["kind"], cleaned["period"])
        except ValueError:
            self.add_error("period", _("季度须为 1 到 4。"))
            return cleaned
        if not period.has_begun(timezone.localdate()):
            self.add_error("period", _("该期尚未开始，不能计算排名。"))
        cleaned["ranking_period"] = period
        return cleaned
