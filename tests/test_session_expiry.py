"""A session that ran out while someone typed: the POST saves nothing, the typed fields are kept
in the new session, and after signing in again (password, and the second factor for those who
use one) the same person is back on the form with what they typed, to check and submit. Nobody
else ever sees it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from supervision.choices import InspectionKind, InspectionStatus
from supervision.models import Evidence, Inspection
from supervision.views.base import TYPED_BY, TYPED_WORK, TYPED_WORK_MAX_CHARS
from tests.factories import PDF_BYTES, InspectionFactory, InspectorFactory, UserFactory
from tests.test_form_round_trip import form_on
from tests.test_two_factor import code_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"  # UserFactory's
TYPED = "现场核查：\n发现伪造随货同行单2张。"


@pytest.fixture
def browser() -> Client:
    """A client that checks CSRF tokens as the real site does."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def inspection(db) -> Inspection:
    return InspectionFactory(
        kind=InspectionKind.UNANNOUNCED,
        status=InspectionStatus.IN_PROGRESS,
        inspectors=InspectorFactory.create_batch(2),
        findings="原有发现",
    )


def sign_in(client: Client, user, next_url: str):
    login = client.get(f"{reverse('login')}?next={next_url}")
    data = form_on(login, reverse("login")).data(username=user.username, password=PASSWORD)
    return client.post(reverse("login"), data)


def expire_sessions() -> None:
    """The session ends on the server (its time ran out); the browser keeps its cookies."""
    Session.objects.all().delete()


def typed_then_expired(client: Client, user, url: str, **typed):
    """Open url signed in as user, let the session end, submit the form with typed values."""
    client.force_login(user)
    form = form_on(client.get(url), url)
    expire_sessions()
    return client.post(url, form.data(**typed))


def test_an_expired_post_saves_nothing_and_asks_to_sign_in_again(browser, inspector, inspection):
    url = reverse("inspection-complete", args=[inspection.pk])
    response = typed_then_expired(browser, inspector, url, findings=TYPED)
    assert response.status_code == 302  # not a CSRF 403: the token lives in a cookie
    assert response["Location"].startswith(f"{reverse('login')}?next=")
    inspection.refresh_from_db()
    assert (inspection.status, inspection.findings) == (InspectionStatus.IN_PROGRESS, "原有发现")
    page = browser.get(response["Location"]).content.decode()
    assert "您填写的内容已暂存，重新登录后将回到该表单" in page


def test_after_signing_in_the_form_is_back_with_what_was_typed_unsaved(
    browser, inspector, inspection
):
    url = reverse("inspection-complete", args=[inspection.pk])
    typed_then_expired(browser, inspector, url, findings=TYPED, end_date="2025-03-14")
    response = sign_in(browser, inspector, url)
    assert response["Location"] == url
    page = browser.get(url)
    shown = form_on(page, url).data()
    assert shown["findings"] == TYPED.replace("\n", "\r\n")
    assert shown["end_date"] == "2025-03-14"
    assert "请核对后再提交" in page.content.decode()
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.IN_PROGRESS  # shown, never submitted for them
    # Given back once: the next visit shows the record again.
    assert form_on(browser.get(url), url).data()["findings"] == "原有发现"
    assert TYPED_WORK not in browser.session


def test_submitting_the_restored_form_saves_what_was_typed(browser, inspector, inspection):
    url = reverse("inspection-complete", args=[inspection.pk])
    typed_then_expired(browser, inspector, url, findings=TYPED)
    sign_in(browser, inspector, url)
    response = browser.post(url, form_on(browser.get(url), url).data())
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.COMPLETED
    assert inspection.findings == TYPED


def test_a_supervisor_gets_the_work_back_after_the_second_factor(browser, supervisor, inspection):
    device = TOTPDevice.objects.create(user=supervisor, name="authenticator", confirmed=True)
    url = reverse("inspection-refer", args=[inspection.pk])
    typed_then_expired(browser, supervisor, url, summary="涉嫌伪造单据", agency="police")
    response = sign_in(browser, supervisor, url)
    verify = browser.get(response["Location"], follow=True)
    assert reverse("two-factor-verify") in verify.redirect_chain[-1][0]
    verify_url = reverse("two-factor-verify")
    data = form_on(verify, verify_url).data(code=code_of(device))
    done = browser.post(f"{verify_url}?next={url}", data)
    assert done["Location"] == url
    shown = form_on(browser.get(url), url).data()
    assert (shown["summary"], shown["agency"]) == ("涉嫌伪造单据", "police")


