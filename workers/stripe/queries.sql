-- Queries of the stripe worker and receiver (luneo.workers.stripe). The logic lives in the SQL
-- functions they call (supabase/functions/billing/stripe_inbox.sql); these only call them.

-- receive --
select
    event_id,
    stored
from private.receive_stripe_events(%(events)s::jsonb[]);

-- wake --
select pg_notify('luneo_stripe', '');

-- claim --
select
    id,
    lane
from private.claim_stripe_events(%(worker_id)s::text, %(max_events)s::integer, %(lease_seconds)s::integer);

-- apply --
select private.apply_stripe_event(%(event_id)s::text, %(worker_id)s::text);

-- release --
select private.release_stripe_events(%(worker_id)s::text);

-- queue_stats --
select
    due,
    oldest_due_seconds
from private.stripe_queue_stats();

-- replay --
select id from private.replay_stripe_events(%(since)s::timestamptz, %(failed_only)s::boolean) as id;

-- counts --
select
    status,
    events,
    oldest,
    newest
from private.stripe_event_counts();

-- failures --
select
    id,
    type,
    status,
    attempts,
    next_attempt_at,
    last_error
from private.stripe_events
where last_error is not null and status in ('pending', 'failed')
order by received_at desc
limit %(max_rows)s::integer;
