"""Punctuation that joins values into text: full-width in Chinese（…）：、；, ASCII in English.

Each joiner is a translated pattern, so the English catalog decides the English punctuation;
text built without them would carry Chinese brackets and colons into the English pages.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext, pgettext


def bracketed(text: object, note: object) -> str:
    """示例医院（H54010200012） / Example hospital (H54010200012)."""
    return pgettext("bracketed note", "%(text)s（%(note)s）") % {"text": text, "note": note}


def labelled(label: object, text: object) -> str:
    """机构：示例医院 / Facility: Example hospital."""
    return gettext("%(label)s：%(text)s") % {"label": label, "text": text}


def listed(items: Iterable[object]) -> str:
    """甲、乙、丙 / A, B, C."""
    return pgettext("list separator", "、").join(str(item) for item in items)


def clauses(items: Iterable[object]) -> str:
    """甲；乙 / A; B."""
    return pgettext("list separator", "；").join(str(item) for item in items)
