"""Typical cases (典型案例) through services.typical_cases: written only from a completed
inspection, edited only as a draft (a stale edit refused), submitted, reviewed by someone who did
not write it, published or returned with a comment, withdrawn with a reason; the public-text guard
on submit and approval; every step's history row with its user and reason; the public edition
moving on when a case is published or withdrawn; district scope."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from supervision.choices import District, InspectionStatus, RegistrationEnd, TypicalCaseStatus
from supervision.models import TypicalCase
from supervision.models.base import REASON_LENGTH, StaleEdit
from supervision.roles import SUPERVISOR
from supervision.services import publication
from supervision.services import typical_cases as service
from tests.dbstate import assert_refused, snapshot
from tests.factories import (
    FacilityFactory,
    InspectionFactory,
    PractitionerFactory,
    RegistrationFactory,
    UserDistrictFactory,
    UserFactory,
    _resident_id,
)

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2025, 6, 30)
ID_NUMBER = _resident_id("54010219800101123")
TEXT = {
    "title": "某医院串换药品项目结算案",
    "facts": "检查发现该院将自费药品串换为医保目录内药品结算。",
    "handling": "追回医保基金并处罚款。",
    "legal_basis": "《医疗保障基金使用监督管理条例》第三十八条",
    "lesson": "定点医疗机构应规范结算。",
}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def reviewer(db):
    """A second supervisor: reviews what the first wrote."""
    return UserFactory(username="supervisor2", role=SUPERVISOR)


@pytest.fixture
def inspection(db):
    return InspectionFactory(facility=FacilityFactory(name="示例人民医院"), completed=True)


def write(inspection, user, **text) -> TypicalCase:
    return service.write_case(user=user, inspection=inspection, **(TEXT | text))


def submitted(inspection, user, **text) -> TypicalCase:
    return service.submit_case(write(inspection, user, **text), user=user)


def published(inspection, author, reviewer) -> TypicalCase:
    return service.approve_case(submitted(inspection, author), user=reviewer)


def reasons_of(case: TypicalCase) -> list[tuple[str, str]]:
    """(user name, reason) of each history row, oldest first."""
    return [
        (row.history_user.username if row.history_user else "", row.history_change_reason or "")
        for row in case.history.order_by("history_date", "history_id")
    ]


# --- writing and editing ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [InspectionStatus.IN_PROGRESS, InspectionStatus.PLANNED])
def test_a_case_is_written_only_from_a_completed_inspection(supervisor, status):
    open_one = InspectionFactory(status=status)
    assert_refused(
        lambda: write(open_one, supervisor), {"inspection": ["只能依据已完成的检查撰写典型案例。"]}
    )


def test_writing_saves_a_draft_with_its_writer_and_history(supervisor, inspection):
    case = write(inspection, supervisor, title="  标题两边的空格去掉  ")
    assert case.status == TypicalCaseStatus.DRAFT
    assert case.created_by == supervisor
    assert case.title == "标题两边的空格去掉"
    assert reasons_of(case) == [("supervisor", "撰写典型案例")]


@pytest.mark.parametrize("field", ["title", "facts", "handling"])
def test_the_required_text_is_refused_when_blank(supervisor, inspection, field):
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        write(inspection, supervisor, **{field: "   "})
    assert field in refused.value.message_dict
    assert snapshot() == before


def test_over_long_text_is_refused_and_changes_nothing(supervisor, inspection):
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        write(inspection, supervisor, facts="案" * 5001)
    assert list(refused.value.message_dict) == ["facts"]
    assert snapshot() == before


def test_a_draft_is_edited_with_the_reason_on_its_history(supervisor, inspection):
    case = write(inspection, supervisor)
    edited = service.edit_case(
        case, user=supervisor, expected_version=case.version, reason="补充案情", facts="新的案情。"
    )
    assert edited.facts == "新的案情。"
    assert edited.version == case.version + 1
    assert reasons_of(edited)[-1] == ("supervisor", "补充案情")


def test_an_edit_of_an_older_version_is_refused_as_stale(supervisor, reviewer, inspection):
    case = write(inspection, supervisor)
    service.edit_case(case, user=reviewer, expected_version=case.version, title="他人先改了")
    before = snapshot()
    with pytest.raises(StaleEdit):
        service.edit_case(case, user=supervisor, expected_version=case.version, title="我的修改")
    assert snapshot() == before


def test_only_fields_of_the_text_are_edited(supervisor, inspection):
    case = write(inspection, supervisor)
    with pytest.raises(TypeError):
        service.edit_case(case, user=supervisor, status=TypicalCaseStatus.PUBLISHED)


@pytest.mark.parametrize("state", ["submitted", "published", "withdrawn"])
def test_only_a_draft_is_edited(supervisor, reviewer, inspection, state):
    case = submitted(inspection, supervisor)
    if state != "submitted":
        case = service.approve_case(case, user=reviewer)
    if state == "withdrawn":
        case = service.withdraw_case(case, user=reviewer, reason="错误发布")
    assert_refused(
        lambda: service.edit_case(case, user=supervisor, title="改"),
        {"__all__": ["只有草稿可以修改；已提交审核的案例须经审核退回后再修改。"]},
    )


# --- submitting and reviewing -----------------------------------------------------------------


def test_submitting_dates_the_case_and_writes_history(supervisor, inspection):
    case = submitted(inspection, supervisor)
    assert case.status == TypicalCaseStatus.SUBMITTED
    assert case.submitted_on == TODAY
    assert reasons_of(case)[-1] == ("supervisor", "提交审核")
    assert_refused(
        lambda: service.submit_case(case, user=supervisor), {"__all__": ["只有草稿可以提交审核。"]}
    )


def test_another_supervisor_approves_and_the_case_is_published(supervisor, reviewer, inspection):
    case = submitted(inspection, supervisor)
    edition = publication.edition()
    case = service.approve_case(case, user=reviewer, comment="同意发布")
    assert case.status == TypicalCaseStatus.PUBLISHED
    assert case.published_on == TODAY
    assert case.reviewed_by == reviewer
    assert case.review_comment == "同意发布"
    assert publication.edition() == edition + 1
    assert reasons_of(case)[-1] == ("supervisor2", "审核通过，发布")


def test_the_writer_may_not_review_their_own_case(supervisor, inspection):
    case = submitted(inspection, supervisor)
    message = "审核人不能是该案例的撰写人、修改人或提交人，请由其他有审核权限的人员审核。"
    assert not service.may_review(case, supervisor)
    assert_refused(lambda: service.approve_case(case, user=supervisor), {"__all__": [message]})
    assert_refused(
        lambda: service.return_case(case, user=supervisor, comment="自己退回"),
        {"__all__": [message]},
    )


def test_who_edited_or_submitted_the_case_may_not_review_it_either(
    supervisor, reviewer, inspection
):
    third = UserFactory(username="supervisor3", role=SUPERVISOR)
    case = write(inspection, supervisor)
    case = service.edit_case(case, user=reviewer, facts="由第二人改写的案情。")
    case = service.submit_case(case, user=third)
    assert not service.may_review(case, reviewer)  # edited it
    assert not service.may_review(case, third)  # submitted it
    with pytest.raises(ValidationError):
        service.approve_case(case, user=reviewer)
    with pytest.raises(ValidationError):
        service.approve_case(case, user=third)
    outsider_reviewer = UserFactory(username="supervisor4", role=SUPERVISOR)
    assert service.approve_case(case, user=outsider_reviewer).status == TypicalCaseStatus.PUBLISHED


@pytest.mark.parametrize("persona", ["inspector", "auditor", "evaluator"])
def test_a_reader_may_not_review(request, supervisor, inspection, persona):
    user = request.getfixturevalue(persona)
    case = submitted(inspection, supervisor)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        service.approve_case(case, user=user)
    with pytest.raises(PermissionDenied):
        service.return_case(case, user=user, comment="退回")
    assert snapshot() == before


def test_a_return_needs_a_comment(supervisor, reviewer, inspection):
    case = submitted(inspection, supervisor)
    for comment in ["", "   "]:
        assert_refused(
            lambda comment=comment: service.return_case(case, user=reviewer, comment=comment),
            {"review_comment": ["退回修改须填写审核意见。"]},
        )
    assert_refused(
        lambda: service.return_case(case, user=reviewer, comment="意" * (REASON_LENGTH + 1)),
        {"review_comment": [f"最多{REASON_LENGTH}个字符（当前{REASON_LENGTH + 1}个）。"]},
    )


def test_a_returned_case_is_a_draft_again_and_its_reviewer_may_review_it_again(
    supervisor, reviewer, inspection
):
    case = submitted(inspection, supervisor)
    edition = publication.edition()
    case = service.return_case(case, user=reviewer, comment="请删去具体金额以外的个人信息。")
    assert case.status == TypicalCaseStatus.DRAFT
    assert case.submitted_on is None
    assert case.review_comment == "请删去具体金额以外的个人信息。"
    assert reasons_of(case)[-1] == ("supervisor2", "审核退回：请删去具体金额以外的个人信息。")
    assert publication.edition() == edition  # nothing public changed
    case = service.edit_case(case, user=supervisor, facts="修改后的案情。")
    case = service.submit_case(case, user=supervisor)
    assert service.may_review(case, reviewer)
    assert service.approve_case(case, user=reviewer).status == TypicalCaseStatus.PUBLISHED


def test_a_long_return_comment_fits_the_history_row(supervisor, reviewer, inspection):
    case = submitted(inspection, supervisor)
    case = service.return_case(case, user=reviewer, comment="意" * REASON_LENGTH)
    assert case.review_comment == "意" * REASON_LENGTH
    assert len(case.history.first().history_change_reason) == REASON_LENGTH


@pytest.mark.parametrize("step", ["approve", "return"])
def test_only_a_submitted_case_is_reviewed(supervisor, reviewer, inspection, step):
    case = write(inspection, supervisor)
    call = (
        (lambda: service.approve_case(case, user=reviewer))
        if step == "approve"
        else (lambda: service.return_case(case, user=reviewer, comment="退回"))
    )
    assert_refused(call, {"__all__": ["只有待审核的案例可以审核。"]})


def test_a_review_of_an_older_version_is_refused_as_stale(supervisor, reviewer, inspection):
    case = write(inspection, supervisor)
    old = case.version
    case = service.submit_case(case, user=supervisor)
    before = snapshot()
    with pytest.raises(StaleEdit):
        service.approve_case(case, user=reviewer, expected_version=old)
    assert snapshot() == before


# --- withdrawing ------------------------------------------------------------------------------


def test_withdrawing_needs_a_reason_and_moves_the_public_pages_on(supervisor, reviewer, inspection):
    case = published(inspection, supervisor, reviewer)
    assert_refused(
        lambda: service.withdraw_case(case, user=reviewer, reason=" "),
        {"withdraw_reason": ["请填写撤回原因。"]},
    )
    edition = publication.edition()
    case = service.withdraw_case(case, user=reviewer, reason="当事人申请复议，决定已撤销")
    assert case.status == TypicalCaseStatus.WITHDRAWN
    assert case.withdrawn_on == TODAY
    assert case.withdraw_reason == "当事人申请复议，决定已撤销"
    assert publication.edition() == edition + 1
    assert reasons_of(case)[-1] == ("supervisor2", "撤回：当事人申请复议，决定已撤销")


def test_only_a_published_case_is_withdrawn(supervisor, reviewer, inspection):
    case = submitted(inspection, supervisor)
    assert_refused(
        lambda: service.withdraw_case(case, user=reviewer, reason="撤回"),
        {"__all__": ["只有已发布的案例可以撤回。"]},
    )


def test_a_reader_may_not_withdraw(supervisor, reviewer, inspector, inspection):
    case = published(inspection, supervisor, reviewer)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        service.withdraw_case(case, user=inspector, reason="撤回")
    assert snapshot() == before


def test_the_whole_life_of_a_case_is_in_its_history(supervisor, reviewer, inspection):
    case = published(inspection, supervisor, reviewer)
    service.withdraw_case(case, user=reviewer, reason="错误发布")
    assert reasons_of(case) == [
        ("supervisor", "撰写典型案例"),
        ("supervisor", "提交审核"),
        ("supervisor2", "审核通过，发布"),
        ("supervisor2", "撤回：错误发布"),
    ]


# --- the public-text guard --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"当事人身份证号码{ID_NUMBER}。", "身份证号码"),
        (f"当事人身份证号码{ID_NUMBER.lower()}。", "身份证号码"),
        (f"号码 {ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]} 已核实", "身份证号码"),
        ("身份证" + "".join(chr(ord(c) + 0xFEE0) for c in ID_NUMBER), "身份证号码"),  # full-width
        ("举报人电话13812345678。", "手机号码"),
        ("联系电话 138 1234 5678", "手机号码"),
        ("联系电话+86-13912345678", "手机号码"),
        ("电话8613912345678", "手机号码"),
    ],
)
def test_submitting_refuses_personal_numbers_naming_the_field_not_the_value(
    supervisor, inspection, text, kind
):
    case = write(inspection, supervisor, facts=text)
    error = assert_refused_on_facts(lambda: service.submit_case(case, user=supervisor))
    [message] = error.message_dict["facts"]
    assert "基本案情" in message
    assert kind in message
    assert ID_NUMBER[6:14] not in message and "1234" not in message


def assert_refused_on_facts(call) -> ValidationError:
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        call()
    assert list(refused.value.message_dict) == ["facts"]
    assert snapshot() == before
    return refused.value


@pytest.mark.parametrize(
    "text",
    [
        "罚款50000元，追回医保基金123456.78元。",
        "文书编号拉医保罚〔2025〕12号，2025-03-10作出。",
        "共涉及病历1234567890份。",  # ten digits: neither kind
        "结算金额123456789012345678901元",  # 21 digits: no ID number inside a longer number
    ],
)
def test_ordinary_numbers_pass_the_guard(supervisor, inspection, text):
    case = submitted(inspection, supervisor, facts=text)
    assert case.status == TypicalCaseStatus.SUBMITTED


def test_the_facilitys_own_credit_code_is_not_taken_for_an_id_number(supervisor):
    facility = FacilityFactory(credit_code="123456789012345678")
    inspection = InspectionFactory(facility=facility, completed=True)
    case = submitted(
        inspection, supervisor, facts=f"该机构统一社会信用代码{facility.credit_code}。"
    )
    assert case.status == TypicalCaseStatus.SUBMITTED


def test_the_name_of_someone_registered_with_the_facility_is_refused(supervisor, inspection):
    doctor = PractitionerFactory(name="格桑卓玛")
    RegistrationFactory(practitioner=doctor, facility=inspection.facility)
    left = PractitionerFactory(name="次仁多吉")
    RegistrationFactory(
        practitioner=left,
        facility=inspection.facility,
        ended_on=D(2024, 1, 1),
        end_reason=RegistrationEnd.LEFT,
    )
    case = write(inspection, supervisor, title="格桑卓玛违规案", lesson="次仁多吉也应警示。")
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        service.submit_case(case, user=supervisor)
    assert snapshot() == before
    problems = refused.value.message_dict
    assert sorted(problems) == ["lesson", "title"]
    assert "标题" in problems["title"][0] and "姓名" in problems["title"][0]
    assert "警示意义" in problems["lesson"][0]
    assert all("格桑" not in m and "次仁" not in m for ms in problems.values() for m in ms)


def test_a_name_registered_elsewhere_is_not_refused(supervisor, inspection):
    RegistrationFactory(practitioner=PractitionerFactory(name="格桑卓玛"))  # another facility
    case = submitted(inspection, supervisor, facts="格桑卓玛（其他机构人员）提供了线索。")
    assert case.status == TypicalCaseStatus.SUBMITTED


def test_approval_checks_the_text_again(supervisor, reviewer, inspection):
    case = submitted(inspection, supervisor, facts="当事医师扎西违规开具处方。")
    # Registered after the case was submitted: the reviewer's approval is refused.
    RegistrationFactory(practitioner=PractitionerFactory(name="扎西"), facility=inspection.facility)
    error = assert_refused_on_facts(lambda: service.approve_case(case, user=reviewer))
    assert "姓名" in error.message_dict["facts"][0]


def test_the_guard_reports_every_kind_in_every_field(inspection):
    RegistrationFactory(practitioner=PractitionerFactory(name="扎西"), facility=inspection.facility)
    problems = service.public_text_problems(
        {"facts": f"扎西，{ID_NUMBER}，13812345678", "handling": "依法处理。"},
        inspection.facility,
    )
    assert list(problems) == ["facts"]
    assert len(problems["facts"]) == 3


# --- districts --------------------------------------------------------------------------------


def test_a_district_limited_supervisor_writes_only_in_their_districts(supervisor, inspection):
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    assert inspection.facility.district != District.DAGZE
    before = snapshot()
    with pytest.raises(PermissionDenied):
        write(inspection, supervisor)
    assert snapshot() == before


def test_a_district_limited_reviewer_does_not_review_elsewhere(supervisor, reviewer, inspection):
    case = submitted(inspection, supervisor)
    UserDistrictFactory(user=reviewer, district=District.DAGZE)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        service.approve_case(case, user=reviewer)
    assert snapshot() == before
