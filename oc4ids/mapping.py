"""The ledger and OC4IDS side by side: the declared tables both the export and the import read.

Every code written here comes from the 0.9.5 codelists in data/oc4ids-0.9.5/codelists (the tests
check each table against the CSVs). Text written into packages (titles, descriptions) is Chinese
data, not interface text, so it is not translated: a package says ``"language": "zh"``.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from org.models import Region
from projects.models import Category, Level, Nature, Stage

CURRENCY = "CNY"
YUAN_PER_WAN = Decimal("10000")
CENT = Decimal("0.01")
# The largest 万元 figure the ledger's money fields (14 digits, 2 decimals) hold.
MAX_WAN = Decimal("999999999999.99")
LANGUAGE = "zh"
COUNTRY = "中国"
VERSION = "0.9"  # the package's "version": major.minor of the schema

# Identifier schemes. 统一社会信用代码 (GB 32100-2015), as the task names it; the national project code of
# the 全国投资项目在线审批监管平台 (投资项目代码) under a scheme of our own naming.
USCC_SCHEME = "CN-USCC"
NATIONAL_CODE_SCHEME = "CN-TZXMDM"

DEFAULT_ID_PREFIX = "oc4ids-xxxxxx-"


def id_prefix() -> str:
    """The publisher's OC4IDS project id prefix (registered with the Open Contracting Partnership)."""
    return getattr(settings, "OC4IDS_ID_PREFIX", DEFAULT_ID_PREFIX)


# ---- lifecycle: stage <-> projectStatus (closed codelist) ----

STATUS_OF_STAGE = {
    Stage.PLANNING: "identification",
    Stage.RESERVE: "identification",
    Stage.SIGNED: "identification",
    Stage.PREPARING: "preparation",
    Stage.CONSTRUCTION: "implementation",
    Stage.COMPLETED: "completion",
    Stage.PRODUCTION: "maintenance",  # 投产: the asset is in service ("operation and maintenance")
    Stage.TERMINATED: "cancelled",
}

# The stage a status is imported as. A project whose stage already maps to the status keeps it (a 储备
# project stays 储备), so only a real change of status moves the ledger.
STAGE_OF_STATUS = {
    "identification": Stage.PLANNING,
    "preparation": Stage.PREPARING,
    "implementation": Stage.CONSTRUCTION,
    "completion": Stage.COMPLETED,
    "maintenance": Stage.PRODUCTION,
    # The ledger ends with 投产: a decommissioning or decommissioned asset was in production.
    "decommissioning": Stage.PRODUCTION,
    "decommissioned": Stage.PRODUCTION,
    "cancelled": Stage.TERMINATED,
}


def status_of(stage: str, stage_before_suspension: str = "") -> str:
    """暂停 has no status of its own: a suspended project is reported in the phase it was suspended in."""
    if stage == Stage.SUSPENDED:
        return STATUS_OF_STAGE[stage_before_suspension or Stage.PLANNING]
    return STATUS_OF_STAGE[stage]


# ---- nature <-> projectType (closed codelist) ----

TYPE_OF_NATURE = {
    Nature.NEW: "construction",
    Nature.CONTINUING: "construction",  # 续建: still building the new asset
    Nature.EXPANSION: "expansion",
    Nature.UPGRADE: "rehabilitation",  # 技改: upgrading an existing asset
}
NATURE_OF_TYPE = {
    "construction": Nature.NEW,
    "expansion": Nature.EXPANSION,
    "rehabilitation": Nature.UPGRADE,
    "replacement": Nature.UPGRADE,
}


# ---- category <-> projectSector (open codelist; we only write listed codes) ----

