"""The bulletin as a Word document in the layout of GB/T 9704-2012 (党政机关公文格式).

- A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; a grid of 22 lines of 28 characters.
- 版头: the issuing office (发文机关标志) in red 小标宋, centred, 35 mm below the top of the text area; two
  lines below it the document number (发文字号 交重点办〔2026〕3号), and 4 mm below that a red line as wide
  as the text area.
- The title in 2号小标宋 two lines below the red line; the addressees flush left one line below; the body in
  3号仿宋_GB2312 with a two-character first-line indent; first-level headings "一、" in 黑体, second-level
  "（一）" in 楷体_GB2312; tables in 小四 (五号 where they have many columns) with the header row repeated on
  every page; the signature (署名, 成文日期) two characters from the right; the colophon (版记) between rules.
- Page numbers "— 1 —" in 4号宋体 below the text area, right on odd pages and left on even ones.

Chinese text takes its font from ``w:eastAsia`` (``w:ascii``/``w:hAnsi`` only cover Latin letters and
digits, set to Times New Roman). The font table gives each official font the name Windows has for it
(``w:altName``: 仿宋, 楷体, 黑体, 宋体) and the GB2312 charset, so Word on a machine without the _GB2312
cuts substitutes the system's own; LibreOffice falls back through fontconfig on Noto Serif/Sans CJK SC.

Tables are written as WordprocessingML directly (one string per table, parsed once): python-docx's cell
objects cost milliseconds each, and a city's red list has hundreds of rows.
"""

import io
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

from .content import document_number, signature_date

LATIN = "Times New Roman"
SONG = "宋体"
FANGSONG = "仿宋_GB2312"
KAITI = "楷体_GB2312"
HEITI = "黑体"
XIAOBIAOSONG = "方正小标宋简体"
# The name Windows has for each official font, and the font family hint (w:altName, w:family).
ALT_NAMES = {
    FANGSONG: ("仿宋", "modern"),
    KAITI: ("楷体", "modern"),
    HEITI: ("SimHei", "modern"),
    XIAOBIAOSONG: ("宋体", "roman"),
    SONG: ("SimSun", "auto"),
}
RED = RGBColor(0xFF, 0x00, 0x00)

# 字号 in points.
SIZE_2, SIZE_3, SIZE_4, SIZE_SMALL_4, SIZE_5 = 22, 16, 14, 12, 10.5
LINE = 29  # points: 22 lines on the 225 mm text area
CHAR = SIZE_3  # one character of the body, for indents
TEXT_WIDTH_MM = 156  # 210 - 28 - 26
TEXT_WIDTH_TWIPS = round(TEXT_WIDTH_MM / 25.4 * 1440)
MASTHEAD_SIZE = 32
MASTHEAD_SPACE_MM = 35
# Tables with more columns than this are set in 五号 instead of 小四.
WIDE_TABLE = 7


# ---- the document ----


def render_docx(content: dict) -> bytes:
    document = Document()
    _page_setup(document)
    _styles(document)
    _font_table(document)
    _page_numbers(document)
    meta = content["meta"]
    _masthead(document, meta)
    for block in content["blocks"]:
        BLOCKS[block["kind"]](document, block)
    _signature(document, meta)
    _colophon(document, meta)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page_setup(document) -> None:
    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    # The page number's rule sits 7 mm below the text area: 35 - 7 mm, less the number's own height.
    section.footer_distance = Mm(23)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = etree.SubElement(section._sectPr, qn("w:docGrid"))
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE * 20))


# ---- styles ----


def _fonts(element, east_asia: str, latin: str = LATIN) -> None:
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


# The order WordprocessingML demands of a paragraph's properties (Word refuses a file that breaks it).
PPR_ORDER = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl", "w:numPr",
    "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
    "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
    "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
    "w:sectPr", "w:pPrChange",
)  # fmt: skip


