"""Hostile uploads to 台账导入: each refused with its own message, and nothing saved — no import, no file, no project.

Oversize files, zip bombs, macros (.xlsm content type, vbaProject.bin, an xls VBA storage), password-protected
workbooks, files that only carry a spreadsheet's extension (PDF, picture, program, Word, HTML, binary junk),
sheets too large to load, and formulas: a formula in a data row is refused cell by cell in the dry run.
"""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled
from openpyxl import Workbook

from imports import files
from imports.models import ImportStatus, LedgerImport
from projects.models import Project

from .conftest import login_client, reload
from .test_imports import check, csv_file, latest_import, upload, xlsx

HEAD = ["项目名称", "总投资（万元）", "项目类别"]


@pytest.fixture
def coordinator(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return login_client(cast.users.coordinator)


def _ok_workbook() -> bytes:
    return xlsx([HEAD, ["交城县物流仓储中心", 100, "产业"]]).read()


def _with_members(base: bytes, extra: dict[str, bytes], content_types: bytes | None = None) -> bytes:
    """The workbook ``base`` with members added (or [Content_Types].xml replaced)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml" and content_types is not None:
                data = content_types
            target.writestr(info.filename, data)
        for name, data in extra.items():
            target.writestr(name, data)
    return out.getvalue()


def _zip_bomb() -> bytes:
    """A "workbook" whose sheet unpacks from a few KB to 40 MB of zeros."""
    return _with_members(_ok_workbook(), {"xl/worksheets/sheet9.xml": b"0" * 40 * 1024 * 1024})


def _declared_huge() -> bytes:
    """Many well-compressed members that add up past the unpacked limit (each under the ratio check)."""
    members = {f"xl/media/image{i}.bin": bytes(range(256)) * 4096 * 16 for i in range(10)}  # 16 MB each
    return _with_members(_ok_workbook(), members)


def _xlsm() -> bytes:
    content_types = (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Override PartName="/xl/workbook.xml" '
        b'ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>'
    )
    return _with_members(_ok_workbook(), {}, content_types=content_types)


def _ole(*names: str) -> bytes:
    """The start of an OLE2 compound file with directory entries named ``names`` (UTF-16, as Office writes them)."""
    entries = b"".join(name.encode("utf-16-le").ljust(64, b"\0") + b"\0" * 64 for name in names)
    return files.OLE_MAGIC + b"\0" * 504 + entries


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<w:document/>")
    return out.getvalue()


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("台账.txt", "不是表格".encode())
    return out.getvalue()


def _wide_sheet() -> bytes:
    book = Workbook()
    book.active.append(HEAD)
    book.active.cell(row=2, column=files.MAX_COLUMNS + 5, value="远处的单元格")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _long_sheet() -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEAD)
    for number in range(files.MAX_DATA_ROWS + files.HEADER_ROWS + 1):
        sheet.append([f"项目{number}"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


MACROS = "文件含有宏（VBA 代码），出于安全考虑不能导入。请在 Excel 中另存为不含宏的 .xlsx 工作簿后再上传。"
NOT_A_SHEET = "文件不是 Excel、ODS 或 CSV 表格文件（按文件内容识别，与扩展名无关），请检查后重新上传。"
ENCRYPTED = "文件设置了打开密码（已加密），无法读取。请在 Excel 中取消密码后再上传。"


def _is(what: str) -> str:
    return f"文件实际是{what}，不是表格文件。请上传 Excel（.xlsx、.xls）、WPS/LibreOffice（.ods）或 CSV 文件。"


HOSTILE = [
    ("zip-bomb", "台账.xlsx", _zip_bomb, "疑似“压缩炸弹”"),
    ("declared-huge", "台账.xlsx", _declared_huge, "疑似“压缩炸弹”"),
    ("vba-project", "台账.xlsx", lambda: _with_members(_ok_workbook(), {"xl/vbaProject.bin": b"\xd0\xcf"}), MACROS),
    ("xlsm-content-type", "台账.xlsm", _xlsm, MACROS),
    ("xls-with-vba", "台账.xls", lambda: _ole("Root Entry", "Workbook", "_VBA_PROJECT_CUR"), MACROS),
    ("encrypted-xlsx", "台账.xlsx", lambda: _ole("Root Entry", "EncryptedPackage", "EncryptionInfo"), ENCRYPTED),
    ("word-in-ole", "台账.xls", lambda: _ole("Root Entry", "WordDocument"), _is("Word 文档")),
    ("pdf", "台账.xlsx", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", _is("PDF")),
    ("png", "台账.csv", lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 64, _is("图片")),
    ("exe", "台账.xls", lambda: b"MZ\x90\x00\x03" + b"\0" * 64, _is("可执行程序")),
    ("docx", "台账.xlsx", _docx, _is("Word 文档")),
    ("plain-zip", "台账.xlsx", _plain_zip, _is("压缩包")),
    ("binary-junk", "台账.csv", lambda: bytes(range(256)) * 8, NOT_A_SHEET),
    (
        "html-as-xls",
        "台账.xls",
        lambda: "<html><body><table><tr><td>项目名称</td></tr></table></body></html>".encode(),
        "文件是网页（HTML/XML）格式，只是扩展名为表格。请在 Excel 中打开后“另存为” .xlsx 再上传。",
    ),
    ("empty", "台账.xlsx", lambda: b"", "提交的是空文件。"),
    ("wide", "台账.xlsx", _wide_sheet, f"工作表有 {files.MAX_COLUMNS + 5} 列，超过了 {files.MAX_COLUMNS} 列的上限"),
    (
        "long",
        "台账.xlsx",
        _long_sheet,
        f"工作表有 {files.MAX_DATA_ROWS + files.HEADER_ROWS + 2} 行，超过了一次导入 {files.MAX_DATA_ROWS} 行的上限",
    ),
]


def _state() -> tuple:
    with scopes_disabled():
        return LedgerImport.objects.count(), sorted(Project.objects.values_list("pk", "updated_at"))


@pytest.mark.parametrize(("name", "filename", "make", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_file_is_refused_with_its_message_and_nothing_is_saved(
    cast, coordinator, settings, name, filename, make, message
):
    before = _state()

    response = upload(coordinator, SimpleUploadedFile(filename, make()))

    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1 and message in errors[0], errors
    assert _state() == before
    assert not (settings.MEDIA_ROOT / "imports").exists()  # no file kept either


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(cast, coordinator, monkeypatch):
    monkeypatch.setattr(files, "MAX_BYTES", 2 * 1024 * 1024)
    before = _state()

    response = upload(coordinator, SimpleUploadedFile("台账.xlsx", b"PK\x03\x04" + b"\0" * (3 * 1024 * 1024)))

    assert response.context["form"].errors["file"] == [
        "文件大小 3 MB，超过了 2 MB 的上限，请删除无关的工作表或分批导入。"
    ]
    assert _state() == before


def test_the_size_limit_is_twenty_megabytes_unless_settings_say_otherwise():
    assert files.MAX_BYTES == 20 * 1024 * 1024


def test_a_formula_in_a_data_row_is_refused_cell_by_cell_and_nothing_is_saved(cast, coordinator):
    rows = [
        ["交城县2026年重点项目台账"],
        HEAD,
        ["交城县物流仓储中心", 1000, "产业"],
        ["交城县冷链物流园", "=B3*2", "产业"],
        ['=HYPERLINK("http://evil.example","点我")', 500, "产业"],
        ["合计", "=SUM(B3:B5)", None],  # a formula in the totals row is fine: the row is skipped
    ]
    upload(coordinator, xlsx(rows))
    ledger_import = latest_import()
    before = _state()

    check(coordinator, ledger_import)

    ledger_import = reload(ledger_import)
    formula = "该单元格是公式，不能导入；请在 Excel 中复制后“选择性粘贴为数值”再上传。"
    assert ledger_import.errors == [
        {"row": 4, "column": "B", "field": "总投资", "message": formula},
        {"row": 5, "column": "A", "field": "项目名称", "message": formula},
    ]
    assert (ledger_import.status, ledger_import.create_count, ledger_import.error_count) == (ImportStatus.CHECKED, 1, 2)
    response = coordinator.post(reverse("imports:apply", kwargs={"pk": ledger_import.pk}))
    assert response.status_code == 302
    assert _state() == before


def test_text_that_looks_like_a_formula_in_a_csv_is_refused_as_a_value(cast, coordinator):
    upload(coordinator, csv_file([HEAD, ["=cmd|' /C calc'!A0", "100", "产业"], ["正常项目", "=1+1", "产业"]]))
    ledger_import = latest_import()

    check(coordinator, ledger_import)

    message = "内容以“=”开头，疑似公式，不能导入；请改为数值或文字。"
    assert reload(ledger_import).errors == [
        {"row": 2, "column": "A", "field": "项目名称", "message": message},
        {"row": 3, "column": "B", "field": "总投资", "message": message},
    ]


def test_a_damaged_workbook_is_refused(cast, coordinator):
    damaged = _ok_workbook()[:3000]  # cut short: the zip's directory is gone

    response = upload(coordinator, SimpleUploadedFile("台账.xlsx", damaged))

    assert response.context["form"].errors["file"] == [NOT_A_SHEET]
