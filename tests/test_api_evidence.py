"""Evidence in the API: upload and list on a record's endpoint, read and download a file, each
persona's rights from one table, and the contract."""

from __future__ import annotations

import hashlib
from email.message import Message

import pytest
from django.urls import reverse

from supervision.choices import District
from supervision.models import Evidence, UserDistrict
from tests.api import client_for
from tests.dbstate import snapshot
from tests.evidence import (
    EXE_BYTES,
    HTML_BYTES,
    stored_files,
    upload,
)
from tests.factories import (
    PDF_BYTES,
    PNG_BYTES,
    EvidenceFactory,
    FacilityFactory,
    InspectionFactory,
    ReferralFactory,
    SanctionFactory,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "outsider", "inspector", "supervisor", "auditor"]
READ = {"anonymous": 401, "outsider": 403, "inspector": 200, "supervisor": 200, "auditor": 200}
FACTORIES = {
    "inspections": InspectionFactory,
    "referrals": ReferralFactory,
    "sanctions": SanctionFactory,
}
# POST {id}/evidence/: add_evidence and the change permission of the record.
ATTACH = {
    "inspections": {
        "anonymous": 401,
        "outsider": 403,
        "inspector": 201,
        "supervisor": 201,
        "auditor": 403,
    },
    "referrals": {
        "anonymous": 401,
        "outsider": 403,
        "inspector": 403,
        "supervisor": 201,
        "auditor": 403,
    },
    "sanctions": {
        "anonymous": 401,
        "outsider": 403,
        "inspector": 403,
        "supervisor": 201,
        "auditor": 403,
    },
}


def persona_client(request, persona: str):
    return client_for(None if persona == "anonymous" else request.getfixturevalue(persona))


