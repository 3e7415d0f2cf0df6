# ruff: noqa: S608 -- every statement is built from this module's own constant names; no input.
"""The triggers that keep GradeTally and InspectionTally (supervision/models/tally.py) right.

Every insert, update and delete of a credit rating or an inspection adds to or takes from the
row of its (year, grade, district) or (month, kind, district), in the statement's own transaction;
a facility moved to another district carries its ratings and inspections along. A change that
leaves a total as it was (a new score, a new finding) touches no tally row.

On PostgreSQL the rows a statement touches are taken in key order (ORDER BY before ON CONFLICT),
so that two transactions changing grades take their row locks in the same order.

Written for both engines with the same names; install() and remove() are what migration 0100
ran (it keeps a frozen copy, migrations/_tallies_0100.py: a change here needs a new migration),
rebuild() recomputes every total from the source tables (`manage.py rebuild_tallies`,
generate_data after a bulk load with the triggers off).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.backends.base.base import BaseDatabaseWrapper

RATING = "supervision_creditrating"
INSPECTION = "supervision_inspection"
FACILITY = "supervision_facility"
GRADES = "supervision_gradetally"
MONTHS = "supervision_inspectiontally"

TRIGGERS = {
    # table: trigger names (SQLite needs one per event; PostgreSQL one per table)
    "postgresql": [
        (RATING, "supervision_creditrating_tally"),
        (INSPECTION, "supervision_inspection_tally"),
        (FACILITY, "supervision_facility_tally"),
    ],
    "sqlite": [
        (RATING, "supervision_creditrating_tally_insert"),
        (RATING, "supervision_creditrating_tally_update"),
        (RATING, "supervision_creditrating_tally_delete"),
        (INSPECTION, "supervision_inspection_tally_insert"),
        (INSPECTION, "supervision_inspection_tally_update"),
        (INSPECTION, "supervision_inspection_tally_delete"),
        (FACILITY, "supervision_facility_tally"),
    ],
}
# The triggers that keep each facility's current grade on its row (Facility.current_grade,
# migration 0128): switched off and on with the totals for a bulk load, and recomputed by
# rebuild().
CURRENT_GRADE_TRIGGERS = [
    (FACILITY, "facility_current_grade"),
    (RATING, "creditrating_current_grade"),
]
FUNCTIONS = [
    "supervision_tally_rating",
    "supervision_tally_inspection",
    "supervision_tally_facility",
]

ADD_GRADES = (
    f"ON CONFLICT (year, grade, district) DO UPDATE SET facilities = {GRADES}.facilities"
    " + excluded.facilities"
)
ADD_MONTHS = (
    f"ON CONFLICT (month, kind, district) DO UPDATE SET"
    f" inspections = {MONTHS}.inspections + excluded.inspections,"
    f" amount_involved = {MONTHS}.amount_involved + excluded.amount_involved,"
    f" amount_recovered = {MONTHS}.amount_recovered + excluded.amount_recovered"
)
GRADE_COLUMNS = f"{GRADES} (year, grade, district, facilities)"
MONTH_COLUMNS = f"{MONTHS} (month, kind, district, inspections, amount_involved, amount_recovered)"

POSTGRESQL = [
    f"""
CREATE OR REPLACE FUNCTION supervision_tally_rating() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {GRADE_COLUMNS}
  SELECT d.year, d.grade, f.district, SUM(d.n)
  FROM (
    SELECT OLD.facility_id AS facility_id, OLD.year AS year, OLD.grade AS grade, -1 AS n
     WHERE TG_OP <> 'INSERT'
    UNION ALL
    SELECT NEW.facility_id, NEW.year, NEW.grade, 1 WHERE TG_OP <> 'DELETE'
  ) AS d
  JOIN {FACILITY} AS f ON f.id = d.facility_id
  GROUP BY 1, 2, 3
  HAVING SUM(d.n) <> 0
  ORDER BY 1, 2, 3
  {ADD_GRADES};
  RETURN NULL;
