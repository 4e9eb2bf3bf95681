"""``manage.py demo``: a deterministic, realistic data set for Shanxi (山西省).

Regions come from ``load_regions --province 14``; on top of them this adds development zones, the usual
departments of every government, "4+6+N" industry chains, leaders, one demo user per role at the province
(山西省), a city (吕梁市) and a county (交城县), and a ledger of projects with owners, money, annual plans,
stage dates, milestones and a first stage change. Everything is drawn from ``random.Random(SEED)`` in a fixed
order, so two runs on empty databases in the same year give the same rows. Actual dates never pass today;
most are placed around 1 January of the current year.

On top of the ledger comes the monthly reporting, drawn from a second stream (``REPORT_SEED``) so the ledger
stays as it was: reporter accounts per city and county assigned to every coloured project, the investment
done before the platform (``opening_completed``), periods and monthly reports from January of the first
year to this month (earlier months approved and closed, this month a mix of submitted, draft, returned and
missing), then the colours of every month, January first so streaks carry over, and two overrides.
"""

import datetime
import functools
import importlib
import importlib.util
import math
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django_scopes import scopes_disabled
from simple_history.utils import bulk_create_with_history

from lib.codes import make_credit_code
from org.models import Department, Region, Role, User
from projects.models import (
    COLOURED_STAGES,
    FUNDING_FIELDS,
    REPORTING_STAGES,
    STAGE_ORDER,
    STEP_DATES,
    AnnualPlan,
    Category,
    ChainTag,
    Level,
    Milestone,
    Nature,
    Project,
    Stage,
    StageChange,
    stage_index,
)
from reports.colours import recompute
from reports.models import Colour, MonthlyReport, Period, ProjectColour, ReportStatus

DEMO_PASSWORD = "demo-pass-2026"
SEED = 2260
PROVINCE = "140000"
# The three levels that get one demo user per role: 山西省, 吕梁市, 交城县.
DEMO_LEVELS = {"province": "140000", "city": "141100", "county": "141122"}
# Cities whose counties get leaders and most of the projects: 吕梁市, 太原市.
FOCUS_CITIES = ("141100", "140100")
HISTORY_REASON = "演示数据"
CENT = Decimal("0.01")

# ---- declared reference data ----

ZONES = [  # code (≤ 12 chars), name, parent code
    ("141122Z01", "交城经济开发区", "141122"),
    ("141100Z01", "吕梁经济技术开发区", "141100"),
    ("141121Z01", "文水经济开发区", "141121"),
    ("141181Z01", "孝义经济开发区", "141181"),
    ("141182Z01", "汾阳杏花村经济技术开发区", "141182"),
    ("140121Z01", "清徐经济开发区", "140121"),
    ("140181Z01", "古交经济开发区", "140181"),
]

# key: (province name, city name, county name, short name)
DEPARTMENTS = {
    "drc": ("发展和改革委员会", "发展和改革委员会", "发展和改革局", "发改"),
    "land": ("自然资源厅", "自然资源局", "自然资源局", "自然资源"),
    "env": ("生态环境厅", "生态环境局", "生态环境局", "生态环境"),
    "housing": ("住房和城乡建设厅", "住房和城乡建设局", "住房和城乡建设局", "住建"),
    "approval": ("行政审批服务管理局", "行政审批服务管理局", "行政审批服务管理局", "行政审批"),
    "industry": ("工业和信息化厅", "工业和信息化局", "工业和信息化局", "工信"),
    "commerce": ("商务厅", "商务局", "商务局", "商务"),
    "transport": ("交通运输厅", "交通运输局", "交通运输局", "交通"),
    "water": ("水利厅", "水利局", "水利局", "水利"),
}

CHAIN_TAGS = {
    "140000": ["新能源汽车", "高端装备制造", "特种金属材料", "半导体", "光伏", "氢能", "煤机智能制造", "合成生物"],
    "140100": ["信息技术应用创新", "新能源汽车", "高端装备制造", "数字经济", "现代物流"],
    "141100": ["煤焦化工", "新能源", "新材料", "文旅康养", "杂粮食品", "现代物流"],
    # 交城县 "4+6+N": four leading chains, six growing ones.
    "141122": [
        "新能源",
        "新材料",
        "特色专用车",
        "现代煤化工",
        "文旅康养",
        "现代农业",
        "现代物流",
        "数字经济",
        "节能环保",
        "生物医药",
    ],
    "141121": ["新材料", "现代农业", "装备制造"],
    "141181": ["现代煤化工", "铝镁新材料", "氢能"],
    "141182": ["酒业", "文旅康养", "现代农业"],
}

LEADER_TITLES = {
    Region.Kind.PROVINCE: ["省长", "常务副省长", "副省长", "副省长"],
    Region.Kind.CITY: ["市长", "常务副市长", "副市长", "副市长"],
    "县": ["县长", "常务副县长", "副县长", "副县长"],
    "区": ["区长", "常务副区长", "副区长", "副区长"],
    "市": ["市长", "常务副市长", "副市长", "副市长"],
}
LEADERS_PER_REGION = 3

ROLE_TITLES = {
    Role.ADMIN: "系统管理员",
    Role.COORDINATOR: "重点办主任",
    Role.REPORTER: "项目填报员",
    Role.HANDLER: "经办人",
    Role.PROMOTER: "招商专员",
    Role.ENTERPRISE: "企业联络员",
}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉兰萍红建国志海波宁斌峰鹏辉飞鑫晨宇浩凯文瑞琳晓东亮晋晖"

BRANDS = [
    "华鑫",
    "鑫源",
    "宏达",
    "恒通",
    "瑞光",
    "金岩",
    "天宇",
    "嘉禾",
    "永泰",
    "中晟",
    "瑞泽",
    "泰丰",
    "晟源",
    "昌盛",
    "润达",
    "汇能",
    "博远",
    "凯盛",
    "耀华",
    "新峰",
    "德润",
    "汾源",
    "晋昌",
    "卦山",
    "龙泉",
    "聚成",
]

# Industry projects: name template, quantities, chain tags that fit, owner company suffix.
INDUSTRY_ITEMS = [
    ("年产{n}万吨高端碳材料项目", (5, 10, 20, 30), ("新材料", "特种金属材料"), "新材料科技有限公司"),
    ("年产{n}万吨针状焦项目", (10, 20, 30), ("现代煤化工", "煤焦化工"), "化工有限公司"),
    ("年产{n}万吨煤焦油深加工项目", (20, 30, 50), ("现代煤化工", "煤焦化工"), "化工有限公司"),
    ("{n}MW光伏发电项目", (50, 100, 200), ("新能源", "光伏"), "新能源发展有限公司"),
    ("{n}MW风电项目", (100, 150, 200), ("新能源",), "新能源发展有限公司"),
    ("年产{n}GWh储能电池项目", (2, 5, 10), ("新能源", "新能源汽车"), "储能科技有限公司"),
    ("年产{n}辆新能源重卡项目", (3000, 5000, 10000), ("特色专用车", "新能源汽车"), "汽车制造有限公司"),
    ("年产{n}辆特种专用车项目", (2000, 5000), ("特色专用车", "高端装备制造"), "专用汽车有限公司"),
    ("年产{n}万套汽车零部件项目", (10, 50, 100), ("特色专用车", "新能源汽车"), "汽车零部件有限公司"),
    ("年产{n}万吨高纯镁合金项目", (1, 3, 5), ("铝镁新材料", "新材料", "特种金属材料"), "镁业有限公司"),
    ("年产{n}万吨杂粮精深加工项目", (2, 5, 10), ("现代农业", "杂粮食品"), "农业开发有限公司"),
    ("年产{n}万千升白酒酿造及储存项目", (1, 2, 3), ("酒业", "现代农业"), "酒业有限公司"),
    ("{n}万吨/年煤矸石综合利用项目", (50, 100), ("节能环保",), "环保科技有限公司"),
    ("年产{n}吨中药材精深加工项目", (500, 1000, 3000), ("生物医药", "合成生物"), "生物科技有限公司"),
    ("年产{n}万吨氢能及配套项目", (1, 2), ("氢能", "新能源"), "氢能科技有限公司"),
    ("智能制造产业园项目", (None,), ("高端装备制造", "装备制造", "煤机智能制造"), "智能装备有限公司"),
    ("数据中心项目", (None,), ("数字经济", "信息技术应用创新"), "数字科技有限公司"),
    ("冷链物流园项目", (None,), ("现代物流",), "物流有限公司"),
    ("康养小镇项目", (None,), ("文旅康养",), "文化旅游开发有限公司"),
]

