"""The upload form of the OC4IDS import: the package file and the region new projects go to."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from lib.forms import BootstrapForm
from org.models import Region, User

from . import reading
from .schema import Issue


class RegionChoiceField(SafeModelChoiceField):
    """Regions indented by depth, so a province's list reads as its tree."""

    def label_from_instance(self, region: Region) -> str:
        return "\u3000" * region.depth + region.name


class ImportForm(BootstrapForm):
    file = forms.FileField(
        label=_("OC4IDS 项目包（.json，不超过 10 MB）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
        error_messages={"required": _("请选择要导入的 JSON 文件。")},
    )
    region = RegionChoiceField(
        label=_("导入到区划"),
        queryset=Region.objects.none(),
        help_text=_("包中与台账项目对不上的新项目登记在此区划；选开发区则登记在其所属县（区）并标明开发区。"),
        error_messages={"required": _("请选择导入到哪个区划。"), "invalid_choice": _("所选区划不在您的管辖范围内。")},
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.visible_to(user)
        self.fields["region"].initial = user.region_id
        self.package: dict | None = None
        self.issues: list[Issue] = []

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > reading.MAX_BYTES:
            raise ValidationError(_("文件超过 10 MB，请拆分后分批导入。"))
        try:
            self.package = reading.read_package(upload.read(reading.MAX_BYTES + 1))
        except reading.PackageRefused as refused:
            self.issues = refused.issues
            raise ValidationError(refused.message) from None
        return upload
