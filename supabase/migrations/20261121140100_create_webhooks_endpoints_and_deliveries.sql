-- create webhooks endpoints and deliveries
--
-- Purpose: outgoing webhooks. An organisation registers endpoints (url, event filter with
--          wildcards, active flag); each has a signing secret (whsec_...), shown once by
--          create_webhook_endpoint() and rotate_webhook_secret(), kept in
--          private.webhook_endpoint_secrets, which no API role can read (the worker signs with
--          it: an HMAC key cannot be kept as a hash). Each event x matching endpoint makes one
--          delivery (stable id, the webhook-id header), claimed by `luneo worker run` with a
--          lease (next_attempt_at doubles as the lease's end: a worker killed mid-delivery leaves
--          a row that becomes due again); each attempt is a row of webhook_history.
--          webhooks.read (manager, admin, owner) sees endpoints, deliveries and attempts;
--          webhooks.manage (admin, owner) creates, edits, rotates, replays and tests.
-- Touches: permissions webhooks.read, webhooks.manage; type public.webhook_delivery_status;
--          tables public.webhook_endpoints (audited: private.audited_tables),
--          private.webhook_endpoint_secrets, public.webhook_deliveries, public.webhook_history.
-- Destructive: no.

insert into private.permissions (name, description, requires_mfa, owner_only) values
('webhooks.read', 'See webhook endpoints, their deliveries and attempts (never their secrets)', true, false),
('webhooks.manage', 'Create, edit, delete, rotate, test and replay webhook endpoints', true, false);

insert into private.role_permissions (role, permission) values
('manager', 'webhooks.read'),
('admin', 'webhooks.read'),
('admin', 'webhooks.manage'),
('owner', 'webhooks.read'),
('owner', 'webhooks.manage');

-- =============================================================================================
-- validation
-- =============================================================================================

create function private.check_webhook_url(value text)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    -- the shape only: which addresses a delivery may reach is decided when it is sent (the
    -- SSRF guard resolves the host then), since a name can point anywhere later
    perform private.check_text(check_webhook_url.value, 'url', 2048, 1);
    if check_webhook_url.value !~ '^https?://[^/?#@\s\\]+(/[^\s]*)?$' then
        raise exception using errcode = '22023',
            message = 'url: must be an http(s) URL without user name or password',
            hint = 'Deliveries go to https URLs only (docs/webhooks.md).';
    end if;
    return true;
end;
$$;

comment on function private.check_webhook_url(text) is
'Validation (check constraint on webhook_endpoints.url): an http or https URL of at most 2048 '
'characters, with no credentials (22023, 22001).';

revoke execute on function private.check_webhook_url(text) from public, anon;
grant execute on function private.check_webhook_url(text) to authenticated, service_role;

-- =============================================================================================
-- endpoints and their secrets
-- =============================================================================================

