"""Errors the service raises, in plain values; the API turns each into
application/problem+json (and adds the HTTP headers: ETag, Location)."""

from collections.abc import Iterable

import msgspec


class MdmError(Exception):
    status = 500
    title = "Internal error"

    def __init__(
        self,
        detail: str,
        errors: Iterable[tuple[str, str]] = (),
        owners: dict[str, list[str]] | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.owners = owners or {}  # field -> systems allowed to write it (for a 403)
        self.record_id: str | None = None  # the golden record it was about, when one is known (audit)
        self.audited = False  # the service wrote its audit row (committed with the rest of a batch)


_NAMED = (
    ("Object missing required field", "is required"),
    ("Object contains unknown field", "is not a field of this contract"),
)


def named_field(reason: str) -> tuple[str, str] | None:
    """msgspec's "Object missing required field `x`" (or "contains unknown field") as
    (x, what is wrong with it); None when the message names no field."""
    for prefix, meaning in _NAMED:
        if reason.startswith(prefix):
            return reason.split("`")[1], meaning
    return None


class Invalid(MdmError):
    status = 422
    title = "Validation failed"

    @classmethod
    def from_validation(cls, detail: str, exc: msgspec.ValidationError) -> "Invalid":
        """msgspec says '... - at `$.billing_address.country`': one error naming that
        field and the reason."""
        reason, _, where = str(exc).partition(" - at `")
        path = where.rstrip("`").removeprefix("$").lstrip(".")
        named = named_field(reason)
        if named is not None:
            name, reason = named
            return cls(detail, [(f"{path}.{name}" if path else name, reason)])
        return cls(detail, [(path or "body", reason)])


class BadRequest(MdmError):
    status = 400
    title = "Bad request"


class UnsupportedMediaType(MdmError):
    status = 415
    title = "Unsupported media type"


class Forbidden(MdmError):
    status = 403
    title = "Forbidden"


class NotFound(MdmError):
    status = 404
    title = "Not found"


class Held(NotFound):
    """A source key whose record is held: kept, but joined to no golden record (yet)."""

    title = "Source record held"


class Conflict(MdmError):
    status = 409
    title = "Conflict"


class PreconditionFailed(MdmError):
    """The caller's expected version is not the current one (or cannot be read)."""

    status = 412
    title = "Precondition failed"

    def __init__(self, detail: str, current_version: int | None = None):
        super().__init__(detail)
        self.current_version = current_version  # the API answers it as the ETag


class PreconditionRequired(MdmError):
    status = 428
    title = "Precondition required"


class TooLarge(MdmError):
    status = 413
    title = "Content too large"


class Gone(MdmError):
    status = 410
    title = "Gone"


class Moved(MdmError):
    """A merged-away id: the client is sent to the survivor."""

    status = 301
    title = "Moved permanently"

    def __init__(self, survivor_id: str, passed: list[str]):
        super().__init__(f"merged into {survivor_id}")
        self.survivor_id = survivor_id
        self.passed = passed  # the merged-away ids on the way, the asked one first
