"""Audit events: sign-ins (success, failure, lockout) and sign-outs, the second factor, API
tokens, evidence uploads and downloads, exports; read-only everywhere; shown in /audit/ with the
changes of the records, one save as one entry, to those who may audit, in their districts."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from supervision import services, twofactor
from supervision.choices import AuditAction, InspectionKind
from supervision.models import AuditEvent, Evidence, Inspection, UserDistrict
from supervision.models.audit_event import ReadOnlyRecord
from supervision.roles import AUDITOR
from supervision.services.audit_events import MAX_AGENT_LENGTH, record_event
from tests.api import client_for
from tests.evidence import stored_files, upload
from tests.factories import (
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    ReferralFactory,
    UserFactory,
)
from tests.pages import html_of
from tests.test_two_factor import SETUP, VERIFY, code_of, enrolled, password_step

pytestmark = pytest.mark.django_db

URL = reverse("audit")
LOGIN = reverse("login")
PASSWORD = "correct-horse-battery-staple"  # UserFactory's
ADDRESS = "198.51.100.7"
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 " + "X" * 300


def events(action: str | None = None) -> list[AuditEvent]:
    rows = AuditEvent.objects.order_by("id")
    return list(rows.filter(action=action) if action else rows)


def sign_in(client, username: str, password: str):
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        REMOTE_ADDR=ADDRESS,
        HTTP_USER_AGENT=AGENT,
    )


def listed_events(response) -> list[tuple[str, str]]:
    """(action, username) of each event on the audit page, in order."""
    return [
        (item.event.action, item.username)
        for item in response.context["entries"]
        if item.event is not None
    ]


# ------------------------------------------------------------------------------- sign-in


def test_a_sign_in_is_recorded_with_the_address_and_a_shortened_user_agent(client, inspector):
    assert sign_in(client, "inspector", PASSWORD).status_code == 302
    (event,) = events(AuditAction.SIGN_IN)
    assert event.user == inspector and event.username == "inspector"
    assert event.detail["ip"] == ADDRESS
    assert event.detail["agent"].startswith("Mozilla/5.0 (Windows NT 10.0")
    assert len(event.detail["agent"]) <= MAX_AGENT_LENGTH < len(AGENT)


def test_a_failed_sign_in_keeps_the_username_tried_and_never_the_password(client, inspector):
    sign_in(client, "inspector", "Secret-typed-2025!")
    sign_in(client, "nobody-here", "Another-secret-99")
    failed = events(AuditAction.SIGN_IN_FAILED)
    assert [(e.user, e.username) for e in failed] == [(None, "inspector"), (None, "nobody-here")]
    assert all(e.detail["ip"] == ADDRESS for e in failed)
    stored = json.dumps([[e.summary, e.detail] for e in events()], ensure_ascii=False)
    assert "Secret-typed-2025!" not in stored and "Another-secret-99" not in stored
    assert "*****" not in stored  # not even the masked placeholder


def test_a_lockout_is_recorded_once_and_later_attempts_as_locked_failures(
    client, inspector, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "inspector", "wrong-password")
    assert [e.username for e in events(AuditAction.LOCKED_OUT)] == ["inspector"]
    assert sign_in(client, "inspector", PASSWORD).status_code == 429
    assert events(AuditAction.SIGN_IN) == []
    assert events(AuditAction.SIGN_IN_FAILED)[-1].detail.get("locked") is True


def test_a_sign_out_is_recorded(client, inspector):
    client.force_login(inspector)
    client.post(reverse("logout"))
    (event,) = events(AuditAction.SIGN_OUT)
    assert event.user == inspector


# ------------------------------------------------------------------------- second factor


def test_enrolment_verification_and_recovery_codes_are_recorded(client, supervisor):
    password_step(client, supervisor)
    client.get(SETUP)
    pending = TOTPDevice.objects.get(user=supervisor)
    client.post(SETUP, {"code": code_of(pending)})
    assert [e.user for e in events(AuditAction.OTP_ENROLLED)] == [supervisor]
    client.post("/accounts/two-factor/recovery-codes/")
    assert [e.user for e in events(AuditAction.RECOVERY_CODES)] == [supervisor]


def test_a_verified_and_a_refused_second_factor_are_recorded_with_the_method(client, supervisor):
    device = enrolled(supervisor)
    (code,) = twofactor.new_recovery_codes(supervisor)[:1]
    password_step(client, supervisor)
    client.post(VERIFY, {"code": "000000" if code_of(device) != "000000" else "111111"})
    assert [e.user for e in events(AuditAction.OTP_REFUSED)] == [supervisor]
    client.post(reverse("logout"))
    password_step(client, supervisor)
    client.post(VERIFY, {"code": code})
    (verified,) = events(AuditAction.OTP_VERIFIED)
    assert verified.detail["method"] == twofactor.RECOVERY
    assert code not in json.dumps(verified.detail)


def test_deleting_a_users_devices_in_the_admin_is_recorded_as_a_reset(client, superuser, auditor):
    device = TOTPDevice.objects.create(user=auditor, name="authenticator", confirmed=True)
    codes = StaticDevice.objects.create(user=auditor, name="recovery", confirmed=True)
    client.force_login(superuser)
    client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    client.post(
        reverse("admin:otp_static_staticdevice_changelist"),
        {"action": "delete_selected", "_selected_action": [codes.pk], "post": "yes"},
    )
    assert not TOTPDevice.objects.filter(user=auditor).exists()
    assert not StaticDevice.objects.filter(user=auditor).exists()
    resets = events(AuditAction.OTP_RESET)
    assert [(e.user, e.object_id, e.detail["device"]) for e in resets] == [
        (superuser, auditor.pk, "authenticator"),
        (superuser, auditor.pk, "recovery"),
    ]


# ------------------------------------------------------------------------------ tokens


def test_issuing_and_revoking_a_token_on_the_command_line_is_recorded_without_the_key(
    inspector, capsys
):
    call_command("api_token", "issue", "inspector")
    key = capsys.readouterr().out.strip()
    call_command("api_token", "issue", "inspector")
    call_command("api_token", "revoke", "inspector")
    call_command("api_token", "revoke", "inspector")  # nothing left: nothing recorded
    issued = events(AuditAction.TOKEN_ISSUED)
    revoked = events(AuditAction.TOKEN_REVOKED)
    assert [(e.user, e.object_id, e.detail.get("replaced")) for e in issued] == [
        (None, inspector.pk, None),
        (None, inspector.pk, True),
    ]
    assert [(e.detail["owner"], e.detail["via"]) for e in revoked] == [("inspector", "command")]
    assert key not in json.dumps([e.detail for e in events()]) + "".join(
        e.summary for e in events()
    )


def test_a_token_added_and_deleted_in_the_admin_is_issued_and_revoked_in_the_admins_name(
    client, superuser, inspector
):
    client.force_login(superuser)
    client.post(reverse("admin:authtoken_tokenproxy_add"), {"user": inspector.pk})
    assert Token.objects.filter(user=inspector).exists()
    # DRF's token admin addresses a token by its user's id.
    client.post(reverse("admin:authtoken_tokenproxy_delete", args=[inspector.pk]), {"post": "yes"})
    assert not Token.objects.filter(user=inspector).exists()
    assert [(e.action, e.user, e.detail["via"]) for e in events() if e.detail.get("via")] == [
        (AuditAction.TOKEN_ISSUED, superuser, "admin"),
        (AuditAction.TOKEN_REVOKED, superuser, "admin"),
    ]


# ---------------------------------------------------------------------------- evidence


def test_an_upload_on_the_page_is_recorded_about_its_record_and_facility(client, inspector, media):
    inspection = InspectionFactory()
    client.force_login(inspector)
    client.post(
        reverse("inspection-evidence", args=[inspection.pk]), {"file": upload("随货同行单.pdf")}
    )
    evidence = Evidence.objects.get()
    (event,) = events(AuditAction.EVIDENCE_UPLOADED)
    assert (event.user, event.content_type.model, event.object_id) == (
        inspector,
        "inspection",
        inspection.pk,
    )
    assert event.facility_id == inspection.facility_id
    assert event.detail["evidence"] == evidence.pk and event.summary == "随货同行单.pdf"


def test_an_upload_whose_event_cannot_be_written_keeps_no_file_row(
    client, inspector, media, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("the audit table is unavailable")

    monkeypatch.setattr("supervision.evidence_files.record_event", broken)
    inspection = InspectionFactory()
    client.force_login(inspector)
    client.raise_request_exception = False
    response = client.post(reverse("inspection-evidence", args=[inspection.pk]), {"file": upload()})
    assert response.status_code == 500
    assert not Evidence.objects.exists()  # the same transaction: no upload without its event
    assert stored_files(media) == []  # nor its file


def test_downloads_on_the_page_and_through_the_api_and_an_api_upload_are_recorded(
    client, auditor, supervisor, media
):
    referral = ReferralFactory()
    client_for(supervisor).post(
        f"/api/referrals/{referral.pk}/evidence/",
        {"file": upload("移送函.pdf")},
        format="multipart",
    )
    evidence = Evidence.objects.get()
    client.force_login(auditor)
    b"".join(client.get(reverse("evidence-download", args=[evidence.pk])).streaming_content)
    client_for(auditor).get(f"/api/evidence/{evidence.pk}/download/")
    assert [(e.action, e.user) for e in events() if e.content_type_id] == [
        (AuditAction.EVIDENCE_UPLOADED, supervisor),
        (AuditAction.EVIDENCE_DOWNLOADED, auditor),
        (AuditAction.EVIDENCE_DOWNLOADED, auditor),
    ]
    # A referral's file concerns the facility of the referral's inspection.
    assert {e.facility_id for e in events() if e.content_type_id} == {
        referral.inspection.facility_id
    }


def test_a_download_refused_to_someone_who_may_not_see_it_records_nothing(client, outsider, media):
    inspection = InspectionFactory()
    evidence = services.attach_evidence(inspection, upload(), user=None)
    client.force_login(outsider)
    assert client.get(reverse("evidence-download", args=[evidence.pk])).status_code == 404
    assert events(AuditAction.EVIDENCE_DOWNLOADED) == []


# ------------------------------------------------------------------------------ exports


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_an_export_records_who_which_list_which_filter_how_many_rows_and_the_format(
    client, auditor, export
):
    FacilityFactory.create_batch(3, kind="pharmacy")
    FacilityFactory(kind="hospital")
    client.force_login(auditor)
    response = client.get(reverse("facility-list"), {"kind": "pharmacy", "export": export})
    if export == "csv":
        assert events(AuditAction.EXPORT) == []  # not before the file is complete
        b"".join(response.streaming_content)
    (event,) = events(AuditAction.EXPORT)
    assert event.user == auditor
    assert {k: event.detail[k] for k in ("list", "format", "rows", "query")} == {
        "list": "facilities",
        "format": export,
        "rows": 3,
        "query": "kind=pharmacy",
    }


def test_an_export_of_the_audit_log_is_itself_recorded(client, auditor):
    client.force_login(auditor)
    response = client.get(URL, {"action": [AuditAction.SIGN_IN], "export": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    (event,) = events(AuditAction.EXPORT)
    assert (event.detail["list"], event.detail["rows"]) == ("audit", len(lines) - 1) == ("audit", 1)
    assert event.detail["query"] == "action=sign_in"


# ---------------------------------------------------------------------------- read-only


def test_an_event_can_be_neither_changed_nor_deleted(inspector):
    event = record_event(AuditAction.SIGN_IN, user=inspector)
    event.summary = "改过"
    with pytest.raises(ReadOnlyRecord):
        event.save()
    with pytest.raises(ReadOnlyRecord):
        event.delete()
    with pytest.raises(ReadOnlyRecord):
        AuditEvent.objects.filter(pk=event.pk).update(summary="改过")
    with pytest.raises(ReadOnlyRecord):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().summary == ""


def test_the_admin_shows_events_to_superusers_and_lets_nobody_add_change_or_delete(
    client, superuser, inspector
):
    event = record_event(AuditAction.SIGN_IN, user=inspector)
    client.force_login(superuser)
    assert client.get(reverse("admin:supervision_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:supervision_auditevent_add")).status_code == 403
    change = client.get(reverse("admin:supervision_auditevent_change", args=[event.pk]))
    assert change.status_code == 200 and 'name="_save"' not in html_of(change)
    delete = reverse("admin:supervision_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_district_limited_superuser_sees_only_its_districts_events_in_the_admin(
    client, superuser, inspector
):
    UserDistrict.objects.create(user=superuser, district="540103")
    mine = InspectionFactory(facility__district="540103")
    theirs = InspectionFactory(facility__district="540102")
    kept = record_event(AuditAction.EVIDENCE_DOWNLOADED, user=inspector, record=mine)
    hidden = record_event(AuditAction.EVIDENCE_DOWNLOADED, user=inspector, record=theirs)
    others_sign_in = record_event(AuditAction.SIGN_IN, user=inspector)
    client.force_login(superuser)
    shown = set(
        client.get(reverse("admin:supervision_auditevent_changelist")).context["cl"].result_list
    )
    assert kept in shown and not {hidden, others_sign_in} & shown
    assert AuditEvent.objects.get(action=AuditAction.SIGN_IN, user=superuser) in shown


def test_a_deleted_accounts_events_keep_its_username(client, auditor):
    gone = UserFactory(username="departed")
    record_event(AuditAction.SIGN_IN, user=gone)
    gone.delete()
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN, username="departed")
    assert event.user is None
    client.force_login(auditor)
    response = client.get(URL, {"action": [AuditAction.SIGN_IN]})
    assert ("sign_in", "departed") in listed_events(response)
    assert "departed" in html_of(response)


# ------------------------------------------------------------------------------- the log


def test_the_log_lists_events_with_the_changes_newest_first(client, auditor, inspector):
    facility = FacilityFactory(name="示例事件医院")
    sign_in(client, "nobody", "wrong-password")
    client.force_login(auditor)
    response = client.get(URL)
    kinds = [item.entry.kind for item in response.context["entries"]]
    assert kinds == ["sign_in", "sign_in_failed", "+"]
    assert response.context["entries"][2].record == facility
    html = html_of(response)
    assert "登录失败" in html and "nobody" in html and ADDRESS in html


def test_who_may_see_events_is_who_may_audit(client, inspector):
    record_event(AuditAction.SIGN_IN, user=inspector)
    client.force_login(inspector)
    assert client.get(URL).status_code == 403


def test_a_district_limited_auditor_sees_its_districts_events_and_its_own_only(
    client, supervisor, media
):
    limited = UserFactory(username="limited", role=AUDITOR)
    UserDistrict.objects.create(user=limited, district="540103")
    mine = InspectionFactory(facility__district="540103")
    theirs = InspectionFactory(facility__district="540102")
    for inspection in (mine, theirs):
        evidence = services.attach_evidence(inspection, upload(), user=supervisor)
        record_event(
            AuditAction.EVIDENCE_UPLOADED,
            user=supervisor,
            record=inspection,
            detail={"evidence": evidence.pk},
        )
    record_event(AuditAction.SIGN_IN, user=supervisor)
    client.force_login(limited)
    seen = [
        (item.event.action, item.record_id)
        for item in client.get(URL).context["entries"]
        if item.event is not None
    ]
    assert seen == [("sign_in", None), ("evidence_uploaded", mine.pk)]
    assert all(
        item.event.user == limited
        for item in client.get(URL).context["entries"]
        if item.event is not None and item.event.action == "sign_in"
    )


def test_a_page_costs_the_same_queries_for_few_events_and_for_many(client, auditor, media):
    inspection = InspectionFactory()
    evidence = services.attach_evidence(inspection, upload(), user=None)
    client.force_login(auditor)

    def some_events() -> None:
        record_event(AuditAction.SIGN_IN_FAILED, username="x")
        record_event(
            AuditAction.EVIDENCE_DOWNLOADED,
            user=auditor,
            record=inspection,
            detail={"evidence": evidence.pk},
        )
        record_event(AuditAction.TOKEN_ISSUED, record=auditor)

    some_events()
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(20):
        some_events()
        InspectionFactory()
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(response.context["entries"]) == 50
    assert {item.entry.kind for item in response.context["entries"]} >= {
        "sign_in_failed",
        "evidence_downloaded",
        "token_issued",
        "+",
    }
    assert len(many) == len(few)


def test_the_csv_export_includes_the_events(client, auditor):
    sign_in(client, "=cmd|' /C calc'!A0", "wrong-password")
    client.force_login(auditor)
    response = client.get(URL, {"action": [AuditAction.SIGN_IN_FAILED], "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 2
    assert "登录失败" in lines[1] and "'=cmd|' /C calc'!A0" in lines[1]
    assert f"地址：{ADDRESS}" in lines[1]


# ------------------------------------------------------------------ one save, one entry


def test_recording_an_inspection_is_one_entry_in_the_log_with_its_links(
    client, auditor, supervisor
):
    facility = FacilityFactory()
    inspectors = InspectorFactory.create_batch(2)
    inspection = services.record_inspection(
        facility=facility,
        kind=InspectionKind.JOINT,
        start_date=datetime.date(2025, 3, 10),
        inspectors=inspectors,
        user=supervisor,
        partner_agencies=["police"],
        violations=["forged_delivery_notes"],
    )
    assert inspection.history.count() == 4  # the row, then one per many-to-many field
    client.force_login(auditor)
    response = client.get(URL, {"record_type": ["inspection"], "record_id": inspection.pk})
    (entry,) = response.context["entries"]
    assert entry.entry.kind == "+" and entry.entry.user == supervisor
    changes = {change.name: change.new for change in entry.entry.changes}
    assert changes["partner_agencies"] == "公安机关"
    assert changes["violations"] == "伪造变造随货同行单"
    assert all(str(i) in changes["inspectors"] for i in inspectors)
    assert changes["kind"] == "联合检查"


def test_an_edit_that_also_changes_the_links_is_one_entry_old_to_new(client, auditor, supervisor):
    inspection = InspectionFactory(findings="旧发现")
    before = set(inspection.inspectors.all())
    newcomer = InspectorFactory()
    inspection._history_user = supervisor
    inspection.findings = "新发现"
    inspection.save()
    inspection.inspectors.add(newcomer)  # the same save's links: the same version
    client.force_login(auditor)
    response = client.get(URL, {"record_type": ["inspection"], "action": ["~"]})
    (entry,) = response.context["entries"]
    changes = {change.name: (change.old, change.new) for change in entry.entry.changes}
    assert changes["findings"] == ("旧发现", "新发现")
    old, new = changes["inspectors"]
    assert str(newcomer) in new and str(newcomer) not in old
    assert all(str(i) in old for i in before)
    assert Inspection.history.model.objects.filter(id=inspection.pk).count() > 2


def test_links_changed_later_by_someone_else_are_an_entry_of_their_own(
    client, auditor, supervisor, inspector
):
    inspection = InspectionFactory()  # by the system
    inspection._history_user = supervisor
    inspection.inspectors.add(InspectorFactory())  # no save: the same version, another user
    client.force_login(auditor)
    response = client.get(URL, {"record_type": ["inspection"]})
    entries = response.context["entries"]
    assert [(item.entry.kind, item.entry.user) for item in entries] == [
        ("~", supervisor),
        ("+", None),
    ]
    assert len(entries[1].entry.changes) > 1 and "inspectors" in {
        change.name for change in entries[0].entry.changes
    }


def test_the_record_filter_shows_each_save_of_an_inspection_once(client, auditor):
    inspection = InspectionFactory()
    inspection.findings = "第二次保存"
    inspection.save()
    client.force_login(auditor)
    response = client.get(URL, {"record_type": ["inspection"], "record_id": inspection.pk})
    assert [item.entry.kind for item in response.context["entries"]] == ["~", "+"]
    assert response.context["paginator"].count == 2
