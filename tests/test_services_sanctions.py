"""Sanctions: suspend, recover the deposit, record a payment, terminate, warn, commend."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from supervision.choices import AgreementStatus, Grade, SanctionKind
from supervision.models import Sanction
from supervision.services import (
    commend,
    record_payment,
    recover_deposit,
    suspend_agreement,
    terminate_agreement,
    warn,
)
from supervision.services.sanctions import (
    commendation_rating,
    deposit_recovery_amount,
    suspension_period_problems,
    suspension_problems,
    termination_problems,
)
from tests.dbstate import assert_refused, assert_refused_on, without_writing
from tests.factories import (
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    SanctionFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
APRIL_1 = D(2025, 4, 1)
MAY_31 = D(2025, 5, 31)
MARCH_25 = D(2025, 3, 25)


@pytest.fixture
def facility():
    return FacilityFactory(deposit=Decimal("123456.78"))


def _suspend(facility, starts_on=APRIL_1, ends_on=MAY_31, decided_on=MARCH_25, **kw):
    return suspend_agreement(
        facility, starts_on=starts_on, ends_on=ends_on, decided_on=decided_on, **kw
    )


# --- suspend_agreement ----------------------------------------------------------------------


def test_it_suspends_an_agreement_for_two_months(facility, supervisor):
    rating = CreditRatingFactory(facility=facility, grade=Grade.D)
    sanction = _suspend(
        facility,
        user=supervisor,
        decision_number=" 拉医保处〔2025〕1号 ",
        legal_basis=" 服务协议第三十条 ",
        rating=rating,
        note=" D级 ",
    )
    sanction.refresh_from_db()
    assert (sanction.kind, sanction.starts_on, sanction.ends_on) == (
        SanctionKind.SUSPENSION,
        APRIL_1,
        D(2025, 5, 31),
    )
    assert (sanction.decision_number, sanction.legal_basis, sanction.note) == (
        "拉医保处〔2025〕1号",
        "服务协议第三十条",
        "D级",
    )
    assert (sanction.rating, sanction.created_by) == (rating, supervisor)
    assert facility.agreement_status_on(APRIL_1) == AgreementStatus.SUSPENDED


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (APRIL_1, APRIL_1),  # one day
        (APRIL_1, D(2026, 3, 31)),  # exactly 12 months
        (D(2024, 2, 29), D(2025, 2, 28)),
        (D(2025, 1, 31), D(2026, 1, 30)),
    ],
)
def test_it_accepts_a_suspension_of_up_to_12_months(facility, supervisor, starts_on, ends_on):
    sanction = _suspend(
        facility, starts_on=starts_on, ends_on=ends_on, decided_on=starts_on, user=supervisor
    )
    assert Sanction.objects.get() == sanction


def test_it_refuses_a_suspension_that_ends_before_it_starts(facility, supervisor):
    assert_refused(
        lambda: _suspend(facility, ends_on=D(2025, 3, 31), user=supervisor),
        {"ends_on": ["截止日期不能早于起始日期。"]},
    )


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "latest"),
    [
        (APRIL_1, D(2026, 4, 1), "2026-03-31"),
        (APRIL_1, D(2027, 4, 1), "2026-03-31"),
        (D(2024, 2, 29), D(2025, 3, 1), "2025-02-28"),
    ],
)
def test_it_refuses_a_suspension_longer_than_12_months(
    facility, supervisor, starts_on, ends_on, latest
):
    assert_refused(
        lambda: _suspend(
            facility, starts_on=starts_on, ends_on=ends_on, decided_on=starts_on, user=supervisor
        ),
        {"ends_on": [f"暂停期限最长12个月，截止日期最晚为{latest}。"]},
    )


def test_it_refuses_a_suspension_decided_after_it_starts(facility, supervisor):
    assert_refused(
        lambda: _suspend(facility, decided_on=D(2025, 4, 2), user=supervisor),
        {"decided_on": ["决定日期不能晚于暂停起始日期。"]},
    )


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (D(2025, 3, 1), APRIL_1),  # ends on the first day
        (D(2025, 5, 31), D(2025, 6, 30)),  # starts on the last day
        (D(2025, 4, 10), D(2025, 4, 20)),  # inside
        (D(2025, 3, 1), D(2025, 7, 1)),  # around
        (APRIL_1, D(2025, 5, 31)),  # the same
    ],
)
def test_it_refuses_an_overlapping_suspension(facility, supervisor, starts_on, ends_on):
    SanctionFactory(facility=facility, suspension=True)
    assert_refused(
        lambda: _suspend(
            facility, starts_on=starts_on, ends_on=ends_on, decided_on=starts_on, user=supervisor
        ),
        {"starts_on": ["该机构在2025-04-01至2025-05-31已有暂停，期间不能重叠。"]},
    )


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [(D(2025, 3, 1), D(2025, 3, 31)), (D(2025, 6, 1), D(2025, 6, 30))],
)
def test_it_accepts_a_suspension_next_to_another(facility, supervisor, starts_on, ends_on):
    SanctionFactory(facility=facility, suspension=True)
    _suspend(facility, starts_on=starts_on, ends_on=ends_on, decided_on=starts_on, user=supervisor)
    assert Sanction.objects.filter(facility=facility).count() == 2


def test_another_facility_s_suspension_does_not_overlap(facility, supervisor):
    SanctionFactory(suspension=True)
    _suspend(facility, user=supervisor)
    assert facility.sanctions.count() == 1


@pytest.mark.parametrize("starts_on", [D(2025, 6, 1), D(2025, 7, 1)])
def test_it_refuses_a_suspension_after_termination(facility, supervisor, starts_on):
    SanctionFactory(facility=facility, termination=True)  # effective 1 June
    assert_refused(
        lambda: _suspend(
            facility,
            starts_on=starts_on,
            ends_on=starts_on + datetime.timedelta(days=20),
            decided_on=starts_on,
            user=supervisor,
        ),
        {"starts_on": ["该机构的医保服务协议已解除，不能再暂停。"]},
    )


# --- recover_deposit ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deposit", "percent", "amount"),
    [
        ("123456.78", "2.5", "3086.42"),  # 3086.4195
        ("100000.00", "2.5", "2500.00"),
        ("1.00", "2.5", "0.03"),  # 0.025: half up, not to even
        ("0.20", "2.5", "0.01"),  # 0.005
        ("0.60", "2.5", "0.02"),  # 0.015
        ("12345.67", "33.33", "4114.81"),
        ("999999999999.99", "100", "999999999999.99"),
        ("50000.00", "0.01", "5.00"),
    ],
)
def test_it_recovers_a_percent_of_the_deposit_rounded_half_up_to_cents(
    supervisor, deposit, percent, amount
):
    facility = FacilityFactory(deposit=Decimal(deposit))
    sanction = recover_deposit(
        facility, percent=Decimal(percent), decided_on=D(2025, 3, 25), user=supervisor
    )
    sanction.refresh_from_db()
    assert sanction.kind == SanctionKind.DEPOSIT_RECOVERY
    assert sanction.deposit_percent == Decimal(percent)
    assert str(sanction.amount) == amount


def test_it_uses_the_deposit_in_the_database_not_a_stale_copy(supervisor):
    facility = FacilityFactory(deposit=Decimal("1000.00"))
    type(facility).objects.filter(pk=facility.pk).update(deposit=Decimal("2000.00"))
    sanction = recover_deposit(
        facility, percent=Decimal("10"), decided_on=D(2025, 3, 25), user=supervisor
    )
    assert sanction.amount == Decimal("200.00")


@pytest.mark.parametrize("percent", ["0", "-2.5", "100.01", "250"])
def test_it_refuses_a_percent_outside_0_to_100(facility, supervisor, percent):
    assert_refused(
        lambda: recover_deposit(
            facility, percent=Decimal(percent), decided_on=D(2025, 3, 25), user=supervisor
        ),
        {"deposit_percent": ["收回保证金比例应大于0且不超过100。"]},
    )


def test_it_refuses_a_percent_with_three_decimals(facility, supervisor):
    assert_refused_on(
        lambda: recover_deposit(
            facility, percent=Decimal("2.555"), decided_on=D(2025, 3, 25), user=supervisor
        ),
        ["deposit_percent"],
    )


def test_it_refuses_to_recover_from_a_zero_deposit(supervisor):
    facility = FacilityFactory(deposit=Decimal("0"))
    assert_refused(
        lambda: recover_deposit(
            facility, percent=Decimal("2.5"), decided_on=D(2025, 3, 25), user=supervisor
        ),
        {"deposit_percent": ["该机构没有登记医保保证金，无法按比例收回。"]},
    )


# --- record_payment -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "amount", "stored"),
    [
        (SanctionKind.FINE, "5000", "5000.00"),
        (SanctionKind.FUND_RECOVERY, "1234.565", "1234.57"),
        (SanctionKind.FUND_RECOVERY, "0.01", "0.01"),
    ],
)
def test_it_records_a_fine_or_a_recovery_in_cents(facility, supervisor, kind, amount, stored):
    sanction = record_payment(
        facility, kind=kind, amount=Decimal(amount), decided_on=D(2025, 3, 25), user=supervisor
    )
    sanction.refresh_from_db()
    assert (sanction.kind, str(sanction.amount)) == (kind, stored)


@pytest.mark.parametrize(
    "kind",
    [
        SanctionKind.WARNING,
        SanctionKind.SUSPENSION,
        SanctionKind.DEPOSIT_RECOVERY,
        SanctionKind.COMMENDATION,
        "bribe",
    ],
)
def test_it_records_only_fines_and_recoveries_as_payments(facility, supervisor, kind):
    assert_refused(
        lambda: record_payment(
            facility, kind=kind, amount=Decimal("10"), decided_on=D(2025, 3, 25), user=supervisor
        ),
        {"kind": ["只能登记罚款或追回医保基金。"]},
    )


@pytest.mark.parametrize("amount", ["0", "-0.01", "-100"])
def test_it_refuses_a_payment_that_is_not_positive(facility, supervisor, amount):
    assert_refused(
        lambda: record_payment(
            facility,
            kind=SanctionKind.FINE,
            amount=Decimal(amount),
            decided_on=D(2025, 3, 25),
            user=supervisor,
        ),
        {"amount": ["金额必须大于0。"]},
    )


def test_it_refuses_a_payment_that_rounds_to_nothing(facility, supervisor):
    assert_refused(
        lambda: record_payment(
            facility,
            kind=SanctionKind.FINE,
            amount=Decimal("0.004"),
            decided_on=D(2025, 3, 25),
            user=supervisor,
        ),
        {"__all__": ["追回医保基金和罚款必须填写大于0的金额。"]},
    )


# --- terminate_agreement --------------------------------------------------------------------


def test_it_terminates_an_agreement_from_its_effective_day(facility, supervisor):
    sanction = terminate_agreement(
        facility, effective_on=D(2025, 6, 1), decided_on=D(2025, 5, 20), user=supervisor
    )
    assert (sanction.kind, sanction.starts_on, sanction.ends_on) == (
        SanctionKind.TERMINATION,
        D(2025, 6, 1),
        None,
    )
    assert facility.agreement_status_on(D(2025, 5, 31)) == AgreementStatus.ACTIVE
    assert facility.agreement_status_on(D(2025, 6, 1)) == AgreementStatus.TERMINATED


@pytest.mark.parametrize("effective_on", [D(2025, 6, 1), D(2025, 1, 1), D(2026, 1, 1)])
def test_it_refuses_to_terminate_an_agreement_twice(facility, supervisor, effective_on):
    SanctionFactory(facility=facility, termination=True)
    assert_refused(
        lambda: terminate_agreement(
            facility, effective_on=effective_on, decided_on=effective_on, user=supervisor
        ),
        {"kind": ["该机构的医保服务协议已解除。"]},
    )


def test_it_refuses_a_termination_decided_after_it_takes_effect(facility, supervisor):
    assert_refused(
        lambda: terminate_agreement(
            facility, effective_on=D(2025, 6, 1), decided_on=D(2025, 6, 2), user=supervisor
        ),
        {"decided_on": ["决定日期不能晚于解除生效日期。"]},
    )


# --- warn -----------------------------------------------------------------------------------


def test_it_records_a_warning_with_its_note(facility, supervisor):
    sanction = warn(facility, decided_on=D(2025, 3, 25), user=supervisor, note=" 约谈负责人 ")
    assert (sanction.kind, sanction.note) == (SanctionKind.WARNING, "约谈负责人")


@pytest.mark.parametrize("note", ["", "   ", "\n"])
def test_it_refuses_a_warning_without_a_note(facility, supervisor, note):
    assert_refused(
        lambda: warn(facility, decided_on=D(2025, 3, 25), user=supervisor, note=note),
        {"note": ["请写明约谈或责令改正的内容。"]},
    )


# --- commend --------------------------------------------------------------------------------


def test_it_commends_a_facility_rated_a_for_that_year(facility, supervisor):
    rating = CreditRatingFactory(facility=facility, year=2024, grade=Grade.A)
    sanction = commend(facility, year=2024, decided_on=D(2025, 4, 15), user=supervisor)
    sanction.refresh_from_db()
    assert (sanction.kind, sanction.rating, sanction.facility) == (
        SanctionKind.COMMENDATION,
        rating,
        facility,
    )


def test_it_commends_an_insurer_rated_a(supervisor):
    insurer = FacilityFactory(insurer=True)
    CreditRatingFactory(facility=insurer, year=2024, grade=Grade.A)
    assert commend(insurer, year=2024, decided_on=D(2025, 4, 15), user=supervisor).pk


@pytest.mark.parametrize(
    "ratings",
    [
        [],
        [(2024, Grade.B)],
        [(2024, Grade.C)],
        [(2024, Grade.D)],
        [(2023, Grade.A)],  # A in another year
        [(2023, Grade.A), (2024, Grade.B)],
    ],
)
def test_it_commends_only_an_a_rating_of_that_year(facility, supervisor, ratings):
    for year, grade in ratings:
        CreditRatingFactory(facility=facility, year=year, grade=grade)
    assert_refused(
        lambda: commend(facility, year=2024, decided_on=D(2025, 4, 15), user=supervisor),
        {"rating": ["只有2024年度评为A级的机构才能授牌。"]},
    )


def test_another_facility_s_a_rating_does_not_count(facility, supervisor):
    CreditRatingFactory(year=2024, grade=Grade.A)
    assert_refused(
        lambda: commend(facility, year=2024, decided_on=D(2025, 4, 15), user=supervisor),
        {"rating": ["只有2024年度评为A级的机构才能授牌。"]},
    )


def test_it_commends_a_rating_only_once(facility, supervisor):
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.A)
    commend(facility, year=2024, decided_on=D(2025, 4, 15), user=supervisor)
    assert_refused(
        lambda: commend(facility, year=2024, decided_on=D(2025, 5, 1), user=supervisor),
        {"rating": ["该机构2024年度已授牌。"]},
    )


def test_each_a_year_can_be_commended(facility, supervisor):
    for year in (2023, 2024):
        CreditRatingFactory(facility=facility, year=year, grade=Grade.A)
        commend(facility, year=year, decided_on=D(2025, 4, 15), user=supervisor)
    assert facility.sanctions.filter(kind=SanctionKind.COMMENDATION).count() == 2


# --- every sanction writes its history --------------------------------------------------------


def _rated_a(facility):
    CreditRatingFactory(facility=facility, year=2024, grade=Grade.A)
    return facility


SERVICES = [
    (SanctionKind.SUSPENSION, lambda f, u: _suspend(f, user=u)),
    (
        SanctionKind.DEPOSIT_RECOVERY,
        lambda f, u: recover_deposit(f, percent=Decimal("2.5"), decided_on=D(2025, 3, 25), user=u),
    ),
    (
        SanctionKind.FINE,
        lambda f, u: record_payment(
            f, kind=SanctionKind.FINE, amount=Decimal("1"), decided_on=D(2025, 3, 25), user=u
        ),
    ),
    (
        SanctionKind.FUND_RECOVERY,
        lambda f, u: record_payment(
            f,
            kind=SanctionKind.FUND_RECOVERY,
            amount=Decimal("1"),
            decided_on=D(2025, 3, 25),
            user=u,
        ),
    ),
    (
        SanctionKind.TERMINATION,
        lambda f, u: terminate_agreement(
            f, effective_on=D(2025, 6, 1), decided_on=D(2025, 5, 1), user=u
        ),
    ),
    (SanctionKind.WARNING, lambda f, u: warn(f, decided_on=D(2025, 3, 25), user=u, note="约谈")),
    (
        SanctionKind.COMMENDATION,
        lambda f, u: commend(_rated_a(f), year=2024, decided_on=D(2025, 4, 15), user=u),
    ),
]


def test_every_sanction_kind_has_a_service():
    assert sorted(kind for kind, _ in SERVICES) == sorted(SanctionKind.values)


@pytest.mark.parametrize(("kind", "service"), SERVICES, ids=[k for k, _ in SERVICES])
def test_every_sanction_service_records_who_and_why_in_history(facility, supervisor, kind, service):
    sanction = service(facility, supervisor)
    assert (sanction.kind, sanction.created_by) == (kind, supervisor)
    history = sanction.history.get()
    assert (history.history_type, history.history_user) == ("+", supervisor)
    assert history.history_change_reason == SanctionKind(kind).label


def test_it_refuses_a_recovery_that_rounds_to_nothing(supervisor):
    facility = FacilityFactory(deposit=Decimal("0.01"))
    assert_refused(
        lambda: recover_deposit(
            facility, percent=Decimal("1"), decided_on=MARCH_25, user=supervisor
        ),
        {"deposit_percent": ["按该比例收回的保证金不足0.01元。"]},
    )


# --- a sanction rests on the facility's own inspection and rating -----------------------------


def _other_inspection(facility):
    return {"inspection": InspectionFactory(facility=FacilityFactory())}


def _other_rating(facility):
    return {"rating": CreditRatingFactory(facility=FacilityFactory(), grade=Grade.D)}


BASED_ON = [
    (
        "suspension",
        lambda f, u, **kw: _suspend(f, user=u, **kw),
        [_other_inspection, _other_rating],
    ),
    (
        "deposit_recovery",
        lambda f, u, **kw: recover_deposit(
            f, percent=Decimal("2.5"), decided_on=MARCH_25, user=u, **kw
        ),
        [_other_inspection, _other_rating],
    ),
    (
        "fine",
        lambda f, u, **kw: record_payment(
            f, kind=SanctionKind.FINE, amount=Decimal("1"), decided_on=MARCH_25, user=u, **kw
        ),
        [_other_inspection],
    ),
    (
        "termination",
        lambda f, u, **kw: terminate_agreement(
            f, effective_on=D(2025, 6, 1), decided_on=MARCH_25, user=u, **kw
        ),
        [_other_inspection],
    ),
    (
        "warning",
        lambda f, u, **kw: warn(f, decided_on=MARCH_25, user=u, note="约谈", **kw),
        [_other_inspection],
    ),
]
FOREIGN_BASES = [
    pytest.param(service, other, id=f"{name}-{other.__name__.lstrip('_')}")
    for name, service, others in BASED_ON
    for other in others
]
MESSAGES = {
    "inspection": "依据的检查不是对该机构的检查。",
    "rating": "依据的信用评价不是该机构的评价。",
}


@pytest.mark.parametrize(("service", "other"), FOREIGN_BASES)
def test_it_refuses_a_sanction_based_on_another_facility_s_record(
    facility, supervisor, service, other
):
    basis = other(facility)
    (name,) = basis
    assert_refused(lambda: service(facility, supervisor, **basis), {name: [MESSAGES[name]]})


@pytest.mark.parametrize(("name", "service", "others"), BASED_ON, ids=[b[0] for b in BASED_ON])
def test_it_accepts_a_sanction_based_on_the_facility_s_own_record(
    facility, supervisor, name, service, others
):
    basis = {"inspection": InspectionFactory(facility=facility)}
    if _other_rating in others:
        basis["rating"] = CreditRatingFactory(facility=facility, grade=Grade.D)
    sanction = service(facility, supervisor, **basis)
    assert (sanction.inspection, sanction.rating) == (
        basis["inspection"],
        basis.get("rating"),
    )


# --- the checks a form runs before saving (the workflows run them again) ---------------------


def test_the_suspension_check_names_every_problem_at_once_and_writes_nothing(facility, supervisor):
    SanctionFactory(facility=facility, termination=True)  # effective 1 June
    dates = {"starts_on": D(2025, 7, 1), "ends_on": D(2026, 7, 1), "decided_on": D(2025, 7, 2)}
    expected = {
        "ends_on": "暂停期限最长12个月，截止日期最晚为2026-06-30。",
        "decided_on": "决定日期不能晚于暂停起始日期。",
        "starts_on": "该机构的医保服务协议已解除，不能再暂停。",
    }
    assert without_writing(lambda: suspension_problems(facility, **dates)) == expected
    assert_refused(
        lambda: _suspend(facility, user=supervisor, **dates),
        {field: [message] for field, message in expected.items()},
    )


def test_a_suspension_being_corrected_does_not_overlap_itself(facility):
    existing = SanctionFactory(facility=facility, suspension=True)
    dates = {"starts_on": APRIL_1, "ends_on": D(2025, 6, 30), "decided_on": MARCH_25}
    assert suspension_problems(facility, exclude_pk=existing.pk, **dates) == {}
    assert suspension_problems(facility, **dates) == {
        "starts_on": "该机构在2025-04-01至2025-05-31已有暂停，期间不能重叠。"
    }


def test_the_suspension_checks_skip_the_dates_not_given(facility):
    SanctionFactory(facility=facility, suspension=True)
    assert suspension_problems(facility, starts_on=APRIL_1, ends_on=None, decided_on=None) == {}
    assert suspension_period_problems(
        starts_on=APRIL_1, ends_on=None, decided_on=D(2025, 4, 2)
    ) == {"decided_on": "决定日期不能晚于暂停起始日期。"}
    assert suspension_period_problems(starts_on=None, ends_on=MAY_31, decided_on=MAY_31) == {}


def test_the_termination_check_names_both_problems_and_skips_the_one_being_corrected(facility):
    existing = SanctionFactory(facility=facility, termination=True)
    late = {"effective_on": D(2025, 6, 1), "decided_on": D(2025, 6, 2)}
    assert without_writing(lambda: termination_problems(facility, **late)) == {
        "kind": "该机构的医保服务协议已解除。",
        "decided_on": "决定日期不能晚于解除生效日期。",
    }
    assert (
        termination_problems(
            facility, effective_on=D(2025, 6, 1), decided_on=MARCH_25, exclude_pk=existing.pk
        )
        == {}
    )


def test_the_deposit_amount_is_computed_without_writing(facility):
    amount = without_writing(lambda: deposit_recovery_amount(facility, Decimal("2.5")))
    assert amount == Decimal("3086.42")


def test_a_commendation_being_corrected_may_keep_its_rating(facility, supervisor):
    rating = CreditRatingFactory(facility=facility, year=2024, grade=Grade.A)
    commendation = commend(facility, year=2024, decided_on=D(2025, 4, 15), user=supervisor)
    found = without_writing(
        lambda: commendation_rating(facility, year=2024, exclude_pk=commendation.pk)
    )
    assert found == rating
    assert_refused(
        lambda: commendation_rating(facility, year=2024),
        {"rating": ["该机构2024年度已授牌。"]},
    )
