"""What a bulletin says: the figures of ``bulletins.figures`` put into words and tables, as plain JSON.

``compute(region, year, month)`` returns the whole document as data, frozen on the ``Bulletin`` row:

- ``meta``: the issuing office (份头), its abbreviation for the document number, the title, the addressees,
  the month, the day the data stand at (``as_of``), the name of the Excel annex (``annex``, named under the
  body: 附件说明), and, once issued, ``number``, ``number_year`` and ``issued_on``;
- ``figures``: the summary numbers as strings (the preview page's tiles, the tests);
- ``blocks``: the body in order, each ``{"kind": "heading", "level": 1|2, "text"}``,
  ``{"kind": "paragraph", "text", "lead"?}`` (``lead``: a run-in heading set in 楷体) or
  ``{"kind": "table", "caption", "unit", "columns": [{"label", "width", "align"}], "rows", "total"?}``, and
  last ``{"kind": "annex", "text"}``: the line naming the Excel annex under the body (附件说明).

The Word and PDF renderers and the preview page only walk these blocks, so all three say exactly the same
thing, and an issued bulletin never reads the database again.

Lengths: the red list and the overdue problems are listed in full (a city's run to a few dozen lines); each
stalled list (三未), which for a city runs to a thousand and more, is given as counts by subregion and its
``STALLED_ROWS`` longest-overdue entries, the rest being in the Excel annex (``bulletins.annex``), as paper
bulletins do. Every table row costs the PDF about 5 ms. The text is composed in Chinese whatever the
language of the person who clicked: it is an official document (``translation.override``).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from lib.money import format_wan, format_yi
from org.models import Region
from reports import colours as colour_rules

from . import figures as F

VERSION = 2
# How many entries of each stalled list the body shows, longest overdue first; the annex has them all.
STALLED_ROWS = 30
NUMERALS = "一二三四五六七八九十"
# Provinces are abbreviated by their one-character name (简称), not their first character.
PROVINCE_SHORT = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑", "31": "沪",
    "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫", "42": "鄂", "43": "湘",
    "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "贵", "53": "云", "54": "藏", "61": "陕",
    "62": "甘", "63": "青", "64": "宁", "65": "新",
}  # fmt: skip


def compute(region: Region, year: int, month: int, today: datetime.date | None = None) -> dict:
    as_of = colour_rules.as_of_date(year, month, today)
    with scopes_disabled(), translation.override(settings.LANGUAGE_CODE):
        return Composer(region, year, month, as_of).content()


# ---- names ----


def office_name(region: Region) -> str:
    return _("%(region)s重点项目建设工作领导小组办公室") % {"region": region.name}


def abbreviation(region: Region) -> str:
    """交城县 → 交重点办; 山西省 → 晋重点办."""
    short = PROVINCE_SHORT.get(region.code[:2], region.name[:1]) if region.kind == Region.Kind.PROVINCE else None
    return _("%(short)s重点办") % {"short": short or region.name[:1]}


def whole(region: Region) -> str:
    """全县, 全区, 全市, 全省: by the last character of the name."""
    return _("全%(level)s") % {"level": region.name[-1]}


def addressees(region: Region) -> str:
    if region.kind == Region.Kind.PROVINCE:
        return _("各市重点项目建设工作领导小组办公室，省直各有关单位：")
    if region.kind == Region.Kind.CITY:
        return _("各县（市、区）重点项目建设工作领导小组办公室，市直各有关单位：")
    return _("各乡（镇）人民政府，%(level)s直各有关单位：") % {"level": region.name[-1]}


def months_text(month: int) -> str:
    """1—10月; January alone is 1月."""
    return _("1—%(m)s月") % {"m": month} if month > 1 else _("1月")


def annex_title(region: Region, year: int, month: int) -> str:
    """交城县2026年1—10月重点项目台账: the Excel annex, as the body names it and as it downloads."""
    return _("%(region)s%(y)s年%(months)s重点项目台账") % {"region": region.name, "y": year,
                                                          "months": months_text(month)}  # fmt: skip


def document_number(meta: dict) -> str:
    """交重点办〔2026〕3号; a draft leaves the number blank, as a paper draft does."""
    if meta.get("number"):
        return _("%(abbr)s〔%(year)s〕%(n)s号") % {"abbr": meta["abbreviation"], "year": meta["number_year"],
                                                 "n": meta["number"]}  # fmt: skip
    return _("%(abbr)s〔%(year)s〕　号") % {"abbr": meta["abbreviation"], "year": meta["generated_on"][:4]}


def signature_date(meta: dict) -> str:
    """2026年11月5日 (GB/T 9704-2012 writes the date in Arabic numerals); blank until issued."""
    if not meta.get("issued_on"):
        return _("　　年　月　日")
    day = datetime.date.fromisoformat(meta["issued_on"])
    return _("%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day}


def heading_number(index: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 20 → 二十."""
    if index <= 10:
        return NUMERALS[index - 1]
    tens, ones = divmod(index, 10)
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[ones - 1] if ones else "")


