"""Content negotiation for the API, answering the common cases without parsing.

Chatbot vendors send ``Accept: */*``, ``Accept: application/json`` or nothing at all. DRF's
negotiation parses the header into media types and ranks them on every request (about 45 µs
a request on the 2-core host); for those three the answer is known. Anything else
(``?format=``, a list, parameters, another type) goes to DRF's own negotiation, so 406 and
every other answer stay DRF's.
"""

from __future__ import annotations

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

JSON = "application/json"
PLAIN_ACCEPTS = ("*/*", JSON)


class ApiContentNegotiation(DefaultContentNegotiation):
    # DRF passes a list (APIView.perform_content_negotiation); its stubs widen it to Iterable.
    def select_renderer(  # type: ignore[override]
        self, request: Request, renderers: list[BaseRenderer], format_suffix: Any = None
    ) -> tuple[BaseRenderer, str]:
        accept = request.META.get("HTTP_ACCEPT", "*/*").strip()
        if (
            accept in PLAIN_ACCEPTS
            and renderers
            and renderers[0].media_type == JSON
            and not format_suffix
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], JSON  # what DRF answers for these (tested)
        return super().select_renderer(request, renderers, format_suffix)
