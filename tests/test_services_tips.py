"""supervision.services.tips: every step of a tip and of its reward, the way in and each way it
is refused; the history each step writes; district scope; the overview's panel and the rewards
report. (The working-day clock over calendar edges: tests/test_workdays.py.)"""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from supervision.choices import (
    District,
    InspectionKind,
    InspectionStatus,
    PaymentMethod,
    ReplyMethod,
    RewardStatus,
    TipChannel,
    TipClock,
    TipConclusion,
    TipStatus,
    TipSubject,
    Violation,
)
from supervision.models import Inspection, Tip, TipReporter, TipReward, UserDistrict
from supervision.models.base import StaleEdit
from supervision.services import tip_rewards, tips
from supervision.services.tips import ReporterDetails
from tests.factories import (
    REPORTER_ID,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    TipFactory,
    TipRewardFactory,
    UserFactory,
    _resident_id,
)

pytestmark = pytest.mark.django_db

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime.datetime(2025, 3, 3, 10, tzinfo=SHANGHAI)  # Mon 3 Mar 2025
REPORTER = ReporterDetails(
    name="示例举报人李四",
    phone="13800000001",
    id_number=_resident_id(REPORTER_ID),
    address="示例市示例路2号",
)


def fields(error: pytest.ExceptionInfo) -> set[str]:
    return set(error.value.message_dict)


def last_history(record):
    return type(record).history.filter(id=record.pk).latest("history_id")


def register(user, **overrides) -> Tip:
    values = {
        "channel": TipChannel.CITY_HOTLINE,
        "received_at": RECEIVED,
        "allegation": "示例举报：该药店虚构药品进货。",
        "facility": overrides.pop("facility") if "facility" in overrides else FacilityFactory(),
        "user": user,
    }
    values.update(overrides)
    return tips.register_tip(**values)


def completed_inspection(tip: Tip, *, violations=(), amount="0.00") -> Inspection:
    inspection = tip.inspection
    inspection.status = InspectionStatus.COMPLETED
    inspection.end_date = D(2025, 3, 14)
    inspection.amount_involved = Decimal(amount)
    inspection.save()
    inspection.violations.set(violations)
    return inspection


def investigating(user, **overrides) -> Tip:
    tip = register(user, **overrides)
    return tips.accept_tip(
        tip,
        on=D(2025, 3, 5),
        user=user,
        inspectors=InspectorFactory.create_batch(2),
        start_date=D(2025, 3, 10),
    )


# --- Registering -------------------------------------------------------------------------------


def test_register_a_tip_with_its_reporter(tip_desk):
    facility = FacilityFactory(district=District.DAGZE)
    tip = register(
        tip_desk, facility=facility, reporter=REPORTER, violations=[Violation.FORGED_DELIVERY_NOTES]
    )
    assert tip.status == TipStatus.RECEIVED
    assert tip.district == District.DAGZE  # the facility's
    assert tip.created_by == tip_desk
    assert tip.wants_reply
    assert list(tip.violations.values_list("code", flat=True)) == [Violation.FORGED_DELIVERY_NOTES]
    reporter = TipReporter.objects.get(tip=tip)
    assert (reporter.name, reporter.phone) == (REPORTER.name, REPORTER.phone)
    assert last_history(tip).history_user == tip_desk
    assert last_history(reporter).history_user == tip_desk


def test_an_anonymous_tip_keeps_no_reporter_and_wants_no_reply(tip_desk):
    tip = register(tip_desk, anonymous=True, reporter=REPORTER, wants_reply=True)
    assert tip.anonymous and not tip.wants_reply
    assert not TipReporter.objects.filter(tip=tip).exists()


def test_a_tip_about_an_unregistered_business_is_kept_as_text(tip_desk):
    tip = register(
        tip_desk,
        facility=None,
        subject_kind=TipSubject.BUSINESS,
        subject_name="  示例某某保健品店 ",
        district=District.QUXU,
    )
    assert (tip.facility, tip.subject_name, tip.district) == (
        None,
        "示例某某保健品店",
        District.QUXU,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"subject_kind": "alien"}, "subject_kind"),
        ({"facility": None, "subject_name": "  "}, "subject_name"),
        ({"allegation": "   "}, "allegation"),
        ({"received_at": timezone.now() + datetime.timedelta(days=1)}, "received_at"),
    ],
)
def test_register_refuses_bad_input(tip_desk, overrides, field):
    if "facility" in overrides:
        overrides = {**overrides, "facility": None}
        with pytest.raises(ValidationError) as refused:
            tips.register_tip(
                channel=TipChannel.PORTAL,
                received_at=RECEIVED,
                allegation="示例",
                user=tip_desk,
                district=District.CHENGGUAN,
                subject_name="  ",
            )
    else:
        with pytest.raises(ValidationError) as refused:
            register(tip_desk, **overrides)
    assert field in fields(refused)
    assert not Tip.objects.exists()


