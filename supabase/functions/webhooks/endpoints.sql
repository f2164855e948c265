-- Webhook endpoints: create (secret returned once), rotate the secret with an overlap window,
-- send a test event, replay a delivery; and the triggers on public.webhook_endpoints.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Errors (docs/errors.md): LU200 webhook endpoint not found; LU201 the endpoint is disabled;
-- LU202 webhook delivery not found. The secrets live in private.webhook_endpoint_secrets, which
-- no API role reads: the signing worker does (supabase/functions/webhooks/deliveries.sql).

-- == new_webhook_secret ==========================================================================

create or replace function private.new_webhook_secret()
returns text
language sql
volatile
set search_path = ''
as $$
    -- 32 bytes: SHA-256 of three version-4 UUIDs (366 random bits; core gen_random_uuid only),
    -- in standard base64 as Standard Webhooks secrets are written
    select 'whsec_' || encode(
        sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())),
        'base64'
    )
$$;

comment on function private.new_webhook_secret() is
'A new signing secret: whsec_ followed by 32 random bytes in base64 (Standard Webhooks).';

revoke execute on function private.new_webhook_secret() from public, anon, authenticated;

-- == managed_webhook_endpoint ====================================================================

create or replace function private.managed_webhook_endpoint(endpoint_id uuid)
returns public.webhook_endpoints
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    endpoint public.webhook_endpoints;
begin
    perform private.require_user();
    select e.* into endpoint from public.webhook_endpoints as e
    where e.id = managed_webhook_endpoint.endpoint_id and private.has_permission(e.organization_id, 'webhooks.manage');
    if not found then
        -- also for endpoints of other organisations: their existence is not revealed
        raise exception using errcode = 'LU200', message = 'webhook endpoint not found',
            detail = format('endpoint_id=%s', managed_webhook_endpoint.endpoint_id);
    end if;
    return endpoint;
end;
$$;

comment on function private.managed_webhook_endpoint(uuid) is
'The endpoint, when the caller holds webhooks.manage in its organisation; LU200 otherwise.';

revoke execute on function private.managed_webhook_endpoint(uuid) from public, anon, authenticated;

-- == create_webhook_endpoint =====================================================================

create or replace function private.create_webhook_endpoint(
    organization_id uuid, url text, description text, event_types text[]
)
returns jsonb
language plpgsql
-- definer: writes the secret, which no API role can reach
security definer
set search_path = ''
as $$
declare
    caller uuid := private.require_user();
    secret text := private.new_webhook_secret();
    created public.webhook_endpoints;
begin
    perform private.require_permission(create_webhook_endpoint.organization_id, 'webhooks.manage');
    insert into public.webhook_endpoints (organization_id, url, description, event_types, created_by)
    values (
        create_webhook_endpoint.organization_id, btrim(create_webhook_endpoint.url),
        create_webhook_endpoint.description, coalesce(create_webhook_endpoint.event_types, '{*}'), caller
    )
    returning * into created;
    insert into private.webhook_endpoint_secrets (endpoint_id, secret) values (created.id, secret);
    return jsonb_build_object('webhook_endpoint', to_jsonb(created), 'secret', secret);
end;
$$;

comment on function private.create_webhook_endpoint(uuid, text, text, text[]) is
'Creates a webhook endpoint (webhooks.manage) and returns its signing secret in clear, once.';

revoke execute on function private.create_webhook_endpoint(uuid, text, text, text[]) from public, anon;
grant execute on function private.create_webhook_endpoint(uuid, text, text, text[]) to authenticated;

