"""One factory per model; traits for the states tests need."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

import factory
from django.apps import apps as django_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.management import create_contenttypes

from supervision.choices import (
    Agency,
    District,
    EvidenceType,
    FacilityKind,
    Grade,
    InspectionKind,
    InspectionStatus,
    Ownership,
    Profession,
    ReferralStatus,
    RewardStatus,
    SanctionKind,
    TipChannel,
    TipConclusion,
    TipStatus,
    TipSubject,
)
from supervision.codes import credit_code_check_char
from supervision.models import (
    CalendarDay,
    CalendarYear,
    CreditRating,
    Evidence,
    Facility,
    GradePublication,
    Hotline,
    Inspection,
    Inspector,
    Practitioner,
    PractitionerIdentity,
    RandomCheckPlan,
    RatingChange,
    Referral,
    Registration,
    Sanction,
    Tip,
    TipExtension,
    TipReporter,
    TipReward,
    TypicalCase,
    UserDistrict,
)
from supervision.roles import ROLE_PERMISSIONS


def make_credit_code(n: int, prefix: str = "91", division: str = "540102") -> str:
    """A valid unified social credit code, different for every n."""
    first17 = f"{prefix}{division}{n:09d}"
    return first17 + credit_code_check_char(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery-staple")
    is_staff = True

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs) -> None:
        if create and extracted:
            # A transactional test (live_server, PostgreSQL locking) flushes the tables the
            # data migration filled: give the group its role's permissions whatever ran before.
            # After a serialized-rollback test the flush does not even recreate the permission
            # rows (post_migrate is held back), so they are made again here when missing.
            group, _ = Group.objects.get_or_create(name=extracted)
            codenames = ROLE_PERMISSIONS[extracted]
            granted = Permission.objects.filter(
                content_type__app_label="supervision", codename__in=codenames
            )
            if granted.count() < len(set(codenames)):
                config = django_apps.get_app_config("supervision")
                create_contenttypes(config, verbosity=0)
                create_permissions(config, verbosity=0)
            group.permissions.set(granted.all())
            self.groups.add(group)


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    name = factory.Sequence(lambda n: f"示例测试医院{n:04d}")
    kind = FacilityKind.HOSPITAL
    ownership = Ownership.PUBLIC
    district = District.CHENGGUAN
    credit_code = factory.Sequence(lambda n: make_credit_code(n))
    insurance_code = factory.LazyAttributeSequence(
        lambda o, n: (
            ""
            if o.kind == FacilityKind.INSURER
            else f"{FacilityKind(o.kind).insurance_code_letter}{o.district}{n % 100000:05d}"
        )
    )
    deposit = Decimal("100000.00")

    class Params:
        pharmacy = factory.Trait(
            kind=FacilityKind.PHARMACY,
            ownership=Ownership.PRIVATE,
            name=factory.Sequence(lambda n: f"示例测试药店{n:04d}"),
        )
        clinic = factory.Trait(kind=FacilityKind.CLINIC, ownership=Ownership.PRIVATE)
        insurer = factory.Trait(kind=FacilityKind.INSURER, ownership=Ownership.PRIVATE, deposit=0)


class CreditRatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditRating

    facility = factory.SubFactory(FacilityFactory)
    year = 2024
    grade = Grade.B


class RatingChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RatingChange

    rating = factory.SubFactory(CreditRatingFactory)
    from_grade = ""
    to_grade = factory.SelfAttribute("rating.grade")
    reason = "年度信用评价"


class InspectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspector

    name = factory.Sequence(lambda n: f"检查员{n}")
    badge_number = factory.Sequence(lambda n: f"ZF5401{n:06d}")


class InspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspection
        skip_postgeneration_save = True

    facility = factory.SubFactory(FacilityFactory)
    kind = InspectionKind.ROUTINE
    status = InspectionStatus.IN_PROGRESS
    start_date = datetime.date(2025, 3, 10)

    @factory.post_generation
    def inspectors(self, create: bool, extracted: list[Inspector] | None, **kwargs) -> None:
        if create:
            self.inspectors.set(
                extracted if extracted is not None else InspectorFactory.create_batch(2)
            )

    class Params:
        completed = factory.Trait(
            status=InspectionStatus.COMPLETED, end_date=datetime.date(2025, 3, 12)
        )


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    inspection = factory.SubFactory(InspectionFactory, completed=True)
    agency = Agency.POLICE
    status = ReferralStatus.REFERRED
    referred_on = datetime.date(2025, 3, 20)
    summary = "伪造、变造随货同行单，涉嫌骗取医保基金。"


class SanctionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sanction

    facility = factory.SubFactory(FacilityFactory)
    kind = SanctionKind.WARNING
    decided_on = datetime.date(2025, 3, 25)
    note = "约谈并责令改正。"

    class Params:
        suspension = factory.Trait(
            kind=SanctionKind.SUSPENSION,
            starts_on=datetime.date(2025, 4, 1),
            ends_on=datetime.date(2025, 5, 31),
            note="",
        )
        termination = factory.Trait(
            kind=SanctionKind.TERMINATION, starts_on=datetime.date(2025, 6, 1), note=""
        )
        fine = factory.Trait(kind=SanctionKind.FINE, amount=Decimal("5000.00"), note="")


# The smallest files of each accepted type the content check recognises (not valid images).
PDF_BYTES = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"


class EvidenceFactory(factory.django.DjangoModelFactory):
    """A PDF on an inspection; written to MEDIA_ROOT (tests point it at a temporary folder)."""

    class Meta:
        model = Evidence

    inspection = factory.SubFactory(InspectionFactory)
    content_type = EvidenceType.PDF
    file = factory.django.FileField(filename="upload.pdf", data=PDF_BYTES)
    original_name = "随货同行单.pdf"
    size = len(PDF_BYTES)
    sha256 = hashlib.sha256(PDF_BYTES).hexdigest()
    description = "随货同行单照片"


class UserDistrictFactory(factory.django.DjangoModelFactory):
    """A district an account is limited to (supervision.scoping)."""

    class Meta:
        model = UserDistrict

    user = factory.SubFactory(UserFactory)
    district = District.CHENGGUAN


# A valid resident ID number (GB 11643): region 540102, born 1980-01-01, check character computed.
REPORTER_ID = "540102198001011234"[:17]


def _resident_id(first17: str) -> str:
    from supervision.codes import resident_id_check_char

    return first17 + resident_id_check_char(first17)


class TipFactory(factory.django.DjangoModelFactory):
    """A tip received by the national hotline about a registered facility, not yet decided;
    traits for each later state (dates in 2025, a year the calendar knows)."""

    class Meta:
        model = Tip
        skip_postgeneration_save = True

    channel = TipChannel.NATIONAL_HOTLINE
    received_at = factory.LazyFunction(
        lambda: datetime.datetime(
            2025, 3, 3, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
        )
    )
    facility = factory.SubFactory(FacilityFactory)
    district = factory.LazyAttribute(
        lambda tip: tip.facility.district if tip.facility else District.CHENGGUAN
    )
    subject_kind = TipSubject.FACILITY
    allegation = "示例举报：该机构涉嫌伪造随货同行单，虚构药品进销存。"
    status = TipStatus.RECEIVED
    clock = "acceptance"
    due_on = datetime.date(2025, 3, 10)
    acceptance_due = datetime.date(2025, 3, 10)

    class Params:
        declined = factory.Trait(
            status=TipStatus.NOT_ACCEPTED,
            decided_on=datetime.date(2025, 3, 5),
            decision_note="举报内容不属于医保基金监管范围。",
            clock="",
            due_on=None,
        )
        investigating = factory.Trait(
            status=TipStatus.INVESTIGATING,
            decided_on=datetime.date(2025, 3, 5),
            inspection=factory.SubFactory(
                InspectionFactory, facility=factory.SelfAttribute("..facility")
            ),
            clock="investigation",
            due_on=datetime.date(2025, 4, 17),
        )
        concluded = factory.Trait(
            status=TipStatus.CONCLUDED,
            decided_on=datetime.date(2025, 3, 5),
            inspection=factory.SubFactory(
                InspectionFactory, facility=factory.SelfAttribute("..facility"), completed=True
            ),
            conclusion=TipConclusion.SUBSTANTIATED,
            concluded_on=datetime.date(2025, 3, 20),
            verified_amount=Decimal("50000.00"),
            clock="",
            due_on=None,
        )
        closed = factory.Trait(
            status=TipStatus.CLOSED,
            decided_on=datetime.date(2025, 3, 5),
            decision_note="举报内容不属于医保基金监管范围。",
            closed_on=datetime.date(2025, 3, 6),
            wants_reply=False,
            clock="",
            due_on=None,
        )
        unregistered = factory.Trait(
            facility=None, subject_kind=TipSubject.BUSINESS, subject_name="示例某某保健品店"
        )

    @factory.post_generation
    def violations(self, create: bool, extracted: list | None, **kwargs) -> None:
        if create and extracted:
            self.violations.set(extracted)


class TipReporterFactory(factory.django.DjangoModelFactory):
    """A named reporter (fictional: 示例 in the name, a test ID number)."""

    class Meta:
        model = TipReporter

    tip = factory.SubFactory(TipFactory)
    name = "示例举报人张三"
    phone = "13800000000"
    id_number = factory.LazyFunction(lambda: _resident_id(REPORTER_ID))
    address = "示例市示例路1号"


class TipExtensionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TipExtension

    tip = factory.SubFactory(TipFactory, investigating=True)
    working_days = 10
    reason = "需调取外省购销记录。"
    granted_on = datetime.date(2025, 3, 20)


class TipRewardFactory(factory.django.DjangoModelFactory):
    """A proposed reward for a substantiated tip."""

    class Meta:
        model = TipReward

    tip = factory.SubFactory(TipFactory, concluded=True)
    verified_amount = Decimal("50000.00")
    share = Decimal("0.0200")
    amount = Decimal("1000.00")
    proposed_on = datetime.date(2025, 3, 25)
    status = RewardStatus.PROPOSED

    class Params:
        approved = factory.Trait(
            status=RewardStatus.APPROVED,
            decided_on=datetime.date(2025, 3, 26),
            claim_by=datetime.date(2025, 6, 24),
        )
        paid = factory.Trait(
            status=RewardStatus.PAID,
            decided_on=datetime.date(2025, 3, 26),
            claim_by=datetime.date(2025, 6, 24),
            paid_on=datetime.date(2025, 4, 2),
            method="bank",
            reference="示例凭证0001",
        )


class CalendarYearFactory(factory.django.DjangoModelFactory):
    """A year's schedule entered by an administrator (2027: a year the library does not know)."""

    class Meta:
        model = CalendarYear
        django_get_or_create = ("year",)

    year = 2027
    notice = "示例国办发明电〔2026〕1号"
    published_on = datetime.date(2026, 11, 20)


