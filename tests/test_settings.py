"""Settings: SQLite tuned for several writers, Chinese first, env helpers that fail loudly."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.utils import timezone

import supervision.settings as settings_module
from supervision.settings import env_bool, env_int, env_list

SQLITE = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
only_sqlite = pytest.mark.skipif(not SQLITE, reason="the default database is not SQLite")


def _pragma(conn, name: str):
    with conn.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


@pytest.fixture
def file_database(tmp_path, django_db_blocker):
    """Open file-based connections with the default database's settings (tests may be in memory)."""
    opened: list[DatabaseWrapper] = []

    def open_connection(alias: str, **options) -> DatabaseWrapper:
        settings_dict = copy.deepcopy(settings.DATABASES["default"])
        settings_dict["NAME"] = str(tmp_path / "db.sqlite3")
        settings_dict["OPTIONS"].update(options)
        settings_dict.setdefault("TEST", {})
        wrapper = DatabaseWrapper(settings_dict, alias=alias)
        opened.append(wrapper)
        return wrapper

    with django_db_blocker.unblock():
        yield open_connection
        for wrapper in opened:
            wrapper.close()


# --- SQLite -----------------------------------------------------------------------------------


@only_sqlite
def test_sqlite_is_configured_for_wal_immediate_transactions_and_a_busy_timeout():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]
    # A connection kept open across requests would hold its WAL snapshot; SQLite reconnects.
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0


@only_sqlite
@pytest.mark.django_db
def test_the_default_connection_waits_for_a_lock_and_enforces_foreign_keys():
    assert (
        _pragma(connection, "busy_timeout")
        == settings.DATABASES["default"]["OPTIONS"]["timeout"] * 1000
    )
    assert _pragma(connection, "foreign_keys") == 1


@only_sqlite
@pytest.mark.django_db
def test_the_default_connection_runs_in_wal_mode():
    if connection.is_in_memory_db():
        pytest.skip("the test database is in memory, where WAL is impossible; see the file test")
    assert _pragma(connection, "journal_mode") == "wal"


@only_sqlite
def test_a_file_database_opened_with_these_settings_runs_in_wal_mode(file_database):
    db = file_database("wal_probe")
    assert _pragma(db, "journal_mode") == "wal"
    assert _pragma(db, "busy_timeout") == 20_000
    assert _pragma(db, "synchronous") == 1  # NORMAL
    assert _pragma(db, "foreign_keys") == 1


@only_sqlite
@pytest.mark.parametrize(("mode", "blocks_other_writers"), [("IMMEDIATE", True), (None, False)])
def test_a_transaction_takes_the_write_lock_when_it_begins(
    file_database, mode, blocks_other_writers
):
    """IMMEDIATE: a second writer waits at once, instead of both failing on lock upgrade."""
    first = file_database("first", transaction_mode=mode)
    second = file_database("second", timeout=0.05)
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE note (text TEXT)")
    connections["first"] = first
    try:
        with transaction.atomic(using="first"):
            first.cursor().execute("SELECT count(*) FROM note")  # BEGIN, no write yet
            if blocks_other_writers:
                with pytest.raises(OperationalError, match="locked"):
                    second.cursor().execute("INSERT INTO note VALUES ('second')")
            else:
                second.cursor().execute("INSERT INTO note VALUES ('second')")
    finally:
        del connections["first"]


# --- language and time ------------------------------------------------------------------------


def test_the_product_speaks_simplified_chinese_first():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.USE_I18N


def test_the_product_keeps_lhasa_office_time():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"


# --- env helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "True", "YES", " on ", "yes"])
def test_env_bool_reads_yes(monkeypatch, raw):
    monkeypatch.setenv("SUPERVISION_FLAG", raw)
    assert env_bool("SUPERVISION_FLAG", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "OFF", "", "  "])
