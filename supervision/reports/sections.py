"""The sections of a report: each counts its figures with supervision.services.figures (the
functions the overview uses) and says what it counts by. build_report() puts them together, in a
constant number of queries (about 16) whatever the size of the tables."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.choices import (
    Agency,
    District,
    FacilityKind,
    Grade,
    InspectionKind,
    ReferralStatus,
    SanctionKind,
    TipChannel,
)
from supervision.formats.punctuation import bracketed, labelled, listed
from supervision.formats.values import DASH
from supervision.reports.content import (
    BUREAU,
    COUNT,
    DATE,
    DAYS,
    DETAIL_LIMIT,
    MONEY,
    MONTHS,
    PERCENT,
    Chart,
    Column,
    Report,
    Section,
    Table,
    span,
)
from supervision.services import figures
from supervision.services.figures import Period, Scope


def build_report(
    scope: Scope, period: Period, *, made_by: str, made_at: datetime.datetime | None = None
) -> Report:
    """The report of period as scope sees it. A constant number of queries (about 16)."""
    made_at = made_at or timezone.now()
    districts = scope.districts
    if districts is None:
        coverage = _("全市（全部区县）")
        shown = list(District)
    else:
        shown = [d for d in District if d.value in districts]
        coverage = bracketed(
            labelled(_("仅限"), listed(d.label for d in shown)), _("制表人账户限定的区县")
        )
    kind = _("年度报表") if period.is_year else _("月度报表")
    sections = []
    if period.is_year:
        sections.append(_grades_section(scope, period.year, shown))
    sections += [
        _inspections_section(scope, period, shown),
        _sanctions_section(scope, period),
    ]
    if period.is_year:
        sections.append(_handling_section(scope, period.year))
    sections += [_referrals_section(scope, period), _tips_section(scope, period)]
    sections.insert(len(sections) - 2, _money_section(sections, period))
    return Report(
        period=period,
        title=_("%(bureau)s医保基金监管%(kind)s") % {"bureau": BUREAU, "kind": kind},
        bureau=str(BUREAU),
        coverage=coverage,
        made_at=made_at,
        made_by=made_by,
        complete=period.last < timezone.localdate(made_at),
        sections=sections,
    )


def _grades_section(scope: Scope, year: int, shown: list[District]) -> Section:
    grades = figures.grades_of_year(scope, year)
    by_kind = figures.grades_by_kind(scope, year)
    count = Column(_("机构数"), COUNT, "家", 10)
    grade_columns = [Column(str(g.label), COUNT, "家", 9) for g in Grade]
    by_grade = grades.by_grade
    kinds = [
        [str(k.label)] + [by_kind.get((k.value, g), 0) for g in Grade.values] for k in FacilityKind
    ]
    return Section(
        _("信用评价"),
        _("%(year)d年度信用评价结果") % {"year": year},
        _(
            "按评级年度统计：%(year)d年度的信用评价（该年度结束后评定），"
            "即总览“%(year)d年度信用评价结果”的数字。"
        )
        % {"year": year},
        [
            Table(
                "grades",
                _("各信用等级机构数"),
                [Column(_("信用等级"), width=12), count],
                [[str(g.label), by_grade[g.value]] for g in Grade],
                [_("合计"), grades.total],
                Chart(_("%(year)d年度各信用等级机构数") % {"year": year}, 1),
            ),
            Table(
                "grades_by_district",
                _("按区县"),
                [Column(_("区县"), width=14), *grade_columns, Column(_("合计"), COUNT, "家", 9)],
                [_with_total([str(d.label), *grades.of_district(d.value).values()]) for d in shown],
                _with_total([_("合计"), *by_grade.values()]),
            ),
            Table(
                "grades_by_kind",
                _("按机构类别"),
                [
                    Column(_("机构类别"), width=18),
                    *grade_columns,
                    Column(_("合计"), COUNT, "家", 9),
                ],
                [_with_total(row) for row in kinds],
                _with_total([_("合计"), *(sum(r[i] for r in kinds) for i in range(1, 5))]),
            ),
        ],
    )


def _with_total(row: list[Any]) -> list[Any]:
    return [*row, sum(row[1:])]


def _inspection_columns(first: str) -> list[Column]:
    return [
        Column(first, width=14),
        Column(_("检查次数"), COUNT, "次", 10),
        Column(_("涉及金额"), MONEY, width=16),
        Column(_("追回金额"), MONEY, width=16),
    ]


def _sums_row(label: str, sums: figures.InspectionSums) -> list[Any]:
    return [label, sums.count, sums.involved, sums.recovered]


def _inspections_section(scope: Scope, period: Period, shown: list[District]) -> Section:
    by_kind = figures.inspections_by_kind(scope, period.first, period.last_month)
    by_district = figures.inspections_by(scope, period.first, period.last_month, "district")
    everything = figures.total(by_kind.values())
    tables = [
        Table(
            "inspections_by_kind",
            _("按检查类型"),
            _inspection_columns(_("检查类型")),
            [_sums_row(str(k.label), by_kind[k.value]) for k in InspectionKind],
            _sums_row(_("合计"), everything),
            Chart(_("各类检查次数"), 1),
        ),
        Table(
            "inspections_by_district",
            _("按区县"),
            _inspection_columns(_("区县")),
            [
                _sums_row(str(d.label), by_district.get(d.value, figures.InspectionSums()))
                for d in shown
            ],
            _sums_row(_("合计"), everything),
        ),
    ]
    if period.is_year:
        by_month = figures.inspections_by(scope, period.first, period.last_month, "month")
        tables.append(
            Table(
                "inspections_by_month",
                _("按月份"),
                _inspection_columns(_("月份")),
                [
                    _sums_row(
                        _("%(month)d月") % {"month": m.month},
                        by_month.get(m, figures.InspectionSums()),
                    )
                    for m in period.months()
                ],
                _sums_row(_("合计"), everything),
                Chart(_("各月检查次数"), 1),
            )
        )
    return Section(
        _("检查"),
        _("检查及其金额"),
        _(
            "按检查开始日期统计：%(span)s开始的检查（计划中、检查中和已完成的），"
            "金额为检查记录的涉及金额和追回金额。"
        )
        % {"span": span(period)},
        tables,
    )


def _kind_table(key: str, title: str, decided: dict[str, figures.KindTotal]) -> Table:
    rows = []
    for kind in SanctionKind:
        found = decided.get(kind.value)
        rows.append([str(kind.label), found.count if found else 0, found.amount if found else None])
    return Table(
        key,
        title,
        [
            Column(_("措施类型"), width=18),
            Column(_("件数"), COUNT, "件", 10),
            Column(_("金额"), MONEY, width=16),
        ],
        rows,
        [
            _("合计"),
            sum(r[1] for r in rows),
            sum((r[2] for r in rows if r[2] is not None), Decimal("0")),
        ],
        Chart(title, 1),
    )


def _terms_tables(prefix: str, terms: figures.MeasureTerms) -> list[Table]:
    kind = Column(_("机构类别"), width=18)
    suspensions = [
        [str(FacilityKind(k).label), term.months, term.days, n]
        for (k, term), n in terms.suspensions.items()
    ]
    recoveries = [
        [str(FacilityKind(k).label), percent / 100, n, amount]
        for (k, percent), (n, amount) in terms.deposit_recoveries.items()
    ]
    plaques = [[str(FacilityKind(k).label), n] for k, n in terms.commendations.items()]
    return [
        Table(
            f"{prefix}suspensions",
            _("暂停医保服务协议：按机构类别和期限"),
            [
                kind,
                Column(_("暂停期限（月）"), MONTHS, width=14),
                Column(_("暂停天数"), DAYS, width=10),
                Column(_("件数"), COUNT, "件", 8),
            ],
            suspensions,
            [_("合计"), None, None, sum(r[3] for r in suspensions)],
            note=_("期限按起止日期计算，含截止日；不足整月的只列天数。"),
        ),
        Table(
            f"{prefix}deposit_recoveries",
            _("收回保证金：按机构类别和比例"),
            [
                kind,
                Column(_("收回比例"), PERCENT, width=10),
                Column(_("件数"), COUNT, "件", 8),
                Column(_("金额"), MONEY, width=16),
            ],
            recoveries,
            [
                _("合计"),
                None,
                sum(r[2] for r in recoveries),
                sum((r[3] for r in recoveries), Decimal("0")),
            ],
        ),
        Table(
            f"{prefix}commendations",
            _("授牌：按机构类别"),
            [kind, Column(_("授牌数"), COUNT, "家", 10)],
            plaques,
            [_("合计"), sum(r[1] for r in plaques)],
        ),
    ]


def _measure_list(key: str, title: str, measures: list[Any], more: bool, grade: bool) -> Table:
    columns = [
        Column(_("决定日期"), DATE, width=12),
        Column(_("机构名称"), width=30),
        Column(_("机构类别"), width=14),
        Column(_("区县"), width=10),
        Column(_("措施类型"), width=16),
        Column(_("起始日期"), DATE, width=12),
        Column(_("截止日期"), DATE, width=12),
        Column(_("收回比例"), PERCENT, width=9),
        Column(_("金额"), MONEY, width=14),
        Column(_("文书编号"), width=22),
    ]
    if grade:
        columns.insert(5, Column(_("依据的评级"), width=9))
    rows = []
    for s in measures:
        row = [
            s.decided_on,
            s.facility.name,
            s.facility.get_kind_display(),
            s.facility.get_district_display(),
            s.get_kind_display(),
            s.starts_on,
            s.ends_on,
            s.deposit_percent / 100 if s.deposit_percent is not None else None,
            s.amount,
            s.decision_number,
        ]
        if grade:
            row.insert(5, s.rating.get_grade_display() if s.rating_id else "")
        rows.append(row)
    return Table(key, title, columns, rows, note=_more_note(more))


def _more_note(more: bool) -> str:
    if not more:
        return ""
    return _("仅列前%(n)d条；完整清单请在相应列表页按同一条件导出。") % {"n": DETAIL_LIMIT}


def _sanctions_section(scope: Scope, period: Period) -> Section:
    decided = figures.sanctions_decided(scope, period.first, period.last)
    terms = figures.terms_decided(scope, period.first, period.last)
    measures, more = figures.severe_measures_decided(scope, period.first, period.last, DETAIL_LIMIT)
    return Section(
        _("处理措施"),
        _("处理措施"),
        _(
            "按决定日期统计：%(span)s作出的处理措施，不论依据哪一年度的评级；"
            "明细不含约谈/责令改正和授牌。"
        )
        % {"span": span(period)},
        [
            _kind_table("sanctions_by_kind", _("按措施类型"), decided),
            *_terms_tables("", terms),
            _measure_list("sanction_list", _("处理措施明细"), measures, more, grade=False),
        ],
    )


def _handling_section(scope: Scope, year: int) -> Section:
    handling = figures.handling_of_grades(scope, year)
    terms = figures.terms_of_grades(scope, year)
    measures, more = figures.measures_of_grades(scope, year, DETAIL_LIMIT)
    if handling.first:
        dates = _("决定日期%(first)s至%(last)s。") % {
            "first": handling.first.isoformat(),
            "last": handling.last.isoformat() if handling.last else DASH,
        }
    else:
        dates = _("尚无依据该年度评级作出的处理措施。")
    return Section(
        _("评级结果的处理"),
        _("%(year)d年度评级结果的处理") % {"year": year},
        _(
            "按所依据的信用评价年度统计：依据%(year)d年度评级作出的处理措施"
            "（如D级暂停协议、收回保证金，A级授牌），不论决定日期，"
            "即总览“%(year)d年度评级结果的处理措施”的数字；"
        )
        % {"year": year}
        + dates,
        [
            _kind_table("handling_by_kind", _("按措施类型"), handling.by_kind),
            *_terms_tables("handling_", terms),
            _measure_list(
                "handling_list", _("处理措施明细（不含授牌）"), measures, more, grade=True
            ),
        ],
    )


def _money_section(sections: list[Section], period: Period) -> Section:
    """Money, from the figures already counted (no query)."""
    inspections = next(
        t for s in sections for t in s.tables if t.key == "inspections_by_kind"
    ).total or [None, 0, Decimal("0"), Decimal("0")]
    decided = {
        row[0]: row[2] or Decimal("0")
        for s in sections
        for t in s.tables
        if t.key == "sanctions_by_kind"
        for row in t.rows
    }
    fund = decided[str(SanctionKind.FUND_RECOVERY.label)]
    deposit = decided[str(SanctionKind.DEPOSIT_RECOVERY.label)]
    fine = decided[str(SanctionKind.FINE.label)]
    by_inspection = _("按检查开始日期")
    by_decision = _("按决定日期")
    rows = [
        [_("检查涉及金额"), inspections[2], by_inspection],
        [_("检查追回金额"), inspections[3], by_inspection],
        [_("决定追回医保基金"), fund, by_decision],
        [_("决定收回保证金"), deposit, by_decision],
        [_("退回医保基金合计"), fund + deposit, _("决定追回医保基金与收回保证金之和")],
        [_("罚款"), fine, _("按决定日期；上缴国库，不计入医保基金")],
    ]
    return Section(
        _("资金"),
        _("涉及、追回和退回医保基金的金额"),
        _(
            "%(span)s：检查的涉及金额和追回金额按检查开始日期统计；"
            "退回医保基金为该期间决定的追回医保基金和收回保证金；罚款单列。"
        )
        % {"span": span(period)},
        [
            Table(
                "money",
                _("金额"),
                [
                    Column(_("项目"), width=20),
                    Column(_("金额"), MONEY, width=18),
                    Column(_("统计口径"), width=36),
                ],
                rows,
                chart=Chart(_("金额"), 1),
            )
        ],
    )


def _referrals_section(scope: Scope, period: Period) -> Section:
    found = figures.referrals_of_period(scope, period.first, period.last)
    listed_rows, more = figures.referrals_made(scope, period.first, period.last, DETAIL_LIMIT)
    empty = figures.ReferralOutcomes()
    rows = [[str(a.label), *found.get(a.value, empty).counts()] for a in Agency]
    everything = sum(found.values(), empty)
    count = "件"
    details = []
    for r in listed_rows:
        state = ReferralStatus(figures.referral_state_on(r, period.last))
        # The case number comes with the acceptance: not shown before the acceptance's date.
        opened = state in (ReferralStatus.ACCEPTED, ReferralStatus.CLOSED)
        details.append(
            [
                r.referred_on,
                r.inspection.facility.name,
                r.inspection.facility.get_kind_display(),
                r.inspection.facility.get_district_display(),
                r.get_agency_display(),
                str(state.label),
                r.case_number if opened else "",
            ]
        )
    return Section(
        _("案件移送"),
        _("案件移送及其结果"),
        _(
            "按移送日期统计：%(span)s移送的案件；处理结果为截至%(last)s的情况，"
            "依立案/不予立案日期和结案日期判断。"
        )
        % {"span": span(period), "last": period.last.isoformat()},
        [
            Table(
                "referrals",
                _("按移送部门"),
                [
                    Column(_("移送部门"), width=14),
                    Column(_("移送件数"), COUNT, count, 10),
                    Column(_("待立案决定"), COUNT, count, 10),
                    Column(_("已立案"), COUNT, count, 10),
                    Column(_("不予立案"), COUNT, count, 10),
                    Column(_("其中已结案"), COUNT, count, 10),
                ],
                rows,
                [_("合计"), *everything.counts()],
                Chart(_("各部门移送件数"), 1),
            ),
            Table(
                "referral_list",
                _("移送明细"),
                [
                    Column(_("移送日期"), DATE, width=12),
                    Column(_("机构名称"), width=30),
                    Column(_("机构类别"), width=14),
                    Column(_("区县"), width=10),
                    Column(_("移送部门"), width=12),
                    Column(_("期末状态"), width=10),
                    Column(_("立案编号"), width=22),
                ],
                details,
                note=_more_note(more),
            ),
        ],
    )


def _tips_section(scope: Scope, period: Period) -> Section:
    found = figures.tips_of_period(scope, period)
    rewards = figures.rewards_of_period(scope, period.first, period.last)
    empty = figures.TipOutcomes()
    names = [
        "received",
        "pending",
        "merged",
        "not_accepted",
        "investigating",
        "substantiated",
        "partly",
        "not_substantiated",
        "verified",
    ]

    def row(label: str, outcomes: figures.TipOutcomes) -> list[Any]:
        return [label, *(getattr(outcomes, name) for name in names)]

    count = "件"
    return Section(
        _("举报线索"),
        _("举报线索及奖励"),
        _(
            "按接收时间统计：%(span)s收到的举报线索，按渠道（全国、自治区、市三级举报电话及其他渠道）；"
            "办理结果为截至%(last)s的情况，依受理决定日期和办结日期判断。"
            "举报奖励按各环节的日期（提出、审批、发放）统计，不论线索何时收到。"
            "报表不含举报人信息。"
        )
        % {"span": span(period), "last": period.last.isoformat()},
        [
            Table(
                "tips",
                _("按举报渠道"),
                [
                    Column(_("举报渠道"), width=18),
                    Column(_("收到"), COUNT, count, 8),
                    Column(_("待受理"), COUNT, count, 8),
                    Column(_("重复并案"), COUNT, count, 8),
                    Column(_("不予受理"), COUNT, count, 8),
                    Column(_("核查中"), COUNT, count, 8),
                    Column(_("属实"), COUNT, count, 8),
                    Column(_("部分属实"), COUNT, count, 8),
                    Column(_("不属实"), COUNT, count, 8),
                    Column(_("查实金额"), MONEY, width=14),
                ],
                [row(str(c.label), found.get(c.value, empty)) for c in TipChannel],
                row(_("合计"), sum(found.values(), empty)),
                Chart(_("各渠道收到的举报线索"), 1),
            ),
            Table(
                "rewards",
                _("举报奖励"),
                [
                    Column(_("环节"), width=18),
                    Column(_("件数"), COUNT, count, 8),
                    Column(_("金额"), MONEY, width=14),
                ],
                [
                    [_("提出奖励"), rewards.proposed, rewards.proposed_amount],
                    [_("批准奖励"), rewards.approved, rewards.approved_amount],
                    [_("不予奖励"), rewards.refused, None],
                    [_("发放奖励"), rewards.paid, rewards.paid_amount],
                ],
            ),
        ],
    )


# --- Text that is safe in a file ---------------------------------------------------------------