def test_a_reporter_written_by_one_without_the_permission_is_refused(inspector, supervisor):
    inspector.user_permissions.add(
        *__import__(
            "django.contrib.auth.models", fromlist=["Permission"]
        ).Permission.objects.filter(codename="add_tip")
    )
    with pytest.raises(PermissionDenied):
        register(inspector, reporter=REPORTER)
    assert not Tip.objects.exists()
    tip = register(inspector)  # without a reporter: allowed
    with pytest.raises(PermissionDenied):
        tips.set_reporter(tip, REPORTER, user=inspector)
    assert not TipReporter.objects.exists()
    assert tips.may_read_reporter(supervisor) and tips.may_edit_reporter(supervisor)
    assert not tips.may_read_reporter(inspector) and not tips.may_edit_reporter(None)


def test_set_reporter_records_corrects_and_clears(tip_desk):
    tip = register(tip_desk)
    reporter = tips.set_reporter(tip, REPORTER, user=tip_desk)
    assert reporter.name == REPORTER.name
    corrected = ReporterDetails.of({"name": " 示例举报人王五 ", "phone": "13800000002"})
    reporter = tips.set_reporter(tip, corrected, user=tip_desk)
    reporter.refresh_from_db()
    assert (reporter.name, reporter.phone, reporter.id_number) == (
        "示例举报人王五",
        "13800000002",
        "",
    )
    assert last_history(reporter).history_change_reason == "修改举报人信息"
    tips.set_reporter(tip, ReporterDetails(), user=tip_desk)
    assert TipReporter.objects.get(tip=tip).name == ""


def test_set_reporter_refuses_an_anonymous_tip_and_a_bad_id_number(tip_desk):
    anonymous = register(tip_desk, anonymous=True)
    with pytest.raises(ValidationError) as refused:
        tips.set_reporter(anonymous, REPORTER, user=tip_desk)
    assert "anonymous" in fields(refused)
    assert tips.set_reporter(anonymous, ReporterDetails(), user=tip_desk) is None
    named = register(tip_desk)
    with pytest.raises(ValidationError) as refused:
        tips.set_reporter(
            named, ReporterDetails(name="示例", id_number="540102198001011230"), user=tip_desk
        )
    assert "id_number" in fields(refused)
    assert not TipReporter.objects.exists()


def test_edit_tip_matches_a_facility_and_moves_the_district(tip_desk):
    tip = register(
        tip_desk,
        facility=None,
        subject_kind=TipSubject.BUSINESS,
        subject_name="示例店",
        district=District.QUXU,
    )
    facility = FacilityFactory(district=District.NYEMO)
    tip = tips.edit_tip(
        tip, user=tip_desk, changes={"facility": facility}, expected_version=tip.version
    )
    assert (tip.facility, tip.district) == (facility, District.NYEMO)
    assert last_history(tip).history_change_reason == "修改线索"
    with pytest.raises(StaleEdit):
        tips.edit_tip(
            tip, user=tip_desk, changes={"allegation": "示例"}, expected_version=tip.version - 1
        )
    with pytest.raises(ValidationError):
        tips.edit_tip(tip, user=tip_desk, changes={"allegation": " "})
    with pytest.raises(ValueError):
        tips.edit_tip(tip, user=tip_desk, changes={"status": TipStatus.CLOSED})


def test_edit_tip_refuses_a_closed_tip(tip_desk):
    tip = TipFactory(closed=True)
    with pytest.raises(ValidationError) as refused:
        tips.edit_tip(tip, user=tip_desk, changes={"allegation": "示例"})
    assert "status" in fields(refused)


# --- Duplicates and merging ----------------------------------------------------------------------


def test_possible_duplicates_and_merge(tip_desk):
    facility = FacilityFactory()
    master = register(tip_desk, facility=facility)
    duplicate = register(
        tip_desk, facility=facility, received_at=RECEIVED + datetime.timedelta(days=3)
    )
    far = register(tip_desk, facility=facility, received_at=RECEIVED + datetime.timedelta(days=200))
    found = list(
        tips.possible_duplicates(
            tip_desk, facility=facility, received_at=duplicate.received_at, exclude=duplicate
        )
    )
    assert found == [master]
    assert list(tips.possible_duplicates(tip_desk, facility=None, subject_name="")) == []
    merged = tips.merge_tip(duplicate, into=master, user=tip_desk, note="同一事项")
    assert (merged.status, merged.master, merged.clock, merged.due_on) == (
        TipStatus.MERGED,
        master,
        TipClock.NONE,
        None,
    )
    assert last_history(merged).history_change_reason == "重复并案"
    # A tip merged into a duplicate is linked to the master.
    assert tips.merge_tip(far, into=merged, user=tip_desk).master == master