class CalendarDayFactory(factory.django.DjangoModelFactory):
    """A day off on a weekday (2027-01-01, a Friday: New Year's Day)."""

    class Meta:
        model = CalendarDay
        django_get_or_create = ("day",)

    day = datetime.date(2027, 1, 1)
    is_workday = False
    name = "元旦"


class HotlineFactory(factory.django.DjangoModelFactory):
    """A published channel (the migration adds the five real ones; this updates one)."""

    class Meta:
        model = Hotline
        django_get_or_create = ("channel",)

    channel = TipChannel.CITY_HOTLINE
    name = "示例市医保举报电话"
    contact = "0891-0000000"
    published = True


# --- The annual evaluation (年度信用评价): systems, cycles, assessments, objections --------------

from supervision.choices import CreditCategoryCode, CycleStatus  # noqa: E402
from supervision.models import (  # noqa: E402
    Assessment,
    CreditCategory,
    EvaluationCycle,
    IndicatorSystem,
    Objection,
)


class IndicatorSystemFactory(factory.django.DjangoModelFactory):
    """An empty system (no dimensions): enough for a cycle row; tests/credit_support.py
    build_system() makes a usable one."""

    class Meta:
        model = IndicatorSystem
        django_get_or_create = ("category", "year")

    category = factory.LazyFunction(
        lambda: CreditCategory.objects.get(pk=CreditCategoryCode.MEDICAL_INSTITUTION)
    )
    year = 2024
    name = factory.LazyAttribute(lambda o: f"{o.year}年度测试指标体系")