create table public.webhook_endpoints (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    url text not null constraint webhook_endpoints_url_check check (private.check_webhook_url(url)),
    description text constraint webhook_endpoints_description_check check (
        private.check_text(description, 'description', 500, 0, null, true)
    ),
    event_types text[] not null default '{*}' constraint webhook_endpoints_event_types_check check (
        private.check_text_array(
            event_types, 'event_types', 50, 60, '^(\*|[a-z][a-z_]*\.(\*|[a-z][a-z_]*))$'
        ) and cardinality(event_types) > 0
    ),
    active boolean not null default true,
    disabled_reason text check (disabled_reason in ('gone', 'failing', 'manual')),
    disabled_at timestamptz,
    failing_since timestamptz,
    created_by uuid references auth.users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.webhook_endpoints is
'Where an organisation''s events are delivered. event_types filters them: exact types, "order.*" '
'or "*". An endpoint answering 410, or failing for 5 days without a success, is disabled '
'(disabled_reason gone or failing); setting active back to true re-enables it.';
comment on column public.webhook_endpoints.failing_since is
'First failed attempt since the last success; null while it succeeds.';

create index webhook_endpoints_organization_id_idx on public.webhook_endpoints (organization_id);
create index webhook_endpoints_created_by_idx on public.webhook_endpoints (created_by);

alter table public.webhook_endpoints enable row level security;
revoke all on public.webhook_endpoints from anon, authenticated;
grant select, delete on public.webhook_endpoints to authenticated;
-- created only by create_webhook_endpoint(), which makes its secret
grant update (url, description, event_types, active) on public.webhook_endpoints to authenticated;
grant all on public.webhook_endpoints to service_role;

-- its audit entries (who pointed the organisation's events where) need webhooks.read
insert into private.audited_tables (table_name, read_permission) values ('webhook_endpoints', 'webhooks.read');

create table private.webhook_endpoint_secrets (
    id uuid primary key default gen_random_uuid(),
    endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
    secret text not null check (secret ~ '^whsec_[A-Za-z0-9+/]{32,88}={0,2}$'),
    created_at timestamptz not null default now(),
    expires_at timestamptz
);

comment on table private.webhook_endpoint_secrets is
'Signing secrets of the webhook endpoints: the current one (expires_at null) and, during a '
'rotation''s overlap window, the previous one; deliveries are signed with each. Never exposed.';

create index webhook_endpoint_secrets_endpoint_id_idx on private.webhook_endpoint_secrets (endpoint_id);
create unique index webhook_endpoint_secrets_current_key
on private.webhook_endpoint_secrets (endpoint_id) where expires_at is null;

revoke all on private.webhook_endpoint_secrets from public, anon, authenticated;

-- =============================================================================================
-- deliveries and attempts
-- =============================================================================================

create type public.webhook_delivery_status as enum ('pending', 'succeeded', 'dead');

comment on type public.webhook_delivery_status is
'pending: to be sent (or being sent: leased_by names the worker); succeeded: a 2xx came back; '
'dead: every attempt failed, or the endpoint was disabled (replay_webhook_delivery() sends it again).';

create table public.webhook_deliveries (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
    event_id uuid not null references private.events (id) on delete cascade,
    event_type text not null,
    status public.webhook_delivery_status not null default 'pending',
    attempts integer not null default 0 check (attempts >= 0),
    next_attempt_at timestamptz default now(),
    leased_by text,
    last_attempt_at timestamptz,
    last_status_code integer,
    last_error text,
    created_at timestamptz not null default now(),
    completed_at timestamptz,
    check ((status = 'pending') = (next_attempt_at is not null))
);

comment on table public.webhook_deliveries is
'One event sent to one endpoint: its id is the webhook-id header, the same on every attempt. '
'While pending, next_attempt_at is when it is due; a worker that claims it pushes next_attempt_at '
'to the end of its lease, so a delivery whose worker died becomes due again by itself.';

create index webhook_deliveries_due_idx on public.webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_organization_id_idx on public.webhook_deliveries (organization_id, created_at desc);
create index webhook_deliveries_endpoint_id_idx on public.webhook_deliveries (endpoint_id, created_at desc);
create index webhook_deliveries_event_id_idx on public.webhook_deliveries (event_id);
create index webhook_deliveries_completed_at_idx on public.webhook_deliveries (completed_at)
where status <> 'pending';

alter table public.webhook_deliveries enable row level security;
-- written only by the definer functions of supabase/functions/events and webhooks
revoke all on public.webhook_deliveries from anon, authenticated, service_role;
grant select on public.webhook_deliveries to authenticated, service_role;

create table public.webhook_history (
    id bigint generated always as identity primary key,
    delivery_id uuid not null references public.webhook_deliveries (id) on delete cascade,
    organization_id uuid not null references public.organizations (id) on delete cascade,
    endpoint_id uuid not null,
    attempt integer not null,
    status_code integer,
    response_body text check (octet_length(response_body) <= 20480),
    duration_ms integer,
    error text check (char_length(error) <= 1000),
    worker_id text,
    attempted_at timestamptz not null default now()
);

comment on table public.webhook_history is
'Every delivery attempt: the status code and the first 20 KB of the response body, or the error '
'(timeout, refused by the SSRF guard, ...), and how long it took.';

create index webhook_history_delivery_id_idx on public.webhook_history (delivery_id, attempt);
create index webhook_history_organization_id_idx on public.webhook_history (organization_id, attempted_at desc);

alter table public.webhook_history enable row level security;
-- written only by the definer functions of supabase/functions/events and webhooks
revoke all on public.webhook_history from anon, authenticated, service_role;
grant select on public.webhook_history to authenticated, service_role;
