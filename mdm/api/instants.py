"""Instants in query parameters (`as_of`, `updated_since`, `since`, `until`): RFC 3339
text only, years 1970 to 9998 as written, an offset optional (without one, UTC).

A plain `datetime` parameter would take `-1` as a Unix timestamp (1969) and `0001-…`
would overflow when turned to UTC; an `Instant` is read by `decode_instant` (one regular
expression, the same the OpenAPI document states), so what the document allows is
exactly what the server reads, and anything else is a 422 naming the parameter.
"""

import re
from datetime import datetime
from typing import Any

from litestar.openapi.spec import OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

_YEAR = r"(?:19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"  # 1970-9998
_LEAP = r"(?:19(?:7[26]|8[048]|9[26])|[2-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[3579][26])00)"
_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
# the calendar's days exactly (29 February in leap years only), so the pattern alone
# decides: what it allows the server reads, what it refuses the server refuses
INSTANT_PATTERN = (
    rf"^(?:{_YEAR}-{_DAY}|{_LEAP}-02-29)[Tt ]"
    r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?"
    r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?$"
)
_INSTANT = re.compile(INSTANT_PATTERN)
INSTANT_DESCRIPTION = (
    "an RFC 3339 date-time, years 1970 to 9998; without an offset it is read as UTC "
    "(anything else, a Unix timestamp too, is a 422 naming the parameter)"
)
INSTANT_EXAMPLE = "2026-11-22T02:49:41Z"


class Instant(datetime):
    """A query parameter's instant (a datetime once read)."""


def decode_instant(target: type, value: Any) -> Instant:
    """The type decoder Litestar calls for an `Instant` parameter."""
    if not isinstance(value, str) or not _INSTANT.match(value):
        raise ValueError(INSTANT_DESCRIPTION)
    text = value.replace("t", "T").replace(" ", "T").replace("z", "Z").replace("Z", "+00:00")
    if "." in text:  # Python reads at most microseconds: cut the fraction to six digits
        head, _, rest = text.partition(".")
        digits = re.match(r"[0-9]+", rest)
        assert digits is not None
        text = f"{head}.{digits.group()[:6].ljust(6, '0')}{rest[digits.end() :]}"
    return Instant.fromisoformat(text)


def is_instant(value: Any) -> bool:
    return value is Instant


TYPE_DECODERS = [(is_instant, decode_instant)]


class InstantSchemaPlugin(OpenAPISchemaPlugin):
    """An Instant in the OpenAPI document: a string held to the same pattern. Not
    `format: date-time`, which would demand an offset the server does not."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is Instant

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        return Schema(
            type=OpenAPIType.STRING,
            pattern=INSTANT_PATTERN,
            description=INSTANT_DESCRIPTION,
            examples=[INSTANT_EXAMPLE],
        )
