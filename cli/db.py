"""`luneo db ...`: thin commands over `luneo.core.migrations` and `luneo.core.checks`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from luneo.cli.output import (
    EXIT_PROBLEM,
    hide_password_of,
    line,
    out,
    print_json,
    print_rows,
    print_section,
)
from luneo.core import db, migrations
from luneo.core.errors import LuneoError, UsageError
from luneo.core.migrations import ApplyReport, RepairReport, SeedReport
from luneo.core.settings import Settings, load_settings

app = typer.Typer(help="Apply, check and inspect the database schema.", no_args_is_help=True)

DbUrl = Annotated[
    str | None,
    typer.Option(
        "--db-url",
        help="Postgres URL. Default: $DATABASE_URL, $SUPABASE_DB_URL, .env, else the embedded server.",
        show_default=False,
    ),
]


def since_time(value: str | None) -> datetime | None:
    """A `--since TIME` option's value: an ISO 8601 date or time, or None."""
    try:
        return None if value is None else datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--since must be an ISO 8601 date or time (2026-11-21T09:00Z), got {value!r}"
        ) from None


Dir = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help="Project directory holding supabase/. Default: the nearest one from the current directory up.",
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
Force = Annotated[bool, typer.Option("--force", help="Allow a database that is not local.")]


def settings_for(directory: Path | None, db_url: str | None) -> Settings:
    """The command's settings; the password of its database URL is never printed from now on."""
    settings = load_settings(directory, db_url)
    hide_password_of(settings.database_url)
    return settings


def print_report(report: ApplyReport, *, failed: bool = False) -> None:
    """The outcome on stdout (warnings went to stderr as they happened). `failed`: the report of
    a run that stopped on an error, printed before it: what stayed applied, no summary."""
    done = ("would apply", "cyan") if report.dry_run else ("applied", "green")
    if report.compat_installed:
        installed = "would install" if report.dry_run else "installed"
        out.print(f"{installed} the Supabase stand-in (luneo.core.compat)")
    for a in report.applied:
        extra = "" if a.transactional else ", outside a transaction"
        out.print(line(done, f" {a.path} ({a.statements} statements, {a.duration_ms} ms{extra})"))
        for name in a.dropped:
            out.print(line(f"  dropped, no longer declared: {name}"))
    for r in report.removed:
        out.print(line(("removed", "yellow"), f" {r.path} (file deleted)"))
        for name in r.dropped:
            out.print(line(f"  dropped: {name}"))
    for rel in report.adopted:
        out.print(line(("adopted", "green"), f" {rel} (applied by the Supabase CLI; checksum recorded)"))
    for rel in report.skipped_in_dry_run:
        out.print(line(("not run in dry-run", "yellow"), f" {rel} (cannot run inside a transaction)"))
    for rel in report.held_back:
        out.print(line(("held back", "yellow"), f" {rel} (--target leaves versioned files pending)"))
    if failed:
        return
    would = "would be " if report.dry_run else ""
    counts = [f"{len(report.applied)} file(s) {would}applied"]
    counts += [f"{len(report.removed)} deleted file(s) {would}removed"] if report.removed else []
    counts += [f"{len(report.adopted)} version(s) {would}adopted"] if report.adopted else []
    if report.dry_run:
        out.print(f"dry run: {', '.join(counts)}; everything was rolled back")
    elif report.applied or report.compat_installed or report.removed or report.adopted:
        total = sum(a.duration_ms for a in report.applied)
        out.print(f"done: {', '.join(counts)} in {total} ms")
    else:
        out.print("nothing to apply: the database is up to date")


