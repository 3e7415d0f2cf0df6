"""Issue or revoke a user's API token: `api_token issue USERNAME`, `api_token revoke USERNAME`.

A user has at most one token. Issuing replaces any earlier one (the old key stops working at
once) and prints the new key, which is shown nowhere else but the admin. Administrators can do
the same in the admin under 认证令牌 (Tokens).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token

from supervision.choices import AuditAction
from supervision.services.audit_events import record_token_event


class Command(BaseCommand):
    help = "Issue (print) or revoke the API token of a user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["issue", "revoke"])
        parser.add_argument("username")

    def handle(self, *args, action: str, username: str, **options) -> None:
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        if action == "revoke":
            with transaction.atomic():
                deleted, _ = Token.objects.filter(user=user).delete()
                if deleted:
                    record_token_event(AuditAction.TOKEN_REVOKED, user, via="command")
            message = "Token revoked." if deleted else "The user had no token."
            self.stderr.write(f"{username}: {message}")
            return
        if not user.is_active:
            raise CommandError(f"{username!r} is inactive: no token is issued to it.")
        with transaction.atomic():
            replaced, _ = Token.objects.filter(user=user).delete()
            token = Token.objects.create(user=user)
            record_token_event(
                AuditAction.TOKEN_ISSUED, user, via="command", replaced=bool(replaced)
            )
        if replaced:
            self.stderr.write(f"{username}: the previous token no longer works.")
        self.stdout.write(token.key)
