"""The upload form (file checks, header detection) and the column mapping form."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib.forms import BootstrapForm
from projects.models import Category

from .cells import UNIT_CHOICES
from .columns import FIELDS, REPEATABLE, apply_template, detect_columns, detect_layout, field_label, template_key
from .files import MAX_BYTES, Table, _mb, check_upload, read_table
from .models import ImportTemplate, LedgerImport

ACCEPT = ".xlsx,.xls,.csv,.ods"
FIELD_CHOICES = [("", gettext_lazy("（不导入）"))] + [(f.key, f.label) for f in FIELDS]


def _template_choices(user):
    return ImportTemplate.objects.visible_to(user).select_related("region")


class UploadForm(BootstrapForm):
    file = forms.FileField(
        label=gettext_lazy("台账文件（.xlsx、.xls、.csv 或 .ods）"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    template = forms.ModelChoiceField(
        label=gettext_lazy("映射模板"),
        queryset=ImportTemplate.objects.none(),
        required=False,
        empty_label=gettext_lazy("（自动识别列）"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        limit = {"max": _mb(MAX_BYTES)}
        self.fields["file"].help_text = _("不超过 %(max)s MB；表头可以有标题行和两行合并的表头。") % limit
        self.fields["template"].queryset = _template_choices(user)
        self.kind, self.table = "", None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.kind = check_upload(upload)
        self.table = read_table(upload, self.kind)
        if not any(any(cell not in ("", None) for cell in row) for row in self.table.rows):
            raise ValidationError(_("工作表“%(sheet)s”是空的。") % {"sheet": self.table.sheet or "CSV"})
        upload.seek(0)
        return upload

    def save(self) -> LedgerImport:
        upload, template = self.cleaned_data["file"], self.cleaned_data.get("template")
        ledger_import = LedgerImport(
            region=self.user.region,
            by=self.user,
            file_name=upload.name[:200],
            file_kind=self.kind,
            template=template,
            default_category=template.default_category if template else "",
        )
        detect_into(ledger_import, self.table)
        ledger_import.file.save(upload.name, upload, save=False)
        ledger_import.save()
        return ledger_import


def detect_into(ledger_import: LedgerImport, table: Table, first: int | None = None, last: int | None = None) -> None:
    """Find the header (or read it from the rows named) and the columns, then the template's mapping over them."""
    layout = detect_layout(table, first, last)
    columns = detect_columns(table, layout)
    if ledger_import.template is not None:
        columns = apply_template(columns, ledger_import.template.columns, layout.default_unit)
    ledger_import.sheet_name, ledger_import.sheet_names = table.sheet, table.sheet_names
    ledger_import.header_first, ledger_import.header_last = layout.first, layout.last
    ledger_import.default_unit, ledger_import.columns = layout.default_unit, columns
    # Until the dry run counts them: every row below the header (decides whether the check runs in the background).
    ledger_import.data_rows = max(0, len(table.rows) - layout.last)


