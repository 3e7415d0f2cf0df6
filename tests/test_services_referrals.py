"""Referrals: hand a case to an agency, then follow REFERRAL_TRANSITIONS to its end."""

from __future__ import annotations

import datetime

import pytest

from supervision.choices import REFERRAL_TRANSITIONS, Agency, InspectionStatus, ReferralStatus
from supervision.models import Referral
from supervision.services import move_referral, refer_inspection
from supervision.services.referrals import move_problems, referral_problems
from tests.dbstate import assert_refused, without_writing
from tests.factories import InspectionFactory, ReferralFactory

pytestmark = pytest.mark.django_db

D = datetime.date
STARTED = D(2025, 3, 10)  # InspectionFactory's start date
REFERRED = D(2025, 3, 20)  # ReferralFactory's referral date
DECIDED = D(2025, 3, 25)


@pytest.fixture
def inspection():
    return InspectionFactory(completed=True)


def _refer(inspection, user, agency=Agency.POLICE, referred_on=REFERRED, summary="伪造随货同行单"):
    return refer_inspection(
        inspection, agency=agency, referred_on=referred_on, summary=summary, user=user
    )


# --- refer_inspection -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [InspectionStatus.IN_PROGRESS, InspectionStatus.COMPLETED])
def test_it_refers_what_an_inspection_found(supervisor, status):
    inspection = InspectionFactory(status=status, end_date=D(2025, 3, 12))
    referral = _refer(inspection, supervisor, summary="  两家机构伪造、变造随货同行单。 ")
    referral.refresh_from_db()
    assert (referral.inspection, referral.agency, referral.status) == (
        inspection,
        Agency.POLICE,
        ReferralStatus.REFERRED,
    )
    assert (referral.referred_on, referral.summary) == (REFERRED, "两家机构伪造、变造随货同行单。")
    assert referral.created_by == supervisor
    history = referral.history.get()
    assert (history.history_user, history.history_change_reason) == (supervisor, "移送公安机关")


def test_it_accepts_a_referral_on_the_day_the_inspection_started(inspection, supervisor):
    assert _refer(inspection, supervisor, referred_on=STARTED).referred_on == STARTED


def test_it_refers_one_inspection_to_several_agencies(inspection, supervisor):
    for agency in Agency.values:
        _refer(inspection, supervisor, agency=agency)
    assert sorted(inspection.referrals.values_list("agency", flat=True)) == sorted(Agency.values)


def test_it_refuses_to_refer_a_planned_inspection(supervisor):
    planned = InspectionFactory(status=InspectionStatus.PLANNED)
    assert_refused(
        lambda: _refer(planned, supervisor),
        {"inspection": ["计划中的检查尚无发现，不能移送。"]},
    )


@pytest.mark.parametrize("summary", ["", "   ", "\n"])
def test_it_refuses_a_referral_without_a_summary(inspection, supervisor, summary):
    assert_refused(
        lambda: _refer(inspection, supervisor, summary=summary),
        {"summary": ["请填写案情摘要。"]},
    )


@pytest.mark.parametrize("agency", ["army", "", "Police"])
def test_it_refuses_an_unknown_agency(inspection, supervisor, agency):
    assert_refused(
        lambda: _refer(inspection, supervisor, agency=agency),
        {"agency": ["移送部门无效。"]},
    )


@pytest.mark.parametrize("referred_on", [D(2025, 3, 9), D(2024, 12, 31)])
def test_it_refuses_a_referral_dated_before_the_inspection_started(
    inspection, supervisor, referred_on
):
    assert_refused(
        lambda: _refer(inspection, supervisor, referred_on=referred_on),
        {"referred_on": ["移送日期不能早于检查开始日期。"]},
    )


def test_it_refuses_a_second_referral_to_the_same_agency(inspection, supervisor):
    _refer(inspection, supervisor)
    assert_refused(
        lambda: _refer(inspection, supervisor, referred_on=D(2025, 4, 1), summary="再次移送"),
        {"agency": ["该检查已移送过这个部门。"]},
    )


# --- move_referral --------------------------------------------------------------------------

STATUSES = ReferralStatus.values


def _referral_in(status: str) -> Referral:
    """A referral that reached status the way move_referral would have taken it there."""
    fields = {"status": status}
    if status != ReferralStatus.REFERRED:
        fields["decided_on"] = DECIDED
    if status in (ReferralStatus.ACCEPTED, ReferralStatus.CLOSED):
        fields["case_number"] = "拉公（经）立字〔2025〕7号"
    if status == ReferralStatus.CLOSED:
        fields.update(closed_on=D(2025, 4, 30), outcome="已判决")
    referral = ReferralFactory(**fields)
    referral.full_clean()
    return referral


