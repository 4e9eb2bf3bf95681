from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from lib.forms import BootstrapMixin
from org.models import Department, Region, Role, User

from .models import STAGE_ORDER, AnnualPlan, ChainTag, Milestone, Project

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ACTUAL_DATES = ["reserve_on", "signed_on", "preparing_on", "started_on", "completed_on", "production_on"]
PLANNED_DATES = [
    "planned_reserve_on",
    "planned_sign_on",
    "planned_preparing_on",
    "planned_start_on",
    "planned_completion_on",
    "planned_production_on",
]


class ProjectForm(BootstrapMixin, forms.ModelForm):
    """Create and edit a project; the stage is chosen at creation and moved later only by stage actions."""

    class Meta:
        model = Project
        fields = [
            "name",
            "national_code",
            "owner_name",
            "credit_code",
            "level",
            "category",
            "nature",
            "chain_tags",
            "region",
            "zone",
            "address",
            "longitude",
            "latitude",
            "total_investment",
            "fund_government",
            "fund_enterprise",
            "fund_bank_loans",
            "fund_special_bonds",
            "fund_other",
            "opening_completed",
            "land_area",
            "expected_output",
            "expected_tax",
            "leader",
            "department",
            "task_force",
            "reporters",
            "contact_name",
            "contact_phone",
            "description",
            "stage",
            *PLANNED_DATES,
            *ACTUAL_DATES,
        ]
        # Regions and departments are scoped: their querysets are set per user in __init__.
        field_classes = {
            "region": SafeModelChoiceField,
            "zone": SafeModelChoiceField,
            "department": SafeModelChoiceField,
        }
        widgets = {
            **dict.fromkeys(PLANNED_DATES + ACTUAL_DATES, DATE),
            "chain_tags": forms.CheckboxSelectMultiple,
            "task_force": forms.Textarea(attrs={"rows": 3}),
            "reporters": forms.SelectMultiple(attrs={"size": 4}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        regions = Region.objects.visible_to(user)
        self.fields["region"].queryset = regions.exclude(kind=Region.Kind.ZONE)
        self.fields["zone"].queryset = regions.filter(kind=Region.Kind.ZONE)
        self.fields["department"].queryset = Department.objects.visible_to(user).select_related("region")
        self.fields["leader"].queryset = (
            User.objects.around(user.region).leaders() if user.region_id else User.objects.leaders()
        )
        self.fields["chain_tags"].queryset = ChainTag.objects.visible_to(user)
        self.fields["reporters"].queryset = User.objects.visible_to(user).filter(role=Role.REPORTER, is_active=True)
        self.fields["stage"].choices = [(s.value, s.label) for s in STAGE_ORDER]
        if self.instance.pk:
            # After creation the stage moves only through the stage actions.
            del self.fields["stage"]

    def clean_national_code(self):
        code = self.cleaned_data["national_code"].strip()
        # The code is unique nationwide, so look beyond the user's own scope.
        duplicate = Project.objects.with_scopes_disabled().filter(national_code=code).exclude(pk=self.instance.pk)
        if code and duplicate.exists():
            raise ValidationError(_("该项目代码已被其他项目使用。"))
        return code

    def clean_credit_code(self):
        return self.cleaned_data["credit_code"].strip().upper()


class AnnualPlanForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = AnnualPlan
        fields = ["year", "amount"]


class BaseAnnualPlanFormSet(forms.BaseInlineFormSet):
    def get_unique_error_message(self, unique_check):
        # Django's default names the raw field ("请修改year的重复数据").
        return _("同一年度只能填报一条年度计划，请合并重复的年度。")


AnnualPlanFormSet = forms.inlineformset_factory(
    Project,
    AnnualPlan,
    form=AnnualPlanForm,
    formset=BaseAnnualPlanFormSet,
    extra=1,
    can_delete=True,
    max_num=30,
    validate_max=True,
)


class MilestoneForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["name", "sort_order", "duration_days", "planned_on", "actual_on"]
        widgets = {"planned_on": DATE, "actual_on": DATE}


MilestoneFormSet = forms.inlineformset_factory(
    Project, Milestone, form=MilestoneForm, extra=1, can_delete=True, max_num=50, validate_max=True
)


class StageActionForm(BootstrapMixin, forms.Form):
    """One stage action on a project: the choices depend on where the project stands."""

    ADVANCE, SUSPEND, RESUME, TERMINATE, CORRECT = "advance", "suspend", "resume", "terminate", "correct"
    ACTIONS = [
        (ADVANCE, _("推进到下一阶段")),
        (SUSPEND, _("暂停")),
        (RESUME, _("恢复")),
        (TERMINATE, _("终止")),
        (CORRECT, _("阶段更正（回退）")),
    ]
    action = forms.ChoiceField(label=_("操作"), choices=ACTIONS)
    to = forms.ChoiceField(label=_("目标阶段"), required=False)
    on = forms.DateField(label=_("日期"), required=False, widget=DATE)
    reason = forms.CharField(label=_("原因/说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["to"].choices = [("", "—")] + [(s.value, s.label) for s in STAGE_ORDER]

    def apply(self, by):
        """Run the chosen model method; its ValidationErrors land on this form's fields."""
        data, project = self.cleaned_data, self.project
        handlers = {
            self.ADVANCE: lambda: project.advance(data["to"], data["on"], by=by, note=data["reason"]),
            self.SUSPEND: lambda: project.suspend(data["on"], data["reason"], by=by),
            self.RESUME: lambda: project.resume(data["on"], by=by, note=data["reason"]),
            self.TERMINATE: lambda: project.terminate(data["on"], data["reason"], by=by),
            self.CORRECT: lambda: project.correct_stage(data["to"], data["reason"], by=by),
        }
        try:
            return handlers[data["action"]]()
        except ValidationError as error:
            project.refresh_from_db()
            self._add_model_error(error)
            return None

    def _add_model_error(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.error_dict.items():
            target = field if field in self.fields else None
            if target is None and field != "__all__":
                label = Project._meta.get_field(field).verbose_name
                messages = [ValidationError(f"{label}：{m.message % (m.params or {})}") for m in messages]
            self.add_error(target, messages)


class ReverseScheduleForm(BootstrapMixin, forms.Form):
    target = forms.DateField(label=_("目标完成日期"), widget=DATE)
