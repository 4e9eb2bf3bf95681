"""The navigation bar: sections of links, each shown to the roles that may open it.

One declarative list instead of conditions spread over base.html. A section with one visible link shows
as that link; with more, as a dropdown. ``tests/test_navigation.py`` checks every URL name exists and that
each role is offered exactly the pages the permission table lets it open.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import Role

EVERYONE = frozenset(Role)
GOVERNMENT = EVERYONE - {Role.ENTERPRISE}
EDITORS = frozenset({Role.COORDINATOR, Role.ADMIN})
READERS = EDITORS | {Role.LEADER}


@dataclass(frozen=True)
class Link:
    url_name: str
    label: str
    roles: frozenset
    query: str = ""

    def offered_to_role(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Section:
    label: str
    links: tuple[Link, ...]
    namespaces: tuple[str, ...] = ()


SECTIONS = (
    Section(_("驾驶舱"), (
        Link("dashboards:index", _("领导驾驶舱"), GOVERNMENT),
        Link("dashboards:screen", _("大屏"), GOVERNMENT),
        Link("dashboards:zones", _("开发区亩均"), GOVERNMENT),
    ), ("dashboards",)),
    Section(_("项目"), (
        Link("projects:list", _("项目台账"), EVERYONE),
        Link("approvals:list", _("前期手续"), GOVERNMENT),
        Link("projects:change_requests", _("计划变更"), EDITORS),
        Link("projects:suspensions", _("暂停项目"), READERS),
        Link("imports:index", _("台账导入"), EDITORS),
    ), ("projects", "approvals", "imports")),
    Section(_("月报"), (
        Link("reports:mine", _("月报填报"), EDITORS | {Role.REPORTER}),
        Link("reports:queue", _("月报审核"), EDITORS),
        Link("reports:period", _("填报概况"), READERS),
        Link("reports:colours", _("红黄蓝"), READERS),
        Link("reports:rules", _("月报规则"), EDITORS),
    ), ("reports",)),
    Section(_("问题"), (
        Link("problems:list", _("问题督办"), GOVERNMENT),
        Link("problems:inbox", _("部门待办"), EDITORS | {Role.HANDLER}),
        Link("problems:requests", _("企业诉求"), EDITORS | {Role.ENTERPRISE}),
    ), ("problems",)),
    Section(_("招商"), (
        Link("attraction:mine", _("我的招商"), frozenset({Role.PROMOTER})),
        Link("attraction:board", _("线索看板"), READERS | {Role.PROMOTER}),
        Link("attraction:enterprises", _("目标企业库"), READERS | {Role.PROMOTER}),
        Link("attraction:chains", _("产业链图谱"), READERS | {Role.PROMOTER}),
        Link("attraction:agreements", _("签约协议与履约"), READERS | {Role.PROMOTER}),
        Link("attraction:targets", _("签约目标"), READERS | {Role.PROMOTER}),
    ), ("attraction",)),
    Section(_("督导"), (
        Link("rankings:targets", _("目标与差距"), GOVERNMENT),
        Link("rankings:ranking", _("赛马排名"), GOVERNMENT),
        Link("batches:index", _("三个一批"), GOVERNMENT),
        Link("batches:stalled", _("三未清单"), GOVERNMENT),
        Link("bulletins:list", _("月度通报"), GOVERNMENT),
    ), ("rankings", "batches", "bulletins")),
    Section(_("数据"), (
        Link("oc4ids:export", _("OC4IDS 数据交换"), GOVERNMENT),
        Link("api:docs", _("接口文档"), EVERYONE),
    ), ("oc4ids", "api")),
)


@dataclass
class Shown:
    label: str
    links: list[tuple[str, str]]  # (label, url)
    active: bool


def sections_for(user, namespace: str) -> list[Shown]:
    shown = []
    for section in SECTIONS:
        links = [(link.label, url) for link in section.links if link.offered_to_role(user.role) and (url := _url(link))]
        if links:
            shown.append(Shown(section.label, links, namespace in section.namespaces))
    return shown


def _url(link: Link) -> str | None:
    try:
        return reverse(link.url_name) + link.query
    except NoReverseMatch:  # an app not installed; tests/test_navigation.py keeps the names true
        return None
