"""Storage of cases, tokens and the audit log: tables, migrations and repositories."""