def test_merge_refuses_itself_and_a_tip_already_merged(tip_desk):
    facility = FacilityFactory()
    master = register(tip_desk, facility=facility)
    with pytest.raises(ValidationError) as refused:
        tips.merge_tip(master, into=master, user=tip_desk)
    assert "master" in fields(refused)
    duplicate = register(tip_desk, facility=facility)
    tips.merge_tip(duplicate, into=master, user=tip_desk)
    # The master cannot be merged into its own duplicate (that is: into itself).
    with pytest.raises(ValidationError) as refused:
        tips.merge_tip(master, into=Tip.objects.get(pk=duplicate.pk), user=tip_desk)
    assert "master" in fields(refused)
    # A merged tip moves no further.
    with pytest.raises(ValidationError) as refused:
        tips.merge_tip(Tip.objects.get(pk=duplicate.pk), into=register(tip_desk), user=tip_desk)
    assert "status" in fields(refused)


# --- Deciding acceptance -----------------------------------------------------------------------


def test_decline_with_a_reason(tip_desk):
    tip = register(tip_desk)
    tip = tips.decline_tip(tip, on=D(2025, 3, 4), reason="不属于医保基金监管范围。", user=tip_desk)
    assert (tip.status, tip.decided_on, tip.clock) == (
        TipStatus.NOT_ACCEPTED,
        D(2025, 3, 4),
        TipClock.NONE,
    )
    row = last_history(tip)
    assert (row.history_user, row.history_change_reason) == (tip_desk, "不予受理")


@pytest.mark.parametrize(
    ("on", "reason", "field"),
    [
        (D(2025, 3, 4), "  ", "decision_note"),
        (D(2025, 3, 2), "理由", "decided_on"),
        ("tomorrow", "理由", "decided_on"),
    ],
)
def test_decline_refusals(tip_desk, on, reason, field):
    if on == "tomorrow":  # computed now, not when the tests were collected (before midnight)
        on = timezone.localdate() + datetime.timedelta(days=1)
    tip = register(tip_desk)
    with pytest.raises(ValidationError) as refused:
        tips.decline_tip(tip, on=on, reason=reason, user=tip_desk)
    assert field in fields(refused)
    tip.refresh_from_db()
    assert tip.status == TipStatus.RECEIVED


def test_accept_and_open_the_inspection_in_one_step(tip_desk):
    tip = investigating(tip_desk)
    assert tip.status == TipStatus.INVESTIGATING
    assert tip.inspection.facility == tip.facility
    assert tip.inspection.kind == InspectionKind.UNANNOUNCED
    assert tip.inspection.start_date == D(2025, 3, 10)
    # 5 Mar + 30 working days: 6–7 Mar (2) … 31 Mar–3 Apr (21), Fri 4 Apr off (Qingming),
    # 7–11 Apr (26), 14–17 Apr (30).
    assert (tip.clock, tip.due_on) == (TipClock.INVESTIGATION, D(2025, 4, 17))
    reasons = list(
        Tip.history.filter(id=tip.pk)
        .order_by("history_id")
        .values_list("history_change_reason", "history_user")
    )
    assert reasons == [(None, tip_desk.pk), ("已受理", tip_desk.pk), ("核查中", tip_desk.pk)]
    assert list(tip.inspection.tips.all()) == [tip]


def test_accept_refusals(tip_desk):
    tip = register(tip_desk)
    with pytest.raises(ValidationError) as refused:
        tips.accept_tip(tip, on=D(2025, 3, 1), user=tip_desk, inspection_kind=None)
    assert "decided_on" in fields(refused)
    with pytest.raises(ValidationError):
        tips.accept_tip(tip, on=timezone.localdate() + datetime.timedelta(days=2), user=tip_desk)
    declined = tips.decline_tip(tip, on=D(2025, 3, 4), reason="理由", user=tip_desk)
    with pytest.raises(ValidationError) as refused:
        tips.accept_tip(declined, on=D(2025, 3, 5), user=tip_desk)
    assert "status" in fields(refused)


def test_an_inspection_needs_a_facility_and_the_whole_step_is_undone(tip_desk):
    tip = register(
        tip_desk,
        facility=None,
        subject_kind=TipSubject.BUSINESS,
        subject_name="示例店",
        district=District.QUXU,
    )
    with pytest.raises(ValidationError) as refused:
        tips.accept_tip(tip, on=D(2025, 3, 5), user=tip_desk)
    assert "facility" in fields(refused)
    tip.refresh_from_db()
    assert tip.status == TipStatus.RECEIVED
    accepted = tips.accept_tip(tip, on=D(2025, 3, 5), user=tip_desk, inspection_kind=None)
    with pytest.raises(ValidationError) as refused:
        tips.open_inspection(accepted, user=tip_desk)
    assert "facility" in fields(refused)


