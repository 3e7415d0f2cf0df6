"""Load the 2024 demo data into an empty database and create one demo account per role."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from supervision.models import Facility
from supervision.roles import AUDITOR, INSPECTOR, SUPERVISOR
from supervision.twofactor import (
    AUTHENTICATOR,
    RECOVERY,
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

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--address",
            default="127.0.0.1:8000",
            help="HOST:PORT the server will listen on (make run passes its own), for the address "
            "printed at the end.",
        )
        parser.add_argument(
            "--new-recovery-codes",
            action="store_true",
            help="Replace the demo accounts' recovery codes with ten new ones (otherwise the "
            "unused ones are kept and printed again).",
        )

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
                    second_factors[username] = self.demo_second_factor(
                        user, new_codes=options["new_recovery_codes"]
                    )
        self.stdout.write("")
        url = site_url(options["address"])
        self.stdout.write(f"Demo accounts (DEBUG only); the admin is at {url}admin/")
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
        self.stdout.write(
            "  Recovery codes are kept across runs until used; new ones for both: "
            "python manage.py setup_demo --new-recovery-codes"
        )
        self.stdout.write("")
        # Last, where it is seen: the server's start-up lines follow.
        self.stdout.write(self.style.SUCCESS(f"打开 {url}  (open it in a browser and sign in)"))
        self.stdout.write("")

    def demo_second_factor(self, user: User, *, new_codes: bool) -> tuple[TOTPDevice, list[str]]:
        """A confirmed authenticator and the unused recovery codes, both kept across runs (an app
        set up once keeps working, codes written down yesterday still work); ten new codes the
        first time, once all are used, or when asked."""
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=True)
        unused = list(
            StaticToken.objects.filter(
                device__user=user, device__name=RECOVERY, device__confirmed=True
            )
            .order_by("id")
            .values_list("token", flat=True)
        )
        if new_codes or not unused:
            return device, new_recovery_codes(user)
        return device, unused


def site_url(address: str) -> str:
    """The address to open for a server listening on HOST:PORT (or PORT): a server on every
    interface (0.0.0.0, ::) is opened on this machine's own."""
    host, _sep, port = address.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::", "0"):  # noqa: S104 (a comparison, not a bind)
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"
