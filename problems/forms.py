"""Raising a problem, making a move on its timeline, and a region's escalation rules."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from lib.forms import BootstrapForm, BootstrapMixin
from org.models import Department, User
from projects.models import Project

from .models import EscalationRules, Problem, today, validate_attachment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProblemForm(BootstrapMixin, forms.ModelForm):
    """挂号: what the problem is, who answers for it, and by when."""

    class Meta:
        model = Problem
        fields = ["category", "description", "department", "leader", "deadline"]
        # Departments are scoped: the queryset is set per user in __init__.
        field_classes = {"department": SafeModelChoiceField}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4, "placeholder": _("写明问题现状、卡点和需要协调的事项")}),
            "deadline": DATE,
        }
        error_messages = {
            "category": {"required": _("请选择问题类别。"), "invalid_choice": _("请选择有效的问题类别。")},
            "description": {"required": _("请填写问题描述。")},
            "department": {"required": _("请选择责任单位。"), "invalid_choice": _("所选责任单位不在您的区划范围内。")},
            "leader": {"invalid_choice": _("所选责任领导不是本项目所在区划的领导。")},
            "deadline": {"required": _("请填写限时办结日期。"), "invalid": _("请填写有效的日期。")},
        }

    def __init__(self, *args, project: Project, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.instance.project = project
        self.fields["department"].queryset = Department.objects.visible_to(user)
        self.fields["leader"].queryset = User.objects.around(project.region).leaders()
        self.fields["leader"].help_text = _("不选则由项目包联领导督办。")

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline < today():
            raise ValidationError(_("限时办结日期不能早于今天。"))
        return deadline

    def register(self, by, source_report=None) -> Problem:
        return Problem.register(project=self.project, by=by, source_report=source_report, **self.cleaned_data)


# action -> (button, label of the note, message when a required note is missing)
ACTIONS = {
    "accept": (_("签收办理"), _("办理说明（选填）"), None),
    "propose": (_("申请销号"), _("办理结果"), _("申请销号须填写办理结果。")),
    "strike_off": (_("确认销号"), _("销号意见（选填）"), None),
    "return": (_("退回重办"), _("退回原因"), _("退回须填写退回原因。")),
}


class ActionForm(BootstrapForm):
    """One move of a problem: the action, a note (required to propose or return) and an optional attachment."""

    action = forms.ChoiceField(
        choices=[(action, labels[0]) for action, labels in ACTIONS.items()],
        widget=forms.HiddenInput,
        error_messages={"required": _("请选择要执行的操作。"), "invalid_choice": _("不支持该操作。")},
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    attachment = forms.FileField(
        label=_("附件"),
        required=False,
        help_text=_("PDF、JPG、PNG、DOCX 或 XLSX，不超过 10 MB。"),
        validators=[validate_attachment],
    )

    def __init__(self, *args, action: str | None = None, **kwargs):
        known = action in ACTIONS
        if known:
            kwargs.setdefault("initial", {})["action"] = action
            kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.action_name = action if known else None
        if known:
            self.button, self.fields["note"].label, required = ACTIONS[action]
            self.fields["note"].required = required is not None
            self.fields["note"].error_messages["required"] = required


class EscalationRulesForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = EscalationRules
        fields = ["to_leader_days", "to_county_days"]
        error_messages = {
            "to_leader_days": {"required": _("请填写天数。"), "invalid": _("请填写整数天数。")},
            "to_county_days": {"required": _("请填写天数。"), "invalid": _("请填写整数天数。")},
        }

    def clean_to_leader_days(self):
        days = self.cleaned_data["to_leader_days"]
        if days < 1:
            raise ValidationError(_("至少逾期 1 天才升级督办。"))
        return days

    def clean(self):
        cleaned = super().clean()
        leader, county = cleaned.get("to_leader_days"), cleaned.get("to_county_days")
        if leader is not None and county is not None and county <= leader:
            self.add_error("to_county_days", _("升至县领导挂牌督办的天数须大于升至包联领导督办的天数。"))
        return cleaned