def test_open_inspection_links_an_existing_inspection_of_the_same_facility(tip_desk):
    tip = register(tip_desk)
    tip = tips.accept_tip(tip, on=D(2025, 3, 5), user=tip_desk, inspection_kind=None)
    other = InspectionFactory()
    with pytest.raises(ValidationError) as refused:
        tips.open_inspection(tip, user=tip_desk, inspection=other)
    assert "inspection" in fields(refused)
    mine = InspectionFactory(facility=tip.facility)
    tip = tips.open_inspection(tip, user=tip_desk, inspection=mine)
    assert (tip.status, tip.inspection) == (TipStatus.INVESTIGATING, mine)
    with pytest.raises(ValidationError) as refused:
        tips.open_inspection(register(tip_desk), user=tip_desk)
    assert "status" in fields(refused)


def test_open_inspection_refuses_a_bad_kind_and_a_start_before_the_decision(tip_desk):
    tip = tips.accept_tip(register(tip_desk), on=D(2025, 3, 5), user=tip_desk, inspection_kind=None)
    with pytest.raises(ValidationError) as refused:
        tips.open_inspection(tip, user=tip_desk, kind="secret")
    assert "inspection_kind" in fields(refused)
    with pytest.raises(ValidationError) as refused:
        tips.open_inspection(tip, user=tip_desk, start_date=D(2025, 3, 4))
    assert "start_date" in fields(refused)


def test_extend_investigation(supervisor, tip_desk):
    tip = investigating(tip_desk)
    extension = tips.extend_investigation(
        tip, working_days=10, reason="需调取外省购销记录。", on=D(2025, 3, 20), user=supervisor
    )
    tip.refresh_from_db()
    assert (extension.granted_by, tip.extension_days) == (supervisor, 10)
    # 5 Mar + 40 working days: 17 Apr was the 30th; 18 Apr (31), 21–25 Apr (36), Sun 27 Apr a
    # make-up working day (37), 28–30 Apr (40).
    assert tip.due_on == D(2025, 4, 30)
    assert last_history(tip).history_change_reason == "核查延期"
    with pytest.raises(ValidationError) as refused:
        tips.extend_investigation(
            tip, working_days=0, reason="理由", on=D(2025, 3, 20), user=supervisor
        )
    assert "working_days" in fields(refused)
    with pytest.raises(ValidationError) as refused:
        tips.extend_investigation(
            tip, working_days=30, reason="理由", on=D(2025, 3, 4), user=supervisor
        )
    assert "granted_on" in fields(refused)
    with pytest.raises(ValidationError) as refused:
        tips.extend_investigation(
            tip, working_days=10, reason="  ", on=D(2025, 3, 20), user=supervisor
        )
    assert "reason" in fields(refused)
    with pytest.raises(ValidationError) as refused:
        tips.extend_investigation(
            tip,
            working_days=10,
            reason="理由",
            on=timezone.localdate() + datetime.timedelta(days=1),
            user=supervisor,
        )
    assert "granted_on" in fields(refused)
    tips.extend_investigation(
        tip, working_days=30, reason="理由", on=D(2025, 3, 21), user=supervisor
    )
    with pytest.raises(ValidationError) as refused:
        tips.extend_investigation(
            tip, working_days=30, reason="理由", on=D(2025, 3, 21), user=supervisor
        )
    assert "working_days" in fields(refused)
    with pytest.raises(ValidationError) as refused:
        tips.extend_investigation(
            register(tip_desk), working_days=5, reason="理由", on=D(2025, 3, 21), user=supervisor
        )
    assert "status" in fields(refused)


# --- Concluding, replying, closing --------------------------------------------------------------


def test_derived_conclusion(tip_desk):
    tip = investigating(tip_desk)
    assert tips.derived_conclusion(tip) is None  # inspection still planned
    completed_inspection(tip)
    derived = tips.derived_conclusion(Tip.objects.get(pk=tip.pk))
    assert (derived.conclusion, derived.verified_amount) == (
        TipConclusion.NOT_SUBSTANTIATED,
        Decimal("0.00"),
    )
    completed_inspection(tip, violations=[Violation.FORGED_DELIVERY_NOTES], amount="49036.80")
    derived = tips.derived_conclusion(Tip.objects.get(pk=tip.pk))
    assert (derived.conclusion, derived.verified_amount) == (
        TipConclusion.SUBSTANTIATED,
        Decimal("49036.80"),
    )
    assert "49,036.80" in derived.basis
    assert tips.derived_conclusion(register(tip_desk)) is None


def test_conclude_before_the_inspection_is_completed_is_refused(tip_desk):
    tip = investigating(tip_desk)
    with pytest.raises(ValidationError) as refused:
        tips.conclude_tip(
            tip, conclusion=TipConclusion.SUBSTANTIATED, on=D(2025, 3, 20), user=tip_desk
        )
    assert "conclusion" in fields(refused)