ALLOWED = [(a, b) for a in STATUSES for b in STATUSES if b in REFERRAL_TRANSITIONS[a]]
REFUSED = [
    (a, b) for a in STATUSES for b in [*STATUSES, "lost"] if b not in REFERRAL_TRANSITIONS[a]
]


def test_the_transition_table_covers_every_status_and_closed_is_final():
    assert set(REFERRAL_TRANSITIONS) == set(STATUSES)
    assert all(set(targets) <= set(STATUSES) for targets in REFERRAL_TRANSITIONS.values())
    assert REFERRAL_TRANSITIONS[ReferralStatus.CLOSED] == frozenset()
    assert len(ALLOWED) + len(REFUSED) == len(STATUSES) * (len(STATUSES) + 1)


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_it_moves_a_referral_along_an_allowed_transition(supervisor, from_status, to_status):
    referral = _referral_in(from_status)
    on = D(2025, 5, 10)
    moved = move_referral(
        referral,
        to_status=to_status,
        on=on,
        user=supervisor,
        case_number=" 拉公（经）立字〔2025〕12号 ",
        outcome=" 已移送检察院 ",
    )
    moved.refresh_from_db()
    assert moved.status == to_status
    if to_status == ReferralStatus.CLOSED:
        assert (moved.decided_on, moved.closed_on, moved.outcome) == (DECIDED, on, "已移送检察院")
    else:
        assert (moved.decided_on, moved.closed_on) == (on, None)
    if to_status == ReferralStatus.ACCEPTED:
        assert moved.case_number == "拉公（经）立字〔2025〕12号"
    history = moved.history.order_by("-history_id").first()
    assert (history.history_user, history.history_change_reason) == (
        supervisor,
        ReferralStatus(to_status).label,
    )
    moved.full_clean()


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_it_refuses_a_transition_the_table_does_not_allow(supervisor, from_status, to_status):
    referral = _referral_in(from_status)
    to_label = ReferralStatus(to_status).label if to_status in STATUSES else to_status
    assert_refused(
        lambda: move_referral(
            referral,
            to_status=to_status,
            on=D(2025, 5, 10),
            user=supervisor,
            case_number="拉公（经）立字〔2025〕12号",
            outcome="已判决",
        ),
        {"status": [f"移送状态不能从“{ReferralStatus(from_status).label}”变为“{to_label}”。"]},
    )


def test_it_reads_the_status_from_the_database_not_a_stale_copy(supervisor):
    referral = _referral_in(ReferralStatus.REFERRED)
    stale = Referral.objects.get(pk=referral.pk)
    move_referral(
        referral, to_status=ReferralStatus.DECLINED, on=DECIDED, user=supervisor, outcome="不构成"
    )
    assert_refused(
        lambda: move_referral(
            stale, to_status=ReferralStatus.ACCEPTED, on=DECIDED, user=supervisor, case_number="1"
        ),
        {"status": ["移送状态不能从“不予立案”变为“已立案”。"]},
    )


@pytest.mark.parametrize("case_number", ["", "  "])
def test_it_refuses_to_accept_a_referral_without_a_case_number(supervisor, case_number):
    referral = _referral_in(ReferralStatus.REFERRED)
    assert_refused(
        lambda: move_referral(
            referral,
            to_status=ReferralStatus.ACCEPTED,
            on=DECIDED,
            user=supervisor,
            case_number=case_number,
        ),
        {"case_number": ["立案时请填写立案编号。"]},
    )


def test_it_declines_a_referral_without_a_case_number(supervisor):
    referral = _referral_in(ReferralStatus.REFERRED)
    moved = move_referral(referral, to_status=ReferralStatus.DECLINED, on=DECIDED, user=supervisor)
    assert (moved.status, moved.case_number) == (ReferralStatus.DECLINED, "")


@pytest.mark.parametrize("to_status", [ReferralStatus.ACCEPTED, ReferralStatus.DECLINED])
def test_it_refuses_a_decision_dated_before_the_referral(supervisor, to_status):
    referral = _referral_in(ReferralStatus.REFERRED)
    assert_refused(
        lambda: move_referral(
            referral, to_status=to_status, on=D(2025, 3, 19), user=supervisor, case_number="1"
        ),
        {"decided_on": ["立案/不予立案日期不能早于移送日期。"]},
    )


@pytest.mark.parametrize("to_status", [ReferralStatus.ACCEPTED, ReferralStatus.DECLINED])
def test_it_accepts_a_decision_on_the_day_of_the_referral(supervisor, to_status):
    referral = _referral_in(ReferralStatus.REFERRED)
    moved = move_referral(
        referral, to_status=to_status, on=REFERRED, user=supervisor, case_number="1"
    )
    assert moved.decided_on == REFERRED


