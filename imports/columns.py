"""The project fields a ledger column can fill, the header texts offices use for them, and finding the header.

Offices' ledgers (台账) put a title row (and a unit note like "单位：万元") above one or two header rows,
the second row under merged group headers ("资金来源" over "政府投资 | 企业自筹 | …"). ``detect_layout``
tries every block of one or two rows among the first ``HEADER_ROWS`` and keeps the one whose texts name
the most fields; ``detect_columns`` then gives each column its field, its amount unit and, for an annual
plan column, its year.
"""

import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from projects.models import Category, Level, Nature, Stage

from .cells import normal
from .files import HEADER_ROWS, Table, column_letter


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str
    kind: str  # text, code, choice, money, plan, decimal, date, region, zone, department, leader
    aliases: tuple[str, ...]

    @property
    def is_money(self) -> bool:
        return self.kind in ("money", "plan")


def _choices(*groups: tuple[str, tuple[str, ...]]) -> dict[str, str]:
    return {normal(word): value for value, words in groups for word in (value, *words)}


LEVELS = _choices(
    (Level.NATIONAL, ("国家重点", "国家级", "国家", "国家重点项目", "国家级重点")),
    (Level.PROVINCIAL, ("省级重点", "省级", "省重点", "省", "省级重点项目", "省重点项目")),
    (Level.CITY, ("市级重点", "市级", "市重点", "市", "市级重点项目", "市重点项目")),
    (Level.COUNTY, ("县级重点", "县级", "县重点", "县", "县级重点项目", "县(区)级", "区级", "县区级")),
)
CATEGORIES = _choices(
    (Category.INDUSTRY, ("产业", "产业项目", "工业", "工业项目", "产业类")),
    (Category.INFRASTRUCTURE, ("基础设施", "基础设施项目", "基础设施类", "基建")),
    (Category.LIVELIHOOD, ("民生社会事业", "民生", "社会事业", "民生项目", "社会民生", "民生类")),
    (Category.ECOLOGY, ("生态环保", "生态", "环保", "生态环境", "生态环保项目")),
    (Category.URBAN, ("城建", "城市建设", "城镇建设", "城建项目")),
)
NATURES = _choices(
    (Nature.NEW, ("新建", "新开工")),
    (Nature.CONTINUING, ("续建",)),
    (Nature.EXPANSION, ("扩建", "改扩建")),
    (Nature.UPGRADE, ("技改", "技术改造")),
)
STAGES = _choices(
    (Stage.PLANNING, ("谋划", "谋划中", "谋划项目")),
    (Stage.RESERVE, ("储备", "入库", "已入库", "储备项目")),
    (Stage.SIGNED, ("签约", "已签约")),
    (Stage.PREPARING, ("前期", "前期手续", "前期工作", "办理前期手续")),
    (Stage.CONSTRUCTION, ("在建", "开工", "已开工", "施工", "施工中", "建设中", "在建项目")),
    (Stage.COMPLETED, ("竣工", "已竣工", "完工", "已完工")),
    (Stage.PRODUCTION, ("投产", "已投产", "运营", "投用", "已投用")),
    (Stage.SUSPENDED, ("暂停", "停工", "缓建")),
    (Stage.TERMINATED, ("终止", "已终止")),
)
CHOICES = {"level": LEVELS, "category": CATEGORIES, "nature": NATURES, "stage": STAGES}
ALLOWED = {
    "level": "国家重点、省级重点、市级重点、县级重点",
    "category": "产业、基础设施、民生社会事业、生态环保、城建",
    "nature": "新建、续建、扩建、技改",
    "stage": "谋划、储备、签约、前期、在建、竣工、投产",
}


def _dates(key: str, label: str, *aliases: str) -> ImportField:
    return ImportField(key, label, "date", aliases)


