"""Facility search keys (name, pinyin, initials) and their indexes.

The keys of the facilities that exist are computed here with a frozen copy of
supervision.search.search_keys as it was when this migration was written: a migration must give
the same result whatever the app's code becomes. On PostgreSQL a trigram GIN index answers
`search_keys LIKE '%…%'` (the SQL Django writes for `search_keys__contains`), as
0010_postgres_search_indexes does for the name.
"""

import re
import unicodedata

from django.db import migrations, models
from pypinyin import Style, lazy_pinyin

# --- frozen copy of supervision.search.search_keys (2025, issue 10) ---------------------------

POLYPHONES = {
    "长": ("chang", "zhang"),
    "朝": ("chao", "zhao"),
    "重": ("zhong", "chong"),
    "行": ("xing", "hang"),
    "乐": ("le", "yue"),
    "藏": ("zang", "cang"),
    "厦": ("xia", "sha"),
    "都": ("du", "dou"),
    "单": ("dan", "shan"),
    "解": ("jie", "xie"),
    "参": ("can", "shen"),
    "调": ("tiao", "diao"),
    "传": ("chuan", "zhuan"),
    "区": ("qu", "ou"),
    "查": ("cha", "zha"),
    "柏": ("bai", "bo"),
}
MAX_VARIANTS = 4
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9a-z]+")
_SPACES = re.compile(r"\s+")


def _pieces(name):
    pieces = []
    position = 0
    for match in _HAN.finditer(name):
        pieces += [(w, w) for w in _WORD.findall(name[position : match.start()])]
        run = match.group()
        syllables = lazy_pinyin(run, style=Style.NORMAL, errors="ignore")
        if len(syllables) == len(run):
            pieces += list(zip(run, syllables))
        position = match.end()
    pieces += [(w, w) for w in _WORD.findall(name[position:])]
    return pieces


def _spellings(syllables, han):
    full = "".join(syllables)
    initials = "".join(s[0] if is_han else s for s, is_han in zip(syllables, han))
    return full, initials


def search_keys(name):
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", name).lower()).strip()
    if not text:
        return ""
    pieces = _pieces(text)
    keys = [text.replace(" ", "")]
    if pieces:
        syllables = [syllable for _, syllable in pieces]
        han = [char != syllable for char, syllable in pieces]
        keys += _spellings(syllables, han)
        variants = 0
        for index, (char, syllable) in enumerate(pieces):
            for other in POLYPHONES.get(char, ()):
                if other == syllable or variants >= MAX_VARIANTS:
                    continue
                variants += 1
                keys += _spellings([*syllables[:index], other, *syllables[index + 1 :]], han)
    return " " + " ".join(dict.fromkeys(key for key in keys if key))


# ----------------------------------------------------------------------------------------------

BATCH = 2000


def fill(apps, schema_editor):
    Facility = apps.get_model("supervision", "Facility")
    db = schema_editor.connection.alias
    rows = Facility.objects.using(db).order_by("pk").values_list("pk", "name")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        if not batch:
            break
        Facility.objects.using(db).bulk_update(
            [Facility(pk=pk, search_keys=search_keys(name)) for pk, name in batch],
            ["search_keys"],
        )
        last = batch[-1][0]


def _field():
    field = models.TextField(blank=True, default="", editable=False, verbose_name="检索词")
    field.set_attributes_from_name("search_keys")
    return field


def add_column(apps, schema_editor):
    # SQLite: Django would rebuild the whole table to add a NOT NULL column, and dropping the
    # old table drops the overview's trigger on it (0100, supervision/tallies.py) and breaks the
    # triggers of other tables that name it. ADD COLUMN with a constant default does neither.
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            'ALTER TABLE "supervision_facility" ADD COLUMN "search_keys" text NOT NULL DEFAULT \'\''
        )
    else:
        schema_editor.add_field(apps.get_model("supervision", "Facility"), _field())


def drop_column(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute('ALTER TABLE "supervision_facility" DROP COLUMN "search_keys"')
    else:
        schema_editor.remove_field(apps.get_model("supervision", "Facility"), _field())


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "facility_search_keys_trgm_idx" '
        'ON "supervision_facility" USING gin ("search_keys" gin_trgm_ops)'
    )
    # As for the name (0010): without statistics a fragment is taken to be rare, so the matches
    # are read from the trigram index and sorted, rather than the name index walked in order
    # hoping to meet enough matches early (names sharing a fragment sort together).
    schema_editor.execute(
        'ALTER TABLE "supervision_facility" ALTER COLUMN "search_keys" SET STATISTICS 0'
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "facility_search_keys_trgm_idx"')


class Migration(migrations.Migration):
    dependencies = [("supervision", "0100_tallies")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="facility",
                    name="search_keys",
                    field=models.TextField(
                        blank=True, default="", editable=False, verbose_name="检索词"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
