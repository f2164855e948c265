-- Named queries of the Luneo core; each section starts with "-- name --".
-- Loaded by luneo.core.db.query(name).

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

-- applied_versions --
-- Versions recorded by us or by the Supabase CLI, with the checksum we recorded, if any.
select
    m.version,
    m.name,
    h.checksum
from supabase_migrations.schema_migrations as m
left join lateral (
    select h.checksum
    from supabase_migrations.luneo_history as h
    where h.kind = 'versioned' and h.version = m.version and h.success
    order by h.id desc
    limit 1
) as h on true
order by m.version;

-- applied_repeatables --
select distinct on (path)
    path,
    checksum,
    details
from supabase_migrations.luneo_history
where kind = 'repeatable' and success
order by path asc, id desc;

-- record_version --
insert into supabase_migrations.schema_migrations (version, name, statements)
values (%(version)s, %(name)s, %(statements)s);

-- record_history --
insert into supabase_migrations.luneo_history
(kind, path, version, checksum, details, duration_ms, success, error)
values
(%(kind)s, %(path)s, %(version)s, %(checksum)s, %(details)s, %(duration_ms)s, %(success)s, %(error)s);

-- try_lock --
select pg_try_advisory_lock(%(key)s);

-- unlock --
select pg_advisory_unlock(%(key)s);

-- lock_holder --
-- Who holds the migration lock (a bigint key splits into classid/objid halves).
select
    a.pid,
    coalesce(nullif(a.application_name, ''), '?') as application_name,
    a.usename::text as usename,
    coalesce(host(a.client_addr), 'local') as client,
    a.backend_start
from pg_locks as l
inner join pg_stat_activity as a on l.pid = a.pid
where
    l.locktype = 'advisory'
    and l.granted
    and l.database = (
        select d.oid from pg_database as d
        where d.datname = current_database()
    )
    and ((l.classid::bigint << 32) | l.objid::bigint) = %(key)s  -- noqa: RF02
order by a.backend_start
limit 1;

-- has_auth_schema --
select to_regnamespace('auth') is not null;

-- auth_is_compat --
select coalesce(obj_description(to_regnamespace('auth'), 'pg_namespace') like 'luneo compat stand-in%%', false);

-- policies_on_tables --
select
    schemaname::text as schema_name,
    tablename::text as table_name,
    policyname::text as policy_name
from pg_policies
where (schemaname || '.' || tablename) = any(%(tables)s);

-- latest_fingerprint --
select
    objects,
    taken_at
from supabase_migrations.luneo_fingerprints
order by id desc
limit 1;

-- record_fingerprint --
insert into supabase_migrations.luneo_fingerprints (objects) values (%(objects)s);

-- fingerprint --
-- One row per object in the schemas Luneo owns, with an md5 of its definition.
-- Supabase-owned and system schemas, and objects that belong to extensions, are left out.
with our_schemas as (
    select
        n.oid,
        n.nspname
    from pg_namespace as n
    where
        n.nspname not like 'pg\_%%'
        and n.nspname <> 'information_schema'
        and n.nspname <> all(%(excluded)s)
),

extension_members as (
    select d.objid from pg_depend as d
    where d.deptype = 'e'
),

