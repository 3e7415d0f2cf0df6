"""Load the 2024 demo data into an empty database and create one demo account per role.

The 2024 data is the fixture (fixtures/lhasa_2024.json), with the 2024 indicator systems and the
announced 2024 credit evaluation; the tips of 2025–2026 that follow it are written through the
services by the demo accounts (DEMO_TIPS below), so that every step has its history row with the
account and the reason, as staff would have left it. Then the 2025 credit evaluation of the
medical institutions is opened and scored from the facts (load_demo_credit), so that a cycle in
progress shows the two police referrals of 2025 as vetoes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from supervision.choices import (
    CreditCategoryCode,
    CycleStatus,
    District,
    PaymentMethod,
    ReplyMethod,
    TipChannel,
    TipConclusion,
    TipSubject,
    Violation,
)
from supervision.codes import resident_id_check_char
from supervision.management.commands._demo_practitioners import load_demo_practitioners
from supervision.management.commands._demo_publication import load_demo_publication
from supervision.models import (
    EvaluationCycle,
    Facility,
    IndicatorSystem,
    Inspection,
    Inspector,
    Tip,
)
from supervision.roles import AUDITOR, CREDIT_EVALUATOR, INSPECTOR, SUPERVISOR, TIP_DESK
from supervision.services import evaluation, tip_rewards, tips
from supervision.services.inspections import complete_inspection, edit_inspection
from supervision.services.tips import ReporterDetails
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
    ("tipdesk", TIP_DESK, "Demo-tipdesk-2024!", "举报受理（看得到举报人）"),
    ("evaluator", CREDIT_EVALUATOR, "Demo-evaluator-2024!", "信用评价员"),
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
        loaded = False
        if Facility.objects.exists():
            self.stdout.write("Demo data: already present, left as it is.")
        else:
            loaded = True
            # loaddata writes history only for M2M sets; load quietly, then give every row one
            # initial history record.
            with override_settings(SIMPLE_HISTORY_ENABLED=False):
                call_command("loaddata", "lhasa_2024", verbosity=0)
            # The fixture's cases get their numbers before their first history record.
            call_command("number_cases", verbosity=0)
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
        if loaded:
            with transaction.atomic():
                count = load_demo_tips(
                    User.objects.get(username="tipdesk"), User.objects.get(username="supervisor")
                )
            self.stdout.write(f"Demo data: {count} tips (2025–2026), written by the demo tip desk.")
        with transaction.atomic():
            cycle = load_demo_credit(User.objects.get(username="supervisor"))
        if cycle is not None:
            self.stdout.write(
                f"Demo data: the {cycle.year} credit evaluation of medical institutions, opened "
                f"and scored from the facts ({cycle.figures.get('vetoed', 0)} vetoed)."
            )
        with transaction.atomic():
            people = load_demo_practitioners(
                User.objects.get(username="supervisor"), timezone.localdate()
            )
        if people:
            self.stdout.write(
                f"Demo data: {people} practitioners registered, with points from the inspections."
            )
        with transaction.atomic():
            published = load_demo_publication(
                User.objects.get(username="supervisor"),
                User.objects.get(username="admin"),
                timezone.localdate(),
            )
        if published:
            self.stdout.write(
                "Demo data: the 2024 grades, the D grades' sanctions, a random-check plan and a "
                "typical case published (the public pages: /public/)."
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


# Demo credit evaluation ---------------------------------------------------------------------
#
# The fixture holds the 2024 indicator systems of the 8 categories and the announced 2024 cycles
# of categories 1–3. For 2025 the systems of categories 1–3 are copied (unchanged) and the
# evaluation of the medical institutions is opened at the start of 2026 and scored from the 2025
# facts: the two referrals to the police for forged delivery notes (2025) are vetoes there, the
# facilities graded D, while evaluators have yet to score the manual indicators.

DEMO_CREDIT_YEAR = 2025
DEMO_CREDIT_CATEGORIES = (
    CreditCategoryCode.MEDICAL_INSTITUTION,
    CreditCategoryCode.RETAIL_PHARMACY,
    CreditCategoryCode.INSURER,
)


def load_demo_credit(
    supervisor: User, today: datetime.date | None = None
) -> EvaluationCycle | None:
    """Copy the 2024 systems of categories 1–3 to 2025 and open and score the 2025 evaluation of
    the medical institutions, whatever of it is not there yet. Returns the cycle when this run
    scored it; None when it was there already, or the data or the year's end are missing."""
    today = today or timezone.localdate()
    year = DEMO_CREDIT_YEAR
    if today.year <= year:
        return None  # the year has not ended: it cannot be evaluated yet
    sources = IndicatorSystem.objects.filter(
        year=year - 1, category_id__in=DEMO_CREDIT_CATEGORIES
    ).order_by("category__number")
    if not sources.exists():
        return None  # data loaded before the credit systems existed
    for system in sources:
        if not IndicatorSystem.objects.filter(category_id=system.category_id, year=year).exists():
            evaluation.copy_system(system, year=year, user=supervisor)
    category = CreditCategoryCode.MEDICAL_INSTITUTION
    cycle = EvaluationCycle.objects.filter(category_id=category, year=year).first()
    if cycle is None:
        opened_on = min(datetime.date(year + 1, 1, 5), today)
        cycle = evaluation.open_cycle(
            category=category,
            year=year,
            user=supervisor,
            opened_on=opened_on,
            self_assessment_due=max(datetime.date(year + 1, 1, 23), opened_on),
        )
    if cycle.status != CycleStatus.SELF_ASSESSMENT:
        return None
    evaluation.score_cycle(cycle, user=supervisor)
    return EvaluationCycle.objects.get(pk=cycle.pk)


