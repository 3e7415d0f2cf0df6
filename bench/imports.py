"""Importing 100,000 facilities from one XLSX file: part of `make bench`.

    .venv/bin/python bench/imports.py                 # SQLite, the embedded default
    BENCH_IMPORT_DB=postgres .venv/bin/python bench/imports.py   # a fresh PostgreSQL database

On an empty, migrated database (a temporary SQLite file, or `supervision_bench_import` on the
PostgreSQL of BENCH_PG, made anew), a supervisor imports BENCH_IMPORT_ROWS (default 100,000)
facilities from an XLSX file as the pages do: upload (engine.start), the dry run (engine.check:
every row's outcome kept), confirm, the write (engine.apply: one transaction, a history row per
facility). Then the same file again: its dry run finds every row unchanged. Times, and the
process's peak memory, go to bench/RESULTS.md between the imports markers.
"""

from __future__ import annotations

import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
ENGINE = os.environ.get("BENCH_IMPORT_DB", "sqlite")
PG = os.environ.get("BENCH_PG", "postgres://supervision:supervision@127.0.0.1:5432").rstrip("/")
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- imports:start -->", "<!-- imports:end -->"

WORK = Path(tempfile.mkdtemp(prefix="bench-imports-"))
if ENGINE == "postgres":
    os.environ.setdefault("DATABASE_URL", f"{PG}/supervision_bench_import")
else:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'db.sqlite3'}")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("DJANGO_MEDIA_ROOT", str(WORK / "media"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supervision.settings")
sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(f"[imports] {message}", flush=True)


def fresh_postgres() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS supervision_bench_import")
        connection.execute("CREATE DATABASE supervision_bench_import")


def workbook(rows: int) -> bytes:
    import openpyxl

    from supervision.codes import credit_code_check_char

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("机构")
    sheet.append(
        [
            "名称",
            "统一社会信用代码",
            "机构类别",
            "经济类型",
            "所属区县",
            "医保定点编码",
            "地址",
            "医保保证金（元）",
            "定点日期",
        ]
    )
    districts = ["540102", "540103", "540104", "540121", "540122", "540123", "540124", "540127"]
    for n in range(rows):
        first17 = f"91{districts[n % 8]}{n:09d}"
        pharmacy = n % 3 == 0
        sheet.append(
            [
                f"示例导入{'药店' if pharmacy else '诊所'}{n:06d}",
                first17 + credit_code_check_char(first17),
                "零售药店" if pharmacy else "基层医疗机构/诊所",
                "民营",
                districts[n % 8],
                f"{'P' if pharmacy else 'H'}{districts[n % 8]}{n % 100000:05d}",
                f"示例路{n % 500}号",
                20000 + n % 7 * 1000,
                "2021-06-01",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    if ENGINE == "postgres":
        fresh_postgres()
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection

    from supervision.imports import engine
    from supervision.models import Facility
    from supervision.roles import SUPERVISOR
    from tests.factories import UserFactory

    log(f"migrating a fresh {connection.vendor} database")
    call_command("migrate", verbosity=0)
    user = UserFactory(username="bench-import", role=SUPERVISOR)
    started = time.perf_counter()
    data = workbook(ROWS)
    made = time.perf_counter() - started
    log(f"{ROWS:,} rows: XLSX of {len(data) / 1e6:.1f} MB made in {made:.1f} s")

    figures: list[tuple[str, float]] = []

    def timed(label: str, action) -> object:
        began = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - began
        figures.append((label, seconds))
        log(f"{label}: {seconds:.1f} s")
        return result

    job = timed(
        "upload and dry run",
        lambda: _checked(engine, user, SimpleUploadedFile("机构.xlsx", data)),
    )
    assert job.new == ROWS, (job.status, job.message, job.new, job.refused)
    engine.confirm(job, user)
    timed("write (one transaction, history per row)", lambda: engine.apply(job))
    job.refresh_from_db()
    assert job.status == "done", job.message
    assert Facility.objects.count() == ROWS
    assert Facility.history.count() == ROWS
    again = timed(
        "the same file again: dry run (all unchanged)",
        lambda: _checked(engine, user, SimpleUploadedFile("机构.xlsx", data)),
    )
    assert again.unchanged == ROWS, (again.unchanged, again.changed, again.refused)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        f"{connection.vendor}, {ROWS:,} facilities from one XLSX ({len(data) / 1e6:.1f} MB), "
        f"`BENCH_IMPORT_DB={ENGINE} .venv/bin/python bench/imports.py`:",
        "",
        *(f"- {label}: **{seconds:.1f} s**" for label, seconds in figures),
        f"- peak memory of the process: {peak:,.0f} MB",
    ]
    write_results("\n".join(lines))


def _checked(engine, user, upload):
    job = engine.start(user, "facility", upload)
    engine.check(job)
    job.refresh_from_db()
    return job


def write_results(text: str) -> None:
    content = RESULTS.read_text() if RESULTS.exists() else ""
    block = f"{START}\n{text}\n{END}"
    if START in content and END in content:
        before, rest = content.split(START, 1)
        after = rest.split(END, 1)[1]
        content = before + block + after
    else:
        content = content.rstrip() + "\n\n## Imports (issue 17)\n\n" + block + "\n"
    RESULTS.write_text(content)
    log("figures written to bench/RESULTS.md")


if __name__ == "__main__":
    main()
