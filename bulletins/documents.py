"""The files of a bulletin, all rendered from its frozen content (the Excel ledger from the data, once).

- Word: ``bulletins.word.render_docx``;
- PDF: WeasyPrint from ``templates/bulletins/document.html``, the same blocks the preview page shows, set in
  the official fonts where installed and Noto Serif/Sans CJK SC (Debian's fonts-noto-cjk) otherwise;
- Excel: the annex (附件), the month's ledger in the official column layout and the stalled lists in full
  (``bulletins.annex``).

``render_all`` tells ``progress`` which file it starts ("docx", "pdf", "ledger"), for the job's progress bar.
"""

import datetime
from collections.abc import Callable

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from org.models import Region

from .content import annex_title, document_number, signature_date
from .word import WIDE_TABLE, date_indent, masthead_scale, render_docx

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# URL format -> the Bulletin file field holding it.
FIELDS = {"docx": "docx", "pdf": "pdf", "xlsx": "ledger"}


def render_all(content: dict, region: Region, year: int, month: int, *, ledger: bool = True,
               progress: Callable[[str], None] = lambda step: None) -> dict:  # fmt: skip
    """Field name -> (storage file name, bytes)."""
    stem = f"{region.code}-{year}{month:02d}"
    progress("docx")
    files = {"docx": (f"{stem}.docx", render_docx(content))}
    progress("pdf")
    files["pdf"] = (f"{stem}.pdf", render_pdf(content))
    if ledger:
        progress("ledger")
        as_of = datetime.date.fromisoformat(content["meta"]["as_of"])
        files["ledger"] = (f"{stem}-ledger.xlsx", ledger_bytes(region, year, month, as_of))
    return files


def render_pdf(content: dict) -> bytes:
    return laid_out_pdf(content).write_pdf()


def laid_out_pdf(content: dict):
    """The WeasyPrint document, laid out in pages (``write_pdf`` gives the bytes)."""
    from weasyprint import HTML

    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("bulletins/document.html", document_context(content))
    return HTML(string=html).render()


def ledger_bytes(region: Region, year: int, month: int, as_of: datetime.date) -> bytes:
    """The Excel annex: the ledger, then the stalled lists as of ``as_of`` (the content's day)."""
    from batches.workbook import workbook_bytes

    from .annex import annex_workbook

    with scopes_disabled(), translation.override(settings.LANGUAGE_CODE):
        return workbook_bytes(annex_workbook(region, year, month, as_of))


def document_context(content: dict) -> dict:
    """What the document template (and the preview page) shows: the blocks with each cell's alignment."""
    meta = content["meta"]
    return {
        "meta": meta,
        "title_lines": meta.get("title_lines") or [meta["title"]],
        "masthead_scale": masthead_scale(meta["office"]),
        "date_indent": date_indent(meta["office"], signature_date(meta)),
        "number": document_number(meta),
        "signature_date": signature_date(meta),
        "printed_on": signature_date(meta) + _("印发") if meta.get("issued_on") else "",
        "is_draft": not meta.get("number"),
        "blocks": [_prepared(block) for block in content["blocks"]],
    }


def _prepared(block: dict) -> dict:
    if block["kind"] != "table":
        return block
    columns = block["columns"]
    weights = sum(c["width"] for c in columns) or 1
    aligns = [c["align"] for c in columns]
    return {
        **block,
        "wide": len(columns) > WIDE_TABLE,
        "columns": [{**c, "percent": round(100 * c["width"] / weights, 2)} for c in columns],
        "rows": [list(zip(row, aligns, strict=True)) for row in block["rows"]],
        "total": list(zip(block["total"], aligns, strict=True)) if block.get("total") else None,
    }


def download_name(bulletin, fmt: str) -> str:
    """交重点办〔2026〕3号 关于2026年10月份全县重点项目建设进展情况的通报.docx; the annex by the name the body
    gives it (交城县2026年1—10月重点项目台账.xlsx)."""
    meta = bulletin.meta
    if fmt == "xlsx":
        with translation.override(settings.LANGUAGE_CODE):
            return f"{meta.get('annex') or annex_title(bulletin.region, bulletin.year, bulletin.month)}.xlsx"
    title = meta.get("title") or str(bulletin)
    prefix = f"{document_number(meta)} " if meta.get("number") else _("（草稿）")
    return f"{prefix}{title}.{fmt}"