# Public projects: name template, owner suffix, credit code prefix (11 government body, 12 public institution,
# 91 company), department key.
PUBLIC_ITEMS = {
    Category.INFRASTRUCTURE: [
        ("城区供热管网改造工程", "热力有限公司", "91", "housing"),
        ("城区至工业园区公路改扩建工程", "交通运输局", "11", "transport"),
        ("农村公路提质改造工程", "交通运输局", "11", "transport"),
        ("220千伏输变电工程", "供电公司", "91", "drc"),
        ("城乡供水一体化工程", "水务投资有限公司", "91", "water"),
        ("污水处理厂提标改造工程", "住房和城乡建设局", "11", "housing"),
        ("天然气管网建设工程", "城市建设投资有限公司", "91", "housing"),
        ("物流园区铁路专用线项目", "交通投资建设有限公司", "91", "transport"),
        ("充电基础设施建设项目", "城市建设投资有限公司", "91", "drc"),
        ("水库除险加固工程", "水利局", "11", "water"),
    ],
    Category.LIVELIHOOD: [
        ("第二人民医院新建项目", "卫生健康局", "11", "drc"),
        ("人民医院门急诊综合楼建设项目", "人民医院", "12", "drc"),
        ("中医医院迁建项目", "中医医院", "12", "drc"),
        ("第{cn}中学迁建项目", "教育局", "11", "drc"),
        ("职业技术学校实训基地项目", "职业技术学校", "12", "drc"),
        ("养老服务中心建设项目", "民政局", "11", "drc"),
        ("妇幼保健院新建项目", "妇幼保健院", "12", "drc"),
        ("全民健身中心项目", "文化和旅游局", "11", "drc"),
        ("公共卫生应急救治中心项目", "卫生健康局", "11", "drc"),
    ],
    Category.ECOLOGY: [
        ("汾河流域生态修复工程", "水利局", "11", "water"),
        ("矿山生态修复治理项目", "自然资源局", "11", "land"),
        ("国土绿化项目", "林业局", "11", "land"),
        ("农村生活污水治理项目", "生态环境局", "11", "env"),
        ("固体废物综合处置中心项目", "环境卫生服务中心", "12", "env"),
        ("水土流失综合治理工程", "水利局", "11", "water"),
        ("湿地公园建设项目", "林业局", "11", "land"),
    ],
    Category.URBAN: [
        ("城区老旧小区改造项目", "住房和城乡建设局", "11", "housing"),
        ("城市更新项目", "城市建设投资有限公司", "91", "housing"),
        ("保障性租赁住房项目", "城市建设投资有限公司", "91", "housing"),
        ("智慧停车场建设项目", "城市建设投资有限公司", "91", "housing"),
        ("城市道路提质改造工程", "住房和城乡建设局", "11", "housing"),
        ("雨污分流改造工程", "住房和城乡建设局", "11", "housing"),
        ("滨河公园建设项目", "城市建设投资有限公司", "91", "housing"),
    ],
}
INDUSTRY_DEPARTMENTS = ["industry", "industry", "drc", "commerce"]
CHINESE_NUMBERS = "二三四五六"

CATEGORY_WEIGHTS = {
    Category.INDUSTRY: 45,
    Category.INFRASTRUCTURE: 20,
    Category.LIVELIHOOD: 14,
    Category.ECOLOGY: 8,
    Category.URBAN: 13,
}
# Median total investment (万元) of each category; the spread is log-normal.
CATEGORY_MEDIAN = {
    Category.INDUSTRY: 30000,
    Category.INFRASTRUCTURE: 35000,
    Category.LIVELIHOOD: 12000,
    Category.ECOLOGY: 15000,
    Category.URBAN: 20000,
}
# Share of each funding source before normalising: industry is mostly enterprise money.
FUNDING_WEIGHTS = {
    "industry": {"fund_enterprise": (4, 8), "fund_bank_loans": (1, 4), "fund_other": (0, 1)},
    "public": {
        "fund_government": (2, 6),
        "fund_special_bonds": (0, 5),
        "fund_bank_loans": (0, 3),
        "fund_other": (0, 1),
    },
}
INDUSTRY_CODES = {  # 国民经济行业 divisions used in the national project code
    Category.INDUSTRY: ["26", "30", "31", "32", "36", "38", "44", "13"],
    Category.INFRASTRUCTURE: ["44", "48", "54", "46"],
    Category.LIVELIHOOD: ["83", "84", "85", "88"],
    Category.ECOLOGY: ["77", "46"],
    Category.URBAN: ["47", "70", "48"],
}

STAGE_WEIGHTS = {
    Stage.PLANNING: 6,
    Stage.RESERVE: 8,
    Stage.SIGNED: 8,
    Stage.PREPARING: 14,
    Stage.CONSTRUCTION: 40,
    Stage.COMPLETED: 8,
    Stage.PRODUCTION: 10,
    Stage.SUSPENDED: 3,
    Stage.TERMINATED: 3,
}
# The stage a suspended or terminated project had reached.
STOPPED_FROM = {
    Stage.SUSPENDED: {Stage.SIGNED: 2, Stage.PREPARING: 3, Stage.CONSTRUCTION: 5},
    Stage.TERMINATED: {Stage.PLANNING: 2, Stage.RESERVE: 2, Stage.SIGNED: 3, Stage.PREPARING: 3, Stage.CONSTRUCTION: 1},
}
STOP_REASONS = {
    Stage.SUSPENDED: [
        "企业资金链紧张，项目暂缓实施。",
        "用地手续尚未落实，暂停推进。",
        "环评需重新报批，暂停施工。",
        "市场行情变化，企业调整投资计划。",
    ],
    Stage.TERMINATED: [
        "企业战略调整，终止投资。",
        "项目选址与国土空间规划冲突，终止实施。",
        "投资方退出，项目终止。",
        "经评估不具备实施条件，予以终止。",
    ],
}
# The reason category of each suspension text above.
SUSPENSION_CODES = {
    "企业资金链紧张，项目暂缓实施。": "funding",
    "用地手续尚未落实，暂停推进。": "land",
    "环评需重新报批，暂停施工。": "environment",
    "市场行情变化，企业调整投资计划。": "market",
}
# Days from the step before to this step (range), and how far before/after 1 January the last event lies.
STEP_GAPS = {
    Stage.RESERVE: (30, 200),
    Stage.SIGNED: (20, 150),
    Stage.PREPARING: (15, 120),
    Stage.CONSTRUCTION: (60, 300),
    Stage.COMPLETED: (240, 900),
    Stage.PRODUCTION: (20, 180),
}
LAST_EVENT = {
    Stage.PLANNING: (-400, 300),
    Stage.RESERVE: (-400, 300),
    Stage.SIGNED: (-300, 300),
    Stage.PREPARING: (-300, 300),
    Stage.CONSTRUCTION: (-900, 300),
    Stage.COMPLETED: (-500, 300),
    Stage.PRODUCTION: (-700, 300),
}
MILESTONES = {
    Category.INDUSTRY: ["场地平整", "主体厂房基础施工", "主体结构封顶", "设备采购安装", "单机调试", "联动试车"],
    "other": ["征地拆迁", "施工图设计及审查", "基础工程", "主体工程", "附属及配套工程", "竣工验收"],
}
PLACES = ["城区", "城南片区", "城北片区", "东部新区", "产业园区"]
TASK_FORCE_TITLES = ["局长", "副局长", "股长", "科员"]

# ---- declared reporting data ----

