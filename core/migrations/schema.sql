-- Facts about the target database, and what `luneo db reset` drops.
-- Named queries of luneo.core.migrations (sections start with "-- name --").

-- has_auth_schema --
select to_regnamespace('auth') is not null;

-- auth_is_compat --
select coalesce(obj_description(to_regnamespace('auth'), 'pg_namespace') like 'luneo compat stand-in%%', false);

-- policies_on_tables --
-- Policies on the given `schema.table` names, each named as `policy "name" on schema.table`,
-- with the statement that drops it.
select
    format('policy %%I on %%I.%%I', policyname, schemaname, tablename) as policy,
    format('drop policy %%I on %%I.%%I', policyname, schemaname, tablename) as drop_statement
from pg_policies
where (schemaname || '.' || tablename) = any(%(tables)s);

-- droppable_schemas --
-- Schemas `luneo db reset` drops (all but system schemas, `public` and those in %(keep)s),
-- with the statement that drops each.
select
    nspname::text as schema_name,
    format('drop schema %%I cascade', nspname) as drop_statement
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
