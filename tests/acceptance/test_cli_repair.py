"""`luneo db repair` through the real command: what it prints, what it records, its exit codes."""

from __future__ import annotations

import json

from tests.support.cli import luneo
from tests.support.project import Project

ITEMS = "create table public.items (id bigint primary key);\n"
PATH = "supabase/migrations/20250101000000_items.sql"


def test_repair_reverted_then_applied_with_a_note_and_json(project: Project) -> None:
    project.migration("20250101000000", "items", ITEMS)
    where = ["--db-url", project.url, "--dir", str(project.root)]
    assert luneo("db", "apply", *where).returncode == 0

    reverted = luneo("db", "repair", "--reverted", "20250101000000", "--note", "undone by hand", *where)

    assert reverted.returncode == 0, reverted.stderr
    assert reverted.stdout.splitlines()[0] == f"repaired {PATH}: marked not applied (the next apply runs it)"
    assert "recorded in supabase_migrations.luneo_history of " in reverted.stdout
    assert reverted.stdout.rstrip().endswith("note: undone by hand")
    status = luneo("db", "status", "--json", *where)
    assert [(f["path"], f["state"]) for f in json.loads(status.stdout)] == [(PATH, "pending")]

    applied = luneo("db", "repair", "--applied", "20250101000000", "--json", *where)

    assert applied.returncode == 0, applied.stderr
    report = json.loads(applied.stdout)
    assert (report["action"], report["path"], report["version"]) == ("applied", PATH, "20250101000000")
    assert report["details"]["repair"] == "applied"
    assert report["details"]["note"] is None
    assert project.query(
        "select details ->> 'repair', details ->> 'note' from supabase_migrations.luneo_history"
        " where details ? 'repair' order by id"
    ) == [("reverted", "undone by hand"), ("applied", None)]
    again = luneo("db", "apply", *where)
    assert again.returncode == 0
    assert "nothing to apply" in again.stdout


def test_repair_refusals_exit_2_with_one_error_line(project: Project) -> None:
    project.migration("20250101000000", "items", ITEMS)
    where = ["--db-url", project.url, "--dir", str(project.root)]
    remote = "postgresql://postgres:secret@10.255.255.1:5432/postgres"

    cases = {
        ("db", "repair", *where): "error: give exactly one of --applied VERSION",
        ("db", "repair", "--applied", "1", "--reverted", "1", *where): "error: give exactly one of",
        ("db", "repair", "--reverted", "20250101000000", *where): f"error: {PATH} is not applied (pending)",
        ("db", "repair", "--applied", "20250101000000", "--db-url", remote, "--dir", str(project.root)): (
            "error: refusing to repair the migration history of postgres@10.255.255.1:5432/postgres, "
            "which is not local; pass --force"
        ),
    }
    for args, error in cases.items():
        result = luneo(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert next(x for x in result.stderr.splitlines() if x.startswith("error:")).startswith(error)
        assert "secret" not in result.stderr + result.stdout
    assert (
        project.scalar("select to_regclass('supabase_migrations.luneo_history')") is None
    )  # nothing written
