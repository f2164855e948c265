"""`luneo db repair`: the ledger marked by hand, one test per repair, each recorded with who and
why, and what the next `apply` does about it."""

from __future__ import annotations

import hashlib
import os
import socket
from typing import Any

import pytest

from luneo.core import migrations
from luneo.core.errors import ChecksumMismatch, UsageError
from tests.support.project import Project

ITEMS = "create table public.items (id bigint primary key);\n"
STATEMENT = "create table public.tags (id bigint primary key)"
TAGS = STATEMENT + ";\n"
V1, V2 = "20250101000000", "20250102000000"
P1, P2 = f"supabase/migrations/{V1}_items.sql", f"supabase/migrations/{V2}_tags.sql"
FUNCTION = "create function public.answer() returns int language sql as 'select 42';\n"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def states(project: Project) -> dict[str, str]:
    return {s.path: s.state for s in migrations.status(project.settings())}


def last_history(project: Project, path: str) -> dict[str, Any]:
    kind, version, checksum, details, applied_by, success, duration = project.query(
        "select kind, version, checksum, details, applied_by, success, duration_ms"
        " from supabase_migrations.luneo_history where path = %s order by id desc limit 1",
        (path,),
    )[0]
    return {
        "kind": kind,
        "version": version,
        "checksum": checksum,
        "details": details,
        "applied_by": applied_by,
        "success": success,
        "duration_ms": duration,
    }


def who(project: Project) -> tuple[str, str]:
    """(the database role, the OS user@host) a repair records."""
    role = project.scalar("select current_user")
    return role, f"{os.environ.get('USER', 'user')}@{socket.gethostname()}"


def applied_items(project: Project) -> None:
    project.migration(V1, "items", ITEMS)
    migrations.apply(project.settings())


def test_applied_records_a_version_without_running_it(project: Project) -> None:
    applied_items(project)
    project.migration(V2, "tags", TAGS)  # already made by hand, say
    project.query(TAGS)
    assert states(project)[P2] == "pending"

    report = migrations.repair(project.settings(), "applied", V2, note="created by hand in the incident")

    assert (report.action, report.path, report.version) == ("applied", P2, V2)
    assert states(project) == {P1: "applied", P2: "applied"}
    assert project.query(
        "select name, statements from supabase_migrations.schema_migrations where version = %s", (V2,)
    ) == [("tags", [STATEMENT])]
    role, os_user = who(project)
    assert last_history(project, P2) == {
        "kind": "versioned",
        "version": V2,
        "checksum": sha(TAGS),
        "details": {"repair": "applied", "note": "created by hand in the incident", "by": os_user},
        "applied_by": role,
        "success": True,
        "duration_ms": 0,
    }
    report = migrations.apply(project.settings())  # would fail on "relation tags already exists"
    assert report.applied == []


def test_applied_refuses_a_version_with_no_file_or_already_applied(project: Project) -> None:
    applied_items(project)

    with pytest.raises(UsageError, match=rf"version {V2} matches no file"):
        migrations.repair(project.settings(), "applied", V2)
    with pytest.raises(UsageError, match=rf"{P1} is already applied"):
        migrations.repair(project.settings(), "applied", V1)
    assert (
        project.scalar("select count(*) from supabase_migrations.luneo_history where details ? 'repair'") == 0
    )


def test_reverted_version_is_run_again_by_apply_with_its_new_checksum(project: Project) -> None:
    applied_items(project)
    project.query("drop table public.items")  # undone by hand
    edited = ITEMS + "comment on table public.items is 'again';\n"
    project.migration(V1, "items", edited)
    assert states(project)[P1] == "changed"

    report = migrations.repair(project.settings(), "reverted", V1, note="dropped by hand")

    assert states(project) == {P1: "pending"}
    assert project.scalar("select count(*) from supabase_migrations.schema_migrations") == 0
    role, os_user = who(project)
    row = last_history(project, P1)
    assert row["details"] == {
        "repair": "reverted",
        "note": "dropped by hand",
        "by": os_user,
        "previous": sha(ITEMS),
    }
    assert (row["kind"], row["version"], row["applied_by"], row["success"]) == ("versioned", V1, role, True)
    assert report.details == row["details"]

    applied = migrations.apply(project.settings())

    assert [a.path for a in applied.applied] == [P1]
    assert project.scalar("select obj_description('public.items'::regclass)") == "again"
    assert states(project) == {P1: "applied"}
    assert last_history(project, P1)["checksum"] == sha(edited)


