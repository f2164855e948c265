"""Migration 20261121120200_bound_shared_inputs on a database that already holds rows.

A database built from the commit before it (BEFORE_BOUNDS) is filled with rows the old checks let
through and the new ones refuse; applying the current project must succeed, give profiles the
sign-up fallbacks (timezone UTC, locale en), validate every constraint the rows satisfy, leave the
others not valid (still checked on new writes), and keep every row.
"""

from __future__ import annotations

import subprocess
import tarfile
import uuid
from io import BytesIO
from pathlib import Path

import psycopg
import pytest

from luneo.core import migrations
from luneo.core.settings import load_settings
from tests.support.pg import REPO, Databases, Superuser, create_user

BEFORE_BOUNDS = "c000052"
"""The last commit before the input bounds migration."""


def project_at(commit: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit, "supabase"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def test_the_bounds_migration_applies_to_rows_the_new_checks_refuse(
    tmp_path: Path, databases: Databases
) -> None:
    url = databases.create(template="template0")
    migrations.apply(load_settings(project_at(BEFORE_BOUNDS, tmp_path / "old"), url))

    good = create_user(url, "good@example.com", {"full_name": "Good", "timezone": "Europe/Paris"})
    bad = create_user(url, "bad@example.com", {"full_name": "Bad"})
    long_email = "a" * 10_000 + "@example.com"  # compressible: the old schema stored it
    with Superuser(url) as su:
        su(
            "update public.profiles set timezone = 'Mars/Base', locale = %s where id = %s",
            ["fr" + "-abcd" * 20, bad],
        )
        (org,) = su(
            "insert into public.organizations (name, slug, created_by) values ('Maison', 'maison', %s) returning id",
            [good],
        )
        su(
            "insert into public.invitations (organization_id, email) values (%s, %s)",
            [org["id"], long_email],
        )
        su(
            "insert into public.api_keys (organization_id, name, key_prefix, scopes)"
            " values (%s, 'Nested', 'luneo_abcdefgh', '{{read}}')",
            [org["id"]],
        )

    report = migrations.apply(load_settings(REPO, url))
    assert "supabase/migrations/20261121120200_bound_shared_inputs.sql" in [a.path for a in report.applied]

    with Superuser(url) as su:
        profiles = {r["id"]: r for r in su("select id, timezone, locale from public.profiles")}
        assert (profiles[bad]["timezone"], profiles[bad]["locale"]) == ("UTC", "en")
        assert (profiles[good]["timezone"], profiles[good]["locale"]) == ("Europe/Paris", "en")
        assert su("select count(*) as n from public.invitations where email = %s", [long_email]) == [{"n": 1}]
        constraints = {
            r["conname"]: r["convalidated"]
            for r in su(
                "select conname, convalidated from pg_constraint where contype = 'c' and conrelid in"
                " ('public.profiles'::regclass, 'public.organizations'::regclass, 'public.team_roles'::regclass,"
                " 'public.api_keys'::regclass, 'public.invitations'::regclass, 'public.user_sessions'::regclass)"
            )
        }
    left = sorted(name for name, valid in constraints.items() if not valid)
    assert left == ["api_keys_scopes_check", "invitations_email_check"]
    assert constraints["profiles_timezone_check"] is True

    # not valid, yet checked on every new write
    with psycopg.connect(url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.StringDataRightTruncation):
            conn.execute(
                "insert into public.invitations (organization_id, email) values (%s, %s)",
                [org["id"], "b" * 3000 + "@example.com"],
            )
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("update public.profiles set timezone = 'Mars/Base' where id = %s", [good])
        conn.execute(
            "insert into public.invitations (organization_id, email) values (%s, %s)",
            [org["id"], f"{uuid.uuid4().hex}@example.com"],
        )