def test_someone_else_signing_in_on_that_browser_never_sees_it(browser, inspector, inspection):
    url = reverse("inspection-complete", args=[inspection.pk])
    typed_then_expired(browser, inspector, url, findings=TYPED)
    colleague = UserFactory(username="colleague", role="inspector")
    sign_in(browser, colleague, url)
    page = browser.get(url).content.decode()
    assert "发现伪造随货同行单2张" not in page
    assert "原有发现" in page
    assert TYPED_WORK not in browser.session  # and it is gone


def test_a_post_without_a_valid_signature_of_who_typed_is_not_kept(browser, inspector, inspection):
    url = reverse("inspection-complete", args=[inspection.pk])
    browser.force_login(inspector)
    data = form_on(browser.get(url), url).data(findings=TYPED)
    data[TYPED_BY] = data[TYPED_BY][:-2] + "xx"
    expire_sessions()
    response = browser.post(url, data)
    assert response.status_code == 302
    assert TYPED_WORK not in browser.session
    assert "请重新登录后再填写" in browser.get(response["Location"]).content.decode()


def test_work_larger_than_the_cap_is_not_kept(browser, inspector, inspection):
    url = reverse("inspection-complete", args=[inspection.pk])
    typed_then_expired(browser, inspector, url, findings="字" * (TYPED_WORK_MAX_CHARS + 1))
    assert TYPED_WORK not in browser.session


def test_a_chosen_file_cannot_be_kept_and_the_form_says_so(browser, inspector, inspection):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("inspection-evidence", args=[inspection.pk])
    pdf = SimpleUploadedFile("单据.pdf", PDF_BYTES, content_type="application/pdf")
    typed_then_expired(browser, inspector, url, description="随货同行单照片", file=pdf)
    assert not Evidence.objects.exists()
    sign_in(browser, inspector, url)
    page = browser.get(url)
    assert form_on(page, url).data()["description"] == "随货同行单照片"
    assert "选择的文件无法保留，请重新选择文件" in page.content.decode()


def test_the_csrf_token_is_kept_in_a_cookie_so_an_expired_post_is_not_a_403(settings):
    # CSRF_USE_SESSIONS would put the token in the session that ran out: the POST would be
    # refused before the form could keep anything.
    assert not getattr(settings, "CSRF_USE_SESSIONS", False)


# --- the warning before the end and "继续工作" -------------------------------------------------

KEEPALIVE = "/accounts/keepalive/"


def test_every_signed_in_page_carries_the_notice_with_the_session_length_and_the_script(
    client, inspector, settings
):
    client.force_login(inspector)
    html = client.get("/").content.decode()
    assert f'data-session-seconds="{settings.SESSION_COOKIE_AGE}"' in html
    assert 'id="session-notice" class="session-notice" role="alert" hidden' in html
    assert html.count("supervision/session.js") == 1
    assert "继续工作" in html


def test_the_sign_in_page_has_no_session_notice(client):
    assert "session-notice" not in client.get(reverse("login")).content.decode()


def test_keep_alive_extends_the_session_and_changes_nothing_else(client, inspector):
    client.force_login(inspector)
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + datetime.timedelta(minutes=1)
    )
    response = client.post(KEEPALIVE)
    assert response.status_code == 204
    expiry = Session.objects.get(session_key=key).expire_date
    assert expiry > timezone.now() + datetime.timedelta(minutes=29)


def test_keep_alive_extends_a_session_saved_a_moment_ago(client, inspector):
    client.force_login(inspector)
    client.get("/")  # saved now: a page would not save it again within the minute
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + datetime.timedelta(minutes=1)
    )
    assert client.post(KEEPALIVE).status_code == 204
    expiry = Session.objects.get(session_key=key).expire_date
    assert expiry > timezone.now() + datetime.timedelta(minutes=29)


def test_keep_alive_needs_the_csrf_token(inspector):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(inspector)
    assert browser.post(KEEPALIVE).status_code == 403
    html = browser.get("/").content.decode()
    token = re.search(r'data-csrf-token="([^"]+)"', html).group(1)
    assert browser.post(KEEPALIVE, {"csrfmiddlewaretoken": token}).status_code == 204


def test_keep_alive_after_the_end_says_so_and_opens_no_session(client, inspector):
    client.force_login(inspector)
    expire_sessions()
    response = client.post(KEEPALIVE)
    assert response.status_code == 401
    assert not Session.objects.exists() or "_auth_user_id" not in client.session


def test_keep_alive_is_a_post_only(client, inspector):
    client.force_login(inspector)
    assert client.get(KEEPALIVE).status_code == 405
