"""The one way a merge chain is followed: from a merged-away id to the record it ends at
(its survivor's survivor, and so on), with the merged-away ids passed on the way. Whether
the next step is read from memory (a workspace, a batch of rows) or from the database,
the walk and its bound are these."""

from collections.abc import Awaitable, Callable
from typing import Any

MAX_CHAIN = 100  # a longer chain is a corrupt one: callers answer it as an error, never loop


def follow(first: str, survivor_of: Callable[[str], str | None]) -> tuple[str, list[str]] | None:
    """Where the chain from `first` ends and the ids passed; None when it does not end."""
    current, passed = first, []
    while (nxt := survivor_of(current)) is not None:
        passed.append(current)
        if len(passed) > MAX_CHAIN:
            return None
        current = nxt
    return current, passed


async def follow_rows(
    first: Any,
    read: Callable[[str], Awaitable[Any]],
    *,
    merged_into: Callable[[Any], str | None],
    id_of: Callable[[Any], str],
) -> tuple[Any, list[str]] | None:
    """`follow` over stored rows read one by one: the live row the chain ends at and the ids
    passed; None when it does not end or a survivor is missing."""
    row, passed = first, []
    while (nxt := merged_into(row)) is not None:
        passed.append(id_of(row))
        if len(passed) > MAX_CHAIN:
            return None
        row = await read(nxt)
        if row is None:
            return None
    return row, passed