@pytest.mark.parametrize("from_status", [ReferralStatus.ACCEPTED, ReferralStatus.DECLINED])
@pytest.mark.parametrize("outcome", ["", "   "])
def test_it_refuses_to_close_a_referral_without_an_outcome(supervisor, from_status, outcome):
    referral = _referral_in(from_status)
    assert_refused(
        lambda: move_referral(
            referral,
            to_status=ReferralStatus.CLOSED,
            on=D(2025, 5, 1),
            user=supervisor,
            outcome=outcome,
        ),
        {"outcome": ["结案时请填写处理结果。"]},
    )


@pytest.mark.parametrize("from_status", [ReferralStatus.ACCEPTED, ReferralStatus.DECLINED])
def test_it_refuses_to_close_a_referral_before_its_decision(supervisor, from_status):
    referral = _referral_in(from_status)
    assert_refused(
        lambda: move_referral(
            referral,
            to_status=ReferralStatus.CLOSED,
            on=DECIDED - datetime.timedelta(days=1),
            user=supervisor,
            outcome="已判决",
        ),
        {"closed_on": ["结案日期不能早于立案/不予立案日期。"]},
    )


def test_it_closes_a_referral_on_the_day_of_its_decision(supervisor):
    referral = _referral_in(ReferralStatus.ACCEPTED)
    moved = move_referral(
        referral, to_status=ReferralStatus.CLOSED, on=DECIDED, user=supervisor, outcome="已判决"
    )
    assert (moved.status, moved.closed_on) == (ReferralStatus.CLOSED, DECIDED)


def test_a_referral_goes_from_referred_to_closed_with_a_history_row_per_step(
    inspection, supervisor
):
    referral = _refer(inspection, supervisor)
    move_referral(
        referral,
        to_status=ReferralStatus.ACCEPTED,
        on=DECIDED,
        user=supervisor,
        case_number="拉公（经）立字〔2025〕7号",
    )
    move_referral(
        referral, to_status=ReferralStatus.CLOSED, on=D(2025, 9, 1), user=supervisor, outcome="判决"
    )
    referral.refresh_from_db()
    assert not referral.is_open
    reasons = list(
        referral.history.order_by("history_id").values_list("history_change_reason", "status")
    )
    assert reasons == [
        ("移送公安机关", ReferralStatus.REFERRED),
        ("已立案", ReferralStatus.ACCEPTED),
        ("已结案", ReferralStatus.CLOSED),
    ]


# --- the checks a form runs before saving (the workflows run them again) ---------------------


def test_the_referral_check_names_every_problem_at_once_and_writes_nothing(supervisor):
    planned = InspectionFactory(status=InspectionStatus.PLANNED)
    wrong = {"agency": "army", "referred_on": D(2025, 3, 9), "summary": "  "}
    expected = {
        "summary": "请填写案情摘要。",
        "agency": "移送部门无效。",
        "inspection": "计划中的检查尚无发现，不能移送。",
        "referred_on": "移送日期不能早于检查开始日期。",
    }
    assert without_writing(lambda: referral_problems(planned, **wrong)) == expected
    assert_refused(
        lambda: refer_inspection(planned, user=supervisor, **wrong),
        {field: [message] for field, message in expected.items()},
    )


def test_the_referral_check_skips_the_values_not_given(inspection):
    _refer(inspection, None)
    assert referral_problems(inspection, agency=None, referred_on=None, summary=None) == {}


def test_the_move_check_names_only_the_status_when_the_move_is_not_allowed():
    referral = _referral_in(ReferralStatus.CLOSED)
    problems = without_writing(
        lambda: move_problems(referral, to_status=ReferralStatus.ACCEPTED, on=D(2025, 1, 1))
    )
    assert problems == {"status": "移送状态不能从“已结案”变为“已立案”。"}


def test_the_move_check_names_an_early_date_and_a_missing_outcome_together(supervisor):
    referral = _referral_in(ReferralStatus.ACCEPTED)
    early = {"to_status": ReferralStatus.CLOSED, "on": DECIDED - datetime.timedelta(days=1)}
    expected = {
        "closed_on": "结案日期不能早于立案/不予立案日期。",
        "outcome": "结案时请填写处理结果。",
    }
    assert without_writing(lambda: move_problems(referral, **early)) == expected
    assert_refused(
        lambda: move_referral(referral, user=supervisor, **early),
        {field: [message] for field, message in expected.items()},
    )


def test_the_move_check_skips_the_date_not_given():
    referral = _referral_in(ReferralStatus.REFERRED)
    assert move_problems(referral, to_status=ReferralStatus.ACCEPTED, on=None) == {
        "case_number": "立案时请填写立案编号。"
    }
