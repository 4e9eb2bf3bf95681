"""Uploaded ledger files: what a file really is, whether it is safe to open, and its cells.

Refused before any spreadsheet library opens them, each with its own message:
- a file over ``MAX_BYTES`` (``settings.LEDGER_IMPORT_MAX_BYTES``, 20 MB by default);
- anything that is not, by its first bytes, an xlsx/ods workbook (a zip), an xls workbook (an OLE2
  compound file) or a CSV text file — the extension is not trusted, a PDF named ``台账.xlsx`` is refused;
- a zip whose declared uncompressed sizes betray a zip bomb (too large in all, or one member
  compressed more than ``MAX_RATIO`` times), read from the central directory without unpacking anything;
- workbooks with macros: a macro-enabled content type (.xlsm), a ``vbaProject.bin`` part, an xls VBA
  storage, ODS Basic scripts; and password-protected workbooks (which cannot be read anyway);
- sheets larger than ``MAX_DATA_ROWS`` rows or ``MAX_COLUMNS`` columns, checked in the sheet XML before
  calamine builds its (dense) cell range.

Reading: python-calamine for the values and the merged ranges (Rust, ~10x faster than openpyxl); for
xlsx the sheet XML is also scanned once for formula cells, because calamine returns only the cached
value of a formula. A CSV is decoded as UTF-8 (with or without BOM), else GB18030 (a superset of GBK,
what Excel on a Chinese Windows writes), with the delimiter sniffed.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

import python_calamine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_BYTES = getattr(settings, "LEDGER_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# A 10,000-row ledger unpacks to ~10 MB of XML; a sheet of 100 MB is no ledger.
MAX_UNZIPPED_BYTES = 150 * 1024 * 1024
MAX_RATIO = 100  # sheet XML compresses 10-30 times; a bomb thousands of times
MAX_MEMBERS = 2000
MAX_DATA_ROWS = 20_000
MAX_COLUMNS = 120
HEADER_ROWS = 20  # rows above the data that a title, notes and headers may take

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
KINDS = ("xlsx", "xls", "ods", "csv")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


# Directory entry names inside an OLE2 file (UTF-16): VBA storages and an encrypted OOXML package.
OLE_VBA = (_utf16("_VBA_PROJECT_CUR"), _utf16("_VBA_PROJECT"))
OLE_ENCRYPTED = _utf16("EncryptedPackage")
# Other formats people upload by mistake, named in the refusal.
KNOWN_MAGIC = {
    b"%PDF": "PDF",
    b"MZ": gettext_lazy("可执行程序"),
    b"\x89PNG": gettext_lazy("图片"),
    b"\xff\xd8\xff": gettext_lazy("图片"),
    b"GIF8": gettext_lazy("图片"),
    b"Rar!": gettext_lazy("RAR 压缩包"),
    b"7z\xbc\xaf": gettext_lazy("7z 压缩包"),
    b"\x1f\x8b": gettext_lazy("gzip 压缩包"),
    b"\x7fELF": gettext_lazy("可执行程序"),
}


class Refused(ValidationError):
    """The file as a whole is refused; nothing is stored."""


def _refuse(message: str) -> Refused:
    return Refused(message)


def not_a_spreadsheet(what: str = "") -> Refused:
    if what:
        return _refuse(
            _("文件实际是%(what)s，不是表格文件。请上传 Excel（.xlsx、.xls）、WPS/LibreOffice（.ods）或 CSV 文件。")
            % {"what": what}
        )
    return _refuse(_("文件不是 Excel、ODS 或 CSV 表格文件（按文件内容识别，与扩展名无关），请检查后重新上传。"))


# ---- what the file is ------------------------------------------------------------------------


def check_upload(upload) -> str:
    """The kind of the uploaded file ("xlsx", "xls", "ods", "csv"), or Refused saying why it may not be opened."""
    if upload.size > MAX_BYTES:
        raise _refuse(
            _("文件大小 %(size)s MB，超过了 %(max)s MB 的上限，请删除无关的工作表或分批导入。")
            % {"size": _mb(upload.size), "max": _mb(MAX_BYTES)}
        )
    if upload.size == 0:
        raise _refuse(_("文件是空的。"))
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    try:
        if head.startswith(ZIP_MAGIC):
            return _check_zip(upload)
        if head.startswith(OLE_MAGIC):
            return _check_ole(upload)
        for magic, what in KNOWN_MAGIC.items():
            if head.startswith(magic):
                raise not_a_spreadsheet(str(what))
        _check_text(upload)
        return "csv"
    finally:
        upload.seek(0)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


def _check_zip(upload) -> str:
    try:
        with zipfile.ZipFile(upload) as archive:
            infos = archive.infolist()
            _check_bomb(infos)
            names = {info.filename for info in infos}
            kind = _zip_kind(archive, names)
            _check_macros(archive, names, kind)
            return kind
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, KeyError):
        raise not_a_spreadsheet() from None


def _check_bomb(infos) -> None:
    total = sum(info.file_size for info in infos)
    squeezed = any(
        info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1) for info in infos
    )
    if len(infos) > MAX_MEMBERS or total > MAX_UNZIPPED_BYTES or squeezed:
        raise _refuse(
            _("文件解压后异常膨胀（声明的解压大小 %(size)s MB），疑似“压缩炸弹”，已拒绝。请上传正常保存的表格文件。")
            % {"size": _mb(total)}
        )


def _zip_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise _refuse(_("不支持 Excel 二进制工作簿（.xlsb），请在 Excel 中另存为 .xlsx 后再上传。"))
    if _read_small(archive, "mimetype").startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return "ods"
    if "word/document.xml" in names:
        raise not_a_spreadsheet(_("Word 文档"))
    if "ppt/presentation.xml" in names:
        raise not_a_spreadsheet(_("PowerPoint 演示文稿"))
    raise not_a_spreadsheet(_("压缩包"))


MACRO_REFUSAL = gettext_lazy(
    "文件含有宏（VBA 代码），出于安全考虑不能导入。请在 Excel 中另存为不含宏的 .xlsx 工作簿后再上传。"
)


def _check_macros(archive: zipfile.ZipFile, names: set[str], kind: str) -> None:
    lowered = {name.lower() for name in names}
    if any(name.endswith("vbaproject.bin") or name.endswith("vbadata.xml") for name in lowered):
        raise _refuse(str(MACRO_REFUSAL))
    if kind == "xlsx" and b"macroenabled" in _read_small(archive, "[Content_Types].xml").lower():
        raise _refuse(str(MACRO_REFUSAL))
    if kind == "ods" and any(name.startswith(("basic/", "scripts/")) for name in lowered):
        raise _refuse(str(MACRO_REFUSAL))


def _read_small(archive: zipfile.ZipFile, name: str, limit: int = 1024 * 1024) -> bytes:
    try:
        with archive.open(name) as member:
            return member.read(limit)
    except KeyError:
        return b""


def _check_ole(upload) -> str:
    data = upload.read()
    if OLE_ENCRYPTED in data:
        raise _refuse(_("文件设置了打开密码（已加密），无法读取。请在 Excel 中取消密码后再上传。"))
    if any(marker in data for marker in OLE_VBA):
        raise _refuse(str(MACRO_REFUSAL))
    if _utf16("WordDocument") in data:
        raise not_a_spreadsheet(_("Word 文档"))
    if _utf16("Workbook") not in data and _utf16("Book") not in data:
        raise not_a_spreadsheet()
    return "xls"


def _check_text(upload) -> None:
    head = upload.read(64 * 1024)
    if b"\x00" in head:
        raise not_a_spreadsheet()
    text = _decode(head, partial=True)
    if text is None:
        raise not_a_spreadsheet()
    if text.lstrip("\ufeff \r\n\t").lower().startswith(("<!doctype", "<html", "<?xml", "<table")):
        raise _refuse(_("文件是网页（HTML/XML）格式，只是扩展名为表格。请在 Excel 中打开后“另存为” .xlsx 再上传。"))


def _decode(data: bytes, partial: bool = False) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            # The 64 KB sample may cut a multi-byte character in two at its very end.
            if partial and exc.start >= len(data) - 3:
                return data[: exc.start].decode(encoding, errors="strict")
    return None


# ---- reading the cells -----------------------------------------------------------------------


@dataclass
class Table:
    """One sheet's cells: ``rows[0]`` is sheet row 1 and ``rows[r][0]`` column A; empty cells are ""."""

    rows: list[list]
    sheet: str
    sheet_names: list[str]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row0, col0, row1, col1), 0-based
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, col), 0-based

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows[: HEADER_ROWS + 50]), default=0)