-- the RPC: POST /rpc/create_webhook_endpoint
create or replace function public.create_webhook_endpoint(
    organization_id uuid,
    url text,
    description text default null,
    event_types text[] default '{*}'
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
    select * from private.create_webhook_endpoint(
        create_webhook_endpoint.organization_id, create_webhook_endpoint.url,
        create_webhook_endpoint.description, create_webhook_endpoint.event_types
    )
$$;

comment on function public.create_webhook_endpoint(uuid, text, text, text[]) is
'Creates a webhook endpoint (webhooks.manage). Returns {webhook_endpoint, secret}: the secret '
'(whsec_...) is shown only here; rotate_webhook_secret() makes a new one.';

revoke execute on function public.create_webhook_endpoint(uuid, text, text, text[]) from public, anon;
grant execute on function public.create_webhook_endpoint(uuid, text, text, text[]) to authenticated;

-- == rotate_webhook_secret =======================================================================

create or replace function private.rotate_webhook_secret(endpoint_id uuid, overlap_seconds integer)
returns jsonb
language plpgsql
-- definer: writes the secrets, which no API role can reach
security definer
set search_path = ''
as $$
declare
    endpoint public.webhook_endpoints := private.managed_webhook_endpoint(rotate_webhook_secret.endpoint_id);
    secret text := private.new_webhook_secret();
    previous_expires_at timestamptz :=
        pg_catalog.now() + pg_catalog.make_interval(secs => rotate_webhook_secret.overlap_seconds);
begin
    if rotate_webhook_secret.overlap_seconds is null or rotate_webhook_secret.overlap_seconds not between 0 and 604800 then
        raise exception using errcode = '22023', message = 'overlap_seconds must be between 0 and 604800 (7 days)';
    end if;
    -- serialises rotations of one endpoint: at most two secrets sign, the new and the previous
    perform from public.webhook_endpoints as e where e.id = endpoint.id for no key update;
    delete from private.webhook_endpoint_secrets as s where s.endpoint_id = endpoint.id and s.expires_at is not null;
    update private.webhook_endpoint_secrets as s set expires_at = previous_expires_at
    where s.endpoint_id = endpoint.id and s.expires_at is null;
    insert into private.webhook_endpoint_secrets (endpoint_id, secret) values (endpoint.id, secret);
    return jsonb_build_object('secret', secret, 'previous_secret_expires_at', previous_expires_at);
end;
$$;

comment on function private.rotate_webhook_secret(uuid, integer) is
'Gives the endpoint a new signing secret (webhooks.manage); the previous one keeps signing for '
'overlap_seconds. Returns the new secret, once.';

revoke execute on function private.rotate_webhook_secret(uuid, integer) from public, anon;
grant execute on function private.rotate_webhook_secret(uuid, integer) to authenticated;

-- the RPC: POST /rpc/rotate_webhook_secret
create or replace function public.rotate_webhook_secret(endpoint_id uuid, overlap_seconds integer default 86400)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
    select * from private.rotate_webhook_secret(rotate_webhook_secret.endpoint_id, rotate_webhook_secret.overlap_seconds)
$$;

comment on function public.rotate_webhook_secret(uuid, integer) is
'Rotates the endpoint''s signing secret (webhooks.manage). Returns {secret, previous_secret_expires_at}: '
'until then deliveries carry two signatures, one per secret (default overlap 24 h, at most 7 days).';

revoke execute on function public.rotate_webhook_secret(uuid, integer) from public, anon;
grant execute on function public.rotate_webhook_secret(uuid, integer) to authenticated;

-- == send_test_webhook ===========================================================================

create or replace function private.send_test_webhook(endpoint_id uuid)
returns public.webhook_deliveries
language plpgsql
-- definer: writes the outbox and a delivery, which no API role can write
security definer
set search_path = ''
as $$
declare
    endpoint public.webhook_endpoints := private.managed_webhook_endpoint(send_test_webhook.endpoint_id);
    event_id uuid;
    delivery public.webhook_deliveries;
begin
    if not endpoint.active then
        raise exception using errcode = 'LU201', message = 'the webhook endpoint is disabled',
            hint = 'Set active to true first.';
    end if;
    -- to this endpoint only, whatever its filter: not through emit_event's fan-out
    insert into private.events (type, organization_id, data)
    values (
        'webhook.test', endpoint.organization_id,
        jsonb_build_object('endpoint_id', endpoint.id, 'message', 'Test event sent from Luneo.')
    )
    returning id into event_id;
    insert into public.webhook_deliveries (organization_id, endpoint_id, event_id, event_type)
    values (endpoint.organization_id, endpoint.id, event_id, 'webhook.test')
    returning * into delivery;
    perform pg_catalog.pg_notify('luneo_webhooks', '');
    return delivery;
end;
$$;

comment on function private.send_test_webhook(uuid) is
'Queues a webhook.test event for one endpoint (webhooks.manage); LU201 when it is disabled.';

revoke execute on function private.send_test_webhook(uuid) from public, anon;
grant execute on function private.send_test_webhook(uuid) to authenticated;

-- the RPC: POST /rpc/send_test_webhook
create or replace function public.send_test_webhook(endpoint_id uuid)
returns public.webhook_deliveries
language sql
security invoker
set search_path = ''
as $$
    select * from private.send_test_webhook(send_test_webhook.endpoint_id)
$$;

comment on function public.send_test_webhook(uuid) is
'Sends a webhook.test event to the endpoint (webhooks.manage) and returns its delivery, to follow '
'in webhook_deliveries and webhook_history.';

revoke execute on function public.send_test_webhook(uuid) from public, anon;
grant execute on function public.send_test_webhook(uuid) to authenticated;

-- == replay_webhook_delivery =====================================================================

create or replace function private.replay_webhook_delivery(delivery_id uuid)
returns public.webhook_deliveries
language plpgsql
-- definer: deliveries are not writable through the API
security definer
set search_path = ''
as $$
declare
    delivery public.webhook_deliveries;
    endpoint public.webhook_endpoints;
begin
    perform private.require_user();
    select d.* into delivery from public.webhook_deliveries as d
    where d.id = replay_webhook_delivery.delivery_id and private.has_permission(d.organization_id, 'webhooks.manage')
    for no key update;
    if not found then
        raise exception using errcode = 'LU202', message = 'webhook delivery not found',
            detail = format('delivery_id=%s', replay_webhook_delivery.delivery_id);
    end if;
    select e.* into endpoint from public.webhook_endpoints as e where e.id = delivery.endpoint_id;
    if not endpoint.active then
        raise exception using errcode = 'LU201', message = 'the webhook endpoint is disabled',
            hint = 'Set active to true first.';
    end if;
    if delivery.status = 'pending' then
        return delivery;  -- already on its way
    end if;
    update public.webhook_deliveries as d
    set status = 'pending', attempts = 0, next_attempt_at = pg_catalog.now(), leased_by = null, completed_at = null
    where d.id = delivery.id
    returning * into delivery;
    perform pg_catalog.pg_notify('luneo_webhooks', '');
    return delivery;
end;
$$;

comment on function private.replay_webhook_delivery(uuid) is
'Sends a finished delivery again, same webhook-id, with a fresh retry schedule (webhooks.manage).';

revoke execute on function private.replay_webhook_delivery(uuid) from public, anon;
grant execute on function private.replay_webhook_delivery(uuid) to authenticated;

-- the RPC: POST /rpc/replay_webhook_delivery
create or replace function public.replay_webhook_delivery(delivery_id uuid)
returns public.webhook_deliveries
language sql
security invoker
set search_path = ''
as $$
    select * from private.replay_webhook_delivery(replay_webhook_delivery.delivery_id)
$$;

comment on function public.replay_webhook_delivery(uuid) is
'Sends a dead (or succeeded) delivery again with the same webhook-id (webhooks.manage); a pending '
'one is returned as it is. LU202 when not visible to the caller, LU201 when its endpoint is disabled.';

revoke execute on function public.replay_webhook_delivery(uuid) from public, anon;
grant execute on function public.replay_webhook_delivery(uuid) to authenticated;

-- == tg_check_event_types ========================================================================

create or replace function private.tg_check_event_types()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    unknown text;
begin
    if pg_catalog.cardinality(new.event_types) = 0 then
        raise exception using errcode = '22023', message = 'event_types: at least one type, "<resource>.*" or "*"';
    end if;
    select f into unknown
    from pg_catalog.unnest(new.event_types) as f
    where
        f <> '*'
        and not exists (
            select from private.event_types as t
            where t.name = f or (f like '%.*' and pg_catalog.split_part(t.name, '.', 1) = pg_catalog.split_part(f, '.', 1))
        )
    limit 1;
    if unknown is not null then
        raise exception using errcode = '22023', message = format('event_types: unknown event type %s', unknown),
            hint = 'The types are listed in docs/events.md.';
    end if;
    return new;
end;
$$;

comment on function private.tg_check_event_types() is
'Trigger function (before insert or update of event_types): at least one filter, each naming a '
'catalogued type, a catalogued resource with ".*", or "*" (22023 otherwise).';

revoke execute on function private.tg_check_event_types() from public, anon, authenticated;

-- == tg_track_endpoint_activation ================================================================

create or replace function private.tg_track_endpoint_activation()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
    if new.active then
        new.disabled_reason := null;
        new.disabled_at := null;
        new.failing_since := null;
    else
        new.disabled_reason := coalesce(new.disabled_reason, 'manual');
        new.disabled_at := pg_catalog.now();
    end if;
    return new;
end;
$$;

comment on function private.tg_track_endpoint_activation() is
'Trigger function (before update of active): re-enabling clears the reason and the failure clock; '
'disabling by hand records disabled_reason manual.';

revoke execute on function private.tg_track_endpoint_activation() from public, anon, authenticated;

-- == tg_abandon_deliveries =======================================================================

create or replace function private.tg_abandon_deliveries()
returns trigger
language plpgsql
-- definer: deliveries are not writable through the API
security definer
set search_path = ''
as $$
begin
    update public.webhook_deliveries as d
    set status = 'dead', next_attempt_at = null, leased_by = null, completed_at = pg_catalog.now(),
        last_error = 'endpoint disabled'
    where d.endpoint_id = new.id and d.status = 'pending';
    return null;
end;
$$;

comment on function private.tg_abandon_deliveries() is
'Trigger function (after an endpoint is disabled): its pending deliveries become dead, to replay '
'once it is enabled again.';

revoke execute on function private.tg_abandon_deliveries() from public, anon, authenticated;

-- == triggers on public.webhook_endpoints ========================================================

create or replace trigger _100_set_updated_at before update on public.webhook_endpoints
for each row execute function private.tg_set_updated_at();

create or replace trigger _100_track_activation before update of active on public.webhook_endpoints
for each row when (old.active is distinct from new.active)
execute function private.tg_track_endpoint_activation();

create or replace trigger _200_check_event_types before insert or update of event_types on public.webhook_endpoints
for each row execute function private.tg_check_event_types();

create or replace trigger _300_abandon_deliveries after update of active on public.webhook_endpoints
for each row when (old.active and not new.active)
execute function private.tg_abandon_deliveries();

create or replace trigger _500_audit after insert or update or delete on public.webhook_endpoints
for each row execute function private.tg_audit();
