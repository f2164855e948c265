-- API keys: create (plaintext returned once), revoke, the PostgREST db-pre-request check and
-- the usage counter; and the triggers on public.api_keys.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Each private function is followed by its public wrapper: a thin security-invoker `language sql`
-- function that PostgREST exposes (POST /rpc/<name>). The checks, and the reason the private
-- function is security definer, are in the private function.
-- Errors (docs/errors.md): LU020 API key not found; the pre-request check answers PT401, PT429.
-- check_api_key runs inside the one db-pre-request entry point, private.check_request() (_shared/request.sql).

-- == create_api_key ==============================================================================

create or replace function private.create_api_key(
    organization_id uuid, name text, scopes text[], rate_limit integer, expires_at timestamptz
)
returns jsonb
language plpgsql
-- definer: writes the key hash, which no API role can reach
security definer
set search_path = ''
as $$
declare
    caller uuid := private.require_user();
    secret text := private.new_token('luneo_');
    created public.api_keys;
begin
    perform private.require_permission(create_api_key.organization_id, 'api_keys.manage');
    if create_api_key.expires_at <= pg_catalog.now() then
        raise exception using errcode = '22023', message = 'expires_at must be in the future';
    end if;
    insert into public.api_keys (organization_id, name, key_prefix, scopes, rate_limit, expires_at, created_by)
    values (
        create_api_key.organization_id, btrim(create_api_key.name), left(secret, 14),
        coalesce(create_api_key.scopes, '{read}'), coalesce(create_api_key.rate_limit, 1000),
        create_api_key.expires_at, caller
    )
    returning * into created;
    insert into private.api_key_hashes (api_key_id, key_hash) values (created.id, private.hash_token(secret));
    return jsonb_build_object('api_key', to_jsonb(created), 'key', secret);
end;
$$;

comment on function private.create_api_key(uuid, text, text[], integer, timestamptz) is
'Creates an API key (api_keys.manage) and returns it in clear, once; only its SHA-256 is kept.';

revoke execute on function private.create_api_key(uuid, text, text[], integer, timestamptz) from public, anon;
grant execute on function private.create_api_key(uuid, text, text[], integer, timestamptz) to authenticated;