# (category, keyword pattern in the project name or None, sector): the first matching row gives the sector.
# 基础设施 and 民生社会事业 are broad, so the name picks the closer sector where it says.
SECTOR_RULES = [
    (Category.INDUSTRY, None, "economy"),
    (Category.INFRASTRUCTURE, r"铁路|高铁", "transport.rail"),
    (Category.INFRASTRUCTURE, r"机场|航空", "transport.air"),
    (Category.INFRASTRUCTURE, r"港口|码头|航道", "transport.water"),
    (Category.INFRASTRUCTURE, r"公路|道路|高速|大桥|桥梁|隧道", "transport.road"),
    (Category.INFRASTRUCTURE, r"光伏|太阳能", "energy.solar"),
    (Category.INFRASTRUCTURE, r"风电|风力", "energy.wind"),
    (Category.INFRASTRUCTURE, r"水电站|抽水蓄能", "energy.hydropower"),
    (Category.INFRASTRUCTURE, r"电力|电网|变电|输电|燃气|供热|热力|储能|能源", "energy"),
    (Category.INFRASTRUCTURE, r"供水|污水|排水|水厂|垃圾|固废", "waterAndWaste"),
    (Category.INFRASTRUCTURE, r"通信|5G|数据中心|算力|光纤|信息", "communications"),
    (Category.INFRASTRUCTURE, None, "transport"),
    (Category.LIVELIHOOD, r"学校|中学|小学|幼儿园|大学|学院|教育|职教", "education"),
    (Category.LIVELIHOOD, r"住房|保障房|安置|棚户|棚改|老旧小区", "socialHousing"),
    (Category.LIVELIHOOD, r"文化|体育|旅游|公园|景区|博物馆|图书馆", "cultureSportsAndRecreation"),
    (Category.LIVELIHOOD, None, "health"),
    (Category.ECOLOGY, r"防洪|堤防|河道|水库", "naturalResources.floodProtection"),
    (Category.ECOLOGY, None, "naturalResources"),
    (Category.URBAN, None, "transport.urban"),
]

# Sector (or its family before the dot) -> category, for imports. An unknown or missing sector gives
# 基础设施: OC4IDS is the infrastructure data standard.
CATEGORY_OF_SECTOR = {
    "economy": Category.INDUSTRY,
    "transport.urban": Category.URBAN,
    "transport": Category.INFRASTRUCTURE,
    "energy": Category.INFRASTRUCTURE,
    "waterAndWaste": Category.INFRASTRUCTURE,
    "communications": Category.INFRASTRUCTURE,
    "education": Category.LIVELIHOOD,
    "health": Category.LIVELIHOOD,
    "socialHousing": Category.LIVELIHOOD,
    "cultureSportsAndRecreation": Category.LIVELIHOOD,
    "governance": Category.LIVELIHOOD,
    "naturalResources": Category.ECOLOGY,
}
DEFAULT_CATEGORY = Category.INFRASTRUCTURE


def sector_of(category: str, name: str) -> str:
    for rule_category, pattern, sector in SECTOR_RULES:
        if rule_category == category and (pattern is None or re.search(pattern, name or "")):
            return sector
    raise LookupError(category)


def category_of(sector: str) -> str | None:
    return CATEGORY_OF_SECTOR.get(sector) or CATEGORY_OF_SECTOR.get(sector.split(".", 1)[0])


# A new project's level follows the region it is imported into.
LEVEL_OF_KIND = {
    Region.Kind.PROVINCE: Level.PROVINCIAL,
    Region.Kind.CITY: Level.CITY,
    Region.Kind.COUNTY: Level.COUNTY,
    Region.Kind.ZONE: Level.COUNTY,
}


# ---- the lifecycle steps as milestones and phase periods ----


@dataclass(frozen=True)
class Step:
    stage: str
    title: str
    type: str  # milestoneType codelist
    code: str  # milestoneCode codelist, "" where none fits
    # Periods whose dates stand for the step's actual date in packages from elsewhere, first found wins.
    periods: tuple[str, ...]

    @property
    def milestone_id(self) -> str:
        return f"stage-{self.stage}"


