"""The signed-in account's security: two-factor enrolment and verification, recovery codes, and
the page shown when too many wrong passwords locked a sign-in (django-axes)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from supervision import twofactor
from supervision.forms.account import CodeForm
from supervision.middleware import redirect_to
from supervision.security import client_ip, logger


def _next_url(request: HttpRequest) -> str:
    """Where to go once verified: ?next= when it is a page of this site, else the overview."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse(settings.LOGIN_REDIRECT_URL)


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
        if form.is_valid() and twofactor.confirm_authenticator(
            request, device, form.cleaned_data["code"]
        ):
            codes = twofactor.new_recovery_codes(request.user)
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
        if form.is_valid():
            device = twofactor.verify(request, form.cleaned_data["code"])
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
        codes = twofactor.new_recovery_codes(request.user)
        logger.info("recovery codes replaced: user=%s", request.user.username)
        return render(
            request,
            "registration/recovery_codes.html",
            {"codes": codes, "next": reverse("two-factor-setup"), "enrolled": False},
        )


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
