-- Facts about the target database, and how `luneo db reset` drops what the project made.
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
-- Of the schemas in %(schemas)s, those that exist and no extension created, with the
-- statement that drops each.
select
    n.nspname::text as schema_name,
    format('drop schema %%I cascade', n.nspname) as drop_statement
from pg_namespace as n
where
    n.nspname = any(%(schemas)s)
    and not exists (
        select from pg_depend as d
        where d.classid = 'pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e'
    )
order by n.nspname;

-- drop_named_policies --
-- `drop policy` for those of the policies named in the parallel arrays that exist.
select format('drop policy %%I on %%I.%%I', p.policyname, p.schemaname, p.tablename)
from pg_policies as p
where (p.schemaname, p.tablename, p.policyname) in (
    select named.* from unnest(%(schemas)s::name[], %(tables)s::name[], %(names)s::name[]) as named
);

-- drop_named_triggers --
-- `drop trigger` for those of the triggers named in the parallel arrays that exist.
with named as (
    select named.* from unnest(%(schemas)s::name[], %(tables)s::name[], %(names)s::name[]) as named
)

select format('drop trigger %%I on %%I.%%I', tg.tgname, ns.nspname, c.relname)
from pg_trigger as tg
inner join pg_class as c on tg.tgrelid = c.oid
inner join pg_namespace as ns on c.relnamespace = ns.oid
where
    not tg.tgisinternal
    and (ns.nspname, c.relname, tg.tgname) in (select named.* from named);

-- truncate_ledger --
-- One `truncate` of every table of the migration ledger (ours and the Supabase CLI's), if any.
select 'truncate ' || string_agg(c.oid::regclass::text, ', ' order by c.relname)
from pg_class as c
where c.relnamespace = to_regnamespace('supabase_migrations') and c.relkind in ('r', 'p')
having count(*) > 0;

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
