-- create workers heartbeats
--
-- Purpose: one row per running `luneo worker run` process, so that operators see which worker
--          processes are alive, where, since when and with which workers, and so that jobs
--          leased by a process that stopped beating can be told apart. Each process writes its
--          row when it starts and every LUNEO_WORKER_HEARTBEAT_INTERVAL seconds
--          (private.worker_heartbeat()), deletes it when it stops (private.worker_stopped()), and
--          rows of processes that died without stopping are pruned by the maintenance worker
--          (private.prune_worker_heartbeats()); functions in supabase/functions/workers/heartbeats.sql.
-- Touches: table private.worker_heartbeats (new), its index on beat_at.
-- Destructive: no.

create table private.worker_heartbeats (
    worker_id text primary key check (char_length(worker_id) between 1 and 300),
    hostname text not null check (char_length(hostname) between 1 and 255),
    pid integer not null check (pid > 0),
    workers text[] not null check (cardinality(workers) between 1 and 100),
    version text not null check (char_length(version) between 1 and 100),
    started_at timestamptz not null default now(),
    beat_at timestamptz not null default now()
);

comment on table private.worker_heartbeats is
'One row per running `luneo worker run` process (worker_id: hostname:pid:random), written at start '
'and every heartbeat interval, deleted at a clean stop; a stale beat_at means the process died.';

create index worker_heartbeats_beat_at_idx on private.worker_heartbeats (beat_at);

revoke all on private.worker_heartbeats from public, anon, authenticated, service_role;
