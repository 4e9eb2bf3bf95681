"""What a ledger's texts name, read once per import in a few queries: regions, zones, departments,
leaders of the user's subtree, and the projects the rows may update."""

from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from org.models import Department, Region, User
from projects.models import AnnualPlan, Project

from .cells import CellError, normal

CHUNK = 900  # ids or names per IN (...): under SQLite's variable limit on any build
SUFFIXES = ("省", "市", "县", "区", "旗")


def chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _short(name: str) -> str:
    """交城县 → 交城: ledgers often drop the suffix."""
    return name[:-1] if len(name) > 2 and name.endswith(SUFFIXES) else name


class Places:
    """The regions and zones of the user's subtree, by code and by name."""

    def __init__(self, user):
        self.home = user.region
        self.by_code: dict[str, Region] = {}
        self.by_name: dict[str, list[Region]] = defaultdict(list)
        for region in Region.objects.visible_to(user).select_related("parent"):
            self.by_code[region.code] = region
            for name in self._names(region):
                self.by_name[name].append(region)

    @staticmethod
    def _names(region: Region) -> set[str]:
        """交城县, 交城, and with its parent (吕梁市交城县) for names a province has twice (城区, 郊区)."""
        own = {normal(region.name), _short(normal(region.name))}
        if region.parent is None:
            return own
        parents = {normal(region.parent.name), _short(normal(region.parent.name))}
        return own | {parent + name for parent in parents for name in own}

    def region(self, text: str) -> Region:
        """The region (or zone) a cell names by code or name, within the subtree."""
        key = normal(text)
        if key in self.by_code:
            return self.by_code[key]
        found = self.by_name.get(key) or self.by_name.get(_short(key), [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            codes = "、".join(r.code for r in found[:3])
            message = _("区划“%(name)s”不唯一（%(codes)s），请改填区划代码或写上所属的市（如“阳泉市城区”）。")
            raise CellError(message % {"name": text, "codes": codes})
        raise CellError(_("区划“%(name)s”不存在或不在您的管辖范围内。") % {"name": text})

    def zone(self, text: str, region: Region | None) -> Region:
        zone = self.region(text)
        if not zone.is_zone:
            raise CellError(_("“%(name)s”不是开发区。") % {"name": text})
        if region is not None and not zone.path.startswith(region.path):
            raise CellError(_("开发区“%(zone)s”不在%(region)s内。") % {"zone": zone.name, "region": region.name})
        return zone


class Departments:
    """Departments of the subtree by full and short name; a short name ("发改局") is read in the row's region."""

    def __init__(self, user):
        self.by_name: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.by_short: dict[tuple[int, str], int] = {}
        rows = Department.objects.visible_to(user).values_list("pk", "region_id", "name", "short_name")
        for pk, region_id, name, short in rows:
            self.by_name[normal(name)].append((pk, region_id))
            if short:
                self.by_short[(region_id, normal(short))] = pk

    def find(self, text: str, region: Region | None) -> int:
        key = normal(text)
        named = self.by_name.get(key, [])
        if region is not None:
            own = [pk for pk, region_id in named if region_id == region.pk] or (
                [self.by_short[(region.pk, key)]] if (region.pk, key) in self.by_short else []
            )
            if own:
                return own[0]
        if len(named) == 1:
            return named[0][0]
        if len(named) > 1:
            raise CellError(_("有多个名为“%(name)s”的部门，请填写全称或所在区划。") % {"name": text})
        raise CellError(
            _("责任单位“%(name)s”不在系统中，请先由管理员添加该部门，或改填已有部门的名称。") % {"name": text}
        )


class Leaders:
    """Active leaders a project of the user's region may name (``User.objects.around``), by name."""

    def __init__(self, user):
        users = User.objects.around(user.region).leaders() if user.region_id else User.objects.leaders()
        self.by_name: dict[str, list[int]] = defaultdict(list)
        for pk, full_name, username in users.values_list("pk", "full_name", "username"):
            for name in {normal(full_name), normal(username)} - {""}:
                self.by_name[name].append(pk)

    def find(self, text: str) -> int:
        # "王建国（副县长）": the title in brackets is not part of the name.
        key = normal(text).split("(")[0]
        found = self.by_name.get(key, [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise CellError(_("有多位名为“%(name)s”的领导，请在项目页面选择。") % {"name": text})
        raise CellError(_("包联领导“%(name)s”不是系统中的领导用户。") % {"name": text})


class Existing:
    """The projects the rows may update: by national code (nationwide, to name a clash) and by name (subtree)."""

    def __init__(self, user, codes: Iterable[str], names: Iterable[str]):
        self.user = user
        self.by_code: dict[str, Project] = {}
        self.by_name: dict[str, list[Project]] = defaultdict(list)
        base = Project._base_manager.select_related("region", "zone")
        for part in chunks(sorted(set(codes))):
            for project in base.filter(national_code__in=part):
                self.by_code[project.national_code] = project
        visible = base.filter(region__path__startswith=user.region.path) if user.region_id else base
        for part in chunks(sorted(set(names))):
            for project in visible.filter(name__in=part):
                self.by_name[normal(project.name)].append(self.by_code.get(project.national_code, project))

    def visible(self, project: Project) -> bool:
        return self.user.region_id is None or project.region.path.startswith(self.user.region.path)


def annual_plans(project_ids: list[int], years: set[int]) -> dict[tuple[int, int], AnnualPlan]:
    plans = {}
    for part in chunks(project_ids):
        for plan in AnnualPlan._base_manager.filter(project_id__in=part, year__in=sorted(years)):
            plans[(plan.project_id, plan.year)] = plan
    return plans
