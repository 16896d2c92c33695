"""The API's JSON parser: DRF's, after a check that the body is not nested too deeply.

Python's JSON decoder recurses once per array or object level, and so does any code that walks
the result (``syncs.intake.serializers.storable_extra``, ``json.dumps``). A body nested about 1,000
levels deep raised ``RecursionError`` inside the decoder, and ``extra`` nested about 475 levels
inside ``storable_extra``: a 500 on every POST route. No request of ours needs more than a few
levels, so anything deeper than ``MAX_JSON_DEPTH`` is refused with a 400 problem before the
decoder sees it.
"""

from __future__ import annotations

import codecs
import io
import re
from itertools import accumulate
from typing import IO, Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from common.problems import ProblemError

# Documented in the OpenAPI description and the README; our own bodies use three levels.
MAX_JSON_DEPTH = 32
# A JSON string, escapes included, in the unrolled form (no backtracking per character).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when some point of ``body`` lies more than ``limit`` arrays or objects deep.

    Counted on the raw bytes, outside strings, as the decoder would descend: the deepest
    prefix counts even if the body never closes it (a truncated body recurses just as far).
    Bodies with at most ``limit`` opening brackets anywhere (nearly all) skip the scan.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def _as_utf8(body: bytes, parser_context: Any) -> bytes:
    """The body as UTF-8 bytes for the scan: in UTF-16 or UTF-32 a bracket's byte can be half
    of another character. Undecodable bodies are left as they are for DRF's parser to refuse."""
    encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
    try:
        if codecs.lookup(encoding).name in ("utf-8", "ascii"):
            return body
        return body.decode(encoding).encode("utf-8", "surrogatepass")
    except (UnicodeError, LookupError):
        return body


class DepthLimitedJSONParser(JSONParser):
    """``application/json`` as DRF parses it, refused with 400 beyond ``MAX_JSON_DEPTH``.

    The stream is bounded already: ``common.body_limit`` refuses a body over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` before any view runs, and the WSGI input stops at
    Content-Length.
    """

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        body = stream.read()
        if json_depth_exceeds(_as_utf8(body, parser_context)):
            raise ProblemError(
                "malformed-request",
                f"JSON nested deeper than {MAX_JSON_DEPTH} levels of arrays and objects.",
                max_depth=MAX_JSON_DEPTH,
            )
        return super().parse(io.BytesIO(body), media_type, parser_context)


def refuse_body(request: Any) -> None:
    """For operations that take no body: one sent anyway is parsed (so it is held to the same
    limits) and refused unless empty, as unknown fields are refused everywhere else."""
    data = request.data
    if data not in (None, {}, []) and data != "":
        raise ProblemError(
            "validation-error",
            "This operation takes no request body.",
            errors={"non_field_errors": ["This operation takes no request body."]},
        )
