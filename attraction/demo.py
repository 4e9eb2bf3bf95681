"""Demo rows for investment attraction, called by ``manage.py demo`` after the ledger and the reports exist.

For 交城县 (most), 吕梁市, 文水县, 孝义市, 汾阳市 and 山西省: upstream / midstream / downstream links of their
chains; a target enterprise library (leading, specialised-and-new, listed firms from the usual provinces, and
firms already present locally); leads in every stage, with visits; agreements with funds arriving over time;
landed leads, each on a signed-or-later industry project the ledger already has (``Lead.land`` with the
project: the demo makes no project, so ``--projects`` stays exact, and the ledger's start dates feed the
fulfilment rates); signing targets of this year and last for 山西省's cities,
吕梁市's counties and 交城县's zone. A few more promoter accounts share the demo password.

Every draw comes from ``rng``; the moves go through the lead's methods, so every row obeys the same rules as
the screens. The volume does not grow with ``--projects``: a 20,000-project benchmark set gets the same rows.
"""

import datetime
import random
from decimal import Decimal

from simple_history.utils import bulk_create_with_history

from lib.codes import make_credit_code
from org.models import Region, Role, User
from projects.models import Category, ChainTag, Project, Stage

from .models import (
    ChainLink,
    ContactStatus,
    FundArrival,
    Lead,
    LeadStage,
    SigningTarget,
    Size,
    Source,
    TargetEnterprise,
    Visit,
    VisitKind,
)

DAY = datetime.timedelta(days=1)
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Region code -> how many target enterprises its library gets.
LIBRARIES = {"141122": 36, "141100": 14, "141121": 10, "141181": 8, "141182": 8, "140000": 10}
EXTRA_PROMOTERS = {"141122": 2, "141121": 1, "141181": 1}
# Leads' stage mix: lead, negotiating, signed, dropped. Landed leads are those of ledger projects (LANDED_ON).
MIX = [LeadStage.LEAD, LeadStage.NEGOTIATING, LeadStage.SIGNED, LeadStage.DROPPED]
STAGE_WEIGHTS = [30, 26, 26, 12]
# County -> how many of its ledger projects (signed or later, industry) came from attraction.
LANDED_ON = {"141122": 8, "141121": 3, "141181": 2, "141182": 2}

# chain name -> (upstream, midstream, downstream) links; applied to every chain of that name in the demo regions.
LINKS = {
    "新能源": (["光伏硅料", "风电叶片材料"], ["光伏组件", "储能电池", "风电整机"], ["新能源电站运营", "充换电设施"]),
    "新材料": (["石墨原料", "高纯硅材料"], ["石墨电极", "负极材料", "碳纤维"], ["锂电池应用", "航空航天部件"]),
    "特色专用车": (["车用钢材", "专用底盘"], ["改装车生产", "新能源重卡"], ["物流车队运营", "售后服务"]),
    "现代煤化工": (["焦炉煤气", "煤焦油"], ["甲醇", "针状焦", "可降解材料"], ["精细化学品", "医药中间体"]),
    "文旅康养": (["文化资源开发"], ["景区建设运营", "康养基地"], ["研学旅游", "文创产品"]),
    "数字经济": (["算力基础设施"], ["工业互联网平台", "软件开发"], ["智慧城市应用"]),
    "现代物流": (["物流园区"], ["冷链仓储", "多式联运"], ["城乡配送"]),
    "煤焦化工": (["洗精煤"], ["焦化", "化产回收"], ["碳基新材料"]),
    "铝镁新材料": (["氧化铝"], ["电解铝", "镁合金"], ["汽车轻量化部件"]),
    "氢能": (["工业副产氢提纯"], ["氢燃料电池", "储氢装备"], ["氢能重卡示范", "加氢站"]),
    "装备制造": (["铸锻件"], ["煤机装备", "液压件"], ["智能运维"]),
    "现代农业": (["良种繁育"], ["杂粮加工", "冷链保鲜"], ["电商销售"]),
    "酒业": (["高粱种植"], ["白酒酿造", "包装材料"], ["酒文化旅游"]),
    "新能源汽车": (["动力电池材料"], ["动力电池", "电驱系统"], ["整车制造", "充电网络"]),
    "高端装备制造": (["特种钢材"], ["轨道交通装备", "智能制造装备"], ["运维服务"]),
    "半导体": (["碳化硅衬底"], ["外延片", "功率器件"], ["封装测试"]),
}

