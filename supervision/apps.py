from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("医保基金监管")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Sign-ins, failures, lockouts and sign-outs become audit events.
        from django.contrib.auth.models import User
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import m2m_changed

        from supervision.scoping import forget_groups
        from supervision.services.audit_events import connect_signals
        from supervision.sessions import touched_at_sign_in

        connect_signals()
        # A user object whose roles change reads them again (scoping.group_names caches them).
        m2m_changed.connect(forget_groups, sender=User.groups.through)
        # Signing in saves the session: the minute before it needs saving again starts then.
        user_logged_in.connect(touched_at_sign_in)
