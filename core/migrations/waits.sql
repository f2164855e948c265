-- Lock waits of a migration session: who blocks it while it waits.
-- Named queries of luneo.core.migrations (sections start with "-- name --").

-- lock_blockers --
-- The sessions that block backend %(pid)s, while it waits for a heavyweight lock (no row
-- otherwise: pg_blocking_pids is only called then). `seconds`: how long each has had its
-- transaction open; `waited`: how long the waiting statement has run; `wanted`: the lock.
select
    b.pid,
    coalesce(nullif(b.application_name, ''), '?') as application_name,
    coalesce(b.usename::text, '?') as usename,
    coalesce(b.state, '?') as state,
    extract(
        epoch from clock_timestamp() - coalesce(b.xact_start, b.query_start, b.backend_start)
    )::float8 as seconds,
    coalesce(b.query, '') as query,
    extract(epoch from clock_timestamp() - me.query_start)::float8 as waited,
    (
        select
            case
                when c.oid is not null then format('%%s on %%I.%%I', l.mode, n.nspname, c.relname)
                when l.locktype in ('virtualxid', 'transactionid') then 'the end of a transaction'
                else format('%%s on a %%s', l.mode, l.locktype)
            end
        from pg_locks as l
        left join pg_class as c on l.relation = c.oid
        left join pg_namespace as n on c.relnamespace = n.oid
        where l.pid = me.pid and not l.granted
        order by c.oid nulls last
        limit 1
    ) as wanted
from pg_stat_activity as me
cross join lateral unnest(pg_blocking_pids(me.pid)) as blocking (pid)
inner join pg_stat_activity as b on blocking.pid = b.pid
where me.pid = %(pid)s and me.wait_event_type = 'Lock'  -- noqa: RF02
order by b.xact_start nulls last, b.pid;
