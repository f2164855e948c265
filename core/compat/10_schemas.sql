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
--                       into it when the server ships them (nothing of Luneo depends on them)
--   functions           where the server lacks them (the embedded server), the two functions of
--                       theirs that Supabase projects call most, on core functions:
--                       extensions.gen_random_bytes(integer) and extensions.uuid_generate_v4()
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

-- gen_random_uuid() draws from pg_strong_random(), as pgcrypto's gen_random_bytes() does; a
-- version 4 uuid has 122 random bits: bytes 0-5, 7 and 9-15 are wholly random.
do $fallbacks$
begin
    if not exists (select from pg_catalog.pg_extension where extname = 'pgcrypto') then
        create function extensions.gen_random_bytes(count integer)
        returns bytea
        language plpgsql
        volatile strict parallel safe
        set search_path = ''
        as $function$
        declare
            bytes bytea := ''::bytea;
            uuid_bytes bytea;
        begin
            if count < 1 or count > 1024 then
                raise exception 'Length not in range' using errcode = 'external_routine_invocation_exception';
            end if;
            while pg_catalog.length(bytes) < count loop
                uuid_bytes := pg_catalog.uuid_send(pg_catalog.gen_random_uuid());
                bytes := bytes
                || pg_catalog.substr(uuid_bytes, 1, 6)
                || pg_catalog.substr(uuid_bytes, 8, 1)
                || pg_catalog.substr(uuid_bytes, 10, 7);
            end loop;
            return pg_catalog.substr(bytes, 1, count);
        end
        $function$;
        comment on function extensions.gen_random_bytes(integer) is
        'luneo compat stand-in for pgcrypto''s gen_random_bytes(), which this server does not ship';
    end if;
    if not exists (select from pg_catalog.pg_extension where extname = 'uuid-ossp') then
        create function extensions.uuid_generate_v4()
        returns uuid
        language sql
        volatile parallel safe
        set search_path = ''
        as $function$ select pg_catalog.gen_random_uuid() $function$;
        comment on function extensions.uuid_generate_v4() is
        'luneo compat stand-in for uuid-ossp''s uuid_generate_v4(), which this server does not ship';
    end if;
end
$fallbacks$;

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
