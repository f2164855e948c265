"""Moving SQL files between folders changes nothing in a database built before the move.

The old layout is the tree of commit OLD_LAYOUT (SQL by kind: functions/private, functions/public,
policies/*.sql, the stand-in in supabase/compat), read from the repository's history. A database
built from it, then given the current layout, must re-apply each moved file once and end with
exactly the catalog of a database built from the current layout alone.
"""

from __future__ import annotations

import re
import subprocess
import tarfile
from io import BytesIO
from pathlib import Path

from luneo.core import migrations
from luneo.core.db import connect
from luneo.core.migrations.drift import fingerprint
from luneo.core.migrations.files import discover
from luneo.core.settings import load_settings
from tests.support.pg import REPO, Databases, Superuser

OLD_LAYOUT = "70a5018"
"""The last commit with SQL by kind (functions/private + functions/public) rather than by feature."""

CATALOG = {
    "policies": "select schemaname, tablename, policyname, permissive, roles::text, cmd, qual, with_check"
    " from pg_policies order by 1, 2, 3",
    "functions": "select p.oid::regprocedure::text, pg_get_functiondef(p.oid), p.proacl::text"
    " from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace"
    " where n.nspname in ('public', 'private') order by 1",
    "triggers": "select tgrelid::regclass::text, tgname, pg_get_triggerdef(oid), tgenabled"
    " from pg_trigger where not tgisinternal order by 1, 2",
}


def old_layout(into: Path) -> Path:
    """The project as it was at OLD_LAYOUT (only its supabase/ folder)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", OLD_LAYOUT, "supabase"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def catalog(url: str) -> dict[str, object]:
    with Superuser(url) as su:
        found: dict[str, object] = {name: su.tuples(query) for name, query in CATALOG.items()}
    with connect(url) as conn:
        found["fingerprint"] = fingerprint(conn)
    return found


def test_a_database_of_the_old_layout_ends_with_the_catalog_of_a_fresh_one(
    tmp_path: Path, databases: Databases, template_db: str
) -> None:
    url = databases.create(template="template0")
    old = old_layout(tmp_path / "old")
    assert (old / "supabase" / "functions" / "private" / "permissions.sql").is_file()
    migrations.apply(load_settings(old, url))
    with Superuser(url) as su:  # the old engine recorded the stand-in under the project's path
        su(
            "update supabase_migrations.luneo_history set path = replace(path, 'luneo:compat/', 'supabase/compat/')"
        )
        old_versions = {r["version"] for r in su("select version from supabase_migrations.schema_migrations")}

    report = migrations.apply(load_settings(REPO, url))

    current = discover(REPO)
    applied = [a.path for a in report.applied]
    assert len(applied) == len(set(applied)), "a file was applied twice"
    assert applied == [f.rel for f in current.versioned if f.version not in old_versions] + [
        f.rel for f in current.repeatable
    ]
    assert not report.compat_installed
    assert migrations.apply(load_settings(REPO, url)).applied == []

    fresh = databases.create(template=template_db)
    assert catalog(url) == catalog(fresh)


def test_every_trigger_states_its_firing_order(db_url: str) -> None:
    """Postgres fires triggers of one timing in name order: ours are named `_<band>_<purpose>`."""
    with Superuser(db_url) as su:
        triggers = su.tuples(
            "select tgrelid::regclass::text, tgname from pg_trigger as t join pg_class as c on c.oid = t.tgrelid"
            " join pg_namespace as n on n.oid = c.relnamespace"
            " where not tgisinternal and (n.nspname in ('public', 'private') or tgrelid = 'auth.users'::regclass)"
        )
    assert triggers
    assert [t for t in triggers if not re.fullmatch(r"_\d{3}_[a-z_]+", t[1])] == []
