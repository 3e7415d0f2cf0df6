"""Search keys: what a facility (or an officer) can be found by when someone types.

A name becomes one string of space-separated keys, stored on the facility
(`Facility.search_keys`) so that the database can index it (a trigram GIN index on PostgreSQL,
migration 0101):

    " 示例格桑大药房 shiligesangdayaofang slgsdyf"

- the name itself, NFKC-normalised (full-width letters and digits become plain ones) and
  lower-cased;
- its full pinyin without tones or spaces (``gesang``), read with pypinyin's phrase dictionary;
- its initials (``gsdyf``); a run that is not Chinese (digits, Latin letters) is kept whole in
  both, so "示例格桑大药房0000123" also has ``slgsdyf0000123``;
- for a character read two common ways (长 chang/zhang, 朝 chao/zhao …, POLYPHONES below), the
  full pinyin and the initials with the other reading too. Only a short, chosen list: pypinyin's
  ``heteronym`` lists every reading a character ever has (示 shi/qi/zhi, 大 da/dai/tai), and all
  their combinations would multiply the keys many times for readings nobody types.

Each key starts after a space, so a term of one or two letters can be matched at the start of a
key (``" gs"``): pg_trgm then has whole trigrams to look up ("  g", " gs"), where "gs" alone
has none and makes it read the whole index. See terms_query(). (Two Chinese characters still
have no trigram: such a term is matched anywhere, by a scan of the index; bench/RESULTS.md.)

Typed text goes through normalize_term(), the same normalisation, so that what was typed and
what was stored compare character for character. The migration that filled the keys for the
rows that existed then has its own frozen copy of this function: change both knowingly (and
write a data migration that recomputes the keys).
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.db import DatabaseError, connections
from django.db.models import F, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat
from pypinyin import Style, lazy_pinyin

# A term this short is matched at the start of a key only (see the module's docstring).
SHORT_TERM = 2
# Search words beyond this many are ignored: each is one more condition on the index.
MAX_TERMS = 5
# Characters with two readings both common in names of places and businesses.
POLYPHONES: dict[str, tuple[str, ...]] = {
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
# At most this many alternative readings per name (one character at a time).
MAX_VARIANTS = 4

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9a-z]+")
_SPACES = re.compile(r"\s+")


def normalize_term(text: str) -> str:
    """Typed text as the keys hold it: NFKC, lower case, single spaces, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


@lru_cache(maxsize=4096)
def _han_syllables(run: str) -> tuple[str, ...]:
    """The toneless syllables of a run of Chinese characters, in context (cached: generated
    names repeat a few hundred runs a million times)."""
    return tuple(lazy_pinyin(run, style=Style.NORMAL, errors="ignore"))


def _pieces(name: str) -> list[tuple[str, str]]:
    """The name as (character or Latin/digit run, its syllable) pairs, in order.

    A Chinese character's syllable is its reading; a Latin/digit run reads as itself; anything
    else (punctuation, spaces) is left out of the pinyin keys.
    """
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in _HAN.finditer(name):
        pieces += [(w, w) for w in _WORD.findall(name[position : match.start()])]
        run = match.group()
        syllables = _han_syllables(run)
        if len(syllables) == len(run):
            pieces += list(zip(run, syllables, strict=True))
        position = match.end()
    pieces += [(w, w) for w in _WORD.findall(name[position:])]
    return pieces


def _spellings(syllables: list[str], han: list[bool]) -> tuple[str, str]:
    full = "".join(syllables)
    initials = "".join(s[0] if is_han else s for s, is_han in zip(syllables, han, strict=True))
    return full, initials


def search_keys(name: str) -> str:
    """The search keys of a name (see the module's docstring); "" for an empty name."""
    text = normalize_term(name)
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
    unique = list(dict.fromkeys(key for key in keys if key))
    return " " + " ".join(unique)


# A case number as the bureau writes it: 拉医保稽〔2025〕12号, [2025]12, （2025）12号 … (matched
# after NFKC, which makes full-width brackets and digits plain ones).
_DOCKET = re.compile(r"[〔\[(]\s*(\d{4})\s*[〕\])]\s*(\d{1,7})\s*号?")


