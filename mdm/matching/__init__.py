"""Fuzzy duplicate detection: normalizers, comparators, match rules, blocking and scoring."""


def forget() -> None:
    """Drop what this process memoized (normalized values, blocking keys, features of
    golden rows): a benchmark starts each load as cold as a new process would."""
    from mdm.matching import blocking, ingest, normalize

    for module in (normalize, blocking, ingest):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