# ---- numbers as text ----


def pct(value: Decimal | None) -> str:
    """A percentage in a table cell (the column header says %): 68.6; none: —."""
    return "—" if value is None else f"{value}"


def pct_text(value: Decimal | None) -> str:
    """A percentage in running text: 68.6%; none: —."""
    return "—" if value is None else f"{value}%"


def yi(value) -> str:
    """亿元 in tables: 1,234.56."""
    return format_yi(value)


def yi_text(value) -> str:
    """亿元 in running text, without thousands separators: 1234.56."""
    return format_yi(value).replace(",", "")


def wan(value) -> str:
    return format_wan(value)


def column(label: str, width: int, align: str = "left") -> dict:
    return {"label": label, "width": width, "align": align}


def table(caption: str, columns: list[dict], rows: list[list[str]], unit: str = "", total=None) -> dict:
    block = {"kind": "table", "caption": caption, "unit": unit, "columns": columns, "rows": rows}
    if total is not None:
        block["total"] = total
    return block


class Composer:
    """Builds the blocks section by section; headings are numbered as they are added."""

    def __init__(self, region: Region, year: int, month: int, as_of: datetime.date):
        self.region, self.year, self.month, self.as_of = region, year, month, as_of
        self.blocks: list[dict] = []
        self.sections = 0
        self.subsections = 0
        self.tables = 0
        self.has_subregions = False

    # ---- structure ----

    def heading(self, text: str) -> None:
        self.sections += 1
        self.subsections = 0
        self.blocks.append({"kind": "heading", "level": 1, "text": f"{heading_number(self.sections)}、{text}"})

    def subheading(self, text: str) -> None:
        self.subsections += 1
        self.blocks.append({"kind": "heading", "level": 2, "text": f"（{heading_number(self.subsections)}）{text}"})

    def paragraph(self, text: str, lead: str = "") -> None:
        block = {"kind": "paragraph", "text": text}
        if lead:
            block["lead"] = lead
        self.blocks.append(block)

    def table(self, caption: str, columns, rows, unit: str = "", total=None) -> None:
        self.tables += 1
        numbered = _("表%(n)s　%(caption)s") % {"n": self.tables, "caption": caption}
        self.blocks.append(table(numbered, columns, rows, unit, total))

    # ---- the document ----

    def content(self) -> dict:
        breakdown = F.breakdown(self.region, self.year, self.month, self.as_of)
        self.has_subregions = breakdown.by == "region"
        problems = F.overdue_problems(self.region, self.as_of)
        summary = F.summary(self.region, self.year, self.month, self.as_of, breakdown, len(problems))
        self.blocks.append({"kind": "paragraph", "text": self._opening()})
        self._overview(summary)
        self._groups(breakdown, summary)
        self._red_list(F.red_list(self.region, self.year, self.month))
        self._problems(problems)
        self._stalled()
        self._requirements()
        self.blocks.append({"kind": "annex", "text": _("附件：%(annex)s") % {"annex": self._annex()}})
        return {"version": VERSION, "meta": self._meta(), "figures": _figures(summary), "blocks": self.blocks}

    def _meta(self) -> dict:
        region = self.region
        return {
            "region_code": region.code,
            "region_name": region.name,
            "region_kind": region.kind,
            "year": self.year,
            "month": self.month,
            "as_of": self.as_of.isoformat(),
            "generated_on": timezone.localdate().isoformat(),
            "office": office_name(region),
            "abbreviation": abbreviation(region),
            "title": "".join(self._title_lines()),
            # Where the title breaks: official titles break between phrases, never inside a word.
            "title_lines": self._title_lines(),
            "addressees": addressees(region),
            "annex": annex_title(region, self.year, self.month),
            "number": None,
            "number_year": None,
            "issued_on": None,
        }

    def _title_lines(self) -> list[str]:
        return [
            _("关于%(y)s年%(m)s月份%(whole)s重点项目") % {"y": self.year, "m": self.month, "whole": whole(self.region)},
            _("建设进展情况的通报"),
        ]

    def _months(self) -> str:
        return months_text(self.month)

    def _opening(self) -> str:
        return _(
            "为全面掌握%(whole)s重点项目建设进展，压实各级各部门责任，现将%(y)s年%(months)s%(whole)s重点项目"
            "建设情况通报如下："
        ) % {"whole": whole(self.region), "y": self.year, "months": self._months()}

    # ---- 一、总体情况 ----

    def _overview(self, summary: F.Summary) -> None:
        total = summary.total
        self.heading(_("总体情况"))
        self.paragraph(
            _(
                "截至%(y)s年%(m)s月底，%(whole)s纳入年度计划的重点项目%(n)s个，总投资%(total)s亿元，年度计划投资"
                "%(plan)s亿元。%(months)s累计完成投资%(done)s亿元，占年度计划的%(rate)s，%(versus)s。"
            )
            % {
                "y": self.year,
                "m": self.month,
                "whole": whole(self.region),
                "n": total.projects,
                "total": yi_text(total.total_investment),
                "plan": yi_text(total.annual_plan),
                "months": self._months(),
                "done": yi_text(total.completed),
                "rate": pct_text(summary.completion_rate),
                "versus": _versus(summary),
            }  # fmt: skip
        )
        self.paragraph(
            _(
                "项目推进方面，%(months)s新开工项目%(started)s个；年内计划开工项目%(due)s个，已开工%(done)s个，"
                "开工率%(rate)s；竣工项目%(completed)s个，投产项目%(production)s个。"
            )
            % {
                "months": self._months(),
                "started": total.started,
                "due": summary.planned_starts,
                "done": summary.planned_started,
                "rate": pct_text(summary.start_rate),
                "completed": summary.completed,
                "production": summary.in_production,
            }  # fmt: skip
        )
        counts = summary.colours
        self.paragraph(
            _(
                "三色管理方面，本月红色项目%(red)s个、黄色项目%(yellow)s个、蓝色项目%(blue)s个。问题督办方面，"
                "截至月底逾期未办结问题%(problems)s个。"
            )
            % {**counts, "problems": summary.problems_overdue}
        )

    # ---- 二、分地区（部门）情况 ----

    def _groups(self, breakdown: F.Breakdown, summary: F.Summary) -> None:
        by_region = breakdown.by == "region"
        self.heading(_("各县（市、区）推进情况") if by_region else _("各责任单位推进情况"))
        self.subheading(_("投资完成情况"))
        self.paragraph(self._groups_sentence(breakdown, summary))
        name = _("地区") if by_region else _("责任单位")
        columns = [
            column(_("排名"), 7, "center"), column(name, 25), column(_("项目数（个）"), 11, "right"),
            column(_("年度计划（亿元）"), 15, "right"), column(_("%(months)s完成（亿元）") % {"months": self._months()},
                                                          15, "right"),
            column(_("完成率（%）"), 12, "right"), column(_("新开工（个）"), 11, "right"),
        ]  # fmt: skip
        rows = [_group_row(group) for group in breakdown.groups]
        total = _group_row(breakdown.total())
        total[0], total[1] = "", _("合计")
        caption = _("%(whole)s重点项目投资完成情况") % {"whole": whole(self.region)}
        self.table(caption, columns, rows, total=total)
        self._ranking(by_region)
        self._gap(by_region)

    def _groups_sentence(self, breakdown: F.Breakdown, summary: F.Summary) -> str:
        ranked = [g for g in breakdown.groups if g.rank is not None]
        if not ranked:
            return _("本月暂无可排名的完成率数据。")
        # The leaders: the top half, at most three (of two, only the first is "ahead").
        top = "、".join(g.name for g in ranked[: min(3, max(1, len(ranked) // 2))])
        behind = [g.name for g in ranked if g.completion_rate < summary.schedule_share]
        text = _("投资完成率居前的是%(top)s。") % {"top": top}
        if behind:
            text += _("%(names)s完成率低于序时进度（%(share)s%%），须加快推进。") % {
                "names": "、".join(behind), "share": summary.schedule_share,
            }  # fmt: skip
        else:
            text += _("各%(unit)s完成率均达到序时进度（%(share)s%%）。") % {
                "unit": _("地区") if breakdown.by == "region" else _("单位"), "share": summary.schedule_share,
            }  # fmt: skip
        return text

    def _ranking(self, by_region: bool) -> None:
        """The month's published horse-race ranking (赛马), where the rankings app has one."""
        from rankings.models import INDICATORS, RankingSnapshot

        dimension = "region" if by_region else "department"
        snapshot = RankingSnapshot.latest(self.region, kind="month", dimension=dimension, year=self.year,
                                          period=self.month)  # fmt: skip
        if snapshot is None:
            return
        self.subheading(_("综合排名（赛马）"))
        self.paragraph(
            _("按%(region)s重点项目“赛马”考核方案，%(y)s年%(m)s月综合得分排名如下（各项指标单位为%%）：")
            % {"region": self.region.name, "y": self.year, "m": self.month}
        )
        columns = [column(_("名次"), 6, "center"), column(_("名称"), 16), column(_("得分"), 8, "right"),
                   column(_("较上期"), 8, "center")]  # fmt: skip
        columns += [column(str(label), 10, "right") for label in INDICATORS.values()]
        rows = [
            [str(entry.rank), entry.subject_name, f"{entry.score}", _change(entry.rank_change),
             *(pct(_round(entry.indicators.get(key))) for key in INDICATORS)]
            for entry in snapshot.entries.order_by("position")
        ]  # fmt: skip
        self.table(_("%(y)s年%(m)s月综合排名") % {"y": self.year, "m": self.month}, columns, rows)

    def _gap(self, by_region: bool) -> None:
        """The gap to the year's key-project investment plan, where targets are assigned (rankings.targets)."""
        from rankings.targets import gap_by_department, gap_table, region_gap

        split = gap_table if by_region else gap_by_department
        rows = [row for row in split(self.region, self.year, self.month) if row.plan_target is not None]
        if not rows:
            return
        self.subheading(_("目标完成情况"))
        columns = [column(_("名称"), 28), column(_("投资计划目标（亿元）"), 18, "right"),
                   column(_("已完成（亿元）"), 18, "right"), column(_("差距（亿元）"), 18, "right"),
                   column(_("完成率（%）"), 18, "right")]  # fmt: skip
        body = [_gap_row(row) for row in rows]
        own = region_gap(self.region, self.year, self.month)
        total = _gap_row(own) if own.plan_target is not None else None
        if total:
            total[0] = _("%(region)s合计") % {"region": self.region.name}
        self.table(_("%(y)s年重点项目投资目标完成情况") % {"y": self.year}, columns, body, total=total)

    # ---- 三、红色项目 ----

    def _red_list(self, reds) -> None:
        self.heading(_("红色预警项目"))
        if not reds:
            self.paragraph(_("本月无红色预警项目。"))
            return
        self.paragraph(
            _("本月红色预警项目%(n)s个%(spread)s，名单如下，请包联领导和责任单位逐项制定整改措施：")
            % {"n": len(reds), "spread": self._spread(row.project.region.name for row in reds)}
        )
        # Widths: three-digit numbers and ISO dates stay on one line (a city's lists run to hundreds).
        columns = [column(_("序号"), 8, "center"), column(_("项目名称"), 26)]
        if self.has_subregions:
            columns.append(column(_("所在地区"), 11))
        columns += [column(_("责任单位"), 16), column(_("红色原因"), 31), column(_("连续红色月数"), 10, "center")]
        rows = []
        for index, colour in enumerate(reds, start=1):
            project = colour.project
            row = [str(index), project.name]
            if self.has_subregions:
                row.append(project.region.name)
            row += [project.department.name if project.department else "", _reasons(colour), str(colour.red_months)]
            rows.append(row)
        self.table(_("%(y)s年%(m)s月红色预警项目名单") % {"y": self.year, "m": self.month}, columns, rows)

    def _spread(self, names) -> str:
        """ "（交城县12个、文水县3个）" where the region has subregions."""
        if not self.has_subregions:
            return ""
        counts: dict[str, int] = {}
        for name in names:
            counts[name] = counts.get(name, 0) + 1
        parts = "、".join(_("%(name)s%(n)s个") % {"name": name, "n": n} for name, n in counts.items())
        return _("（%(parts)s）") % {"parts": parts}

    # ---- 四、逾期问题 ----

    def _problems(self, problems) -> None:
        self.heading(_("逾期未办结问题"))
        if not problems:
            self.paragraph(_("截至月底，无逾期未办结问题。"))
            return
        county = sum(1 for p in problems if p.level == p.Level.COUNTY)
        self.paragraph(
            _("截至月底，逾期未办结问题%(n)s个，其中挂牌督办%(county)s个，清单如下，请责任单位限期办结：")
            % {"n": len(problems), "county": county}
        )
        columns = [column(_("序号"), 6, "center"), column(_("项目名称"), 18), column(_("问题类别"), 7, "center"),
                   column(_("问题描述"), 21), column(_("责任单位"), 14), column(_("办结时限"), 15, "center"),
                   column(_("逾期天数"), 8, "right"), column(_("督办级别"), 11, "center")]  # fmt: skip
        rows = [
            [str(index), problem.project.name, problem.get_category_display(), problem.description,
             problem.department.name, problem.deadline.isoformat(), str(problem.days_late),
             _short_level(problem.level)]
            for index, problem in enumerate(problems, start=1)
        ]  # fmt: skip
        self.table(_("逾期未办结问题清单"), columns, rows)

    # ---- 五、三未 ----

    def _stalled(self) -> None:
        from batches.stalled import LISTS, stalled_lists

        lists = stalled_lists(self.region, self.as_of)
        spread = F.stalled_spread(self.region, lists)
        self.heading(_("“三未”项目"))
        self.paragraph(self._stalled_opening(spread, LISTS))
        if self.has_subregions and any(spread.total(key) for key in lists):
            self._stalled_spread(spread, LISTS)
        for key, rows in lists.items():
            stalled, count = LISTS[key], spread.total(key)
            self.subheading(_("%(label)s（%(n)s个）") % {"label": stalled.label, "n": count})
            if not count:
                self.paragraph(_("无。"))
                continue
            shown = list(rows[:STALLED_ROWS])
            self._stalled_table(stalled, shown, count)
            if count > len(shown):
                self.paragraph(_("以上为逾期时间最长的%(shown)s个，其余%(rest)s个项目详见附件《%(annex)s》。") % {
                    "shown": len(shown), "rest": count - len(shown), "annex": self._annex(),
                })  # fmt: skip

    def _annex(self) -> str:
        return annex_title(self.region, self.year, self.month)

    def _stalled_opening(self, spread: F.Spread, lists: dict) -> str:
        parts = "、".join(_("%(label)s%(n)s个") % {"label": lists[key].label, "n": spread.total(key)}
                         for key in spread.counts)  # fmt: skip
        text = _("对照计划日期，截至%(y)s年%(m)s月底，%(whole)s%(parts)s。") % {
            "y": self.year, "m": self.month, "whole": whole(self.region), "parts": parts,
        }  # fmt: skip
        if any(spread.total(key) > STALLED_ROWS for key in spread.counts):
            text += _("各类名单按逾期时间由长到短列出，每类列前%(n)s个，完整名单见附件《%(annex)s》。") % {
                "n": STALLED_ROWS, "annex": self._annex(),
            }  # fmt: skip
        return text

    def _stalled_spread(self, spread: F.Spread, lists: dict) -> None:
        columns = [column(_("地区"), 22)]
        columns += [column(str(lists[key].label), 14, "right") for key in spread.counts]
        columns.append(column(_("合计"), 12, "right"))
        rows = [[name, *map(str, counts), str(sum(counts))] for name, counts in spread.rows()]
        totals = [spread.total(key) for key in spread.counts]
        total = [_("合计"), *map(str, totals), str(sum(totals))]
        province = self.region.kind == Region.Kind.PROVINCE
        caption = _("各市“三未”项目数量") if province else _("各县（市、区）“三未”项目数量")
        self.table(caption, columns, rows, unit=_("单位：个"), total=total)

    def _stalled_table(self, stalled, rows, count: int) -> None:
        columns = [column(_("序号"), 7, "center"), column(_("项目名称"), 33)]
        if self.has_subregions:
            columns.append(column(_("所在地区"), 12))
        columns += [column(_("投资（万元）"), 16, "right"), column(str(stalled.planned_label), 18, "center"),
                    column(_("逾期天数"), 10, "right")]  # fmt: skip
        body = []
        for index, row in enumerate(rows, start=1):
            line = [str(index), row.name]
            if self.has_subregions:
                line.append(row.region.name)
            line += [wan(row.investment), row.planned_on.isoformat(), str(row.days_overdue)]
            body.append(line)
        caption = _("%(title)s名单") % {"title": stalled.title}
        if count > len(rows):
            caption = _("%(title)s名单（逾期最长的%(n)s个）") % {"title": stalled.title, "n": len(rows)}
        self.table(caption, columns, body, unit=_("单位：万元"))

    # ---- 六、下步工作要求 ----

    def _requirements(self) -> None:
        self.heading(_("下步工作要求"))
        self.paragraph(
            _("完成率低于序时进度的地区和单位要逐项目分析原因，倒排工期、挂图作战，确保完成年度投资目标。"),
            lead=_("（一）对标序时进度补短板。"),
        )
        self.paragraph(
            _("红色预警项目的包联领导和责任单位要在下月月报截止日前制定整改措施，推动项目回归正常进度。"),
            lead=_("（二）红色项目限期整改。"),
        )
        self.paragraph(
            _(
                "逾期问题的责任单位要明确办结时限，“三未”项目要逐一落实开工、竣工、投产计划，重点办将跟踪督办、按月通报。"
            ),
            lead=_("（三）问题清单加快清零。"),
        )


# ---- small helpers ----


def _versus(summary: F.Summary) -> str:
    if summary.lag is None:
        return _("序时进度%(share)s%%") % {"share": summary.schedule_share}
    if summary.lag > 0:
        return _("落后序时进度%(lag)s个百分点（序时进度%(share)s%%）") % {
            "lag": summary.lag, "share": summary.schedule_share,
        }  # fmt: skip
    return _("超过序时进度%(lead)s个百分点（序时进度%(share)s%%）") % {
        "lead": -summary.lag, "share": summary.schedule_share,
    }  # fmt: skip


def _group_row(group: F.Group) -> list[str]:
    return [
        str(group.rank or "—"),
        group.name,
        str(group.projects),
        yi(group.annual_plan),
        yi(group.completed),
        pct(group.completion_rate),
        str(group.started),
    ]


def _gap_row(row) -> list[str]:
    return [row.subject_name, yi(row.plan_target), yi(row.completed), yi(row.gap), pct(_round(row.rate))]


def _reasons(colour) -> str:
    texts = list(colour_rules.reason_texts(colour))
    if colour.override_colour:
        texts.append(_("人工调整：%(reason)s") % {"reason": colour.override_reason})
    return "；".join(texts)


def _short_level(level: int) -> str:
    return {0: _("部门"), 1: _("包联领导"), 2: _("挂牌督办")}.get(level, "")


def _change(change: int | None) -> str:
    if change is None:
        return _("新")
    if change > 0:
        return f"↑{change}"
    if change < 0:
        return f"↓{-change}"
    return "—"


def _round(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.1"))


def _cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _figures(summary: F.Summary) -> dict:
    total = summary.total
    values = {
        "projects": total.projects,
        # SQLite sums whole 万元 amounts as integers: two decimals whatever the database.
        "total_investment": _cents(total.total_investment),
        "annual_plan": _cents(total.annual_plan),
        "completed": _cents(total.completed),
        "completion_rate": summary.completion_rate,
        "schedule_share": summary.schedule_share,
        "lag": summary.lag,
        "started": total.started,
        "planned_starts": summary.planned_starts,
        "planned_started": summary.planned_started,
        "completed_projects": summary.completed,
        "in_production": summary.in_production,
        "problems_overdue": summary.problems_overdue,
        **{f"colour_{colour}": n for colour, n in summary.colours.items()},
    }
    return {key: None if value is None else str(value) for key, value in values.items()}