def read_table(fileobj, kind: str, sheet: str = "") -> Table:
    """The chosen sheet (or the first one with cells) of a checked file."""
    fileobj.seek(0)
    if kind == "csv":
        return _read_csv(fileobj)
    data = fileobj.read()
    formulas: set[tuple[int, int]] = set()
    if kind == "xlsx":
        sheet, formulas = _scan_xlsx(data, sheet)
    elif kind == "ods" and b"table:formula=" in _ods_content(data):
        raise _refuse(_("文件含公式。请在表格软件中把公式单元格复制后“选择性粘贴为数值”，再上传。"))
    try:
        return _read_calamine(data, sheet, formulas)
    except python_calamine.PasswordError:
        raise _refuse(_("文件设置了打开密码（已加密），无法读取。请在 Excel 中取消密码后再上传。")) from None
    except Refused:
        raise
    except Exception:  # calamine's errors on a damaged file are many and undocumented
        raise _refuse(_("文件已损坏或格式异常，无法读取。请在 Excel 中打开并另存为 .xlsx 后再上传。")) from None


def _read_calamine(data: bytes, sheet: str, formulas: set) -> Table:
    with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
        names = [meta.name for meta in book.sheets_metadata if meta.typ == python_calamine.SheetTypeEnum.WorkSheet]
        if not names:
            raise _refuse(_("文件中没有工作表。"))
        chosen = book.get_sheet_by_name(_pick_sheet(book, names, sheet))
        _check_dimensions(chosen.total_height, chosen.total_width)
        merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in chosen.merged_cell_ranges or []]
        rows = chosen.to_python(skip_empty_area=False)
    return Table(rows, chosen.name, names, merged, formulas)


