-- API keys (RPC, POST /rpc/<name>).
-- Thin security-invoker wrappers: the logic and the reasons for security definer live in
-- supabase/functions/private/api_keys.sql. Repeatable: re-applied by `luneo db apply` when changed.

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
