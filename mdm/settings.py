"""Settings from MDM_* environment variables."""

import os

import msgspec


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    database_url: str = "sqlite+aiosqlite:///./mdm.db"
    host: str = "127.0.0.1"
    port: int = 8000
    pool_size: int = 10
    log_level: str = "info"
    # score source records no key links against the golden records (match-before-create);
    # off, ingestion links by crosswalk and keys only (bulk loads of known-clean data)
    match_on_ingest: bool = True

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Read `MDM_<FIELD>` for each field; explicit overrides win."""
        raw: dict[str, object] = {}
        for name in msgspec.structs.fields(cls):
            value = os.environ.get(f"MDM_{name.name.upper()}")
            if value is not None:
                raw[name.name] = value
        raw.update({k: v for k, v in overrides.items() if v is not None})
        return msgspec.convert(raw, cls, strict=False)