END $$""",
    f"""
CREATE TRIGGER supervision_creditrating_tally
AFTER INSERT OR DELETE OR UPDATE OF facility_id, year, grade ON {RATING}
FOR EACH ROW EXECUTE FUNCTION supervision_tally_rating()""",
    f"""
CREATE OR REPLACE FUNCTION supervision_tally_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {MONTH_COLUMNS}
  SELECT d.month, d.kind, f.district, SUM(d.n), SUM(d.involved), SUM(d.recovered)
  FROM (
    SELECT OLD.facility_id AS facility_id, date_trunc('month', OLD.start_date)::date AS month,
           OLD.kind AS kind, -1 AS n, -OLD.amount_involved AS involved,
           -OLD.amount_recovered AS recovered
     WHERE TG_OP <> 'INSERT'
    UNION ALL
    SELECT NEW.facility_id, date_trunc('month', NEW.start_date)::date, NEW.kind, 1,
           NEW.amount_involved, NEW.amount_recovered
     WHERE TG_OP <> 'DELETE'
  ) AS d
  JOIN {FACILITY} AS f ON f.id = d.facility_id
  GROUP BY 1, 2, 3
  HAVING SUM(d.n) <> 0 OR SUM(d.involved) <> 0 OR SUM(d.recovered) <> 0
  ORDER BY 1, 2, 3
  {ADD_MONTHS};
  RETURN NULL;
END $$""",
    f"""
CREATE TRIGGER supervision_inspection_tally
AFTER INSERT OR DELETE
   OR UPDATE OF facility_id, start_date, kind, amount_involved, amount_recovered ON {INSPECTION}
FOR EACH ROW EXECUTE FUNCTION supervision_tally_inspection()""",
    f"""
CREATE OR REPLACE FUNCTION supervision_tally_facility() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.district IS NOT DISTINCT FROM OLD.district THEN
    RETURN NULL;
  END IF;
  INSERT INTO {GRADE_COLUMNS}
  SELECT r.year, r.grade, m.district, SUM(m.n)
  FROM {RATING} AS r CROSS JOIN (VALUES (OLD.district, -1), (NEW.district, 1)) AS m(district, n)
  WHERE r.facility_id = NEW.id
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  {ADD_GRADES};
  INSERT INTO {MONTH_COLUMNS}
  SELECT date_trunc('month', i.start_date)::date, i.kind, m.district, SUM(m.n),
         SUM(m.n * i.amount_involved), SUM(m.n * i.amount_recovered)
  FROM {INSPECTION} AS i CROSS JOIN (VALUES (OLD.district, -1), (NEW.district, 1)) AS m(district, n)
  WHERE i.facility_id = NEW.id
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  {ADD_MONTHS};
  RETURN NULL;
END $$""",
    f"""
