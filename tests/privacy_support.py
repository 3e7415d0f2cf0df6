"""What the privacy tables share (test_insured_privacy, test_practitioner_privacy): a response's
text, whatever its format, and the surfaces that read one record as one persona."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.api import client_for

Case = Any


def response_text(response) -> str:
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats-officedocument"):
        return _xlsx_text(body)
    text = body.decode("utf-8", errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return text


def _xlsx_text(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return "".join(
            archive.read(name).decode("utf-8", errors="replace")
            for name in archive.namelist()
            if name.endswith(".xml")
        )


@dataclass(frozen=True)
class Surface:
    name: str
    get: Callable[[Case, object], object]  # (case, user) -> response
    # Whether the surface presents the person's number (full or masked).
    presents_number: bool = False
    # An export of the person list: never the full number, whoever reads it.
    export: bool = False
    # A search by what was typed (the page may show it back): it must not find the person.
    typed: str = ""


def _url(name: str, args: list) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch as error:
        raise AssertionError(f"{name}: a surface of the table has no route") from error


def page(name: str, *args_of: Callable[[Case], object], query: dict | None = None):
    def get(case: Case, user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client.get(_url(name, [f(case) for f in args_of]), query or {})

    return get


def api(name: str, *args_of: Callable[[Case], object], query: str = ""):
    def get(case: Case, user):
        path = _url(name, [f(case) for f in args_of]) + query
        return (client_for(user) if user is not None else Client()).get(path)

    return get
