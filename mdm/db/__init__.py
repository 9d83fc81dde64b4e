"""Storage: tables, engines, the raw-driver read path and migrations."""
