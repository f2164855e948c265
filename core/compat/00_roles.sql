-- Luneo compat stand-in, part 1 of 6: cluster-wide roles.
--
-- Purpose: give a plain PostgreSQL cluster the roles a Supabase project has, with the same
-- attributes, memberships and role-level settings, so that migrations written for Supabase
-- (grants, policies `to authenticated`, `set role`, auth hooks granted to supabase_auth_admin)
-- apply unchanged.
--
-- Objects touched (all cluster-wide, hence every step is guarded and safe to repeat, also
-- when another database of the same cluster installs the stand-in at the same time):
--   roles     anon, authenticated        nologin, inherit (as Supabase since 2023-05)
--             service_role               nologin, inherit, bypassrls
--             authenticator              login, noinherit, member of the three roles above
--             supabase_auth_admin        login, noinherit: owner of the auth schema objects
--             supabase_storage_admin     login, noinherit: owner of the storage schema objects
--   settings  anon statement_timeout 3s, authenticated statement_timeout 8s,
--             authenticator statement_timeout 8s and lock_timeout 8s,
--             supabase_auth_admin search_path auth and idle_in_transaction_session_timeout 60s,
--             supabase_storage_admin search_path storage.
-- None of the login roles gets a password: they cannot log in where passwords are required.
-- supabase_admin (a superuser on Supabase) is deliberately not created.

do $roles$
declare
    wanted record;
begin
    for wanted in
        select
            r.role_name,
            r.can_login,
            r.inherits,
            r.bypasses_rls
        from (
            values
            ('anon', false, true, false),
            ('authenticated', false, true, false),
            ('service_role', false, true, true),
            ('authenticator', true, false, false),
            ('supabase_auth_admin', true, false, false),
            ('supabase_storage_admin', true, false, false)
        ) as r (role_name, can_login, inherits, bypasses_rls)
    loop
        if not exists (select from pg_catalog.pg_roles where rolname = wanted.role_name) then
            begin
                execute format('create role %I', wanted.role_name);
            exception
                -- another session of the cluster created it first
                when duplicate_object or unique_violation then null;
            end;
        end if;
        -- converge the attributes, writing only when they differ
        if exists (
            select from pg_catalog.pg_roles
            where
                rolname = wanted.role_name
                and (
                    rolcanlogin is distinct from wanted.can_login
                    or rolinherit is distinct from wanted.inherits
                    or rolbypassrls is distinct from wanted.bypasses_rls
                    or rolsuper
                    or rolcreaterole
                    or rolcreatedb
                    or rolreplication
                )
        ) then
            execute format(
                'alter role %I %s %s %s nosuperuser nocreaterole nocreatedb noreplication',
                wanted.role_name,
                case when wanted.can_login then 'login' else 'nologin' end,
                case when wanted.inherits then 'inherit' else 'noinherit' end,
                case when wanted.bypasses_rls then 'bypassrls' else 'nobypassrls' end
            );
        end if;
    end loop;
end
$roles$;

-- PostgREST logs in as authenticator and switches to the role named in the JWT.
do $memberships$
declare
    api_role text;
begin
    foreach api_role in array array['anon', 'authenticated', 'service_role'] loop
        if not exists (
            select from pg_catalog.pg_auth_members as m
            inner join pg_catalog.pg_roles as granted on m.roleid = granted.oid
            inner join pg_catalog.pg_roles as member on m.member = member.oid
            where granted.rolname = api_role and member.rolname = 'authenticator'
        ) then
            begin
                execute format('grant %I to authenticator', api_role);
            exception
                when duplicate_object or unique_violation then null;
            end;
        end if;
    end loop;
end
$memberships$;

-- Role-level settings as Supabase sets them; written only when missing.
do $settings$
declare
    wanted record;
begin
    for wanted in
        select
            s.role_name,
            s.setting_name,
            s.setting_value
        from (
            values
            ('anon', 'statement_timeout', '3s'),
            ('authenticated', 'statement_timeout', '8s'),
            ('authenticator', 'statement_timeout', '8s'),
            ('authenticator', 'lock_timeout', '8s'),
            ('supabase_auth_admin', 'search_path', 'auth'),
            ('supabase_auth_admin', 'idle_in_transaction_session_timeout', '60000'),
            ('supabase_storage_admin', 'search_path', 'storage')
        ) as s (role_name, setting_name, setting_value)
    loop
        if not exists (
            select from pg_catalog.pg_db_role_setting as drs
            inner join pg_catalog.pg_roles as r on drs.setrole = r.oid
            where
                drs.setdatabase = 0
                and r.rolname = wanted.role_name
                and wanted.setting_name || '=' || wanted.setting_value = any(drs.setconfig)
        ) then
            execute format(
                'alter role %I set %s = %L', wanted.role_name, wanted.setting_name, wanted.setting_value
            );
        end if;
    end loop;
end
$settings$;
