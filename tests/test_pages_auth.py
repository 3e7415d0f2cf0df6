"""Signing in and out, changing the password, and who may open which page at all."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import FacilityFactory, UserFactory

PASSWORD = "correct-horse-battery-staple"  # UserFactory's

# Every page of this area: name → URL args (a facility's pk where one is needed).
PAGES = {
    "dashboard": False,
    "facility-list": False,
    "facility-create": False,
    "facility-detail": True,
    "facility-edit": True,
    "facility-grade": True,
    "practitioner-list": False,
    "practitioner-register": False,
    "password_change": False,
}


def url_of(name: str, facility) -> str:
    return reverse(name, args=[facility.pk] if PAGES[name] else [])


@pytest.fixture
def facility(db):
    return FacilityFactory()


@pytest.mark.parametrize("name", PAGES)
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, facility, name):
    url = url_of(name, facility)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("name", [n for n in PAGES if n != "password_change"])
def test_a_signed_in_user_without_a_role_is_refused_every_page(client, outsider, facility, name):
    client.force_login(outsider)
    response = client.get(url_of(name, facility))
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_the_login_page_is_in_chinese(client, db):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "登录" in html and "用户名" in html and "密码" in html


def test_signing_in_lands_on_my_work(client, inspector):
    # An inspector needs no second factor (tests/test_two_factor.py has the supervisors').
    response = client.post(
        reverse("login"), {"username": "inspector", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("my-work")
    assert "我的待办" in response.content.decode()
    assert response.context["user"] == inspector


def test_signing_in_returns_to_the_page_asked_for(client, supervisor, facility):
    wanted = reverse("facility-detail", args=[facility.pk])
    response = client.post(
        f"{reverse('login')}?next={wanted}",
        {"username": "supervisor", "password": PASSWORD, "next": wanted},
    )
    assert response.url == wanted


def test_a_wrong_password_is_refused_in_chinese(client, supervisor):
    response = client.post(reverse("login"), {"username": "supervisor", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_out_ends_the_session(client, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("logout"))
    assert response.url == reverse("login")
    assert client.get(reverse("dashboard")).status_code == 302


def test_every_page_offers_sign_out_and_password_change(client, inspector):
    client.force_login(inspector)
    html = client.get(reverse("dashboard")).content.decode()
    assert f'action="{reverse("logout")}"' in html
    assert reverse("password_change") in html


def change_password(client, user, new: str):
    client.force_login(user)
    return client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )


def test_a_too_short_password_is_refused_in_chinese(client, inspector):
    response = change_password(client, inspector, "Kx9#short")
    assert response.status_code == 200
    assert "密码太短，至少需要12个字符" in response.content.decode()
    inspector.refresh_from_db()
    assert inspector.check_password(PASSWORD)


def test_a_common_password_is_refused_in_chinese(client, inspector):
    common = "administrator"
    with pytest.raises(ValidationError):  # the premise: it is in Django's list
        CommonPasswordValidator().validate(common)
    response = change_password(client, inspector, common)
    assert "这个密码太常见了" in response.content.decode()
    inspector.refresh_from_db()
    assert inspector.check_password(PASSWORD)


def test_a_good_new_password_is_saved_and_the_user_stays_signed_in(client, db):
    user = UserFactory(username="clerk", role="inspector")
    response = change_password(client, user, "Lhasa-Plateau-2025!")
    assert response.url == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("Lhasa-Plateau-2025!")
    assert client.get(reverse("dashboard")).status_code == 200
