-- private.check_request(): the one PostgREST db-pre-request entry point.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- PostgREST runs it at the start of every request, after setting the role, the JWT claims and
-- the headers (configured on the authenticator role by migration 20261121120100:
-- `alter role authenticator in database <db> set pgrst.db_pre_request = 'private.check_request'`). It runs, in
-- order, the session check (identity: a signed-out session's tokens are refused) and the API
-- key check (api_keys). Both are plpgsql, so they may be defined later in path order.
-- Errors (docs/errors.md): PT401 (revoked session; invalid, revoked or expired API key), PT429.

-- == check_request: PostgREST db-pre-request =====================================================

create or replace function private.check_request()
returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
    perform private.check_session();
    perform private.check_api_key();
end;
$$;

comment on function private.check_request() is
'PostgREST db-pre-request: private.check_session() (401 for a revoked session), then '
'private.check_api_key() (401 or 429 for an x-api-key header).';

revoke execute on function private.check_request() from public;
grant execute on function private.check_request() to anon, authenticated, service_role;
