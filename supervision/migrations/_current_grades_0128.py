# ruff: noqa: S608 -- every statement is built from this module's own constant names; no input.
"""A frozen copy of the triggers that keep a facility's current grade on its row
(Facility.current_grade and current_grade_year: the grade and year of its latest rated year), as
migration 0128 installs them.

The facility's own trigger is the one place the value is computed: whatever an INSERT or an
UPDATE that names the two columns writes (a save() of an instance read before a grade changed, a
fixture), the row gets the value its ratings give. A rating's insert, update or delete sets the
columns of its facility (and of the facility it left) when they change, which runs that trigger.

supervision.tallies switches them off and on with the overview's totals for a bulk load and
recomputes them in rebuild(). A later migration that alters the facilities or the ratings on
SQLite (which copies the table, dropping its triggers) must remove() them before and install()
them after. No app code imports this module.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

FACILITY = "supervision_facility"
RATING = "supervision_creditrating"

# The latest rating of the facility whose id is the expression `of`: (grade, year), or no row.
_LATEST = (
    "SELECT r.grade, r.year FROM {rating} AS r WHERE r.facility_id = {of} "
    "ORDER BY r.year DESC LIMIT 1"
)


def latest(of: str) -> str:
    return _LATEST.format(rating=RATING, of=of)


def _latest_column(column: str, of: str) -> str:
    return (
        f"(SELECT r.{column} FROM {RATING} AS r WHERE r.facility_id = {of} "
        "ORDER BY r.year DESC LIMIT 1)"
    )


FILL = {
    "postgresql": [
        f"UPDATE {FACILITY} AS f SET current_grade = r.grade, current_grade_year = r.year "
        f"FROM (SELECT DISTINCT ON (facility_id) facility_id, grade, year FROM {RATING} "
        "ORDER BY facility_id, year DESC) AS r WHERE r.facility_id = f.id",
    ],
    "sqlite": [
        f"UPDATE {FACILITY} SET current_grade = {_latest_column('grade', f'{FACILITY}.id')}, "
        f"current_grade_year = {_latest_column('year', f'{FACILITY}.id')}",
    ],
}

POSTGRESQL = [
    f"""CREATE FUNCTION supervision_facility_current_grade() RETURNS trigger LANGUAGE plpgsql
    AS $$
    BEGIN
        NEW.current_grade := NULL;
        NEW.current_grade_year := NULL;
        SELECT l.grade, l.year INTO NEW.current_grade, NEW.current_grade_year
            FROM ({latest("NEW.id")}) AS l;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER facility_current_grade BEFORE INSERT OR UPDATE OF current_grade, "
    f"current_grade_year ON {FACILITY} FOR EACH ROW "
    "EXECUTE FUNCTION supervision_facility_current_grade()",
    # The facilities a rating statement touched: their rows are rewritten (and so recomputed by
    # the trigger above) only where the grade or year shown changes.
    f"""CREATE FUNCTION supervision_rating_current_grade() RETURNS trigger LANGUAGE plpgsql
    AS $$
    BEGIN
        UPDATE {FACILITY} AS f SET current_grade = l.grade, current_grade_year = l.year
            FROM (SELECT ids.id, latest.grade, latest.year
                    FROM (SELECT NEW.facility_id AS id WHERE TG_OP <> 'DELETE'
                          UNION SELECT OLD.facility_id WHERE TG_OP <> 'INSERT') AS ids
                    LEFT JOIN LATERAL ({latest("ids.id")}) AS latest ON true) AS l
            WHERE f.id = l.id
              AND (f.current_grade, f.current_grade_year) IS DISTINCT FROM (l.grade, l.year);
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER creditrating_current_grade AFTER INSERT OR DELETE OR UPDATE OF facility_id, "
    f"year, grade ON {RATING} FOR EACH ROW EXECUTE FUNCTION supervision_rating_current_grade()",
]

POSTGRESQL_REVERSE = [
    f"DROP TRIGGER IF EXISTS creditrating_current_grade ON {RATING}",
    f"DROP TRIGGER IF EXISTS facility_current_grade ON {FACILITY}",
    "DROP FUNCTION IF EXISTS supervision_rating_current_grade()",
    "DROP FUNCTION IF EXISTS supervision_facility_current_grade()",
]


def _sqlite_set(of: str) -> str:
    return (
        f"UPDATE {FACILITY} SET current_grade = {_latest_column('grade', of)}, "
        f"current_grade_year = {_latest_column('year', of)} WHERE id = {of};"
    )


# SQLite cannot change NEW in a trigger: the row is set right after each write instead
# (recursive triggers are off, so the correction does not set its own trigger off again).
SQLITE = [
    f"CREATE TRIGGER facility_current_grade_insert AFTER INSERT ON {FACILITY} "
    f"BEGIN {_sqlite_set('NEW.id')} END",
    "CREATE TRIGGER facility_current_grade_update AFTER UPDATE OF current_grade, "
    f"current_grade_year ON {FACILITY} BEGIN {_sqlite_set('NEW.id')} END",
    f"CREATE TRIGGER creditrating_current_grade_insert AFTER INSERT ON {RATING} "
    f"BEGIN {_sqlite_set('NEW.facility_id')} END",
    f"CREATE TRIGGER creditrating_current_grade_update AFTER UPDATE OF facility_id, year, grade "
    f"ON {RATING} BEGIN {_sqlite_set('NEW.facility_id')} {_sqlite_set('OLD.facility_id')} END",
    f"CREATE TRIGGER creditrating_current_grade_delete AFTER DELETE ON {RATING} "
    f"BEGIN {_sqlite_set('OLD.facility_id')} END",
]

SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in [
        "facility_current_grade_insert",
        "facility_current_grade_update",
        "creditrating_current_grade_insert",
        "creditrating_current_grade_update",
        "creditrating_current_grade_delete",
    ]
]


def fill(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in FILL[connection.vendor]:
            cursor.execute(sql)


def install(connection: BaseDatabaseWrapper) -> None:
    statements = POSTGRESQL if connection.vendor == "postgresql" else SQLITE
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def remove(connection: BaseDatabaseWrapper) -> None:
    statements = POSTGRESQL_REVERSE if connection.vendor == "postgresql" else SQLITE_REVERSE
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
