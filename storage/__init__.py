"""Storage: tables, sessions, registry import and export, migrations."""