# Demo tips ------------------------------------------------------------------------------------
#
# A few dozen tips of 2025–2026, written through the services (so each step has its history row,
# with the account and the reason) by the demo tip desk, with a supervisor's approvals. Among them
# the two that led to the delivery-note (随货同行单) cases referred to the police: the fixture's
# joint inspections 38 and 40 (seeds/lhasa_2024.toml [[generator.referral_cases]]). Facilities,
# inspections and inspectors are the fixture's, by primary key. The reporters are visibly
# fictional: 示例举报人…, phones 138000000xx, test ID numbers (valid check digit), 示例 addresses.
# A tip whose last step falls after today (a clock set back) is left out.

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张"
NUMERALS = "一二三四五六七八九十"
FORGED = Violation.FORGED_DELIVERY_NOTES
FALSE_CLAIMS = Violation.FALSE_CLAIMS
SUBSTITUTION = Violation.SUBSTITUTION


def demo_reporter(n: int) -> ReporterDetails:
    """The n-th fictional reporter (n ≥ 1)."""
    first17 = f"54010219900101{n:03d}"
    return ReporterDetails(
        name=f"示例举报人{SURNAMES[n % len(SURNAMES)]}{NUMERALS[n % len(NUMERALS)]}",
        phone=f"138000000{n:02d}",
        id_number=first17 + resident_id_check_char(first17),
        address=f"示例市示例路{n}号",
    )


@dataclass(frozen=True)
class DemoTip:
    """One tip and the steps it went through; `reporter` None: anonymous."""

    received: str
    channel: str
    allegation: str
    facility: int | None = None
    subject: tuple[str, str, str] | None = None  # kind, name, district: not in the registry
    violations: tuple[str, ...] = ()
    alleged: str | None = None
    reporter: int | None = None
    wants_reply: bool = True
    steps: tuple[tuple, ...] = ()

    def last_day(self) -> datetime.date:
        days = [datetime.date.fromisoformat(self.received[:10])]
        days += [s for step in self.steps for s in step if isinstance(s, datetime.date)]
        return max(days)


