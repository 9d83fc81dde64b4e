"""Fuzzy duplicate detection: normalizers, measures and levels, match rules (a Fellegi-Sunter
model), blocking, scoring and training."""


def forget() -> None:
    """Drop what this process memoized (normalized values, blocking keys, features of
    golden rows): a benchmark starts each load as cold as a new process would."""
    from mdm.matching import blocking, ingest, levels, normalize

    for module in (normalize, levels, blocking, ingest):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