@app.command()
def apply(
    db_url: DbUrl = None,
    directory: Dir = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Apply inside a transaction, then roll back.")
    ] = False,
    target: Annotated[
        str | None, typer.Option("--target", help="Apply versioned files up to this version only.")
    ] = None,
    allow_out_of_order: Annotated[
        bool, typer.Option("--allow-out-of-order", help="Apply new files older than the newest applied.")
    ] = False,
    json: Json = False,
) -> None:
    """Apply pending migrations, then changed functions and policies."""
    try:
        report = migrations.apply(
            settings_for(directory, db_url),
            dry_run=dry_run,
            target=target,
            allow_out_of_order=allow_out_of_order,
        )
    except LuneoError as exc:  # what stayed applied, then the error (one red line, its exit code)
        if isinstance(exc.report, ApplyReport):
            show_apply(exc.report, json=json, error=exc)
        raise
    show_apply(report, json=json)


def show_apply(report: ApplyReport, *, json: bool, error: LuneoError | None = None) -> None:
    """`--json`: the report with an `error` field (null when it succeeded); else `print_report`."""
    if json:
        print_json(report.as_dict() | {"error": error.message if error else None})
    else:
        print_report(report, failed=error is not None)


@app.command()
def status(db_url: DbUrl = None, directory: Dir = None, json: Json = False) -> None:
    """Show each file as applied, pending or changed."""
    files = migrations.status(settings_for(directory, db_url))
    if json:
        print_json([vars(f) for f in files])
        return
    colours = {"applied": "green", "pending": "yellow"}
    print_rows(
        ("file", "kind", "state"),
        [(f.path, f.kind, line((f.state, colours.get(f.state, "red")))) for f in files],
    )


@app.command()
def verify(db_url: DbUrl = None, directory: Dir = None, json: Json = False) -> None:
    """Exit 1 when files and database disagree, or objects changed outside migrations."""
    report = migrations.verify(settings_for(directory, db_url))
    not_applied = [f for f in report.files if f.state != "applied"]
    if json:
        print_json(report.as_dict() | {"not_applied": [vars(f) for f in not_applied]})
    elif report.ok:
        out.print("ok: every file is applied and the schema matches the last apply")
    else:
        width = max((len(f.state) for f in not_applied), default=0)
        print_section(
            "files not applied, by the ledger", [f"{f.state:<{width}}  {f.path}" for f in not_applied]
        )
        print_section("objects repeatable files declare that are missing", report.missing)
        print_section("objects changed outside migrations since the last apply", report.drift)
        out.print(
            line(
                ("verify failed: ", "red"),
                f"{len(report.problems)} problem(s): {len(not_applied)} file(s) not applied, "
                f"{len(report.missing)} declared object(s) missing, "
                f"{len(report.drift)} object(s) changed outside migrations",
            )
        )
    if not report.ok:
        raise typer.Exit(EXIT_PROBLEM)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="What it does, e.g. create_orders.")], directory: Dir = None
) -> None:
    """Create an empty, correctly named migration file."""
    settings = settings_for(directory, None)
    path = migrations.new(settings, name)
    out.print(line(str(path.relative_to(settings.project_dir))))


@app.command()
def reset(
    db_url: DbUrl = None,
    directory: Dir = None,
    force: Force = False,
    seed: Annotated[
        bool, typer.Option(help="Load the seed files ([db.seed] of supabase/config.toml) after applying.")
    ] = True,
) -> None:
    """Drop what the project made and its migration history, apply it again, then seed."""
    report = migrations.reset(settings_for(directory, db_url), force=force, seed=seed)
    dropped = ", ".join(report.dropped_schemas) or "no schema"
    out.print(line(f"reset {report.target}: dropped {dropped}, emptied public, cleared the migration ledger"))
    print_report(report.apply)
    if report.seed is not None:
        print_seeded(report.seed)


def print_seeded(report: SeedReport) -> None:
    """`seed loaded: N statement(s) from <files>`, or why nothing was loaded (the warnings went
    to stderr as they happened)."""
    if report.disabled:
        out.print(line("seed skipped: [db.seed] enabled = false in supabase/config.toml"))
    elif not report.files:
        out.print(line("seed: no seed file to load"))
    elif len(report.files) == 1:
        out.print(line(f"seed loaded: {report.statements} statement(s) from {report.files[0][0]}"))
    else:
        n = len(report.files)
        out.print(line(f"seed loaded: {report.statements} statement(s) from {n} files in one transaction"))
        for path, count in report.files:
            out.print(line(f"  {path}: {count} statement(s)"))


