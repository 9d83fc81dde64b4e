"""API keys: made once, shown once, stored as a hash, cached briefly after a lookup.

A key is `mdm_` + 43 URL-safe random characters (256 bits), so a plain sha256 is a safe
way to keep it: there is nothing to guess that a slow hash would protect.
"""

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from ulid import ULID

from mdm.db import api_keys as store
from mdm.db.engine import Database
from mdm.policy.rules import subjects_of
from mdm.policy.vocabulary import ROLES

PRINCIPAL = re.compile(r"^(system|user):[a-z0-9][a-z0-9._-]{0,60}$")
CACHE_SECONDS = 5.0  # a revoked key stops working on every worker within this


@dataclass(frozen=True)
class Caller:
    principal: str
    roles: frozenset[str]
    key_id: str

    @cached_property
    def subjects(self) -> tuple[str, ...]:
        return subjects_of(self.principal, self.roles)

    @property
    def system(self) -> str | None:
        kind, _, name = self.principal.partition(":")
        return name if kind == "system" else None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_principal(principal: str, roles: list[str]) -> list[str]:
    problems = []
    if not PRINCIPAL.match(principal):
        problems.append(f"principal '{principal}' must be system:<code> or user:<name> (lower case)")
    problems += [f"unknown role '{r}' (one of {', '.join(ROLES)})" for r in roles if r not in ROLES]
    return problems


async def create_key(db: Database, principal: str, roles: list[str]) -> tuple[str, str]:
    """(key id, the key). The key is not stored and cannot be shown again."""
    problems = check_principal(principal, roles)
    if problems:
        raise ValueError("; ".join(problems))
    key = "mdm_" + secrets.token_urlsafe(32)
    key_id = f"key_{ULID()}"
    async with db.transaction() as session:
        await store.add(session, key_id, principal, sorted(set(roles)), hash_key(key), datetime.now(UTC))
    return key_id, key


class KeyCache:
    """Lookups by key hash, kept CACHE_SECONDS so authentication costs no query per request:
    a key revoked is refused on every worker within CACHE_SECONDS. On the primary; on the
    read replica (`replica`) only when the primary does not answer, so that reads served
    there go on while the primary is down (a key revoked just before it went down may then
    be taken for the replica's replay delay)."""

    def __init__(self, db: Database, replica: Database | None = None):
        self.db = db
        self.replica = replica if replica is not db else None
        self.entries: dict[str, tuple[float, Caller | None]] = {}
        self.headers: dict[bytes, tuple[float, Caller | None]] = {}

    async def caller_for_header(self, header: bytes) -> Caller | None:
        """The caller an Authorization header names; the hot path is one dict lookup."""
        now = time.monotonic()
        hit = self.headers.get(header)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        scheme, _, key = header.decode("latin-1").partition(" ")
        key = key.strip()
        caller = None
        if scheme.lower() == "bearer" and key.startswith("mdm_") and len(key) < 200:
            caller = await self.caller(key)
        if len(self.headers) > 10_000:
            self.headers.clear()
        self.headers[header] = (now, caller)
        return caller

    async def caller(self, key: str) -> Caller | None:
        digest = hash_key(key)
        now = time.monotonic()
        hit = self.entries.get(digest)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        try:
            row = await _lookup(self.db, digest)
        except Exception:  # the primary does not answer (whatever the driver raised): the replica
            if self.replica is None:
                raise
            row = await _lookup(self.replica, digest)
        caller = None
        if row is not None and row.revoked_at is None:
            caller = Caller(principal=row.principal, roles=frozenset(row.roles), key_id=row.id)
        if len(self.entries) > 10_000:  # unknown keys must not grow this without bound
            self.entries.clear()
        self.entries[digest] = (now, caller)
        return caller


async def _lookup(db: Database, digest: str) -> Any:
    async with db.sessionmaker(write=False)() as session:
        return await store.by_hash(session, digest)
