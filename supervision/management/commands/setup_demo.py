"""Load the 2024 demo data into an empty database and create one demo account per role."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from supervision.models import Facility
from supervision.roles import AUDITOR, INSPECTOR, SUPERVISOR
from supervision.twofactor import (
    AUTHENTICATOR,
    new_recovery_codes,
    second_factor_required,
    secret,
)

# Demo only: these accounts exist solely on a DEBUG install and their passwords are printed.
DEMO_ACCOUNTS = [
    ("admin", None, "Demo-admin-2024!", "系统管理员（超级用户）"),
    ("supervisor", SUPERVISOR, "Demo-supervisor-2024!", "科室负责人"),
    ("inspector", INSPECTOR, "Demo-inspector-2024!", "检查员"),
    ("auditor", AUDITOR, "Demo-auditor-2024!", "稽核"),
]


class Command(BaseCommand):
    help = "Load the 2024 demo data (first run only) and create the demo accounts (DEBUG only)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("setup_demo creates accounts with published passwords: DEBUG only.")
        if Facility.objects.exists():
            self.stdout.write("Demo data: already present, left as it is.")
        else:
            # loaddata writes history only for M2M sets; load quietly, then give every row one
            # initial history record.
            with override_settings(SIMPLE_HISTORY_ENABLED=False):
                call_command("loaddata", "lhasa_2024", verbosity=0)
            call_command("populate_history", auto=True, verbosity=0)
            self.stdout.write(f"Demo data: loaded {Facility.objects.count()} facilities (2024).")
        second_factors = {}
        with transaction.atomic():
            for username, role, password, _label in DEMO_ACCOUNTS:
                user, _ = User.objects.get_or_create(username=username)
                user.is_staff = True
                user.is_superuser = role is None
                user.is_active = True
                user.set_password(password)
                user.save()
                if role:
                    user.groups.set([Group.objects.get(name=role)])
                if second_factor_required(user):
                    second_factors[username] = self.demo_second_factor(user)
        self.stdout.write("")
        self.stdout.write("Demo accounts (DEBUG only) — http://127.0.0.1:8000/admin/")
        for username, _role, password, label in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<11} {password:<24} {label}")
        self.stdout.write("")
        self.stdout.write(
            "Two-factor sign-in (supervisor and admin): add the key to an authenticator app "
            "(or `oathtool --totp -b KEY`), or use one of the recovery codes, each once."
        )
        for username, (device, codes) in second_factors.items():
            self.stdout.write(f"  {username:<11} key {secret(device)}")
            self.stdout.write(f"  {'':<11} {device.config_url}")
            self.stdout.write(f"  {'':<11} recovery codes: {' '.join(codes)}")
        self.stdout.write("")

    def demo_second_factor(self, user: User) -> tuple[TOTPDevice, list[str]]:
        """A confirmed authenticator (kept across runs, so an app set up once keeps working) and
        ten fresh recovery codes."""
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=True)
        return device, new_recovery_codes(user)