def body_of(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def post_file(client, url: str, name: str = "随货同行单.pdf", data: bytes = PDF_BYTES, **fields):
    return client.post(url, {"file": upload(name, data), **fields}, format="multipart")


@pytest.mark.parametrize(
    ("endpoint", "persona", "status"),
    [(e, p, s) for e, table in ATTACH.items() for p, s in table.items()],
)
def test_who_may_attach_a_file_to_which_record(request, media, endpoint, persona, status):
    record = FACTORIES[endpoint]()
    before = snapshot()
    response = post_file(persona_client(request, persona), f"/api/{endpoint}/{record.pk}/evidence/")
    assert response.status_code == status, response.content
    if status != 201:
        assert snapshot() == before and stored_files(media) == []


@pytest.mark.parametrize(
    ("endpoint", "persona", "status"),
    [(e, p, s) for e in FACTORIES for p, s in READ.items()],
)
def test_who_may_list_a_record_s_files(request, media, endpoint, persona, status):
    record = FACTORIES[endpoint]()
    EvidenceFactory(**{"inspection": None, endpoint[:-1]: record})
    response = persona_client(request, persona).get(f"/api/{endpoint}/{record.pk}/evidence/")
    assert response.status_code == status
    if status == 200:
        assert [row["original_name"] for row in response.json()] == ["随货同行单.pdf"]


@pytest.mark.parametrize("path", ["", "download/"])
@pytest.mark.parametrize(("persona", "status"), list(READ.items()))
def test_who_may_read_and_download_a_file(request, media, path, persona, status):
    evidence = EvidenceFactory()
    response = persona_client(request, persona).get(f"/api/evidence/{evidence.pk}/{path}")
    assert response.status_code == status
    if status == 200 and path:
        assert body_of(response) == PDF_BYTES


def test_an_upload_answers_the_stored_record_with_its_download_link(supervisor, media):
    record = InspectionFactory()
    client = client_for(supervisor)
    response = post_file(
        client,
        f"/api/inspections/{record.pk}/evidence/",
        "../现场.png",
        PNG_BYTES,
        description="门口",
    )
    assert response.status_code == 201
    data = response.json()
    evidence = Evidence.objects.get()
    assert data == {
        "id": evidence.pk,
        "inspection": record.pk,
        "referral": None,
        "sanction": None,
        "tip": None,
        "objection": None,
        "repair": None,
        "original_name": "现场.png",
        "content_type": "image/png",
        "size": len(PNG_BYTES),
        "sha256": hashlib.sha256(PNG_BYTES).hexdigest(),
        "description": "门口",
        "uploaded_by": "supervisor",
        "uploaded_at": data["uploaded_at"],
        "download": f"http://testserver/api/evidence/{evidence.pk}/download/",
    }
    (row,) = evidence.history.all()
    assert row.history_user == supervisor
    download = client.get(data["download"], HTTP_ACCEPT="image/png")
    assert download.status_code == 200
    assert body_of(download) == PNG_BYTES
    assert download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    message = Message()
    message["content-disposition"] = download["Content-Disposition"]
    assert download["Content-Disposition"].startswith("attachment;")
    assert message.get_filename() == "现场.png"


@pytest.mark.parametrize(
    ("name", "data"), [("决定书.pdf", HTML_BYTES), ("tool.exe", EXE_BYTES)], ids=["html", "exe"]
)
def test_a_file_of_another_type_is_a_400_on_the_file(supervisor, media, name, data):
    record = InspectionFactory()
    response = post_file(
        client_for(supervisor), f"/api/inspections/{record.pk}/evidence/", name, data
    )
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert "按内容判断" in response.json()["file"][0]
    assert not Evidence.objects.exists() and stored_files(media) == []


def test_a_file_over_the_limit_is_a_400_on_the_file(supervisor, media, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    record = InspectionFactory()
    response = post_file(
        client_for(supervisor),
        f"/api/inspections/{record.pk}/evidence/",
        data=PDF_BYTES + b"\0" * 2000,
    )
    assert response.status_code == 400
    assert response.json() == {"file": ["文件过大：最大1000\xa0字节。"]}
    assert not Evidence.objects.exists() and stored_files(media) == []


def test_a_missing_file_and_a_json_body_are_refused(supervisor, media):
    record = InspectionFactory()
    client = client_for(supervisor)
    url = f"/api/inspections/{record.pk}/evidence/"
    response = client.post(url, {"description": "无文件"}, format="multipart")
    assert response.status_code == 400 and list(response.json()) == ["file"]
    assert client.post(url, {"file": "JVBERi0="}, format="json").status_code == 415
    assert not Evidence.objects.exists()


def test_records_and_files_outside_the_user_s_districts_are_404(supervisor, media):
    far = InspectionFactory(facility=FacilityFactory(district=District.DAGZE))
    evidence = EvidenceFactory(inspection=far)
    UserDistrict.objects.create(user=supervisor, district=District.CHENGGUAN)
    client = client_for(supervisor)
    assert client.get(f"/api/inspections/{far.pk}/evidence/").status_code == 404
    assert post_file(client, f"/api/inspections/{far.pk}/evidence/").status_code == 404
    assert client.get(f"/api/evidence/{evidence.pk}/").status_code == 404
    assert client.get(f"/api/evidence/{evidence.pk}/download/").status_code == 404
    assert Evidence.objects.count() == 1


def test_evidence_is_neither_replaced_nor_deleted(supervisor, media):
    evidence = EvidenceFactory()
    client = client_for(supervisor)
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(f"/api/evidence/{evidence.pk}/").status_code == 405
    # Files are added on their record's endpoint only; there is no list of every file either.
    assert client.post("/api/evidence/", {}).status_code == 404
    assert client.get("/api/evidence/").status_code == 404


def test_the_list_costs_the_same_queries_for_one_file_and_for_many(
    auditor, media, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    record = InspectionFactory()
    EvidenceFactory(inspection=record)
    client = client_for(auditor)
    url = f"/api/inspections/{record.pk}/evidence/"
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    EvidenceFactory.create_batch(5, inspection=record)
    with django_assert_num_queries(len(one)):
        assert len(client.get(url).json()) == 6


def test_the_schema_documents_the_multipart_upload_and_the_binary_download(supervisor):
    schema = (
        client_for(supervisor).get(reverse("api:schema"), HTTP_ACCEPT="application/json").json()
    )
    for endpoint in FACTORIES:
        operations = schema["paths"][f"/api/{endpoint}/{{id}}/evidence/"]
        assert set(operations) >= {"get", "post"}
        body = operations["post"]["requestBody"]["content"]
        assert list(body) == ["multipart/form-data"]
        upload_schema = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
        fields = schema["components"]["schemas"][upload_schema]["properties"]
        assert fields["file"] == {**fields["file"], "type": "string", "format": "binary"}
        assert "201" in operations["post"]["responses"]
    download = schema["paths"]["/api/evidence/{id}/download/"]["get"]["responses"]["200"]
    assert set(download["content"]) == {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/tiff",
        "application/ofd",
    }
    assert all(
        c["schema"] == {"type": "string", "format": "binary"} for c in download["content"].values()
    )


def test_options_describe_the_upload(supervisor):
    record = InspectionFactory()
    response = client_for(supervisor).options(f"/api/inspections/{record.pk}/evidence/")
    assert response.status_code == 200
    assert set(response.json()["actions"]["POST"]) == {"file", "description"}
    assert response.json()["parses"] == ["multipart/form-data"]


def test_form_fields_over_the_data_limit_are_a_400_in_json(supervisor, media, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    record = InspectionFactory()
    response = post_file(
        client_for(supervisor), f"/api/inspections/{record.pk}/evidence/", description="很" * 2000
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "请求中的表单字段过大。"}
    assert not Evidence.objects.exists() and stored_files(media) == []
