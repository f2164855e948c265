-- Sessions: revoking one (deleting a public.user_sessions row), the db-pre-request session check,
-- the pruning of revocations, and the triggers on public.user_sessions.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Deleting a user_sessions row (the user's "sign out this device", or the service role) deletes
-- the Supabase Auth session behind it, auth.sessions (id = session_id, same user): its refresh
-- tokens go with it (auth.refresh_tokens.session_id, on delete cascade), so the device cannot get
-- new access tokens. The access tokens it already holds stay valid until they expire, so the
-- session id is recorded in private.revoked_sessions and private.check_session(), run by the
-- pre-request entry point private.check_request(), refuses them at once. heartbeat() refuses
-- them too, so a revoked session is never recorded again.
-- Errors (docs/errors.md): PT401 session revoked (pre-request and heartbeat).

-- == check_session: part of the PostgREST db-pre-request =========================================

create or replace function private.check_session()
returns void
language plpgsql
stable
-- definer: reads private.revoked_sessions, which no API role can reach
security definer
set search_path = ''
as $$
declare
    claims jsonb := (select auth.jwt());
    session text := claims ->> 'session_id';
    revoked_at timestamptz;
begin
    -- anon, service_role and API-key requests carry no session; a malformed id matches none
    if session is null or session !~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' then
        return;
    end if;
    select r.revoked_at into revoked_at
    from private.revoked_sessions as r
    where r.session_id = session::uuid and r.user_id::text = claims ->> 'sub';
    if found then
        raise exception using errcode = 'PT401', message = 'session revoked',
            detail = format('session %s was signed out at %s', session, revoked_at),
            hint = 'Sign in again.';
    end if;
end;
$$;

comment on function private.check_session() is
'Part of the PostgREST db-pre-request (private.check_request): answers 401 (PT401) to a request '
'whose JWT session_id was revoked by deleting its public.user_sessions row.';

revoke execute on function private.check_session() from public;
grant execute on function private.check_session() to anon, authenticated, service_role;

-- == tg_revoke_session ===========================================================================

create or replace function private.tg_revoke_session()
returns trigger
language plpgsql
-- definer: writes private.revoked_sessions and deletes from auth.sessions, which no API role can reach
security definer
set search_path = ''
as $$
begin
    insert into private.revoked_sessions (session_id, user_id)
    values (old.session_id, old.user_id)
    on conflict (session_id) do nothing;
    -- on Supabase, auth.refresh_tokens.session_id cascades: the refresh tokens die with it
    delete from auth.sessions as s where s.id = old.session_id and s.user_id = old.user_id;
    return null;
end;
$$;

comment on function private.tg_revoke_session() is
'Trigger function (after delete on public.user_sessions, per row): deletes the Supabase Auth '
'session and its refresh tokens, and records the revocation for private.check_session().';

revoke execute on function private.tg_revoke_session() from public, anon, authenticated;

-- == prune_revoked_sessions (maintenance) ========================================================

create or replace function private.prune_revoked_sessions(keep interval default interval '7 days')
returns integer
language sql
-- definer: maintenance, run by the worker or the service role
security definer
set search_path = ''
as $$
    with pruned as (
        delete from private.revoked_sessions as r
        where r.revoked_at < pg_catalog.now() - prune_revoked_sessions.keep
        returning 1
    )
    select count(*)::integer from pruned
$$;

comment on function private.prune_revoked_sessions(interval) is
'Maintenance: forgets revocations older than keep (default 7 days, the longest access-token '
'lifetime Supabase Auth allows: no token of the session can still be valid); returns how many.';

revoke execute on function private.prune_revoked_sessions(interval) from public, anon, authenticated;
grant execute on function private.prune_revoked_sessions(interval) to service_role;

-- == triggers on public.user_sessions ============================================================

create or replace trigger _100_revoke_session after delete on public.user_sessions
for each row execute function private.tg_revoke_session();
