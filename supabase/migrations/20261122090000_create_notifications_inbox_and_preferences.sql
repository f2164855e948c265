-- create notifications inbox and preferences
--
-- Purpose: in-app notifications and what each user wants to receive. public.notification_types
--          is the catalogue (read-only through the API): one row per kind, the channels it is
--          delivered on and their defaults, and whether its email is transactional (cannot be
--          turned off). public.notifications holds each user's notifications, written by SQL
--          from events (supabase/functions/notifications/), read and marked read by their user
--          only, and published to Supabase Realtime (RLS makes realtime deliver each row to its
--          user only). private.notification_counts keeps each user's unread count, maintained
--          by statement triggers, so the count costs one row read however many notifications
--          there are. public.notification_preferences holds a user's choices per kind and
--          channel; a missing row means the catalogue's default.
-- Touches: tables public.notification_types, public.notifications, public.notification_preferences,
--          private.notification_counts; publication supabase_realtime (adds public.notifications).
-- Destructive: no.

-- =============================================================================================
-- the catalogue
-- =============================================================================================

create table public.notification_types (
    name text primary key check (name ~ '^[a-z][a-z_]*\.[a-z][a-z_]*$' and char_length(name) <= 60),
    description text not null,
    audience text not null,
    in_app boolean not null,
    in_app_default boolean not null,
    email_template text check (email_template ~ '^[a-z][a-z_]*$'),
    email_default boolean not null,
    -- transactional: the email is sent whatever the preferences (an invitation, a receipt)
    email_required boolean not null default false,
    check (in_app or not in_app_default),
    check (email_template is not null or not (email_default or email_required)),
    check (not email_required or email_default)
);

comment on table public.notification_types is
'The notification catalogue: each kind, who receives it (audience), the channels it is delivered on '
'(in_app; email with email_template) and their defaults. email_required: a transactional email that '
'preferences cannot turn off. Read-only through the API (docs/api/notifications.md).';

insert into public.notification_types (
    name, description, audience, in_app, in_app_default, email_template, email_default, email_required
) values
(
    'member.invited', 'An invitation to join an organisation.', 'the invited address',
    false, false, 'invitation', true, true
),
(
    'member.joined', 'Someone joined the organisation.', 'members who manage members (members.manage)',
    true, true, null, false, false
),
(
    'member.removed', 'A member left or was removed.', 'members who manage members (members.manage)',
    true, true, null, false, false
),
(
    'member.role_changed', 'Your role in an organisation changed.', 'the member',
    true, true, null, false, false
),
(
    'order.created', 'An order was placed.', 'members who manage orders (orders.manage); the customer''s receipt',
    true, true, 'order_confirmation', true, true
),
(
    'order.paid', 'An order was paid.', 'members who manage orders (orders.manage)',
    true, true, null, false, false
),
(
    'order.shipped', 'An order was shipped.', 'the customer',
    false, false, 'order_shipped', true, true
),
(
    'order.cancelled', 'An order was cancelled.', 'members who manage orders (orders.manage)',
    true, true, null, false, false
),
(
    'order.refunded', 'An order was refunded.', 'members who manage orders (orders.manage)',
    true, true, null, false, false
),
(
    'product.low_stock', 'A product''s stock fell to its low-stock threshold.',
    'members who manage orders (orders.manage)',
    true, true, null, false, false
),
(
    'api_key.created', 'An API key was created.', 'members who manage API keys (api_keys.manage)',
    true, true, null, false, false
),
(
    'api_key.revoked', 'An API key was revoked.', 'members who manage API keys (api_keys.manage)',
    true, true, null, false, false
),
(
    'webhook_endpoint.disabled', 'A webhook endpoint was disabled after failing.',
    'members who manage webhooks (webhooks.manage)',
    true, true, 'webhook_endpoint_disabled', true, false
),
(
    'billing.payment_failed', 'A payment failed.', 'members who see billing (billing.read)',
    true, true, 'payment_failed', true, true
),
(
    'billing.trial_ending', 'The subscription''s trial ends soon.', 'members who see billing (billing.read)',
    true, true, 'subscription_trial_ending', true, false
),
(
    'account.welcome', 'Welcome, sent once at sign-up.', 'the new user',
    false, false, 'welcome', true, true
),
(
    'account.erased', 'The account and its personal data were erased.', 'the erased address',
    false, false, 'account_erasure_confirmation', true, true
);

