"""Fuzzy duplicate detection: normalizers, comparators, match rules, blocking and scoring."""