HEADQUARTERS = [
    ("江苏常州", "320400"),
    ("浙江宁波", "330200"),
    ("广东深圳", "440300"),
    ("福建宁德", "350900"),
    ("北京", "110000"),
    ("上海", "310000"),
    ("山东潍坊", "370700"),
    ("河北唐山", "130200"),
    ("陕西西安", "610100"),
    ("河南郑州", "410100"),
    ("四川成都", "510100"),
    ("安徽合肥", "340100"),
    ("湖南长沙", "430100"),
    ("天津", "120000"),
]
# Fictional brands: the demo names no real company.
BRANDS = [
    "瑞拓",
    "华钧",
    "鼎泓",
    "博瀚",
    "启元",
    "中衡",
    "远拓",
    "宏骏",
    "凯泽",
    "睿达",
    "同创",
    "恒岳",
    "晟丰",
    "泰铭",
    "嘉拓",
    "浩川",
    "德晟",
    "科岚",
    "润驰",
    "汇邦",
]
SUFFIXES = {
    "新能源": "新能源科技有限公司",
    "新材料": "新材料股份有限公司",
    "特色专用车": "专用汽车有限公司",
    "现代煤化工": "化工科技有限公司",
    "文旅康养": "文旅发展有限公司",
    "数字经济": "数字科技有限公司",
}
DEFAULT_SUFFIX = "科技有限公司"
DROP_REASONS = [
    "企业投资战略调整，项目暂缓",
    "企业选择在外省落地",
    "用地条件未能满足企业要求",
    "企业融资未到位",
    "能耗指标无法保障",
]
VISIT_SUMMARIES = [
    "介绍县里产业政策和要素保障，企业表示有意向考察",
    "企业高管来县实地考察园区，对标准地和配套满意",
    "就用地、用电价格和税收政策进行深入洽谈",
    "双方就投资协议文本逐条磋商，基本达成一致",
    "企业董事会通过投资决议，商定签约时间",
    "在长三角招商推介会上对接，企业留下联系方式",
]
NEXT_STEPS = ["赴企业总部回访", "报县政府常务会研究", "准备协议文本", "协调自然资源局落实用地", "邀请企业来县考察"]


def build(world, accounts, rng: random.Random) -> str:
    promoters = _promoters(world, accounts, rng)
    links = _links(world)
    enterprises = _enterprises(world, rng, links, promoters)
    leads = _leads(world, rng, enterprises, promoters)
    linked = _link_existing_projects(world, rng, promoters)
    targets = _targets(world, rng)
    stages = {stage: sum(lead.stage == stage for lead in leads + linked) for stage in LeadStage.values}
    counts = ", ".join(f"{n} {stage}" for stage, n in stages.items())
    return (
        f"Attraction: {len(links)} chain links, {len(enterprises)} target enterprises, "
        f"{len(leads) + len(linked)} leads ({counts}; {len(linked)} on existing projects), "
        f"{FundArrival.objects.count()} fund arrivals, {targets} signing targets."
    )


# ---- people ----


def _promoters(world, accounts, rng) -> dict[str, list[User]]:
    """Region code -> its promoters: the demo accounts, plus a few more sharing their password."""
    demo = [user for user in accounts if user.role == Role.PROMOTER]
    password = demo[0].password
    by_region: dict[str, list[User]] = {}
    for user in demo:
        by_region.setdefault(user.region.code, []).append(user)
    extra = []
    for code, count in EXTRA_PROMOTERS.items():
        for index in range(count):
            user = User(
                username=f"promoter_{code}_{index + 2}",
                password=password,
                role=Role.PROMOTER,
                region=world.region(code),
                full_name=_person(rng),
                title="招商专员",
            )
            extra.append(user)
    bulk_create_with_history(extra, User, default_change_reason="演示数据")
    for user in extra:
        by_region.setdefault(user.region.code, []).append(user)
    return by_region


def _person(rng) -> str:
    return rng.choice("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗") + "".join(
        rng.choice("伟芳敏静强磊军洋勇艳杰涛明超") for _ in range(2)
    )


