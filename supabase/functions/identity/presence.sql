-- Presence: heartbeat, manual status, and the sweep that marks idle users offline.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Each private function is followed by its public wrapper: a thin security-invoker `language sql`
-- function that PostgREST exposes (POST /rpc/<name>). The checks, and the reason the private
-- function is security definer, are in the private function.
-- Errors (docs/errors.md): PT401 heartbeat with a revoked session (sessions.sql).

-- == heartbeat ===================================================================================

create or replace function private.heartbeat(device_name text, device_type text)
returns public.profiles
language plpgsql
-- definer: presence columns and sessions are not writable by the caller directly
security definer
set search_path = ''
as $$
declare
    caller uuid := private.require_user();
    jwt_session uuid := nullif((select auth.jwt()) ->> 'session_id', '')::uuid;
    headers jsonb := nullif(current_setting('request.headers', true), '')::jsonb;
    profile public.profiles;
begin
    -- a revoked session (its user_sessions row deleted) is refused, never recorded again
    perform private.check_session();
    update public.profiles as p
    set
        last_activity_at = pg_catalog.now(),
        status = case when p.is_manual_status then p.status else 'online' end,
        status_updated_at = case
            when p.is_manual_status or p.status = 'online' then p.status_updated_at else pg_catalog.now()
        end
    where p.id = caller
    returning * into profile;

    if jwt_session is not null then
        insert into public.user_sessions as s (user_id, session_id, device_name, device_type, ip_address, user_agent)
        values (
            caller, jwt_session, heartbeat.device_name, heartbeat.device_type,
            private.request_ip(), left(headers ->> 'user-agent', 1000)
        )
        on conflict (user_id, session_id) do update set
            last_activity_at = pg_catalog.now(),
            ip_address = coalesce(excluded.ip_address, s.ip_address),
            user_agent = coalesce(excluded.user_agent, s.user_agent),
            device_name = coalesce(excluded.device_name, s.device_name),
            device_type = coalesce(excluded.device_type, s.device_type);
        -- again, now that a revocation committed meanwhile is visible: it rolls the row back
        perform private.check_session();
    end if;
    return profile;
end;
$$;

comment on function private.heartbeat(text, text) is
'Marks the caller active (online unless a manual status is set) and records the current session; '
'PT401 for a revoked session, which is not recorded again.';

revoke execute on function private.heartbeat(text, text) from public, anon;
grant execute on function private.heartbeat(text, text) to authenticated;

-- the RPC: POST /rpc/heartbeat
create or replace function public.heartbeat(device_name text default null, device_type text default null)
returns public.profiles
language sql
security invoker
set search_path = ''
as $$
    select * from private.heartbeat(heartbeat.device_name, heartbeat.device_type)
$$;

comment on function public.heartbeat(text, text) is
'Call every minute or so while the app is open: marks the caller online and records the session.';

revoke execute on function public.heartbeat(text, text) from public, anon;
grant execute on function public.heartbeat(text, text) to authenticated;

-- == set_status ==================================================================================

create or replace function private.set_status(status public.presence_status)
returns public.profiles
language plpgsql
-- definer: presence columns are not writable by the caller directly
security definer
set search_path = ''
as $$
declare
    profile public.profiles;
begin
    update public.profiles as p
    set
        status = coalesce(set_status.status, 'online'),
        is_manual_status = coalesce(set_status.status, 'online') <> 'online',
        status_updated_at = pg_catalog.now(),
        last_activity_at = pg_catalog.now()
    where p.id = private.require_user()
    returning * into profile;
    return profile;
end;
$$;

comment on function private.set_status(public.presence_status) is
'Sets a manual status (away, busy, offline), kept by heartbeats; online or null returns to automatic.';

revoke execute on function private.set_status(public.presence_status) from public, anon;
grant execute on function private.set_status(public.presence_status) to authenticated;

-- the RPC: POST /rpc/set_status
create or replace function public.set_status(status public.presence_status)
returns public.profiles
language sql
security invoker
set search_path = ''
as $$
    select * from private.set_status(set_status.status)
$$;

comment on function public.set_status(public.presence_status) is
'Sets a manual status (away, busy, offline) kept by heartbeats; online or null returns to automatic.';

revoke execute on function public.set_status(public.presence_status) from public, anon;
grant execute on function public.set_status(public.presence_status) to authenticated;

-- == mark_inactive_offline (maintenance) =========================================================

create or replace function private.mark_inactive_offline(idle interval default interval '5 minutes')
returns integer
language sql
-- definer: maintenance, run by the worker or the service role
security definer
set search_path = ''
as $$
    with swept as (
        update public.profiles as p
        set status = 'offline', is_manual_status = false, status_updated_at = pg_catalog.now()
        where
            p.status <> 'offline'
            and (p.last_activity_at is null or p.last_activity_at < pg_catalog.now() - mark_inactive_offline.idle)
        returning 1
    )
    select count(*)::integer from swept
$$;

comment on function private.mark_inactive_offline(interval) is
'Maintenance: marks offline everyone shown present whose last activity is older than idle; returns how many.';

revoke execute on function private.mark_inactive_offline(interval) from public, anon, authenticated;
grant execute on function private.mark_inactive_offline(interval) to service_role;