D = datetime.date
NOT_IN_SCOPE = "举报事项不属于医保基金监管范围，已告知向有关部门反映。"
# DECLINED_REPLY: a declined tip cannot be replied to yet (the model's check
# tip_concluded_has_conclusion wants a conclusion on every replied tip), so the declined demo tips
# whose reporter was told in person are recorded as not asking for a written reply.
DEMO_TIPS: tuple[DemoTip, ...] = (
    # The two delivery-note cases referred to the police.
    DemoTip(
        "2025-03-06 09:40",
        TipChannel.CITY_HOTLINE,
        "示例：举报人称该医院药品耗材的随货同行单有涂改，供货单位、数量与实际不符，"
        "怀疑虚增进货套取医保基金。",
        facility=45,
        violations=(FORGED,),
        alleged="50000",
        reporter=1,
        steps=(
            ("link", D(2025, 3, 10), 38),
            ("conclude", D(2025, 3, 28)),
            (
                "reply",
                D(2025, 3, 31),
                ReplyMethod.PHONE,
                "已电话告知：举报属实，案件已移送公安机关。",
            ),
            ("close", D(2025, 4, 3)),
            ("reward", D(2025, 4, 8), D(2025, 4, 10), D(2025, 4, 25)),
        ),
    ),
    DemoTip(
        "2025-04-01 15:10",
        TipChannel.NATIONAL_HOTLINE,
        "示例：举报该诊所用伪造的随货同行单虚构藏药进货，再以虚构的诊疗项目结算医保基金。",
        facility=119,
        violations=(FORGED, FALSE_CLAIMS),
        reporter=2,
        steps=(
            ("link", D(2025, 4, 7), 40),
            ("conclude", D(2025, 4, 25)),
            (
                "reply",
                D(2025, 4, 28),
                ReplyMethod.LETTER,
                "已书面告知：举报属实，案件已移送公安机关。",
            ),
            ("close", D(2025, 4, 30)),
            # Approved, never claimed: expired after the claim period.
            ("reward", D(2025, 5, 6), D(2025, 5, 9), None),
        ),
    ),
    # A duplicate of the first, two days later.
    DemoTip(
        "2025-03-08 11:05",
        TipChannel.NATIONAL_HOTLINE,
        "示例：反映该医院随货同行单造假。",
        facility=45,
        reporter=3,
        steps=(("merge", 0),),
    ),
    # Tips behind other inspections of the fixture.
    DemoTip(
        "2025-01-20 18:30",
        TipChannel.WECHAT,
        "示例：该医院把自费的种植牙项目串换成医保项目结算。",
        facility=45,
        violations=(SUBSTITUTION,),
        steps=(
            ("link", D(2025, 1, 24), 36),
            ("conclude", D(2025, 2, 14)),
            ("close", D(2025, 2, 17)),
        ),
    ),
    DemoTip(
        "2025-03-12 10:00",
        TipChannel.PORTAL,
        "示例：该药店用医保卡为顾客购买日用品。",
        facility=52,
        reporter=4,
        steps=(
            ("link", D(2025, 3, 17), 39),
            ("conclude", D(2025, 3, 28)),
            ("reply", D(2025, 3, 31), ReplyMethod.ONLINE, "经现场检查，未发现举报所述问题。"),
            ("close", D(2025, 4, 1)),
        ),
    ),
    DemoTip(
        "2025-04-22 09:15",
        TipChannel.LETTER,
        "示例：该诊所虚构藏医外治项目，按人头套刷医保卡。",
        facility=61,
        violations=(FALSE_CLAIMS,),
        alleged="60000",
        reporter=5,
        steps=(
            ("link", D(2025, 4, 28), 42),
            ("extend", D(2025, 6, 6), 20, "需调取外省供货企业的购销记录。"),
        ),
    ),
    DemoTip(
        "2025-05-20 16:45",
        TipChannel.WECHAT,
        "示例：该药房店员代刷他人医保卡购药。",
        facility=146,
        reporter=6,
        steps=(("link", D(2025, 5, 23), 45),),
    ),
    # Declined.
    DemoTip(
        "2025-02-11 10:30",
        TipChannel.LETTER,
        "示例：某保健品店宣称其产品可用医保报销。",
        subject=(TipSubject.BUSINESS, "示例某某保健品店", District.CHENGGUAN),
        wants_reply=False,  # see DECLINED_REPLY
        reporter=7,
        steps=(
            ("decline", D(2025, 2, 14), NOT_IN_SCOPE),
            ("close", D(2025, 2, 18)),
        ),
    ),
    DemoTip(
        "2025-06-16 14:20",
        TipChannel.VISIT,
        "示例：反映该超市药品价格偏高。",
        facility=95,
        wants_reply=False,  # see DECLINED_REPLY
        reporter=8,
        steps=(
            ("decline", D(2025, 6, 19), "举报内容为药品价格问题，已转价格主管部门。"),
            ("close", D(2025, 6, 20)),
        ),
    ),
    DemoTip(
        "2025-11-03 22:10",
        TipChannel.WECHAT,
        "示例：听说该超市有人套现。",
        facility=42,
        steps=(
            ("decline", D(2025, 11, 5), "举报内容缺乏具体线索，无法核查。"),
            ("close", D(2025, 11, 6)),
        ),
    ),
    DemoTip(
        "2025-10-20 09:50",
        TipChannel.CITY_HOTLINE,
        "示例：反映该超市服务态度差。",
        facility=73,
        wants_reply=False,  # see DECLINED_REPLY
        reporter=9,
        steps=(
            ("decline", D(2025, 10, 22), NOT_IN_SCOPE),
            ("close", D(2025, 10, 24)),
        ),
    ),
    DemoTip(
        "2026-03-09 11:35",
        TipChannel.PORTAL,
        "示例：反映某医生开大处方。",
        subject=(TipSubject.PRACTITIONER, "示例医生某某", District.DOILUNGDEQEN),
        wants_reply=False,  # see DECLINED_REPLY
        reporter=10,
        steps=(
            ("decline", D(2026, 3, 12), "举报内容缺乏具体线索，无法核查，已请举报人补充材料。"),
        ),
    ),
    # Investigated through a new inspection.
    DemoTip(
        "2025-07-14 10:05",
        TipChannel.REGION_HOTLINE,
        "示例：该医院挂床住院，患者白天不在病房。",
        facility=18,
        violations=(FALSE_CLAIMS,),
        reporter=11,
        steps=(
            ("investigate", D(2025, 7, 17), D(2025, 7, 22)),
            (
                "find",
                D(2025, 7, 24),
                (FALSE_CLAIMS,),
                "86400.00",
                "抽查住院病历，多名患者住院期间不在床，虚记住院天数。",
            ),
            ("conclude", D(2025, 8, 15)),
            ("reply", D(2025, 8, 18), ReplyMethod.PHONE, "已电话告知：举报属实，已追回违规费用。"),
            ("close", D(2025, 8, 20)),
        ),
    ),
    DemoTip(
        "2025-09-25 21:40",
        TipChannel.NATIONAL_HOTLINE,
        "示例：该医院诱导老年人住院体检。",
        facility=23,
        reporter=12,
        steps=(
            ("investigate", D(2025, 10, 9), D(2025, 10, 13)),
            ("find", D(2025, 10, 15), (), "0.00", "抽查住院病历和费用清单，未发现举报所述问题。"),
            ("conclude", D(2025, 11, 5)),
            ("reply", D(2025, 11, 6), ReplyMethod.SMS, "经核查，未发现举报所述问题。"),
            ("close", D(2025, 11, 7)),
        ),
    ),
    DemoTip(
        "2025-12-30 16:00",
        TipChannel.CITY_HOTLINE,
        "示例：该药店让顾客用医保卡购买生活用品。",
        facility=14,
        steps=(
            ("investigate", D(2026, 1, 7), D(2026, 1, 8)),
            ("find", D(2026, 1, 9), (SUBSTITUTION,), "3260.50", "查实串换药品结算。"),
            ("conclude", D(2026, 1, 20)),
            ("close", D(2026, 1, 21)),
        ),
    ),
    DemoTip(
        "2026-02-24 13:25",
        TipChannel.REGION_HOTLINE,
        "示例：该诊所虚开理疗项目。",
        facility=32,
        steps=(
            ("investigate", D(2026, 2, 27), D(2026, 3, 3)),
            ("find", D(2026, 3, 4), (), "0.00", "未发现举报所述问题。"),
            ("conclude", D(2026, 3, 20)),
        ),
    ),
    DemoTip(
        "2026-04-14 09:00",
        TipChannel.NATIONAL_HOTLINE,
        "示例：该药店虚构处方药销售记录。",
        facility=13,
        violations=(FALSE_CLAIMS,),
        alleged="30000",
        reporter=13,
        steps=(
            ("investigate", D(2026, 4, 17), D(2026, 4, 21)),
            (
                "find",
                D(2026, 4, 23),
                (FALSE_CLAIMS,),
                "15800.00",
                "部分处方无医师签名，查实部分违规。",
            ),
            ("conclude_as", D(2026, 5, 15), TipConclusion.PARTLY, "15800.00"),
            ("reply", D(2026, 5, 18), ReplyMethod.PHONE, "已电话告知：举报部分属实。"),
            ("close", D(2026, 5, 19)),
        ),
    ),
    DemoTip(
        "2026-06-22 10:10",
        TipChannel.TRANSFER,
        "示例：市场监管部门转来线索：该超市药品进销存账实不符。",
        facility=26,
        wants_reply=False,
        reporter=None,
        steps=(
            ("investigate", D(2026, 6, 24), D(2026, 6, 29)),
            ("find", D(2026, 7, 2), (Violation.MANAGEMENT_FAILURE,), "5200.00", "进销存管理混乱。"),
            ("conclude", D(2026, 7, 10)),
            ("close", D(2026, 7, 13)),
        ),
    ),
    # Substantiated, reward approved and waiting to be claimed.
    DemoTip(
        "2026-08-20 15:30",
        TipChannel.PORTAL,
        "示例：该卫生院把自费药品串换成医保药品结算，并虚构诊疗服务。",
        facility=6,
        violations=(SUBSTITUTION, FALSE_CLAIMS),
        alleged="150000",
        reporter=14,
        steps=(
            ("investigate", D(2026, 8, 25), D(2026, 8, 27)),
            (
                "find",
                D(2026, 8, 28),
                (SUBSTITUTION, FALSE_CLAIMS),
                "126500.00",
                "查实串换药品、虚构诊疗服务。",
            ),
            ("conclude", D(2026, 9, 15)),
            (
                "reply",
                D(2026, 9, 17),
                ReplyMethod.PHONE,
                "已电话告知：举报属实，可按规定申领举报奖励。",
            ),
            ("reward", D(2026, 9, 22), D(2026, 10, 20), None),
        ),
    ),
    # Open: under investigation, accepted, received.
    DemoTip(
        "2026-07-20 17:05",
        TipChannel.WECHAT,
        "示例：该诊所医生借用他人医保卡开药。",
        facility=50,
        reporter=15,
        steps=(("accept", D(2026, 7, 23)),),
    ),
    DemoTip(
        "2026-09-08 10:40",
        TipChannel.PORTAL,
        "示例：该卫生院重复收取检查费。",
        facility=19,
        reporter=16,
        steps=(
            ("investigate", D(2026, 9, 11), D(2026, 9, 15)),
            ("extend", D(2026, 10, 20), 30, "需等待司法鉴定意见。"),
        ),
    ),
    DemoTip(
        "2026-10-26 12:00",
        TipChannel.WECHAT,
        "示例：该超市用医保卡卖保健品。",
        facility=11,
        reporter=17,
        steps=(("investigate", D(2026, 10, 29), D(2026, 11, 3)),),
    ),
    DemoTip(
        "2026-11-16 20:30",
        TipChannel.WECHAT,
        "示例：该超市医保卡刷保健品。",
        facility=11,
        steps=(("merge", -1),),
    ),
    DemoTip(
        "2026-11-13 09:20",
        TipChannel.NATIONAL_HOTLINE,
        "示例：该卫生院虚记住院天数。",
        facility=2,
        reporter=18,
        steps=(("investigate", D(2026, 11, 19), D(2026, 11, 24)),),
    ),
    DemoTip(
        "2026-11-23 11:15",
        TipChannel.CITY_HOTLINE,
        "示例：某养生馆冒用定点机构名义为顾客刷医保卡。",
        subject=(TipSubject.BUSINESS, "示例某某养生馆", District.CHENGGUAN),
        reporter=19,
        steps=(("accept", D(2026, 11, 26)),),
    ),
    DemoTip(
        "2026-11-18 10:00",
        TipChannel.LETTER,
        "示例：该超市药师不在岗，由营业员代签处方。",
        facility=56,
        reporter=20,
    ),
    DemoTip(
        "2026-11-27 16:20",
        TipChannel.CITY_HOTLINE,
        "示例：该药房以返现诱导参保人刷卡。",
        facility=35,
        reporter=21,
    ),
    DemoTip(
        "2026-11-30 09:05",
        TipChannel.NATIONAL_HOTLINE,
        "示例：该口腔诊所把自费项目按医保项目结算。",
        facility=84,
    ),
    DemoTip(
        "2026-12-01 20:15",
        TipChannel.WECHAT,
        "示例：有人冒用已故参保人的医保卡购药。",
        subject=(TipSubject.INSURED, "示例参保人某某", District.MAIZHOKUNGGAR),
        reporter=22,
    ),
    DemoTip(
        "2025-08-05 15:00",
        TipChannel.VISIT,
        "示例：该药房夜间无药师值班。",
        facility=41,
        wants_reply=False,  # see DECLINED_REPLY
        reporter=23,
        steps=(
            ("decline", D(2025, 8, 7), "已转药品监督管理部门处理。"),
            ("close", D(2025, 8, 8)),
        ),
    ),
)


