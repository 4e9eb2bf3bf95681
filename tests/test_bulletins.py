"""The monthly bulletin: its content from the fixture's January figures, the Word document read back cell by
cell, the PDF rasterised, numbering on issue, and the freeze (later data changes alter nothing issued).

The fixture (January of this year, data as of 31 January):
- 交城县: the graphite plant (plan 30,000 万元, 3,000 approved in January: 10.0 %, blue) and the road (plan
  3,000, nothing done, start planned 2024-09-01 and not started: red for the second month, 签而未开);
- 文水县: the hospital (plan 15,000, 300 done: 2.0 %, 6.3 points behind; a problem 61 days overdue: red);
- problems: the hospital's (open, due 1 December), the plant's (due 20 December, struck off only on
  10 February: still open on 31 January), one struck off on 15 January and one not yet due (neither listed).
"""

import datetime
import io
import random
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from lxml import etree
from openpyxl import load_workbook
from PIL import Image

from bulletins import content as bulletin_content
from bulletins.models import Bulletin
from problems.models import Problem, Status
from projects.models import Project, Stage
from rankings.compute import compute as compute_ranking
from rankings.models import RankingPeriod
from reports import colours
from reports.models import Colour, MonthlyReport, Period, ProjectColour, ReportStatus

from .conftest import THIS_YEAR, reload

pytestmark = pytest.mark.usefixtures("unscoped")

Y = THIS_YEAR
AS_OF = datetime.date(Y, 1, 31)
TODAY = datetime.date(Y, 2, 10)  # generating in February: January's figures stand at 31 January
ROAD_DAYS = (AS_OF - datetime.date(2024, 9, 1)).days


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _approved(project, completed: str, month: int = 1) -> MonthlyReport:
    period = Period.for_month(project.region, Y, month)
    return MonthlyReport.objects.create(
        project=project, period=period, year=Y, month=month, completed=Decimal(completed),
        status=ReportStatus.APPROVED,
    )  # fmt: skip


def _problem(project, department, deadline, status=Status.REGISTERED, closed=None, text="用地指标未落实"):
    problem = Problem.objects.create(
        project=project, category="land", description=text, department=department, deadline=deadline, status=status
    )
    created = timezone.make_aware(datetime.datetime(Y - 1, 11, 1, 9))
    Problem.objects.filter(pk=problem.pk).update(created_at=created, closed_at=closed)
    return problem


def _at(day: datetime.date):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


@pytest.fixture
def january(cast):
    projects, departments = cast.projects, cast.departments
    Project.objects.filter(pk=projects.materials.pk).update(planned_completion_on=datetime.date(Y + 1, 12, 31))
    _approved(projects.materials, "3000")
    _approved(projects.hospital, "300")
    ProjectColour.objects.create(
        project=projects.road, year=Y - 1, month=12, computed=Colour.RED, colour=Colour.RED,
        schedule_share=Decimal("100"), as_of=datetime.date(Y - 1, 12, 31),
    )  # fmt: skip
    _problem(projects.hospital, departments.wenshui_drc, datetime.date(Y - 1, 12, 1))
    _problem(projects.materials, departments.land, datetime.date(Y - 1, 12, 20), Status.STRUCK_OFF,
             closed=_at(datetime.date(Y, 2, 10)), text="施工用电增容未批复")  # fmt: skip
    _problem(projects.materials, departments.land, datetime.date(Y - 1, 12, 5), Status.STRUCK_OFF,
             closed=_at(datetime.date(Y, 1, 15)), text="已销号的问题")  # fmt: skip
    _problem(projects.road, departments.housing, datetime.date(Y, 2, 15), text="尚未到期的问题")
    colours.recompute(Y, 1, region=cast.regions.shanxi, today=TODAY)
    return cast


def _docx(bulletin: Bulletin) -> Document:
    with bulletin.docx.open("rb") as handle:
        return Document(io.BytesIO(handle.read()))