def _add_to_ppr(p_pr, tag: str):
    """A new child of a paragraph's properties, in its place in ``PPR_ORDER``."""
    child = OxmlElement(tag)
    p_pr.insert_element_before(child, *PPR_ORDER[PPR_ORDER.index(tag) + 1 :])
    return child


def _no_grid(style) -> None:
    """Off the document grid: otherwise every table line and the masthead would be a whole grid line high."""
    _add_to_ppr(style.element.get_or_add_pPr(), "w:snapToGrid").set(qn("w:val"), "0")


def _style(document, name: str, font: str, size: float, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True,
           line: float | None = LINE, before: float = 0, after: float = 0, bold: bool = False, color=None,
           keep_next: bool = False, grid: bool = True):  # fmt: skip
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.quick_style = True
    _fonts(style.element, font)
    style.font.size = Pt(size)
    style.font.bold = bold
    if color is not None:
        style.font.color.rgb = color
    paragraph = style.paragraph_format
    paragraph.alignment = align
    paragraph.first_line_indent = Pt(CHAR * 2) if indent else Pt(0)
    paragraph.space_before, paragraph.space_after = Pt(before), Pt(after)
    paragraph.keep_with_next = keep_next
    paragraph.widow_control = True
    if line is None:
        paragraph.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        paragraph.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        paragraph.line_spacing = Pt(line)
    if not grid:
        _no_grid(style)
    return style


CENTER, LEFT, RIGHT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT
OFF_GRID = {"indent": False, "line": None, "grid": False}
# Paragraph style -> (Chinese font, size in points, options for ``_style``).
STYLES = {
    "Bulletin Masthead": (XIAOBIAOSONG, MASTHEAD_SIZE, {**OFF_GRID, "align": CENTER, "color": RED,
                                                        "before": Mm(MASTHEAD_SPACE_MM).pt}),
    "Bulletin Number": (FANGSONG, SIZE_3, {"align": CENTER, "indent": False, "before": LINE * 2}),
    "Bulletin Title": (XIAOBIAOSONG, SIZE_2, {"align": CENTER, "indent": False, "line": 36, "before": LINE * 2,
                                              "after": LINE - 7}),
    "Bulletin Addressees": (FANGSONG, SIZE_3, {"align": LEFT, "indent": False}),
    "Bulletin Body": (FANGSONG, SIZE_3, {}),
    "Bulletin Heading 1": (HEITI, SIZE_3, {"keep_next": True}),
    "Bulletin Heading 2": (KAITI, SIZE_3, {"keep_next": True}),
    "Bulletin Caption": (HEITI, SIZE_4, {**OFF_GRID, "align": CENTER, "before": 6, "keep_next": True}),
    "Bulletin Unit": (FANGSONG, SIZE_SMALL_4, {**OFF_GRID, "align": RIGHT, "keep_next": True}),
    "Bulletin Table": (FANGSONG, SIZE_SMALL_4, {**OFF_GRID, "align": LEFT}),
    "Bulletin Table Head": (HEITI, SIZE_SMALL_4, {**OFF_GRID, "align": CENTER}),
    "Bulletin Table Small": (FANGSONG, SIZE_5, {**OFF_GRID, "align": LEFT}),
    "Bulletin Table Head Small": (HEITI, SIZE_5, {**OFF_GRID, "align": CENTER}),
    "Bulletin Signature": (FANGSONG, SIZE_3, {"align": RIGHT, "indent": False}),
    "Bulletin Colophon": (FANGSONG, SIZE_4, {**OFF_GRID, "align": LEFT}),
    "Bulletin Page Number": (SONG, SIZE_4, {**OFF_GRID, "align": RIGHT}),
}  # fmt: skip


def _styles(document) -> None:
    normal = document.styles["Normal"]
    _fonts(normal.element, FANGSONG)
    normal.font.size = Pt(SIZE_3)
    for name, (font, size, options) in STYLES.items():
        _style(document, name, font, size, **options)


