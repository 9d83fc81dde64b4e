"""Errors the service raises; the API turns each into application/problem+json."""

from collections.abc import Iterable


class MdmError(Exception):
    status = 500
    title = "Internal error"

    def __init__(
        self,
        detail: str,
        errors: Iterable[tuple[str, str]] = (),
        headers: dict[str, str] | None = None,
        owners: dict[str, list[str]] | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers or {}
        self.owners = owners or {}  # field -> systems allowed to write it (for a 403)


class Invalid(MdmError):
    status = 422
    title = "Validation failed"


class Forbidden(MdmError):
    status = 403
    title = "Forbidden"


class NotFound(MdmError):
    status = 404
    title = "Not found"


class Conflict(MdmError):
    status = 409
    title = "Conflict"


class PreconditionFailed(MdmError):
    status = 412
    title = "Precondition failed"


class PreconditionRequired(MdmError):
    status = 428
    title = "Precondition required"


class TooLarge(MdmError):
    status = 413
    title = "Content too large"


class Moved(MdmError):
    """A merged-away id: the client is sent to the survivor."""

    status = 301
    title = "Moved permanently"

    def __init__(self, survivor_id: str, location: str, passed: list[str]):
        super().__init__(f"merged into {survivor_id}", headers={"Location": location})
        self.survivor_id = survivor_id
        self.passed = passed
