-- Luneo compat stand-in, part 2 of 6: database-level schemas and settings.
--
-- Purpose: the schemas and settings every Supabase database has before any migration runs,
-- on a database that may have none of them (a fresh database, or one after `luneo db reset`
-- dropped every non-system schema, public included).
--
-- Objects touched (this database only):
--   schema public       recreated as initdb makes it (owner pg_database_owner, usage to public)
--                       when it is missing
--   schema extensions   where Supabase installs extensions; pgcrypto and "uuid-ossp" are installed
--                       into it when the server offers them: the real ones where the server ships
--                       them, Luneo's SQL implementations on the embedded server (nothing of
--                       Luneo depends on them)
--   database setting    search_path = "$user", public, extensions, the path a Supabase session
--                       sees (Supabase sets it on its roles; here it is set on the database so
--                       that other databases of the cluster are left alone)

do $public$
begin
    if not exists (select from pg_catalog.pg_namespace where nspname = 'public') then
        create schema public authorization pg_database_owner;
        grant usage on schema public to public;
        comment on schema public is 'standard public schema';
    end if;
end
$public$;

create schema if not exists extensions;

comment on schema extensions is
'luneo compat stand-in for the Supabase extensions schema: optional extensions live here';

do $extensions$
declare
    wanted text;
begin
    foreach wanted in array array['pgcrypto', 'uuid-ossp'] loop
        if exists (select from pg_catalog.pg_available_extensions where name = wanted) then
            execute format('create extension if not exists %I with schema extensions', wanted);
        end if;
    end loop;
end
$extensions$;

do $search_path$
begin
    if not exists (
        select from pg_catalog.pg_db_role_setting as drs
        inner join pg_catalog.pg_database as d on drs.setdatabase = d.oid
        where
            d.datname = current_database()
            and drs.setrole = 0
            and 'search_path="$user", public, extensions' = any(drs.setconfig)
    ) then
        execute format(
            'alter database %I set search_path = %s', current_database(), '"$user", public, extensions'
        );
    end if;
end
$search_path$;