def _font_table(document) -> None:
    """Each official font with its Windows name and the GB2312 charset (see the module docstring)."""
    part = next(rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/fontTable"))
    root = etree.fromstring(part.blob)
    for name, (alt, family) in ALT_NAMES.items():
        font = etree.SubElement(root, qn("w:font"), {qn("w:name"): name})
        etree.SubElement(font, qn("w:altName"), {qn("w:val"): alt})
        etree.SubElement(font, qn("w:charset"), {qn("w:val"): "86"})
        etree.SubElement(font, qn("w:family"), {qn("w:val"): family})
    # python-docx keeps the font table as an opaque part: its bytes are replaced whole.
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# ---- page numbers ----


def _page_number_xml(align: str, indent: str) -> str:
    run = '<w:r><w:t xml:space="preserve">{}</w:t></w:r>'
    field = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    return (
        f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="BulletinPageNumber"/><w:ind w:{indent}="{SIZE_4 * 20}"/>'
        f'<w:jc w:val="{align}"/></w:pPr>{run.format("— ")}{field}{run.format(" —")}</w:p>'
    )


def _page_numbers(document) -> None:
    """Odd pages right, even pages left, one character in from the edge of the text area."""
    document.settings.odd_and_even_pages_header_footer = True
    section = document.sections[0]
    for footer, align, indent in ((section.footer, "right", "right"), (section.even_page_footer, "left", "left")):
        footer.is_linked_to_previous = False
        element = footer._element
        for paragraph in list(element):
            element.remove(paragraph)
        element.append(parse_xml(_page_number_xml(align, indent)))


# ---- 版头, signature, colophon ----


def _masthead(document, meta: dict) -> None:
    paragraph = document.add_paragraph(style="Bulletin Masthead")
    run = paragraph.add_run(meta["office"])
    w = etree.SubElement(run._r.get_or_add_rPr(), qn("w:w"))
    w.set(qn("w:val"), str(round(masthead_scale(meta["office"]) * 100)))
    number = document.add_paragraph(document_number(meta), style="Bulletin Number")
    _border(number, "bottom", color="FF0000", size=12, space=11)  # 4 mm below the number
    title = document.add_paragraph(style="Bulletin Title")
    for index, line in enumerate(meta.get("title_lines") or [meta["title"]]):
        run = title.add_run(line)
        if index:
            run._r.addprevious(_line_break())
    document.add_paragraph(meta["addressees"], style="Bulletin Addressees")


def masthead_scale(office: str) -> float:
    """The horizontal scale (w:w, CSS scaleX) that keeps a long office name on one line, as printed mastheads are."""
    width_pt = TEXT_WIDTH_MM / 25.4 * 72
    return min(1.0, round(width_pt / (len(office) * MASTHEAD_SIZE), 2))


def date_indent(office: str, date: str) -> float:
    """The date's distance from the right, in characters: its first character two right of the name's."""
    return 2 + max(_text_width(office) - 2 - _text_width(date), 0)


def _line_break():
    return parse_xml(f"<w:r {nsdecls('w')}><w:br/></w:r>")


def _border(paragraph, *edges: str, color: str = "000000", size: int = 8, space: int = 1) -> None:
    borders = _add_to_ppr(paragraph._p.get_or_add_pPr(), "w:pBdr")
    for edge in edges:
        line = etree.SubElement(borders, qn(f"w:{edge}"))
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), str(size))
        line.set(qn("w:space"), str(space))
        line.set(qn("w:color"), color)


def _text_width(text: str) -> float:
    """Width in body characters: digits and Latin letters are half a character."""
    return sum(0.5 if ch.isascii() else 1 for ch in text)


def _signature(document, meta: dict) -> None:
    """署名 two characters from the right; the date below it, starting two characters right of the name."""
    office, date = meta["office"], signature_date(meta)
    name = document.add_paragraph(office, style="Bulletin Signature")
    name.paragraph_format.space_before = Pt(LINE * 2)
    name.paragraph_format.right_indent = Pt(CHAR * 2)
    line = document.add_paragraph(date, style="Bulletin Signature")
    line.paragraph_format.right_indent = Pt(CHAR * date_indent(office, date))


