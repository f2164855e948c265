"""The migration safety rules: one snippet that triggers each, one safe variant of each."""

from __future__ import annotations

import pytest

from luneo.core.checks import RULES
from tests.unit.checks.helpers import ERROR, WARNING, lint

# --------------------------------------------------------------------------------------------
# One snippet per rule that triggers it, with the exact rule, severity and line.
# --------------------------------------------------------------------------------------------

TRIGGERS = {
    "create-index-without-concurrently": (
        "-- header\ncreate index orders_status_idx\n    on public.orders (status);\n",
        ("require-concurrent-index", WARNING, 2),
    ),
    "drop-index-without-concurrently": (
        "\n\ndrop index public.orders_status_idx;\n",
        ("require-concurrent-index", WARNING, 3),
    ),
    "add-not-null-column-without-default": (
        "alter table public.orders\n    add column currency text not null;\n",
        ("adding-not-null-column", ERROR, 2),
    ),
    "add-primary-key-column-without-default": (
        "alter table public.orders add column code text primary key;\n",
        ("adding-not-null-column", ERROR, 1),
    ),
    "add-foreign-key-without-not-valid": (
        "alter table public.orders\n"
        "    add constraint orders_customer_fk\n"
        "    foreign key (customer_id) references public.customers (id);\n",
        ("adding-required-constraint", WARNING, 2),
    ),
    "add-check-without-not-valid": (
        "alter table orders add constraint orders_total_check check (total >= 0);\n",
        ("adding-required-constraint", WARNING, 1),
    ),
    "add-column-with-inline-foreign-key": (
        "alter table public.orders\n    add column customer_id uuid references public.customers (id);\n",
        ("adding-required-constraint", WARNING, 2),
    ),
    "drop-column": (
        "alter table public.orders drop column legacy_total;\n",
        ("ban-drop-column", WARNING, 1),
    ),
    "drop-table": ("select 1;\ndrop table public.orders_old;\n", ("ban-drop-table", WARNING, 2)),
    "rename-column": (
        "alter table public.orders rename column total to total_amount;\n",
        ("renaming-column", WARNING, 1),
    ),
    "rename-table": (
        "alter table public.orders rename to purchases;\n",
        ("renaming-table", WARNING, 1),
    ),
    "change-column-type": (
        "alter table public.orders\n    alter column total type bigint;\n",
        ("changing-column-type", WARNING, 1),
    ),
    "public-table-without-rls": (
        "-- notes\ncreate table public.notes (id uuid primary key);\n",
        ("table-without-rls", ERROR, 2),
    ),
    "unqualified-table-without-rls": (
        "create table notes (id uuid primary key);\nalter table private.notes enable row level security;\n",
        ("table-without-rls", ERROR, 1),
    ),
    "security-definer-without-search-path": (
        "-- helper\n"
        "create function private.is_member(org uuid)\n"
        "returns boolean\n"
        "language sql\n"
        "security definer\n"
        "as $$ select org is not null $$;\n",
        ("security-definer-search-path", ERROR, 2),
    ),
    "security-definer-procedure-without-search-path": (
        "create procedure extensions.cleanup()\nlanguage sql security definer as $$ select 1 $$;\n",
        ("security-definer-search-path", ERROR, 1),
    ),
    "function-search-path-not-empty": (
        "create function public.answer() returns int\n"
        "language sql set search_path = public as $$ select 42 $$;\n",
        ("security-definer-search-path", WARNING, 1),
    ),
    "function-without-search-path": (
        "create function private.answer() returns int language sql as $$ select 42 $$;\n",
        ("security-definer-search-path", WARNING, 1),
    ),
    "create-table-if-not-exists": (
        "create table if not exists private.jobs (id uuid primary key);\n",
        ("if-not-exists-in-migration", WARNING, 1),
    ),
    "create-index-if-not-exists": (
        "create index concurrently if not exists jobs_id_idx on private.jobs (id);\n",
        ("if-not-exists-in-migration", WARNING, 1),
    ),
    "create-schema-if-not-exists": (
        "create schema if not exists private;\n",
        ("if-not-exists-in-migration", WARNING, 1),
    ),
    "add-column-if-not-exists": (
        "alter table private.jobs\n    add column if not exists note text;\n",
        ("if-not-exists-in-migration", WARNING, 2),
    ),
    "timestamp-column": (
        "create table private.events (\n    id uuid primary key,\n    created_at timestamp not null\n);\n",
        ("prefer-timestamptz", WARNING, 3),
    ),
    "timestamp-added-column": (
        "alter table private.jobs\n    add column run_at timestamp without time zone;\n",
        ("prefer-timestamptz", WARNING, 2),
    ),
    "char-column": (
        "create table private.countries (\n    id uuid primary key,\n    code char(2)\n);\n",
        ("ban-char-type", WARNING, 3),
    ),
    "bigserial-column": (
        "create table private.counters (\n    id bigserial primary key\n);\n",
        ("prefer-identity", WARNING, 2),
    ),
    "serial-added-column": (
        "alter table private.jobs add column seq serial;\n",
        ("prefer-identity", WARNING, 1),
    ),
}


