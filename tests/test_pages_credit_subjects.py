"""The registries of credit subjects of categories 4–6 (institutions) and 8 (insured persons):
who may open which page, what registering and editing write, and that bad input, a duplicate or
a stale edit changes nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision.choices import CreditCategoryCode, District
from supervision.codes import credit_code_check_char, resident_id_check_char
from supervision.models import CreditInstitution, InsuredIdentity, InsuredPerson
from supervision.services import credit_subjects as service
from tests.dbstate import snapshot
from tests.factories import UserDistrictFactory, make_credit_code
from tests.pages import html_of, sign_in

pytestmark = pytest.mark.django_db

PERSONAS = [
    "anonymous",
    "outsider",
    "inspector",
    "evaluator",
    "supervisor",
    "auditor",
    "tip_desk",
    "superuser",
]
READERS = {"inspector", "evaluator", "supervisor", "auditor", "superuser"}
KEEPERS = {"evaluator", "supervisor", "superuser"}  # add_/change_ of both registries


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


ID_A = resident_id("54010219800101123")
ID_B = resident_id("54010219900202567")


GOOD_CODE = make_credit_code(777)
WRONG_CHECK_CODE = GOOD_CODE[:17] + ("0" if GOOD_CODE[17] != "0" else "1")


def wrong_check(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:17] + last


def institution(n: int = 1, **kwargs) -> CreditInstitution:
    values = {
        "category": CreditCategoryCode.PHARMA_COMPANY,
        "name": f"示例医药企业{n}",
        "credit_code": make_credit_code(9000 + n),
        "district": District.CHENGGUAN,
    }
    return service.register_institution(user=None, **(values | kwargs))


def person(name: str = "示例参保人甲", number: str = ID_A, **kwargs) -> InsuredPerson:
    values = {"district": District.CHENGGUAN}
    return service.register_insured_person(
        user=None, name=name, id_number=number, **(values | kwargs)
    )


def institution_form(**overrides) -> dict[str, str]:
    return {
        "name": "示例第三方服务机构",
        "category": CreditCategoryCode.SERVICE_PROVIDER,
        "credit_code": GOOD_CODE,
        "district": District.CHENGGUAN,
        "legal_representative": "示例法人",
        "address": "示例路1号",
        "note": "",
    } | overrides


def person_form(**overrides) -> dict[str, str]:
    return {
        "name": "示例参保人乙",
        "district": District.DOILUNGDEQEN,
        "id_number": ID_B,
        "note": "",
    } | overrides


# --- who may open what ------------------------------------------------------------------------


PAGES = [
    ("creditinstitution-list", False, READERS),
    ("creditinstitution-detail", True, READERS),
    ("creditinstitution-create", False, KEEPERS),
    ("creditinstitution-edit", True, KEEPERS),
    ("insuredperson-list", False, READERS),
    ("insuredperson-detail", True, READERS),
    ("insuredperson-create", False, KEEPERS),
    ("insuredperson-edit", True, KEEPERS),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "has_pk", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_opens_only_for_the_roles_it_is_for(
    client, request, persona, name, has_pk, allowed
):
    subject = person() if name.startswith("insured") else institution()
    user = sign_in(client, request, persona)
    response = client.get(reverse(name, args=[subject.pk] if has_pk else []))
    if user is None:
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    elif persona in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_a_district_limited_account_sees_only_its_districts(client, supervisor):
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    mine = institution(1, district=District.DAGZE)
    theirs = institution(2, district=District.CHENGGUAN)
    client.force_login(supervisor)
    listed = list(client.get(reverse("creditinstitution-list")).context["object_list"])
    assert listed == [mine]
    assert client.get(reverse("creditinstitution-detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("creditinstitution-edit", args=[theirs.pk])).status_code == 404


def test_a_district_limited_account_cannot_register_outside_its_districts(client, supervisor):
    UserDistrictFactory(user=supervisor, district=District.DAGZE)
    client.force_login(supervisor)
    before = snapshot()
    response = client.post(reverse("creditinstitution-create"), institution_form())
    assert response.status_code == 200
    assert "district" in response.context["form"].errors
    assert snapshot() == before


# --- institutions -----------------------------------------------------------------------------


def test_registering_an_institution_saves_it_with_its_history(client, evaluator):
    client.force_login(evaluator)
    response = client.post(reverse("creditinstitution-create"), institution_form())
    created = CreditInstitution.objects.get()
    assert response.status_code == 302
    assert response["Location"] == created.get_absolute_url()
    assert created.category_id == CreditCategoryCode.SERVICE_PROVIDER
    row = created.history.get()
    assert row.history_user == evaluator
    assert row.history_type == "+"


def test_a_lower_case_credit_code_is_stored_upper_case(client, evaluator):
    code = "91540102MA6T1XY23" + credit_code_check_char("91540102MA6T1XY23")
    client.force_login(evaluator)
    client.post(reverse("creditinstitution-create"), institution_form(credit_code=code.lower()))
    assert CreditInstitution.objects.get().credit_code == code.upper()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("credit_code", WRONG_CHECK_CODE),
        ("credit_code", "91540102"),  # too short
        ("credit_code", "9" * 500),  # over-long
        ("credit_code", "91540102MA6T1XYZIO"),  # letters a code never has
        ("name", ""),
        ("name", "示" * 201),
        ("name", "示例\x00企业"),
        ("note", "备" * 2001),
        ("category", CreditCategoryCode.MEDICAL_INSTITUTION),  # categories 1–3: facilities
        ("category", "nonsense"),
        ("district", "999999"),
    ],
)
def test_bad_institution_input_is_refused_and_changes_nothing(client, evaluator, field, value):
    client.force_login(evaluator)
    before = snapshot()
    response = client.post(reverse("creditinstitution-create"), institution_form(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert snapshot() == before


def test_hostile_text_is_stored_as_typed_and_shown_escaped(client, evaluator):
    client.force_login(evaluator)
    name = '<script>alert("x")</script>示例'
    client.post(reverse("creditinstitution-create"), institution_form(name=name))
    created = CreditInstitution.objects.get()
    assert created.name == name
    html = html_of(client.get(created.get_absolute_url()))
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_a_duplicate_credit_code_is_refused_naming_the_holder(client, evaluator):
    existing = institution(1)
    client.force_login(evaluator)
    before = snapshot()
    response = client.post(
        reverse("creditinstitution-create"),
        institution_form(credit_code=existing.credit_code.lower()),
    )
    assert snapshot() == before
    errors = response.context["form"].errors["credit_code"]
    assert errors == [f"该统一社会信用代码已登记：{existing.name}。"]


def test_editing_an_institution_keeps_its_code_and_writes_history(client, evaluator):
    record = institution(1)
    client.force_login(evaluator)
    url = reverse("creditinstitution-edit", args=[record.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data |= {"name": "示例医药企业（更名）", "category": CreditCategoryCode.EMPLOYER}
    data["change_reason"] = "工商变更登记"
    response = client.post(url, data)
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.name == "示例医药企业（更名）"
    assert record.category_id == CreditCategoryCode.EMPLOYER
    assert record.version == 2
    latest = record.history.latest()
    assert latest.history_user == evaluator
    assert latest.history_change_reason == "工商变更登记"


def test_an_edit_of_a_stale_version_is_refused_and_changes_nothing(client, evaluator, supervisor):
    record = institution(1)
    client.force_login(evaluator)
    url = reverse("creditinstitution-edit", args=[record.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    service.edit_institution(record, user=supervisor, address="示例路2号")
    before = snapshot()
    response = client.post(url, data | {"name": "示例医药企业（过时）"})
    assert response.status_code == 409
    assert snapshot() == before
    assert "示例医药企业（过时）" in html_of(response)  # what was typed stays on the page


def test_the_service_refuses_a_category_outside_4_to_6(supervisor):
    record = institution(1)
    before = snapshot()
    with pytest.raises(service.ValidationError) as refused:
        service.edit_institution(
            record, user=supervisor, category=CreditCategoryCode.RETAIL_PHARMACY
        )
    assert "category" in refused.value.message_dict
    assert snapshot() == before


def test_the_institution_list_filters_and_searches(client, inspector):
    pharma = institution(1, name="示例格桑医药公司")
    employer = institution(
        2, name="示例拉萨参保单位", category=CreditCategoryCode.EMPLOYER, district=District.DAGZE
    )
    client.force_login(inspector)
    url = reverse("creditinstitution-list")

    def listed(**query) -> list:
        return list(client.get(url, query).context["object_list"])

    assert listed(category=CreditCategoryCode.EMPLOYER) == [employer]
    assert listed(district=District.CHENGGUAN) == [pharma]
    assert listed(q="格桑") == [pharma]
    assert listed(q=employer.credit_code.lower()) == [employer]
    assert listed(ordering="-name") == sorted([pharma, employer], key=lambda i: i.name)[::-1]
    assert listed(category="nonsense") == []  # refused, with a message, not everything


# --- insured persons --------------------------------------------------------------------------


def test_an_evaluator_registers_a_person_without_seeing_the_number_again(client, evaluator):
    client.force_login(evaluator)
    response = client.post(reverse("insuredperson-create"), person_form(), follow=True)
    created = InsuredPerson.objects.get()
    assert created.identity.id_number == ID_B
    assert created.id_masked == ID_B[:6] + "*" * 8 + ID_B[-4:]
    assert ID_B not in html_of(response)
    assert created.id_masked in html_of(response)
    assert created.history.get().history_user == evaluator
    assert InsuredIdentity.history.get().history_user == evaluator


def test_a_refused_registration_does_not_give_the_number_back(client, evaluator):
    client.force_login(evaluator)
    response = client.post(reverse("insuredperson-create"), person_form(name=""))
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert ID_B not in html_of(response)
    assert not InsuredPerson.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", wrong_check(ID_B)),
        ("id_number", ID_B[:17]),
        ("id_number", "5" * 300),
        ("id_number", ""),
        ("id_number", "54010219900202567８"),  # a full-width digit
        ("name", "姓" * 51),
        ("name", "示例\x00"),
        ("district", "nowhere"),
        ("note", "备" * 2001),
    ],
)
def test_bad_person_input_is_refused_and_changes_nothing(client, evaluator, field, value):
    client.force_login(evaluator)
    before = snapshot()
    response = client.post(reverse("insuredperson-create"), person_form(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert snapshot() == before


def test_a_duplicate_id_number_is_refused_without_saying_whose(client, evaluator):
    person("示例参保人甲", ID_B)
    client.force_login(evaluator)
    before = snapshot()
    response = client.post(reverse("insuredperson-create"), person_form(id_number=ID_B.lower()))
    assert snapshot() == before
    html = html_of(response)
    assert response.context["form"].errors["id_number"] == [
        "该身份证号码已登记为参保人员，不能重复登记。"
    ]
    assert "示例参保人甲" not in html


def test_an_evaluator_may_not_change_a_number_on_the_edit_form(client, evaluator):
    record = person()
    client.force_login(evaluator)
    url = reverse("insuredperson-edit", args=[record.pk])
    form = client.get(url).context["form"]
    assert "id_number" not in form.fields
    data = {name: form[name].value() or "" for name in form.fields}
    response = client.post(url, data | {"name": "示例参保人甲（更正）", "id_number": ID_B})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.name == "示例参保人甲（更正）"
    assert record.identity.id_number == ID_A


def test_the_service_refuses_an_evaluator_changing_a_number(evaluator):
    record = person()
    before = snapshot()
    with pytest.raises(service.PermissionDenied):
        service.edit_insured_person(record, user=evaluator, id_number=ID_B)
    assert snapshot() == before


def test_a_supervisor_corrects_a_number_and_its_mask(client, supervisor):
    record = person()
    client.force_login(supervisor)
    url = reverse("insuredperson-edit", args=[record.pk])
    page = client.get(url)
    assert ID_A not in html_of(page)  # the edit form never holds the number
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    response = client.post(url, data | {"id_number": ID_B})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.identity.id_number == ID_B
    assert record.id_masked.endswith(ID_B[-4:])
    assert record.identity.history.latest().history_user == supervisor


def test_an_empty_number_on_the_edit_form_leaves_the_number(client, supervisor):
    record = person()
    client.force_login(supervisor)
    url = reverse("insuredperson-edit", args=[record.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    assert client.post(url, data | {"id_number": ""}).status_code == 302
    record.refresh_from_db()
    assert record.identity.id_number == ID_A
    assert InsuredIdentity.history.count() == 1


def test_correcting_to_a_number_someone_holds_is_refused(client, supervisor):
    record = person("示例参保人甲", ID_A)
    person("示例参保人乙", ID_B)
    client.force_login(supervisor)
    url = reverse("insuredperson-edit", args=[record.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    before = snapshot()
    response = client.post(url, data | {"id_number": ID_B})
    assert snapshot() == before
    assert "id_number" in response.context["form"].errors
    assert "示例参保人乙" not in html_of(response)


def test_a_stale_person_edit_is_refused(client, evaluator, supervisor):
    record = person()
    client.force_login(evaluator)
    url = reverse("insuredperson-edit", args=[record.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    service.edit_insured_person(record, user=supervisor, note="示例备注")
    before = snapshot()
    assert client.post(url, data | {"name": "示例改名"}).status_code == 409
    assert snapshot() == before


def test_the_person_search_finds_a_whole_number_only_for_who_may_read_it(
    client, supervisor, evaluator
):
    found = person("示例参保人甲", ID_A)
    person("示例参保人乙", ID_B)
    url = reverse("insuredperson-list")

    def listed(user, q: str) -> list:
        client.force_login(user)
        return list(client.get(url, {"q": q}).context["object_list"])

    assert listed(supervisor, ID_A) == [found]
    assert listed(supervisor, ID_A.lower()) == [found]
    assert listed(supervisor, ID_A[:10]) == []  # never a part of a number
    assert listed(supervisor, ID_A[-4:]) == []
    assert listed(evaluator, ID_A) == []
    assert listed(evaluator, "甲") == [found]


@pytest.mark.parametrize(
    ("url_name", "make"),
    [
        ("creditinstitution-list", lambda n: institution(n)),
        (
            "insuredperson-list",
            lambda n: person(f"示例参保人{n}", resident_id(f"540102199001{n:05d}")),
        ),
    ],
)
def test_a_list_issues_as_many_queries_for_many_rows_as_for_one(
    client, supervisor, url_name, make, django_assert_num_queries
):
    make(1)
    client.force_login(supervisor)
    url = reverse(url_name)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["object_list"]) == 1
    for n in range(2, 31):
        make(n)
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).context["object_list"]) == 30


def test_the_person_export_holds_masked_numbers_only(client, superuser):
    record = person()
    client.force_login(superuser)
    response = client.get(reverse("insuredperson-list"), {"export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert record.id_masked in text
    assert ID_A not in text
