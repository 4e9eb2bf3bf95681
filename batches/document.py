"""The printed list of a batch event as a Word document.

A title, the date line, a summary sentence, then per batch a heading with its count and total, a table
(序号 / 项目名称 / 项目单位 / 总投资（亿元） / 所在地) and a "合计" line. Chinese text is set in 仿宋_GB2312
(headings in 黑体) through ``w:eastAsia``, the attribute Word reads for CJK characters; the font table names
仿宋 as the alternative, so a machine without the GB2312 cut uses the system's 仿宋 (FangSong), and
LibreOffice falls back on Noto Serif CJK SC through fontconfig.
"""

import io

from django.utils.translation import gettext as _
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from lxml import etree

from .exports import entries_by_kind, event_note, yi
from .models import BatchEvent, BatchTotals

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
# Font -> the name Word falls back on where it is not installed (w:altName in the font table).
ALT_NAMES = {"仿宋_GB2312": "仿宋", "黑体": "SimHei"}
FALLBACKS = ["仿宋_GB2312", "仿宋", "FangSong", "Noto Serif CJK SC"]
ORDINALS = "一二三四五六七八九"
COLUMN_WIDTHS = [Mm(12), Mm(62), Mm(48), Mm(24), Mm(20)]


def set_font(target, name: str, size: float | None = None, bold: bool | None = None) -> None:
    """A run's or a style's font: ``name`` for Chinese (w:eastAsia), Times New Roman for Latin and digits."""
    font = target.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    fonts = target.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _register_alt_names(document) -> None:
    """Add the CJK fonts to the font table with their alternative names (GB2312 charset)."""
    part = next(rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/fontTable"))
    root = etree.fromstring(part.blob)
    for name, alt in ALT_NAMES.items():
        font = etree.SubElement(root, qn("w:font"), {qn("w:name"): name})
        etree.SubElement(font, qn("w:altName"), {qn("w:val"): alt})
        etree.SubElement(font, qn("w:charset"), {qn("w:val"): "86"})
        etree.SubElement(font, qn("w:family"), {qn("w:val"): "modern"})
    # python-docx keeps the font table as an opaque part: its bytes are replaced whole.
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _paragraph(document, text: str, *, font=BODY_FONT, size=16, bold=False, align=None, space_after=0):
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(space_after)
    set_font(paragraph.add_run(text), font, size, bold)
    return paragraph


def _cell(cell, text: str, *, bold=False, align=WD_ALIGN_PARAGRAPH.LEFT) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    set_font(paragraph.add_run(text), HEADING_FONT if bold else BODY_FONT, 12, bold)


def table_headings() -> list[str]:
    return [_("序号"), _("项目名称"), _("项目单位"), _("总投资（亿元）"), _("所在地")]


def _summary_sentence(totals: list[BatchTotals]) -> str:
    part = _("%(batch)s %(count)s 个、总投资 %(yi)s 亿元")
    parts = [part % {"batch": batch.label, "count": batch.count, "yi": batch.total_yi} for batch in totals]
    return _("本次活动共%(parts)s。") % {"parts": "；".join(parts)}


def _batch_table(document, entries) -> None:
    table = document.add_table(rows=1, cols=len(COLUMN_WIDTHS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, heading in zip(table.rows[0].cells, table_headings(), strict=True):
        _cell(cell, heading, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for index, entry in enumerate(entries, start=1):
        cells = table.add_row().cells
        _cell(cells[0], str(index), align=WD_ALIGN_PARAGRAPH.CENTER)
        _cell(cells[1], entry.name)
        _cell(cells[2], entry.owner_name)
        _cell(cells[3], f"{yi(entry.total_investment):.2f}", align=WD_ALIGN_PARAGRAPH.RIGHT)
        _cell(cells[4], entry.location)
    for row in table.rows:
        for cell, width in zip(row.cells, COLUMN_WIDTHS, strict=True):
            cell.width = width


def _page_setup(document) -> None:
    """A4 with the GB/T 9704 margins."""
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    set_font(document.styles["Normal"], BODY_FONT, 16)


def batch_document(event: BatchEvent) -> bytes:
    document = Document()
    _page_setup(document)
    _register_alt_names(document)
    totals = event.totals()
    entries = entries_by_kind(event)
    _paragraph(document, event.name, font=HEADING_FONT, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    _paragraph(document, event_note(event), size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    _paragraph(document, _summary_sentence(totals), space_after=6)
    for ordinal, batch in zip(ORDINALS, totals, strict=False):
        heading = _("%(n)s、%(batch)s（%(line)s）") % {"n": ordinal, "batch": batch.label, "line": batch.line}
        _paragraph(document, heading, font=HEADING_FONT, space_after=6)
        if entries[batch.kind]:
            _batch_table(document, entries[batch.kind])
        else:
            _paragraph(document, _("（本批次暂无项目）"), size=14)
        _paragraph(document, _("合计：%(line)s") % {"line": batch.line}, size=14, bold=True, space_after=12)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
