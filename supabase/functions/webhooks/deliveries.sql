-- Webhook deliveries, the worker's side: claim due deliveries with a lease, record each attempt
-- and decide what follows (success, retry on the schedule, dead, endpoint disabled), release
-- leases on shutdown, queue figures for the metrics, and the operator's replay.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Only the workers (the service role or the database owner) call these. The lease is the row's
-- next_attempt_at: claiming pushes it to the lease's end, so a worker killed mid-delivery leaves
-- a delivery that is due again when its lease ends, and a second worker then sends it (at least
-- once; receivers de-duplicate on webhook-id). Retry schedule (Svix's): attempt 1 at once, then
-- after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, each with +-10 % jitter; 8 attempts, then dead.

-- == retry_delay =================================================================================

create or replace function private.webhook_retry_delay(attempts integer)
returns interval
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- the wait after the attempt-th failure; null once the 8 attempts are spent
    select (array[
        interval '5 seconds', interval '5 minutes', interval '30 minutes', interval '2 hours',
        interval '5 hours', interval '10 hours', interval '10 hours'
    ])[webhook_retry_delay.attempts]
$$;

comment on function private.webhook_retry_delay(integer) is
'Svix''s schedule: the wait after the n-th failed attempt (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), '
'null after the 8th.';

revoke execute on function private.webhook_retry_delay(integer) from public, anon, authenticated;

-- == claim_webhook_deliveries ====================================================================

create or replace function private.claim_webhook_deliveries(
    worker_id text, max_deliveries integer, lease_seconds integer
)
returns table (
    delivery_id uuid,
    attempt integer,
    endpoint_id uuid,
    url text,
    secrets text[],
    payload text
)
language plpgsql
volatile
-- definer: reads the signing secrets
security definer
set search_path = ''
-- the payload's timestamps are written in UTC, whatever the session's time zone
set timezone = 'UTC'
-- planned with the actual limit: a generic plan (what a `language sql` function always gets)
-- reads every pending delivery and sorts them, 12 ms a claim at 10,000 due instead of 0.1 ms
set plan_cache_mode = 'force_custom_plan'
as $$
begin
    return query
    with due as (
        select d.id
        from public.webhook_deliveries as d
        where d.status = 'pending' and d.next_attempt_at <= pg_catalog.now()
        order by d.next_attempt_at
        limit claim_webhook_deliveries.max_deliveries
        for no key update skip locked
    ),

    claimed as (
        update public.webhook_deliveries as d
        set
            attempts = d.attempts + 1,
            leased_by = claim_webhook_deliveries.worker_id,
            last_attempt_at = pg_catalog.now(),
            next_attempt_at = pg_catalog.now() + pg_catalog.make_interval(secs => claim_webhook_deliveries.lease_seconds)
        from due
        where d.id = due.id
        returning d.id, d.attempts, d.endpoint_id, d.event_id
    )

    select
        c.id,
        c.attempts,
        c.endpoint_id,
        e.url,
        array(
            select s.secret from private.webhook_endpoint_secrets as s
            where s.endpoint_id = c.endpoint_id and (s.expires_at is null or s.expires_at > pg_catalog.now())
            order by s.created_at desc
        ),
        pg_catalog.jsonb_build_object(
            'id', ev.id, 'type', ev.type, 'timestamp', ev.created_at,
            'organization_id', ev.organization_id, 'data', ev.data
        )::text
    from claimed as c
    inner join public.webhook_endpoints as e on e.id = c.endpoint_id
    inner join private.events as ev on ev.id = c.event_id;
end;
$$;

comment on function private.claim_webhook_deliveries(text, integer, integer) is
'Worker: takes up to max_deliveries due deliveries (for update skip locked), leases them to '
'worker_id for lease_seconds and returns what sending needs: attempt number, url, the valid '
'secrets (newest first) and the JSON body {id, type, timestamp, organization_id, data}.';

revoke execute on function private.claim_webhook_deliveries(text, integer, integer) from public, anon, authenticated;
grant execute on function private.claim_webhook_deliveries(text, integer, integer) to service_role;

-- == record_webhook_attempt ======================================================================

create or replace function private.record_webhook_attempt(
    delivery_id uuid,
    worker_id text,
    attempt integer,
    status_code integer,
    response_body text,
    duration_ms integer,
    error text,
    retry_after_seconds integer default null
)
returns text
language plpgsql
-- definer: maintenance of deliveries, endpoints and the outbox
security definer
set search_path = ''
as $$
declare
    delivery public.webhook_deliveries;
    endpoint public.webhook_endpoints;
    succeeded boolean := record_webhook_attempt.status_code between 200 and 299;
    gone boolean := record_webhook_attempt.status_code = 410;
    delay interval;
    outcome text;
begin
    select d.* into delivery from public.webhook_deliveries as d where d.id = record_webhook_attempt.delivery_id
    for no key update;
    if not found then
        return 'stale';  -- pruned, or its organisation deleted, meanwhile
    end if;
    insert into public.webhook_history (
        delivery_id, organization_id, endpoint_id, attempt, status_code, response_body, duration_ms, error, worker_id
    )
    values (
        delivery.id, delivery.organization_id, delivery.endpoint_id, record_webhook_attempt.attempt,
        record_webhook_attempt.status_code,
        -- at most 20 KB, cut on a character boundary
        convert_from(substring(convert_to(record_webhook_attempt.response_body, 'UTF8') from 1 for 20480), 'UTF8'),
        record_webhook_attempt.duration_ms, left(record_webhook_attempt.error, 1000), record_webhook_attempt.worker_id
    );
    if delivery.status <> 'pending' or delivery.leased_by is distinct from record_webhook_attempt.worker_id
        or delivery.attempts <> record_webhook_attempt.attempt then
        -- the lease ran out and another worker took the delivery: the attempt is kept, the state is theirs
        return 'stale';
    end if;

    if succeeded then
        update public.webhook_deliveries as d
        set status = 'succeeded', next_attempt_at = null, leased_by = null, completed_at = pg_catalog.now(),
            last_status_code = record_webhook_attempt.status_code, last_error = null
        where d.id = delivery.id;
        update public.webhook_endpoints as e set failing_since = null
        where e.id = delivery.endpoint_id and e.failing_since is not null;
        return 'succeeded';
    end if;

    -- the schedule's wait with +-10 % jitter, so that a burst of failures does not retry as one
    delay := private.webhook_retry_delay(delivery.attempts) * (0.9 + random() * 0.2);
    if delay is not null and record_webhook_attempt.status_code in (429, 503)
        and record_webhook_attempt.retry_after_seconds is not null then
        -- Retry-After is honoured as a minimum, within the schedule's longest wait
        delay := greatest(delay, least(
            pg_catalog.make_interval(secs => greatest(record_webhook_attempt.retry_after_seconds, 0)), interval '10 hours'
        ));
    end if;
    outcome := case when gone then 'disabled' when delay is null then 'dead' else 'retry' end;
    update public.webhook_deliveries as d
    set
        status = case when outcome = 'retry' then 'pending' else 'dead' end::public.webhook_delivery_status,
        next_attempt_at = case when outcome = 'retry' then pg_catalog.now() + delay end,
        completed_at = case when outcome = 'retry' then null else pg_catalog.now() end,
        leased_by = null,
        last_status_code = record_webhook_attempt.status_code,
        last_error = left(record_webhook_attempt.error, 1000)
    where d.id = delivery.id;

    update public.webhook_endpoints as e set failing_since = coalesce(e.failing_since, pg_catalog.now())
    where e.id = delivery.endpoint_id
    returning * into endpoint;
    if endpoint.active and (gone or endpoint.failing_since <= pg_catalog.now() - interval '5 days') then
        update public.webhook_endpoints as e
        set active = false, disabled_reason = case when gone then 'gone' else 'failing' end
        where e.id = endpoint.id
        returning * into endpoint;
        perform private.emit_event(
            'webhook_endpoint.disabled', endpoint.organization_id,
            pg_catalog.jsonb_build_object(
                'webhook_endpoint', pg_catalog.to_jsonb(endpoint),
                'reason', endpoint.disabled_reason,
                'last_status_code', record_webhook_attempt.status_code,
                'last_error', left(record_webhook_attempt.error, 1000)
            )
        );
        outcome := 'disabled';
    end if;
    return outcome;
end;
$$;

comment on function private.record_webhook_attempt(uuid, text, integer, integer, text, integer, text, integer) is
'Worker: records one attempt in webhook_history and settles the delivery: succeeded on 2xx; on '
'anything else retried on the schedule (Retry-After honoured on 429 and 503), dead after the 8th '
'attempt; 410 Gone, or 5 days of failures without a success, disables the endpoint and emits '
'webhook_endpoint.disabled. Returns succeeded, retry, dead, disabled, or stale (the lease was lost).';

revoke execute on function private.record_webhook_attempt(uuid, text, integer, integer, text, integer, text, integer)
from public, anon, authenticated;
grant execute on function private.record_webhook_attempt(uuid, text, integer, integer, text, integer, text, integer)
to service_role;

-- == record_webhook_attempts (a batch) ===========================================================

create or replace function private.record_webhook_attempts(attempts jsonb)
returns table (delivery_id uuid, outcome text)
language plpgsql
volatile
set search_path = ''
as $$
declare
    a record;
begin
    -- One statement, one commit for a batch of attempts: the worker writes together the attempts
    -- that finished while its previous batch was being written. Taken in the order of their
    -- endpoints, so that two workers' batches lock endpoint rows (failing_since) in one order.
    for a in
        select x.*
        from jsonb_to_recordset(record_webhook_attempts.attempts) as x (
            delivery_id uuid, worker_id text, attempt integer, status_code integer, response_body text,
            duration_ms integer, error text, retry_after_seconds integer
        )
        left join public.webhook_deliveries as d on d.id = x.delivery_id
        order by d.endpoint_id, x.delivery_id
    loop
        delivery_id := a.delivery_id;
        outcome := private.record_webhook_attempt(
            a.delivery_id, a.worker_id, a.attempt, a.status_code, a.response_body, a.duration_ms, a.error,
            a.retry_after_seconds
        );
        return next;
    end loop;
end;
$$;

comment on function private.record_webhook_attempts(jsonb) is
'Worker: record_webhook_attempt for each element of a JSON array of {delivery_id, worker_id, '
'attempt, status_code, response_body, duration_ms, error, retry_after_seconds}, in one '
'transaction; returns each delivery''s outcome.';

revoke execute on function private.record_webhook_attempts(jsonb) from public, anon, authenticated;
grant execute on function private.record_webhook_attempts(jsonb) to service_role;

-- == release_webhook_deliveries ==================================================================

create or replace function private.release_webhook_deliveries(worker_id text, delivery_ids uuid[] default null)
returns integer
language sql
volatile
security definer
set search_path = ''
as $$
    with released as (
        update public.webhook_deliveries as d
        set attempts = d.attempts - 1, next_attempt_at = pg_catalog.now(), leased_by = null
        where
            d.status = 'pending'
            and d.leased_by = release_webhook_deliveries.worker_id
            and d.next_attempt_at > pg_catalog.now()
            and (release_webhook_deliveries.delivery_ids is null or d.id = any(release_webhook_deliveries.delivery_ids))
        returning 1
    )
    select count(*)::integer from released
$$;

comment on function private.release_webhook_deliveries(text, uuid[]) is
'Worker shutdown: gives back, due at once, the deliveries worker_id still leases (all, or those '
'listed) without counting the attempt it did not make. Returns how many.';

revoke execute on function private.release_webhook_deliveries(text, uuid[]) from public, anon, authenticated;
grant execute on function private.release_webhook_deliveries(text, uuid[]) to service_role;

-- == webhook_queue_stats =========================================================================

create or replace function private.webhook_queue_stats()
returns table (due integer, oldest_due_seconds double precision)
language sql
stable
security definer
set search_path = ''
as $$
    -- due deliveries, counted up to 100,000 so that the metric stays cheap on a large backlog
    select
        (select count(*)::integer from (
            select from public.webhook_deliveries as d
            where d.status = 'pending' and d.next_attempt_at <= pg_catalog.now()
            limit 100000
        ) as q),
        coalesce(extract(epoch from pg_catalog.now() - (
            select min(d.next_attempt_at) from public.webhook_deliveries as d
            where d.status = 'pending' and d.next_attempt_at <= pg_catalog.now()
        )), 0)::double precision
$$;

comment on function private.webhook_queue_stats() is
'Worker metrics: deliveries due now (counted up to 100,000) and how long the oldest has been due, in seconds.';

revoke execute on function private.webhook_queue_stats() from public, anon, authenticated;
grant execute on function private.webhook_queue_stats() to service_role;

-- == replay_dead_webhook_deliveries (operator) ===================================================

create or replace function private.replay_dead_webhook_deliveries(
    organization_id uuid default null, endpoint_id uuid default null, since timestamptz default null
)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    replayed integer;
begin
    update public.webhook_deliveries as d
    set status = 'pending', attempts = 0, next_attempt_at = pg_catalog.now(), completed_at = null, leased_by = null
    from public.webhook_endpoints as e
    where
        e.id = d.endpoint_id
        and e.active
        and d.status = 'dead'
        and (replay_dead_webhook_deliveries.organization_id is null
            or d.organization_id = replay_dead_webhook_deliveries.organization_id)
        and (replay_dead_webhook_deliveries.endpoint_id is null or d.endpoint_id = replay_dead_webhook_deliveries.endpoint_id)
        and (replay_dead_webhook_deliveries.since is null or d.created_at >= replay_dead_webhook_deliveries.since);
    get diagnostics replayed = row_count;
    if replayed > 0 then
        perform pg_catalog.pg_notify('luneo_webhooks', '');
    end if;
    return replayed;
end;
$$;

comment on function private.replay_dead_webhook_deliveries(uuid, uuid, timestamptz) is
'Operator (`luneo webhooks replay`): sends the dead deliveries again (of one organisation, one '
'endpoint, created since a time), skipping disabled endpoints. Returns how many.';

revoke execute on function private.replay_dead_webhook_deliveries(uuid, uuid, timestamptz)
from public, anon, authenticated;
grant execute on function private.replay_dead_webhook_deliveries(uuid, uuid, timestamptz) to service_role;
