-- Concurrent statements: invalid indexes left by failed concurrent builds.
-- Named queries of luneo.core.migrations (sections start with "-- name --").

-- invalid_index --
-- The invalid index (left by a failed concurrent build) named %(index)s in the schema of the
-- table %(schema)s.%(table)s (no schema: found through search_path), and how to drop it.
select
    format('%%I.%%I', n.nspname, c.relname) as index_name,
    format('drop index concurrently if exists %%I.%%I', n.nspname, c.relname) as drop_statement
from pg_class as c
inner join pg_index as i on c.oid = i.indexrelid
inner join pg_namespace as n on c.relnamespace = n.oid
where
    not i.indisvalid
    and c.relname = %(index)s  -- noqa: RF02
    and n.oid = (
        select t.relnamespace from pg_class as t
        where t.oid = to_regclass(
            case
                when %(schema)s::text is null then quote_ident(%(table)s)  -- noqa: RF02
                else quote_ident(%(schema)s) || '.' || quote_ident(%(table)s)  -- noqa: RF02
            end
        )
    );
