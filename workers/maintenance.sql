-- Queries of the maintenance worker (luneo.workers.maintenance). The logic lives in the SQL
-- functions they call; these only call them.

-- maintenance_try_lock --
-- one process at a time runs a task: the others skip it until their next turn
select pg_catalog.pg_try_advisory_xact_lock(
    pg_catalog.hashtext('luneo.workers.maintenance'), pg_catalog.hashtext(%(task)s)
);

-- record_api_key_usage --
select private.record_api_key_usage(%(api_key_id)s::uuid, %(calls)s::integer);

-- expire_invitations --
select private.expire_invitations();

-- mark_inactive_offline --
select private.mark_inactive_offline();

-- prune_revoked_sessions --
select private.prune_revoked_sessions();

-- prune_worker_heartbeats --
select private.prune_worker_heartbeats(pg_catalog.make_interval(secs => %(older_than)s::double precision));

-- prune_events --
select private.prune_events(pg_catalog.make_interval(days => %(keep_days)s::integer), %(batch)s::integer);

-- usage_counter --
-- every listener receives every notification: only the oldest live maintenance process counts
select private.oldest_live_worker('maintenance', pg_catalog.make_interval(secs => %(alive)s::double precision));

-- prune_emails --
select private.prune_emails(pg_catalog.make_interval(days => %(keep_days)s::integer), %(batch)s::integer);