FIELDS = [
    ImportField("name", _("项目名称"), "text", ("项目名称", "名称", "项目", "项目名")),
    ImportField(
        "national_code", _("项目代码"), "code", ("项目代码", "项目编码", "代码", "统一项目代码", "备案代码", "审批代码")
    ),
    ImportField(
        "owner_name",
        _("项目单位"),
        "text",
        (
            "项目单位",
            "建设单位",
            "业主单位",
            "项目业主",
            "项目法人",
            "项目法人单位",
            "实施单位",
            "建设主体",
            "投资主体",
        ),
    ),
    ImportField("credit_code", _("统一社会信用代码"), "code", ("统一社会信用代码", "社会信用代码", "信用代码")),
    ImportField("level", _("项目级别"), "choice", ("项目级别", "级别", "重点项目级别")),
    ImportField("category", _("项目类别"), "choice", ("项目类别", "类别", "项目类型", "类型", "项目分类")),
    ImportField("nature", _("建设性质"), "choice", ("建设性质", "性质", "项目性质")),
    ImportField(
        "stage", _("项目阶段"), "choice", ("项目阶段", "阶段", "进展阶段", "项目进展阶段", "所处阶段", "项目状态")
    ),
    ImportField(
        "region",
        _("所在区划"),
        "region",
        ("所在区划", "区划", "所在地区", "县区", "区县", "县", "所属县区", "所在县区", "行政区划", "所属区划", "地区"),
    ),
    ImportField(
        "zone", _("所在开发区"), "zone", ("开发区", "所在开发区", "园区", "所在园区", "所属园区", "所属开发区")
    ),
    ImportField(
        "address",
        _("建设地点"),
        "text",
        ("建设地点", "所在地", "建设地址", "项目地址", "地点", "项目所在地", "项目建设地点"),
    ),
    ImportField(
        "total_investment", _("总投资"), "money", ("总投资", "项目总投资", "计划总投资", "总投资额", "投资总额")
    ),
    ImportField(
        "annual_plan",
        _("年度计划投资"),
        "plan",
        (
            "年度计划投资",
            "计划投资",
            "本年计划投资",
            "年度计划",
            "本年度计划投资",
            "年计划投资",
            "年度投资计划",
            "本年计划",
        ),
    ),
    ImportField("fund_government", _("政府投资"), "money", ("政府投资", "财政资金", "政府资金")),
    ImportField("fund_enterprise", _("企业自筹"), "money", ("企业自筹", "自筹资金", "企业自有资金", "自筹")),
    ImportField("fund_bank_loans", _("银行贷款"), "money", ("银行贷款", "贷款", "银行融资")),
    ImportField("fund_special_bonds", _("专项债"), "money", ("专项债", "专项债券", "地方政府专项债券", "专项债资金")),
    ImportField("fund_other", _("基金及其他"), "money", ("基金及其他", "其他资金", "基金")),
    ImportField(
        "opening_completed",
        _("累计完成投资"),
        "money",
        ("累计完成投资", "开工以来累计完成投资", "累计完成", "纳入平台前累计完成投资", "截至上年底累计完成投资"),
    ),
    ImportField("land_area", _("用地面积（亩）"), "decimal", ("用地面积", "占地面积", "用地规模", "占地")),
    ImportField("expected_output", _("达产年产值"), "money", ("达产年产值", "预计年产值", "年产值")),
    ImportField("expected_tax", _("达产年税收"), "money", ("达产年税收", "预计年税收", "年税收", "年纳税")),
    ImportField(
        "department",
        _("责任单位"),
        "department",
        ("责任单位", "牵头单位", "责任部门", "主管部门", "牵头部门", "行业主管部门"),
    ),
    ImportField("leader", _("包联领导"), "leader", ("包联领导", "责任领导", "包联县领导", "分包领导", "联系领导")),
    ImportField("contact_name", _("联系人"), "text", ("联系人", "项目联系人")),
    ImportField("contact_phone", _("联系电话"), "text", ("联系电话", "联系方式", "电话", "手机")),
    ImportField(
        "description",
        _("建设内容及规模"),
        "text",
        ("建设内容及规模", "建设内容", "建设规模及内容", "主要建设内容", "建设规模和内容"),
    ),
    ImportField("longitude", _("经度"), "decimal", ("经度",)),
    ImportField("latitude", _("纬度"), "decimal", ("纬度",)),
    _dates("reserve_on", _("入库日期"), "入库日期", "入库时间"),
    _dates("planned_sign_on", _("计划签约日期"), "计划签约日期", "计划签约时间", "计划签约"),
    _dates("signed_on", _("签约日期"), "签约日期", "签约时间"),
    _dates("planned_preparing_on", _("计划启动前期日期"), "计划启动前期日期", "计划启动前期"),
    _dates("preparing_on", _("启动前期日期"), "启动前期日期", "启动前期时间"),
    _dates("planned_start_on", _("计划开工日期"), "计划开工日期", "计划开工时间", "计划开工"),
    _dates("started_on", _("实际开工日期"), "实际开工日期", "实际开工", "开工日期", "开工时间", "实际开工时间"),
    _dates("planned_completion_on", _("计划竣工日期"), "计划竣工日期", "计划竣工时间", "计划竣工", "计划完工"),
    _dates("completed_on", _("竣工日期"), "竣工日期", "实际竣工", "竣工时间", "实际竣工日期"),
    _dates("planned_production_on", _("计划投产日期"), "计划投产日期", "计划投产时间", "计划投产"),
    _dates("production_on", _("投产日期"), "投产日期", "实际投产", "投产时间", "实际投产日期"),
]
BY_KEY = {field.key: field for field in FIELDS}
ALIASES = {normal(alias): field.key for field in FIELDS for alias in field.aliases}
# Fields more than one column may fill: one annual plan column per year.
REPEATABLE = {"annual_plan"}

