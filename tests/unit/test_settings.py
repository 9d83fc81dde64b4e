"""Settings from MDM_* variables, and the runtime they set up."""

import gc

import msgspec
import pytest

from mdm.settings import Settings, tune_gc


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_the_young_generation_is_collected_as_often_as_mdm_gc_threshold_says(monkeypatch, thresholds):
    monkeypatch.setenv("MDM_GC_THRESHOLD", "20000")
    older = gc.get_threshold()[1:]
    tune_gc(Settings.from_env())
    assert gc.get_threshold() == (20000, *older)  # the older generations keep theirs


def test_by_default_ingestion_is_not_collected_every_700_allocations(thresholds):
    tune_gc(Settings())
    assert gc.get_threshold()[0] == 50_000


def test_a_threshold_that_would_collect_more_often_than_python_does_is_refused(monkeypatch):
    monkeypatch.setenv("MDM_GC_THRESHOLD", "0")  # 0 would switch the collector off
    with pytest.raises(msgspec.ValidationError, match="gc_threshold"):
        Settings.from_env()


def test_a_read_replica_is_a_postgresql_replica_of_a_postgresql_hub(monkeypatch):
    pg = "postgresql+asyncpg://postgres@replica:5432/mdm"
    monkeypatch.setenv("MDM_READ_DATABASE_URL", pg)
    with pytest.raises(ValueError, match="MDM_READ_DATABASE_URL"):
        Settings.from_env()  # the embedded SQLite default has no replica
    monkeypatch.setenv("MDM_DATABASE_URL", "postgresql+asyncpg://postgres@primary:5432/mdm")
    assert Settings.from_env().read_database_url == pg