def _colophon(document, meta: dict) -> None:
    """版记: the office and the printing date between two rules, one character in from each side."""
    printed = signature_date(meta) + "印发" if meta.get("issued_on") else ""
    paragraph = document.add_paragraph(style="Bulletin Colophon")
    paragraph.paragraph_format.space_before = Pt(LINE * 2)
    paragraph.paragraph_format.left_indent = Pt(SIZE_4)
    paragraph.paragraph_format.right_indent = Pt(SIZE_4)
    paragraph.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM) - Pt(SIZE_4), WD_TAB_ALIGNMENT.RIGHT)
    paragraph.add_run(f"{meta['office']}\t{printed}")
    _border(paragraph, "top", "bottom", size=8, space=4)


# ---- blocks ----


def _heading(document, block: dict) -> None:
    document.add_paragraph(block["text"], style=f"Bulletin Heading {block['level']}")


def _paragraph(document, block: dict) -> None:
    paragraph = document.add_paragraph(style="Bulletin Body")
    if block.get("lead"):
        _fonts(paragraph.add_run(block["lead"])._r, KAITI)
    paragraph.add_run(block["text"])


def _table(document, block: dict) -> None:
    wide = len(block["columns"]) > WIDE_TABLE
    document.add_paragraph(block["caption"], style="Bulletin Caption")
    if block.get("unit"):
        document.add_paragraph(block["unit"], style="Bulletin Unit")
    document.element.body._insert_tbl(parse_xml(table_xml(block, wide)))
    # A table may not end the body next to another table: a small paragraph keeps them apart.
    spacer = document.add_paragraph(style="Bulletin Unit")
    spacer.paragraph_format.keep_with_next = False


def _annex(document, block: dict) -> None:
    """附件说明: one empty line below the body, indented two characters like the body."""
    paragraph = document.add_paragraph(block["text"], style="Bulletin Body")
    paragraph.paragraph_format.space_before = Pt(LINE)


BLOCKS = {"heading": _heading, "paragraph": _paragraph, "table": _table, "annex": _annex}

BORDERS = "".join(
    f'<w:{edge} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV")
)


def table_xml(block: dict, wide: bool = False) -> str:
    columns = block["columns"]
    weights = sum(c["width"] for c in columns)
    widths = [TEXT_WIDTH_TWIPS * c["width"] // weights for c in columns]
    suffix = "Small" if wide else ""
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    parts = [
        f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
        f'<w:tblBorders>{BORDERS}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:top w:w="28" w:type="dxa"/><w:left w:w="57" w:type="dxa"/>'
        '<w:bottom w:w="28" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
        f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>",
        _row([c["label"] for c in columns], widths, ["center"] * len(columns), f"BulletinTableHead{suffix}",
             header=True),
    ]  # fmt: skip
    aligns = [c["align"] for c in columns]
    parts += [_row(row, widths, aligns, f"BulletinTable{suffix}") for row in block["rows"]]
    if block.get("total"):
        parts.append(_row(block["total"], widths, aligns, f"BulletinTableHead{suffix}"))
    parts.append("</w:tbl>")
    return "".join(parts)


def _row(values, widths, aligns, style: str, header: bool = False) -> str:
    row_pr = "<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if header else "<w:trPr><w:cantSplit/></w:trPr>"
    cells = "".join(
        f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
        f'<w:p><w:pPr><w:pStyle w:val="{style}"/><w:jc w:val="{align}"/></w:pPr>'
        f'<w:r><w:t xml:space="preserve">{escape(str(value))}</w:t></w:r></w:p></w:tc>'
        for value, width, align in zip(values, widths, aligns, strict=True)
    )
    return f"<w:tr>{row_pr}{cells}</w:tr>"
