-- create sessions and api keys
--
-- Purpose: the devices a user is signed in on, and per-organisation API keys. Keys are returned
--          once by create_api_key() and kept only as a SHA-256 hash (private.api_key_hashes);
--          private.api_key_usage counts calls per key and hour for the rate limit.
-- Touches: tables public.user_sessions, public.api_keys, private.api_key_hashes, private.api_key_usage.
-- Destructive: no.

create table public.user_sessions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references auth.users (id) on delete cascade,
    session_id uuid not null,
    device_name text check (char_length(device_name) <= 200),
    device_type text check (device_type in ('desktop', 'mobile', 'tablet', 'other')),
    ip_address inet,
    user_agent text check (char_length(user_agent) <= 1000),
    last_activity_at timestamptz not null default now(),
    created_at timestamptz not null default now(),
    unique (user_id, session_id)
);

comment on table public.user_sessions is
'Devices a user is signed in on, one row per Supabase Auth session (the JWT session_id), kept '
'current by heartbeat(). Users read theirs and revoke one by deleting it.';

alter table public.user_sessions enable row level security;
revoke all on public.user_sessions from anon, authenticated;
grant select, delete on public.user_sessions to authenticated;
grant all on public.user_sessions to service_role;

create table public.api_keys (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    name text not null check (char_length(btrim(name)) between 1 and 100),
    key_prefix text not null check (key_prefix ~ '^luneo_[A-Za-z0-9_-]{8}$'),
    scopes text[] not null default '{read}',
    rate_limit integer not null default 1000 check (rate_limit > 0),
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz,
    created_by uuid references auth.users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (scopes <@ array['read', 'write', 'orders', 'products', 'designs', 'webhooks']::text[])
);

comment on table public.api_keys is
'Organisation API keys for server-to-server calls (header x-api-key). key_prefix is the first '
'characters of the key, for display; the key itself is only in private.api_key_hashes, hashed.';
comment on column public.api_keys.rate_limit is 'Calls allowed per clock hour; more get HTTP 429.';

create index api_keys_organization_id_idx on public.api_keys (organization_id);
create index api_keys_created_by_idx on public.api_keys (created_by);

alter table public.api_keys enable row level security;
revoke all on public.api_keys from anon, authenticated;
grant select, delete on public.api_keys to authenticated;
-- revoked_at only through revoke_api_key(): a revoked key can never be brought back
grant update (name, scopes, rate_limit, expires_at) on public.api_keys to authenticated;
grant all on public.api_keys to service_role;

create table private.api_key_hashes (
    api_key_id uuid primary key references public.api_keys (id) on delete cascade,
    key_hash bytea not null unique check (octet_length(key_hash) = 32)
);

comment on table private.api_key_hashes is
'SHA-256 of each API key. Never exposed: the API roles have no privilege here.';

create table private.api_key_usage (
    api_key_id uuid not null references public.api_keys (id) on delete cascade,
    hour timestamptz not null,
    calls integer not null default 0,
    primary key (api_key_id, hour)
);

comment on table private.api_key_usage is
'Calls per API key and clock hour: written by the pre-request check on write requests and by '
'private.record_api_key_usage() for read-only ones.';

revoke all on private.api_key_hashes, private.api_key_usage from public, anon, authenticated, service_role;
