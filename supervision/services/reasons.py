"""The reasons the system writes on history rows by itself ("检查完成", "移送公安机关" …).

Stored as their Chinese source text, whatever the language of the person who caused them, and
translated when shown (shown_reason): so a history row reads in the reader's language, and rows
written before this (in Chinese, or in English by someone using the English pages) still do. A
reason a person typed is not among these and is shown as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from supervision.choices import Agency, ReferralStatus, RewardStatus, SanctionKind, TipStatus
from supervision.models.base import REASON_LENGTH

INSPECTION_COMPLETED = gettext_noop("检查完成")
EVIDENCE_UPLOADED = gettext_noop("上传证据材料")
# A correction of a record in the admin (supervision/admin/cases.py writes it).
CORRECTED = gettext_noop("更正")
_REFERRED = gettext_noop("移送%(agency)s")
# Tips: a reporter's details changed; an investigation extended; the deadlines recomputed after
# the working-day calendar changed; a matched facility.
REPORTER_CHANGED = gettext_noop("修改举报人信息")
TIP_EXTENDED = gettext_noop("核查延期")
DEADLINES_RECOMPUTED = gettext_noop("工作日历变更，重新计算期限")
TIP_EDITED = gettext_noop("修改线索")
# Credit management (信用管理).
CYCLE_OPENED = gettext_noop("启动年度信用评价")
SYSTEM_FROZEN = gettext_noop("启动年度信用评价，指标体系锁定")
SYSTEM_COPIED = gettext_noop("复制上一年度指标体系")
SELF_ASSESSMENT_RECORDED = gettext_noop("记录自评")
SCORED_AUTOMATICALLY = gettext_noop("按记录事实自动评分")
INITIAL_SCORE = gettext_noop("初评评分")
REVIEW_ADJUSTED = gettext_noop("复核调整")
INITIAL_DONE = gettext_noop("初评完成，进入复核")
PUBLISHED = gettext_noop("复核完成，结果公示")
OBJECTION_RECORDED = gettext_noop("登记异议")
FINALISING = gettext_noop("确定结果，分批写入信用评价")
FINALISED = gettext_noop("结果已确定")
ANNOUNCED = gettext_noop("结果公布")
REPAIR_APPLIED = gettext_noop("申请信用修复")
REPAIR_APPROVED = gettext_noop("准予信用修复")
REPAIR_REJECTED = gettext_noop("不予信用修复")
PLAN_BUILT = gettext_noop("生成年度检查计划")
PLAN_REGRADED = gettext_noop("等级变化，调整检查计划")
PLAN_DROPPED = gettext_noop("等级变化，不再需要的计划检查")
PLAN_MATCHED = gettext_noop("关联完成检查")
# Practitioners' payment qualification (医保支付资格记分).
PRACTITIONER_REGISTERED = gettext_noop("登记备案")
REGISTRATION_ENDED = gettext_noop("注销登记备案")
POINTS_SCORED = gettext_noop("记分")
POINTS_NOTIFIED = gettext_noop("告知记分")
POINTS_OBJECTED = gettext_noop("记分异议")
POINTS_OBJECTION_DECIDED = gettext_noop("记分异议处理")
QUALIFICATION_SUSPENDED = gettext_noop("记分达到暂停分值，暂停医保支付资格")
QUALIFICATION_TERMINATED = gettext_noop("记分达到终止分值，终止医保支付资格")
QUALIFICATION_LIFTED = gettext_noop("记分变更，撤销支付资格处理")
REGISTRATION_TERMINATED = gettext_noop("终止医保支付资格，注销登记备案")
REGISTRATION_REOPENED = gettext_noop("撤销终止决定，恢复登记备案")
# Random checks (双随机抽查) and publication (信息公开).
PLAN_DRAWN = gettext_noop("抽取：种子 %(seed)s")
RANDOM_PLAN_PUBLISHED = gettext_noop("公布")
RANDOM_INSPECTION_OPENED = gettext_noop("随机抽查计划公布：%(name)s")
SANCTION_PUBLISHED = gettext_noop("对外公开")
SANCTION_UNPUBLISHED = gettext_noop("撤回公开：%(reason)s")
CASE_WRITTEN = gettext_noop("撰写典型案例")
CASE_SUBMITTED = gettext_noop("提交审核")
CASE_APPROVED = gettext_noop("审核通过，发布")
CASE_RETURNED = gettext_noop("审核退回：%(comment)s")
CASE_WITHDRAWN = gettext_noop("撤回：%(reason)s")
# Rectification orders (责令整改) and their follow-up inspections (复查).
RECTIFICATION_ORDERED = gettext_noop("下达责令整改")
RECTIFICATION_REPORTED = gettext_noop("收到整改报告")
RECTIFICATION_CONFIRMED = gettext_noop("复查：整改到位")
RECTIFICATION_NOT_DONE = gettext_noop("复查：整改不到位")
# The follow-up inspection's own first history row.
FOLLOW_UP_RECORDED = gettext_noop("依据责令整改复查")
RECTIFICATION_DUE_RECOMPUTED = gettext_noop("工作日历变更，重新计算整改期限")
_RECTIFICATION = [
    RECTIFICATION_ORDERED,
    RECTIFICATION_REPORTED,
    RECTIFICATION_CONFIRMED,
    RECTIFICATION_NOT_DONE,
    FOLLOW_UP_RECORDED,
    RECTIFICATION_DUE_RECOMPUTED,
]
_PUBLICATION = [
    RANDOM_PLAN_PUBLISHED,
    SANCTION_PUBLISHED,
    CASE_WRITTEN,
    CASE_SUBMITTED,
    CASE_APPROVED,
]
_PRACTITIONERS = [
    PRACTITIONER_REGISTERED,
    REGISTRATION_ENDED,
    POINTS_SCORED,
    POINTS_NOTIFIED,
    POINTS_OBJECTED,
    POINTS_OBJECTION_DECIDED,
    QUALIFICATION_SUSPENDED,
    QUALIFICATION_TERMINATED,
    QUALIFICATION_LIFTED,
    REGISTRATION_TERMINATED,
    REGISTRATION_REOPENED,
]
_CREDIT = [
    CYCLE_OPENED,
    SYSTEM_FROZEN,
    SYSTEM_COPIED,
    SELF_ASSESSMENT_RECORDED,
    SCORED_AUTOMATICALLY,
    INITIAL_SCORE,
    REVIEW_ADJUSTED,
    INITIAL_DONE,
    PUBLISHED,
    OBJECTION_RECORDED,
    FINALISING,
    FINALISED,
    ANNOUNCED,
    REPAIR_APPLIED,
    REPAIR_APPROVED,
    REPAIR_REJECTED,
    PLAN_BUILT,
    PLAN_REGRADED,
    PLAN_DROPPED,
    PLAN_MATCHED,
]


def _render(write: Callable[[], str]) -> str:
    """The reason in the source language: gettext with no catalog active returns the Chinese
    source text of every string, the choices' labels included."""
    with translation.override(None):
        return write()