CREATE TRIGGER supervision_facility_tally
AFTER UPDATE OF district ON {FACILITY}
FOR EACH ROW EXECUTE FUNCTION supervision_tally_facility()""",
]


def _sqlite_rating(row: str, sign: int) -> str:
    return f"""
  INSERT INTO {GRADE_COLUMNS}
  SELECT {row}.year, {row}.grade, f.district, {sign}
  FROM {FACILITY} AS f WHERE f.id = {row}.facility_id
  {ADD_GRADES};"""


def _sqlite_inspection(row: str, sign: int) -> str:
    return f"""
  INSERT INTO {MONTH_COLUMNS}
  SELECT date({row}.start_date, 'start of month'), {row}.kind, f.district, {sign},
         {sign} * {row}.amount_involved, {sign} * {row}.amount_recovered
  FROM {FACILITY} AS f WHERE f.id = {row}.facility_id
  {ADD_MONTHS};"""


def _sqlite_move(district: str, sign: int) -> str:
    return f"""
  INSERT INTO {GRADE_COLUMNS}
  SELECT r.year, r.grade, {district}, {sign} * COUNT(*)
  FROM {RATING} AS r WHERE r.facility_id = NEW.id
  GROUP BY r.year, r.grade
  {ADD_GRADES};
  INSERT INTO {MONTH_COLUMNS}
  SELECT date(i.start_date, 'start of month'), i.kind, {district}, {sign} * COUNT(*),
         {sign} * SUM(i.amount_involved), {sign} * SUM(i.amount_recovered)
  FROM {INSPECTION} AS i WHERE i.facility_id = NEW.id
  GROUP BY 1, 2
  {ADD_MONTHS};"""


INSPECTION_COLUMNS = "facility_id, start_date, kind, amount_involved, amount_recovered"
SQLITE = [
    f"CREATE TRIGGER supervision_creditrating_tally_insert AFTER INSERT ON {RATING} BEGIN"
    f"{_sqlite_rating('NEW', 1)}\nEND",
    f"CREATE TRIGGER supervision_creditrating_tally_update"
    f" AFTER UPDATE OF facility_id, year, grade ON {RATING} BEGIN"
    f"{_sqlite_rating('OLD', -1)}{_sqlite_rating('NEW', 1)}\nEND",
    f"CREATE TRIGGER supervision_creditrating_tally_delete AFTER DELETE ON {RATING} BEGIN"
    f"{_sqlite_rating('OLD', -1)}\nEND",
    f"CREATE TRIGGER supervision_inspection_tally_insert AFTER INSERT ON {INSPECTION} BEGIN"
    f"{_sqlite_inspection('NEW', 1)}\nEND",
    f"CREATE TRIGGER supervision_inspection_tally_update"
    f" AFTER UPDATE OF {INSPECTION_COLUMNS} ON {INSPECTION} BEGIN"
    f"{_sqlite_inspection('OLD', -1)}{_sqlite_inspection('NEW', 1)}\nEND",
    f"CREATE TRIGGER supervision_inspection_tally_delete AFTER DELETE ON {INSPECTION} BEGIN"
    f"{_sqlite_inspection('OLD', -1)}\nEND",
    f"CREATE TRIGGER supervision_facility_tally AFTER UPDATE OF district ON {FACILITY}"
    f" WHEN NEW.district IS NOT OLD.district BEGIN"
    f"{_sqlite_move('OLD.district', -1)}{_sqlite_move('NEW.district', 1)}\nEND",
]

MONTH_OF = {
    "postgresql": "date_trunc('month', i.start_date)::date",
    "sqlite": "date(i.start_date, 'start of month')",
}


def install(connection: BaseDatabaseWrapper) -> None:
    """Create the triggers (and on PostgreSQL their functions)."""
    statements = POSTGRESQL if _vendor(connection) == "postgresql" else SQLITE
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def remove(connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers (and functions): for reversing the migration."""
    with connection.cursor() as cursor:
        for table, name in TRIGGERS[_vendor(connection)]:
            on = f" ON {table}" if connection.vendor == "postgresql" else ""
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}{on}")
        if connection.vendor == "postgresql":
            for function in FUNCTIONS:
                cursor.execute(f"DROP FUNCTION IF EXISTS {function}()")


def set_enabled(connection: BaseDatabaseWrapper, enabled: bool) -> bool:
    """Switch the triggers off for a bulk load and on again (PostgreSQL; SQLite has no such
    switch, and its triggers keep counting). Returns whether the switch was made: then the
    caller rebuilds afterwards, in the same transaction."""
    if connection.vendor != "postgresql":
        return False
    action = "ENABLE" if enabled else "DISABLE"
    with connection.cursor() as cursor:
        for table, name in [*TRIGGERS["postgresql"], *CURRENT_GRADE_TRIGGERS]:
            cursor.execute(f"ALTER TABLE {table} {action} TRIGGER {name}")
    return True