-- the RPC: POST /rpc/create_api_key
create or replace function public.create_api_key(
    organization_id uuid,
    name text,
    scopes text[] default '{read}',
    rate_limit integer default 1000,
    expires_at timestamptz default null
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
    select * from private.create_api_key(create_api_key.organization_id, create_api_key.name, create_api_key.scopes, create_api_key.rate_limit, create_api_key.expires_at)
$$;

comment on function public.create_api_key(uuid, text, text[], integer, timestamptz) is
'Creates an API key (api_keys.manage). Returns {api_key, key}: the key is shown only here.';

revoke execute on function public.create_api_key(uuid, text, text[], integer, timestamptz) from public, anon;
grant execute on function public.create_api_key(uuid, text, text[], integer, timestamptz) to authenticated;

-- == revoke_api_key ==============================================================================

create or replace function private.revoke_api_key(api_key_id uuid)
returns public.api_keys
language plpgsql
-- definer: revoked_at is not writable through the API, so that a revocation is final
security definer
set search_path = ''
as $$
declare
    revoked public.api_keys;
begin
    perform private.require_user();
    update public.api_keys as k set revoked_at = coalesce(k.revoked_at, pg_catalog.now())
    where k.id = revoke_api_key.api_key_id and private.has_permission(k.organization_id, 'api_keys.manage')
    returning * into revoked;
    if not found then
        -- also for keys of other organisations: their existence is not revealed
        raise exception using errcode = 'LU020', message = 'API key not found',
            detail = format('api_key_id=%s', revoke_api_key.api_key_id);
    end if;
    return revoked;
end;
$$;

comment on function private.revoke_api_key(uuid) is 'Revokes an API key for good (api_keys.manage); idempotent.';

revoke execute on function private.revoke_api_key(uuid) from public, anon;
grant execute on function private.revoke_api_key(uuid) to authenticated;

-- the RPC: POST /rpc/revoke_api_key
create or replace function public.revoke_api_key(api_key_id uuid)
returns public.api_keys
language sql
security invoker
set search_path = ''
as $$
    select * from private.revoke_api_key(revoke_api_key.api_key_id)
$$;

comment on function public.revoke_api_key(uuid) is
'Revokes an API key for good (api_keys.manage). LU020 when the key is not visible to the caller.';

revoke execute on function public.revoke_api_key(uuid) from public, anon;
grant execute on function public.revoke_api_key(uuid) to authenticated;

-- == check_api_key: part of the PostgREST db-pre-request ========================================

create or replace function private.check_api_key()
returns void
language plpgsql
-- definer: reads key hashes and writes usage counters, which no API role can reach
security definer
set search_path = ''
as $$
declare
    secret text := nullif(current_setting('request.headers', true), '')::jsonb ->> 'x-api-key';
    key public.api_keys;
    this_hour timestamptz := date_trunc('hour', pg_catalog.now());
    calls integer;
    allowed integer;
begin
    if secret is null then
        return;
    end if;
    select k.* into key
    from private.api_key_hashes as h
    inner join public.api_keys as k on k.id = h.api_key_id
    where h.key_hash = private.hash_token(secret);
    if not found then
        raise exception using errcode = 'PT401', message = 'invalid API key',
            hint = 'Check the x-api-key header; keys are shown once, at creation.';
    elsif key.revoked_at is not null then
        raise exception using errcode = 'PT401', message = 'API key revoked',
            detail = format('key %s... was revoked at %s', key.key_prefix, key.revoked_at);
    elsif key.expires_at <= pg_catalog.now() then
        raise exception using errcode = 'PT401', message = 'API key expired',
            detail = format('key %s... expired at %s', key.key_prefix, key.expires_at);
    end if;

    if current_setting('transaction_read_only') = 'on' then
        -- GET and HEAD run read-only: check the counter, and leave the counting to the worker
        select u.calls into calls from private.api_key_usage as u where u.api_key_id = key.id and u.hour = this_hour;
        calls := coalesce(calls, 0) + 1;
        perform pg_catalog.pg_notify('luneo_api_key_usage', key.id::text);
    else
        insert into private.api_key_usage as u (api_key_id, hour, calls) values (key.id, this_hour, 1)
        on conflict (api_key_id, hour) do update set calls = u.calls + 1
        returning u.calls into calls;
        -- at most one write a minute per key on the key row itself
        update public.api_keys as k set last_used_at = pg_catalog.now()
        where k.id = key.id and (k.last_used_at is null or k.last_used_at < pg_catalog.now() - interval '1 minute');
    end if;
    -- the key's own limit, within the plan's
    select least(key.rate_limit, p.api_calls_per_hour) into allowed
    from public.organizations as o inner join public.plans as p on p.id = o.plan
    where o.id = key.organization_id;
    if calls > coalesce(allowed, key.rate_limit) then
        raise exception using errcode = 'PT429', message = 'API key rate limit exceeded',
            detail = format('%s calls per hour allowed', coalesce(allowed, key.rate_limit)),
            hint = format('Retry after %s.', this_hour + interval '1 hour');
    end if;

    perform set_config('luneo.api_key_id', key.id::text, true);
    perform set_config('luneo.organization_id', key.organization_id::text, true);
    perform set_config('luneo.api_key_scopes', array_to_string(key.scopes, ','), true);
end;
$$;

comment on function private.check_api_key() is
'Part of the PostgREST db-pre-request (private.check_request): with an x-api-key header, answers '
'401 (unknown, revoked, expired key) or 429 (over rate_limit this hour, or the plan''s api_calls_per_hour if '
'lower), counts the call, and '
'exposes the key as luneo.api_key_id, luneo.organization_id and luneo.api_key_scopes. Read-only '
'requests notify luneo_api_key_usage instead of writing.';

revoke execute on function private.check_api_key() from public;
grant execute on function private.check_api_key() to anon, authenticated, service_role;

-- == record_api_key_usage (maintenance) ==========================================================

create or replace function private.record_api_key_usage(api_key_id uuid, calls integer default 1)
returns void
language sql
-- definer: maintenance, run by the worker that listens to luneo_api_key_usage
security definer
set search_path = ''
as $$
    with counted as (
        insert into private.api_key_usage as u (api_key_id, hour, calls)
        values (record_api_key_usage.api_key_id, date_trunc('hour', pg_catalog.now()), record_api_key_usage.calls)
        on conflict (api_key_id, hour) do update set calls = u.calls + excluded.calls
        returning u.api_key_id
    )
    update public.api_keys as k set last_used_at = pg_catalog.now()
    from counted where k.id = counted.api_key_id
$$;

comment on function private.record_api_key_usage(uuid, integer) is
'Counts calls made in read-only requests (announced on channel luneo_api_key_usage) and sets last_used_at.';

revoke execute on function private.record_api_key_usage(uuid, integer) from public, anon, authenticated;
grant execute on function private.record_api_key_usage(uuid, integer) to service_role;

-- == tg_emit_api_key_events: api_key.created, api_key.revoked ===================================

create or replace function private.tg_emit_api_key_events()
returns trigger
language plpgsql
-- definer: writes the event outbox
security definer
set search_path = ''
as $$
begin
    -- the row holds the key's prefix only; the key itself is hashed in private.api_key_hashes
    perform private.emit_event(
        case when tg_op = 'INSERT' then 'api_key.created' else 'api_key.revoked' end,
        new.organization_id,
        jsonb_build_object('api_key', to_jsonb(new))
    );
    return null;
end;
$$;

comment on function private.tg_emit_api_key_events() is
'Trigger function (after insert, after revocation): api_key.created, api_key.revoked (docs/events.md).';

revoke execute on function private.tg_emit_api_key_events() from public, anon, authenticated;

-- == triggers on public.api_keys =================================================================

create or replace trigger _100_set_updated_at before update on public.api_keys
for each row execute function private.tg_set_updated_at();

create or replace trigger _500_audit after insert or update or delete on public.api_keys
for each row execute function private.tg_audit();

create or replace trigger _900_emit_created after insert on public.api_keys
for each row execute function private.tg_emit_api_key_events();

create or replace trigger _900_emit_revoked after update of revoked_at on public.api_keys
for each row when (old.revoked_at is null and new.revoked_at is not null)
execute function private.tg_emit_api_key_events();