def test_reverted_works_for_a_missing_file_and_ignores_checksums_from_before(project: Project) -> None:
    applied_items(project)
    (project.root / P1).unlink()
    assert states(project) == {P1: "missing-file"}

    migrations.repair(project.settings(), "reverted", V1)

    assert states(project) == {}
    assert last_history(project, P1)["details"]["note"] is None
    # the Supabase CLI records it again: adopted afresh, the checksum of before the revert forgotten
    project.migration(V1, "items", ITEMS + "-- edited\n")
    project.query(
        "insert into supabase_migrations.schema_migrations (version, name) values (%s, 'items')", (V1,)
    )
    assert migrations.apply(project.settings()).adopted == [P1]
    assert states(project) == {P1: "applied"}


def test_reverted_refuses_an_unknown_or_pending_version(project: Project) -> None:
    applied_items(project)
    project.migration(V2, "tags", TAGS)

    with pytest.raises(UsageError, match=r"version 20990101000000 matches no file .* and no applied version"):
        migrations.repair(project.settings(), "reverted", "20990101000000")
    with pytest.raises(UsageError, match=rf"{P2} is not applied \(pending\)"):
        migrations.repair(project.settings(), "reverted", V2)
    assert states(project) == {P1: "applied", P2: "pending"}


def test_accept_checksum_stops_apply_refusing_a_reviewed_edit(project: Project) -> None:
    applied_items(project)
    edited = "-- reviewed: a comment only\n" + ITEMS
    project.migration(V1, "items", edited)
    with pytest.raises(ChecksumMismatch):
        migrations.apply(project.settings())
    project.migration(V2, "tags", TAGS)
    with pytest.raises(UsageError, match=rf"{P2} is pending; only a changed applied file"):
        migrations.repair(project.settings(), "accept-checksum", V2)
    (project.root / P2).unlink()

    migrations.repair(project.settings(), "accept-checksum", V1, note="comment added, reviewed by ana")

    assert states(project) == {P1: "applied"}
    role, os_user = who(project)
    row = last_history(project, P1)
    assert (row["checksum"], row["applied_by"]) == (sha(edited), role)
    assert row["details"] == {
        "repair": "accept-checksum",
        "note": "comment added, reviewed by ana",
        "by": os_user,
        "previous": sha(ITEMS),
    }
    assert migrations.apply(project.settings()).applied == []  # not refused, not run
    with pytest.raises(UsageError, match=r"checksum already matches"):
        migrations.repair(project.settings(), "accept-checksum", V1)


def test_forget_keeps_a_deleted_files_objects(project: Project) -> None:
    applied_items(project)
    path = "supabase/functions/answer.sql"
    f = project.write(path, FUNCTION)
    migrations.apply(project.settings())
    f.unlink()
    assert states(project)[path] == "deleted"

    report = migrations.repair(project.settings(), "forget", path, note="moved to another project")

    assert report.path == path
    assert path not in states(project)
    role, os_user = who(project)
    row = last_history(project, path)
    assert (row["kind"], row["checksum"], row["applied_by"], row["success"]) == (
        "repeatable",
        sha(FUNCTION),
        role,
        True,
    )
    assert row["details"] == {
        "repair": "forget",
        "note": "moved to another project",
        "by": os_user,
        "deleted": True,
        "dropped": [],
    }
    report = migrations.apply(project.settings())
    assert report.removed == []
    assert project.scalar("select public.answer()") == 42
    assert migrations.verify(project.settings()).ok


def test_forget_refuses_a_current_or_unknown_file(project: Project) -> None:
    applied_items(project)
    project.write("supabase/functions/answer.sql", FUNCTION)
    migrations.apply(project.settings())

    with pytest.raises(UsageError, match=r"answer.sql still exists \(applied\)"):
        migrations.repair(project.settings(), "forget", "supabase/functions/answer.sql")
    with pytest.raises(UsageError, match=r"supabase/functions/nope.sql is not a repeatable file"):
        migrations.repair(project.settings(), "forget", "supabase/functions/nope.sql")


def test_a_database_that_is_not_local_is_refused_before_connecting_unless_confirmed(project: Project) -> None:
    project.migration(V1, "items", ITEMS)
    remote = project.settings(
        database_url="postgresql://postgres@10.255.255.1:5432/postgres?connect_timeout=1"
    )

    with pytest.raises(
        UsageError,
        match=r"refusing to repair the migration history of postgres@10.255.255.1:5432/postgres, which is not local; pass --force",
    ):
        migrations.repair(remote, "applied", V1)
    assert project.scalar("select to_regclass('supabase_migrations.luneo_history')") is None
