# ruff: noqa: S608 -- every statement is built from this module's own constant names; no input.
"""A frozen copy of the overview's tally triggers (supervision/tallies.py) as migrations 0100,
0102 and 0104 install them: changing the app's triggers later must not change what these
migrations do. A new version of the triggers comes with a migration (and a frozen copy) of its
own. No app code imports this module.
"""

from __future__ import annotations

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


def rebuild(connection: BaseDatabaseWrapper) -> None:
    """Recompute every total from the ratings and inspections. Call inside a transaction: on
    PostgreSQL the source tables are locked against writes (not reads) until it commits."""
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


def _vendor(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor not in TRIGGERS:
        raise NotImplementedError(f"no tally triggers for {connection.vendor}")
    return connection.vendor
