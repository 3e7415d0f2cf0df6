"""数据导入 pages: upload, the dry run's rows, confirm, progress, and who sees what."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supervision.choices import ImportKind, ImportStatus
from supervision.imports import engine
from supervision.models import Facility, ImportJob
from tests.factories import UserFactory
from tests.test_imports import csv_bytes, facility_row

IMMEDIATE = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}


@pytest.fixture
def immediate(settings):
    settings.TASKS = IMMEDIATE


def upload(client, data: bytes, name: str = "机构.csv", kind: str = ImportKind.FACILITY):
    return client.post("/imports/", {"kind": kind, "file": SimpleUploadedFile(name, data)})


def test_a_supervisor_uploads_reads_the_dry_run_and_confirms(
    client, supervisor, media, immediate, django_capture_on_commit_callbacks
):
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_bytes([facility_row(1), facility_row(2)]))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/"

    page = client.get(job.get_absolute_url()).content.decode()
    assert "已检查，待确认" in page
    assert "示例导入医院1" in page
    assert "确认导入（新增 2，修改 0）" in page
    assert not Facility.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Facility.objects.count() == 2


def test_the_refused_rows_are_listed_with_their_column_and_no_confirm_button(
    client, supervisor, media, immediate, django_capture_on_commit_callbacks
):
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, csv_bytes([facility_row(1), facility_row(2, 所属区县="火星区")]))
    job = ImportJob.objects.get()

    page = client.get(f"{job.get_absolute_url()}?outcome=refused").content.decode()

    assert "所属区县" in page
    assert "应为以下之一" in page
    assert "示例导入医院1" not in page  # filtered to the refused row
    assert "确认导入" not in page
    assert client.post(f"/imports/{job.pk}/confirm/").status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED


def test_a_running_import_shows_its_progress_and_refreshes(client, supervisor, media):
    job = engine.start(supervisor, ImportKind.FACILITY, SimpleUploadedFile("a.csv", b"x,y\n1,2\n"))
    engine.write_progress(job, 300, 1200)
    client.force_login(supervisor)

    page = client.get(job.get_absolute_url()).content.decode()

    assert '<progress max="1200" value="300"' in page
    assert "25%" in page
    assert 'http-equiv="refresh"' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": ImportKind.FACILITY}, "该字段是必填项"),
        ({"kind": "nothing", "file": "x"}, "选择一个有效的选项"),
        ({"kind": ImportKind.FACILITY, "file": ("photo.png", b"\x89PNG")}, "只能导入 CSV 或 XLSX"),
    ],
)
def test_a_wrong_upload_is_refused_on_the_form_and_makes_no_import(
    client, supervisor, media, data, message
):
    client.force_login(supervisor)
    if isinstance(data.get("file"), tuple):
        data = {**data, "file": SimpleUploadedFile(*data["file"])}

    response = client.post("/imports/", data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_template_of_a_kind_is_an_xlsx_with_its_columns(client, supervisor):
    client.force_login(supervisor)

    response = client.get("/imports/template/facility.xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["名称", "统一社会信用代码", "机构类别"]


def test_roles_without_the_permission_see_no_imports(client, inspector, tip_desk, outsider):
    for user in (inspector, tip_desk, outsider):
        client.force_login(user)
        assert client.get("/imports/").status_code == 403
        assert client.get("/imports/template/facility.xlsx").status_code == 403


def test_an_auditor_reads_every_import_but_uploads_nothing(client, supervisor, auditor, media):
    job = engine.start(supervisor, ImportKind.FACILITY, SimpleUploadedFile("a.csv", b"x"))
    client.force_login(auditor)

    assert "a.csv" in client.get("/imports/").content.decode()
    assert client.get(job.get_absolute_url()).status_code == 200
    assert upload(client, csv_bytes([facility_row(1)])).status_code == 403
    assert client.post(f"/imports/{job.pk}/confirm/").status_code == 403
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKING
    assert ImportJob.objects.count() == 1


def test_a_supervisor_sees_only_their_own_imports(client, supervisor, media):
    job = engine.start(supervisor, ImportKind.FACILITY, SimpleUploadedFile("mine.csv", b"x"))
    other = UserFactory(username="supervisor2", role="supervisor")
    client.force_login(other)

    assert "mine.csv" not in client.get("/imports/").content.decode()
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.post(f"/imports/{job.pk}/confirm/").status_code == 404
