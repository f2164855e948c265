-- Queries of the webhooks worker (luneo.workers.webhooks.worker). The logic lives in the SQL
-- functions they call (supabase/functions/webhooks/deliveries.sql); these only call them.

-- claim --
select
    delivery_id,
    attempt,
    url,
    secrets,
    payload
from private.claim_webhook_deliveries(%(worker_id)s::text, %(max_deliveries)s::integer, %(lease_seconds)s::integer);

-- record_attempts --
select
    delivery_id,
    outcome
from private.record_webhook_attempts(%(attempts)s::jsonb);

-- release --
select private.release_webhook_deliveries(%(worker_id)s::text, %(delivery_ids)s::uuid[]);

-- queue_stats --
select
    due,
    oldest_due_seconds
from private.webhook_queue_stats();

-- replay_dead --
select private.replay_dead_webhook_deliveries(%(organization_id)s::uuid, %(endpoint_id)s::uuid, %(since)s::timestamptz);