REPORT_SEED = SEED + 1  # the reporting layer's own stream: the ledger above draws exactly as it did before
REPORTERS_PER_REGION = (3, 5)  # generated reporter accounts in each city and county
CLOSE_DAY = 25
# Days from today to a signed or preparing project's planned start: some overdue (red past 30 days).
PLANNED_START = {(-240, -31): 10, (-30, -1): 8, (20, 400): 82}
# How a project's yearly figures compare with its annual plan: (low, high) -> share of projects.
PACES = {(1.0, 1.3): 68, (0.9, 1.0): 18, (0.7, 0.9): 9, (0.2, 0.6): 5}
# Seasonal weight of each month: frozen ground and the Spring Festival slow the works in Dec, Jan and Feb.
SEASON = [5, 6, 8, 10, 10, 10, 10, 10, 10, 9, 7, 5]
WINTER = (12, 1, 2)
# This month's report of each reporting project: status -> share (None: not started yet).
CURRENT_MONTH_MIX = {ReportStatus.SUBMITTED: 30, ReportStatus.DRAFT: 20, ReportStatus.RETURNED: 10, None: 40}
LATE_SHARE = 0.06  # past reports submitted after the close day
OUTLIER_FACTOR = 3  # ReportingRules.outlier_factor's default

# 形象进度: the steps of each kind of works in order, one reached by each share of the investment done;
# {p} is how far into the step (%), {n} a floor, {k} kilometres.
PROGRESS = {
    "plant": [
        "完成场地平整及土方开挖",
        "桩基工程完成{p}%",
        "主体厂房基础施工完成{p}%",
        "主体厂房钢结构吊装完成{p}%",
        "主体厂房封顶，综合楼施工至第{n}层",
        "厂房围护及屋面工程完成{p}%",
        "主要设备陆续进场，设备安装完成{p}%",
        "公用工程管廊及配套管网施工",
        "设备单机调试完成{p}%",
        "联动试车准备",
    ],
    "line": [
        "完成征地拆迁及施工便道",
        "路基土石方完成{p}%",
        "路基完成{k}公里，桥涵下部结构施工",
        "管网铺设完成{k}公里",
        "桥梁上部结构施工完成{p}%",
        "路面基层完成{k}公里",
        "路面面层完成{k}公里",
        "交安设施及绿化施工完成{p}%",
        "附属工程收尾，准备交工验收",
    ],
    "building": [
        "完成土方开挖",
        "基础筏板浇筑完成{p}%",
        "地下室结构施工完成{p}%",
        "主体结构施工至第{n}层",
        "主体结构封顶，二次结构砌筑完成{p}%",
        "外立面及幕墙施工完成{p}%",
        "机电安装完成{p}%",
        "室内装修完成{p}%",
        "室外配套工程施工",
        "消防及专项验收，准备竣工验收",
    ],
    "land": [
        "完成测量放线及清表",
        "清淤疏浚完成{p}%",
        "护岸工程完成{p}%",
        "土地整治完成{p}%",
        "苗木栽植完成{p}%",
        "植被恢复完成{p}%",
        "配套设施施工完成{p}%",
        "养护管理，准备验收",
    ],
}
WORKS = {
    Category.INDUSTRY: "plant",
    Category.INFRASTRUCTURE: "line",
    Category.LIVELIHOOD: "building",
    Category.URBAN: "building",
    Category.ECOLOGY: "land",
}
PREPARING_PROGRESS = [
    "完成可行性研究报告编制",
    "取得环评批复",
    "正在办理用地预审及规划选址",
    "施工图设计审查中",
    "完成施工招标，签订施工合同",
    "完成项目备案，正在办理施工许可",
    "完成征地补偿方案公示",
]
WINTER_PROGRESS = "冬季停工，做好复工准备"
PROBLEMS = [
    "建设资金到位不足，企业正在协调银行贷款。",
    "用地指标尚未落实，需上级协调。",
    "施工许可手续办理滞后。",
    "设备供货延迟，影响安装进度。",
    "征地拆迁遗留问题尚未解决。",
]
RETURN_REASONS = [
    "本月完成投资与形象进度不符，请核实后重新填报。",
    "未上传现场照片，请补充后重新提交。",
    "本月完成投资与统计联网直报数据不一致，请核对。",
]
OVERRIDE_REASONS = [
    "项目用地手续已于本月获批，施工单位已进场，下月起集中施工，经县重点办研究暂按黄色管理。",
    "受汛期影响停工两个月，现已全面复工，本月投资明显回升，经县重点办研究调整为黄色。",
]


# ---- the command ----


class Command(BaseCommand):
    help = (
        "Build a deterministic demo data set for 山西省: regions, zones, departments, chain tags, leaders, "
        f"demo users (password {DEMO_PASSWORD}) and --projects projects with --years of annual plans."
    )

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, default=400, help="number of projects (default 400)")
        parser.add_argument("--years", type=int, default=1, help="years of annual plans up to this one (default 1)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any project exists")

    def handle(self, *args, projects: int, years: int, if_empty: bool, **options):
        if projects < 0 or not 1 <= years <= 20:
            raise CommandError("--projects must be ≥ 0 and --years between 1 and 20.")
        with scopes_disabled():
            if Project.objects.exists():
                if if_empty:
                    self.stdout.write("Projects exist already: demo data not loaded again.")
                    self._print_accounts(existing_demo_accounts())
                    return
                raise CommandError("Projects exist already; run on an empty database (manage.py flush).")
            call_command("load_regions", province=[PROVINCE[:2]], stdout=self.stdout)
            with transaction.atomic():
                built = build(projects, years)
        self._print_accounts(built.accounts)
        self.stdout.write(
            f"Plus {built.reporters} reporter accounts reporter_<region code>_<n> with the same password."
        )
        self.stdout.write(_colour_line(built))
        for line in built.extras:
            self.stdout.write(line)

    def _print_accounts(self, users: list[User]) -> None:
        self.stdout.write("")
        self.stdout.write(_columns(["username", "role", "region", "name", "detail"]))
        for user in users:
            detail = user.enterprise_name or (user.department.name if user.department_id else user.title)
            self.stdout.write(
                _columns([user.username, user.get_role_display(), user.region.name, user.full_name, detail])
            )
        self.stdout.write(f"\nPassword for every demo account: {DEMO_PASSWORD}")


def existing_demo_accounts() -> list[User]:
    names = [f"{level}_{role.value}" for level in ("province", "city", "county") for role in Role]
    users = User.objects.filter(username__in=names).select_related("region", "department")
    return sorted(users, key=lambda user: names.index(user.username))


ACCOUNT_COLUMNS = [24, 12, 8, 8, 0]


def _columns(values: list[str]) -> str:
    """Pad to terminal columns, counting a Chinese character as two."""
    cells = []
    for value, width in zip(values, ACCOUNT_COLUMNS, strict=True):
        shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(value))
        cells.append(str(value) + " " * max(width - shown, 0))
    return "".join(cells).rstrip()


@dataclass
class Built:
    accounts: list[User]  # one per role and level
    reporters: int  # generated reporter accounts
    month: tuple[int, int]
    colours: dict[str, int]  # this month's shown colour -> projects
    overrides: int
    extras: list[str] = field(default_factory=list)  # one summary line per app with a demo module


def build(project_count: int, years: int) -> Built:
    """All the demo rows."""
    rng = random.Random(SEED)
    world = World.load(today=timezone.localdate())
    add_zones(world)
    add_departments(world)
    add_chain_tags(world)
    password = make_password(DEMO_PASSWORD)
    add_leaders(world, rng, password)
    drafts = [draft_project(world, rng, region, years) for region in pick_regions(world, rng, project_count)]
    report_rng = random.Random(REPORT_SEED)
    fit_to_reporting(world, report_rng, drafts, years)
    save_drafts(drafts)
    accounts = add_demo_users(world, rng, password, drafts)
    reporters = add_reporters(world, report_rng, password, drafts, accounts)
    add_reports(world, report_rng, drafts, years, reporters, _coordinators(accounts))
    colour_all_months(world, years)
    overrides = add_overrides(world, report_rng, _coordinators(accounts)[DEMO_LEVELS["county"]])
    extras = build_extensions(world, accounts)
    month = (world.today.year, world.today.month)
    return Built(accounts, len(reporters.generated), month, colour_counts(*month), overrides, extras)