def load_demo_tips(desk: User, supervisor: User, today: datetime.date | None = None) -> int:
    """Write DEMO_TIPS through the services; returns how many were written."""
    today = today or timezone.localdate()
    written: list[Tip | None] = []
    inspectors = list(Inspector.objects.order_by("pk")[:8])
    for index, demo in enumerate(DEMO_TIPS):
        if demo.last_day() > today:
            written.append(None)
            continue
        received = datetime.datetime.fromisoformat(demo.received).replace(
            tzinfo=timezone.get_default_timezone()
        )
        kind, name, district = demo.subject or (TipSubject.FACILITY, "", "")
        tip = tips.register_tip(
            channel=demo.channel,
            received_at=received,
            allegation=demo.allegation,
            user=desk,
            district=district,
            facility=Facility.objects.get(pk=demo.facility) if demo.facility else None,
            subject_kind=kind,
            subject_name=name,
            violations=demo.violations,
            amount_alleged=Decimal(demo.alleged) if demo.alleged else None,
            anonymous=demo.reporter is None,
            wants_reply=demo.wants_reply and demo.reporter is not None,
            reporter=demo_reporter(demo.reporter) if demo.reporter else None,
        )
        crew = [inspectors[index % 8], inspectors[(index + 3) % 8]]
        for step in demo.steps:
            tip = run_step(tip, step, desk=desk, supervisor=supervisor, crew=crew, written=written)
        written.append(tip)
    tip_rewards.expire_rewards(today, user=None)
    return sum(1 for tip in written if tip is not None)


