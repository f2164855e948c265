-- create identity session revocations
--
-- Purpose: signing a device out for good. Deleting a public.user_sessions row deletes the
--          Supabase Auth session behind it (its refresh tokens go with it) and records the
--          session id in private.revoked_sessions, so that the PostgREST db-pre-request check
--          refuses the access tokens still carrying it (PT401) and heartbeat() cannot bring the
--          row back; rows are pruned once no access token of the session can still be valid.
--          private.settings holds operator settings readable only by definer functions; its
--          first row, trusted_proxy_hops, tells private.request_ip() which x-forwarded-for
--          entry the trusted proxy added (docs/api/identity.md).
--          Last, PostgREST is pointed at the one pre-request entry point,
--          private.check_request() (sessions, then API keys), where the migration role may set
--          authenticator's settings; elsewhere a warning says to do it by hand.
-- Touches: tables private.revoked_sessions, private.settings (one row: trusted_proxy_hops = 1);
--          role setting pgrst.db_pre_request of authenticator in this database (only when unset or
--          still the former private.check_api_key); notify pgrst 'reload config'.
-- Destructive: no.

create table private.revoked_sessions (
    session_id uuid primary key,
    user_id uuid not null,
    revoked_at timestamptz not null default now()
);

comment on table private.revoked_sessions is
'Supabase Auth sessions signed out through public.user_sessions: their access tokens are refused '
'by private.check_session() until private.prune_revoked_sessions() forgets them.';

create index revoked_sessions_revoked_at_idx on private.revoked_sessions (revoked_at);

create table private.settings (
    name text primary key,
    value text not null,
    updated_at timestamptz not null default now(),
    constraint settings_known_name check (name in ('trusted_proxy_hops')),
    constraint settings_trusted_proxy_hops_is_small check (
        name <> 'trusted_proxy_hops' or value ~ '^[0-9]{1,2}$'
    )
);

comment on table private.settings is
'Operator settings (change them with SQL as the migration role). trusted_proxy_hops: which '
'x-forwarded-for entry, counted from the right, private.request_ip() takes as the client (0: none).';

insert into private.settings (name, value) values ('trusted_proxy_hops', '1');

revoke all on private.revoked_sessions, private.settings from public, anon, authenticated, service_role;

do $pre_request$
declare
    wanted constant text := 'private.check_request';
    configured text;
begin
    if to_regrole('authenticator') is null then
        raise warning 'role authenticator not found: PostgREST''s db-pre-request is not set'
            using hint = 'Set it to private.check_request (docs/api/api_keys.md).';
        return;
    end if;
    -- what PostgREST would use in this database: its own setting first, then the cluster's
    select substr(c.setting, length('pgrst.db_pre_request=') + 1) into configured
    from pg_catalog.pg_db_role_setting as s
    cross join lateral unnest(s.setconfig) as c (setting)
    where
        s.setrole = 'authenticator'::regrole
        and s.setdatabase in (0, (select d.oid from pg_catalog.pg_database as d where d.datname = current_database()))
        and c.setting like 'pgrst.db\_pre\_request=%'
    order by s.setdatabase desc
    limit 1;

    if configured = wanted then
        null;
    elsif configured is not null and configured <> 'private.check_api_key' then
        raise warning 'authenticator''s pgrst.db_pre_request is %, left as it is', configured
            using hint = 'Make that function call private.check_request() (docs/api/api_keys.md).';
    else
        begin
            -- this database only: other databases of the server have no private.check_request
            execute format(
                'alter role authenticator in database %I set pgrst.db_pre_request = %L', current_database(), wanted
            );
        exception
            when insufficient_privilege then
                raise warning 'not allowed to set authenticator''s pgrst.db_pre_request (%)', sqlerrm
                    using hint = 'Run as a role that may: alter role authenticator in database <this database> '
                    'set pgrst.db_pre_request = ''private.check_request'' (docs/api/api_keys.md).';
        end;
    end if;
    perform pg_catalog.pg_notify('pgrst', 'reload config');
end
$pre_request$;
