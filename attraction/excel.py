"""The target enterprise library in Excel: the export, and an import that reads the same columns back.

The import follows the usual recipe: declared columns (``COLUMNS``, found by their header, in any order)
→ every row cleaned through ``EnterpriseForm`` (the web form's own rules), each error naming its row and
column → nothing saved while any row has an error → the rows saved in one transaction, all or nothing.
A row updates the enterprise of the same region with the same credit code (or, without one, the same name),
and adds one otherwise. A dry run does everything but the save.

The headers are fixed Chinese (a contract with the people who fill the sheets), not translated with the UI.
"""

import io
import zipfile
import zlib
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from org.models import Region, Role, User, ancestor_codes

from .forms import EnterpriseForm
from .models import ChainLink, ContactStatus, Size, TargetEnterprise

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
# What a damaged or hand-made file raises from inside openpyxl and zipfile (an XML ParseError is a SyntaxError).
READ_ERRORS = (zipfile.BadZipFile, zlib.error, KeyError, ValueError, TypeError, SyntaxError, OSError, EOFError)
YES, NO = "是", "否"
LINK_SEPARATOR = "；"


@dataclass(frozen=True)
class Column:
    key: str  # the EnterpriseForm field it fills ("" for columns only exported)
    header: str


COLUMNS = [
    Column("name", "企业名称"),
    Column("credit_code", "统一社会信用代码"),
    Column("region", "区划代码"),
    Column("", "所属区划"),
    Column("headquarters", "总部所在地"),
    Column("size", "企业规模"),
    Column("is_leading", "龙头企业"),
    Column("is_specialised", "专精特新"),
    Column("is_listed", "上市企业"),
    Column("is_local", "本地已落户"),
    Column("chain_links", "产业链环节"),
    Column("contact_status", "对接状态"),
    Column("promoter", "招商专员账号"),
    Column("contact_name", "联系人"),
    Column("contact_phone", "联系电话"),
    Column("notes", "备注"),
]
BY_HEADER = {column.header: column for column in COLUMNS}
REQUIRED_HEADERS = ["企业名称", "区划代码"]
FLAGS = ["is_leading", "is_specialised", "is_listed", "is_local"]


# ---- the export ----


def link_label(link: ChainLink) -> str:
    return f"{link.chain.name}·{link.name}"


def enterprise_rows(enterprises):
    """A header row, then one row per enterprise (three queries whatever the count)."""
    yield [column.header for column in COLUMNS]
    enterprises = enterprises.select_related("region", "promoter").prefetch_related("chain_links__chain")
    for e in enterprises:
        yield [
            e.name,
            e.credit_code,
            e.region.code,
            e.region.name,
            e.headquarters,
            e.get_size_display() if e.size else "",
            *(YES if getattr(e, flag) else NO for flag in FLAGS),
            LINK_SEPARATOR.join(link_label(link) for link in e.chain_links.all()),
            e.get_contact_status_display(),
            e.promoter.username if e.promoter else "",
            e.contact_name,
            e.contact_phone,
            e.notes,
        ]


# ---- the import ----


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        where = _("第 %(row)s 行") % {"row": self.row}
        return f"{where} {self.column}：{self.message}" if self.column else f"{where}：{self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    saved: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class FileError(Exception):
    """The file as a whole cannot be read: nothing is looked at row by row."""


def read_rows(upload) -> list[tuple[int, dict[str, str]]]:
    """(sheet row number, {header: text}) for each non-empty row under the header row of the first sheet."""
    if upload.size > MAX_BYTES:
        raise FileError(_("文件不能超过 5 MB。"))
    try:
        book = load_workbook(io.BytesIO(upload.read()), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_text(value) for value in next(rows, ())]
        return _rows_under(header, rows)
    except FileError:
        raise
    except READ_ERRORS:
        raise FileError(_("无法读取该文件，请上传由本系统导出或按模板填写的 .xlsx 文件。")) from None