def test_conclude_reply_close(tip_desk):
    tip = investigating(tip_desk, reporter=REPORTER)
    completed_inspection(tip, violations=[Violation.FORGED_DELIVERY_NOTES], amount="50000")
    with pytest.raises(ValidationError) as refused:
        tips.conclude_tip(tip, conclusion="maybe", on=D(2025, 3, 20), user=tip_desk)
    assert "conclusion" in fields(refused)
    with pytest.raises(ValidationError) as refused:
        tips.conclude_tip(
            tip, conclusion=TipConclusion.SUBSTANTIATED, on=D(2025, 3, 4), user=tip_desk
        )
    assert "concluded_on" in fields(refused)
    with pytest.raises(ValidationError) as refused:
        tips.conclude_tip(
            tip,
            conclusion=TipConclusion.SUBSTANTIATED,
            on=D(2025, 3, 20),
            user=tip_desk,
            verified_amount=Decimal("-1"),
        )
    assert "verified_amount" in fields(refused)
    tip = tips.conclude_tip(
        tip,
        conclusion=TipConclusion.SUBSTANTIATED,
        on=D(2025, 3, 20),
        user=tip_desk,
        note=" 查实伪造随货同行单。 ",
        verified_amount=Decimal("50000.00"),
    )
    assert (tip.status, tip.clock, tip.due_on, tip.conclusion_note) == (
        TipStatus.CONCLUDED,
        TipClock.NONE,
        None,
        "查实伪造随货同行单。",
    )
    with pytest.raises(ValidationError) as refused:
        tips.close_tip(tip, on=D(2025, 3, 21), user=tip_desk)
    assert "status" in fields(refused)  # the reporter asked for a reply
    with pytest.raises(ValidationError) as refused:
        tips.reply_to_reporter(
            tip, on=D(2025, 3, 21), method=ReplyMethod.PHONE, note="  ", user=tip_desk
        )
    assert "reply_note" in fields(refused)
    with pytest.raises(ValidationError) as refused:
        tips.reply_to_reporter(
            tip, on=D(2025, 3, 21), method="pigeon", note="已查实", user=tip_desk
        )
    assert "reply_method" in fields(refused)
    with pytest.raises(ValidationError) as refused:
        tips.reply_to_reporter(
            tip, on=D(2025, 3, 19), method=ReplyMethod.PHONE, note="已查实", user=tip_desk
        )
    assert "replied_on" in fields(refused)
    tip = tips.reply_to_reporter(
        tip, on=D(2025, 3, 21), method=ReplyMethod.PHONE, note="已查实", user=tip_desk
    )
    assert tip.status == TipStatus.REPLIED
    with pytest.raises(ValidationError) as refused:
        tips.close_tip(tip, on=D(2025, 3, 20), user=tip_desk)
    assert "closed_on" in fields(refused)
    with pytest.raises(ValidationError) as refused:
        tips.close_tip(tip, on=timezone.localdate() + datetime.timedelta(days=1), user=tip_desk)
    assert "closed_on" in fields(refused)
    tip = tips.close_tip(tip, on=D(2025, 3, 24), user=tip_desk)
    assert tip.status == TipStatus.CLOSED
    reasons = list(
        Tip.history.filter(id=tip.pk)
        .order_by("history_id")
        .values_list("history_change_reason", flat=True)
    )
    assert reasons[-3:] == ["已办结", "已答复", "已结案"]
    with pytest.raises(ValidationError) as refused:
        tips.reply_to_reporter(
            tip, on=D(2025, 3, 25), method=ReplyMethod.PHONE, note="再答复", user=tip_desk
        )
    assert "status" in fields(refused)


def test_not_substantiated_keeps_no_verified_amount_and_a_tip_without_reply_closes(tip_desk):
    tip = investigating(tip_desk, wants_reply=False)
    completed_inspection(tip)
    tip = tips.conclude_tip(
        tip,
        conclusion=TipConclusion.NOT_SUBSTANTIATED,
        on=D(2025, 3, 20),
        user=tip_desk,
        verified_amount=Decimal("100"),
    )
    assert tip.verified_amount is None
    assert tips.close_tip(tip, on=D(2025, 3, 20), user=tip_desk).status == TipStatus.CLOSED


def test_stale_edit_on_an_old_version(tip_desk):
    tip = register(tip_desk)
    old = tip.version
    tips.edit_tip(tip, user=tip_desk, changes={"allegation": "示例修改"})
    with pytest.raises(StaleEdit):
        tips.accept_tip(
            tip, on=D(2025, 3, 5), user=tip_desk, inspection_kind=None, expected_version=old
        )
    with pytest.raises(StaleEdit):
        tips.decline_tip(tip, on=D(2025, 3, 5), reason="理由", user=tip_desk, expected_version=old)
    assert Tip.objects.get(pk=tip.pk).status == TipStatus.RECEIVED