def _promoter_for(world, promoters, region: Region, rng) -> User | None:
    """A promoter of the region, else of the nearest region above with one."""
    for code in reversed(region.path.strip("/").split("/")):
        if promoters.get(code):
            return rng.choice(promoters[code])
    return None


# ---- chains ----


def _links(world) -> list[ChainLink]:
    chains = ChainTag.objects.filter(region__code__in=list(LIBRARIES), name__in=list(LINKS)).order_by("pk")
    links = [
        ChainLink(chain=chain, position=position, name=name, sort_order=order, gap_note=_gap_note(name))
        for chain in chains
        for position, names in zip(("upstream", "midstream", "downstream"), LINKS[chain.name], strict=True)
        for order, name in enumerate(names, start=1)
    ]
    return bulk_create_with_history(links, ChainLink, default_change_reason="演示数据")


def _gap_note(name: str) -> str:
    return f"引进{name}龙头或配套企业，补链强链"


# ---- the library ----


def _enterprises(world, rng, links: list[ChainLink], promoters) -> list[TargetEnterprise]:
    by_chain_region: dict[str, list[ChainLink]] = {}
    for link in links:
        by_chain_region.setdefault(link.chain.region.code, []).append(link)
    made, taken = [], set()
    for code, count in LIBRARIES.items():
        region = world.region(code)
        reachable = [link for c in region.path.strip("/").split("/") for link in by_chain_region.get(c, [])]
        for _index in range(count):
            made.append(_enterprise(world, rng, region, reachable, promoters, taken))
    saved = bulk_create_with_history([e for e, _links in made], TargetEnterprise, default_change_reason="演示数据")
    through = TargetEnterprise.chain_links.through
    through.objects.bulk_create(
        [through(targetenterprise_id=e.pk, chainlink_id=link.pk) for e, (_e, chosen) in zip(saved, made, strict=True)
         for link in chosen]
    )  # fmt: skip
    return saved


def _enterprise(world, rng, region: Region, reachable, promoters, taken) -> tuple[TargetEnterprise, list]:
    chosen = rng.sample(reachable, k=min(len(reachable), rng.choice([1, 1, 2]))) if reachable else []
    chain = chosen[0].chain.name if chosen else ""
    local = rng.random() < 0.25
    place, area = (region.name, region.code) if local else rng.choice(HEADQUARTERS)
    name = _unique_name(rng, place, chain, taken)
    leading = rng.random() < 0.25
    enterprise = TargetEnterprise(
        region=region,
        name=name,
        credit_code=_credit_code(rng, area),
        headquarters=place,
        size=rng.choice([Size.LARGE, Size.LARGE, Size.MEDIUM, Size.MEDIUM, Size.SMALL]),
        is_leading=leading,
        is_specialised=not leading and rng.random() < 0.35,
        is_listed=leading and rng.random() < 0.6,
        is_local=local,
        contact_status=ContactStatus.LANDED if local else rng.choice(
            [ContactStatus.NOT_CONTACTED, ContactStatus.CONTACTED, ContactStatus.INTERESTED, ContactStatus.DECLINED]
        ),
        promoter=_promoter_for(world, promoters, region, rng),
        contact_name=_person(rng) + rng.choice(["经理", "总监", "副总"]),
        contact_phone=f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
        notes=rng.choice(["", "", "已纳入产业链招商重点名单", "企业有产能转移计划", "通过商会引荐对接"]),
    )  # fmt: skip
    return enterprise, chosen


def _unique_name(rng, place: str, chain: str, taken: set) -> str:
    prefix = place[:2]
    while True:
        name = f"{prefix}{rng.choice(BRANDS)}{SUFFIXES.get(chain, DEFAULT_SUFFIX)}"
        if name not in taken:
            taken.add(name)
            return name
        prefix = place[:2] + rng.choice("东西南北中新华")


def _credit_code(rng, area: str) -> str:
    return make_credit_code(f"91{area}MA" + "".join(rng.choice(CODE_CHARS) for _ in range(7)))


# ---- leads and their agreements ----