class EvaluationCycleFactory(factory.django.DjangoModelFactory):
    """A cycle at its first step, written directly (no subjects): for lists and counts. Walk a
    real one with supervision.services.evaluation."""

    class Meta:
        model = EvaluationCycle
        django_get_or_create = ("category", "year")

    category = factory.LazyFunction(
        lambda: CreditCategory.objects.get(pk=CreditCategoryCode.MEDICAL_INSTITUTION)
    )
    year = 2024
    system = factory.LazyAttribute(
        lambda o: IndicatorSystemFactory(category=o.category, year=o.year)
    )
    status = CycleStatus.SELF_ASSESSMENT
    opened_on = datetime.date(2025, 1, 10)
    self_assessment_due = datetime.date(2025, 2, 10)


class AssessmentFactory(factory.django.DjangoModelFactory):
    """A facility's assessment in a cycle, unscored."""

    class Meta:
        model = Assessment

    cycle = factory.SubFactory(EvaluationCycleFactory)
    facility = factory.SubFactory(FacilityFactory)
    district = factory.LazyAttribute(lambda o: o.facility.district)
    subject_name = factory.LazyAttribute(lambda o: o.facility.name)


class ObjectionFactory(factory.django.DjangoModelFactory):
    """A pending objection, written directly (record one with the service to get its due date
    from the calendar)."""

    class Meta:
        model = Objection

    assessment = factory.SubFactory(AssessmentFactory)
    received_on = datetime.date(2025, 3, 3)
    grounds = "示例异议：检查发现的违规已于当年整改完毕。"
    due_on = datetime.date(2025, 3, 17)


