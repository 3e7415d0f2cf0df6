"""JSON input that the database can store."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No body of this API nests deeper than a few levels (an object, a list of ids); a deeper one
# is refused before anything walks it recursively (json itself gives up near 1,000 levels).
MAX_JSON_DEPTH = 32


def depth_of(data: Any) -> int:
    """How deeply lists and objects nest in data (a scalar is 0), without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing text that is not valid Unicode or nests too deeply.

    JSON may spell a lone surrogate ("\\ud800"); Python accepts it, but it cannot be encoded
    for the database, so it would fail at the write. Refused here as a 400 instead, as is a
    body nested past MAX_JSON_DEPTH (at about 1,000 levels Python's decoder stops with a
    RecursionError, which would otherwise be a 500).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = _("JSON嵌套层数过多：最多%(n)d层。") % {"n": MAX_JSON_DEPTH}
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(too_deep) from exc
        if depth_of(data) > MAX_JSON_DEPTH:
            raise ParseError(too_deep)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ParseError(_("请求中含有无效的Unicode字符。")) from exc
        return data
