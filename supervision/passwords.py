"""Password rules with messages in the interface's language."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with a message that is translated.

    Django 5.2 changed the message's msgid ("%d" for "%(min_length)d") and its Chinese catalog
    still has the old one, so a too-short password was refused in English.
    """

    def get_error_message(self) -> str:
        return _("密码太短，至少需要%(min_length)d个字符。") % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return _("密码至少需要%(min_length)d个字符。") % {"min_length": self.min_length}