def docket_of(text: str) -> tuple[int, int] | None:
    """The (year, sequence) a search names by case number, else None: any prefix, any of the
    usual brackets, with or without 号."""
    found = _DOCKET.search(unicodedata.normalize("NFKC", str(text)))
    if found is None:
        return None
    year, sequence = int(found.group(1)), int(found.group(2))
    return (year, sequence) if 1900 <= year <= 2999 and sequence > 0 else None


def search_terms(text: str) -> list[str]:
    """The words of a search, normalised; at most MAX_TERMS, duplicates dropped."""
    return list(dict.fromkeys(normalize_term(text).split()))[:MAX_TERMS]


def _looks_like_code(term: str) -> bool:
    return term.isascii() and term.isalnum()


def terms_query(terms: list[str], path: str = "", keys_field: str | None = None) -> Q:
    """Every term matches the facility at `path` (e.g. "facility__"): its name, pinyin or
    initials, or the start of its credit code or insurance code.

    A Latin or digit term of one or two characters matches the start of a key ("gs" finds
    格桑… by its initials, not every name with "gs" somewhere in its pinyin) so that the trigram
    index can answer it; other terms match anywhere in a key (a Chinese word is found in the
    middle of a name).
    """
    keys_field = keys_field or f"{path}search_keys"
    query = Q()
    for term in terms:
        condition = Q(**{f"{keys_field}__contains": _key_pattern(term)})
        if _looks_like_code(term):
            code = term.upper()
            condition |= Q(**{f"{path}credit_code__startswith": code})
            condition |= Q(**{f"{path}insurance_code__startswith": code})
        query &= condition
    return query


def _key_pattern(term: str) -> str:
    short = len(term) <= SHORT_TERM and term.isascii()
    return f" {term}" if short else term


# --- Common words: planned as an ordered walk, not through the trigram index -------------------

# A search whose words are in at least this share of the facilities' keys is common: the first
# page is found by walking the list's own order (name, grade, deposit …) and keeping the rows
# that match, which stops after about 50 / share rows; through the trigram index every match is
# fetched and sorted first (half a million for 示例, and two Chinese characters have no trigram,
# so the whole index is read). Below it, the trigram index wins: a walk would read 50 / share.
COMMON_SHARE = 0.01
# Below this many facilities every plan is quick, and no sample is taken.
SAMPLE_FROM = 50_000
# About this many rows are sampled (whole pages of the table, the same pages every time).
SAMPLE_ROWS = 5_000
# How long a word's share is remembered by a process, and for how many words.
SHARE_SECONDS = 300
SHARE_WORDS = 512

_shares: dict[tuple[str, tuple[str, ...]], tuple[float, Share | None]] = {}


@dataclass(frozen=True)
class Share:
    """How common a search's words are among the facilities: the share of a sample that
    matches, and what that makes of the whole table."""

    share: float
    rows: int

    @property
    def common(self) -> bool:
        return self.share >= COMMON_SHARE