def _pick_sheet(book, names: list[str], wanted: str) -> str:
    if wanted in names:
        return wanted
    # The first sheet with any cell: a blank cover sheet or an empty "Sheet1" before the ledger is common.
    for name in names:
        if book.get_sheet_by_name(name).height:
            return name
    return names[0]


def _check_dimensions(height: int, width: int) -> None:
    if height > MAX_DATA_ROWS + HEADER_ROWS:
        raise _refuse(
            _("工作表有 %(rows)s 行，超过了一次导入 %(max)s 行的上限，请分批导入。")
            % {"rows": height, "max": MAX_DATA_ROWS}
        )
    if width > MAX_COLUMNS:
        raise _refuse(
            _("工作表有 %(cols)s 列，超过了 %(max)s 列的上限；请删除无关的列后再上传。")
            % {"cols": width, "max": MAX_COLUMNS}
        )


# --- xlsx: the sheet XML, for formulas and the true extent of the cells ---

SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
CELL_OR_FORMULA = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})(\d+)\"|<(?:\w+:)?f[\s>/]")
ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"(\d+)\"")


def _scan_xlsx(data: bytes, wanted: str) -> tuple[str, set[tuple[int, int]]]:
    """(sheet name, formula cells) for the sheet calamine will read; refuses a sheet too large to load."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = _xlsx_sheets(archive)
        if not sheets:
            return wanted, set()
        name, path = next(((n, p) for n, p in sheets if n == wanted), (None, None))
        if name is None:
            name, path = _first_filled_sheet(archive, sheets)
        xml = _read_member(archive, path)
    widest, formulas = _cells_scan(xml)
    _check_dimensions(_last_row(xml), widest)
    return name, formulas


def _xlsx_sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, member path) of each sheet in workbook order."""
    workbook, rels = _read_small(archive, "xl/workbook.xml"), _read_small(archive, "xl/_rels/workbook.xml.rels")
    targets = {}
    for tag in REL_TAG.findall(rels):
        rid, target = re.search(rb'\bId="([^"]+)"', tag), re.search(rb'\bTarget="([^"]+)"', tag)
        if rid and target:
            path = target.group(1).decode("utf-8", "replace").lstrip("/")
            targets[rid.group(1)] = path if path.startswith("xl/") else f"xl/{path}"
    sheets = []
    for tag in SHEET_TAG.findall(workbook):
        name, rid = re.search(rb'\bname="([^"]*)"', tag), re.search(rb'\br:id="([^"]+)"', tag)
        if name and rid and rid.group(1) in targets:
            sheets.append((_unescape(name.group(1).decode("utf-8", "replace")), targets[rid.group(1)]))
    return sheets


def _unescape(text: str) -> str:
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


def _first_filled_sheet(archive: zipfile.ZipFile, sheets: list[tuple[str, str]]) -> tuple[str, str]:
    for name, path in sheets:
        if b"<c " in _read_small(archive, path, limit=64 * 1024):
            return name, path
    return sheets[0]


def _read_member(archive: zipfile.ZipFile, path: str) -> bytes:
    try:
        with archive.open(path) as member:
            data = member.read(MAX_UNZIPPED_BYTES + 1)
    except KeyError:
        return b""
    if len(data) > MAX_UNZIPPED_BYTES:
        raise _refuse(_("工作表内容过大，请删除无关的行、列后再上传。"))
    return data


def _last_row(xml: bytes) -> int:
    # Rows come in order: the last 64 KB hold the last one.
    tail = [int(m.group(1)) for m in ROW_TAG.finditer(xml, max(0, len(xml) - 64 * 1024))]
    return max(tail) if tail else max((int(m.group(1)) for m in ROW_TAG.finditer(xml)), default=0)


def _cells_scan(xml: bytes) -> tuple[int, set[tuple[int, int]]]:
    """(widest column number, formula cells as 0-based (row, col)): each <f> belongs to the <c> opened before it."""
    widest, formulas, cell = b"", set(), None
    for match in CELL_OR_FORMULA.finditer(xml):
        if match.group(1):
            cell = match
            if (len(match.group(1)), match.group(1)) > (len(widest), widest):
                widest = match.group(1)
        elif cell is not None:
            formulas.add((int(cell.group(2)) - 1, column_number(cell.group(1).decode()) - 1))
    return (column_number(widest.decode()) if widest else 0), formulas


def _ods_content(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return _read_member(archive, "content.xml")


# --- csv ---


def _read_csv(fileobj) -> Table:
    text = _decode(fileobj.read())
    if text is None:
        raise not_a_spreadsheet()
    sample = text[: 16 * 1024]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = []
    for row in csv.reader(io.StringIO(text, newline=""), dialect):
        rows.append(row)
        if len(rows) > MAX_DATA_ROWS + HEADER_ROWS:
            _check_dimensions(len(rows), 0)
    _check_dimensions(len(rows), max((len(row) for row in rows), default=0))
    return Table(rows, "", [])


# ---- column letters --------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 → "A", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """ "A" → 1, "AA" → 27."""
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number
