-- The migration ledger: the Supabase CLI's table plus Luneo's history.
-- Named queries of luneo.core.migrations (sections start with "-- name --").

-- create_ledger --
-- The Supabase CLI's table (same columns, so `supabase migration list` agrees) plus
-- Luneo's history and catalog fingerprints. Bootstrap objects, hence `if not exists`.
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
alter table supabase_migrations.schema_migrations add column if not exists statements text[];
alter table supabase_migrations.schema_migrations add column if not exists name text;
create table if not exists supabase_migrations.luneo_history (
    id bigint generated always as identity primary key,
    kind text not null check (kind in ('compat', 'versioned', 'repeatable')),
    path text not null,
    version text,
    checksum text not null,
    details jsonb not null default '{}',
    applied_at timestamptz not null default now(),
    duration_ms integer not null,
    applied_by text not null default current_user,
    success boolean not null,
    error text
);
create index if not exists luneo_history_path_idx
on supabase_migrations.luneo_history (path, id desc);
create table if not exists supabase_migrations.luneo_fingerprints (
    id bigint generated always as identity primary key,
    taken_at timestamptz not null default now(),
    taken_by text not null default current_user,
    objects jsonb not null
);
comment on table supabase_migrations.luneo_history is
'Every file luneo db apply ran: checksum, kind, timing, who, and whether it succeeded.';
comment on table supabase_migrations.luneo_fingerprints is
'Catalog fingerprint of the Luneo schemas after each apply; luneo db verify compares to it.';

-- ledger_exists --
select
    to_regclass('supabase_migrations.luneo_history') is not null
    and to_regclass('supabase_migrations.schema_migrations') is not null;

-- has_cli_ledger --
select to_regclass('supabase_migrations.schema_migrations') is not null;

-- cli_versions --
-- Versions recorded by the Supabase CLI in a database Luneo never applied to (its older
-- versions have no `name` column, hence to_jsonb).
select
    m.version,
    to_jsonb(m) ->> 'name' as name,
    null as checksum
from supabase_migrations.schema_migrations as m
order by m.version;

-- applied_versions --
-- Versions recorded by us or by the Supabase CLI, with the checksum we recorded, if any.
-- A version marked reverted (`luneo db repair --reverted`) and recorded again by the Supabase
-- CLI has no checksum: the ones recorded before the revert no longer count.
select
    m.version,
    m.name,
    h.checksum
from supabase_migrations.schema_migrations as m
left join lateral (
    select case when h.details ->> 'repair' = 'reverted' then null else h.checksum end as checksum
    from supabase_migrations.luneo_history as h
    where h.kind = 'versioned' and h.version = m.version and h.success
    order by h.id desc
    limit 1
) as h on true
order by m.version;

-- applied_repeatables --
-- The last successful run of each repeatable file, unless that run recorded its deletion.
select
    r.path,
    r.checksum,
    r.details
from (
    select distinct on (h.path)
        h.path,
        h.checksum,
        h.details
    from supabase_migrations.luneo_history as h
    where h.kind = 'repeatable' and h.success
    order by h.path asc, h.id desc
) as r
where not coalesce((r.details ->> 'deleted')::boolean, false);

-- record_version --
insert into supabase_migrations.schema_migrations (version, name, statements)
values (%(version)s, %(name)s, %(statements)s);

-- record_history --
insert into supabase_migrations.luneo_history
(kind, path, version, checksum, details, duration_ms, success, error)
values
(%(kind)s, %(path)s, %(version)s, %(checksum)s, %(details)s, %(duration_ms)s, %(success)s, %(error)s);

-- record_repair --
-- A row of history for `luneo db repair`: nothing ran, so no duration.
insert into supabase_migrations.luneo_history
(kind, path, version, checksum, details, duration_ms, success)
values
(%(kind)s, %(path)s, %(version)s, %(checksum)s, %(details)s, 0, true);

-- forget_version --
delete from supabase_migrations.schema_migrations
where version = %(version)s;