def test_env_bool_reads_no(monkeypatch, raw):
    monkeypatch.setenv("SUPERVISION_FLAG", raw)
    assert env_bool("SUPERVISION_FLAG", True) is False


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_falls_back_to_its_default_when_unset(monkeypatch, default):
    monkeypatch.delenv("SUPERVISION_FLAG", raising=False)
    assert env_bool("SUPERVISION_FLAG", default) is default


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "y", "开", "-1"])
def test_env_bool_refuses_anything_else(monkeypatch, raw):
    monkeypatch.setenv("SUPERVISION_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="SUPERVISION_FLAG"):
        env_bool("SUPERVISION_FLAG", True)


@pytest.mark.parametrize(("raw", "value"), [("42", 42), ("0", 0), (" 7 ", 7), ("-3", -3)])
def test_env_int_reads_a_whole_number(monkeypatch, raw, value):
    monkeypatch.setenv("SUPERVISION_NUMBER", raw)
    assert env_int("SUPERVISION_NUMBER", 1) == value


@pytest.mark.parametrize("raw", ["4.2", "abc", "", "1e3"])
def test_env_int_refuses_anything_else(monkeypatch, raw):
    monkeypatch.setenv("SUPERVISION_NUMBER", raw)
    with pytest.raises(ImproperlyConfigured, match="SUPERVISION_NUMBER"):
        env_int("SUPERVISION_NUMBER", 1)


def test_env_int_falls_back_to_its_default_when_unset(monkeypatch):
    monkeypatch.delenv("SUPERVISION_NUMBER", raising=False)
    assert env_int("SUPERVISION_NUMBER", 60) == 60


@pytest.mark.parametrize(
    ("raw", "value"),
    [("a.example, b.example", ["a.example", "b.example"]), ("a,,b, ", ["a", "b"]), ("", [])],
)
def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch, raw, value):
    monkeypatch.setenv("SUPERVISION_HOSTS", raw)
    assert env_list("SUPERVISION_HOSTS", ["default"]) == value


def test_env_list_falls_back_to_its_default_when_unset(monkeypatch):
    monkeypatch.delenv("SUPERVISION_HOSTS", raising=False)
    assert env_list("SUPERVISION_HOSTS", ["default"]) == ["default"]


# --- the settings module under other environments ------------------------------------------


def _load_settings(monkeypatch, tmp_path: Path, **env: str) -> ModuleType:
    """Execute a fresh copy of supervision/settings.py under env (the live settings stay)."""
    for name in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_CONN_MAX_AGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DJANGO_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("settings_under_test", settings_module.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        _load_settings(monkeypatch, tmp_path, DJANGO_DEBUG="false")


def test_production_starts_with_a_secret_key_and_debug_off(monkeypatch, tmp_path):
    module = _load_settings(
        monkeypatch, tmp_path, DJANGO_DEBUG="0", DJANGO_SECRET_KEY="a-real-secret-from-env"
    )
    assert module.DEBUG is False
    assert module.SECRET_KEY == "a-real-secret-from-env"


def test_a_bad_debug_value_stops_the_settings_from_loading(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG"):
        _load_settings(monkeypatch, tmp_path, DJANGO_DEBUG="perhaps")


def test_a_bad_connection_age_stops_the_settings_from_loading(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_CONN_MAX_AGE"):
        _load_settings(
            monkeypatch,
            tmp_path,
            DATABASE_URL="postgres://u:p@db.example/supervision",
            DJANGO_CONN_MAX_AGE="forever",
        )


def test_the_laptop_default_is_an_sqlite_file_in_the_data_dir(monkeypatch, tmp_path):
    module = _load_settings(monkeypatch, tmp_path)
    database = module.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == tmp_path / "db.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_postgres_from_database_url_keeps_connections_and_gets_no_sqlite_options(
    monkeypatch, tmp_path
):
    module = _load_settings(
        monkeypatch,
        tmp_path,
        DATABASE_URL="postgres://u:p@db.example:5432/supervision",
        DJANGO_CONN_MAX_AGE="120",
    )
    database = module.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["HOST"], database["CONN_MAX_AGE"]) == (
        "supervision",
        "db.example",
        120,
    )
    assert "transaction_mode" not in database.get("OPTIONS", {})


def test_sessions_stay_in_the_database_when_each_process_has_its_own_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("DJANGO_CACHE_URL", raising=False)
    module = _load_settings(monkeypatch, tmp_path)
    assert module.SESSION_ENGINE == "django.contrib.sessions.backends.db"


@pytest.mark.parametrize("url", ["redis://cache:6379/0", "db://cache_table", "file:///var/tmp/c"])
def test_a_shared_cache_holds_the_sessions_in_front_of_the_database(monkeypatch, tmp_path, url):
    module = _load_settings(monkeypatch, tmp_path, DJANGO_CACHE_URL=url)
    assert module.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
