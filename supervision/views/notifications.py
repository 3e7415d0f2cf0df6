"""我的提醒 and 提醒设置: the signed-in person's own notifications (written by the daily run,
services.reminders) and their reminder settings. Every query goes through the person
(reminders.notifications_of, preference_of): no page takes another person's id."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, ListView

from supervision.forms.notifications import ReminderSettingsForm
from supervision.pagination import CappedCountPaginator, count_cap
from supervision.services import due_items, reminders


class NotificationListView(LoginRequiredMixin, ListView):
    """The person's notifications, newest first, unread ones marked."""

    template_name = "notifications/list.html"
    context_object_name = "notifications"
    paginate_by = 50

    def get_queryset(self) -> QuerySet:
        return reminders.notifications_of(self.request.user)

    def paginate_queryset(self, queryset, page_size):
        # A malformed or out-of-range page number shows the first/last page, not a 404.
        cap = count_cap(self.request.GET.get(self.page_kwarg, 1), page_size)
        paginator = CappedCountPaginator(queryset, page_size, cap=cap)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        labels = dict(due_items.kind_choices())
        for note in context["notifications"]:
            note.label = labels.get(note.kind, note.kind)
        context["unread"] = reminders.unread_count(self.request.user)
        return context


class MarkAllReadView(LoginRequiredMixin, View):
    """全部标为已读 (POST only)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        count = reminders.mark_all_read(request.user)
        if count:
            text = ngettext(
                "已将 %(count)d 条提醒标为已读。", "已将 %(count)d 条提醒标为已读。", count
            )
            messages.success(request, text % {"count": count})
        return HttpResponseRedirect(reverse("notification-list"))


class ReminderSettingsView(LoginRequiredMixin, FormView):
    """提醒设置: per kind, in the product and by e-mail; the daily e-mail on or off."""

    template_name = "notifications/settings.html"
    form_class = ReminderSettingsForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["preference"] = reminders.preference_of(self.request.user)
        kwargs["email"] = self.request.user.email
        return kwargs

    def form_valid(self, form: ReminderSettingsForm) -> HttpResponse:
        reminders.save_preference(
            self.request.user,
            in_app=form.cleaned_data["in_app"],
            by_email=form.cleaned_data["by_email"],
            email_digest=form.cleaned_data["email_digest"],
        )
        messages.success(self.request, _("提醒设置已保存。"))
        return HttpResponseRedirect(reverse("notification-settings"))


urlpatterns = [
    path("", NotificationListView.as_view(), name="notification-list"),
    path("read/", MarkAllReadView.as_view(), name="notification-mark-read"),
    path("settings/", ReminderSettingsView.as_view(), name="notification-settings"),
]
