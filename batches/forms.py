"""Building a batch event, editing its name and date, and adding a project to one of its batches."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from lib.forms import BootstrapForm, BootstrapMixin
from org.models import Region, User
from projects.models import Project

from .ledger import BY_CATEGORY, BY_REGION
from .models import BatchEvent, BatchKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"required": _("请填写日期。"), "invalid": _("请填写有效的日期。")}


def event_regions(user: User):
    """The regions a user may hold an event for: their own and those below it, development zones aside."""
    return Region.objects.visible_to(user).exclude(kind=Region.Kind.ZONE)


class EventForm(BootstrapMixin, forms.ModelForm):
    """The event's name and date (the window and the region are fixed once it is built)."""

    class Meta:
        model = BatchEvent
        fields = ["name", "held_on"]
        widgets = {
            "held_on": DATE,
            "name": forms.TextInput(attrs={"placeholder": _("如：第二季度重大项目“三个一批”活动")}),
        }
        error_messages = {"name": {"required": _("请填写活动名称。")}, "held_on": DATE_ERRORS}


class BuildForm(EventForm):
    """A new event: its region, name, date and the window whose signings, starts and productions it lists."""

    class Meta(EventForm.Meta):
        fields = ["region", "name", "held_on", "window_start", "window_end"]
        field_classes = {"region": SafeModelChoiceField}
        widgets = {**EventForm.Meta.widgets, "window_start": DATE, "window_end": DATE}
        error_messages = {
            **EventForm.Meta.error_messages,
            "region": {"required": _("请选择举办区划。"), "invalid_choice": _("所选区划不在您的管辖范围内。")},
            "window_start": DATE_ERRORS,
            "window_end": DATE_ERRORS,
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = event_regions(user)
        self.fields["region"].empty_label = None
        self.fields["window_start"].help_text = _("签约、开工、投产日期在此区间内的项目自动列入对应批次。")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("window_start"), cleaned.get("window_end")
        if start and end and end < start:
            self.add_error("window_end", _("统计截止日期不能早于起始日期。"))
        return cleaned

    def _post_clean(self):
        # The model's window constraint is checked in clean() with a field error; skip the duplicate.
        if not self.has_error("window_end"):
            super()._post_clean()

    def build(self, by: User) -> BatchEvent:
        return BatchEvent.build(by=by, **self.cleaned_data)


class AddForm(BootstrapForm):
    """A project into one batch: chosen from the window's candidates (its id), or typed (项目代码 or exact name)."""

    kind = forms.ChoiceField(
        label=_("批次"), choices=BatchKind.choices, widget=forms.HiddenInput,
        error_messages={"required": _("请选择批次。"), "invalid_choice": _("请选择批次。")},
    )  # fmt: skip
    project_id = forms.IntegerField(
        required=False, widget=forms.HiddenInput, error_messages={"invalid": _("请从列表中选择项目。")}
    )
    project = forms.CharField(
        label=_("项目代码或项目名称"), required=False, max_length=128,
        widget=forms.TextInput(attrs={"placeholder": _("输入项目代码或完整的项目名称")}),
    )  # fmt: skip

    def __init__(self, *args, event: BatchEvent, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        cleaned["project"] = self._find(cleaned.get("project_id"), (cleaned.get("project") or "").strip())
        return cleaned

    def _find(self, pk: int | None, text: str) -> Project:
        projects = Project.objects.current().filter(region__path__startswith=self.event.region.path)
        if pk is not None:
            found = list(projects.filter(pk=pk))
        elif text:
            found = list(projects.filter(Q(national_code=text) | Q(name=text))[:2])
        else:
            raise ValidationError({"project": _("请输入项目代码或项目名称。")})
        if not found:
            raise ValidationError({"project": _("在本次活动的区划内没有找到该项目。")})
        if len(found) > 1:
            raise ValidationError({"project": _("有多个同名项目，请改用项目代码。")})
        return found[0]

    def add(self, by: User):
        return self.event.add(self.cleaned_data["kind"], self.cleaned_data["project"], by=by)


class LedgerForm(BootstrapForm):
    """The ledger export's choices (a GET form)."""

    region = forms.ChoiceField(label=_("区划"))
    month = forms.CharField(label=_("截至月份"), widget=forms.DateInput(attrs={"type": "month"}))
    group = forms.ChoiceField(
        label=_("分组"), choices=[(BY_REGION, _("按区划")), (BY_CATEGORY, _("按项目类别"))], initial=BY_REGION
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        # The regions as plain choices, read once (a model choice field renders its queryset twice).
        self.fields["region"].choices = list(Region.objects.visible_to(user).values_list("pk", "name"))
