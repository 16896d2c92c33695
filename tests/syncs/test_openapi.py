"""The intake schema's patterns mean what the serializers do."""

from __future__ import annotations

import re
import sys

from syncs.intake.openapi import NOT_BLANK


def test_not_blank_matches_exactly_the_characters_strip_keeps():
    pattern = re.compile(NOT_BLANK)
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert bool(pattern.search(char)) == bool(char.strip()), hex(code)