BRACKETS = re.compile(r"[(\[【][^)\]】]*[)\]】]")
LEADING = re.compile(r"^(?:\d{4}年度?|其中[:：]?|\*+)")
UNIT_WORD = re.compile(r"亿元|万元|亿|万|元")
UNIT_NOTE = re.compile(r"单位[:：]?(亿元|万元|元)")
YEAR = re.compile(r"(20\d{2})年")


def header_key(text) -> str:
    """A header as looked up in ``ALIASES``: no brackets (units, notes), no leading year or "其中："."""
    key = BRACKETS.sub("", normal(text))
    key = LEADING.sub("", key)
    return key.strip(":：*")


def field_for(text) -> str:
    return ALIASES.get(header_key(text), "") if text else ""


def unit_in(text) -> str:
    """The amount unit a header names: "总投资（亿元）" → 亿元; "" when it names none."""
    norm = normal(text)
    note = UNIT_NOTE.search(norm)
    if note:
        return note.group(1)
    for inner in re.findall(r"[(\[]([^)\]]*)[)\]]", norm):
        match = UNIT_WORD.search(inner)
        if match and "/" not in inner:  # "万元/亩" is an intensity, not an amount
            word = match.group(0)
            return word if word.endswith("元") else word + "元"
    return ""


# ---- the header block ------------------------------------------------------------------------


@dataclass
class Layout:
    first: int  # sheet row numbers, 1-based
    last: int
    headers: list[tuple[str, str]]  # per column: (group text above, own text)
    default_unit: str  # from a note like "单位：万元" above or in the header


def detect_layout(table: Table, first: int | None = None, last: int | None = None) -> Layout:
    """The header rows (the ones named, else the best block found) and the unit note above them."""
    if first is None or last is None:
        first, last = _best_block(table)
    headers = _headers(table, first - 1, last - first + 1)
    return Layout(first, last, headers, _unit_note(table.rows[:last]))


def _best_block(table: Table) -> tuple[int, int]:
    scan = table.rows[:HEADER_ROWS]
    best, best_score = None, (0, False)
    for start in range(len(scan)):
        for depth in (1, 2):
            if start + depth > len(scan) or (depth == 2 and _looks_like_data(scan[start + 1])):
                continue
            fields = {
                field_for(own) or field_for(group + own) or field_for(group)
                for group, own in _headers(table, start, depth)
            }
            named = len(fields - {""})
            # Ties go to the block with merged cells spanning its rows (a true two-row header), else the shorter.
            score = (named + ("name" in fields), depth == 2 and _merged_across(table, start))
            if score > best_score:
                best, best_score = (start + 1, start + depth), score
    if best is None or best_score[0] < 2:
        return 1, 1
    return best


def _looks_like_data(row: list) -> bool:
    return any(isinstance(value, int | float) and not isinstance(value, bool) for value in row)


def _merged_across(table: Table, start: int) -> bool:
    return any(r0 == start and r1 >= start + 1 for r0, _c0, r1, _c1 in table.merged)


