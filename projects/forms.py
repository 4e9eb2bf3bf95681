from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from lib.forms import BootstrapMixin
from org.models import Department, Region, Role, User

from .models import (
    PLAN_FROZEN,
    PLANNED_DATE_FIELDS,
    STAGE_ORDER,
    AnnualPlan,
    ChainTag,
    ChangeRequest,
    Milestone,
    Project,
    SuspensionReason,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ACTUAL_DATES = ["reserve_on", "signed_on", "preparing_on", "started_on", "completed_on", "production_on"]
PLANNED_DATES = list(PLANNED_DATE_FIELDS)


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
        if self.instance.plan_is_approved:
            for name in PLANNED_DATES:
                self.fields[name].help_text = _("计划已批准，调整须提交变更申请")

    def clean(self):
        cleaned = super().clean()
        # An approved plan's dates move only through a change request: refuse the edit, field by field.
        if self.instance.plan_is_approved:
            for name in PLANNED_DATES:
                if name in self.changed_data and name in cleaned:
                    self.add_error(name, PLAN_FROZEN)
        return cleaned

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


class BaseMilestoneFormSet(forms.BaseInlineFormSet):
    """Once the plan is approved a planned date is neither typed in nor deleted with its milestone."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if self.instance.plan_is_approved:
            form.fields["planned_on"].help_text = _("计划已批准，调整须提交变更申请")

    def clean(self):
        super().clean()
        if not self.instance.plan_is_approved:
            return
        for form in self.forms:
            if form in self.deleted_forms:
                self._refuse_deleting(form.instance)
            elif "planned_on" in form.changed_data and "planned_on" in form.cleaned_data:
                form.add_error("planned_on", PLAN_FROZEN)

    def _refuse_deleting(self, milestone: Milestone) -> None:
        if milestone.pk and (milestone.baselines.exists() or milestone.change_requests.exists()):
            raise ValidationError(
                _("计划已批准，节点“%(name)s”已纳入计划基线或有变更申请，不能删除。") % {"name": milestone.name}
            )


MilestoneFormSet = forms.inlineformset_factory(
    Project,
    Milestone,
    form=MilestoneForm,
    formset=BaseMilestoneFormSet,
    extra=1,
    can_delete=True,
    max_num=50,
    validate_max=True,
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
    # Suspension only (the model requires them there): the reason category and the expected resume date.
    reason_code = forms.ChoiceField(label=_("暂停原因"), required=False, choices=[("", "—"), *SuspensionReason.choices])
    expected_resume_on = forms.DateField(label=_("预计恢复日期"), required=False, widget=DATE)

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["to"].choices = [("", "—")] + [(s.value, s.label) for s in STAGE_ORDER]

    def apply(self, by):
        """Run the chosen model method; its ValidationErrors land on this form's fields."""
        data, project = self.cleaned_data, self.project
        handlers = {
            self.ADVANCE: lambda: project.advance(data["to"], data["on"], by=by, note=data["reason"]),
            self.SUSPEND: lambda: project.suspend(
                data["on"],
                data["reason"],
                by=by,
                reason_code=data["reason_code"],
                expected_resume_on=data["expected_resume_on"],
            ),
            self.RESUME: lambda: project.resume(data["on"], by=by, note=data["reason"]),
            self.TERMINATE: lambda: project.terminate(data["on"], data["reason"], by=by),
            self.CORRECT: lambda: project.correct_stage(data["to"], data["reason"], by=by),
        }
        try:
            return handlers[data["action"]]()
        except ValidationError as error:
            project.refresh_from_db()
            add_model_error(self, error)
            return None


def add_model_error(form: forms.Form, error: ValidationError, model=Project) -> None:
    """A model method's ValidationError on the form: on the field of the same name, else labelled, on the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.error_dict.items():
        target = field if field in form.fields else None
        if target is None and field != "__all__":
            label = model._meta.get_field(field).verbose_name
            messages = [ValidationError(f"{label}：{m.message % (m.params or {})}") for m in messages]
        form.add_error(target, messages)


class ReverseScheduleForm(BootstrapMixin, forms.Form):
    target = forms.DateField(label=_("目标完成日期"), widget=DATE)
    reason = forms.CharField(label=_("变更原因"), required=False, max_length=500)


# ---- change control and suspensions ----


class ChangeRequestForm(BootstrapMixin, forms.Form):
    """Ask to move one planned date of an approved plan: a stage date or a milestone."""

    target = forms.ChoiceField(label=_("调整的计划日期"))
    new_date = forms.DateField(label=_("新计划日期"), widget=DATE)
    reason = forms.CharField(label=_("变更原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.milestones = {f"milestone-{m.pk}": m for m in project.milestones.all()}
        stages = [(name, Project._meta.get_field(name).verbose_name) for name in PLANNED_DATES]
        milestones = [(key, _("节点：%(name)s") % {"name": m.name}) for key, m in self.milestones.items()]
        self.fields["target"].choices = [("", "—"), *stages, *milestones]

    def save(self, by) -> ChangeRequest | None:
        """The request through ``Project.request_change``; None with the model's errors on the form."""
        data = self.cleaned_data
        target = self.milestones.get(data["target"], data["target"])
        try:
            return self.project.request_change(target, data["new_date"], data["reason"], by=by)
        except ValidationError as error:
            add_model_error(self, error, model=ChangeRequest)
            return None


class DecisionForm(forms.Form):
    """Approve (note optional) or reject (note required) a change request."""

    decision_note = forms.CharField(label=_("审批意见"), required=False, max_length=2000)


class SuspensionConfirmForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("当前情况说明"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    expected_resume_on = forms.DateField(label=_("预计恢复日期"), widget=DATE)

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.initial.setdefault("expected_resume_on", project.expected_resume_on)

    def save(self, by):
        data = self.cleaned_data
        try:
            return self.project.confirm_suspension(by, data["note"], data["expected_resume_on"])
        except ValidationError as error:
            self.project.refresh_from_db()
            add_model_error(self, error)
            return None