# --- The registries of credit subjects of categories 4–6 and 8 (信用主体单位、参保人员) -----------

from supervision.models import CreditInstitution, InsuredIdentity, InsuredPerson  # noqa: E402
from supervision.models.credit import mask_resident_id  # noqa: E402


class CreditInstitutionFactory(factory.django.DjangoModelFactory):
    """A pharmaceutical company (category 4) in 城关区; pass category= for 5 or 6."""

    class Meta:
        model = CreditInstitution

    category = factory.LazyFunction(
        lambda: CreditCategory.objects.get(pk=CreditCategoryCode.PHARMA_COMPANY)
    )
    name = factory.Sequence(lambda n: f"示例医药企业{n}")
    credit_code = factory.Sequence(lambda n: make_credit_code(n, prefix="92"))
    district = District.CHENGGUAN


class InsuredPersonFactory(factory.django.DjangoModelFactory):
    """An insured person with a valid ID number (its InsuredIdentity) and the matching mask.
    Written directly; register one with services.credit_subjects to get its history."""

    class Meta:
        model = InsuredPerson
        skip_postgeneration_save = True

    class Params:
        id_number = factory.Sequence(lambda n: _resident_id(f"5401021990{n:07d}"))

    name = factory.Sequence(lambda n: f"示例参保人{n}")
    district = District.CHENGGUAN
    id_masked = factory.LazyAttribute(lambda o: mask_resident_id(o.id_number))
    identity = factory.RelatedFactory(
        "tests.factories.InsuredIdentityFactory",
        factory_related_name="person",
        id_number=factory.SelfAttribute("..id_number"),
    )


