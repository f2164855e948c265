-- The event outbox: emit_event() (called by the _900_emit_events triggers of each feature), the
-- fan-out to webhook endpoints, and pruning.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- An event is written in the transaction of its change, so a rolled-back change emits nothing.
-- Each event becomes one webhook delivery per active endpoint of its organisation whose filter
-- matches, in the same transaction; a pg_notify on luneo_webhooks wakes the workers. The
-- notification is only a hint (Postgres sends it at commit, once per transaction however many
-- deliveries): workers also look for due deliveries on a periodic poll.
-- The types and their payloads: docs/events.md (private.event_types is the same list).

-- == event_type_matches ==========================================================================

create or replace function private.event_type_matches(type text, filters text[])
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    select event_type_matches.type = any(event_type_matches.filters)
        or '*' = any(event_type_matches.filters)
        or pg_catalog.split_part(event_type_matches.type, '.', 1) || '.*' = any(event_type_matches.filters)
$$;

comment on function private.event_type_matches(text, text[]) is
'True when an endpoint''s event_types lets the type through: the type itself, "<resource>.*", or "*".';

revoke execute on function private.event_type_matches(text, text[]) from public, anon, authenticated;

-- == emit_event ==================================================================================

create or replace function private.emit_event(type text, organization_id uuid, data jsonb)
returns uuid
language plpgsql
-- definer: writes the outbox and the deliveries, which no API role can write
security definer
set search_path = ''
as $$
declare
    event_id uuid;
begin
    insert into private.events (type, organization_id, data)
    values (emit_event.type, emit_event.organization_id, emit_event.data)
    returning id into event_id;

    insert into public.webhook_deliveries (organization_id, endpoint_id, event_id, event_type)
    select e.organization_id, e.id, event_id, emit_event.type
    from public.webhook_endpoints as e
    where
        e.organization_id = emit_event.organization_id
        and e.active
        and private.event_type_matches(emit_event.type, e.event_types);
    if found then
        perform pg_catalog.pg_notify('luneo_webhooks', '');
    end if;
    return event_id;
end;
$$;

comment on function private.emit_event(text, uuid, jsonb) is
'Writes an event to the outbox and one webhook delivery per active endpoint of the organisation '
'whose filter matches; notifies luneo_webhooks at commit when there is one. Returns the event id.';

revoke execute on function private.emit_event(text, uuid, jsonb) from public, anon, authenticated;
grant execute on function private.emit_event(text, uuid, jsonb) to service_role;

-- == prune_events (maintenance) ==================================================================

create or replace function private.prune_events(keep interval default interval '30 days', batch integer default 1000)
returns integer
language plpgsql
-- definer: maintenance, run by the maintenance worker
security definer
set search_path = ''
as $$
declare
    deliveries integer;
    events integer;
begin
    -- finished deliveries first (their attempts go with them), then events nothing points at;
    -- in batches, each a short transaction of its own when the caller runs in autocommit
    with old as (
        select d.id from public.webhook_deliveries as d
        where d.status <> 'pending' and d.completed_at < pg_catalog.now() - prune_events.keep
        order by d.completed_at
        limit prune_events.batch
        for update skip locked
    )
    delete from public.webhook_deliveries as d using old where d.id = old.id;
    get diagnostics deliveries = row_count;
    if deliveries = prune_events.batch then
        return deliveries;
    end if;
    with old as (
        select e.id from private.events as e
        where
            e.created_at < pg_catalog.now() - prune_events.keep
            and not exists (select from public.webhook_deliveries as d where d.event_id = e.id)
        order by e.created_at
        limit prune_events.batch - deliveries
        for update skip locked
    )
    delete from private.events as e using old where e.id = old.id;
    get diagnostics events = row_count;
    return deliveries + events;
end;
$$;

comment on function private.prune_events(interval, integer) is
'Deletes up to batch rows past their retention (keep): finished webhook deliveries with their '
'attempts, then events no delivery points at. Pending deliveries are never pruned. Returns how '
'many rows went; call it again until it returns less than batch.';

revoke execute on function private.prune_events(interval, integer) from public, anon, authenticated;
grant execute on function private.prune_events(interval, integer) to service_role;