def _leads(world, rng, enterprises, promoters) -> list[Lead]:
    leads = []
    for enterprise in enterprises:
        if enterprise.is_local or rng.random() < 0.2:
            continue
        stage = rng.choices(MIX, weights=STAGE_WEIGHTS)[0]
        leads.append(_lead(world, rng, enterprise, stage, promoters))
    return leads


def _lead(world, rng, enterprise: TargetEnterprise, stage: str, promoters) -> Lead:
    today = world.today
    region = _landing_region(world, rng, enterprise.region)
    chain_tags = [link.chain for link in enterprise.chain_links.all()]
    amount = Decimal(rng.choice([5000, 8000, 12000, 20000, 30000, 50000, 80000, 120000, 200000]))
    # Dates run backwards from today so every move is dated in the past.
    found = today - DAY * rng.randint(200, 700)
    lead = Lead.objects.create(
        region=region,
        enterprise=enterprise,
        name=_project_name(rng, enterprise, chain_tags),
        intended_investment=amount,
        category=Category.INDUSTRY,
        source=rng.choice(Source.values),
        description=f"{enterprise.name}拟投资建设{chain_tags[0].name if chain_tags else '产业'}项目",
        promoter=enterprise.promoter or _promoter_for(world, promoters, region, rng),
        department=world.departments.get((_parent_code(region) if region.is_zone else region.code, "commerce")),
        leader=rng.choice(world.leaders.get(region.code, [None])),
        found_on=found,
    )
    lead.chain_tags.set({tag.pk for tag in chain_tags})
    _visits(rng, lead, found, today)
    if stage == LeadStage.LEAD:
        return lead
    talks = min(found + DAY * rng.randint(10, 60), today)
    lead.negotiate(talks, by=lead.promoter)
    if stage == LeadStage.DROPPED and rng.random() < 0.6:
        lead.drop(min(talks + DAY * rng.randint(20, 90), today), rng.choice(DROP_REASONS), by=lead.promoter)
        return lead
    if stage == LeadStage.NEGOTIATING:
        return lead
    agreement = _sign(rng, lead, talks, today, amount)
    if stage == LeadStage.DROPPED:
        lead.drop(min(agreement.signed_on + DAY * rng.randint(30, 120), today), rng.choice(DROP_REASONS), by=None)
    return lead


def _landing_region(world, rng, region: Region) -> Region:
    """Leads of a city or the province land in one of its counties; a county's sometimes in its zone."""
    children = _children(world, region.code)
    if region.kind in (Region.Kind.PROVINCE, Region.Kind.CITY) and children:
        counties = [r for r in children if r.kind != Region.Kind.ZONE and r.code in LIBRARIES] or children
        return rng.choice(counties)
    zones = [r for r in children if r.is_zone]
    return rng.choice(zones) if zones and rng.random() < 0.4 else region


def _project_name(rng, enterprise, chain_tags) -> str:
    what = rng.choice(LINKS.get(chain_tags[0].name, ([""], ["产业"], [""]))[1]) if chain_tags else "产业"
    scale = rng.choice(["年产5万吨", "年产10GWh", "年产2000台套", "一期", "年产20万吨", ""])
    return f"{enterprise.name[2:6]}{scale}{what}项目"


def _visits(rng, lead: Lead, found: datetime.date, today: datetime.date) -> None:
    days = sorted(
        rng.sample(range(1, max((today - found).days, 3)), k=min(rng.randint(1, 4), (today - found).days - 1))
    )
    Visit.objects.bulk_create(
        [
            Visit(
                lead=lead,
                kind=rng.choice(VisitKind.values),
                on=found + DAY * day,
                participants=rng.choice(["招商局局长、招商专员", "分管副县长、商务局", "开发区管委会、自然资源局"]),
                summary=rng.choice(VISIT_SUMMARIES),
                next_step=rng.choice(NEXT_STEPS),
                by=lead.promoter,
            )
            for day in days
        ]
    )