STEPS = [
    Step(Stage.RESERVE, "入库", "preProcurement", "", ("identificationPeriod.startDate",)),
    Step(Stage.SIGNED, "签约", "approval", "", ()),
    Step(Stage.PREPARING, "启动前期", "preProcurement", "", ("preparationPeriod.startDate",)),
    Step(Stage.CONSTRUCTION, "开工", "delivery", "commencement", ("implementationPeriod.startDate",)),
    Step(
        Stage.COMPLETED,
        "竣工",
        "delivery",
        "completion",
        ("completionPeriod.startDate", "implementationPeriod.endDate"),
    ),
    Step(
        Stage.PRODUCTION,
        "投产",
        "delivery",
        "commissioning",
        ("maintenancePeriod.startDate", "completionPeriod.endDate"),
    ),
]
STEP_BY_MILESTONE_ID = {step.milestone_id: step for step in STEPS}
STEP_BY_CODE = {step.code: step for step in STEPS if step.code}

# The phase periods the export writes from actual dates: period key -> (start step, end step).
PHASE_PERIODS = {
    "identificationPeriod": (Stage.RESERVE, Stage.PREPARING),
    "preparationPeriod": (Stage.PREPARING, Stage.CONSTRUCTION),
    "implementationPeriod": (Stage.CONSTRUCTION, Stage.COMPLETED),
    "completionPeriod": (Stage.COMPLETED, Stage.PRODUCTION),
    "maintenancePeriod": (Stage.PRODUCTION, None),
}

# Project milestones (形象进度节点) are physical progress: delivery milestones.
PROGRESS_MILESTONE_TYPE = "delivery"
FINANCIAL_PROGRESS = "financialProgress"  # metricID codelist


def milestone_status(due: datetime.date | None, met: datetime.date | None, today: datetime.date) -> str | None:
    """milestoneStatus (closed codelist): met, overdue (notMet) or scheduled; nothing without dates."""
    if met:
        return "met"
    if due:
        return "notMet" if due < today else "scheduled"
    return None


# ---- money: 万元 in the ledger, yuan in value objects ----

# Funding sources as a budget breakdown: breakdown id -> (ledger field, description).
FUNDING = {
    "government": ("fund_government", "政府投资"),
    "enterprise": ("fund_enterprise", "企业自筹"),
    "bankLoans": ("fund_bank_loans", "银行贷款"),
    "specialBonds": ("fund_special_bonds", "专项债"),
    "other": ("fund_other", "基金及其他"),
}
ANNUAL_PLANS_BREAKDOWN = "annualPlans"
FUNDING_BREAKDOWN = "fundingSources"


def value_of(wan: Decimal) -> dict:
    """A value object in yuan: 万元 × 10,000 (whole yuan, since the ledger keeps 万元 to two decimals)."""
    yuan = (wan * YUAN_PER_WAN).quantize(Decimal("1"), ROUND_HALF_UP)
    return {"amount": int(yuan), "currency": CURRENCY}


def wan_of(amount) -> Decimal | None:
    """Yuan (a JSON number) as 万元 to two decimals; None for what is no finite number."""
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return None
    try:
        return (Decimal(str(amount)) / YUAN_PER_WAN).quantize(CENT, ROUND_HALF_UP)
    except InvalidOperation:
        return None


# ---- dates: the ledger's dates are local (Asia/Shanghai) days ----


@lru_cache(maxsize=16384)  # an export writes the same month and year boundaries thousands of times
def datetime_of(day: datetime.date, end: bool = False) -> str:
    """A day as an RFC 3339 date-time at midnight in TIME_ZONE (or the last second of the day for period ends)."""
    moment = datetime.time(23, 59, 59) if end else datetime.time(0, 0)
    return timezone.make_aware(datetime.datetime.combine(day, moment), timezone.get_default_timezone()).isoformat()


def date_of(value) -> datetime.date | None:
    """The calendar day as written in an RFC 3339 date-time ("2017-01-01T00:00:00Z" -> 2017-01-01).

    The written day is kept rather than converted to Beijing time: a package from elsewhere means its own day.
    """
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None
