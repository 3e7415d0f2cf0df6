"""The reasons the system writes on history rows by itself ("检查完成", "移送公安机关" …).

Stored as their Chinese source text, whatever the language of the person who caused them, and
translated when shown (shown_reason): so a history row reads in the reader's language, and rows
written before this (in Chinese, or in English by someone using the English pages) still do. A
reason a person typed is not among these and is shown as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from supervision.choices import Agency, ReferralStatus, SanctionKind

INSPECTION_COMPLETED = gettext_noop("检查完成")
EVIDENCE_UPLOADED = gettext_noop("上传证据材料")
# A correction of a record in the admin (supervision/admin/cases.py writes it).
CORRECTED = gettext_noop("更正")
_REFERRED = gettext_noop("移送%(agency)s")


def _render(write: Callable[[], str]) -> str:
    """The reason in the source language: gettext with no catalog active returns the Chinese
    source text of every string, the choices' labels included."""
    with translation.override(None):
        return write()


def _referred_to(agency: str) -> Callable[[], str]:
    return lambda: gettext(_REFERRED) % {"agency": Agency(agency).label}


def _label(label) -> Callable[[], str]:
    return lambda: str(label)


def _writers() -> list[Callable[[], str]]:
    """Every reason the system writes, as a function of the active language."""
    return [
        lambda: gettext(INSPECTION_COMPLETED),
        lambda: gettext(EVIDENCE_UPLOADED),
        lambda: gettext(CORRECTED),
        *(_referred_to(agency) for agency in Agency.values),
        *(_label(status.label) for status in ReferralStatus),
        *(_label(kind.label) for kind in SanctionKind),
    ]


def referred_to(agency: str) -> str:
    """An inspection referred to an agency: 移送公安机关."""
    return _render(_referred_to(agency))


def referral_moved(status: str) -> str:
    """A referral moved to a status: 已立案."""
    return _render(_label(ReferralStatus(status).label))


def sanction_recorded(kind: str) -> str:
    """A sanction of a kind recorded: 暂停医保服务协议."""
    return _render(_label(SanctionKind(kind).label))


@cache
def _known() -> dict[str, Callable[[], str]]:
    """Each system reason by its stored text: the Chinese source, and the English one that rows
    written from the English pages before reasons were stored in Chinese hold."""
    known: dict[str, Callable[[], str]] = {}
    for write in _writers():
        known[_render(write)] = write
        with translation.override("en"):
            known.setdefault(write(), write)
    return known


def shown_reason(stored: str) -> str:
    """A history row's reason for the reader: a system reason in the active language, a typed
    one as typed."""
    write = _known().get(stored)
    return write() if write is not None else stored
