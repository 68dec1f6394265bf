"""The JSON parser every endpoint uses: a body nested too deeply to decode is a 400, not a 500.

Python's `json` decoder recurses once per nesting level, so `[[[[...]]]]` a few thousand levels
deep raises RecursionError, which DRF's JSONParser does not catch (only ValueError).
"""

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