class InsuredIdentityFactory(factory.django.DjangoModelFactory):
    """An ID number with its person (masked to match)."""

    class Meta:
        model = InsuredIdentity

    id_number = factory.Sequence(lambda n: _resident_id(f"5401021980{n:07d}"))
    person = factory.SubFactory(
        InsuredPersonFactory, identity=None, id_number=factory.SelfAttribute("..id_number")
    )


class PractitionerFactory(factory.django.DjangoModelFactory):
    """A practitioner with a valid ID number (its PractitionerIdentity) and the matching mask.
    Written directly; register one with services.practitioners to get its history."""

    class Meta:
        model = Practitioner
        skip_postgeneration_save = True

    class Params:
        id_number = factory.Sequence(lambda n: _resident_id(f"5401021975{n:07d}"))

    name = factory.Sequence(lambda n: f"示例医师{n}")
    profession = Profession.DOCTOR
    district = District.CHENGGUAN
    id_masked = factory.LazyAttribute(lambda o: mask_resident_id(o.id_number))
    identity = factory.RelatedFactory(
        "tests.factories.PractitionerIdentityFactory",
        factory_related_name="practitioner",
        id_number=factory.SelfAttribute("..id_number"),
    )


class PractitionerIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PractitionerIdentity

    id_number = factory.Sequence(lambda n: _resident_id(f"5401021970{n:07d}"))
    practitioner = factory.SubFactory(
        PractitionerFactory, identity=None, id_number=factory.SelfAttribute("..id_number")
    )


class RegistrationFactory(factory.django.DjangoModelFactory):
    """An open registration of a practitioner with a facility."""

    class Meta:
        model = Registration

    practitioner = factory.SubFactory(PractitionerFactory)
    facility = factory.SubFactory(FacilityFactory)
    registered_on = datetime.date(2020, 1, 6)


class RandomCheckPlanFactory(factory.django.DjangoModelFactory):
    """A draft random-check plan over every facility, drawing 3 with two inspectors each."""

    class Meta:
        model = RandomCheckPlan

    name = factory.Sequence(lambda n: f"2026年第{n + 1}批双随机抽查")
    starts_on = datetime.date(2026, 3, 1)
    ends_on = datetime.date(2026, 6, 30)
    target_count = 3


class GradePublicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GradePublication

    year = 2024
    category_id = "medical_institution"
    published_on = datetime.date(2025, 4, 1)


class TypicalCaseFactory(factory.django.DjangoModelFactory):
    """A draft typical case written from a completed inspection."""

    class Meta:
        model = TypicalCase

    title = factory.Sequence(lambda n: f"示例典型案例{n}")
    inspection = factory.SubFactory(InspectionFactory, completed=True)
    facts = "检查发现该机构串换药品项目结算。"
    handling = "追回医保基金并处罚款。"


# --- Rectification orders (责令整改) and reminders (提醒) -----------------------------------------

from django.utils import timezone  # noqa: E402

from supervision.choices import DigestState, RectificationStatus  # noqa: E402
from supervision.models import (  # noqa: E402
    DigestDelivery,
    Notification,
    Rectification,
    ReminderPreference,
    ScheduledRun,
)
from supervision.workdays import Calendar  # noqa: E402