# --- District scope ----------------------------------------------------------------------------


def test_a_district_limited_user_cannot_act_on_another_district(tip_desk):
    limited = UserFactory(username="tipdesk-dagze", role="tip_desk")
    UserDistrict.objects.create(user=limited, district=District.DAGZE)
    elsewhere = register(tip_desk, facility=FacilityFactory(district=District.CHENGGUAN))
    with pytest.raises(PermissionDenied):
        tips.accept_tip(elsewhere, on=D(2025, 3, 5), user=limited, inspection_kind=None)
    with pytest.raises(PermissionDenied):
        tips.set_reporter(elsewhere, REPORTER, user=limited)
    with pytest.raises(PermissionDenied):
        register(limited, facility=FacilityFactory(district=District.CHENGGUAN))
    assert Tip.objects.get(pk=elsewhere.pk).status == TipStatus.RECEIVED
    mine = register(limited, facility=FacilityFactory(district=District.DAGZE))
    with pytest.raises(PermissionDenied):
        tips.merge_tip(mine, into=elsewhere, user=limited)
    assert (
        tips.accept_tip(mine, on=D(2025, 3, 5), user=limited, inspection_kind=None).status
        == TipStatus.ACCEPTED
    )
    assert list(tips.possible_duplicates(limited, facility=elsewhere.facility)) == []


# --- Rewards ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verified", "amount"),
    [
        ("9999.99", "200.00"),
        ("10000", "200.00"),
        ("10000.50", "200.01"),
        ("12345.67", "246.91"),  # 246.9134
        ("12345.75", "246.92"),  # 246.915, half up
        ("49036.80", "980.74"),
        ("10000000", "200000.00"),
        ("10000050", "200000.00"),
        ("0", "200.00"),
    ],
)
def test_reward_amount_floor_ceiling_and_fen(verified, amount):
    result = tip_rewards.reward_amount(Decimal(verified))
    assert result == Decimal(amount)
    assert result.as_tuple().exponent == -2


def concluded_with_reporter(
    user, *, conclusion=TipConclusion.SUBSTANTIATED, verified="50000.00", **kw
) -> Tip:
    tip = investigating(user, **kw)
    completed_inspection(tip, violations=[Violation.FORGED_DELIVERY_NOTES], amount=verified)
    return tips.conclude_tip(
        tip, conclusion=conclusion, on=D(2025, 3, 20), user=user, verified_amount=Decimal(verified)
    )


def test_reward_proposed_approved_paid(tip_desk, supervisor):
    tip = concluded_with_reporter(tip_desk, reporter=REPORTER)
    assert tip_rewards.reward_problems(tip) == {}
    reward = tip_rewards.propose_reward(tip, on=D(2025, 3, 25), user=tip_desk, note=" 示例 ")
    assert (reward.status, reward.amount, reward.share) == (
        RewardStatus.PROPOSED,
        Decimal("1000.00"),
        Decimal("0.02"),
    )
    assert last_history(reward).history_change_reason == "待审批"
    assert "tip" in tip_rewards.reward_problems(tip)  # one reward per tip
    with pytest.raises(ValidationError) as refused:
        tip_rewards.decide_reward(reward, approve=True, on=D(2025, 3, 26), user=tip_desk)
    assert "decided_by" in fields(refused)  # four eyes
    with pytest.raises(ValidationError) as refused:
        tip_rewards.pay_reward(
            reward,
            on=D(2025, 3, 27),
            method=PaymentMethod.BANK,
            reference="示例0001",
            user=supervisor,
        )
    assert "status" in fields(refused)
    with pytest.raises(ValidationError) as refused:
        tip_rewards.decide_reward(reward, approve=True, on=D(2025, 3, 24), user=supervisor)
    assert "decided_on" in fields(refused)
    reward = tip_rewards.decide_reward(reward, approve=True, on=D(2025, 3, 26), user=supervisor)
    assert (reward.status, reward.claim_by) == (RewardStatus.APPROVED, D(2025, 6, 24))
    with pytest.raises(ValidationError) as refused:
        tip_rewards.pay_reward(
            reward,
            on=D(2025, 6, 25),
            method=PaymentMethod.BANK,
            reference="示例0001",
            user=supervisor,
        )
    assert "paid_on" in fields(refused)  # after claim_by
    with pytest.raises(ValidationError) as refused:
        tip_rewards.pay_reward(
            reward, on=D(2025, 4, 1), method="gold", reference="示例0001", user=supervisor
        )
    assert "method" in fields(refused)
    with pytest.raises(ValidationError) as refused:
        tip_rewards.pay_reward(
            reward, on=D(2025, 4, 1), method=PaymentMethod.BANK, reference=" ", user=supervisor
        )
    assert "reference" in fields(refused)
    with pytest.raises(StaleEdit):
        tip_rewards.pay_reward(
            reward,
            on=D(2025, 4, 1),
            method=PaymentMethod.BANK,
            reference="示例0001",
            user=supervisor,
            expected_version=1,
        )
    reward = tip_rewards.pay_reward(
        reward, on=D(2025, 6, 24), method=PaymentMethod.BANK, reference="示例0001", user=supervisor
    )
    assert (reward.status, reward.paid_on) == (RewardStatus.PAID, D(2025, 6, 24))
    row = last_history(reward)
    assert (row.history_user, row.history_change_reason) == (supervisor, "已发放")
    with pytest.raises(ValidationError):
        tip_rewards.decide_reward(
            reward, approve=False, on=D(2025, 6, 24), user=supervisor, note="理由"
        )