class MappingForm(BootstrapForm):
    """One field (and unit, and year for an annual plan) per column, plus the header rows, sheet and defaults."""

    sheet = forms.ChoiceField(label=gettext_lazy("工作表"), required=False)
    header_first = forms.IntegerField(label=gettext_lazy("表头首行"), min_value=1, max_value=20)
    header_last = forms.IntegerField(label=gettext_lazy("表头末行"), min_value=1, max_value=20)
    default_category = forms.ChoiceField(
        label=gettext_lazy("默认项目类别"),
        required=False,
        choices=[("", gettext_lazy("（无：文件中须有项目类别列）"))] + list(Category.choices),
        help_text=gettext_lazy("新建项目类别列为空时使用"),
    )
    save_as = forms.CharField(
        label=gettext_lazy("另存为映射模板"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("填写名称即保存本映射，下次上传同样格式的台账时可直接选用；同名模板将被覆盖"),
    )

    def __init__(self, *args, ledger_import: LedgerImport, **kwargs):
        initial = {
            "sheet": ledger_import.sheet_name,
            "header_first": ledger_import.header_first,
            "header_last": ledger_import.header_last,
            "default_category": ledger_import.default_category,
            "save_as": ledger_import.template.name if ledger_import.template else "",
        }
        for column in ledger_import.columns:
            initial[f"field_{column['index']}"] = column["field"]
            initial[f"unit_{column['index']}"] = column["unit"]
            initial[f"year_{column['index']}"] = column.get("year")
        super().__init__(*args, initial=initial, **kwargs)
        self.ledger_import = ledger_import
        self.fields["sheet"].choices = [(name, name) for name in ledger_import.sheet_names]
        for column in ledger_import.columns:
            index = column["index"]
            self.fields[f"field_{index}"] = forms.ChoiceField(choices=FIELD_CHOICES, required=False)
            self.fields[f"unit_{index}"] = forms.ChoiceField(choices=[(u, u) for u in UNIT_CHOICES], required=False)
            self.fields[f"year_{index}"] = forms.IntegerField(min_value=2000, max_value=2100, required=False)
        # Added after BootstrapMixin styled the declared fields: give these their classes here.
        for name, field in self.fields.items():
            if name.startswith(("field_", "unit_")):
                field.widget.attrs["class"] = "form-select form-select-sm"
            elif name.startswith("year_"):
                field.widget.attrs["class"] = "form-control form-control-sm"

    def rows(self) -> list[dict]:
        """The columns with their bound fields, for the template."""
        return [
            {
                **column,
                "field_input": self[f"field_{column['index']}"],
                "unit_input": self[f"unit_{column['index']}"],
                "year_input": self[f"year_{column['index']}"],
            }
            for column in self.ledger_import.columns
        ]

    @property
    def layout_changed(self) -> bool:
        data = self.cleaned_data
        return (data.get("sheet") or self.ledger_import.sheet_name) != self.ledger_import.sheet_name or (
            data["header_first"],
            data["header_last"],
        ) != (self.ledger_import.header_first, self.ledger_import.header_last)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("header_first"), cleaned.get("header_last")
        if first and last and not 0 <= last - first <= 1:
            self.add_error("header_last", _("表头为一行或两行：末行须等于首行或首行的下一行。"))
        if self.errors or self.layout_changed:
            return cleaned
        self._check_columns(cleaned)
        return cleaned

    def _check_columns(self, cleaned: dict) -> None:
        taken: dict[tuple, str] = {}
        for column in self.ledger_import.columns:
            index, letter = column["index"], column["letter"]
            key = cleaned.get(f"field_{index}") or ""
            if not key:
                continue
            year = cleaned.get(f"year_{index}") if key in REPEATABLE else None
            if key in REPEATABLE and year is None:
                self.add_error(f"year_{index}", _("请填写年度。"))
            if (key, year) in taken:
                message = _("“%(field)s”对应了 %(a)s、%(b)s 两列，请只保留一列。")
                names = {"field": field_label(key), "a": taken[(key, year)], "b": letter}
                self.add_error(f"field_{index}", message % names)
            taken[(key, year)] = letter
        if ("name", None) not in taken:
            self.add_error(None, _("请指定“项目名称”所在的列。"))

    def mapped_columns(self) -> list[dict]:
        columns = []
        for column in self.ledger_import.columns:
            index = column["index"]
            key = self.cleaned_data.get(f"field_{index}") or ""
            columns.append(
                {
                    **column,
                    "field": key,
                    "unit": self.cleaned_data.get(f"unit_{index}") or column["unit"],
                    "year": self.cleaned_data.get(f"year_{index}") if key in REPEATABLE else None,
                }
            )
        return columns

    def save(self, user) -> LedgerImport:
        """Keep the mapping on the import (and as a template when named)."""
        ledger_import = self.ledger_import
        ledger_import.columns = self.mapped_columns()
        ledger_import.default_category = self.cleaned_data["default_category"]
        name = self.cleaned_data["save_as"].strip()
        if name:
            ledger_import.template, _created = ImportTemplate.objects.update_or_create(
                region=user.region,
                name=name,
                defaults={
                    "columns": [
                        {"header": template_key(c["header"]), "field": c["field"], "unit": c["unit"]}
                        for c in ledger_import.columns
                    ],
                    "default_category": ledger_import.default_category,
                    "by": user,
                },
            )
        ledger_import.save()
        return ledger_import