def build_extensions(world: "World", accounts: list[User]) -> list[str]:
    """The later apps' demo rows: every installed app with a ``demo`` module, in INSTALLED_APPS order.

    Each such module has ``build(world, accounts, rng) -> str`` (a summary line), drawing only from the
    ``random.Random`` it is given, seeded from the app's name so one app's draws never shift another's.
    """
    lines = []
    for config in apps.get_app_configs():
        if config.name == "projects" or importlib.util.find_spec(f"{config.name}.demo") is None:
            continue
        module = importlib.import_module(f"{config.name}.demo")
        rng = random.Random(f"{SEED}-{config.name}")
        lines.append(module.build(world, accounts, rng))
    return lines


def _colour_line(built: Built) -> str:
    year, month = built.month
    counts = ", ".join(f"{built.colours.get(colour, 0)} {colour.label}" for colour in Colour)
    return f"Colours {year}-{month:02d}: {counts} ({built.overrides} overridden)."


# ---- the world: regions and the reference rows hung on them ----


@dataclass
class Owner:
    name: str
    credit_code: str
    short: str = ""  # how project names call a company: 山西华鑫


@dataclass
class World:
    today: datetime.date
    regions: dict[str, Region]  # by code, in path order
    departments: dict[tuple[str, str], Department] = field(default_factory=dict)  # (region code, key)
    tags: dict[str, list[ChainTag]] = field(default_factory=dict)  # region code -> its own tags
    leaders: dict[str, list[User]] = field(default_factory=dict)
    owners: dict[str, list[Owner]] = field(default_factory=dict)  # region code -> private companies
    public_owners: dict[str, Owner] = field(default_factory=dict)  # owner name -> owner
    credit_codes: set[str] = field(default_factory=set)
    code_sequences: dict[tuple[int, str], int] = field(default_factory=dict)
    project_names: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, today: datetime.date) -> "World":
        regions = Region.objects.filter(path__startswith=f"/{PROVINCE}/").order_by("path")
        return cls(today=today, regions={region.code: region for region in regions})

    @property
    def anchor(self) -> datetime.date:
        return datetime.date(self.today.year, 1, 1)

    def region(self, code: str) -> Region:
        return self.regions[code]

    def governments(self) -> list[Region]:
        """Regions with a government of their own: the province, cities and counties."""
        return [r for r in self.regions.values() if r.kind != Region.Kind.ZONE]

    def ancestors(self, region: Region) -> list[Region]:
        return [self.regions[code] for code in region.path.strip("/").split("/")]

    def zones_in(self, region: Region) -> list[Region]:
        return [r for r in self.regions.values() if r.kind == Region.Kind.ZONE and r.path.startswith(region.path)]

    def leader_region(self, region: Region) -> Region:
        """The nearest region (itself or above) that has leaders."""
        return next(r for r in reversed(self.ancestors(region)) if self.leaders.get(r.code))


def add_zones(world: World) -> None:
    for code, name, parent_code in ZONES:
        parent = world.region(parent_code)
        zone = Region.objects.filter(code=code).first() or Region(code=code)
        zone.name, zone.kind, zone.parent = name, Region.Kind.ZONE, parent
        if parent.longitude is not None:
            zone.longitude, zone.latitude = parent.longitude + Decimal("0.03"), parent.latitude - Decimal("0.02")
        zone.full_clean()
        zone.save()
        world.regions[code] = zone
    world.regions = dict(sorted(world.regions.items(), key=lambda item: item[1].path))


def department_name(region: Region, key: str) -> str:
    province, city, county, _short = DEPARTMENTS[key]
    by_kind = {Region.Kind.PROVINCE: province, Region.Kind.CITY: city, Region.Kind.COUNTY: county}
    return region.name + by_kind[region.kind]


def add_departments(world: World) -> None:
    wanted = [
        (region, key, Department(region=region, name=department_name(region, key), short_name=DEPARTMENTS[key][3]))
        for region in world.governments()
        for key in DEPARTMENTS
    ]
    saved = _create_missing(Department, [d for _r, _k, d in wanted], lambda d: (d.region_id, d.name))
    world.departments = {(region.code, key): saved[(region.pk, d.name)] for region, key, d in wanted}


def add_chain_tags(world: World) -> None:
    wanted = [ChainTag(region=world.region(code), name=name) for code, names in CHAIN_TAGS.items() for name in names]
    saved = _create_missing(ChainTag, wanted, lambda t: (t.region_id, t.name))
    for tag in wanted:
        world.tags.setdefault(tag.region.code, []).append(saved[(tag.region_id, tag.name)])


def _create_missing(model, objs: list, key) -> dict:
    """bulk_create (with history) the objects whose key is not in the table yet; all of them by key."""
    existing = {key(obj): obj for obj in model.objects.all()}
    missing = [obj for obj in objs if key(obj) not in existing]
    bulk_create_with_history(missing, model, default_change_reason=HISTORY_REASON)
    return existing | {key(obj): obj for obj in missing}


# ---- people ----


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def phone(rng: random.Random) -> str:
    return rng.choice(["139", "138", "135", "152", "158", "183", "187"]) + f"{rng.randrange(10**8):08d}"


def leader_titles(region: Region) -> list[str]:
    if region.kind == Region.Kind.COUNTY:
        return LEADER_TITLES[region.name[-1] if region.name[-1] in "县区市" else "县"]
    return LEADER_TITLES[region.kind]


def leader_regions(world: World) -> list[Region]:
    """The province, every city, and the counties of the focus cities."""
    return [r for r in world.governments() if r.kind != Region.Kind.COUNTY or r.path.split("/")[2] in FOCUS_CITIES]


def add_leaders(world: World, rng: random.Random, password: str) -> None:
    demo_regions = {code: level for level, code in DEMO_LEVELS.items()}
    users = []
    for region in leader_regions(world):
        for index, title in enumerate(leader_titles(region)[:LEADERS_PER_REGION]):
            username = (
                f"{demo_regions[region.code]}_leader"
                if index == 0 and region.code in demo_regions
                else f"leader_{region.code}_{index + 1}"
            )
            users.append(
                User(
                    username=username,
                    password=password,
                    role=Role.LEADER,
                    region=region,
                    full_name=person_name(rng),
                    title=title,
                    phone=phone(rng),
                )
            )
    saved = _create_missing(User, users, lambda u: u.username)
    for user in users:
        world.leaders.setdefault(user.region.code, []).append(saved[user.username])


def add_demo_users(world: World, rng: random.Random, password: str, drafts: list["Draft"]) -> list[User]:
    enterprises = enterprise_owners(world, rng, drafts)
    users = []
    for level, code in DEMO_LEVELS.items():
        for role in Role:
            if role != Role.LEADER:
                users.append(demo_user(world, rng, password, level, role, enterprises[code]))
    saved = _create_missing(User, users, lambda u: u.username)
    accounts = [saved[u.username] for u in users] + [world.leaders[code][0] for code in DEMO_LEVELS.values()]
    levels, roles = list(DEMO_LEVELS), list(Role)
    return sorted(accounts, key=lambda u: (levels.index(u.username.split("_")[0]), roles.index(u.role)))


