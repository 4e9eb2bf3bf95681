"""The ledger export: a header row then one plain row per project, in the usual 台账 column order."""

from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext as _

CENTS = Decimal("0.01")


def _wan(value: Decimal | None) -> Decimal | None:
    # The annual plan comes from a subquery, which SQLite hands back unscaled (30000, not 30000.00).
    return None if value is None else value.quantize(CENTS)


def ledger_rows(projects, year: int) -> Iterator[list]:
    yield [
        _("序号"),
        _("项目名称"),
        _("项目代码"),
        _("项目单位"),
        _("统一社会信用代码"),
        _("所在区划"),
        _("开发区"),
        _("级别"),
        _("类别"),
        _("性质"),
        _("产业链"),
        _("阶段"),
        _("总投资（万元）"),
        _("%(year)s年计划投资（万元）") % {"year": year},
        _("计划开工"),
        _("实际开工"),
        _("计划竣工"),
        _("包联领导"),
        _("责任单位"),
        _("联系人"),
        _("联系电话"),
    ]
    for index, p in enumerate(projects.iterator(chunk_size=2000), 1):
        yield [
            index,
            p.name,
            p.national_code,
            p.owner_name,
            p.credit_code,
            p.region.name,
            p.zone.name if p.zone else "",
            p.get_level_display(),
            p.get_category_display(),
            p.get_nature_display(),
            "、".join(t.name for t in p.chain_tags.all()),
            p.get_stage_display(),
            p.total_investment,
            _wan(p.annual_plan),
            p.planned_start_on,
            p.started_on,
            p.planned_completion_on,
            str(p.leader) if p.leader else "",
            p.department.name if p.department else "",
            p.contact_name,
            p.contact_phone,
        ]
