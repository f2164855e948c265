-- The migration lock: one session advisory lock per database.
-- Named queries of luneo.core.migrations (sections start with "-- name --").

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
