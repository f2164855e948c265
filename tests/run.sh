#!/usr/bin/env bash
# The whole test suite on a fresh machine with only Python 3.11+ (the README's test command):
# creates .venv, installs the project with its test extras, then runs ruff, the import contracts
# (lint-imports: cli -> workers -> core, only luneo.core.db imports psycopg), the SQL linters
# (`luneo db lint` over supabase/; sqlfluff over the stand-in, the embedded server's SQL
# extensions, the fixtures and the engine's named queries)
# and pytest against a real Postgres (embedded unless LUNEO_TEST_DATABASE_URL is set).
# Extra arguments go to pytest.
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
echo "== import contracts"
.venv/bin/lint-imports --no-cache
echo "== sql lint"
.venv/bin/luneo db lint
.venv/bin/sqlfluff lint core/compat core/extensions tests/fixtures
# named queries hold psycopg %(name)s parameters: linted with the placeholder templater
.venv/bin/sqlfluff lint --templater placeholder core/migrations/*.sql core/checks/*.sql \
    core/typegen/*.sql workers/*.sql workers/*/*.sql
echo "== pytest"
.venv/bin/python -m pytest -n 2 "$@"
