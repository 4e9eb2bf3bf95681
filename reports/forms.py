from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from lib.forms import BootstrapForm, BootstrapMixin
from projects.models import Milestone, today

from .models import (
    Colour,
    MonthlyReport,
    ReportingRules,
    ReportPhoto,
    ScheduleCurve,
    curve_errors,
    validate_photo,
)

MAX_PHOTOS = 9
NOT_NEGATIVE = _("金额不能为负数。")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from one <input multiple>; each checked by validate_photo, errors name the file."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        uploads = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        errors = []
        for upload in uploads:
            try:
                super().clean(upload, initial)
                validate_photo(upload)
            except ValidationError as error:
                errors += [f"{upload.name}：{message}" for message in error.messages]
        if errors:
            raise ValidationError(errors)
        return uploads


class ReportForm(BootstrapMixin, forms.ModelForm):
    """The monthly report: figures, progress, problems, photos and the milestones reached."""

    photos = PhotosField(
        label=_("现场照片"), required=False, help_text=_("JPG 或 PNG，每张不超过 5 MB，可多选，每份月报最多 9 张。")
    )

    class Meta:
        model = MonthlyReport
        fields = ["completed", "progress", "problems_text", "over_total_confirmed"]
        widgets = {
            "progress": forms.Textarea(attrs={"rows": 3, "placeholder": _("如：主体结构完成至6层，设备基础完成")}),
            "problems_text": forms.Textarea(attrs={"rows": 2, "placeholder": _("无问题可不填")}),
        }

    def __init__(self, *args, milestones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["completed"].error_messages["min_value"] = NOT_NEGATIVE
        self.milestones = list(milestones)
        for milestone in self.milestones:
            self.fields[self._milestone_key(milestone)] = forms.DateField(
                label=milestone.name,
                required=False,
                initial=milestone.actual_on,
                widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
                help_text=_("计划 %(date)s") % {"date": milestone.planned_on or "—"},
            )

    @staticmethod
    def _milestone_key(milestone: Milestone) -> str:
        return f"milestone_{milestone.pk}"

    def milestone_fields(self):
        return [(m, self[self._milestone_key(m)]) for m in self.milestones]

    def clean(self):
        cleaned = super().clean()
        for milestone in self.milestones:
            key = self._milestone_key(milestone)
            value = cleaned.get(key)
            if value and value > today():
                self.add_error(key, _("实际完成日期不能晚于今天。"))
        existing = self.instance.photos.count() if self.instance.pk else 0
        if existing + len(cleaned.get("photos") or []) > MAX_PHOTOS:
            self.add_error("photos", _("每份月报最多 %(n)s 张照片，请删减后再上传。") % {"n": MAX_PHOTOS})
        return cleaned

    @transaction.atomic
    def save_report(self, by, submit: bool) -> MonthlyReport:
        """Save the draft (photos and milestone dates with it), then submit it if asked."""
        report = self.save()
        for upload in self.cleaned_data["photos"]:
            ReportPhoto.objects.create(report=report, image=upload)
        self._save_milestones()
        if submit:
            report.submit(by=by)
        return report

    def _save_milestones(self) -> None:
        changed = []
        for milestone in self.milestones:
            value = self.cleaned_data.get(self._milestone_key(milestone))
            if value != milestone.actual_on:
                milestone.actual_on = value
                changed.append(milestone)
        for milestone in changed:
            milestone.save(update_fields=["actual_on"])


def add_model_errors(form: forms.Form, error: ValidationError) -> None:
    """A model method's ValidationError onto the form: its own fields where they match, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.error_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class ReturnForm(BootstrapForm):
    return_reason = forms.CharField(
        label=_("退回原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("请写明需要修改的内容")}),
        error_messages={"required": _("请填写退回原因。")},
    )


class CorrectionForm(BootstrapForm):
    completed = forms.DecimalField(
        label=_("更正后本月完成投资（万元）"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        error_messages={"min_value": NOT_NEGATIVE, "required": _("请填写更正后的金额。")},
    )
    reason = forms.CharField(
        label=_("更正原因"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写更正原因。")},
    )

    def apply(self, report: MonthlyReport, by):
        try:
            return report.correct(by=by, completed=self.cleaned_data["completed"], reason=self.cleaned_data["reason"])
        except ValidationError as error:
            report.refresh_from_db()
            add_model_errors(self, error)
            return None


class OverrideForm(BootstrapForm):
    colour = forms.ChoiceField(label=_("调整为"), choices=Colour.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("书面理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("人工调整颜色须填写书面理由。")},
    )


class RulesForm(BootstrapMixin, forms.ModelForm):
    webhook_url = forms.URLField(
        label=ReportingRules._meta.get_field("webhook_url").verbose_name,
        help_text=ReportingRules._meta.get_field("webhook_url").help_text,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = ReportingRules
        fields = [
            "close_day",
            "remind_days_before",
            "yellow_lag_points",
            "red_lag_points",
            "red_start_overdue_days",
            "red_problem_overdue_days",
            "red_after_yellow_months",
            "colour_memory",
            "outlier_factor",
            "webhook_url",
        ]


MONTHS = range(1, 13)


class CurveForm(BootstrapForm):
    """Twelve cumulative shares of the annual plan (%), one per month."""

    def __init__(self, *args, shares=None, **kwargs):
        super().__init__(*args, **kwargs)
        for month in MONTHS:
            self.fields[f"m{month}"] = forms.DecimalField(
                label=_("%(m)s月") % {"m": month},
                max_digits=4,
                decimal_places=1,
                min_value=Decimal("0"),
                max_value=Decimal("100"),
                initial=shares[month - 1] if shares else None,
                error_messages={"required": _("请填写。")},
                widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.1"}),
            )

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for message in curve_errors(self.shares()):
                self.add_error(None, message)
        return cleaned

    def shares(self) -> list:
        return [self.cleaned_data.get(f"m{month}") for month in MONTHS]

    def save(self, region, year: int) -> ScheduleCurve:
        shares = [float(v) for v in self.shares()]
        curve, _created = ScheduleCurve.objects.update_or_create(region=region, year=year, defaults={"shares": shares})
        return curve
