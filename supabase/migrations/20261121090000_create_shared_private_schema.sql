-- create private schema
--
-- Purpose: the never-exposed schema for RLS helpers, trigger functions and internal tables
--          (DESIGN.md section 4). PostgREST exposes `public` only; `private` is reachable by
--          the API roles solely through functions that policies call.
-- Touches: schema private.
-- Destructive: no.

create schema private;

comment on schema private is
'Luneo internals: RLS helpers, trigger functions, outboxes. Never exposed through PostgREST.';

revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;