@pytest.mark.parametrize(("sql", "expected"), TRIGGERS.values(), ids=TRIGGERS.keys())
def test_rule_triggers(sql: str, expected: tuple[str, str, int]) -> None:
    assert lint(sql) == [expected]


def test_every_rule_has_a_trigger() -> None:
    triggered = {rule for _, (rule, _, _) in TRIGGERS.values()}
    meta = {"syntax-error", "invalid-lint-directive"}
    assert triggered | meta == set(RULES)


# --------------------------------------------------------------------------------------------
# One safe variant per rule: no finding at all.
# --------------------------------------------------------------------------------------------

SAFE = {
    "create-index-concurrently": ("create index concurrently orders_status_idx on public.orders (status);\n"),
    "create-index-on-table-created-in-file": (
        "create table private.jobs (id uuid primary key, status text);\n"
        "create index jobs_status_idx on private.jobs (status);\n"
    ),
    "drop-index-concurrently": "drop index concurrently public.orders_status_idx;\n",
    "add-not-null-column-with-default": (
        "alter table public.orders add column currency text not null default 'eur';\n"
    ),
    "add-identity-column": ("alter table private.jobs add column seq bigint generated always as identity;\n"),
    "add-nullable-column": "alter table public.orders add column note text;\n",
    "add-foreign-key-not-valid-then-validate": (
        "alter table public.orders\n"
        "    add constraint orders_customer_fk\n"
        "    foreign key (customer_id) references public.customers (id) not valid;\n"
        "alter table public.orders validate constraint orders_customer_fk;\n"
    ),
    "add-check-not-valid": (
        "alter table public.orders add constraint orders_total_check check (total >= 0) not valid;\n"
    ),
    "alterations-of-table-created-in-file": (
        "create table private.scratch (id uuid primary key, a int, b int);\n"
        "alter table private.scratch add column c int not null;\n"
        "alter table private.scratch add constraint c_positive check (c > 0);\n"
        "alter table private.scratch alter column a type bigint;\n"
        "alter table private.scratch drop column b;\n"
        "alter table private.scratch rename column a to d;\n"
        "alter table private.scratch rename to scratchpad;\n"
        "drop table private.scratch;\n"
    ),
    "rename-index": "alter index public.orders_status_idx rename to orders_state_idx;\n",
    "public-table-with-rls": (
        "create table notes (id uuid primary key);\nalter table public.notes enable row level security;\n"
    ),
    "private-table-without-rls": "create table private.jobs (id uuid primary key);\n",
    "temporary-table": "create temporary table scratch (id int);\n",
    "security-definer-with-empty-search-path": (
        "create function private.is_member(org uuid)\n"
        "returns boolean\n"
        "language sql\n"
        "security definer\n"
        "set search_path = ''\n"
        "as $$ select org is not null $$;\n"
    ),
    "invoker-function-with-empty-search-path": (
        "create function public.answer() returns int\n"
        "language sql set search_path to '' as $$ select 42 $$;\n"
    ),
    "invoker-function-outside-house-schemas": (
        "create function extensions.answer() returns int language sql as $$ select 42 $$;\n"
    ),
    "create-without-if-not-exists": "create schema private;\n",
    "create-extension-if-not-exists": "create extension if not exists pgcrypto;\n",
    "good-column-types": (
        "create table private.events (\n"
        "    id bigint generated always as identity primary key,\n"
        "    code text,\n"
        '    flag "char",\n'
        "    created_at timestamptz not null,\n"
        "    happened_at timestamp with time zone\n"
        ");\n"
    ),
    "empty-file": "-- nothing yet\n",
}


@pytest.mark.parametrize("sql", SAFE.values(), ids=SAFE.keys())
def test_safe_variant_has_no_finding(sql: str) -> None:
    assert lint(sql) == []
