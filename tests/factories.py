"""One factory per model; traits for the states tests need."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from supervision.choices import (
    Agency,
    District,
    FacilityKind,
    Grade,
    InspectionKind,
    InspectionStatus,
    Ownership,
    ReferralStatus,
    SanctionKind,
)
from supervision.codes import credit_code_check_char
from supervision.models import (
    CreditRating,
    Facility,
    Inspection,
    Inspector,
    RatingChange,
    Referral,
    Sanction,
)


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
            self.groups.add(Group.objects.get(name=extracted))


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
