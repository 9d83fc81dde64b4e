"""ETags and If-Match: a version (of a record or of the policy) as an HTTP validator."""

from mdm.errors import PreconditionFailed, PreconditionRequired

# what If-Match may say: one ETag of ours (a version, quoted, maybe weak) or `*`
ETAG_PATTERN = r'^(\*|(W/)?"[0-9]{1,18}")$'


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The version an If-Match names; None for `*` (any current version). Without one
    the write is refused (428): it must say which version it edited."""
    if value is None:
        raise PreconditionRequired("PATCH needs an If-Match header with the record's ETag")
    if value.strip() == "*":
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    try:
        return int(tag)
    except ValueError as exc:
        raise PreconditionFailed(f"If-Match '{value}' is not an ETag of this record") from exc