def demo_user(world: World, rng: random.Random, password: str, level: str, role: Role, owner: "Owner") -> User:
    code = DEMO_LEVELS[level]
    user = User(
        username=f"{level}_{role.value}",
        password=password,
        role=role,
        region=world.region(code),
        full_name=person_name(rng),
        title=ROLE_TITLES[role],
        phone=phone(rng),
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if role == Role.HANDLER:
        user.department = world.departments[(code, "land")]
    if role == Role.ENTERPRISE:
        user.enterprise_name, user.credit_code = owner.name, owner.credit_code
    return user


def enterprise_owners(world: World, rng: random.Random, drafts: list["Draft"]) -> dict[str, "Owner"]:
    """A different project owner for each demo level, the county first so the smallest region gets one."""
    owners, taken = {}, set()
    for code in reversed(DEMO_LEVELS.values()):
        region = world.region(code)
        owner = busiest_owner(drafts, region, taken) or company(world, rng, region, "科技有限公司")
        owners[code] = owner
        taken.add(owner.credit_code)
    return owners


def busiest_owner(drafts: list["Draft"], region: Region, taken: set[str]) -> "Owner | None":
    """The owner with the most projects in the region's subtree, private companies first (ties: first seen)."""
    counts = Counter(
        (d.project.category == Category.INDUSTRY, d.project.owner_name, d.project.credit_code)
        for d in drafts
        if d.project.credit_code
        and d.project.credit_code not in taken
        and d.project.region.path.startswith(region.path)
    )
    if not counts:
        return None
    (_private, name, credit_code), _count = max(counts.items(), key=lambda item: (item[0][0], item[1]))
    return Owner(name, credit_code)


# ---- owners and codes ----

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(world: World, rng: random.Random, prefix: str, region: Region) -> str:
    """A valid, unused unified social credit code registered in the region."""
    while True:
        org = (
            ("MA" + "".join(rng.choice(CODE_CHARS) for _ in range(7)))
            if prefix == "91"
            else "".join(rng.choice(CODE_CHARS) for _ in range(9))
        )
        code = make_credit_code(prefix + region.code[:6] + org)
        if code not in world.credit_codes:
            world.credit_codes.add(code)
            return code


def short_name(region: Region) -> str:
    return region.name[:-1] if len(region.name) > 2 and region.name[-1] in "省市县区" else region.name


def company(world: World, rng: random.Random, region: Region, suffix: str) -> Owner:
    """A private company of the region; some are reused so an enterprise owns several projects."""
    pool = world.owners.setdefault(region.code, [])
    fitting = [owner for owner in pool if owner.name.endswith(suffix)]
    if fitting and rng.random() < 0.4:
        return rng.choice(fitting)
    short = rng.choice(["山西", short_name(region), short_name(world.ancestors(region)[:2][-1])]) + rng.choice(BRANDS)
    name = short + suffix
    owner = next((o for o in pool if o.name == name), None) or Owner(name, credit_code(world, rng, "91", region), short)
    if owner not in pool:
        pool.append(owner)
    return owner


def public_owner(world: World, rng: random.Random, region: Region, suffix: str, prefix: str) -> Owner:
    name = region.name + suffix
    if name not in world.public_owners:
        world.public_owners[name] = Owner(name, credit_code(world, rng, prefix, region))
    return world.public_owners[name]


def national_code(world: World, rng: random.Random, year: int, region: Region, category: str, kind: str) -> str:
    key = (year, region.code)
    if key not in world.code_sequences:
        world.code_sequences[key] = rng.randrange(100, 3000)
    world.code_sequences[key] += rng.randrange(1, 40)
    industry = rng.choice(INDUSTRY_CODES[category])
    return f"{year}-{region.code}-{industry}-{kind}-{world.code_sequences[key]:06d}"


# ---- projects ----


@dataclass
class Draft:
    project: Project
    tags: list[ChainTag]
    plans: list[AnnualPlan]
    milestones: list[Milestone]
    change: StageChange


def pick_regions(world: World, rng: random.Random, count: int) -> list[Region]:
    """Where projects go: weighted to 交城县 and the counties of the focus cities."""
    regions = [r for r in world.governments() if r.kind != Region.Kind.PROVINCE]
    return rng.choices(regions, weights=[region_weight(r) for r in regions], k=count)


def region_weight(region: Region) -> int:
    focus = region.path.split("/")[2] in FOCUS_CITIES
    if region.code == DEMO_LEVELS["county"]:
        return 25
    if region.kind == Region.Kind.CITY:
        return 4 if focus else 2
    return 5 if focus else 1


def draft_project(world: World, rng: random.Random, region: Region, years: int) -> Draft:
    category = _weighted(rng, CATEGORY_WEIGHTS)
    project = Project(region=region, category=category, stage=_weighted(rng, STAGE_WEIGHTS))
    reached = _reached(rng, project)
    timeline = _timeline(world, rng, project, reached)
    _money(rng, project)
    tags = _describe(world, rng, project, reached)
    _responsibility(world, rng, project)
    _classify(world, rng, project, reached)
    return Draft(
        project=project,
        tags=tags,
        plans=_plans(world, rng, project, reached, years),
        milestones=_milestones(world, rng, project) if project.stage == Stage.CONSTRUCTION else [],
        change=StageChange(project=project, from_stage="", to_stage=project.stage, on=timeline, note="演示数据导入"),
    )


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _reached(rng: random.Random, project: Project) -> str:
    """The furthest stage of the forward path the project has reached."""
    if project.stage in STAGE_ORDER:
        return project.stage
    project.stage_before_suspension = _weighted(rng, STOPPED_FROM[project.stage])
    project.stop_reason = rng.choice(STOP_REASONS[project.stage])
    return project.stage_before_suspension


def _timeline(world: World, rng: random.Random, project: Project, reached: str) -> datetime.date:
    """Actual dates up to the reached stage, planned dates for all; returns the date of the last move."""
    low, high = LAST_EVENT[reached]
    last = min(world.anchor + datetime.timedelta(days=rng.randint(low, high)), world.today)
    steps = STAGE_ORDER[1 : stage_index(reached) + 1]
    if project.stage in (Stage.SUSPENDED, Stage.TERMINATED):
        project.stopped_on = last
        day = last - datetime.timedelta(days=rng.randint(30, 400))
    else:
        day = last
    if project.stage == Stage.SUSPENDED:
        # Some confirmed this quarter, some not yet: the quarterly flag shows on a few.
        project.suspension_reason_code = SUSPENSION_CODES[project.stop_reason]
        project.expected_resume_on = world.today + datetime.timedelta(days=rng.randint(45, 270))
        project.suspension_confirmed_on = max(last, world.today - datetime.timedelta(days=rng.randint(0, 150)))
    for step in reversed(steps):
        actual, planned = STEP_DATES[step]
        setattr(project, actual, day)
        setattr(project, planned, day - datetime.timedelta(days=rng.randint(-45, 60)))
        day -= datetime.timedelta(days=rng.randint(*STEP_GAPS[step]))
    day = last
    for step in STAGE_ORDER[len(steps) + 1 :]:
        day += datetime.timedelta(days=rng.randint(*STEP_GAPS[step]))
        setattr(project, STEP_DATES[step][1], day)
    return last


def _describe(world: World, rng: random.Random, project: Project, reached: str) -> list[ChainTag]:
    """Name, owner, place and chain tags."""
    region = project.region
    if project.category == Category.INDUSTRY:
        template, quantities, tag_names, suffix = rng.choice(INDUSTRY_ITEMS)
        title = template.format(n=rng.choice(quantities))
        owner = company(world, rng, region, suffix)
        tags = _tags(world, rng, region, tag_names)
        department = rng.choice(INDUSTRY_DEPARTMENTS)
    else:
        template, suffix, prefix, department = rng.choice(PUBLIC_ITEMS[project.category])
        title = template.format(cn=rng.choice(CHINESE_NUMBERS))
        owner = public_owner(world, rng, region, suffix, prefix)
        tags = []
    project.name = _unique_name(world, _name_prefix(world, rng, region, owner) + title)
    project.description = _description(rng, project)
    if stage_index(reached) >= stage_index(Stage.SIGNED) or rng.random() < 0.5:
        project.owner_name, project.credit_code = owner.name, owner.credit_code
    project.department = world.departments[(region.code, department)]
    _place(world, rng, project)
    return tags


def _name_prefix(world: World, rng: random.Random, region: Region, owner: Owner) -> str:
    roll = rng.random()
    if owner.short and roll < 0.3:
        return owner.short
    if region.kind == Region.Kind.COUNTY and region.name.endswith("区") and roll < 0.6:
        return world.ancestors(region)[1].name + region.name
    return region.name


def _unique_name(world: World, name: str) -> str:
    candidate, phase = name, 2
    while candidate in world.project_names:
        candidate = (
            f"{name}（{CHINESE_NUMBERS[(phase - 2) % len(CHINESE_NUMBERS)]}期）"
            if phase < 7
            else f"{name}（{phase}期）"
        )
        phase += 1
    world.project_names.add(candidate)
    return candidate


def _tags(world: World, rng: random.Random, region: Region, names: tuple) -> list[ChainTag]:
    # The nearest region's tag wins when the county, city and province name the same chain.
    visible = {tag.name: tag for r in world.ancestors(region) for tag in world.tags.get(r.code, [])}
    fitting = [tag for name, tag in visible.items() if name in names]
    return rng.sample(fitting, k=min(len(fitting), rng.choice([1, 1, 2])))


def _place(world: World, rng: random.Random, project: Project) -> None:
    region = project.region
    zones = world.zones_in(region)
    if zones and rng.random() < (0.65 if project.category == Category.INDUSTRY else 0.15):
        project.zone = rng.choice(zones)
    place = project.zone.name if project.zone else rng.choice(PLACES)
    project.address = f"{world.ancestors(region)[1].name}{region.name if region.kind == 'county' else ''}{place}"
    centre = next((r for r in reversed(world.ancestors(region)) if r.longitude is not None), None)
    if centre is not None:
        project.longitude = (centre.longitude + Decimal(rng.randint(-60000, 60000)) / 10**6).quantize(Decimal("1e-6"))
        project.latitude = (centre.latitude + Decimal(rng.randint(-45000, 45000)) / 10**6).quantize(Decimal("1e-6"))


def _investment(rng: random.Random, category: str) -> Decimal:
    value = math.exp(rng.gauss(math.log(CATEGORY_MEDIAN[category]), 1.0))
    value = min(max(value, 1000), 500000)
    whole = round(value, -1) if value >= 10000 else round(value)
    cents = rng.choice([0, 0, 0, rng.randrange(100)]) if whole < 500000 else 0
    return Decimal(int(whole)) + Decimal(cents) / 100


def _money(rng: random.Random, project: Project) -> None:
    project.total_investment = total = _investment(rng, project.category)
    kind = "industry" if project.category == Category.INDUSTRY else "public"
    weights = {name: rng.uniform(*span) for name, span in FUNDING_WEIGHTS[kind].items()}
    covered = total * Decimal(rng.choice(["1", "1", "1", "1", "0.9", "0.8", "0.6"]))
    scale = sum(weights.values()) or 1
    for name in FUNDING_FIELDS:
        share = Decimal(weights.get(name, 0) / scale)
        setattr(project, name, (covered * share).quantize(CENT, rounding=ROUND_DOWN))
    if project.category == Category.INDUSTRY:
        project.land_area = (total / Decimal(rng.randint(150, 600))).quantize(Decimal("0.1"))
        project.expected_output = (total * Decimal(rng.randint(80, 250)) / 100).quantize(Decimal("1"))
        project.expected_tax = (project.expected_output * Decimal(rng.randint(3, 9)) / 100).quantize(Decimal("1"))
    elif project.category in (Category.LIVELIHOOD, Category.URBAN) and rng.random() < 0.6:
        project.land_area = (total / Decimal(rng.randint(300, 1200))).quantize(Decimal("0.1"))


def _responsibility(world: World, rng: random.Random, project: Project) -> None:
    leaders = world.leaders[world.leader_region(project.region).code]
    project.leader = rng.choice(leaders)
    members = [f"{project.leader.full_name} {project.leader.region.name}人民政府 {project.leader.title}"]
    for _ in range(rng.randint(2, 3)):
        members.append(f"{person_name(rng)} {project.department.name} {rng.choice(TASK_FORCE_TITLES)}")
    project.task_force = "\n".join(members)
    project.contact_name, project.contact_phone = person_name(rng), phone(rng)


def _description(rng: random.Random, project: Project) -> str:
    if project.category == Category.INDUSTRY:
        return (
            f"总用地约{project.land_area}亩，建设生产车间、仓储及配套设施，"
            f"购置主要生产设备{rng.randint(20, 300)}台（套）。"
        )
    area = f"占地约{project.land_area}亩，" if project.land_area else ""
    return f"项目{area}主要建设主体工程及附属配套设施，计划总投资{project.total_investment}万元。"


def _classify(world: World, rng: random.Random, project: Project, reached: str) -> None:
    total, region = project.total_investment, project.region
    roll = rng.random()
    if total >= 100000:
        project.level = Level.NATIONAL if roll < 0.1 else Level.PROVINCIAL if roll < 0.6 else Level.CITY
    elif total >= 30000:
        project.level = Level.PROVINCIAL if roll < 0.15 else Level.CITY if roll < 0.6 else Level.COUNTY
    else:
        project.level = Level.CITY if roll < 0.15 else Level.COUNTY
    if region.kind == Region.Kind.CITY and project.level == Level.COUNTY:
        project.level = Level.CITY
    project.nature = _nature(world, rng, project)
    if stage_index(reached) >= stage_index(Stage.PREPARING) or (reached == Stage.SIGNED and rng.random() < 0.5):
        on = project.preparing_on or project.signed_on or world.anchor
        kind = "03" if project.category == Category.INDUSTRY else "01"
        if kind == "03" and total >= 100000 and rng.random() < 0.5:
            kind = "02"  # big energy and industry projects need ratification (核准)
        project.national_code = national_code(world, rng, on.year, region, project.category, kind)


def _nature(world: World, rng: random.Random, project: Project) -> str:
    if project.started_on and project.started_on < world.anchor and rng.random() < 0.7:
        return Nature.CONTINUING
    roll = rng.random()
    if project.category == Category.INDUSTRY and roll < 0.15:
        return Nature.UPGRADE if roll < 0.07 else Nature.EXPANSION
    return Nature.EXPANSION if roll < 0.08 else Nature.NEW


def _plans(world: World, rng: random.Random, project: Project, reached: str, years: int) -> list[AnnualPlan]:
    if project.stage == Stage.TERMINATED or stage_index(reached) < stage_index(Stage.SIGNED):
        return []
    cap = min(Decimal("0.35"), Decimal("0.9") / years)
    plans = []
    for year in range(world.today.year - years + 1, world.today.year + 1):
        if project.completed_on and project.completed_on.year < year:
            continue
        share = cap * Decimal(rng.randint(25, 100)) / 100
        amount = (project.total_investment * share).quantize(CENT, rounding=ROUND_DOWN)
        plans.append(AnnualPlan(project=project, year=year, amount=amount))
    return plans


def _milestones(world: World, rng: random.Random, project: Project) -> list[Milestone]:
    if rng.random() < 0.4:
        return []
    names = MILESTONES.get(project.category, MILESTONES["other"])
    due, done, milestones = project.started_on, True, []
    for order, name in enumerate(names, start=1):
        duration = rng.choice([30, 45, 60, 90, 120])
        due += datetime.timedelta(days=duration)
        done = done and due <= world.today and rng.random() < 0.85
        actual = min(due + datetime.timedelta(days=rng.randint(-10, 30)), world.today) if done else None
        if actual and milestones and milestones[-1].actual_on and actual < milestones[-1].actual_on:
            actual = milestones[-1].actual_on
        milestones.append(
            Milestone(
                project=project,
                name=name,
                sort_order=order,
                duration_days=duration,
                planned_on=due,
                actual_on=actual,
            )
        )
    return milestones


# ---- writing ----


def save_drafts(drafts: list[Draft]) -> None:
    """bulk_create everything, keeping simple-history records (the m2m history by hand)."""
    projects = [d.project for d in drafts]
    last_history = Project.history.aggregate(last=Max("history_id"))["last"] or 0
    bulk_create_with_history(projects, Project, batch_size=500, default_change_reason=HISTORY_REASON)
    _save_tags(drafts, last_history)
    for draft in drafts:
        for row in (*draft.plans, *draft.milestones, draft.change):
            row.project = draft.project  # now with its pk
    plans = [plan for d in drafts for plan in d.plans]
    milestones = [m for d in drafts for m in d.milestones]
    bulk_create_with_history(plans, AnnualPlan, batch_size=1000, default_change_reason=HISTORY_REASON)
    bulk_create_with_history(milestones, Milestone, batch_size=1000, default_change_reason=HISTORY_REASON)
    StageChange.objects.bulk_create([d.change for d in drafts], batch_size=1000)


def _save_tags(drafts: list[Draft], last_history: int) -> None:
    """Chain tags through the m2m table, mirrored onto each project's creation record.

    bulk_create_with_history leaves many-to-many fields out of the history, so the historical link
    rows simple-history would write on an m2m change are written here.
    """
    through = Project.chain_tags.through
    links = [through(project_id=d.project.pk, chaintag_id=tag.pk) for d in drafts for tag in d.tags]
    through.objects.bulk_create(links, batch_size=1000)
    history_ids = dict(Project.history.filter(history_id__gt=last_history).values_list("id", "history_id"))
    historical_link = apps.get_model("projects", "HistoricalProject_chain_tags")
    historical_link.objects.bulk_create(
        [
            historical_link(
                history_id=history_ids[link.project_id],
                id=link.pk,
                project_id=link.project_id,
                chaintag_id=link.chaintag_id,
            )
            for link in links
        ],
        batch_size=1000,
    )


# ---- the reporting layer: planned starts, opening figures, reporters, reports, colours ----


def reported_months(today: datetime.date, years: int) -> list[tuple[int, int]]:
    """(year, month) from January of the first reported year up to this month."""
    first = today.year - years + 1
    return [(y, m) for y in range(first, today.year + 1) for m in range(1, 13) if (y, m) <= (today.year, today.month)]


def fit_to_reporting(world: World, rng: random.Random, drafts: list[Draft], years: int) -> None:
    """Before saving: planned starts, annual plans and opening figures that fit the reports to come."""
    first_day = datetime.date(world.today.year - years + 1, 1, 1)
    for draft in drafts:
        project = draft.project
        if project.stage in (Stage.SIGNED, Stage.PREPARING):
            _reschedule_start(world, rng, project)
        if project.stage in COLOURED_STAGES:
            draft.plans = _plans_from_start(world, project, draft.plans)
        if project.started_on and project.started_on < first_day:
            project.opening_completed = _opening(rng, project, first_day)
            _fit_plans_to_rest(project, draft.plans)


def _reschedule_start(world: World, rng: random.Random, project: Project) -> None:
    """Most not-yet-started projects plan to start later; some are overdue, which the colours show."""
    planned = world.today + datetime.timedelta(days=rng.randint(*_weighted(rng, PLANNED_START)))
    planned = max(planned, (project.preparing_on or project.signed_on) + datetime.timedelta(days=30))
    shift = planned - project.planned_start_on
    for step in STAGE_ORDER[stage_index(project.stage) + 1 :]:  # later planned steps move with the start
        field_name = STEP_DATES[step][1]
        setattr(project, field_name, getattr(project, field_name) + shift)


def _plans_from_start(world: World, project: Project, plans: list[AnnualPlan]) -> list[AnnualPlan]:
    """A year gets a plan once the works start in it (or were due to start by today)."""
    start = project.started_on or project.planned_start_on
    if start > world.today:
        return []
    return [plan for plan in plans if plan.year >= start.year]


def _opening(rng: random.Random, project: Project, first_day: datetime.date) -> Decimal:
    """The investment done before the first reported month, by the share of the works' time gone."""
    if project.completed_on and project.completed_on < first_day:
        share = rng.uniform(0.92, 1.0)
    else:
        end = project.completed_on or project.planned_completion_on
        span = max((end - project.started_on).days, 365)
        share = min((first_day - project.started_on).days / span, 0.9) * rng.uniform(0.7, 1.0)
    return (project.total_investment * Decimal(f"{share:.4f}")).quantize(Decimal("1"), rounding=ROUND_DOWN)


def _fit_plans_to_rest(project: Project, plans: list[AnnualPlan]) -> None:
    """Annual plans that leave room under the total investment once the opening figure is counted."""
    room = (project.total_investment - project.opening_completed) * Decimal("0.9")
    planned = sum((plan.amount for plan in plans), Decimal("0"))
    if planned > room:
        for plan in plans:
            plan.amount = (plan.amount * room / planned).quantize(CENT, rounding=ROUND_DOWN)


# ---- reporters ----


@dataclass
class Reporters:
    generated: list[User]
    of_project: dict[int, list[User]]  # project pk -> its reporters, the one who files first


def add_reporters(
    world: World, rng: random.Random, password: str, drafts: list[Draft], accounts: list[User]
) -> Reporters:
    """Every coloured project gets a reporter of its region, and the demo reporters their level's projects."""
    by_region = _reporter_accounts(world, rng, password)
    demo = {user.username: user for user in accounts}
    of_project = {}
    for draft in drafts:
        project = draft.project
        if project.stage in COLOURED_STAGES:
            named = [demo[name] for name in _demo_reporters(rng, project)]
            of_project[project.pk] = [*named, rng.choice(by_region[project.region.code])]
    through = Project.reporters.through
    links = [through(project_id=pk, user_id=user.pk) for pk, users in of_project.items() for user in users]
    through.objects.bulk_create(links, batch_size=2000)
    return Reporters([user for users in by_region.values() for user in users], of_project)


def _reporter_accounts(world: World, rng: random.Random, password: str) -> dict[str, list[User]]:
    """A handful of reporter_<region code>_<n> accounts in every city and county."""
    users = [
        User(
            username=f"reporter_{region.code}_{n}",
            password=password,
            role=Role.REPORTER,
            region=region,
            full_name=person_name(rng),
            title=ROLE_TITLES[Role.REPORTER],
            phone=phone(rng),
        )
        for region in world.governments()
        if region.kind != Region.Kind.PROVINCE
        for n in range(1, rng.randint(*REPORTERS_PER_REGION) + 1)
    ]
    saved = _create_missing(User, users, lambda u: u.username)
    by_region = {}
    for user in users:
        by_region.setdefault(user.region.code, []).append(saved[user.username])
    return by_region


def _demo_reporters(rng: random.Random, project: Project) -> list[str]:
    names = []
    if project.region.code == DEMO_LEVELS["county"]:
        names.append("county_reporter")
    if project.region.code == DEMO_LEVELS["city"]:
        names.append("city_reporter")
    if project.level in (Level.NATIONAL, Level.PROVINCIAL) and rng.random() < 0.25:
        names.append("province_reporter")
    return names


def _coordinators(accounts: list[User]) -> dict[str, User]:
    """The demo coordinators by region code: they approve reports and close periods at and below their level."""
    return {user.region.code: user for user in accounts if user.role == Role.COORDINATOR}


def _nearest(by_code: dict[str, User], region: Region) -> User:
    return next(by_code[code] for code in reversed(region.path.strip("/").split("/")) if code in by_code)


# ---- periods and reports ----


def add_reports(
    world: World,
    rng: random.Random,
    drafts: list[Draft],
    years: int,
    reporters: Reporters,
    coordinators: dict[str, User],
) -> None:
    """Monthly reports of the reporting projects, saved in batches to keep memory flat."""
    months = reported_months(world.today, years)
    with_projects = {draft.project.region.code for draft in drafts}
    regions = [region for region in world.governments() if region.code in with_projects]
    periods = add_periods(world, regions, months, coordinators)
    batch = []
    for draft in drafts:
        project = draft.project
        if project.stage in REPORTING_STAGES:
            people = (reporters.of_project[project.pk][0], _nearest(coordinators, project.region))
            batch += project_reports(world, rng, draft, months, periods, people)
        if len(batch) >= 5000:
            MonthlyReport._base_manager.bulk_create(batch, batch_size=1000)
            batch = []
    MonthlyReport._base_manager.bulk_create(batch, batch_size=1000)


def add_periods(
    world: World, regions: list[Region], months: list[tuple[int, int]], coordinators: dict[str, User]
) -> dict[tuple[int, int, int], Period]:
    """Periods of the regions with projects, as reports.tasks.open_periods opens them; all but this month's closed."""
    current = months[-1]
    periods = []
    for region in regions:
        closer = _nearest(coordinators, region)
        for year, month in months:
            closed_at = None if (year, month) == current else _closing_time(world.today, year, month)
            periods.append(
                Period(
                    region=region,
                    year=year,
                    month=month,
                    closes_on=datetime.date(year, month, CLOSE_DAY),
                    closed_at=closed_at,
                    closed_by=closer if closed_at else None,
                )
            )
    Period._base_manager.bulk_create(periods, batch_size=1000)
    return {(period.region_id, period.year, period.month): period for period in periods}


def _at(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    # zoneinfo zones (no pytz) take tzinfo= directly; make_aware costs seconds over 200,000 reports.
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_default_timezone())


@functools.cache
def _closing_time(today: datetime.date, year: int, month: int) -> datetime.datetime:
    """A month is closed on the 3rd of the next at 10:00, once its reports are approved; never after today."""
    next_year, next_month = (year, month + 1) if month < 12 else (year + 1, 1)
    return min(_at(datetime.date(next_year, next_month, 3), 10, 0), _at(today, 0, 0))


@dataclass
class Figures:
    """A project's running figures while its reports are drawn."""

    total: Decimal
    done: Decimal  # since start, every report counted as the since-start check counts it
    approved_sum: Decimal = Decimal("0")
    approved_count: int = 0

    def take(self, amount: Decimal) -> Decimal:
        """The amount, cut so the total since start never passes the total investment."""
        amount = max(min(amount, self.total - self.done), Decimal("0"))
        self.done += amount
        return amount

    def is_outlier(self, amount: Decimal) -> bool:
        return self.approved_count > 0 and amount > OUTLIER_FACTOR * self.approved_sum / self.approved_count

    def approve(self, amount: Decimal) -> None:
        self.approved_sum += amount
        self.approved_count += 1


def project_reports(
    world: World,
    rng: random.Random,
    draft: Draft,
    months: list[tuple[int, int]],
    periods: dict,
    people: tuple[User, User],
) -> list[MonthlyReport]:
    """One report a month from the start month on; yearly sums track the plan times the project's pace."""
    project = draft.project
    since = project.started_on if project.stage == Stage.CONSTRUCTION else project.preparing_on
    active = [(y, m) for y, m in months if (y, m) >= (since.year, since.month)]
    plans = {plan.year: plan.amount for plan in draft.plans}
    pace = rng.uniform(*_weighted(rng, PACES))
    figures = Figures(project.total_investment, project.opening_completed)
    reports, target, weight = [], 0.0, 1
    for year, month in active:
        if month == 1 or (year, month) == active[0]:
            target = _year_target(rng, project, plans.get(year), pace)
            weight = sum(SEASON[month - 1 :])
        status = ReportStatus.APPROVED if (year, month) != months[-1] else _current_status(world, rng)
        if status is None:
            continue
        amount = figures.take(_month_amount(rng, project, target * SEASON[month - 1] / weight, month))
        report = MonthlyReport(  # ids, not instances: the FK descriptors cost seconds over 200,000 reports
            project_id=project.pk,
            period_id=periods[(project.region_id, year, month)].pk,
            year=year,
            month=month,
            completed=amount,
            progress=_progress(project, figures, amount, month, len(reports)),
            problems_text=rng.choice(PROBLEMS) if pace < 0.8 and rng.random() < 0.3 else "",
            status=status,
            is_outlier=status != ReportStatus.DRAFT and figures.is_outlier(amount),
        )
        _stamp(world, rng, report, *people)
        if status == ReportStatus.APPROVED:
            figures.approve(amount)
        reports.append(report)
    return reports


def _year_target(rng: random.Random, project: Project, plan: Decimal | None, pace: float) -> float:
    """What the project does in a year: preparing works cost little; construction tracks the plan."""
    total = float(project.total_investment)
    if project.stage == Stage.PREPARING:
        return total * rng.uniform(0.003, 0.02)
    return (float(plan) if plan else total * 0.2) * pace * rng.uniform(0.9, 1.1)


def _month_amount(rng: random.Random, project: Project, expected: float, month: int) -> Decimal:
    """Around the expected figure; some months nothing (winter stops, lumpy preparing costs), a few outliers."""
    roll = rng.random()
    idle = 0.35 if project.stage == Stage.PREPARING else 0.1 if month in WINTER else 0.02
    if roll < idle:
        return Decimal("0")
    value = expected * rng.lognormvariate(0, 0.25)
    if roll > 0.985:
        value *= rng.uniform(3, 5)  # equipment paid for, land fees settled
    return Decimal(f"{value:.0f}") if value >= 100 else Decimal(f"{value:.1f}")


def _current_status(world: World, rng: random.Random) -> str | None:
    """This month's report: None when the reporter has not started it. Nothing is submitted on the 1st."""
    status = _weighted(rng, CURRENT_MONTH_MIX)
    if world.today.day == 1 and status in (ReportStatus.SUBMITTED, ReportStatus.RETURNED):
        return ReportStatus.DRAFT
    return status


def _progress(project: Project, figures: Figures, amount: Decimal, month: int, filed: int) -> str:
    """The step the works have reached, from the share of the investment done: it never goes backwards."""
    if project.stage == Stage.PREPARING:
        return PREPARING_PROGRESS[min(filed // 2, len(PREPARING_PROGRESS) - 1)]
    if amount == 0 and month in WINTER:
        return WINTER_PROGRESS
    steps = PROGRESS[WORKS[project.category]]
    reached = float(figures.done / figures.total) * len(steps)
    step = min(int(reached), len(steps) - 1)
    into = min(reached - step, 0.95)
    return steps[step].format(p=max(5, int(into * 20) * 5), n=2 + int(into * 16), k=round(0.5 + into * 20, 1))


def _stamp(world: World, rng: random.Random, report: MonthlyReport, reporter: User, approver: User) -> None:
    """Who submitted and approved when: past months by the close day (a few late), this month up to yesterday."""
    if report.status == ReportStatus.DRAFT:
        return
    if (report.year, report.month) == (world.today.year, world.today.month):
        day = rng.randint(max(1, world.today.day - 12), world.today.day - 1)
    else:
        day = rng.randint(CLOSE_DAY + 1, 28) if rng.random() < LATE_SHARE else rng.randint(15, CLOSE_DAY)
    report.submitted_at = _at(datetime.date(report.year, report.month, day), rng.randint(8, 20), rng.randint(0, 59))
    report.submitted_by_id = reporter.pk
    if report.status == ReportStatus.RETURNED:
        report.return_reason = rng.choice(RETURN_REASONS)
    if report.status == ReportStatus.APPROVED:
        approved = report.submitted_at + datetime.timedelta(hours=rng.randint(2, 96))
        closed = _closing_time(world.today, report.year, report.month)
        report.approved_at = max(min(approved, closed - datetime.timedelta(hours=1)), report.submitted_at)
        report.approved_by_id = approver.pk


# ---- colours ----


def colour_all_months(world: World, years: int) -> None:
    """Whole province, month by month from January of the first year, so yellow streaks carry over."""
    for year, month in reported_months(world.today, years):
        recompute(year, month, today=world.today)


def colour_counts(year: int, month: int) -> dict[str, int]:
    rows = ProjectColour._base_manager.filter(year=year, month=month).values_list("colour").annotate(n=Count("pk"))
    return dict(rows.order_by())


def add_overrides(world: World, rng: random.Random, coordinator: User) -> int:
    """The county coordinator softens two of the county's red projects this month, with a written reason."""
    reds = list(
        ProjectColour._base_manager.filter(
            year=world.today.year,
            month=world.today.month,
            computed=Colour.RED,
            project__region__code=DEMO_LEVELS["county"],
        ).order_by("project__name")
    )
    chosen = rng.sample(reds, k=min(len(reds), len(OVERRIDE_REASONS)))
    for colour, reason in zip(chosen, OVERRIDE_REASONS[: len(chosen)], strict=True):
        colour.override(Colour.YELLOW, reason, by=coordinator)
    return len(chosen)