def test_refusing_a_reward_needs_a_reason(tip_desk, supervisor):
    reward = tip_rewards.propose_reward(
        concluded_with_reporter(tip_desk, reporter=REPORTER), on=D(2025, 3, 25), user=tip_desk
    )
    with pytest.raises(ValidationError) as refused:
        tip_rewards.decide_reward(reward, approve=False, on=D(2025, 3, 26), user=supervisor)
    assert "note" in fields(refused)
    reward = tip_rewards.decide_reward(
        reward, approve=False, on=D(2025, 3, 26), user=supervisor, note="举报人系内部人员"
    )
    assert (reward.status, reward.claim_by) == (RewardStatus.REFUSED, None)


def test_no_reward_for_a_tip_not_substantiated_anonymous_or_nameless(tip_desk):
    not_substantiated = investigating(tip_desk, reporter=REPORTER)
    completed_inspection(not_substantiated)
    not_substantiated = tips.conclude_tip(
        not_substantiated,
        conclusion=TipConclusion.NOT_SUBSTANTIATED,
        on=D(2025, 3, 20),
        user=tip_desk,
    )
    anonymous = concluded_with_reporter(tip_desk, anonymous=True)
    nameless = concluded_with_reporter(tip_desk, reporter=ReporterDetails(phone="13800000003"))
    unverified = concluded_with_reporter(tip_desk, reporter=REPORTER, verified="0")
    still_open = investigating(tip_desk, reporter=REPORTER)
    partly = concluded_with_reporter(tip_desk, reporter=REPORTER, conclusion=TipConclusion.PARTLY)
    for tip, field, word in [
        (not_substantiated, "tip", "属实"),
        (anonymous, "tip", "匿名"),
        (nameless, "tip", "姓名"),
        (unverified, "verified_amount", "查实金额"),
        (still_open, "tip", "属实"),
    ]:
        problems = tip_rewards.reward_problems(tip)
        assert word in problems[field], tip
        with pytest.raises(ValidationError):
            tip_rewards.propose_reward(tip, on=D(2025, 3, 25), user=tip_desk)
    assert tip_rewards.reward_problems(partly) == {}
    with pytest.raises(ValidationError) as refused:
        tip_rewards.propose_reward(partly, on=D(2025, 3, 19), user=tip_desk)
    assert "proposed_on" in fields(refused)
    assert not TipReward.objects.exists()


def test_expire_rewards():
    approved = TipRewardFactory(approved=True)  # claim by 24 Jun 2025
    TipRewardFactory(paid=True)
    assert tip_rewards.expire_rewards(D(2025, 6, 24)) == 0
    assert tip_rewards.expire_rewards(D(2025, 6, 25)) == 1
    approved.refresh_from_db()
    assert approved.status == RewardStatus.EXPIRED
    assert last_history(approved).history_change_reason == "逾期未领取"
    assert tip_rewards.expire_rewards(D(2025, 6, 26)) == 0


# --- Lists and the overview ---------------------------------------------------------------------


def test_clock_state():
    today, soon = D(2025, 3, 10), D(2025, 3, 12)
    assert tips.clock_state(Tip(clock=""), today, soon) == ""
    assert tips.clock_state(Tip(clock=TipClock.ACCEPTANCE, due_on=None), today, soon) == "unknown"
    assert (
        tips.clock_state(Tip(clock=TipClock.ACCEPTANCE, due_on=D(2025, 3, 7)), today, soon)
        == "overdue"
    )
    assert tips.clock_state(Tip(clock=TipClock.ACCEPTANCE, due_on=today), today, soon) == "due_soon"
    assert tips.clock_state(Tip(clock=TipClock.ACCEPTANCE, due_on=soon), today, soon) == "due_soon"
    assert (
        tips.clock_state(Tip(clock=TipClock.ACCEPTANCE, due_on=D(2025, 3, 13)), today, soon)
        == "running"
    )


def test_due_soon_limit_counts_working_days():
    # Fri 26 Sep 2025: Sun 28 (1), Mon 29 (2).
    assert tips.due_soon_limit(D(2025, 9, 26)) == D(2025, 9, 29)
    # In an unknown year: weekdays (Thu 31 Dec 2026 known, then Fri 1 Jan 2027).
    assert tips.due_soon_limit(D(2026, 12, 31)) == D(2027, 1, 4)