def _referred_to(agency: str) -> Callable[[], str]:
    return lambda: gettext(_REFERRED) % {"agency": Agency(agency).label}


def _label(label) -> Callable[[], str]:
    return lambda: str(label)


def _writers() -> list[Callable[[], str]]:
    """Every reason the system writes, as a function of the active language."""
    return [
        lambda: gettext(INSPECTION_COMPLETED),
        lambda: gettext(EVIDENCE_UPLOADED),
        lambda: gettext(CORRECTED),
        *(_referred_to(agency) for agency in Agency.values),
        *(_label(status.label) for status in ReferralStatus),
        *(_label(kind.label) for kind in SanctionKind),
        lambda: gettext(REPORTER_CHANGED),
        lambda: gettext(TIP_EXTENDED),
        lambda: gettext(DEADLINES_RECOMPUTED),
        lambda: gettext(TIP_EDITED),
        *(_label(status.label) for status in TipStatus),
        *(_label(status.label) for status in RewardStatus),
        *((lambda text=text: gettext(text)) for text in _CREDIT),
        *((lambda text=text: gettext(text)) for text in _PRACTITIONERS),
        *((lambda text=text: gettext(text)) for text in _PUBLICATION),
        *((lambda text=text: gettext(text)) for text in _RECTIFICATION),
    ]


def source_text(template: str, **values: object) -> str:
    """A reason with values in it (a seed, a comment typed), stored in the source language and
    cut to what a history row holds; shown as stored."""
    with translation.override(None):
        text = gettext(template) % values if values else gettext(template)
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1] + "…"


def referred_to(agency: str) -> str:
    """An inspection referred to an agency: 移送公安机关."""
    return _render(_referred_to(agency))


def referral_moved(status: str) -> str:
    """A referral moved to a status: 已立案."""
    return _render(_label(ReferralStatus(status).label))


def sanction_recorded(kind: str) -> str:
    """A sanction of a kind recorded: 暂停医保服务协议."""
    return _render(_label(SanctionKind(kind).label))


def tip_moved(status: str) -> str:
    """A tip moved to a status: 已受理."""
    return _render(_label(TipStatus(status).label))


def reward_moved(status: str) -> str:
    """A reward moved to a status: 已发放."""
    return _render(_label(RewardStatus(status).label))


def system(reason: str) -> str:
    """One of the fixed reasons above (gettext_noop'd), in the source language."""
    return _render(lambda: gettext(reason))


@cache
def _known() -> dict[str, Callable[[], str]]:
    """Each system reason by its stored text: the Chinese source, and the English one that rows
    written from the English pages before reasons were stored in Chinese hold."""
    known: dict[str, Callable[[], str]] = {}
    for write in _writers():
        known[_render(write)] = write
        with translation.override("en"):
            known.setdefault(write(), write)
    return known


def shown_reason(stored: str) -> str:
    """A history row's reason for the reader: a system reason in the active language, a typed
    one as typed."""
    write = _known().get(stored)
    return write() if write is not None else stored
