#!/usr/bin/env bash
# The whole test suite on a fresh machine with only Python 3.11+:
# creates .venv, installs the project with its test extras, then runs ruff, the SQL linters
# (`luneo db lint`: sqlfluff over supabase/ plus the migration safety rules; sqlfluff over
# core/*.sql and tests/fixtures) and pytest against a real Postgres (embedded unless
# LUNEO_TEST_DATABASE_URL is set). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== sql lint"
.venv/bin/luneo db lint
.venv/bin/sqlfluff lint --templater placeholder core/*.sql
.venv/bin/sqlfluff lint tests/fixtures
echo "== pytest"
.venv/bin/python -m pytest -n 2 "$@"
