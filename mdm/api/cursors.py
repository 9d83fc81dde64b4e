"""Opaque page cursors: the last id (or number) of the previous page, base64url."""

import base64
import re

from mdm.errors import Invalid

_CURSOR_ID = re.compile(r"^[a-z]+_[0-9A-HJKMNP-TV-Z]{26}$")


def _not_ours() -> Invalid:
    return Invalid("cursor is not valid", [("cursor", "not a cursor this API gave out")])


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The last id of the previous page; anything this API did not hand out is a 422."""
    try:
        last_id = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        last_id = ""
    if not _CURSOR_ID.match(last_id):
        raise _not_ours()
    return last_id


def encode_cursor_number(last: int) -> str:
    return encode_cursor(f"n_{last}")


def decode_cursor_number(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
        return int(text.removeprefix("n_")) if text.startswith("n_") else int("x")
    except (ValueError, UnicodeDecodeError) as exc:
        raise _not_ours() from exc