def _rows_under(header: list[str], rows) -> list[tuple[int, dict[str, str]]]:
    missing = [name for name in REQUIRED_HEADERS if name not in header]
    if missing:
        raise FileError(_("第 1 行缺少列：%(columns)s。请使用导出的企业库作为模板。") % {"columns": "、".join(missing)})
    read = []
    for number, values in enumerate(rows, start=2):
        cells = {name: _text(value) for name, value in zip(header, values, strict=False) if name in BY_HEADER}
        if not any(cells.values()):
            continue
        if len(read) == MAX_ROWS:
            raise FileError(_("一次最多导入 %(n)s 家企业，请分批导入。") % {"n": MAX_ROWS})
        read.append((number, cells))
    if not read:
        raise FileError(_("文件中没有企业数据。"))
    return read


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class Importer:
    """Cleans rows with the enterprise form against what the user may reach; saves them all or none."""

    def __init__(self, user: User):
        self.user = user
        self.regions = {r.code: r for r in Region.objects.visible_to(user)}
        self.promoters = dict(User.objects.visible_to(user).filter(role=Role.PROMOTER).values_list("username", "pk"))
        self.links = list(ChainLink.objects.visible_to(user).select_related("chain__region"))

    def run(self, rows: list[tuple[int, dict[str, str]]], *, dry_run: bool) -> ImportResult:
        result = ImportResult()
        forms = [(number, self._form(number, cells, result)) for number, cells in rows]
        self._refuse_duplicates(rows, result)
        if result.errors or dry_run:
            result.errors.sort(key=lambda e: e.row)
            self._count(forms, result)
            return result
        return self._save(forms, result)

    def _form(self, number: int, cells: dict[str, str], result: ImportResult) -> EnterpriseForm | None:
        data, problems = self._data(cells)
        for column, message in problems:
            result.errors.append(RowError(number, column, message))
        form = EnterpriseForm(data, instance=self._existing(data), user=self.user)
        if not form.is_valid():
            reported = {column for column, _message in problems}
            for name, messages in form.errors.items():
                column = next((c.header for c in COLUMNS if c.key == name), "")
                if column not in reported:  # a cell already said what is wrong with it
                    result.errors.extend(RowError(number, column, message) for message in messages)
        return form

    def _data(self, cells: dict[str, str]) -> tuple[dict, list[tuple[str, str]]]:
        """The row as form data, and what could not be read into it (column, message)."""
        problems = []
        region = self.regions.get(cells.get("区划代码", ""))
        data = {
            "name": cells.get("企业名称", ""),
            "credit_code": cells.get("统一社会信用代码", ""),
            "region": region.pk if region else cells.get("区划代码", ""),
            "headquarters": cells.get("总部所在地", ""),
            "contact_name": cells.get("联系人", ""),
            "contact_phone": cells.get("联系电话", ""),
            "notes": cells.get("备注", ""),
        }
        if cells.get("区划代码") and region is None:
            problems.append(
                ("区划代码", _("区划代码 %(code)s 不存在或不在您的管辖范围内。") % {"code": cells["区划代码"]})
            )
        data["size"] = self._choice(cells, "企业规模", Size, problems)
        data["contact_status"] = self._choice(cells, "对接状态", ContactStatus, problems) or ContactStatus.NOT_CONTACTED
        for flag in FLAGS:
            header = next(c.header for c in COLUMNS if c.key == flag)
            value = cells.get(header, "")
            if value not in ("", YES, NO):
                problems.append((header, _("请填写“是”或“否”。")))
            data[flag] = value == YES
        data["promoter"] = self._promoter(cells.get("招商专员账号", ""), problems)
        data["chain_links"] = self._links(cells.get("产业链环节", ""), region, problems)
        return data, problems

    def _choice(self, cells, header: str, choices, problems) -> str:
        """A choice written as its label (as exported) or its stored value."""
        value = cells.get(header, "")
        if not value:
            return ""
        by_text = {str(label): key for key, label in choices.choices} | {key: key for key in choices.values}
        if value not in by_text:
            options = "、".join(str(label) for label in choices.labels)
            problems.append(
                (header, _("“%(value)s”不是有效选项（可填：%(options)s）。") % {"value": value, "options": options})
            )
        return by_text.get(value, "")

    def _promoter(self, username: str, problems) -> int | None:
        if username and username not in self.promoters:
            problems.append(("招商专员账号", _("账号 %(name)s 不是您区划范围内的招商专员。") % {"name": username}))
        return self.promoters.get(username)

    def _links(self, text: str, region: Region | None, problems) -> list[int]:
        """Chain links written "产业链·环节", separated by "；": the nearest chain of the row's region wins."""
        found = []
        for label in filter(None, (part.strip() for part in text.replace(";", LINK_SEPARATOR).split(LINK_SEPARATOR))):
            link = self._link(label, region)
            if link is None:
                problems.append(
                    ("产业链环节", _("找不到产业链环节“%(label)s”（格式：产业链·环节）。") % {"label": label})
                )
            else:
                found.append(link.pk)
        return found

    def _link(self, label: str, region: Region | None) -> ChainLink | None:
        candidates = [link for link in self.links if link_label(link) == label]
        if region is not None:
            codes = ancestor_codes(region)
            near = [link for link in candidates if link.chain.region.code in codes]
            candidates = sorted(near, key=lambda link: -link.chain.region.depth) or candidates
        return candidates[0] if candidates else None

    def _existing(self, data: dict) -> TargetEnterprise | None:
        region = data["region"]
        if not isinstance(region, int):
            return None
        key = Q(credit_code=data["credit_code"].upper()) if data["credit_code"] else Q(name=data["name"])
        queryset = TargetEnterprise.objects.visible_to(self.user).filter(key, region_id=region)
        return queryset.first()

    def _refuse_duplicates(self, rows, result: ImportResult) -> None:
        """The same enterprise twice in one file: the second row would silently overwrite the first."""
        seen: dict[tuple, int] = {}
        for number, cells in rows:
            code, name = cells.get("统一社会信用代码", "").upper(), cells.get("企业名称", "")
            for key in filter(
                None, [code and ("code", cells.get("区划代码"), code), ("name", cells.get("区划代码"), name)]
            ):
                if key in seen:
                    message = _("与第 %(row)s 行是同一家企业，请合并为一行。") % {"row": seen[key]}
                    result.errors.append(RowError(number, "企业名称", message))
                    break
                seen[key] = number

    @staticmethod
    def _count(forms, result: ImportResult) -> None:
        for _number, form in forms:
            if form.instance.pk:
                result.updated += 1
            else:
                result.created += 1

    def _save(self, forms, result: ImportResult) -> ImportResult:
        self._count(forms, result)
        try:
            with transaction.atomic():
                for _number, form in forms:
                    form.instance._history_user = self.user
                    form.save()
        except IntegrityError:
            # Someone saved a clashing enterprise meanwhile: nothing of this file was kept.
            result.created = result.updated = 0
            result.errors.append(RowError(0, "", _("保存时与他人同时录入的企业冲突，本次导入未保存任何数据，请重试。")))
            return result
        result.saved = True
        return result
