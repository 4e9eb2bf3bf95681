"""Forms of the enterprise channel (企业诉求直通车): submit, answer, convert into a problem.

Each form's ``save()`` makes the whole change in one transaction, notifications included; answering and
converting re-read the request under a row lock first, so two coordinators acting at once cannot both win.
(``EnterpriseRequest`` lives in problems/models.py; these changes could move onto it as ``answer()`` and
``convert()`` methods.)
"""

from collections import defaultdict

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from lib.forms import BootstrapForm, BootstrapMixin
from lib.notify import notify
from org.models import Department, Role, User, ancestor_codes
from projects.models import Project

from .models import EnterpriseRequest, Problem

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
State = EnterpriseRequest.State
# A request can still be turned into a problem after a first answer ("we are looking into it").
CONVERTIBLE = [State.OPEN, State.ANSWERED]


def _detail_url(item: EnterpriseRequest) -> str:
    return reverse("problems:request_detail", kwargs={"pk": item.pk})


def coordinators_for(region) -> list[User]:
    """The key-project office nearest to ``region``: its own coordinators, else those of the nearest level up."""
    codes = ancestor_codes(region)
    by_code = defaultdict(list)
    users = User.objects.filter(role=Role.COORDINATOR, is_active=True, region__code__in=codes).select_related("region")
    for user in users:
        by_code[user.region.code].append(user)
    return next((by_code[code] for code in reversed(codes) if code in by_code), [])


class RequestForm(BootstrapMixin, forms.ModelForm):
    """An enterprise's request, about one of its own projects or in general."""

    class Meta:
        model = EnterpriseRequest
        fields = ["project", "category", "subject", "text"]
        field_classes = {"project": SafeModelChoiceField}
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}
        help_texts = {"project": _("只能选择本企业（统一社会信用代码相同）的项目；一般性诉求可不选。")}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        # Set before validation: the model's clean() compares the project's credit code with the submitter's.
        self.instance.submitted_by = user
        self.instance.region = user.region
        self.fields["project"].queryset = Project.objects.visible_to(user).current().order_by("name")
        self.fields["project"].empty_label = gettext("不涉及具体项目（一般诉求）")

    def clean(self):
        cleaned = super().clean()
        project = cleaned.get("project")
        if project is not None:
            self.instance.region = project.region
        return cleaned

    @transaction.atomic
    def save(self) -> EnterpriseRequest:
        item = super().save()
        enterprise = item.submitted_by.enterprise_name or str(item.submitted_by)
        notify(
            coordinators_for(item.region),
            gettext("企业诉求：%(enterprise)s提交了“%(subject)s”，请及时处理。")
            % {"enterprise": enterprise, "subject": item.subject},
            url=_detail_url(item),
            kind="request",
        )
        return item


def _lock(item: EnterpriseRequest) -> EnterpriseRequest:
    """The request re-read under a row lock: two coordinators acting at once see each other's change."""
    return EnterpriseRequest.objects.select_for_update().get(pk=item.pk)


class AnswerForm(BootstrapForm):
    reply = forms.CharField(
        label=_("答复"), widget=forms.Textarea(attrs={"rows": 4}), error_messages={"required": _("请填写答复内容。")}
    )

    def __init__(self, *args, item: EnterpriseRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item

    def clean(self):
        if self.item.state != State.OPEN:
            raise ValidationError(_("该诉求已处理，不能再答复。"))
        return super().clean()

    @transaction.atomic
    def save(self, by: User) -> EnterpriseRequest:
        item = _lock(self.item)
        if item.state != State.OPEN:
            raise ValidationError(_("该诉求已处理，不能再答复。"))
        item.reply, item.replied_by, item.state = self.cleaned_data["reply"], by, State.ANSWERED
        item._history_user = by
        item.save()
        notify(
            [item.submitted_by],
            gettext("您的诉求“%(subject)s”已答复。") % {"subject": item.subject},
            url=_detail_url(item),
            kind="request",
        )
        return item


def enterprise_projects(item: EnterpriseRequest, user: User):
    """The projects a request without one may be converted onto: the submitter's company's, visible to ``user``."""
    return Project.objects.visible_to(user).current().filter(credit_code=item.submitted_by.credit_code)


class ConvertForm(BootstrapMixin, forms.ModelForm):
    """Turn a request into a problem: the project (when the request names none), category, department, leader,
    deadline; the description is the request's text. Validated as a Problem (the deadline not in the past),
    registered through ``Problem.register``."""

    class Meta:
        model = Problem
        fields = ["project", "category", "department", "leader", "deadline"]
        field_classes = {"project": SafeModelChoiceField, "department": SafeModelChoiceField}
        widgets = {"deadline": DATE}

    def __init__(self, *args, item: EnterpriseRequest, user: User, **kwargs):
        kwargs.setdefault("initial", {"category": item.category})
        super().__init__(*args, **kwargs)
        self.item = item
        self.instance.description = item.text  # for the model's validation; Problem.register saves it
        if item.project_id:
            self.instance.project = item.project
            del self.fields["project"]
        else:
            self.fields["project"].queryset = enterprise_projects(item, user).order_by("name")
            self.fields["project"].help_text = _("诉求未指定项目：请选择该企业的一个项目。")
        self.fields["department"].queryset = Department.objects.visible_to(user).select_related("region")
        leaders = User.objects.around(user.region).leaders() if user.region_id else User.objects.leaders()
        self.fields["leader"].queryset = leaders

    @property
    def has_projects(self) -> bool:
        """False when the request names no project and the company has none here: it cannot be converted."""
        return "project" not in self.fields or self.fields["project"].queryset.exists()

    def clean(self):
        if self.item.state not in CONVERTIBLE:
            raise ValidationError(_("该诉求已转为问题，不能重复转办。"))
        return super().clean()

    @transaction.atomic
    def save(self, by: User) -> Problem:
        item = _lock(self.item)
        if item.state not in CONVERTIBLE:
            raise ValidationError(_("该诉求已转为问题，不能重复转办。"))
        fields = {name: self.cleaned_data[name] for name in ("category", "department", "leader", "deadline")}
        problem = Problem.register(
            project=self.instance.project, by=by, note=gettext("由企业诉求转办"), description=item.text, **fields
        )
        item.state, item.problem = State.CONVERTED, problem
        item._history_user = by
        item.save()
        notify(
            [item.submitted_by],
            gettext("您的诉求“%(subject)s”已转为问题，由%(department)s限期办理。")
            % {"subject": item.subject, "department": problem.department},
            url=_detail_url(item),
            kind="request",
        )
        self.item = item
        return problem
