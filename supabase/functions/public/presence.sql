-- Presence (RPC, POST /rpc/<name>).
-- Thin security-invoker wrappers: the logic and the reasons for security definer live in
-- supabase/functions/private/presence.sql. Repeatable: re-applied by `luneo db apply` when changed.

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