objects as (
    select
        'schema ' || s.nspname as object,
        concat_ws('|', pg_get_userbyid(n.nspowner), n.nspacl::text) as definition
    from our_schemas as s
    inner join pg_namespace as n on s.oid = n.oid
    union all
    select
        'relation ' || s.nspname || '.' || c.relname as object,
        concat_ws(
            '|', c.relkind, c.relrowsecurity, c.relforcerowsecurity, c.relacl::text,
            c.reloptions::text, case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end
        ) as definition
    from pg_class as c
    inner join our_schemas as s on c.relnamespace = s.oid
    where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and c.oid not in (select em.objid from extension_members as em)
    union all
    select
        'column ' || s.nspname || '.' || c.relname || '.' || a.attname as object,
        concat_ws(
            '|', format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
            pg_get_expr(d.adbin, d.adrelid), a.attacl::text
        ) as definition
    from pg_attribute as a
    inner join pg_class as c on a.attrelid = c.oid
    inner join our_schemas as s on c.relnamespace = s.oid
    left join pg_attrdef as d on a.attrelid = d.adrelid and a.attnum = d.adnum
    where
        a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f')
        and c.oid not in (select em.objid from extension_members as em)
    union all
    select
        'constraint ' || s.nspname || '.' || c.relname || '.' || k.conname as object,
        pg_get_constraintdef(k.oid) as definition
    from pg_constraint as k
    inner join pg_class as c on k.conrelid = c.oid
    inner join our_schemas as s on c.relnamespace = s.oid
    union all
    select
        'index ' || s.nspname || '.' || c.relname as object,
        pg_get_indexdef(c.oid) as definition
    from pg_index as i
    inner join pg_class as c on i.indexrelid = c.oid
    inner join our_schemas as s on c.relnamespace = s.oid
    where i.indrelid not in (select em.objid from extension_members as em)
    union all
    select
        'trigger ' || s.nspname || '.' || c.relname || '.' || t.tgname as object,
        concat_ws('|', pg_get_triggerdef(t.oid), t.tgenabled) as definition
    from pg_trigger as t
    inner join pg_class as c on t.tgrelid = c.oid
    inner join our_schemas as s on c.relnamespace = s.oid
    where not t.tgisinternal
    union all
    select
        'policy ' || p.schemaname || '.' || p.tablename || '.' || p.policyname as object,
        concat_ws('|', p.permissive, p.roles::text, p.cmd, p.qual, p.with_check) as definition
    from pg_policies as p
    where p.schemaname in (select os.nspname from our_schemas as os)
    union all
    select
        format('function %%s.%%s(%%s)', s.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
            as object,
        concat_ws(
            '|', p.prokind, p.prosecdef, p.provolatile, p.proleakproof, p.proconfig::text,
            pg_get_function_result(p.oid), p.prosrc, p.proacl::text, l.lanname
        ) as definition
    from pg_proc as p
    inner join our_schemas as s on p.pronamespace = s.oid
    inner join pg_language as l on p.prolang = l.oid
    where p.oid not in (select em.objid from extension_members as em)
    union all
    select
        'type ' || s.nspname || '.' || t.typname as object,
        concat_ws(
            '|', t.typtype, format_type(t.typbasetype, t.typtypmod), t.typnotnull,
            (
                select string_agg(e.enumlabel, ',' order by e.enumsortorder)
                from pg_enum as e
                where e.enumtypid = t.oid
            ),
            (
                select string_agg(pg_get_constraintdef(k.oid), ',' order by k.conname)
                from pg_constraint as k
                where k.contypid = t.oid
            )
        ) as definition
    from pg_type as t
    inner join our_schemas as s on t.typnamespace = s.oid
    where t.typtype in ('e', 'd') and t.oid not in (select em.objid from extension_members as em)
)

select
    object,
    md5(coalesce(definition, '')) as hash
from objects
order by object;

-- droppable_schemas --
-- Schemas `luneo db reset` drops: all but system schemas, `public` and those in %(keep)s.
select nspname::text
from pg_namespace
where
    nspname not like 'pg\_%%'
    and nspname not in ('information_schema', 'public')
    and nspname <> all(%(keep)s)
order by nspname;

-- drop_public_objects --
-- `drop` statements for every object in `public` that no extension owns.
select format('drop %s if exists public.%I cascade', kind, name)
from (
    select
        case c.relkind
            when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence'
            when 'f' then 'foreign table' else 'table'
        end as kind,
        c.relname::text as name
    from pg_class as c
    where
        c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
        and not exists (
            select from pg_depend as d
            where d.objid = c.oid and d.deptype in ('e', 'a', 'i')
        )
) as relations
union all
select format('drop routine if exists %s cascade', p.oid::regprocedure)
from pg_proc as p
where
    p.pronamespace = 'public'::regnamespace
    and not exists (
        select from pg_depend as d
        where d.objid = p.oid and d.deptype = 'e'
    )
union all
select format('drop type if exists public.%I cascade', t.typname)
from pg_type as t
where
    t.typnamespace = 'public'::regnamespace and t.typtype in ('e', 'd', 'r', 'm')
    and not exists (
        select from pg_depend as d
        where d.objid = t.oid and d.deptype = 'e'
    );
