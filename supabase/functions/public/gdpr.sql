-- GDPR (RPC). erase_account is for the service role only.
-- Thin security-invoker wrappers: the logic and the reasons for security definer live in
-- supabase/functions/private/gdpr.sql. Repeatable: re-applied by `luneo db apply` when changed.

create or replace function public.export_my_data()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
    select * from private.export_my_data()
$$;

comment on function public.export_my_data() is
'Everything held about the caller as one JSON document (GET or POST /rpc/export_my_data).';

revoke execute on function public.export_my_data() from public, anon;
grant execute on function public.export_my_data() to authenticated;

create or replace function public.request_account_erasure(cancel boolean default false)
returns timestamptz
language sql
security invoker
set search_path = ''
as $$
    select * from private.request_account_erasure(request_account_erasure.cancel)
$$;

comment on function public.request_account_erasure(boolean) is
'Asks for the caller''s account to be erased (cancel => true withdraws). Returns the request time or null.';

revoke execute on function public.request_account_erasure(boolean) from public, anon;
grant execute on function public.request_account_erasure(boolean) to authenticated;

create or replace function public.erase_account(user_id uuid)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
    select * from private.erase_account(erase_account.user_id)
$$;

comment on function public.erase_account(uuid) is
'Service role: erases a user who asked for it; keeps orders and invoices, anonymised. LU030, LU031.';

revoke execute on function public.erase_account(uuid) from public, anon, authenticated;
grant execute on function public.erase_account(uuid) to service_role;
