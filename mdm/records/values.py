"""Field values in their one in-memory form (JSON builtins).

Payloads, overrides, history and survivorship all work on builtins (dates and money as
strings); conversion to typed columns happens only at the table boundary (mdm.db.convert),
and the checks on values are mdm.records.validation's.
"""

from typing import Any

import msgspec

Record = dict[str, Any]


def drop_nulls(value: Any) -> Any:
    """Builtins without null fields at any depth: a null carries no value from a source."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def payload_hash(payload: Record) -> str:
    import hashlib

    return hashlib.sha256(msgspec.json.encode(payload, order="sorted")).hexdigest()
