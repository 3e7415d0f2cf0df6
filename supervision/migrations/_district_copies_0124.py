# ruff: noqa: S608 -- every statement is built from this module's own constant names; no input.
"""A frozen copy of the triggers that keep the district copies of inspections, rectification
orders and referrals (models.inspection.DISTRICT_COPY_NOTE), as migration 0124 installs them.

A later migration that alters one of these tables or the facilities on SQLite (which copies the
table, dropping its triggers) must remove() them before and install() them after, as it does
the overview's tally triggers. No app code imports this module.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

FILL = {
    "postgresql": [
        "UPDATE supervision_inspection i SET district = f.district FROM supervision_facility f "
        "WHERE f.id = i.facility_id",
        "UPDATE supervision_rectification r SET district = f.district "
        "FROM supervision_facility f WHERE f.id = r.facility_id",
        "UPDATE supervision_referral r SET district = i.district FROM supervision_inspection i "
        "WHERE i.id = r.inspection_id",
    ],
    "sqlite": [
        "UPDATE supervision_inspection SET district = COALESCE((SELECT f.district FROM "
        "supervision_facility f WHERE f.id = supervision_inspection.facility_id), '')",
        "UPDATE supervision_rectification SET district = COALESCE((SELECT f.district FROM "
        "supervision_facility f WHERE f.id = supervision_rectification.facility_id), '')",
        "UPDATE supervision_referral SET district = COALESCE((SELECT i.district FROM "
        "supervision_inspection i WHERE i.id = supervision_referral.inspection_id), '')",
    ],
}

POSTGRESQL = [
    # A row's copy is its facility's (its inspection's), whatever the statement wrote.
    """CREATE FUNCTION supervision_district_of_facility() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.district := COALESCE(
            (SELECT f.district FROM supervision_facility f WHERE f.id = NEW.facility_id), '');
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION supervision_district_of_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.district := COALESCE(
            (SELECT i.district FROM supervision_inspection i WHERE i.id = NEW.inspection_id), '');
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER inspection_district BEFORE INSERT OR UPDATE OF facility_id, district "
    "ON supervision_inspection FOR EACH ROW EXECUTE FUNCTION supervision_district_of_facility()",
    "CREATE TRIGGER rectification_district BEFORE INSERT OR UPDATE OF facility_id, district "
    "ON supervision_rectification FOR EACH ROW "
    "EXECUTE FUNCTION supervision_district_of_facility()",
    "CREATE TRIGGER referral_district BEFORE INSERT OR UPDATE OF inspection_id, district "
    "ON supervision_referral FOR EACH ROW EXECUTE FUNCTION supervision_district_of_inspection()",
    # A facility's district goes to its inspections and orders (also one inserted after them,
    # as a fixture may: foreign keys are checked at commit), an inspection's to its referrals.
    """CREATE FUNCTION supervision_facility_district_copies() RETURNS trigger LANGUAGE plpgsql
    AS $$
    BEGIN
        UPDATE supervision_inspection SET district = NEW.district
            WHERE facility_id = NEW.id AND district IS DISTINCT FROM NEW.district;
        UPDATE supervision_rectification SET district = NEW.district
            WHERE facility_id = NEW.id AND district IS DISTINCT FROM NEW.district;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION supervision_inspection_district_copies() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE supervision_referral SET district = NEW.district
            WHERE inspection_id = NEW.id AND district IS DISTINCT FROM NEW.district;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER facility_district_copies AFTER INSERT OR UPDATE OF district "
    "ON supervision_facility FOR EACH ROW "
    "EXECUTE FUNCTION supervision_facility_district_copies()",
    "CREATE TRIGGER inspection_district_copies AFTER INSERT OR UPDATE OF facility_id, district "
    "ON supervision_inspection FOR EACH ROW "
    "EXECUTE FUNCTION supervision_inspection_district_copies()",
]

POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS inspection_district_copies ON supervision_inspection",
    "DROP TRIGGER IF EXISTS facility_district_copies ON supervision_facility",
    "DROP TRIGGER IF EXISTS referral_district ON supervision_referral",
    "DROP TRIGGER IF EXISTS rectification_district ON supervision_rectification",
    "DROP TRIGGER IF EXISTS inspection_district ON supervision_inspection",
    "DROP FUNCTION IF EXISTS supervision_inspection_district_copies()",
    "DROP FUNCTION IF EXISTS supervision_facility_district_copies()",
    "DROP FUNCTION IF EXISTS supervision_district_of_inspection()",
    "DROP FUNCTION IF EXISTS supervision_district_of_facility()",
]

_OF_FACILITY = (
    "COALESCE((SELECT district FROM supervision_facility WHERE id = NEW.facility_id), '')"
)
_OF_INSPECTION = (
    "COALESCE((SELECT district FROM supervision_inspection WHERE id = NEW.inspection_id), '')"
)

# SQLite cannot change NEW in a trigger: the row is corrected right after each write instead
# (recursive triggers are off, so the correction does not set its own trigger off again).
SQLITE = [
    *(
        f"CREATE TRIGGER {table}_district_{event[0]} AFTER {event[1]} ON supervision_{table} "
        f"BEGIN UPDATE supervision_{table} SET district = {source} WHERE id = NEW.id; END"
        for table, source, columns in [
            ("inspection", _OF_FACILITY, "facility_id"),
            ("rectification", _OF_FACILITY, "facility_id"),
            ("referral", _OF_INSPECTION, "inspection_id"),
        ]
        for event in [("insert", "INSERT"), ("update", f"UPDATE OF {columns}, district")]
    ),
    *(
        f"CREATE TRIGGER facility_district_copies_{name} AFTER {event} ON supervision_facility "
        f"{when} BEGIN "
        "UPDATE supervision_inspection SET district = NEW.district WHERE facility_id = NEW.id; "
        "UPDATE supervision_rectification SET district = NEW.district WHERE facility_id = NEW.id; "
        "END"
        for name, event, when in [
            ("insert", "INSERT", ""),
            ("update", "UPDATE OF district", "WHEN OLD.district IS NOT NEW.district"),
        ]
    ),
    # The inspection's district as it is now (the statement's value may be corrected after).
    *(
        f"CREATE TRIGGER inspection_district_copies_{name} AFTER {event} "
        "ON supervision_inspection BEGIN UPDATE supervision_referral SET district = "
        "(SELECT district FROM supervision_inspection WHERE id = NEW.id) "
        "WHERE inspection_id = NEW.id; END"
        for name, event in [("insert", "INSERT"), ("update", "UPDATE OF district")]
    ),
]

SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in [
        "inspection_district_insert",
        "inspection_district_update",
        "rectification_district_insert",
        "rectification_district_update",
        "referral_district_insert",
        "referral_district_update",
        "facility_district_copies_insert",
        "facility_district_copies_update",
        "inspection_district_copies_insert",
        "inspection_district_copies_update",
    ]
]


def fill(connection: BaseDatabaseWrapper) -> None:
    """Give the rows there are their copies (before install(): the triggers would look each
    row's facility up again)."""
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
