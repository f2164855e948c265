-- Worker heartbeats: the row each `luneo worker run` process keeps in private.worker_heartbeats.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Called by the worker runtime (luneo.workers.runner) and the maintenance worker, never by the
-- API: private functions without public wrappers, executable by service_role only (workers
-- connect as the database owner or as service_role). Raises no Luneo error code.

-- == worker_heartbeat ============================================================================

create or replace function private.worker_heartbeat(
    worker_id text, hostname text, pid integer, workers text[], version text
)
returns void
language sql
-- definer: the heartbeat table is not writable by any API role, service_role included
security definer
set search_path = ''
as $$
    insert into private.worker_heartbeats as h (worker_id, hostname, pid, workers, version)
    values (
        worker_heartbeat.worker_id,
        worker_heartbeat.hostname,
        worker_heartbeat.pid,
        worker_heartbeat.workers,
        worker_heartbeat.version
    )
    on conflict on constraint worker_heartbeats_pkey do update
    set hostname = excluded.hostname,
        pid = excluded.pid,
        workers = excluded.workers,
        version = excluded.version,
        beat_at = pg_catalog.now()
$$;

comment on function private.worker_heartbeat(text, text, integer, text[], text) is
'Worker runtime: records that the process worker_id is alive (insert, or beat_at = now()).';

revoke execute on function private.worker_heartbeat(text, text, integer, text[], text)
from public, anon, authenticated;
grant execute on function private.worker_heartbeat(text, text, integer, text[], text) to service_role;

-- == worker_stopped ==============================================================================

create or replace function private.worker_stopped(worker_id text)
returns boolean
language sql
-- definer: the heartbeat table is not writable by any API role, service_role included
security definer
set search_path = ''
as $$
    with deleted as (
        delete from private.worker_heartbeats as h
        where h.worker_id = worker_stopped.worker_id
        returning 1
    )
    select exists (select 1 from deleted)
$$;

comment on function private.worker_stopped(text) is
'Worker runtime: forgets the process worker_id at a clean stop; returns whether it had a row.';

revoke execute on function private.worker_stopped(text) from public, anon, authenticated;
grant execute on function private.worker_stopped(text) to service_role;

-- == prune_worker_heartbeats (maintenance) =======================================================

create or replace function private.prune_worker_heartbeats(older_than interval default interval '1 hour')
returns integer
language sql
-- definer: maintenance, run by the worker or the service role
security definer
set search_path = ''
as $$
    with pruned as (
        delete from private.worker_heartbeats as h
        where h.beat_at < pg_catalog.now() - prune_worker_heartbeats.older_than
        returning 1
    )
    select count(*)::integer from pruned
$$;

comment on function private.prune_worker_heartbeats(interval) is
'Maintenance: forgets processes that have not beaten for older_than (default 1 hour): they died '
'without stopping; returns how many.';

revoke execute on function private.prune_worker_heartbeats(interval) from public, anon, authenticated;
grant execute on function private.prune_worker_heartbeats(interval) to service_role;

-- == oldest_live_worker ==========================================================================

create or replace function private.oldest_live_worker(worker text, alive interval)
returns text
language sql
stable
-- definer: the heartbeat table is not readable by any API role, service_role included
security definer
set search_path = ''
as $$
    select h.worker_id
    from private.worker_heartbeats as h
    where oldest_live_worker.worker = any(h.workers) and h.beat_at > pg_catalog.now() - oldest_live_worker.alive
    order by h.started_at, h.worker_id
    limit 1
$$;

comment on function private.oldest_live_worker(text, interval) is
'Worker runtime: the process running worker that started first among those that beat within alive; '
'the one process that does what must be done once (maintenance counts API-key usage there).';

revoke execute on function private.oldest_live_worker(text, interval) from public, anon, authenticated;
grant execute on function private.oldest_live_worker(text, interval) to service_role;