def lock_grade_rows(
    connection: BaseDatabaseWrapper, year: int, grades: Sequence[str], districts: Sequence[str]
) -> None:
    """Take, in key order, the row locks of every (year, grade, district) total a transaction
    is about to change many times (PostgreSQL; SQLite serialises writers anyway).

    A trigger takes the rows of one statement in key order, but a transaction of many
    statements (a bulk grade edit) would take them in the order of its facilities, and two such
    transactions could each hold a row the other waits for. Locked up front, in the order every
    statement uses, they queue instead. Missing rows are created (at 0) so there is a row to lock.
    """
    if connection.vendor != "postgresql" or not districts:
        return
    keys = sorted({(year, grade, district) for grade in grades for district in districts})
    values = ", ".join(["(%s::smallint, %s::varchar, %s::varchar, 0)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {GRADE_COLUMNS} SELECT * FROM (VALUES {values}) AS v ORDER BY 1, 2, 3"
            " ON CONFLICT (year, grade, district) DO NOTHING",
            [part for key in keys for part in key],
        )
        cursor.execute(
            f"SELECT id FROM {GRADES} WHERE year = %s AND grade = ANY(%s) AND district = ANY(%s)"
            " ORDER BY year, grade, district FOR UPDATE",
            [year, list(grades), list(districts)],
        )


def rebuild(connection: BaseDatabaseWrapper) -> int:
    """Recompute every total from the ratings and inspections, and every facility's current
    grade; returns how many facilities' current grades were wrong. Call inside a transaction:
    on PostgreSQL the source tables are locked against writes (not reads) until it commits."""
    month = MONTH_OF[_vendor(connection)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {FACILITY}, {RATING}, {INSPECTION} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {GRADES}")
        cursor.execute(
            f"INSERT INTO {GRADE_COLUMNS}"
            f" SELECT r.year, r.grade, f.district, COUNT(*)"
            f" FROM {RATING} AS r JOIN {FACILITY} AS f ON f.id = r.facility_id"
            f" GROUP BY r.year, r.grade, f.district"
        )
        cursor.execute(f"DELETE FROM {MONTHS}")
        cursor.execute(
            f"INSERT INTO {MONTH_COLUMNS}"
            f" SELECT {month}, i.kind, f.district, COUNT(*),"
            f" SUM(i.amount_involved), SUM(i.amount_recovered)"
            f" FROM {INSPECTION} AS i JOIN {FACILITY} AS f ON f.id = i.facility_id"
            f" GROUP BY 1, 2, 3"
        )
    return rebuild_current_grades(connection)


# Each facility's (grade, year) of its latest rated year, or no row when never rated.
_LATEST = {
    "postgresql": (
        f"SELECT DISTINCT ON (facility_id) facility_id, grade, year FROM {RATING}"
        " ORDER BY facility_id, year DESC"
    ),
    "sqlite": (f"SELECT facility_id, grade, MAX(year) AS year FROM {RATING} GROUP BY facility_id"),
}


def rebuild_current_grades(connection: BaseDatabaseWrapper) -> int:
    """Set every facility's current grade from its ratings, writing only the rows that differ
    (a bulk load with the triggers off leaves them all empty); returns how many were written."""
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    latest = f"(SELECT {{}} FROM supervision_latest_grade AS l WHERE l.facility_id = {FACILITY}.id)"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE supervision_latest_grade"
            " (facility_id bigint PRIMARY KEY, grade varchar(1), year smallint)"
        )
        try:
            cursor.execute(f"INSERT INTO supervision_latest_grade {_LATEST[_vendor(connection)]}")
            cursor.execute(
                f"UPDATE {FACILITY} SET current_grade = {latest.format('l.grade')},"
                f" current_grade_year = {latest.format('l.year')}"
                f" WHERE current_grade {differs} {latest.format('l.grade')}"
                f" OR current_grade_year {differs} {latest.format('l.year')}"
            )
            return cursor.rowcount
        finally:
            cursor.execute("DROP TABLE supervision_latest_grade")


def _vendor(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor not in TRIGGERS:
        raise NotImplementedError(f"no tally triggers for {connection.vendor}")
    return connection.vendor