alter table public.notification_types enable row level security;
revoke all on public.notification_types from public, anon, authenticated;
grant select on public.notification_types to authenticated;
grant all on public.notification_types to service_role;

-- =============================================================================================
-- notifications
-- =============================================================================================

create table public.notifications (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references auth.users (id) on delete cascade,
    organization_id uuid references public.organizations (id) on delete cascade,
    kind text not null references public.notification_types (name),
    -- the event it came from, if any: one notification per event and user (events are pruned
    -- sooner than notifications, so no foreign key)
    event_id uuid,
    type text not null default 'info' check (type in ('info', 'success', 'warning', 'error')),
    title text not null check (char_length(title) between 1 and 200),
    message text not null check (char_length(message) <= 2000),
    action_url text check (char_length(action_url) <= 2048 and action_url ~ '^(/|https://)'),
    action_label text check (char_length(action_label) <= 80),
    data jsonb not null default '{}' check (jsonb_typeof(data) = 'object' and pg_column_size(data) <= 8192),
    read_at timestamptz,
    created_at timestamptz not null default now()
);

comment on table public.notifications is
'In-app notifications, one row per user. Created by SQL from events (never by API callers); each '
'user reads their own and marks them read (mark_notification_read, mark_all_notifications_read) or '
'deletes them. unread_notification_count() is O(1). Published to Supabase Realtime.';
comment on column public.notifications.kind is 'The public.notification_types row it belongs to.';
comment on column public.notifications.type is 'Presentation level: info, success, warning or error.';

-- the user's listing, newest first (and the policy's column)
create index notifications_user_id_created_at_idx on public.notifications (user_id, created_at desc);
-- unread ones only, for "mark all read" and unread listings
create index notifications_user_id_unread_idx on public.notifications (user_id, created_at desc)
where read_at is null;
create unique index notifications_event_id_user_id_idx on public.notifications (event_id, user_id)
where event_id is not null;
create index notifications_organization_id_idx on public.notifications (organization_id);
create index notifications_kind_idx on public.notifications (kind);

alter table public.notifications enable row level security;
revoke all on public.notifications from public, anon, authenticated;
grant select, delete on public.notifications to authenticated;
-- read state only: everything else is written by SQL
grant update (read_at) on public.notifications to authenticated;
grant all on public.notifications to service_role;

create table private.notification_counts (
    user_id uuid primary key references auth.users (id) on delete cascade,
    unread integer not null default 0 check (unread >= 0)
);

comment on table private.notification_counts is
'Each user''s unread notification count, kept by statement triggers on public.notifications.';

revoke all on private.notification_counts from public, anon, authenticated;

-- =============================================================================================
-- preferences
-- =============================================================================================

create table public.notification_preferences (
    user_id uuid not null references auth.users (id) on delete cascade,
    kind text not null references public.notification_types (name) on delete cascade,
    channel text not null check (channel in ('in_app', 'email')),
    enabled boolean not null,
    updated_at timestamptz not null default now(),
    primary key (user_id, kind, channel)
);

comment on table public.notification_preferences is
'A user''s choice per notification kind and channel (in_app, email); no row means the catalogue''s '
'default. Each user writes their own; a transactional email cannot be turned off (LU301).';

create index notification_preferences_kind_idx on public.notification_preferences (kind);

alter table public.notification_preferences enable row level security;
revoke all on public.notification_preferences from public, anon, authenticated;
grant select, insert, delete on public.notification_preferences to authenticated;
grant update (enabled) on public.notification_preferences to authenticated;
grant all on public.notification_preferences to service_role;

-- =============================================================================================
-- realtime
-- =============================================================================================

-- Supabase creates the publication empty; a project may have made it FOR ALL TABLES, which
-- already publishes the table (and refuses an explicit add)
do $$
begin
    if exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime' and not puballtables) then
        alter publication supabase_realtime add table public.notifications;
    end if;
end;
$$;