def facility_share(terms: list[str], alias: str) -> Share | None:
    """On PostgreSQL with a large registry, the share of the facilities whose search keys hold
    every term, from a fixed sample of the table's pages (TABLESAMPLE SYSTEM … REPEATABLE: a
    few milliseconds); None elsewhere (SQLite has no trigram index to choose against) or when
    the sample cannot be taken. Remembered for SHARE_SECONDS per process."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or not terms:
        return None
    key = (alias, tuple(terms))
    now = time.monotonic()
    remembered = _shares.get(key)
    if remembered is not None and now - remembered[0] < SHARE_SECONDS:
        return remembered[1]
    share = _sampled_share(terms, connection)
    if len(_shares) >= SHARE_WORDS:
        _shares.clear()
    _shares[key] = (now, share)
    return share


def _sampled_share(terms: list[str], connection) -> Share | None:
    patterns = [f"%{connection.ops.prep_for_like_query(_key_pattern(t))}%" for t in terms]
    matches = " AND ".join(["search_keys LIKE %s"] * len(patterns))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = 'supervision_facility'::regclass"
            )
            total = int(cursor.fetchone()[0])
            if total < SAMPLE_FROM:
                return None
            percent = min(100.0, 100.0 * SAMPLE_ROWS / total)
            cursor.execute(
                f"SELECT COUNT(*), COUNT(*) FILTER (WHERE {matches}) "  # noqa: S608 -- constant
                "FROM supervision_facility TABLESAMPLE SYSTEM (%s) REPEATABLE (1)",
                [*patterns, percent],
            )
            sampled, matched = cursor.fetchone()
    except DatabaseError:
        return None
    if not sampled:
        return None
    return Share(share=matched / sampled, rows=round(total * matched / sampled))


def filter_by_terms(queryset: QuerySet, terms: list[str], path: str = "") -> QuerySet:
    """queryset narrowed to the facilities (at path) that every term matches (terms_query),
    planned for how common the words are (facility_share).

    A common search compares an expression of the keys that no index covers, so the database
    walks the list's order and keeps the rows that match; a list of facilities (path "") then
    carries the sample's estimate of its matches for the paginator (`rows_estimate`), where the
    planner's own is a guess. A rarer one is looked up in the trigram index, and a list of
    facilities is marked `sort_matches` (see sorted_after_matching): its matches gather in one
    stretch of the name order (every 格桑阳光… together), so a walk of the name index that
    expects them spread out reads half the table before it has a page.
    """
    share = facility_share(terms, queryset.db) if terms else None
    if share is None:
        return queryset.filter(terms_query(terms, path))
    if not share.common:
        narrowed = queryset.filter(terms_query(terms, path))
        if not path:
            narrowed.query.sort_matches = True
        return narrowed
    unindexed = Concat(F(f"{path}search_keys"), Value(""), output_field=TextField())
    narrowed = queryset.alias(search_keys_walked=unindexed).filter(
        terms_query(terms, path, keys_field="search_keys_walked")
    )
    if not path:
        narrowed.query.rows_estimate = share.rows
    return narrowed


def sorted_after_matching(queryset: QuerySet, text_fields: tuple[str, ...] = ("name",)) -> QuerySet:
    """A list marked by filter_by_terms (`sort_matches`), its text keys ordered by an
    expression of equal order that no index covers: the database fetches the matches from the
    trigram index and sorts them (a few thousand at most: they are under COMMON_SHARE of the
    table) instead of walking the name index. Anything else is returned as it is."""
    if not getattr(queryset.query, "sort_matches", False):
        return queryset
    keys = list(queryset.query.order_by or queryset.model._meta.ordering)
    if not any(str(key).lstrip("-") in text_fields for key in keys if isinstance(key, str)):
        return queryset
    ordering = []
    for key in keys:
        name = key.lstrip("-") if isinstance(key, str) else None
        if name in text_fields:
            expression = Concat(F(name), Value(""), output_field=TextField())
            ordering.append(expression.desc() if key.startswith("-") else expression.asc())
        else:
            ordering.append(key)
    return queryset.order_by(*ordering)


def tip_terms_query(terms: list[str]) -> Q:
    """Every term matches a tip's own search keys (supervision.models.tip.tip_search_keys): the
    name, pinyin, initials or codes of its facility, or the name of the subject as reported. A
    Latin or digit term of one or two characters matches the start of a key, as for facilities;
    codes are keys of their own, so a code matches wherever it is typed from."""
    query = Q()
    for term in terms:
        short = len(term) <= SHORT_TERM and term.isascii()
        query &= Q(search_keys__contains=f" {term}" if short else term)
    return query


# --- Names of people: matched from their start -------------------------------------------------

# Above every character: term + LAST_CHARACTER bounds the names that start with term.
LAST_CHARACTER = "\U0010ffff"


@lru_cache(maxsize=8)
def orders_by_code_point(alias: str) -> bool:
    """Whether the database of alias compares text by code point (SQLite's BINARY, PostgreSQL's
    C, POSIX or C.UTF-8 collation): then the names starting with a term are one range of the
    name index, in the list's order. Under a linguistic collation (zh_CN.UTF-8 sorts by pinyin)
    they are not, and only the LIKE is used."""
    from django.db import connections

    connection = connections[alias]
    if connection.vendor == "sqlite":
        return True
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        row = cursor.fetchone()
    collation = (row[0] if row else "") or ""
    return collation in ("C", "POSIX") or collation.startswith("C.")


def name_starts_with(field: str, term: str, alias: str) -> Q:
    """The rows whose field starts with term: a LIKE 'term%', and, where the collation allows,
    the same as a range of the field's index (PostgreSQL does not turn a LIKE into a range under
    a collation other than C: on five million names it would read the index from its start)."""
    condition = Q(**{f"{field}__startswith": term})
    if orders_by_code_point(alias):
        condition &= Q(**{f"{field}__gte": term, f"{field}__lt": term + LAST_CHARACTER})
    return condition