class RectificationFactory(factory.django.DjangoModelFactory):
    """An order (整改中) on a completed inspection that found an amount involved, its deadline
    computed from the calendar; written directly (order one with services.rectifications to get
    its history). Traits: reported, confirmed, not_done (the last two with their follow-up)."""

    class Meta:
        model = Rectification

    inspection = factory.SubFactory(
        InspectionFactory, completed=True, amount_involved=Decimal("3000.00")
    )
    facility = factory.SelfAttribute("inspection.facility")
    requirement = "规范药品进销存管理，退回多收取的费用。"
    ordered_on = datetime.date(2025, 3, 14)
    workdays = 20
    due_on = factory.LazyAttribute(lambda o: Calendar.load().deadline(o.ordered_on, o.workdays))

    class Params:
        reported = factory.Trait(
            status=RectificationStatus.REPORTED,
            reported_on=datetime.date(2025, 4, 1),
            report="已完成药品盘点，多收费用已退回参保人。",
        )
        checked = factory.Trait(
            reported_on=datetime.date(2025, 4, 1),
            report="已完成药品盘点，多收费用已退回参保人。",
            follow_up=factory.SubFactory(
                InspectionFactory,
                facility=factory.SelfAttribute("..facility"),
                kind=InspectionKind.FOLLOWUP,
                status=InspectionStatus.COMPLETED,
                start_date=datetime.date(2025, 4, 15),
                end_date=datetime.date(2025, 4, 15),
            ),
            checked_on=datetime.date(2025, 4, 15),
        )
        confirmed = factory.Trait(
            checked=True, status=RectificationStatus.CONFIRMED, outcome="复查确认已整改到位。"
        )
        not_done = factory.Trait(
            checked=True, status=RectificationStatus.NOT_DONE, outcome="复查发现仍未整改。"
        )


class NotificationFactory(factory.django.DjangoModelFactory):
    """An unread in-app notification of an overdue rectification order."""

    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    kind = "rectification"
    key = factory.Sequence(lambda n: f"rectification:{n + 1}:overdue")
    title = "整改期满，待复查"
    url = "/inspections/1/#rectification"
    due_on = datetime.date(2025, 6, 4)
    overdue = True

    class Params:
        read = factory.Trait(read_at=factory.LazyFunction(timezone.now))


class ReminderPreferenceFactory(factory.django.DjangoModelFactory):
    """A person who wants no e-mail about referrals, and no daily e-mail at all."""

    class Meta:
        model = ReminderPreference

    user = factory.SubFactory(UserFactory)
    muted_by_email = factory.LazyFunction(lambda: ["referral"])
    email_digest = False


class DigestDeliveryFactory(factory.django.DjangoModelFactory):
    """A daily e-mail claimed by a worker, not yet sent."""

    class Meta:
        model = DigestDelivery

    user = factory.SubFactory(UserFactory)
    day = datetime.date(2025, 6, 16)
    worker = "worker-1"

    class Params:
        sent = factory.Trait(
            state=DigestState.SENT, items=3, sent_at=factory.LazyFunction(timezone.now)
        )
        empty = factory.Trait(state=DigestState.EMPTY)


class ScheduledRunFactory(factory.django.DjangoModelFactory):
    """The daily run of a day, enqueued."""

    class Meta:
        model = ScheduledRun

    job = "daily_reminders"
    day = factory.Sequence(lambda n: datetime.date(2025, 6, 1) + datetime.timedelta(days=n))
    task_id = factory.Sequence(lambda n: f"task-{n}")


# --- official documents (文书) -----------------------------------------------------------------

from supervision.choices import DocumentKind  # noqa: E402
from supervision.models import DocumentTemplate, IssuedDocument  # noqa: E402


class IssuedDocumentFactory(factory.django.DjangoModelFactory):
    """Version 1 of an inspection's record (检查笔录), its file a small PDF kept as evidence of
    the inspection. services.documents.issue_document draws and issues real ones."""

    class Meta:
        model = IssuedDocument

    inspection = factory.SubFactory(InspectionFactory)
    kind = DocumentKind.INSPECTION_RECORD
    version = 1
    title = "医疗保障基金使用监督检查笔录"
    template = factory.LazyFunction(
        lambda: DocumentTemplate.objects.filter(kind=DocumentKind.INSPECTION_RECORD).first()
    )
    template_version = 1
    template_title = factory.LazyAttribute(lambda o: o.template.title)
    template_body = factory.LazyAttribute(lambda o: o.template.body)
    template_signatory = "拉萨市医疗保障局"
    evidence = factory.SubFactory(
        EvidenceFactory,
        inspection=factory.SelfAttribute("..inspection"),
        original_name="检查笔录-第1版.pdf",
        description="出具检查笔录第1版",
    )
    sha256 = factory.SelfAttribute("evidence.sha256")