def run_step(tip: Tip, step: tuple, *, desk: User, supervisor: User, crew, written) -> Tip:
    """One step of a demo tip, by the account that would take it."""
    action, *args = step
    if action == "accept":
        return tips.accept_tip(tip, on=args[0], user=desk, inspection_kind=None)
    if action == "investigate":
        return tips.accept_tip(tip, on=args[0], user=desk, inspectors=crew, start_date=args[1])
    if action == "link":
        tip = tips.accept_tip(tip, on=args[0], user=desk, inspection_kind=None)
        inspection = Inspection.objects.get(pk=args[1])
        return tips.open_inspection(tip, user=desk, inspection=inspection)
    if action == "find":
        end, violations, amount, findings = args
        inspection = edit_inspection(
            tip.inspection,
            user=desk,
            changes={"violations": violations, "amount_involved": Decimal(amount)},
        )
        complete_inspection(inspection, end_date=end, user=desk, findings=findings)
        return Tip.objects.get(pk=tip.pk)
    if action == "conclude":
        derived = tips.derived_conclusion(Tip.objects.select_related("inspection").get(pk=tip.pk))
        return tips.conclude_tip(
            tip,
            conclusion=derived.conclusion,
            on=args[0],
            user=desk,
            note=derived.basis,
            verified_amount=derived.verified_amount,
        )
    if action == "conclude_as":
        return tips.conclude_tip(
            tip, conclusion=args[1], on=args[0], user=desk, verified_amount=Decimal(args[2])
        )
    if action == "decline":
        return tips.decline_tip(tip, on=args[0], reason=args[1], user=desk)
    if action == "merge":
        into = written[args[0]]
        if into is None:  # its master was left out
            return tip
        return tips.merge_tip(tip, into=into, user=desk, note="同一事项，并案处理。")
    if action == "extend":
        tips.extend_investigation(
            tip, working_days=args[1], reason=args[2], on=args[0], user=supervisor
        )
        return Tip.objects.get(pk=tip.pk)
    if action == "reply":
        return tips.reply_to_reporter(tip, on=args[0], method=args[1], note=args[2], user=desk)
    if action == "close":
        return tips.close_tip(tip, on=args[0], user=desk)
    if action == "reward":
        proposed, approved, paid = args
        reward = tip_rewards.propose_reward(tip, on=proposed, user=desk)
        reward = tip_rewards.decide_reward(reward, approve=True, on=approved, user=supervisor)
        if paid:
            tip_rewards.pay_reward(
                reward,
                on=paid,
                method=PaymentMethod.BANK,
                reference=f"示例凭证{paid:%Y%m%d}-{tip.pk:04d}",
                user=supervisor,
            )
        return tip
    raise ValueError(f"unknown demo step {action!r}")
