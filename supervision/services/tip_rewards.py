"""Rewards for tips (举报奖励): a substantiated tip whose reporter gave a name earns a share of
the money verified, within a floor and a ceiling (settings TIP_REWARD_*); proposed, decided by
someone other than the proposer, then paid within the claim period or expired."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from supervision.choices import PaymentMethod, RewardStatus, TipStatus
from supervision.models import Tip, TipReporter, TipReward
from supervision.models.base import check_version
from supervision.scoping import scoped_queryset
from supervision.services import reasons
from supervision.services._common import User, refuse, refuse_problems, save_with_history
from supervision.services.tips import not_before, not_future

CENT = Decimal("0.01")


def reward_amount(verified: Decimal, share: Decimal | None = None) -> Decimal:
    """share of verified, within the floor and the ceiling (CNY, to the fen)."""
    share = settings.TIP_REWARD_SHARE if share is None else share
    amount = (verified * share).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(max(amount, settings.TIP_REWARD_MINIMUM), settings.TIP_REWARD_MAXIMUM).quantize(CENT)


def reward_problems(tip: Tip) -> dict[str, str]:
    """Why a reward could not be proposed for tip (empty: it can). Queries: one."""
    if not tip.conclusion_counts or tip.status not in (
        TipStatus.CONCLUDED,
        TipStatus.REPLIED,
        TipStatus.CLOSED,
    ):
        return {"tip": _("只有核查属实（或部分属实）的线索可以奖励。")}
    if tip.anonymous:
        return {"tip": _("匿名举报无法发放奖励。")}
    reporter = TipReporter.objects.filter(tip=tip).values_list("name", flat=True).first()
    if not reporter:
        return {"tip": _("举报人未留下姓名，无法发放奖励。")}
    if TipReward.objects.filter(tip=tip).exists():
        return {"tip": _("该线索已有奖励记录。")}
    if not tip.verified_amount:
        return {"verified_amount": _("请先在线索上填写查实金额。")}
    return {}


@transaction.atomic
def propose_reward(tip: Tip, *, on: datetime.date, user: User, note: str = "") -> TipReward:
    """Propose the reward: the settings' share of the money verified, within floor and ceiling."""
    tip = Tip.objects.select_for_update().get(pk=tip.pk)
    refuse_problems(reward_problems(tip))
    not_before(on, tip.concluded_on, "proposed_on", _("提出日期不能早于办结日期。"))
    not_future(on, "proposed_on")
    share = settings.TIP_REWARD_SHARE
    reward = TipReward(
        tip=tip,
        verified_amount=tip.verified_amount,
        share=share,
        amount=reward_amount(tip.verified_amount, share),
        proposed_on=on,
        proposed_by=user,
        note=note.strip(),
    )
    save_with_history(reward, user, reasons.reward_moved(RewardStatus.PROPOSED))
    return reward


def _lock_reward(reward: TipReward, expected_version: int | None) -> TipReward:
    locked = TipReward.objects.select_for_update().get(pk=reward.pk)
    check_version(locked, expected_version)
    return locked


@transaction.atomic
def decide_reward(
    reward: TipReward,
    *,
    approve: bool,
    on: datetime.date,
    user: User,
    note: str = "",
    expected_version: int | None = None,
) -> TipReward:
    """Approve (the reporter then has TIP_REWARD_CLAIM_DAYS to claim it) or refuse, by someone
    other than the proposer."""
    reward = _lock_reward(reward, expected_version)
    if reward.status != RewardStatus.PROPOSED:
        raise refuse("status", _("只有待审批的奖励可以审批。"))
    if user is not None and reward.proposed_by_id == user.pk:
        raise refuse("decided_by", _("奖励须由提出人以外的人审批。"))
    if not approve and not note.strip():
        raise refuse("note", _("不予奖励时请填写理由。"))
    not_before(on, reward.proposed_on, "decided_on", _("审批日期不能早于提出日期。"))
    not_future(on, "decided_on")
    reward.status = RewardStatus.APPROVED if approve else RewardStatus.REFUSED
    reward.decided_on = on
    reward.decided_by = user
    if approve:
        reward.claim_by = on + datetime.timedelta(days=settings.TIP_REWARD_CLAIM_DAYS)
    if note.strip():
        reward.note = note.strip()
    save_with_history(reward, user, reasons.reward_moved(reward.status))
    return reward


@transaction.atomic
def pay_reward(
    reward: TipReward,
    *,
    on: datetime.date,
    method: str,
    reference: str,
    user: User,
    expected_version: int | None = None,
) -> TipReward:
    """Record the payment to the reporter, within the claim period."""
    reward = _lock_reward(reward, expected_version)
    if reward.status != RewardStatus.APPROVED:
        raise refuse("status", _("只有已批准的奖励可以发放。"))
    if method not in PaymentMethod.values:
        raise refuse("method", _("发放方式无效。"))
    if not reference.strip():
        raise refuse("reference", _("请填写发放凭证号。"))
    not_before(on, reward.decided_on, "paid_on", _("发放日期不能早于审批日期。"))
    not_future(on, "paid_on")
    if reward.claim_by is not None and on > reward.claim_by:
        raise refuse("paid_on", _("已超过领取截止日期，奖励已逾期。"))
    reward.status = RewardStatus.PAID
    reward.paid_on = on
    reward.method = method
    reward.reference = reference.strip()
    save_with_history(reward, user, reasons.reward_moved(RewardStatus.PAID))
    return reward


def expire_rewards(today: datetime.date | None = None, user: User = None) -> int:
    """Approved rewards not claimed by their date become expired. Returns how many."""
    today = today or timezone.localdate()
    count = 0
    due = TipReward.objects.filter(status=RewardStatus.APPROVED, claim_by__lt=today)
    for pk in due.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            reward = TipReward.objects.select_for_update().get(pk=pk)
            if reward.status != RewardStatus.APPROVED:
                continue
            reward.status = RewardStatus.EXPIRED
            reward._history_user = user  # type: ignore[attr-defined]
            reward._change_reason = reasons.reward_moved(RewardStatus.EXPIRED)  # type: ignore[attr-defined]
            reward.save()
            count += 1
    return count


def rewards_by_year(user: User) -> list[dict[str, Any]]:
    """Rewards per year proposed: how many and how much, by status (the rewards report)."""
    rows = (
        scoped_queryset(user, TipReward.objects.all())
        .annotate(year=ExtractYear("proposed_on"))
        .values("year", "status")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("-year", "status")
    )
    years: dict[int, dict[str, Any]] = {}
    for row in rows:
        year = years.setdefault(
            row["year"],
            {"year": row["year"], "count": 0, "total": Decimal("0.00"), "by_status": {}},
        )
        year["by_status"][row["status"]] = {"count": row["n"], "total": row["total"]}
        year["count"] += row["n"]
        year["total"] += row["total"]
    return list(years.values())
