"""Load the 2024 demo data into an empty database and create one demo account per role."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from supervision.models import Facility
from supervision.roles import AUDITOR, INSPECTOR, SUPERVISOR

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
        self.stdout.write("")
        self.stdout.write("Demo accounts (DEBUG only) — http://127.0.0.1:8000/admin/")
        for username, _role, password, label in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<11} {password:<24} {label}")
        self.stdout.write("")
