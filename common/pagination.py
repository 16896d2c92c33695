"""Page-number pagination that refuses what its schema does not allow.

DRF's ``PageNumberPagination`` falls back to the default page size for a ``page_size`` it
cannot read (``null``, ``abc``, ``0``) and clamps one over the maximum, and answers a
malformed ``page`` with 404: a client's mistake passed silently or looked like a missing page.
Here both parameters are documented with their bounds and anything outside them is a 400
``validation-error`` naming the parameter; a well-formed page past the end stays a 404.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

POSITIVE_INTEGER = re.compile(r"[1-9][0-9]*")


class StrictPageNumberPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()  # "last" is not in the schema: pages are numbers

    def paginate_queryset(
        self, queryset: Any, request: Request, view: Any = None
    ) -> list[Any] | None:
        errors = {
            name: [message]
            for name, message in (
                (self.page_query_param, self.query_error(request, self.page_query_param, None)),
                (
                    self.page_size_query_param,
                    self.query_error(request, self.page_size_query_param, self.max_page_size),
                ),
            )
            if message
        }
        if errors:
            raise serializers.ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)

    @staticmethod
    def query_error(request: Request, name: str, maximum: int | None) -> str:
        """Why the query parameter ``name`` is not a positive integer (up to ``maximum``)."""
        values = request.query_params.getlist(name)
        if not values:
            return ""
        if len(values) > 1:
            return "Give this parameter once."
        if not POSITIVE_INTEGER.fullmatch(values[0]):
            return "A positive whole number is required."
        if maximum is not None and int(values[0]) > maximum:
            return f"At most {maximum}."
        return ""

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            schema = parameter.setdefault("schema", {"type": "integer"})
            schema["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                schema["maximum"] = self.max_page_size
                schema["default"] = self.page_size
        return parameters
