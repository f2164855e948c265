-- The Stripe inbox: storing verified events (the receiver), claiming and applying them (the
-- stripe worker), the per-object high-water mark, retries, replay and the queue's figures.
-- What each event type does is in the files next to this one (customers, subscriptions,
-- invoices, payments).
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Exactly once in effect: an event id is stored once (a duplicate is a no-op), applied in one
-- transaction that also records its outcome, and state is written only by an event at least
-- as new as the one that last wrote the object (private.stripe_newest), so duplicates,
-- retries, replays and events arriving out of order all end in the same state. One-off effects
-- (a notification) happen on an event's first successful application only.
--
-- Errors (docs/errors.md): LU400 unknown Stripe event.

-- == reading Stripe's JSON =======================================================================

create or replace function private.stripe_time(value jsonb)
returns timestamptz
language sql
immutable
set search_path = ''
as $$
    -- Stripe times are Unix seconds; null, absent or not a number: null
    select case when jsonb_typeof(value) = 'number' then pg_catalog.to_timestamp(value::text::double precision) end
$$;

comment on function private.stripe_time(jsonb) is 'A Stripe timestamp (Unix seconds) as timestamptz; null otherwise.';

create or replace function private.stripe_id(value jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
    -- a reference is an id, or the object itself when the request expanded it
    select case jsonb_typeof(value) when 'string' then value #>> '{}' when 'object' then value ->> 'id' end
$$;

comment on function private.stripe_id(jsonb) is
'The id of a Stripe reference, given as an id or as an expanded object.';

create or replace function private.stripe_int(value jsonb)
returns bigint
language sql
immutable
set search_path = ''
as $$
    select case when jsonb_typeof(value) = 'number' then value::text::numeric::bigint end
$$;

comment on function private.stripe_int(jsonb) is 'A Stripe integer (amounts in minor units, counts); null otherwise.';

revoke execute on function private.stripe_time(jsonb), private.stripe_id(jsonb), private.stripe_int(jsonb)
from public, anon, authenticated;

-- == receive_stripe_events: the receiver's one call ==============================================

create or replace function private.receive_stripe_events(events jsonb[])
returns table (event_id text, stored boolean)
language plpgsql
-- definer: the receiver connects as whatever role the worker uses; the inbox is private
security definer
set search_path = ''
as $$
begin
    if exists (
        select from unnest(receive_stripe_events.events) as e (event)
        where
            jsonb_typeof(e.event) is distinct from 'object' or jsonb_typeof(e.event -> 'id') is distinct from 'string'
            or jsonb_typeof(e.event -> 'type') is distinct from 'string'
            or jsonb_typeof(e.event -> 'created') is distinct from 'number'
            or jsonb_typeof(e.event -> 'data' -> 'object') is distinct from 'object'
    ) then
        raise exception using errcode = '22023', message = 'not a Stripe event',
            hint = 'An event has an id, a type, created and data.object.';
    end if;
    -- no pg_notify here: a notifying transaction holds a global lock through its commit, which
    -- would serialise every receiver's commits; the receiver wakes the workers itself, batched
    return query
    with inserted as (
        insert into private.stripe_events (id, type, object_id, livemode, api_version, created_at, payload)
        select
            e.event ->> 'id', e.event ->> 'type',
            case when char_length(e.event -> 'data' -> 'object' ->> 'id') <= 255 then e.event -> 'data' -> 'object' ->> 'id' end,
            coalesce(e.event -> 'livemode' = 'true', false), left(e.event ->> 'api_version', 40),
            private.stripe_time(e.event -> 'created'), e.event
        from unnest(receive_stripe_events.events) as e (event)
        on conflict (id) do nothing
        returning id
    )
    select e.event ->> 'id', exists (select from inserted as i where i.id = e.event ->> 'id')
    from unnest(receive_stripe_events.events) as e (event);
end;
$$;

comment on function private.receive_stripe_events(jsonb[]) is
'Stores verified Stripe events in the inbox, in one statement: per event, true when stored, false when its '
'id was already there (an id twice in one call: stored once, reported true twice). 22023 when one is not an '
'event (nothing is stored then).';

revoke execute on function private.receive_stripe_events(jsonb[]) from public, anon, authenticated;
grant execute on function private.receive_stripe_events(jsonb[]) to service_role;

create or replace function private.receive_stripe_event(event jsonb)
returns boolean
language sql
security definer
set search_path = ''
as $$
    select r.stored from private.receive_stripe_events(array[receive_stripe_event.event]) as r
$$;

comment on function private.receive_stripe_event(jsonb) is
'Stores one verified Stripe event (true), or nothing when its id is already there (false). 22023 for JSON '
'that is not an event.';

revoke execute on function private.receive_stripe_event(jsonb) from public, anon, authenticated;
grant execute on function private.receive_stripe_event(jsonb) to service_role;

-- == the high-water mark =========================================================================

create or replace function private.stripe_event_rank(type text)
returns smallint
language sql
immutable
set search_path = ''
as $$
    -- events of one object made in the same second are ordered by their place in its life
    select case
        when stripe_event_rank.type like '%.created' then 0
        when stripe_event_rank.type in ('invoice.payment_failed', 'invoice.payment_action_required') then 2
        when stripe_event_rank.type in ('invoice.paid', 'invoice.voided', 'invoice.marked_uncollectible') then 3
        when stripe_event_rank.type like '%.deleted' or stripe_event_rank.type = 'payment_method.detached' then 4
        else 1
    end::smallint
$$;

comment on function private.stripe_event_rank(text) is
'Ties between events of one object made in the same second: created < updates < payment failed < paid, '
'voided < deleted, detached.';

create or replace function private.stripe_newest(event private.stripe_events, object_id text default null)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
    newest boolean;
begin
    -- the row lock serialises events of one object; equal (a replay) counts as newest
    insert into private.stripe_object_versions as v (object_id, event_created, event_rank, event_id)
    values (
        coalesce(stripe_newest.object_id, event.object_id), event.created_at,
        private.stripe_event_rank(event.type), event.id
    )
    on conflict on constraint stripe_object_versions_pkey do update set
        event_created = excluded.event_created, event_rank = excluded.event_rank, event_id = excluded.event_id
    where (v.event_created, v.event_rank, v.event_id) <= (excluded.event_created, excluded.event_rank, excluded.event_id)
    returning true into newest;
    return coalesce(newest, false);
end;
$$;

comment on function private.stripe_newest(private.stripe_events, text) is
'True, and the object''s high-water mark moved to this event, when no newer event of the object was '
'applied: (created, rank of the type, event id) decides, so any arrival order ends in the same state.';

revoke execute on function private.stripe_event_rank(text), private.stripe_newest(private.stripe_events, text)
from public, anon, authenticated;

-- == apply_stripe_event: one event, one transaction ==============================================

create or replace function private.stripe_dispatch(event private.stripe_events, first boolean)
returns text
language plpgsql
set search_path = ''
as $$
begin
    -- null: applied; text: ignored, and why
    return case
        when event.type in (
            'checkout.session.completed', 'checkout.session.async_payment_succeeded',
            'checkout.session.async_payment_failed'
        ) then private.stripe_checkout_session(event)
        when event.type in ('payment_intent.succeeded', 'payment_intent.payment_failed')
            then private.stripe_payment_intent(event)
        when event.type = 'charge.refunded' then private.stripe_charge_refunded(event)
        when event.type in ('customer.created', 'customer.updated', 'customer.deleted')
            then private.stripe_customer(event)
        when event.type = 'customer.subscription.trial_will_end' then private.stripe_trial_will_end(event, first)
        when event.type like 'customer.subscription.%' then private.stripe_subscription(event)
        when event.type in (
            'invoice.finalized', 'invoice.paid', 'invoice.payment_failed', 'invoice.updated',
            'invoice.voided', 'invoice.marked_uncollectible'
        ) then private.stripe_invoice(event, first)
        when event.type in ('payment_method.attached', 'payment_method.updated', 'payment_method.detached')
            then private.stripe_payment_method(event)
        when event.type in ('product.created', 'product.updated', 'product.deleted') then private.stripe_product(event)
        when event.type in ('price.created', 'price.updated', 'price.deleted') then private.stripe_price(event)
        else 'no handler for this event type'
    end;
end;
$$;

comment on function private.stripe_dispatch(private.stripe_events, boolean) is
'Calls the handler of the event''s type; null when applied, else why it was ignored. A handler raises to fail.';

create or replace function private.stripe_retry_delay(attempts integer)
returns interval
language sql
immutable
set search_path = ''
as $$
    -- after the nth failure; null: give up (status failed)
    select (array[
        interval '10 seconds', interval '1 minute', interval '5 minutes', interval '30 minutes',
        interval '2 hours', interval '6 hours', interval '12 hours', interval '24 hours'
    ])[stripe_retry_delay.attempts]
$$;

comment on function private.stripe_retry_delay(integer) is
'Wait before retrying an event after its nth failed application: 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, '
'12 h, 24 h; null after the 8th (the event is failed: `luneo stripe replay --failed`).';

create or replace function private.apply_stripe_event(event_id text, worker_id text default null)
returns text
language plpgsql
-- definer: the handlers write billing tables and orders as their owner
security definer
set search_path = ''
as $$
declare
    event private.stripe_events;
    reason text;
    failure text;
    state text;
    delay interval;
begin
    -- the outcome is written with the effects, so a commit lost in a crash loses both: the event is
    -- still pending and applied again. The commit need not wait for the disk.
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
    select e.* into event from private.stripe_events as e where e.id = apply_stripe_event.event_id for update;
    if not found then
        raise exception using errcode = 'LU400', message = 'unknown Stripe event',
            detail = format('event %s is not in the inbox', apply_stripe_event.event_id);
    end if;
    -- a worker applies only what it holds: a lease that ran out may have been taken over
    if apply_stripe_event.worker_id is not null
        and (event.leased_by is distinct from apply_stripe_event.worker_id or event.status <> 'pending') then
        return 'skipped';
    end if;
    begin
        reason := private.stripe_dispatch(event, event.applied_at is null);
    exception when others then
        get stacked diagnostics failure = message_text, state = returned_sqlstate;
        delay := private.stripe_retry_delay(event.attempts + 1);
        update private.stripe_events as e set
            status = case when delay is null then 'failed' else 'pending' end,
            attempts = e.attempts + 1,
            next_attempt_at = pg_catalog.now() + delay,
            leased_by = null,
            last_error = left(format('%s: %s', state, failure), 2000)
        where e.id = event.id;
        return case when delay is null then 'failed' else 'retry' end;
    end;
    update private.stripe_events as e set
        status = case when reason is null then 'applied' else 'ignored' end,
        attempts = e.attempts + 1,
        next_attempt_at = null,
        leased_by = null,
        last_error = null,
        note = left(reason, 1000),
        applied_at = coalesce(e.applied_at, case when reason is null then pg_catalog.now() end)
    where e.id = event.id;
    return case when reason is null then 'applied' else 'ignored' end;
end;
$$;

comment on function private.apply_stripe_event(text, text) is
'Applies one stored event in the caller''s transaction and records the outcome: applied, ignored (with '
'the reason in note), retry (failed; due again after private.stripe_retry_delay) or failed (gave up). '
'With worker_id, only while that worker holds the event''s lease (else skipped). LU400: unknown event.';

revoke execute on function private.stripe_dispatch(private.stripe_events, boolean), private.stripe_retry_delay(integer),
private.apply_stripe_event(text, text) from public, anon, authenticated;
grant execute on function private.apply_stripe_event(text, text) to service_role;

-- == claiming, releasing, replaying ==============================================================

create or replace function private.claim_stripe_events(worker_id text, max_events integer, lease_seconds integer)
returns table (id text, lane text)
language sql
security definer
set search_path = ''
as $$
    -- oldest first (Stripe's creation order), leased so a killed worker's events come back
    with due as (
        select e.id
        from private.stripe_events as e
        where e.next_attempt_at <= pg_catalog.now()
        order by e.next_attempt_at, e.created_at, e.id
        limit claim_stripe_events.max_events
        for update skip locked
    )
    update private.stripe_events as e set
        leased_by = claim_stripe_events.worker_id,
        next_attempt_at = pg_catalog.now() + pg_catalog.make_interval(secs => claim_stripe_events.lease_seconds)
    from due where e.id = due.id
    returning
        e.id,
        -- what the event's object hangs from: its customer (or a price's product), else itself
        coalesce(
            private.stripe_id(e.payload -> 'data' -> 'object' -> 'customer'),
            private.stripe_id(e.payload -> 'data' -> 'object' -> 'product'),
            e.object_id, e.id
        )
$$;

comment on function private.claim_stripe_events(text, integer, integer) is
'Leases up to max_events due events to a worker for lease_seconds; their ids and lanes (the customer, or '
'product, they hang from: a worker applies one lane''s events in order, lanes side by side).';

create or replace function private.release_stripe_events(worker_id text)
returns integer
language sql
security definer
set search_path = ''
as $$
    with released as (
        update private.stripe_events as e set leased_by = null, next_attempt_at = pg_catalog.now()
        where e.leased_by = release_stripe_events.worker_id and e.status = 'pending'
        returning 1
    )
    select count(*)::integer from released
$$;

comment on function private.release_stripe_events(text) is
'Makes the events a stopping worker still holds due at once; how many.';

create or replace function private.replay_stripe_events(
    since timestamptz default null, failed_only boolean default false, max_events integer default 100000
)
returns setof text
language sql
security definer
set search_path = ''
as $$
    -- leased to the replaying command itself, so workers leave them alone while it applies them
    with chosen as (
        select e.id
        from private.stripe_events as e
        where
            (replay_stripe_events.since is null or e.received_at >= replay_stripe_events.since)
            and (not replay_stripe_events.failed_only or e.status = 'failed')
        order by e.created_at, e.id
        limit replay_stripe_events.max_events
        for update skip locked
    )
    update private.stripe_events as e set
        status = 'pending', attempts = 0, leased_by = 'replay', next_attempt_at = pg_catalog.now() + interval '1 hour'
    from chosen where e.id = chosen.id
    returning e.id
$$;

comment on function private.replay_stripe_events(timestamptz, boolean, integer) is
'Puts events back to pending, leased to `luneo stripe replay` (worker id "replay"), which applies them in '
'Stripe''s creation order: those received since `since`, or only the failed ones.';

create or replace function private.stripe_queue_stats()
returns table (due bigint, oldest_due_seconds double precision)
language sql
stable
security definer
set search_path = ''
as $$
    select
        count(*),
        coalesce(extract(epoch from pg_catalog.now() - min(e.next_attempt_at)), 0)::double precision
    from private.stripe_events as e
    where e.next_attempt_at <= pg_catalog.now()
$$;

comment on function private.stripe_queue_stats() is 'Events due now, and how long the oldest has waited.';

create or replace function private.stripe_event_counts()
returns table (status text, events bigint, oldest timestamptz, newest timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
    select e.status, count(*), min(e.received_at), max(e.received_at)
    from private.stripe_events as e group by 1 order by 1
$$;

comment on function private.stripe_event_counts() is 'Events per status (`luneo stripe status`).';

revoke execute on function private.claim_stripe_events(text, integer, integer), private.release_stripe_events(text),
private.replay_stripe_events(timestamptz, boolean, integer), private.stripe_queue_stats(),
private.stripe_event_counts() from public, anon, authenticated;
grant execute on function private.claim_stripe_events(text, integer, integer), private.release_stripe_events(text),
private.replay_stripe_events(timestamptz, boolean, integer), private.stripe_queue_stats(),
private.stripe_event_counts() to service_role;