def _cells(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def _blocks(content: dict, kind: str) -> list[dict]:
    return [block for block in content["blocks"] if block["kind"] == kind]


# ---- the content ----

HOSPITAL_REASONS = "落后序时进度 6.3 个百分点（完成 2.0%，序时 8.3%）；问题逾期 61 天未办结"
ROAD_REASONS = f"逾期未开工 {ROAD_DAYS} 天"


def test_the_city_bulletin_says_the_fixtures_figures_in_words(january):
    content = bulletin_content.compute(january.regions.lvliang, Y, 1, today=TODAY)

    paragraphs = [block["text"] for block in _blocks(content, "paragraph")]
    assert paragraphs[1] == (
        f"截至{Y}年1月底，全市纳入年度计划的重点项目3个，总投资17.30亿元，年度计划投资4.80亿元。1月累计完成投资"
        "0.33亿元，占年度计划的6.9%，落后序时进度1.4个百分点（序时进度8.3%）。"
    )
    assert paragraphs[2] == (
        "项目推进方面，1月新开工项目0个；年内计划开工项目0个，已开工0个，开工率—；竣工项目0个，投产项目0个。"
    )
    assert paragraphs[3] == (
        "三色管理方面，本月红色项目2个、黄色项目0个、蓝色项目1个。问题督办方面，截至月底逾期未办结问题2个。"
    )
    assert content["figures"] == {
        "projects": "3", "total_investment": "173000.00", "annual_plan": "48000.00", "completed": "3300.00",
        "completion_rate": "6.9", "schedule_share": "8.3", "lag": "1.4", "started": "0", "planned_starts": "0",
        "planned_started": "0", "completed_projects": "0", "in_production": "0", "problems_overdue": "2",
        "colour_blue": "1", "colour_yellow": "0", "colour_red": "2",
    }  # fmt: skip
    assert [block["text"] for block in _blocks(content, "heading") if block["level"] == 1] == [
        "一、总体情况", "二、各县（市、区）推进情况", "三、红色预警项目", "四、逾期未办结问题", "五、“三未”项目",
        "六、下步工作要求",
    ]  # fmt: skip


def test_the_meta_names_the_office_the_title_and_a_blank_number_until_issued(january):
    meta = bulletin_content.compute(january.regions.lvliang, Y, 1, today=TODAY)["meta"]

    assert meta["office"] == "吕梁市重点项目建设工作领导小组办公室"
    assert meta["abbreviation"] == "吕重点办"
    assert meta["title"] == f"关于{Y}年1月份全市重点项目建设进展情况的通报"
    assert meta["title_lines"] == [f"关于{Y}年1月份全市重点项目", "建设进展情况的通报"]
    assert meta["addressees"] == "各县（市、区）重点项目建设工作领导小组办公室，市直各有关单位："
    assert (meta["as_of"], meta["number"], meta["issued_on"]) == (AS_OF.isoformat(), None, None)
    assert bulletin_content.document_number(meta) == f"吕重点办〔{timezone.localdate().year}〕　号"


@pytest.mark.parametrize(("code", "expected"), [("140000", "晋重点办"), ("141100", "吕重点办"), ("141122", "交重点办")])
def test_the_number_prefix_is_the_regions_short_name(cast, code, expected):
    region = next(r for r in vars(cast.regions).values() if r.code == code)

    assert bulletin_content.abbreviation(region) == expected


def test_a_county_bulletin_ranks_its_departments(january):
    content = bulletin_content.compute(january.region, Y, 1, today=TODAY)

    table = _blocks(content, "table")[0]
    assert [c["label"] for c in table["columns"]][:2] == ["排名", "责任单位"]
    assert table["rows"] == [
        ["1", "交城县发展和改革局", "1", "3.00", "0.30", "10.0", "0"],
        ["2", "交城县住房和城乡建设局", "1", "0.30", "0.00", "0.0", "0"],
    ]
    assert table["total"] == ["", "合计", "2", "3.30", "0.30", "9.1", "0"]
    assert _blocks(content, "heading")[1]["text"] == "二、各责任单位推进情况"


def test_a_published_ranking_adds_the_horse_race_table(january):
    compute_ranking(january.regions.lvliang, RankingPeriod.of(Y, "month", 1), "region", publish=True, today=TODAY)

    content = bulletin_content.compute(january.regions.lvliang, Y, 1, today=TODAY)

    ranking = next(t for t in _blocks(content, "table") if t["caption"].endswith("综合排名"))
    assert [c["label"] for c in ranking["columns"]] == [
        "名次", "名称", "得分", "较上期", "投资完成率", "开工率", "投产率", "签约投资目标完成率", "问题按期销号率",
        "月报按时报送率",
    ]  # fmt: skip
    assert [row[1] for row in ranking["rows"]] == ["交城县", "文水县"]
    assert [row[0] for row in ranking["rows"]] == ["1", "2"]
    assert ranking["rows"][0][3] == "新"  # no earlier ranking to compare with
    assert ranking["rows"][0][4] == "9.1"  # 3,000 of 33,000


def test_red_streaks_count_the_months_running(january):
    ids = [january.projects.road.pk, january.projects.hospital.pk, january.projects.materials.pk]

    from bulletins.figures import red_streaks

    assert red_streaks(ids, Y, 1) == {january.projects.road.pk: 2, january.projects.hospital.pk: 1}


def _overdue_builds(make_project, cast, *days_before):
    """Projects under construction in 交城县, each past its planned completion by the given days on AS_OF."""
    return [
        make_project(plan=None, name=f"逾期在建项目{days}", stage=Stage.CONSTRUCTION, department=cast.departments.land,
                     started_on=datetime.date(Y - 3, 1, 1),
                     planned_completion_on=AS_OF - datetime.timedelta(days=days))
        for days in days_before
    ]  # fmt: skip


def test_a_long_stalled_list_shows_its_longest_overdue_and_sends_the_rest_to_the_annex(
    january, make_project, monkeypatch
):
    monkeypatch.setattr(bulletin_content, "STALLED_ROWS", 2)  # 30 in a real bulletin
    _overdue_builds(make_project, january, 10, 300, 20)

    content = bulletin_content.compute(january.regions.lvliang, Y, 1, today=TODAY)

    texts = [block.get("text") or block.get("caption") for block in content["blocks"]]
    annex = f"吕梁市{Y}年1月重点项目台账"
    start = texts.index("（二）开而未竣（3个）")
    table = content["blocks"][start + 1]
    assert texts[start + 1 : start + 3] == [
        "表6　开工未竣工项目名单（逾期最长的2个）",
        f"以上为逾期时间最长的2个，其余1个项目详见附件《{annex}》。",
    ]
    assert [row[1] for row in table["rows"]] == ["逾期在建项目300", "逾期在建项目20"]
    assert [row[-1] for row in table["rows"]] == ["300", "20"]
    assert texts[texts.index("五、“三未”项目") + 1] == (
        f"对照计划日期，截至{Y}年1月底，全市签而未开1个、开而未竣3个、竣而未投0个、协议逾期未开工0个。"
        f"各类名单按逾期时间由长到短列出，每类列前2个，完整名单见附件《{annex}》。"
    )
    spread = content["blocks"][texts.index("表4　各县（市、区）“三未”项目数量")]
    assert spread["rows"] == [["文水县", "0", "0", "0", "0", "0"], ["交城县", "1", "3", "0", "0", "4"]]
    assert spread["total"] == ["合计", "1", "3", "0", "0", "4"]
    assert content["blocks"][-1] == {"kind": "annex", "text": f"附件：{annex}"}
    assert content["meta"]["annex"] == annex


def test_the_annex_lists_every_stalled_project_the_body_leaves_out(january, make_project, monkeypatch):
    monkeypatch.setattr(bulletin_content, "STALLED_ROWS", 2)
    _overdue_builds(make_project, january, 10, 300, 20)

    bulletin = Bulletin.generate(january.regions.lvliang, Y, 1, today=TODAY)

    sheet = load_workbook(io.BytesIO(bulletin.ledger.read()))["开而未竣"]
    assert [[c.value for c in row][:3] for row in sheet.iter_rows(min_row=5)] == [
        [1, "逾期在建项目300", "交城县"], [2, "逾期在建项目20", "交城县"], [3, "逾期在建项目10", "交城县"],
        [None, "合计（3个）", None],
    ]  # fmt: skip
    assert [row[5].value for row in sheet.iter_rows(min_row=5, max_row=7)] == [300, 20, 10]


def test_a_county_bulletin_has_no_spread_table_but_still_caps_its_lists(january, make_project, monkeypatch):
    monkeypatch.setattr(bulletin_content, "STALLED_ROWS", 2)
    _overdue_builds(make_project, january, 10, 300, 20)

    content = bulletin_content.compute(january.region, Y, 1, today=TODAY)

    captions = [block["caption"] for block in _blocks(content, "table")]
    assert not any("三未" in caption for caption in captions)
    assert "表5　开工未竣工项目名单（逾期最长的2个）" in captions
    assert f"以上为逾期时间最长的2个，其余1个项目详见附件《交城县{Y}年1月重点项目台账》。" in [
        block["text"] for block in _blocks(content, "paragraph")
    ]


# ---- the Word document, read back ----


@pytest.fixture
def city_bulletin(january):
    return Bulletin.generate(january.regions.lvliang, Y, 1, by=january.users.city_coordinator, today=TODAY)


def test_the_word_tables_hold_the_fixtures_figures_cell_by_cell(city_bulletin, january):
    projects = january.projects

    tables = _docx(city_bulletin).tables

    assert len(tables) == 5
    assert _cells(tables[0]) == [
        ["排名", "地区", "项目数（个）", "年度计划（亿元）", "1月完成（亿元）", "完成率（%）", "新开工（个）"],
        ["1", "交城县", "2", "3.30", "0.30", "9.1", "0"],
        ["2", "文水县", "1", "1.50", "0.03", "2.0", "0"],
        ["", "合计", "3", "4.80", "0.33", "6.9", "0"],
    ]
    assert _cells(tables[1]) == [
        ["序号", "项目名称", "所在地区", "责任单位", "红色原因", "连续红色月数"],
        ["1", projects.hospital.name, "文水县", "文水县发展和改革局", HOSPITAL_REASONS, "1"],
        ["2", projects.road.name, "交城县", "交城县住房和城乡建设局", ROAD_REASONS, "2"],
    ]
    assert _cells(tables[2]) == [
        ["序号", "项目名称", "问题类别", "问题描述", "责任单位", "办结时限", "逾期天数", "督办级别"],
        ["1", projects.hospital.name, "用地", "用地指标未落实", "文水县发展和改革局", f"{Y - 1}-12-01", "61", "部门"],
        ["2", projects.materials.name, "用地", "施工用电增容未批复", "交城县自然资源局", f"{Y - 1}-12-20", "42",
         "部门"],
    ]  # fmt: skip
    assert _cells(tables[3]) == [
        ["地区", "签而未开", "开而未竣", "竣而未投", "协议逾期未开工", "合计"],
        ["文水县", "0", "0", "0", "0", "0"],
        ["交城县", "1", "0", "0", "0", "1"],
        ["合计", "1", "0", "0", "0", "1"],
    ]
    assert _cells(tables[4]) == [
        ["序号", "项目名称", "所在地区", "投资（万元）", "计划开工日期", "逾期天数"],
        ["1", projects.road.name, "交城县", "8,000.00", "2024-09-01", str(ROAD_DAYS)],
    ]


def test_the_word_text_follows_the_content_and_names_empty_lists(city_bulletin):
    document = _docx(city_bulletin)
    texts = [p.text for p in document.paragraphs]

    assert texts[:4] == [
        "吕梁市重点项目建设工作领导小组办公室",
        f"吕重点办〔{timezone.localdate().year}〕　号",
        f"关于{Y}年1月份全市重点项目\n建设进展情况的通报",
        "各县（市、区）重点项目建设工作领导小组办公室，市直各有关单位：",
    ]
    for block in _blocks(city_bulletin.content, "paragraph"):
        assert block.get("lead", "") + block["text"] in texts
    assert "表1　全市重点项目投资完成情况" in texts
    assert f"对照计划日期，截至{Y}年1月底，全市签而未开1个、开而未竣0个、竣而未投0个、协议逾期未开工0个。" in texts
    assert "表4　各县（市、区）“三未”项目数量" in texts
    assert texts.count("无。") == 3  # 开而未竣, 竣而未投, agreements: none
    assert "（一）签而未开（1个）" in texts
    office = "吕梁市重点项目建设工作领导小组办公室"
    # The annex under the body (附件说明), then signature, date, colophon: blank until issued.
    assert texts[-4:] == [f"附件：吕梁市{Y}年1月重点项目台账", office, "　　年　月　日", f"{office}\t"]


def _east_asia(style) -> str:
    return style.element.rPr.rFonts.get(qn("w:eastAsia"))


def test_the_word_layout_follows_gb_t_9704(city_bulletin):
    document = _docx(city_bulletin)
    section = document.sections[0]

    assert [round(v.mm) for v in (section.page_width, section.page_height)] == [210, 297]
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]
    styles = document.styles
    assert {name: _east_asia(styles[name]) for name in (
        "Bulletin Masthead", "Bulletin Title", "Bulletin Body", "Bulletin Heading 1", "Bulletin Heading 2",
        "Bulletin Table", "Bulletin Page Number",
    )} == {
        "Bulletin Masthead": "方正小标宋简体", "Bulletin Title": "方正小标宋简体", "Bulletin Body": "仿宋_GB2312",
        "Bulletin Heading 1": "黑体", "Bulletin Heading 2": "楷体_GB2312", "Bulletin Table": "仿宋_GB2312",
        "Bulletin Page Number": "宋体",
    }  # fmt: skip
    assert (styles["Bulletin Title"].font.size.pt, styles["Bulletin Body"].font.size.pt) == (22, 16)
    assert str(styles["Bulletin Masthead"].font.color.rgb) == "FF0000"
    masthead, number = document.paragraphs[0], document.paragraphs[1]
    assert 0 < int(masthead.runs[0]._r.rPr.find(qn("w:w")).get(qn("w:val"))) < 100  # squeezed onto one line
    red_line = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert (red_line.get(qn("w:color")), red_line.get(qn("w:val"))) == ("FF0000", "single")
    headings = [p.text for p in document.paragraphs if p.style.name == "Bulletin Heading 1"]
    assert headings[0] == "一、总体情况" and len(headings) == 6