@app.command()
def seed(db_url: DbUrl = None, directory: Dir = None, force: Force = False) -> None:
    """Load the seed files ([db.seed] sql_paths of supabase/config.toml, else supabase/seed.sql) in
    order, in one transaction (safe to run again); a database that is not local needs --force."""
    print_seeded(migrations.seed(settings_for(directory, db_url), force=force))


REPAIRED = {
    "applied": "marked applied (not run)",
    "reverted": "marked not applied (the next apply runs it)",
    "accept-checksum": "accepted its new checksum",
    "forget": "forgotten (its objects were not dropped)",
}


@app.command()
def repair(
    applied: Annotated[
        str | None,
        typer.Option("--applied", metavar="VERSION", help="Mark a versioned file applied, not running it."),
    ] = None,
    reverted: Annotated[
        str | None,
        typer.Option("--reverted", metavar="VERSION", help="Mark a version not applied (apply runs it)."),
    ] = None,
    accept_checksum: Annotated[
        str | None,
        typer.Option(
            "--accept-checksum", metavar="VERSION", help="Accept a reviewed edit of an applied file."
        ),
    ] = None,
    forget: Annotated[
        str | None,
        typer.Option(
            "--forget", metavar="PATH", help="Forget a deleted repeatable file, keeping its objects."
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="Why: recorded in the history (recommended).")
    ] = None,
    force: Force = False,
    db_url: DbUrl = None,
    directory: Dir = None,
    json: Json = False,
) -> None:
    """Mark a version applied or reverted, accept a changed checksum, or forget a deleted file."""
    chosen = [
        (action, subject)
        for action, subject in zip(
            ("applied", "reverted", "accept-checksum", "forget"),
            (applied, reverted, accept_checksum, forget),
            strict=True,
        )
        if subject is not None
    ]
    if len(chosen) != 1:
        raise UsageError(
            "give exactly one of --applied VERSION, --reverted VERSION, "
            "--accept-checksum VERSION, --forget PATH"
        )
    action, subject = chosen[0]
    report = migrations.repair(settings_for(directory, db_url), action, subject, note=note, confirmed=force)
    show_repair(report, json=json)


def show_repair(report: RepairReport, *, json: bool) -> None:
    if json:
        print_json(vars(report))
        return
    out.print(line(("repaired", "green"), f" {report.path}: {REPAIRED[report.action]}"))
    note = report.details.get("note")
    out.print(
        line(
            f"  recorded in supabase_migrations.luneo_history of {report.target}, "
            f"by {report.details['by']}" + (f", note: {note}" if note else ", no --note given")
        )
    )


@app.command()
def url(directory: Dir = None) -> None:
    """Print the database URL: the configured one (password hidden), else the embedded server's."""
    out.print(line(db.redact(migrations.database_url(settings_for(directory, None)))))


@app.command()
def lint(
    directory: Dir = None,
    database: Annotated[
        bool, typer.Option("--database", help="Also run the security advisor against the database.")
    ] = False,
    db_url: DbUrl = None,
    json: Json = False,
) -> None:
    """sqlfluff over all SQL plus migration safety rules; exit 1 on any finding."""
    from luneo.core.checks.api import lint as run_lint  # sqlfluff and pglast load only for this command

    findings = run_lint(settings_for(directory, db_url), database=database)
    if json:
        print_json([vars(f) for f in findings])
    else:
        for f in findings:
            colour = "red" if f.severity == "error" else "yellow"
            where = f"{f.path}:{f.line}" if f.line else f.path  # advisor findings name an object
            out.print(line(f"{where}: ", (f.rule, colour), f" {f.message}"))
        out.print(f"{len(findings)} finding(s)" if findings else "ok: no findings")
    if findings:
        raise typer.Exit(EXIT_PROBLEM)