def test_tip_panel_counts(supervisor, django_assert_max_num_queries):
    march = datetime.datetime(2025, 3, 3, 10, tzinfo=SHANGHAI)
    TipFactory(
        received_at=march, channel=TipChannel.NATIONAL_HOTLINE, due_on=D(2025, 3, 7)
    )  # overdue
    TipFactory(
        received_at=march, channel=TipChannel.NATIONAL_HOTLINE, due_on=D(2025, 3, 11)
    )  # due soon
    TipFactory(received_at=march, channel=TipChannel.WECHAT, due_on=None)  # unknown
    TipFactory(received_at=march, channel=TipChannel.LETTER, closed=True)
    TipFactory(
        received_at=datetime.datetime(2025, 2, 27, 10, tzinfo=SHANGHAI), due_on=D(2025, 3, 20)
    )
    TipFactory(received_at=datetime.datetime(2025, 4, 1, 10, tzinfo=SHANGHAI), due_on=D(2025, 4, 9))
    tips.tip_panel(supervisor, today=D(2025, 3, 10))  # the user's permissions, once a request
    with django_assert_max_num_queries(6):
        panel = tips.tip_panel(supervisor, today=D(2025, 3, 10))
    by_channel = dict(panel.by_channel)
    assert panel.month_start == D(2025, 3, 1)
    assert panel.received == 4  # March only: not February's, not April's
    assert by_channel["全国医保举报电话"] == 2
    assert by_channel["微信公众号"] == 1 and by_channel["来信"] == 1
    assert len(panel.by_channel) == len(TipChannel.choices)
    assert (panel.overdue, panel.due_soon, panel.unknown) == (1, 1, 1)


def test_tip_panel_is_scoped(supervisor, outsider):
    TipFactory(due_on=D(2025, 3, 7), facility=FacilityFactory(district=District.QUXU))
    limited = UserFactory(username="supervisor-dagze", role="supervisor")
    UserDistrict.objects.create(user=limited, district=District.DAGZE)
    assert tips.tip_panel(supervisor, today=D(2025, 3, 10)).overdue == 1
    assert tips.tip_panel(limited, today=D(2025, 3, 10)).overdue == 0
    assert tips.tip_panel(outsider, today=D(2025, 3, 10)).received == 0


def test_rewards_by_year(supervisor):
    TipRewardFactory(amount=Decimal("1000.00"))
    TipRewardFactory(paid=True, amount=Decimal("500.00"))
    TipRewardFactory(
        proposed_on=D(2026, 1, 5),
        amount=Decimal("200.00"),
        tip=TipFactory(concluded=True, facility=FacilityFactory(district=District.QUXU)),
    )
    years = tip_rewards.rewards_by_year(supervisor)
    assert [y["year"] for y in years] == [2026, 2025]
    assert years[1]["count"] == 2 and years[1]["total"] == Decimal("1500.00")
    assert years[1]["by_status"][RewardStatus.PAID] == {"count": 1, "total": Decimal("500.00")}
    limited = UserFactory(username="supervisor-quxu", role="supervisor")
    UserDistrict.objects.create(user=limited, district=District.QUXU)
    assert [y["year"] for y in tip_rewards.rewards_by_year(limited)] == [2026]


def test_the_reporter_of_a_declined_tip_is_told_and_the_tip_closes(tip_desk):
    tip = tips.decline_tip(register(tip_desk), on=D(2025, 3, 4), reason="理由", user=tip_desk)
    tip = tips.reply_to_reporter(
        tip, on=D(2025, 3, 5), method=ReplyMethod.LETTER, note="不予受理的理由", user=tip_desk
    )
    assert tips.close_tip(tip, on=D(2025, 3, 6), user=tip_desk).status == TipStatus.CLOSED


def test_merging_a_tip_that_has_duplicates_moves_them_to_the_new_master(tip_desk):
    facility = FacilityFactory()
    first, second, third = (register(tip_desk, facility=facility) for _ in range(3))
    tips.merge_tip(third, into=second, user=tip_desk)
    tips.merge_tip(second, into=first, user=tip_desk)
    third.refresh_from_db()
    assert third.master_id == first.pk  # one level: never a chain
    assert Tip.objects.filter(master=second).count() == 0


def test_an_extension_without_a_reason_is_refused_with_its_own_message(tip_desk, supervisor):
    tip = tips.accept_tip(register(tip_desk), on=D(2025, 3, 4), user=tip_desk, inspection_kind=None)
    with pytest.raises(ValidationError) as refused:
        tips.extend_investigation(
            tip, working_days=5, reason="  ", on=D(2025, 3, 5), user=supervisor
        )
    assert fields(refused) == {"reason"}
