from django import forms
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from lib.forms import BootstrapForm, BootstrapMixin
from projects.models import Project

from .models import ApprovalItem, ApprovalTemplate, candidate_departments

HANDLER_FIELDS = ["status", "applied_on", "approved_on", "document_no"]
COORDINATOR_FIELDS = ["department", *HANDLER_FIELDS, "statutory_days", "promised_days"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ItemForm(BootstrapMixin, forms.ModelForm):
    """One checklist item. A handler changes the progress fields; a coordinator also the department and limits.

    The model's ``clean`` (run by the form) holds the date and status rules; ``save`` counts the handling days.
    """

    class Meta:
        model = ApprovalItem
        fields = COORDINATOR_FIELDS
        widgets = {"applied_on": DateInput(), "approved_on": DateInput()}
        # Departments are scoped: the queryset is set per project in __init__.
        field_classes = {"department": SafeModelChoiceField}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.can_edit_projects:
            self.fields["department"].queryset = candidate_departments(self.instance.project)
        else:
            for name in set(COORDINATOR_FIELDS) - set(HANDLER_FIELDS):
                del self.fields[name]


class ApplyTemplateForm(BootstrapForm):
    template = forms.ModelChoiceField(label=_("前期手续模板"), queryset=ApprovalTemplate.objects.all())

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].initial = next(
            (t.pk for t in self.fields["template"].queryset if t.category == project.category), None
        )
