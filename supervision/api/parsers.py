"""JSON input that the database can store."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing text that is not valid Unicode.

    JSON may spell a lone surrogate ("\\ud800"); Python accepts it, but it cannot be encoded
    for the database, so it would fail at the write. Refused here as a 400 instead.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ParseError(_("请求中含有无效的Unicode字符。")) from exc
        return data
