"""The reminder settings (提醒设置) of the signed-in person: which kinds of due item come in the
product and by e-mail, and whether the daily e-mail comes (services.reminders.save_preference)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from supervision.forms.fields import MULTI_ERRORS
from supervision.models import ReminderPreference
from supervision.services import due_items


class ReminderSettingsForm(forms.Form):
    in_app = forms.MultipleChoiceField(
        label=_("站内提醒的事项"),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=MULTI_ERRORS,
        help_text=_("勾选的事项到期前和逾期时，在“我的提醒”中提醒您。"),
    )
    by_email = forms.MultipleChoiceField(
        label=_("邮件提醒的事项"),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=MULTI_ERRORS,
        help_text=_("勾选的事项列入每日待办邮件。"),
    )
    email_digest = forms.BooleanField(
        label=_("接收每日待办邮件"),
        required=False,
        help_text=_("每个工作日早上一封，列出您逾期和即将到期的事项；没有待办时不发送。"),
    )

    def __init__(self, *args: Any, preference: ReminderPreference, email: str, **kwargs: Any):
        kinds = [kind for kind, _label in due_items.kind_choices()]
        kwargs["initial"] = {
            "in_app": [kind for kind in kinds if kind not in preference.muted_in_app],
            "by_email": [kind for kind in kinds if kind not in preference.muted_by_email],
            "email_digest": preference.email_digest,
            **(kwargs.get("initial") or {}),
        }
        super().__init__(*args, **kwargs)
        self.fields["in_app"].choices = due_items.kind_choices()
        self.fields["by_email"].choices = due_items.kind_choices()
        if not email:
            self.fields["email_digest"].help_text = _(
                "您的账号没有登记电子邮箱，收不到邮件；请联系系统管理员登记。"
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("email_digest") and "by_email" in cleaned and not cleaned["by_email"]:
            self.add_error(
                "by_email",
                _("已选择接收每日待办邮件，请至少勾选一类邮件提醒的事项，或不接收每日邮件。"),
            )
        return cleaned
