"""The hub's core service: ingestion, survivorship, history, crosswalks."""
