"""What the commands print: names as data, partial reports on failure, dry runs, verify's
sections, lint's progress, Ctrl-C during apply, status through a pipe."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from tests.support.cli import luneo
from tests.support.project import Project

ITEMS = (
    "create table public.items (id int primary key);\n\nalter table public.items enable row level security;\n"
)


def run(project: Project, *args: str) -> subprocess.CompletedProcess:
    return luneo(*args, "--db-url", project.url, "--dir", str(project.root))


def test_object_names_and_paths_are_printed_literally(project: Project) -> None:
    project.migration("20250101000000", "create_items", ITEMS)
    policies = project.write(
        "supabase/policies/[b]/items.sql",
        'create policy "x [/]" on public.items for select to anon using (true);\n'
        'create policy "[bold]y[/bold]" on public.items for select to anon using (true);\n',
    )
    first = run(project, "db", "apply")
    assert first.returncode == 0, first.stderr
    assert "applied supabase/policies/[b]/items.sql (2 statements" in first.stdout

    policies.write_text('create policy "z" on public.items for select to anon using (true);\n')
    second = run(project, "db", "apply")
    assert second.returncode == 0, second.stderr
    assert 'policy "[bold]y[/bold]" on public.items' in second.stdout
    assert 'policy "x [/]" on public.items' in second.stdout

    status = run(project, "db", "status")
    assert status.returncode == 0, status.stderr
    assert ["supabase/policies/[b]/items.sql", "repeatable", "applied"] in [
        line.split() for line in status.stdout.splitlines()
    ]

    project.query('create policy "w [/]" on public.items for select to anon using (true)')
    verify = run(project, "db", "verify")
    assert verify.returncode == 1, verify.stderr
    assert "  added policy public.items.w [/]\n" in verify.stdout


def test_apply_json_reports_what_was_applied_and_the_failure(project: Project) -> None:
    project.migration("20250101000000", "create_items", ITEMS)
    project.migration("20250102000000", "broken", "select 1;\nselect * from public.missing;\n")

    result = run(project, "db", "apply", "--json")

    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert [a["path"] for a in report["applied"]] == ["supabase/migrations/20250101000000_create_items.sql"]
    assert report["error"] == (
        'supabase/migrations/20250102000000_broken.sql:2: relation "public.missing" does not exist (SQLSTATE 42P01)'
    )
    assert f"error: {report['error']}" in result.stderr.splitlines()
    assert project.scalar("select to_regclass('public.items')::text") == "items"

    human = run(project, "db", "apply")  # the first file is applied now: nothing before the failure
    assert human.returncode == 1
    assert human.stdout == ""


def test_the_text_report_of_a_failed_apply_lists_what_stayed_applied(project: Project) -> None:
    project.migration("20250101000000", "create_items", ITEMS)
    project.migration("20250102000000", "broken", "select * from public.missing;\n")
    result = run(project, "db", "apply")
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].startswith(
        "applied supabase/migrations/20250101000000_create_items.sql (2 statements"
    )
    assert "done:" not in result.stdout


def test_dry_run_says_would_apply(project: Project) -> None:
    project.migration("20250101000000", "create_items", ITEMS)
    result = run(project, "db", "apply", "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "would install the Supabase stand-in (luneo.core.compat)" in lines
    assert any(
        line.startswith("would apply supabase/migrations/20250101000000_create_items.sql") for line in lines
    )
    assert not [line for line in lines if line.startswith(("applied", "installed"))]
    assert lines[-1] == "dry run: 1 file(s) would be applied; everything was rolled back"


def test_verify_separates_pending_files_from_drift_and_ends_with_a_summary(project: Project) -> None:
    project.migration("20250101000000", "create_items", ITEMS)
    assert run(project, "db", "apply").returncode == 0
    project.migration("20250102000000", "later", "select 1;\n")
    for n in range(30):
        project.query(f"create table public.sneaky_{n:02} (id int)")

    result = run(project, "db", "verify")

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "files not applied, by the ledger (1):",
        "  pending  supabase/migrations/20250102000000_later.sql",
        "objects changed outside migrations since the last apply (60):",
    ]
    assert lines[3] == "  added column public.sneaky_00.id"
    assert len(lines[3:23]) == 20
    assert lines[23:] == [
        "  ... and 40 more (--json lists them all)",
        "verify failed: 61 problem(s): 1 file(s) not applied, 0 declared object(s) missing, 60 object(s) changed outside migrations",
    ]

    full = json.loads(run(project, "db", "verify", "--json").stdout)
    assert len(full["drift"]) == 60
    assert [f["path"] for f in full["not_applied"]] == ["supabase/migrations/20250102000000_later.sql"]


def test_lint_shows_progress_on_stderr(project: Project) -> None:
    project.migration("20250101000000", "create_items", ITEMS)
    project.migration("20250102000000", "more", "select 1;\n")
    result = luneo("db", "lint", "--dir", str(project.root))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "sqlfluff 1/2 supabase/migrations/20250101000000_create_items.sql",
        "sqlfluff 2/2 supabase/migrations/20250102000000_more.sql",
    ]
    assert result.stdout == "ok: no findings\n"


def test_status_through_a_pipe_is_plain_columns_that_never_wrap(project: Project) -> None:
    name = "create_" + "a_rather_long_name_" * 8 + "items"
    project.migration("20250101000000", name, ITEMS)
    result = run(project, "db", "status")
    assert result.returncode == 0, result.stderr
    path = f"supabase/migrations/20250101000000_{name}.sql"
    assert result.stdout.splitlines() == [
        "file".ljust(len(path)) + "  kind       state",
        f"{path}  versioned  pending",
    ]


# Ctrl-C: the child must not inherit an ignored SIGINT (as background jobs of a shell do)
CTRL_C_LUNEO = [
    sys.executable,
    "-c",
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler);"
    "from luneo.cli.main import run; run()",
]


@pytest.mark.parametrize("as_json", [False, True])
def test_ctrl_c_during_apply_says_what_was_rolled_back_and_what_stayed(
    project: Project, as_json: bool
) -> None:
    project.migration("20250101000000", "create_items", ITEMS)
    project.migration(
        "20250102000000", "slow", "create table public.slow (id int);\n\nselect pg_sleep(60);\n"
    )
    args = [
        "db",
        "apply",
        *(["--json"] if as_json else []),
        "--db-url",
        project.url,
        "--dir",
        str(project.root),
    ]
    with subprocess.Popen(
        [*CTRL_C_LUNEO, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        deadline = time.monotonic() + 60
        while not project.scalar(
            "select count(*) from pg_stat_activity where query like 'select pg_sleep(60)%%' and datname = current_database()"
        ):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 130
    message = (
        "interrupted: supabase/migrations/20250102000000_slow.sql was rolled back; "
        "1 file(s) stay applied (last: supabase/migrations/20250101000000_create_items.sql); "
        "the Supabase stand-in stays installed"
    )
    assert stderr.splitlines()[-1] == f"error: {message}"
    if as_json:
        report = json.loads(stdout)
        assert report["error"] == message
        assert [a["path"] for a in report["applied"]] == [
            "supabase/migrations/20250101000000_create_items.sql"
        ]
    else:
        assert stdout.startswith("installed the Supabase stand-in")
        assert "applied supabase/migrations/20250101000000_create_items.sql" in stdout
    assert project.scalar("select to_regclass('public.slow')") is None
    assert project.query("select version from supabase_migrations.schema_migrations") == [("20250101000000",)]
    # still running in this database (other tests share the server; an idle session shows its last query)
    assert not project.scalar(
        "select count(*) from pg_stat_activity"
        " where datname = current_database() and state = 'active' and query like 'select pg_sleep%%'"
    )


def test_a_deleted_repeatable_file_is_reported_as_removed_not_as_nothing_to_apply(project: Project) -> None:
    project.migration("20250101000000", "create_items", ITEMS)
    function = project.write(
        "supabase/functions/hello.sql",
        "create function public.hello() returns int language sql as 'select 1';\n",
    )
    assert run(project, "db", "apply").returncode == 0
    function.unlink()

    dry = run(project, "db", "apply", "--dry-run")
    result = run(project, "db", "apply")

    assert dry.stdout.splitlines()[-1] == (
        "dry run: 0 file(s) would be applied, 1 deleted file(s) would be removed; everything was rolled back"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "removed supabase/functions/hello.sql (file deleted)",
        "  dropped: function public.hello()",
        "done: 0 file(s) applied, 1 deleted file(s) removed in 0 ms",
    ]
