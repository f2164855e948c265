"""Lock waits of the migration engine against a real Postgres (issue 8, items 2 and 3).

Every statement the engine sends runs under a short `lock_timeout`, retried with backoff, and
a wait that gives up names the session holding the lock. Concurrent statements (`create index
concurrently`, ...) wait for other transactions without a lock timeout, and an invalid index
left by an earlier failed concurrent build is dropped and built again.

A holder session keeps a lock for up to `HOLD` seconds; a command that waited for it would take
that long, so "did not wait for the holder" is asserted as "returned well within HOLD".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from luneo.core import migrations
from luneo.core.errors import LockTimeout, MigrationFailed
from luneo.core.settings import MigrationSettings, duration_seconds
from tests.support.project import Project

HOLD = 30.0
HOLDER_APP = "lock-holder-test"
CREATE_ITEMS = "create table public.items (id bigint primary key, label text not null default '');\n"
LOCK_ITEMS = "lock table public.items in access exclusive mode"
SHORT = {"ddl_lock_timeout": "300ms", "ddl_retries": 2}
"""Settings that give up within a few seconds: 3 waits of 300 ms and two short pauses."""


@contextmanager
def holding(url: str, statement: str, *, release: threading.Event | None = None) -> Iterator[int]:
    """A session (application_name HOLDER_APP) that ran `statement` in a transaction it keeps
    open until the block ends, `release` is set, or HOLD seconds passed; yields its pid."""
    conn = psycopg.connect(url, application_name=HOLDER_APP)
    conn.execute(statement)
    done = threading.Event()

    def end_later() -> None:
        deadline = time.monotonic() + HOLD
        while not done.is_set() and time.monotonic() < deadline:
            if release is not None and release.is_set():
                break
            done.wait(0.02)
        conn.rollback()

    ender = threading.Thread(target=end_later)
    ender.start()
    try:
        yield conn.info.backend_pid
    finally:
        done.set()
        ender.join()
        conn.close()


class _SetOnMessage(logging.Handler):
    def __init__(self, text: str, event: threading.Event) -> None:
        super().__init__()
        self.text, self.event = text, event

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


@contextmanager
def logged(text: str, event: threading.Event) -> Iterator[None]:
    """Set `event` as soon as a `luneo` log message contains `text`."""
    handler = _SetOnMessage(text, event)
    logger = logging.getLogger("luneo")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def applied_project(project: Project) -> None:
    """`public.items` (with a column default) applied, its fingerprint recorded."""
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    migrations.apply(project.settings())


def index_state(project: Project, name: str) -> list[tuple]:
    """[(indisvalid,)] for the index `public.<name>`, [] when there is none."""
    return project.query(
        "select i.indisvalid from pg_index as i where i.indexrelid = to_regclass(%s)", [f"public.{name}"]
    )


# --- item 2: every statement under a lock timeout -------------------------------------------


def test_default_ddl_lock_timeout_is_shorter_than_the_api_statement_timeout() -> None:
    # While DDL waits for its lock, API queries on the table queue behind it; anon's
    # statement_timeout on Supabase is 3 s, so our wait must end well before that.
    defaults = MigrationSettings()
    assert duration_seconds(defaults.ddl_lock_timeout) < 3
    assert defaults.ddl_retries >= 5


def test_apply_does_not_wait_behind_a_lock_for_its_fingerprint_and_names_the_holder(
    project: Project,
) -> None:
    applied_project(project)
    project.migration("20250102000000", "create_tags", "create table public.tags (id bigint primary key);\n")

    with holding(project.url, LOCK_ITEMS) as pid:
        started = time.monotonic()
        with pytest.raises(LockTimeout) as caught:
            migrations.apply(project.settings(**SHORT))
        elapsed = time.monotonic() - started

    assert elapsed < HOLD / 2, "apply waited for the holder"
    message = caught.value.message
    assert f"pid {pid} (" in message
    assert HOLDER_APP in message
    assert LOCK_ITEMS in message
    assert "idle in transaction" in message
    assert project.scalar("select to_regclass('public.tags')") is None


def test_verify_does_not_wait_behind_a_lock_and_names_the_holder(project: Project) -> None:
    applied_project(project)

    with holding(project.url, LOCK_ITEMS) as pid:
        started = time.monotonic()
        with pytest.raises(LockTimeout) as caught:
            migrations.verify(project.settings(**SHORT))
        elapsed = time.monotonic() - started

    assert elapsed < HOLD / 2, "verify waited for the holder"
    assert f"pid {pid} (" in caught.value.message
    assert HOLDER_APP in caught.value.message
    assert LOCK_ITEMS in caught.value.message
    assert migrations.verify(project.settings()).ok  # released: verify runs clean


def test_status_does_not_wait_behind_a_lock_on_the_ledger(project: Project) -> None:
    applied_project(project)
    lock_ledger = "lock table supabase_migrations.schema_migrations in access exclusive mode"

    with holding(project.url, lock_ledger) as pid:
        started = time.monotonic()
        with pytest.raises(LockTimeout, match=r"^reading the migration ledger: ") as caught:
            migrations.status(project.settings(**SHORT))
        elapsed = time.monotonic() - started

    assert elapsed < HOLD / 2, "status waited for the holder"
    assert f"pid {pid} (" in caught.value.message
    assert "supabase_migrations.schema_migrations" in caught.value.message


def test_apply_retries_the_fingerprint_and_succeeds_once_the_holder_commits(project: Project) -> None:
    applied_project(project)
    project.migration("20250102000000", "create_tags", "create table public.tags (id bigint primary key);\n")
    release = threading.Event()

    with holding(project.url, LOCK_ITEMS, release=release) as pid, logged(f"pid {pid} (", release):
        report = migrations.apply(project.settings(ddl_lock_timeout="300ms", ddl_retries=20))

    assert release.is_set(), "no retry named the holder"
    assert [a.path for a in report.applied] == ["supabase/migrations/20250102000000_create_tags.sql"]
    assert project.scalar("select to_regclass('public.tags')::text") == "tags"


def test_file_that_gives_up_on_its_lock_names_the_holder(project: Project) -> None:
    applied_project(project)
    project.migration("20250102000000", "add_price", "alter table public.items add column price integer;\n")

    with holding(project.url, "select * from public.items") as pid:  # access share: the fingerprint passes
        started = time.monotonic()
        with pytest.raises(MigrationFailed) as caught:
            migrations.apply(project.settings(**SHORT))
        elapsed = time.monotonic() - started

    assert elapsed < HOLD / 2
    message = caught.value.message
    assert message.startswith("supabase/migrations/20250102000000_add_price.sql:1: ")
    assert "SQLSTATE 55P03" in message
    assert "gave up after 3 attempts" in message
    assert f"pid {pid} (" in message
    assert HOLDER_APP in message
    assert "select * from public.items" in message
    assert project.scalar("select count(*) from information_schema.columns where column_name = 'price'") == 0


def test_statement_outside_a_transaction_is_retried_alone(project: Project) -> None:
    applied_project(project)
    project.migration(
        "20250102000000",
        "no_tx",
        "-- luneo:no-transaction\n"
        "create table public.tags (id bigint primary key);\n"
        "alter table public.items add column price integer;\n",
    )
    release = threading.Event()

    with (
        holding(project.url, "select * from public.items", release=release) as pid,
        logged(f"pid {pid} (", release),
    ):
        report = migrations.apply(project.settings(ddl_lock_timeout="300ms", ddl_retries=20))

    assert release.is_set(), "no retry named the holder"
    assert len(report.applied) == 1
    assert project.scalar("select count(*) from information_schema.columns where column_name = 'price'") == 1
    assert project.scalar("select count(*) from public.tags") == 0


def test_every_file_runs_under_the_ddl_lock_timeout(project: Project) -> None:
    project.migration(
        "20250101000000",
        "seen",
        "create table public.seen as select current_setting('lock_timeout') as lock_timeout;\n",
    )
    migrations.apply(project.settings(ddl_lock_timeout="700ms"))
    assert project.scalar("select lock_timeout from public.seen") == "700ms"


# --- item 3: concurrent statements and invalid indexes -----------------------------------


def test_concurrent_index_build_waits_for_an_open_transaction_instead_of_timing_out(
    project: Project,
) -> None:
    applied_project(project)
    project.migration(
        "20250102000000",
        "index_labels",
        "create index concurrently items_label_idx on public.items (label);\n",
    )
    release = threading.Event()

    # an open writing transaction: the build must wait for it, longer than the lock timeout
    with (
        holding(project.url, "insert into public.items (id) values (1)", release=release) as pid,
        logged(f"pid {pid} (", release),
    ):
        report = migrations.apply(project.settings(ddl_lock_timeout="200ms", ddl_retries=0))

    assert release.is_set(), "the wait was not reported with the holder's pid"
    assert [a.path for a in report.applied] == ["supabase/migrations/20250102000000_index_labels.sql"]
    assert index_state(project, "items_label_idx") == [(True,)]


def make_invalid_unique_index(project: Project, name: str) -> None:
    """A real failed concurrent build: duplicates make it fail and leave the index INVALID."""
    project.query("insert into public.items (id, label) values (1, 'same'), (2, 'same')")
    with pytest.raises(psycopg.errors.UniqueViolation):
        project.query(f"create unique index concurrently {name} on public.items (label)")
    assert index_state(project, name) == [(False,)]
    project.query("delete from public.items where id = 2")


@pytest.mark.parametrize("if_not_exists", ["", "if not exists "])
def test_invalid_index_from_a_failed_concurrent_build_is_dropped_and_rebuilt(
    project: Project, caplog: pytest.LogCaptureFixture, if_not_exists: str
) -> None:
    applied_project(project)
    make_invalid_unique_index(project, "items_label_key")
    project.migration(
        "20250102000000",
        "unique_labels",
        f"create unique index concurrently {if_not_exists}items_label_key on public.items (label);\n",
    )

    migrations.apply(project.settings(), dry_run=True)
    assert index_state(project, "items_label_key") == [(False,)], "a dry run changed the database"

    report = migrations.apply(project.settings())

    assert [a.path for a in report.applied] == ["supabase/migrations/20250102000000_unique_labels.sql"]
    assert index_state(project, "items_label_key") == [(True,)]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "20250102000000_unique_labels.sql:1: index public.items_label_key is invalid" in w for w in warnings
    ), warnings
    with pytest.raises(psycopg.errors.UniqueViolation):  # the rebuilt index is enforced
        project.query("insert into public.items (id, label) values (3, 'same')")


def test_failed_concurrent_build_in_apply_leaves_no_invalid_index(project: Project) -> None:
    applied_project(project)
    project.query("insert into public.items (id, label) values (1, 'same'), (2, 'same')")
    project.migration(
        "20250102000000",
        "unique_labels",
        "create unique index concurrently items_label_key on public.items (label);\n",
    )

    with pytest.raises(MigrationFailed, match="SQLSTATE 23505"):
        migrations.apply(project.settings())

    assert index_state(project, "items_label_key") == []
    project.query("insert into public.items (id, label) values (3, 'same')")  # nothing half-built enforces it
    project.query("delete from public.items where id > 1")
    migrations.apply(project.settings())
    assert index_state(project, "items_label_key") == [(True,)]
