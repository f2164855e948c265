-- The catalog as `luneo gen types typescript` reads it: one query per kind of object.
-- Loaded as named queries of luneo.core.typegen and run by luneo.core.typegen.catalog.read().
-- %(schemas)s is the text[] of the requested schemas; types are read from every schema, since a
-- column may use a type defined elsewhere (pg_catalog, an extension's schema).

-- typegen_schemas --
-- The requested schemas that exist.
select n.nspname as name
from pg_namespace as n
where n.nspname = any(%(schemas)s)  -- noqa: RF02
order by n.nspname;

-- typegen_relations --
-- Tables, partitioned and foreign tables, views and materialized views. A view takes inserts
-- and updates when Postgres can route both to a base table (as information_schema.views says).
select
    c.oid::int8 as id,
    n.nspname as schema_name,
    c.relname as name,
    c.relkind::text as kind,
    c.relkind = 'v' and (pg_relation_is_updatable(c.oid, false) & 20) = 20 as is_updatable
from pg_class as c
inner join pg_namespace as n on c.relnamespace = n.oid
where
    n.nspname = any(%(schemas)s)  -- noqa: RF02
    and c.relkind in ('r', 'p', 'f', 'v', 'm');

-- typegen_columns --
-- The columns of those relations the current role may see (its own relations, or a column
-- privilege), with what decides their place in Row, Insert and Update.
select
    c.oid::int8 as relation_id,
    a.attname as name,
    a.atttypid::int8 as type_id,
    not(a.attnotnull or (t.typtype = 'd' and t.typnotnull)) as is_nullable,
    a.atthasdef as has_default,
    a.attidentity::text as identity,
    a.attgenerated::text as generated,
    (
        c.relkind in ('r', 'p')
        or (c.relkind in ('v', 'f') and pg_column_is_updatable(c.oid, a.attnum, false))
    ) as is_updatable
from pg_attribute as a
inner join pg_class as c on a.attrelid = c.oid
inner join pg_namespace as n on c.relnamespace = n.oid
inner join pg_type as t on a.atttypid = t.oid
where
    n.nspname = any(%(schemas)s)  -- noqa: RF02
    and c.relkind in ('r', 'p', 'f', 'v', 'm')
    and a.attnum > 0
    and not a.attisdropped
    and (
        pg_has_role(c.relowner, 'USAGE')
        or has_column_privilege(c.oid, a.attnum, 'SELECT, INSERT, UPDATE, REFERENCES')
    );

-- typegen_relationships --
-- Foreign keys of the relations of the requested schemas, as PostgREST's schema cache sees
-- them: one-to-one when the referencing columns are also a primary key or a unique constraint.
-- The referenced relation may be in any schema (the generator lists a relationship only where
-- both ends share a schema, but a view may expose the referenced table in the other one).
-- The attribute numbers match the keys against the view column origins (typegen_views).
select
    fk.conname as foreign_key_name,
    n.nspname as schema_name,
    src.relname as relation,
    cols.names as columns,
    refn.nspname as referenced_schema,
    dst.relname as referenced_relation,
    cols.refs as referenced_columns,
    exists(
        select from pg_constraint as u
        where
            u.conrelid = fk.conrelid
            and u.contype in ('p', 'u')
            and u.conkey @> fk.conkey
            and u.conkey <@ fk.conkey
    ) as is_one_to_one,
    fk.conrelid::int8 as relation_id,
    fk.conkey::int4[] as attnums,
    fk.confrelid::int8 as referenced_relation_id,
    fk.confkey::int4[] as referenced_attnums
from pg_constraint as fk
inner join pg_class as src on fk.conrelid = src.oid
inner join pg_namespace as n on src.relnamespace = n.oid
inner join pg_class as dst on fk.confrelid = dst.oid
inner join pg_namespace as refn on dst.relnamespace = refn.oid
cross join
    lateral (
        select
            array_agg(ca.attname::text order by k.ord) as names,
            array_agg(ra.attname::text order by k.ord) as refs
        from unnest(fk.conkey, fk.confkey) with ordinality as k (col, ref, ord)
        inner join pg_attribute as ca on fk.conrelid = ca.attrelid and k.col = ca.attnum
        inner join pg_attribute as ra on fk.confrelid = ra.attrelid and k.ref = ra.attnum
    ) as cols
where
    fk.contype = 'f'
    and fk.conparentid = 0
    and n.nspname = any(%(schemas)s)  -- noqa: RF02
order by n.nspname, src.relname, fk.conname;

-- typegen_views --
-- The views and materialized views of the requested schemas with their rewrite rule (the
-- parsed query, as pg_node_tree text: luneo.core.typegen.views reads which base column each
-- view column comes from) and their column names by attribute number.
select
    c.oid::int8 as id,
    n.nspname as schema_name,
    c.relname as name,
    r.ev_action::text as definition,
    coalesce(cols.attnums, '{}') as attnums,
    coalesce(cols.names, '{}') as column_names
from pg_class as c
inner join pg_namespace as n on c.relnamespace = n.oid
inner join pg_rewrite as r on c.oid = r.ev_class and r.rulename = '_RETURN'
cross join
    lateral (
        select
            array_agg(a.attnum::int4 order by a.attnum) as attnums,
            array_agg(a.attname::text order by a.attnum) as names
        from pg_attribute as a
        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    ) as cols
where
    n.nspname = any(%(schemas)s)  -- noqa: RF02
    and c.relkind in ('v', 'm')
order by n.nspname, c.relname;

-- typegen_functions --
-- Plain functions (no procedures, aggregates or window functions) that return neither trigger
-- nor event_trigger. The argument arrays always have one entry per argument, out and table
-- arguments included: modes i(n), o(ut), b (inout), v(ariadic), t(able).
select
    p.oid::int8 as id,
    n.nspname as schema_name,
    p.proname as name,
    coalesce(
        p.proargmodes::text[],
        array_fill('i'::text, array[cardinality(coalesce(p.proallargtypes, p.proargtypes))])
    ) as arg_modes,
    coalesce(
        p.proargnames,
        array_fill(''::text, array[cardinality(coalesce(p.proallargtypes, p.proargtypes))])
    ) as arg_names,
    coalesce(p.proallargtypes, p.proargtypes::oid[])::int8[] as arg_types,
    p.pronargs - p.pronargdefaults as first_default,
    pg_get_function_arguments(p.oid) as argument_types,
    pg_get_function_result(p.oid) as return_type,
    p.prorettype::int8 as return_type_id,
    nullif(rt.typrelid, 0)::int8 as return_type_relation_id,
    p.proretset as is_set_returning,
    case when p.proretset then nullif(p.prorows, 0) end as prorows
from pg_proc as p
inner join pg_namespace as n on p.pronamespace = n.oid
inner join pg_type as rt on p.prorettype = rt.oid
where
    n.nspname = any(%(schemas)s)  -- noqa: RF02
    and p.prokind = 'f'
    and rt.typname not in ('trigger', 'event_trigger');

-- typegen_types --
-- Every type but the row types of sequences, indexes and foreign tables: its kind, what an
-- array holds, what a domain is based on, the labels of an enum, the attributes of a composite.
select
    t.oid::int8 as id,
    n.nspname as schema_name,
    t.typname as name,
    format_type(t.oid, null) as formatted,
    t.typtype::text as kind,
    case when t.typelem <> 0 and t.typlen = -1 then t.typelem::int8 end as element_id,
    nullif(t.typbasetype, 0)::int8 as base_id,
    nullif(t.typrelid, 0)::int8 as relation_id,
    rel.relkind::text as relation_kind,
    coalesce(
        (
            select array_agg(e.enumlabel::text order by e.enumsortorder)
            from pg_enum as e
            where e.enumtypid = t.oid
        ),
        '{}'
    ) as enum_labels,
    coalesce(
        (
            select array_agg(a.attname::text order by a.attnum)
            from pg_attribute as a
            where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped and rel.relkind = 'c'
        ),
        '{}'
    ) as attribute_names,
    coalesce(
        (
            select array_agg(a.atttypid::int8 order by a.attnum)
            from pg_attribute as a
            where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped and rel.relkind = 'c'
        ),
        '{}'
    ) as attribute_types
from pg_type as t
inner join pg_namespace as n on t.typnamespace = n.oid
left join pg_class as rel on t.typrelid = rel.oid
where t.typrelid = 0 or rel.relkind in ('c', 'r', 'v', 'm', 'p');
