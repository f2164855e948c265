-- Luneo compat stand-in, part 6 of 6: API grants on public and extensions.
--
-- Purpose: the privileges Supabase gives the API roles, so that grants behave as on Supabase:
-- every table, view, sequence and function created in public by the migration role is fully
-- granted to anon, authenticated and service_role, and row level security is what protects
-- the data (a table without RLS in public is open to anon, exactly as on Supabase).
--
-- Objects touched (this database only):
--   schema public        usage to anon, authenticated, service_role
--   schema extensions    usage to anon, authenticated, service_role
--   default privileges   of the installing role (postgres on Supabase) in schema public: all on
--                        tables, sequences and functions to anon, authenticated, service_role
--   existing objects     the same grants on whatever public already holds

grant usage on schema public to anon, authenticated, service_role;
grant usage on schema extensions to anon, authenticated, service_role;

alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;

grant all on all tables in schema public to anon, authenticated, service_role;
grant all on all sequences in schema public to anon, authenticated, service_role;
grant all on all routines in schema public to anon, authenticated, service_role;
