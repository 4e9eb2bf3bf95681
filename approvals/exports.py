"""The approval item export: a header row then one plain row per item."""

import datetime
from collections.abc import Iterator

from django.utils.translation import gettext as _

from .models import ApprovalItem


def _deadline_text(deadline) -> str:
    if deadline is None:
        return ""
    return deadline.date.isoformat() + ("" if deadline.covered else _("（节假日安排未覆盖，按周一至周五计算）"))


def item_rows(items, today: datetime.date) -> Iterator[list]:
    yield [
        _("序号"),
        _("项目名称"),
        _("所在区划"),
        _("事项"),
        _("事项名称"),
        _("办理部门"),
        _("状态"),
        _("申报日期"),
        _("承诺时限（工作日）"),
        _("承诺办结期限"),
        _("法定时限（工作日）"),
        _("法定办结期限"),
        _("办结日期"),
        _("批复文号"),
        _("实际办理（工作日）"),
        _("逾期（工作日）"),
    ]
    for index, item in enumerate(items.iterator(chunk_size=2000), 1):
        yield _row(index, item, today)


def _row(index: int, item: ApprovalItem, today: datetime.date) -> list:
    urgency = item.urgency(today)
    return [
        index,
        item.project.name,
        item.project.region.name,
        item.get_kind_display(),
        item.name,
        item.department.name if item.department else "",
        item.get_status_display(),
        item.applied_on,
        item.promised_days,
        _deadline_text(urgency.due if urgency else item.due_on()),
        item.statutory_days,
        _deadline_text(item.statutory_due_on()),
        item.approved_on,
        item.document_no,
        item.handling_days,
        urgency.overdue_days if urgency else None,
    ]
