-- create profiles
--
-- Purpose: one profile per auth user (name, avatar, locale, timezone, company, onboarding),
--          with presence (status, last activity) and the GDPR erasure request flag.
--          Rows are created by a trigger on auth.users (supabase/functions/private/tg_create_profile.sql).
-- Touches: type public.presence_status, table public.profiles.
-- Destructive: no.

create type public.presence_status as enum ('online', 'away', 'busy', 'offline');

comment on type public.presence_status is
'Presence shown to teammates: online, away, busy (manual statuses) or offline.';

create table public.profiles (
    id uuid primary key references auth.users (id) on delete cascade,
    full_name text check (char_length(full_name) <= 200),
    avatar_url text check (char_length(avatar_url) <= 2048),
    locale text not null default 'en' check (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    timezone text not null default 'UTC' check (char_length(timezone) <= 64),
    company text check (char_length(company) <= 200),
    onboarding_completed boolean not null default false,
    onboarding_state jsonb not null default '{}' check (jsonb_typeof(onboarding_state) = 'object'),
    status public.presence_status not null default 'offline',
    is_manual_status boolean not null default false,
    last_activity_at timestamptz,
    status_updated_at timestamptz,
    erasure_requested_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.profiles is
'One row per auth user, created by trigger at sign-up. Users read and update their own row; '
'teammates see name, avatar and presence through the member_profiles view.';
comment on column public.profiles.is_manual_status is
'True when the user chose the status (away, busy): heartbeats then keep it.';
comment on column public.profiles.erasure_requested_at is
'Set by request_account_erasure(); erase_account() (service role) acts on it.';

-- the presence sweep looks for users still shown online whose last activity is old
create index profiles_last_activity_at_idx on public.profiles (last_activity_at)
where status <> 'offline';

alter table public.profiles enable row level security;

-- Supabase's default privileges grant everything to the API roles: narrow them to what the API offers
revoke all on public.profiles from anon, authenticated;
grant select on public.profiles to authenticated;
grant update (
    full_name, avatar_url, locale, timezone, company, onboarding_completed, onboarding_state
) on public.profiles to authenticated;
grant all on public.profiles to service_role;
