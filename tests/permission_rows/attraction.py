"""Permission rows for the attraction app (see tests/permission_rows/__init__.py).

Promoters, coordinators and admins edit (the promoter is a "reader" of the core table, so it is overridden to
the editors' status); leaders read (writes 403); reporters (the project owners' staff), department handlers and
enterprises get 403 on every attraction URL, before any lookup, so even another region's object is 403 to
them, not 404. Objects: "lead", "enterprise", "agreement" are 交城县's (a lead in negotiation, an enterprise
of the library, a signed agreement); "other …" the same in 小店区, outside every 交城县 user's region; "chain"
is 交城县's 新材料 chain, "city chain" 吕梁市's 特钢 (seen from the county, set by the city: 403),
"other chain" 小店区's; "promoter" the county's promoter, "other promoter" one in 小店区.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

from django_scopes import scopes_disabled

from attraction.models import (
    Agreement,
    ChainLink,
    FundArrival,
    Lead,
    LeadMove,
    SigningTarget,
    TargetEnterprise,
    Visit,
)
from org.models import Role, User
from projects.models import ChainTag

from . import CSV, XLSX, Row

SHUT_OUT = {"reporter": 403, "handler": 403, "enterprise": 403}
EDITING = {"promoter": 200, **SHUT_OUT}  # a GET of an edit page
SUBMITTING = {"promoter": 400, **SHUT_OUT}  # an empty form posted
READING = SHUT_OUT
OUTSIDE = SHUT_OUT  # another region's object: 404 to the rest

ROWS = [
    # the board and leads
    Row("attraction:board", "GET", 302, 200, 200, overrides=READING),
    Row("attraction:board", "POST", 302, 405, 405),
    Row("attraction:lead_create", "GET", 302, 200, 403, overrides=EDITING),
    Row("attraction:lead_create", "POST", 302, 400, 403, overrides=SUBMITTING),
    Row("attraction:lead_create", "PUT", 302, 405, 405),
    Row("attraction:lead_detail", "GET", 302, 200, 200, obj="lead", overrides=READING),
    Row("attraction:lead_detail", "GET", 302, 404, 404, obj="other lead", overrides=OUTSIDE),
    Row("attraction:lead_detail", "POST", 302, 405, 405, obj="lead"),
    Row("attraction:lead_edit", "GET", 302, 200, 403, obj="lead", overrides=EDITING),
    Row("attraction:lead_edit", "POST", 302, 400, 403, obj="lead", overrides=SUBMITTING),
    Row("attraction:lead_edit", "GET", 302, 404, 404, obj="other lead", overrides=OUTSIDE),
    Row("attraction:lead_edit", "POST", 302, 404, 404, obj="other lead", overrides=OUTSIDE),
    Row("attraction:lead_edit", "PUT", 302, 405, 405, obj="lead"),
    Row("attraction:lead_move", "GET", 302, 200, 403, obj="lead", overrides=EDITING),
    Row("attraction:lead_move", "POST", 302, 400, 403, obj="lead", overrides=SUBMITTING),  # no target stage
    Row("attraction:lead_move", "GET", 302, 404, 404, obj="other lead", overrides=OUTSIDE),
    Row("attraction:lead_move", "POST", 302, 404, 404, obj="other lead", overrides=OUTSIDE),
    Row("attraction:lead_move", "PUT", 302, 405, 405, obj="lead"),
    Row("attraction:visit_create", "POST", 302, 400, 403, obj="lead", overrides=SUBMITTING),
    Row("attraction:visit_create", "POST", 302, 404, 404, obj="other lead", overrides=OUTSIDE),
    Row("attraction:visit_create", "GET", 302, 405, 405, obj="lead"),
    Row("attraction:promoter", "GET", 302, 200, 200, obj="promoter", overrides=READING),
    Row("attraction:promoter", "GET", 302, 404, 404, obj="other promoter", overrides=OUTSIDE),
    Row("attraction:promoter", "POST", 302, 405, 405, obj="promoter"),
    # 我的招商: a promoter's own page; the others are sent to the board.
    Row("attraction:mine", "GET", 302, 302, 302, overrides={"promoter": 200, **SHUT_OUT}),
    Row("attraction:mine", "POST", 302, 405, 405),
    # the target enterprise library
    Row("attraction:enterprises", "GET", 302, 200, 200, overrides=READING),
    Row("attraction:enterprises", "POST", 302, 405, 405),
    Row("attraction:enterprise_export", "GET", 302, 200, 200, kwargs=XLSX, overrides=READING),
    Row("attraction:enterprise_export", "GET", 302, 200, 200, kwargs=CSV, overrides=READING),
    Row("attraction:enterprise_export", "POST", 302, 405, 405, kwargs=XLSX),
    Row("attraction:enterprise_create", "GET", 302, 200, 403, overrides=EDITING),
    Row("attraction:enterprise_create", "POST", 302, 400, 403, overrides=SUBMITTING),
    Row("attraction:enterprise_create", "PUT", 302, 405, 405),
    Row("attraction:enterprise_import", "GET", 302, 200, 403, overrides=EDITING),
    Row("attraction:enterprise_import", "POST", 302, 400, 403, overrides=SUBMITTING),  # no file
    Row("attraction:enterprise_import", "PUT", 302, 405, 405),
    Row("attraction:enterprise_detail", "GET", 302, 200, 200, obj="enterprise", overrides=READING),
    Row("attraction:enterprise_detail", "GET", 302, 404, 404, obj="other enterprise", overrides=OUTSIDE),
    Row("attraction:enterprise_detail", "POST", 302, 405, 405, obj="enterprise"),
    Row("attraction:enterprise_edit", "GET", 302, 200, 403, obj="enterprise", overrides=EDITING),
    Row("attraction:enterprise_edit", "POST", 302, 400, 403, obj="enterprise", overrides=SUBMITTING),
    Row("attraction:enterprise_edit", "GET", 302, 404, 404, obj="other enterprise", overrides=OUTSIDE),
    Row("attraction:enterprise_edit", "POST", 302, 404, 404, obj="other enterprise", overrides=OUTSIDE),
    Row("attraction:enterprise_edit", "PUT", 302, 405, 405, obj="enterprise"),
    # the chain map and its links
    Row("attraction:chains", "GET", 302, 200, 200, overrides=READING),
    Row("attraction:chains", "POST", 302, 405, 405),
    Row("attraction:chain_create", "POST", 302, 400, 403, overrides=SUBMITTING),  # no name
    Row("attraction:chain_create", "GET", 302, 405, 405),
    Row("attraction:chain_links", "GET", 302, 200, 403, obj="chain", overrides=EDITING),
    Row("attraction:chain_links", "POST", 302, 400, 403, obj="chain", overrides=SUBMITTING),  # no formset
    Row("attraction:chain_links", "GET", 302, 403, 403, obj="city chain"),  # the city's chain: read, not set
    Row("attraction:chain_links", "POST", 302, 403, 403, obj="city chain"),
    Row("attraction:chain_links", "GET", 302, 404, 404, obj="other chain", overrides=OUTSIDE),
    Row("attraction:chain_links", "POST", 302, 404, 404, obj="other chain", overrides=OUTSIDE),
    Row("attraction:chain_links", "PUT", 302, 405, 405, obj="chain"),
    # agreements, funds, targets
    Row("attraction:agreements", "GET", 302, 200, 200, overrides=READING),
    Row("attraction:agreements", "POST", 302, 405, 405),
    Row("attraction:agreement_export", "GET", 302, 200, 200, kwargs=XLSX, overrides=READING),
    Row("attraction:agreement_export", "GET", 302, 200, 200, kwargs=CSV, overrides=READING),
    Row("attraction:agreement_export", "POST", 302, 405, 405, kwargs=XLSX),
    Row("attraction:agreement_detail", "GET", 302, 200, 200, obj="agreement", overrides=READING),
    Row("attraction:agreement_detail", "GET", 302, 404, 404, obj="other agreement", overrides=OUTSIDE),
    Row("attraction:agreement_detail", "POST", 302, 405, 405, obj="agreement"),
    Row("attraction:agreement_edit", "GET", 302, 200, 403, obj="agreement", overrides=EDITING),
    Row("attraction:agreement_edit", "POST", 302, 400, 403, obj="agreement", overrides=SUBMITTING),
    Row("attraction:agreement_edit", "GET", 302, 404, 404, obj="other agreement", overrides=OUTSIDE),
    Row("attraction:agreement_edit", "POST", 302, 404, 404, obj="other agreement", overrides=OUTSIDE),
    Row("attraction:agreement_edit", "PUT", 302, 405, 405, obj="agreement"),
    Row("attraction:fund_create", "POST", 302, 400, 403, obj="agreement", overrides=SUBMITTING),
    Row("attraction:fund_create", "POST", 302, 404, 404, obj="other agreement", overrides=OUTSIDE),
    Row("attraction:fund_create", "GET", 302, 405, 405, obj="agreement"),
    Row("attraction:targets", "GET", 302, 200, 200, overrides=READING),
    # Nothing submitted: nothing changes, back to the page.
    Row("attraction:targets", "POST", 302, 302, 403, overrides={"promoter": 302}),
    Row("attraction:targets", "PUT", 302, 405, 405),
]


def _attraction(cast) -> SimpleNamespace:
    """A lead in negotiation and a signed one (with its agreement) in 交城县 and in 小店区; made once per test."""
    if not hasattr(cast, "attraction"):
        with scopes_disabled():
            outsider = User.objects.create_user("xd_promoter", role=Role.PROMOTER, region=cast.regions.xiaodian)
            own, other = _region_set(cast.region, cast.users.promoter), _region_set(cast.regions.xiaodian, outsider)
            cast.attraction = SimpleNamespace(own=own, other=other, outsider=outsider)
    return cast.attraction


def _region_set(region, promoter) -> SimpleNamespace:
    enterprise = TargetEnterprise.objects.create(region=region, name=f"{region.name}目标企业", promoter=promoter)
    found = datetime.date(2025, 1, 6)
    lead = Lead.objects.create(
        region=region, enterprise=enterprise, name="洽谈项目", intended_investment=Decimal("5000"), found_on=found
    )
    lead.negotiate(datetime.date(2025, 2, 1), by=promoter)
    signed = Lead.objects.create(
        region=region, enterprise=enterprise, name="签约项目", intended_investment=Decimal("8000"), found_on=found
    )
    signed.negotiate(datetime.date(2025, 2, 1), by=promoter)
    agreement = signed.sign(
        signed_on=datetime.date(2025, 3, 1),
        contracted_investment=Decimal("8000"),
        agreed_start_on=datetime.date(2025, 6, 1),
        by=promoter,
    )
    return SimpleNamespace(enterprise=enterprise, lead=lead, agreement=agreement)


OBJECTS = {
    "lead": lambda cast: _attraction(cast).own.lead.pk,
    "other lead": lambda cast: _attraction(cast).other.lead.pk,
    "enterprise": lambda cast: _attraction(cast).own.enterprise.pk,
    "other enterprise": lambda cast: _attraction(cast).other.enterprise.pk,
    "agreement": lambda cast: _attraction(cast).own.agreement.pk,
    "other agreement": lambda cast: _attraction(cast).other.agreement.pk,
    "promoter": lambda cast: cast.users.promoter.pk,
    "other promoter": lambda cast: _attraction(cast).outsider.pk,
    "chain": lambda cast: cast.tags.materials.pk,
    "city chain": lambda cast: cast.tags.steel.pk,
    "other chain": lambda cast: cast.tags.xiaodian.pk,
}
WRITES = {}


def snapshot() -> tuple:
    with scopes_disabled():
        return (
            sorted(Lead.objects.values_list("pk", "stage", "name", "updated_at")),
            sorted(TargetEnterprise.objects.values_list("pk", "name", "credit_code", "updated_at")),
            sorted(Agreement.objects.values_list("pk", "contracted_investment", "signed_on", "updated_at")),
            LeadMove.objects.count(),
            Visit.objects.count(),
            FundArrival.objects.count(),
            sorted(SigningTarget.objects.values_list("pk", "amount")),
            sorted(ChainLink.objects.values_list("pk", "name")),
            sorted(ChainTag.objects.values_list("pk", "name")),
        )