def _headers(table: Table, start: int, depth: int) -> list[tuple[str, str]]:
    rows = [_filled_row(table, start + offset) for offset in range(depth)]
    width = max((len(row) for row in rows), default=0)
    if depth == 1:
        return [("", _text(rows[0], c)) for c in range(width)]
    top, own = rows
    _fill_groups_without_merges(table, start, top, own, width)
    return [_pair(_text(top, c), _text(own, c)) for c in range(width)]


def _pair(group: str, own: str) -> tuple[str, str]:
    if not own or own == group:
        return "", group  # a header merged down both rows
    return group, own


def _filled_row(table: Table, index: int) -> list:
    """The row with each merged range's text copied into all its cells."""
    row = list(table.rows[index]) if index < len(table.rows) else []
    for r0, c0, r1, c1 in table.merged:
        if r0 <= index <= r1 and r0 < len(table.rows):
            value = _text(table.rows[r0], c0)
            row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value
    return row


def _fill_groups_without_merges(table: Table, start: int, top: list, own: list, width: int) -> None:
    """CSV has no merged cells: a group text stands over its first column only; carry it right over the group."""
    if any(r0 == start for r0, *_rest in table.merged):
        return
    top.extend([""] * (width - len(top)))
    for c in range(1, width):
        if not _text(top, c) and _text(own, c) and _text(top, c - 1) and _text(own, c - 1):
            top[c] = top[c - 1]


def _text(row: list, index: int) -> str:
    if index >= len(row):
        return ""
    value = row[index]
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def _unit_note(rows: list[list]) -> str:
    for row in rows:
        for value in row:
            if isinstance(value, str) and "单位" in value:
                match = UNIT_NOTE.search(normal(value))
                if match:
                    return match.group(1)
    return ""


# ---- the columns -----------------------------------------------------------------------------


def detect_columns(table: Table, layout: Layout, samples: int = 3) -> list[dict]:
    """One entry per non-empty header column: its letter, header text, detected field, unit, year and samples."""
    columns, taken = [], set()
    this_year = timezone.localdate().year
    for index, (group, own) in enumerate(layout.headers):
        if not group and not own:
            continue
        key = field_for(own) or field_for(group + own) or field_for(group)
        year = _year(group + own) if key == "annual_plan" else None
        if key and (key, year) in taken:
            key = ""  # the first column of a field wins; the user may move it
        taken.add((key, year))
        columns.append(
            {
                "index": index,
                "letter": column_letter(index),
                "header": " / ".join(filter(None, (group, own))),
                "field": key,
                "unit": unit_in(own) or unit_in(group) or layout.default_unit or "万元",
                "year": year or (this_year if key == "annual_plan" else None),
                "sample": _samples(table, layout.last, index, samples),
            }
        )
    return columns


def _year(text: str) -> int | None:
    match = YEAR.search(normal(text))
    return int(match.group(1)) if match else None


def _samples(table: Table, last: int, index: int, count: int) -> list[str]:
    values = []
    for row in table.rows[last : last + 20]:
        text = _text(row, index)
        if text:
            values.append(text[:40])
        if len(values) == count:
            break
    return values


def apply_template(columns: list[dict], template_columns: list[dict], default_unit: str) -> list[dict]:
    """The columns with the template's field and unit wherever a header matches one the template names."""
    by_header = {entry["header"]: entry for entry in template_columns}
    this_year = timezone.localdate().year
    for column in columns:
        entry = by_header.get(template_key(column["header"]))
        if entry is None:
            continue
        column["field"] = entry["field"]
        column["unit"] = entry.get("unit") or column["unit"] or default_unit or "万元"
        if column["field"] == "annual_plan" and not column.get("year"):
            column["year"] = _year(column["header"]) or this_year
    return columns


def template_key(header: str) -> str:
    """How a template remembers a header: normalised, years kept (2025 and 2026 plan columns differ)."""
    return normal(header)


def field_label(key: str) -> str:
    field = BY_KEY.get(key)
    return str(field.label) if field else ""


def column_label(column: dict) -> str:
    """The field a mapped column fills, as the dry run names it: "年度计划投资（2026年）"."""
    label = field_label(column["field"])
    if column["field"] == "annual_plan" and column.get("year"):
        return gettext("%(label)s（%(year)s年）") % {"label": label, "year": column["year"]}
    return label
