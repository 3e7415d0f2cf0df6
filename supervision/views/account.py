"""The signed-in account's security: two-factor enrolment and verification, recovery codes, and
the page shown when too many wrong passwords locked a sign-in (django-axes)."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.http import require_POST

from supervision import sessions, twofactor
from supervision.choices import AuditAction
from supervision.forms.account import CodeForm
from supervision.middleware import redirect_to
from supervision.security import client_ip, logger
from supervision.services.audit_events import record_event


def _next_url(request: HttpRequest) -> str:
    """Where to go once verified: ?next= when it is a page of this site, else the overview."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse(settings.LOGIN_REDIRECT_URL)


class SignInView(LoginView):
    """The password step. After a wrong password it says how many more lock the sign-in, and for
    how long (django-axes counts them; the lock itself is its locked_out page)."""

    redirect_authenticated_user = True
    lock_warning = ""

    def form_invalid(self, form: Any) -> HttpResponse:
        username = (form.data.get("username") or "").strip()
        if username:
            credentials = {"username": username}
            failures = AxesProxyHandler.get_failures(self.request, credentials)
            left = get_failure_limit(self.request, credentials) - failures
            if failures and left > 0:
                minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
                self.lock_warning = ngettext(
                    "再输错%(n)d次将锁定%(m)d分钟。", "再输错%(n)d次将锁定%(m)d分钟。", left
                ) % {
                    "n": left,
                    "m": minutes,
                }
        return super().form_invalid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(lock_warning=self.lock_warning, **kwargs)


class TwoFactorSetupView(LoginRequiredMixin, View):
    """Enrol an authenticator app: a QR code (and the key as text) and the first code it shows.

    Once confirmed, the session is verified and ten recovery codes are shown, once. An account
    that already has an authenticator must pass it first before replacing it: a stolen password
    alone never enrols a new phone.
    """

    template_name = "registration/two_factor_setup.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (
            request.user.is_authenticated
            and twofactor.has_authenticator(request.user)
            and not twofactor.is_verified(request.user)
        ):
            return redirect_to("two-factor-verify", reverse("two-factor-setup"))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        enrolled = twofactor.has_authenticator(request.user)
        if enrolled and "replace" not in request.GET:
            return render(request, "registration/two_factor_status.html", self.status())
        return self.enrolment(request, CodeForm(label=_("验证器显示的6位验证码")))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CodeForm(request.POST, label=_("验证器显示的6位验证码"))
        device = twofactor.pending_authenticator(request.user)
        with transaction.atomic():  # the new authenticator, its codes and the audit event
            confirmed = form.is_valid() and twofactor.confirm_authenticator(
                request, device, form.cleaned_data["code"]
            )
            if confirmed:
                codes = twofactor.new_recovery_codes(request.user)
                record_event(AuditAction.OTP_ENROLLED, user=request.user, request=request)
        if confirmed:
            logger.info("two-factor enrolled: user=%s", request.user.username)
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "enrolled": True},
            )
        if form.is_valid():
            form.add_error("code", _("验证码不正确，请核对手机时间后输入验证器当前显示的验证码。"))
        return self.enrolment(request, form)

    def enrolment(self, request: HttpRequest, form: CodeForm) -> HttpResponse:
        device = twofactor.pending_authenticator(request.user)
        uri = device.config_url
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "qr_svg": twofactor.qr_svg(uri),
                "otpauth_uri": uri,
                "secret": twofactor.secret(device),
                "required": twofactor.second_factor_required(request.user),
                "next": _next_url(request),
            },
        )

    def status(self) -> dict[str, Any]:
        return {
            "codes_left": twofactor.recovery_codes_left(self.request.user),
            "required": twofactor.second_factor_required(self.request.user),
        }


class TwoFactorVerifyView(LoginRequiredMixin, View):
    """The step after the password: a code from the app, or one recovery code (used up)."""

    template_name = "registration/two_factor_verify.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not twofactor.has_authenticator(request.user):
            return redirect_to("two-factor-setup", _next_url(request))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if twofactor.is_verified(request.user):
            return HttpResponseRedirect(_next_url(request))
        return self.page(request, CodeForm(label=_("验证码")))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CodeForm(request.POST, label=_("验证码"))
        wait = twofactor.wait_seconds(request.user, form.data.get("code", ""))
        if form.is_valid() and wait:
            # Refused before it is checked: saying "wrong code" would send them to their phone.
            form.add_error("code", _("尝试过于频繁，请等待%(n)d秒后再试。") % {"n": wait})
        elif form.is_valid():
            device = twofactor.verify(request, form.cleaned_data["code"])
            record_event(
                AuditAction.OTP_VERIFIED if device is not None else AuditAction.OTP_REFUSED,
                user=request.user,
                request=request,
                detail={"method": device.name} if device is not None else {},
            )
            if device is not None:
                if device.name == twofactor.RECOVERY:
                    left = twofactor.recovery_codes_left(request.user)
                    messages.warning(
                        request,
                        _("您使用了一个恢复码，还剩%(n)d个。手机丢失时请尽快更换验证器。")
                        % {"n": left},
                    )
                return HttpResponseRedirect(_next_url(request))
            form.add_error(
                "code",
                _("验证码不正确或已使用。多次输错后需等待一段时间才能再试。"),
            )
        return self.page(request, form)

    def page(self, request: HttpRequest, form: CodeForm) -> HttpResponse:
        return render(request, self.template_name, {"form": form, "next": _next_url(request)})


class RecoveryCodesView(LoginRequiredMixin, View):
    """POST: replace the recovery codes with ten new ones and show them, once."""

    def post(self, request: HttpRequest) -> HttpResponse:
        if not twofactor.is_verified(request.user):
            return HttpResponseRedirect(reverse("two-factor-verify"))
        with transaction.atomic():
            codes = twofactor.new_recovery_codes(request.user)
            record_event(AuditAction.RECOVERY_CODES, user=request.user, request=request)
        logger.info("recovery codes replaced: user=%s", request.user.username)
        return render(
            request,
            "registration/recovery_codes.html",
            {"codes": codes, "next": reverse("two-factor-setup"), "enrolled": False},
        )


@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """The "继续工作" button (static/supervision/session.js): a request of a signed-in user, which
    extends the session (however recently it was) and does nothing else. 204; 401 once the
    session has ended."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": _("登录已超时，请重新登录。")}, status=401)
    sessions.touch(request.session, force=True)
    return HttpResponse(status=204)


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """django-axes' answer to a sign-in from a locked username and address: a page (429)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    logger.warning("sign-in locked out: username=%s address=%s", username, client_ip(request))
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


urlpatterns = [
    path("", TwoFactorSetupView.as_view(), name="two-factor-setup"),
    path("verify/", TwoFactorVerifyView.as_view(), name="two-factor-verify"),
    path("recovery-codes/", RecoveryCodesView.as_view(), name="two-factor-recovery-codes"),
]
