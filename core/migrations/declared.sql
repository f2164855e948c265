-- What repeatable files declare: functions, triggers, views and policies, by name.
-- Named queries of luneo.core.migrations (sections start with "-- name --").
-- Objects travel as arrays: functions and views as `schema.name(args)` / `schema.name`,
-- triggers and policies as parallel arrays of tables and names.

-- resolve_declared --
-- OIDs of the objects a file has just declared, found with the file's own search_path.
select
    'functions' as kind,
    to_regprocedure(f.signature)::oid as object_id
from unnest(%(functions)s::text[]) as f (signature)
where to_regprocedure(f.signature) is not null
union all
select
    'views' as kind,
    c.oid as object_id
from unnest(%(views)s::text[]) as v (name)
inner join pg_class as c on to_regclass(v.name) = c.oid
where c.relkind in ('v', 'm')
union all
select
    'triggers' as kind,
    t.oid as object_id
from unnest(%(trigger_tables)s::text[], %(trigger_names)s::text[]) as d (table_name, trigger_name)
inner join pg_trigger as t on to_regclass(d.table_name) = t.tgrelid and d.trigger_name = t.tgname
union all
select
    'policies' as kind,
    p.oid as object_id
from unnest(%(policy_tables)s::text[], %(policy_names)s::text[]) as d (table_name, policy_name)
inner join pg_policy as p on to_regclass(d.table_name) = p.polrelid and d.policy_name = p.polname;

-- declared_names --
-- Schema-qualified names of resolved objects (run with an empty search_path, so every name
-- is qualified and the same whatever path the file used).
select
    'functions' as kind,
    p.oid::regprocedure::text as object_name,
    null as table_name
from pg_proc as p
where p.oid = any(%(functions)s::oid[])
union all
select
    'views' as kind,
    c.oid::regclass::text as object_name,
    null as table_name
from pg_class as c
where c.oid = any(%(views)s::oid[])
union all
select
    'triggers' as kind,
    t.tgname::text as object_name,
    t.tgrelid::regclass::text as table_name
from pg_trigger as t
where t.oid = any(%(triggers)s::oid[])
union all
select
    'policies' as kind,
    p.polname::text as object_name,
    p.polrelid::regclass::text as table_name
from pg_policy as p
where p.oid = any(%(policies)s::oid[]);

-- missing_declared --
-- Declared objects that do not exist (any more).
select
    'function' as kind,
    f.signature as object_name
from unnest(%(functions)s::text[]) as f (signature)
where to_regprocedure(f.signature) is null
union all
select
    'view' as kind,
    v.name as object_name
from unnest(%(views)s::text[]) as v (name)
where to_regclass(v.name) is null
union all
select
    'trigger' as kind,
    format('%%I on %%s', d.trigger_name, d.table_name) as object_name
from unnest(%(trigger_tables)s::text[], %(trigger_names)s::text[]) as d (table_name, trigger_name)
where
    not exists (
        select from pg_trigger as t
        where to_regclass(d.table_name) = t.tgrelid and d.trigger_name = t.tgname
    )
union all
select
    'policy' as kind,
    format('%%I on %%s', d.policy_name, d.table_name) as object_name
from unnest(%(policy_tables)s::text[], %(policy_names)s::text[]) as d (table_name, policy_name)
where not exists (
    select from pg_policy as p
    where to_regclass(d.table_name) = p.polrelid and d.policy_name = p.polname
);

-- drop_declared --
-- What to show and run to drop the given objects (those that still exist), without cascade:
-- an object something else depends on makes the file fail rather than take others along.
-- Triggers and views first: they depend on functions.
select
    format('trigger %%I on %%s', t.tgname, t.tgrelid::regclass) as object_name,
    format('drop trigger %%I on %%s', t.tgname, t.tgrelid::regclass) as drop_statement
from unnest(%(trigger_tables)s::text[], %(trigger_names)s::text[]) as d (table_name, trigger_name)
inner join pg_trigger as t on to_regclass(d.table_name) = t.tgrelid and d.trigger_name = t.tgname
union all
select
    format('view %%s', c.oid::regclass) as object_name,
    format(
        'drop %%s %%s', case c.relkind when 'm' then 'materialized view' else 'view' end, c.oid::regclass
    ) as drop_statement
from unnest(%(views)s::text[]) as v (name)
inner join pg_class as c on to_regclass(v.name) = c.oid
where c.relkind in ('v', 'm')
union all
select
    format('function %%s', p.oid::regprocedure) as object_name,
    format('drop routine %%s', p.oid::regprocedure) as drop_statement
from unnest(%(functions)s::text[]) as f (signature)
inner join pg_proc as p on to_regprocedure(f.signature) = p.oid;