def test_the_word_pages_are_numbered_right_on_odd_pages_and_left_on_even_ones(city_bulletin):
    document = _docx(city_bulletin)
    section = document.sections[0]

    assert document.settings.odd_and_even_pages_header_footer is True
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        paragraph = footer.paragraphs[0]
        assert paragraph.text == "— 1 —"
        assert paragraph._p.pPr.find(qn("w:jc")).get(qn("w:val")) == align
        assert paragraph._p.xpath("string(.//w:instrText)").strip() == "PAGE"


def test_paragraph_properties_keep_the_order_word_demands(city_bulletin):
    from bulletins.word import PPR_ORDER

    document = _docx(city_bulletin)
    section = document.sections[0]
    roots = [document.element, document.styles.element, section.footer._element, section.even_page_footer._element]
    order = [qn(tag) for tag in PPR_ORDER]

    for root in roots:
        for p_pr in root.iter(qn("w:pPr")):
            positions = [order.index(child.tag) for child in p_pr]
            assert positions == sorted(positions), [child.tag for child in p_pr]


def test_the_font_table_names_the_windows_fallbacks(city_bulletin):
    document = _docx(city_bulletin)
    part = next(rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/fontTable"))
    root = etree.fromstring(part.blob)

    alt = {
        font.get(qn("w:name")): font.find(qn("w:altName")).get(qn("w:val"))
        for font in root.findall(qn("w:font"))
        if font.find(qn("w:altName")) is not None
    }
    assert {name: alt[name] for name in ("仿宋_GB2312", "楷体_GB2312", "黑体", "方正小标宋简体")} == {
        "仿宋_GB2312": "仿宋", "楷体_GB2312": "楷体", "黑体": "SimHei", "方正小标宋简体": "宋体",
    }  # fmt: skip


def _annex(bulletin: Bulletin):
    with bulletin.ledger.open("rb") as handle:
        return load_workbook(io.BytesIO(handle.read()))


def test_the_excel_annex_holds_the_ledger_and_every_stalled_list(city_bulletin, january):
    book = _annex(city_bulletin)

    assert book.sheetnames == ["重点项目建设情况表", "签而未开", "开而未竣", "竣而未投", "协议逾期未开工"]
    assert book["重点项目建设情况表"]["A1"].value == f"吕梁市{Y}年重点项目建设情况表"
    signed = book["签而未开"]
    assert [c.value for c in signed[1]][0] == "吕梁市签约未开工项目名单"
    assert [c.value for c in signed[2]][0] == f"截至{AS_OF.isoformat()}，按逾期时间由长到短排列"
    assert [c.value for c in signed[3]] == [
        "序号", "项目名称", "所在地区", "项目阶段", "计划开工日期", "逾期天数", "总投资（万元）", "包联领导",
        "责任单位",
    ]  # fmt: skip
    road = [c.value for c in signed[5]]
    assert road[:4] == [1, january.projects.road.name, "交城县", "前期"]
    assert (road[4].date(), road[5], road[6]) == (datetime.date(2024, 9, 1), ROAD_DAYS, 8000)
    assert road[8] == "交城县住房和城乡建设局"
    assert [c.value for c in signed[6]][1:2] == ["合计（1个）"]
    assert signed.max_row == 6
    assert [c.value for c in book["开而未竣"][5]][1] == "合计（0个）"


# ---- the PDF, rasterised ----


def test_the_pdf_first_page_is_an_a4_page_with_the_red_masthead(city_bulletin, tmp_path):
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils (pdftoppm) is needed: make browser-deps"
    pdf = tmp_path / "bulletin.pdf"
    with city_bulletin.pdf.open("rb") as handle:
        pdf.write_bytes(handle.read())

    subprocess.run([pdftoppm, "-f", "1", "-l", "1", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)

    png = next(tmp_path.glob("page*.png"))
    with Image.open(png) as image:
        rgb = image.convert("RGB")
        width, height = rgb.size
        data = rgb.tobytes()
    pixels = [tuple(data[i : i + 3]) for i in range(0, len(data), 3)]
    assert abs(height / width - 297 / 210) < 0.01
    dark = [p for p in pixels if sum(p) < 600]
    red = [p for i, p in enumerate(pixels) if i < width * height // 3 and p[0] > 180 and p[1] < 90 and p[2] < 90]
    assert len(dark) > 500  # text
    assert len(red) > 100  # the masthead and the red line, in the top third


def test_the_pdf_says_what_the_word_document_says(city_bulletin, tmp_path):
    pdftotext = shutil.which("pdftotext")
    assert pdftotext
    pdf = tmp_path / "bulletin.pdf"
    with city_bulletin.pdf.open("rb") as handle:
        pdf.write_bytes(handle.read())

    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout

    flat = "".join(text.split())
    for expected in ("吕梁市重点项目建设工作领导小组办公室", "一、总体情况", "红色预警项目名单", "—1—",
                     "本月红色预警项目2个（文水县1个、交城县1个）"):  # fmt: skip
        assert expected in flat


# ---- issuing and the freeze ----


def test_issuing_numbers_the_bulletin_and_renders_the_number_into_both_files(city_bulletin, january, tmp_path):
    city_bulletin.issue(by=january.users.city_coordinator, on=datetime.date(Y, 2, 5))

    bulletin = reload(city_bulletin)
    assert (bulletin.status, bulletin.number, bulletin.number_year) == (Bulletin.Status.ISSUED, 1, Y)
    assert bulletin.issued_by == january.users.city_coordinator
    assert bulletin.meta["number"] == 1 and bulletin.meta["issued_on"] == f"{Y}-02-05"
    texts = [p.text for p in _docx(bulletin).paragraphs]
    assert texts[1] == f"吕重点办〔{Y}〕1号"
    assert texts[-2:] == [f"{Y}年2月5日", f"吕梁市重点项目建设工作领导小组办公室\t{Y}年2月5日印发"]
    pdf = tmp_path / "issued.pdf"
    with bulletin.pdf.open("rb") as handle:
        pdf.write_bytes(handle.read())
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert f"吕重点办〔{Y}〕1号" in "".join(text.split())


def test_numbers_run_per_region_and_year_of_issue(january):
    on = datetime.date(Y, 2, 6)
    city_january = Bulletin.generate(january.regions.lvliang, Y, 1, today=TODAY)
    city_december = Bulletin.generate(january.regions.lvliang, Y - 1, 12, today=TODAY)
    county = Bulletin.generate(january.region, Y, 1, today=TODAY)

    for bulletin in (city_december, county, city_january):
        bulletin.issue(on=on)

    assert [reload(b).number for b in (city_december, county, city_january)] == [1, 1, 2]
    assert reload(county).meta["abbreviation"] == "交重点办"


def _stored(bulletin: Bulletin) -> tuple:
    bulletin = reload(bulletin)
    files = []
    for field in (bulletin.docx, bulletin.pdf, bulletin.ledger):
        with field.open("rb") as handle:
            files.append((field.name, handle.read()))
    return bulletin.content, files, bulletin.status, bulletin.number


def test_an_issued_bulletin_is_frozen_whatever_the_data_do_later(city_bulletin, january):
    city_bulletin.issue(on=datetime.date(Y, 2, 5))
    before = _stored(city_bulletin)
    projects = january.projects

    MonthlyReport.objects.filter(project=projects.hospital).update(completed=Decimal("9000"))
    _approved(projects.road, "2500")
    _problem(projects.road, january.departments.housing, datetime.date(Y - 1, 12, 2), text="新发现的逾期问题")
    colours.recompute(Y, 1, region=january.regions.shanxi, today=TODAY)
    Project.objects.filter(pk=projects.materials.pk).update(name="改名后的项目")

    with pytest.raises(ValidationError, match="已印发"):
        Bulletin.generate(january.regions.lvliang, Y, 1, today=TODAY)
    with pytest.raises(ValidationError, match="已印发"):
        reload(city_bulletin).regenerate()
    with pytest.raises(ValidationError, match="已印发"):
        reload(city_bulletin).issue()
    assert _stored(city_bulletin) == before
    # The changes would have shown in a bulletin computed now.
    now = bulletin_content.compute(january.regions.lvliang, Y, 1, today=TODAY)
    assert now["figures"]["completed"] != before[0]["figures"]["completed"]


def test_a_draft_is_regenerated_from_the_data_as_they_are_now(city_bulletin, january):
    first_pk, first_docx = city_bulletin.pk, city_bulletin.docx.name
    MonthlyReport.objects.filter(project=january.projects.hospital).update(completed=Decimal("900"))

    again = Bulletin.generate(january.regions.lvliang, Y, 1, today=TODAY)

    assert again.pk == first_pk
    assert Bulletin.objects.count() == 1
    assert reload(again).content["figures"]["completed"] == "3900.00"
    assert reload(again).docx.name != first_docx


def test_regenerating_a_draft_removes_its_old_files(city_bulletin, january, django_capture_on_commit_callbacks):
    old = [city_bulletin.docx.name, city_bulletin.pdf.name, city_bulletin.ledger.name]
    storage = city_bulletin.docx.storage

    with django_capture_on_commit_callbacks(execute=True):
        Bulletin.generate(january.regions.lvliang, Y, 1, today=TODAY)

    assert [storage.exists(name) for name in old] == [False, False, False]


def test_deleting_a_draft_removes_it_and_its_files(city_bulletin, django_capture_on_commit_callbacks):
    names = [city_bulletin.docx.name, city_bulletin.pdf.name]
    storage = city_bulletin.docx.storage

    with django_capture_on_commit_callbacks(execute=True):
        city_bulletin.delete_draft()

    assert Bulletin.objects.count() == 0
    assert [storage.exists(name) for name in names] == [False, False]


def test_an_issued_bulletin_cannot_be_deleted(city_bulletin):
    city_bulletin.issue(on=datetime.date(Y, 2, 5))

    with pytest.raises(ValidationError, match="不能删除"):
        reload(city_bulletin).delete_draft()

    assert Bulletin.objects.count() == 1


# ---- who sees which ----


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("coordinator", {"county draft", "county issued"}),
        ("leader", {"county issued"}),
        ("handler", {"county issued"}),
        ("enterprise", set()),
        ("city_coordinator", {"county draft", "county issued", "city draft"}),
        ("city_leader", {"county issued"}),
        ("outsider", set()),
    ],
)
def test_drafts_are_for_the_office_and_issued_bulletins_for_the_subtree(cast, user, visible):
    rows = {
        "county draft": Bulletin.objects.create(region=cast.region, year=Y, month=1),
        "county issued": Bulletin.objects.create(
            region=cast.region,
            year=Y - 1,
            month=12,
            status=Bulletin.Status.ISSUED,
            number=1,
            number_year=Y,
            issued_at=timezone.now(),
        ),  # fmt: skip
        "city draft": Bulletin.objects.create(region=cast.regions.lvliang, year=Y, month=1),
    }

    seen = set(Bulletin.objects.visible_to(getattr(cast.users, user)).values_list("pk", flat=True))

    assert seen == {rows[name].pk for name in visible}


# ---- the demo ----


def test_the_demo_issues_last_months_bulletins_of_the_county_and_the_city(cast):
    from types import SimpleNamespace

    from bulletins import demo
    from reports.models import previous_month

    today = datetime.date(Y, 3, 20)
    world = SimpleNamespace(today=today, regions={r.code: r for r in vars(cast.regions).values()})
    accounts = [cast.users.coordinator, cast.users.city_coordinator, cast.users.leader]

    summary = demo.build(world, accounts, random.Random(1))

    assert summary == (
        f"Bulletins: {Y}-02 issued for 交城县 No. 1, 吕梁市 No. 1 (Word, PDF and Excel ledger in storage)."
    )
    issued = Bulletin.objects.order_by("region__path")
    assert [(b.region.code, b.status, (b.year, b.month), b.issued_by) for b in issued] == [
        ("141100", "issued", previous_month(Y, 3), cast.users.city_coordinator),
        ("141122", "issued", previous_month(Y, 3), cast.users.coordinator),
    ]
    assert all(b.meta["issued_on"] == f"{Y}-03-05" and b.docx and b.pdf and b.ledger and not b.job for b in issued)