def _sign(rng, lead: Lead, talks: datetime.date, today: datetime.date, amount: Decimal):
    signed_on = min(talks + DAY * rng.randint(20, 150), today)
    contracted = (amount * Decimal(rng.choice(["0.8", "1", "1", "1.2", "1.5"]))).quantize(Decimal("1"))
    agreement = lead.sign(
        signed_on=signed_on,
        contracted_investment=contracted,
        agreed_start_on=signed_on + DAY * rng.randint(60, 240),
        obligations=rng.choice(
            [
                "县政府保障净地供应，企业两年内建成投产，达产后年税收不低于合同约定",
                "开发区提供标准化厂房代建，企业承诺投资强度不低于300万元/亩",
                "企业分期投资，一期投资不低于合同投资的40%",
            ]
        ),
        by=lead.promoter,
    )
    _funds(rng, agreement, today)
    return agreement


def _funds(rng, agreement, today: datetime.date) -> None:
    days = (today - agreement.signed_on).days
    if days < 10:
        return
    share = Decimal(rng.choice(["0", "0.1", "0.25", "0.4", "0.6", "0.85"]))
    parts = rng.randint(1, 4)
    amount = (agreement.contracted_investment * share / parts).quantize(Decimal("0.01"))
    if amount <= 0:
        return
    dates = sorted(rng.sample(range(1, days), k=min(parts, days - 1)))
    FundArrival.objects.bulk_create(
        [
            FundArrival(agreement=agreement, arrived_on=agreement.signed_on + DAY * d, amount=amount, note="企业注资")
            for d in dates
        ]
    )


def _link_existing_projects(world, rng, promoters) -> list[Lead]:
    """Some signed-and-after industry projects of the ledger came from attraction: their leads, landed on them.

    No project is made here, so the ledger holds exactly the projects ``--projects`` asked for; their real
    start dates give the fulfilment rates something to measure.
    """
    leads = []
    for code, count in LANDED_ON.items():
        county = world.region(code)
        projects = list(
            Project.objects.filter(region=county, signed_on__isnull=False, category=Category.INDUSTRY)
            .exclude(credit_code="")
            .exclude(stage__in=[Stage.TERMINATED, Stage.PLANNING, Stage.RESERVE])
            .filter(attraction_lead__isnull=True)
            .order_by("pk")[:60]
        )
        for project in rng.sample(projects, k=min(count, len(projects))):
            leads.append(_lead_for(world, rng, project, county, promoters))
    return leads


def _lead_for(world, rng, project: Project, county: Region, promoters) -> Lead:
    enterprise, _created = TargetEnterprise.objects.get_or_create(
        region=county,
        credit_code=project.credit_code,
        defaults={"name": project.owner_name, "is_local": True, "contact_status": ContactStatus.LANDED},
    )
    signed_on = project.signed_on
    promoter = _promoter_for(world, promoters, county, rng)
    lead = Lead.objects.create(
        region=project.zone or county,
        enterprise=enterprise,
        name=project.name,
        intended_investment=project.total_investment or Decimal("1"),
        category=project.category,
        promoter=promoter,
        department=project.department,
        leader=project.leader,
        found_on=signed_on - DAY * 120,
    )
    lead.negotiate(signed_on - DAY * 60, by=promoter)
    start = project.planned_start_on if project.planned_start_on and project.planned_start_on >= signed_on else None
    agreement = lead.sign(
        signed_on=signed_on,
        contracted_investment=project.total_investment or Decimal("1"),
        agreed_start_on=start or signed_on + DAY * 120,
        by=promoter,
    )
    _funds(rng, agreement, world.today)
    lead.land(min(signed_on + DAY * 10, world.today), by=promoter, project=project)
    return lead


# ---- targets ----


def _targets(world, rng) -> int:
    """This year's and last year's signing targets: 山西省's cities, 吕梁市's counties and zone, 交城县's zone."""
    scale = {"140000": 3_000_000, "141100": 600_000, "141122": 150_000}
    rows = []
    for code, base in scale.items():
        for region in _children(world, code):
            for year in (world.today.year - 1, world.today.year):
                amount = Decimal(base * rng.choice([6, 8, 10, 12]) // 10)
                rows.append(SigningTarget(region=region, year=year, amount=amount))
    bulk_create_with_history(rows, SigningTarget, default_change_reason="演示数据")
    return len(rows)


def _children(world, code: str) -> list[Region]:
    parent = world.region(code).pk
    return [region for region in world.regions.values() if region.parent_id == parent]


def _parent_code(region: Region) -> str:
    return region.path.strip("/").split("/")[-2]
