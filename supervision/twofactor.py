"""Two-factor sign-in: a code from an authenticator app (TOTP, django-otp) after the password,
with ten single-use recovery codes for a lost phone.

Required for supervisors and superusers (they change grades, sanction facilities, manage
accounts); available to everyone, and whoever has enrolled is asked for it too. The policy is
enforced before every page, the admin included, by supervision.middleware.SecondFactorMiddleware.
API token clients are exempt: a token is a credential of its own, issued and revoked by an
administrator.
"""

from __future__ import annotations

import math
import re
from base64 import b32encode

import segno
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.models import Device, VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from supervision.roles import SUPERVISOR
from supervision.scoping import group_names
from supervision.security import logger

RECOVERY_CODES = 10
AUTHENTICATOR = "authenticator"  # the TOTP device's name
RECOVERY = "recovery"  # the static device holding the recovery codes

_TOTP_CODE = re.compile(r"\d{6}")


def second_factor_required(user: AbstractBaseUser) -> bool:
    """Supervisors and superusers must pass a second factor (their roles, read once a request)."""
    return bool(user.is_superuser or SUPERVISOR in group_names(user))


def has_authenticator(user: AbstractBaseUser) -> bool:
    """Whether user has enrolled an authenticator app (one query)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_expected(user: AbstractBaseUser) -> bool:
    """Whether a signed-in session of user must pass the second factor before any page."""
    return second_factor_required(user) or has_authenticator(user)


def is_verified(user: AbstractBaseUser) -> bool:
    """Whether this request's session passed the second factor (set by django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def pending_authenticator(user: AbstractBaseUser) -> TOTPDevice:
    """The authenticator being enrolled: the same key until it is confirmed, so the QR code
    does not change while the user types the first code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def secret(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app by hand."""
    text = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code, drawn on the server (no script, no CDN)."""
    # A viewBox and no fixed size: the style sheet sizes it; a quiet zone of 4 modules.
    return segno.make(uri, error="m").svg_inline(border=4, omitsize=True, title="otpauth")


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


@transaction.atomic
def confirm_authenticator(request: HttpRequest, device: TOTPDevice, code: str) -> bool:
    """Confirm a pending authenticator with its first code: it replaces any earlier one, and this
    session counts as verified. False when the code is wrong."""
    if device.confirmed or device.user_id != request.user.pk:
        return False
    if verify_token(request.user, device.persistent_id, _normalise(code)) is None:
        logger.warning("two-factor enrolment code refused: user=%s", request.user.username)
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
    _verified(request, device)
    return True


def _verified(request: HttpRequest, device: Device) -> None:
    """Mark the session as past the second factor under a new session key: a key seen before
    (planted, or read over a shoulder) does not carry the verification (session fixation). The
    session's data (e.g. the work kept from an expired session) stays."""
    otp_login(request, device)
    request.session.cycle_key()


@transaction.atomic
def new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    """Replace user's recovery codes with RECOVERY_CODES new ones, each usable once. The codes are
    shown once, by the caller; whoever asks again gets new ones."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _devices_for(user: AbstractBaseUser, code: str):
    """The devices a code is checked against: the app's for six digits, else the recovery codes."""
    if _TOTP_CODE.fullmatch(code):
        return TOTPDevice.objects.filter(user=user, confirmed=True)
    return StaticDevice.objects.filter(user=user, confirmed=True)


def wait_seconds(user: AbstractBaseUser, code: str) -> int:
    """Seconds before a code of this kind may be tried (0: now). After each wrong code django-otp
    refuses every code, the right one too, for 1, 2, 4 … seconds."""
    for device in _devices_for(user, _normalise(code)):
        allowed, info = device.verify_is_allowed()
        if not allowed and (info or {}).get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
            left = (info["locked_until"] - timezone.now()).total_seconds()
            return max(1, math.ceil(left))
    return 0


def verify(request: HttpRequest, code: str) -> Device | None:
    """Check a code from the app (six digits) or a recovery code (used up by this) against the
    user's devices; on success this session counts as verified. None: refused (wrong, reused, or
    too many recent failures: django-otp waits longer after each)."""
    user = request.user
    code = _normalise(code)
    for device in _devices_for(user, code):
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            _verified(request, verified)
            return verified
    logger.warning("two-factor code refused: user=%s", user.username)
    return None
