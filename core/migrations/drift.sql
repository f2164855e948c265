-- Catalog fingerprints: what `luneo db verify` compares.
-- Named queries of luneo.core.migrations (sections start with "-- name --").

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
