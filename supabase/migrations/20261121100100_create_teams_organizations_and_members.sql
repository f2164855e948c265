-- create organizations and teams
--
-- Purpose: tenancy. Organisations (the brands), their members with a role and status, custom
--          roles carrying a permission set, the permission catalogue the policies check, and
--          invitations whose tokens are stored only as SHA-256 hashes (in private).
-- Touches: types public.team_role, public.member_status, public.invitation_status;
--          tables public.organizations, public.team_roles, public.team_members, public.invitations,
--          private.permissions, private.role_permissions, private.invitation_tokens.
-- Destructive: no.

-- =============================================================================================
-- types
-- =============================================================================================

-- declared from least to most powerful, so `role >= 'admin'` reads as "admin or above"
create type public.team_role as enum ('viewer', 'designer', 'manager', 'admin', 'owner');

comment on type public.team_role is
'Built-in member roles, ordered: viewer < designer < manager < admin < owner.';

create type public.member_status as enum ('pending', 'active', 'suspended');

comment on type public.member_status is
'Only active members get their role''s permissions; pending and suspended members get none.';

create type public.invitation_status as enum ('pending', 'accepted', 'declined', 'revoked', 'expired');

comment on type public.invitation_status is 'Lifecycle of an invitation; only pending ones can be accepted.';

-- =============================================================================================
-- permissions
-- =============================================================================================

create table private.permissions (
    name text primary key check (name ~ '^[a-z_]+\.[a-z_]+$'),
    description text not null,
    requires_mfa boolean not null default false,
    owner_only boolean not null default false
);

comment on table private.permissions is
'Catalogue of permissions checked by private.has_permission(). requires_mfa: refused without aal2 '
'when the organisation sets require_mfa. owner_only: never grantable through a custom role.';

insert into private.permissions (name, description, requires_mfa, owner_only) values
('organization.read', 'See the organisation and its settings', false, false),
('organization.update', 'Rename the organisation, change its slug, branding and MFA rule', false, false),
('organization.delete', 'Delete the organisation and everything in it', true, true),
('ownership.transfer', 'Hand ownership to an admin', true, true),
('members.read', 'List members, their roles and custom roles', true, false),
('members.manage', 'Change roles and statuses, remove members', true, false),
('roles.manage', 'Create, edit and delete custom roles', true, false),
('invitations.manage', 'Invite, revoke and resend invitations', true, false),
('api_keys.read', 'List API keys (never their secret)', true, false),
('api_keys.manage', 'Create, edit and revoke API keys', true, false),
('billing.read', 'See invoices', true, false),
('audit.read', 'Read the audit log', false, false),
('orders.read', 'See orders', false, false),
('orders.manage', 'Change orders', false, false),
('designs.write', 'Create and edit designs and templates', false, false);

create table private.role_permissions (
    role public.team_role not null,
    permission text not null references private.permissions (name) on delete cascade,
    primary key (role, permission)
);

create index role_permissions_permission_idx on private.role_permissions (permission);

comment on table private.role_permissions is 'Permissions each built-in role carries.';

insert into private.role_permissions (role, permission)
select
    r.role::public.team_role,
    p.permission
from (
    values
    ('viewer', array['organization.read', 'members.read', 'orders.read']),
    ('designer', array['organization.read', 'members.read', 'orders.read', 'designs.write']),
    (
        'manager',
        array['organization.read', 'members.read', 'orders.read', 'designs.write', 'orders.manage', 'api_keys.read']
    ),
    (
        'admin',
        array[
            'organization.read', 'members.read', 'orders.read', 'designs.write', 'orders.manage',
            'api_keys.read', 'organization.update', 'members.manage', 'roles.manage',
            'invitations.manage', 'api_keys.manage', 'billing.read', 'audit.read'
        ]
    )
) as r (role, permissions)
cross join lateral unnest(r.permissions) as p (permission);

-- the owner holds every permission
insert into private.role_permissions (role, permission)
select
    'owner' as role,
    name as permission
from private.permissions;

-- =============================================================================================
-- organizations
-- =============================================================================================

create table public.organizations (
    id uuid primary key default gen_random_uuid(),
    name text not null check (char_length(btrim(name)) between 1 and 120),
    slug text not null unique check (slug ~ '^[a-z0-9](-?[a-z0-9])*$' and char_length(slug) between 3 and 48),
    plan text not null default 'free' check (plan in ('free', 'starter', 'pro', 'enterprise')),
    seat_limit integer not null default 5 check (seat_limit > 0),
    branding jsonb not null default '{}' check (jsonb_typeof(branding) = 'object'),
    require_mfa boolean not null default false,
    created_by uuid references auth.users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.organizations is
'Tenants (brands). Created with create_organization(), which makes the caller owner. plan and '
'seat_limit are set by billing (service role); admins edit name, slug, branding and require_mfa.';
comment on column public.organizations.seat_limit is
'Maximum members counted as seats (pending and active); enforced when invitations are created and accepted.';
comment on column public.organizations.branding is
'White-label settings for the storefront: logo_url, colours, custom domain...';
comment on column public.organizations.require_mfa is
'When true, members need an aal2 session (Supabase Auth MFA) for members, API keys and billing.';

create index organizations_created_by_idx on public.organizations (created_by);

-- =============================================================================================
-- custom roles
-- =============================================================================================

create table public.team_roles (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    name text not null check (char_length(btrim(name)) between 1 and 60),
    description text check (char_length(description) <= 500),
    permissions text[] not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (organization_id, name),
    -- target of team_members' composite foreign key: a custom role belongs to the member's organisation
    unique (organization_id, id)
);

comment on table public.team_roles is
'Custom roles of an organisation: extra permissions granted on top of a member''s built-in role. '
'Only catalogued, non-owner permissions are accepted (checked by trigger).';

-- =============================================================================================
-- members
-- =============================================================================================

create table public.team_members (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    user_id uuid not null references auth.users (id) on delete cascade,
    role public.team_role not null default 'viewer',
    custom_role_id uuid,
    status public.member_status not null default 'active',
    invited_by uuid references auth.users (id) on delete set null,
    joined_at timestamptz not null default now(),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (organization_id, user_id),
    foreign key (organization_id, custom_role_id) references public.team_roles (organization_id, id)
    on delete set null (custom_role_id)
);

comment on table public.team_members is
'Who belongs to which organisation, with which role and status. An organisation always keeps an '
'active owner; only owners change owner rows (trigger).';

-- (organization_id, user_id) is covered by the unique constraint; these serve the other lookups
create index team_members_user_id_idx on public.team_members (user_id, organization_id) where status = 'active';
create index team_members_user_id_all_idx on public.team_members (user_id);
create index team_members_custom_role_idx on public.team_members (organization_id, custom_role_id);
create index team_members_invited_by_idx on public.team_members (invited_by);

-- =============================================================================================
-- invitations
-- =============================================================================================

create table public.invitations (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    email text not null check (email = lower(btrim(email)) and email ~ '^[^@\s]+@[^@\s]+$'),
    role public.team_role not null default 'viewer' check (role <> 'owner'),
    custom_role_id uuid,
    status public.invitation_status not null default 'pending',
    invited_by uuid references auth.users (id) on delete set null,
    expires_at timestamptz not null default now() + interval '7 days',
    accepted_by uuid references auth.users (id) on delete set null,
    responded_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    foreign key (organization_id, custom_role_id) references public.team_roles (organization_id, id)
    on delete set null (custom_role_id)
);

comment on table public.invitations is
'Invitations to join an organisation. The token is returned once by create_invitation() or '
'resend_invitation() and kept only as a SHA-256 hash in private.invitation_tokens.';

-- one live invitation per address and organisation
create unique index invitations_pending_email_key on public.invitations (organization_id, email)
where status = 'pending';
create index invitations_email_idx on public.invitations (email);
create index invitations_expires_at_idx on public.invitations (expires_at) where status = 'pending';
create index invitations_custom_role_idx on public.invitations (organization_id, custom_role_id);
create index invitations_invited_by_idx on public.invitations (invited_by);
create index invitations_accepted_by_idx on public.invitations (accepted_by);

create table private.invitation_tokens (
    invitation_id uuid primary key references public.invitations (id) on delete cascade,
    token_hash bytea not null unique check (octet_length(token_hash) = 32)
);

comment on table private.invitation_tokens is
'SHA-256 of each invitation''s current token. Never exposed: the API roles have no privilege here.';

-- =============================================================================================
-- privileges and RLS
-- =============================================================================================

alter table public.organizations enable row level security;
alter table public.team_roles enable row level security;
alter table public.team_members enable row level security;
alter table public.invitations enable row level security;

revoke all on public.organizations, public.team_roles, public.team_members, public.invitations
from anon, authenticated;

-- rows are created by RPCs (create_organization, accept_invitation, create_invitation)
grant select, delete on public.organizations to authenticated;
grant update (name, slug, branding, require_mfa) on public.organizations to authenticated;
grant select, insert, delete on public.team_roles to authenticated;
grant update (name, description, permissions) on public.team_roles to authenticated;
grant select, delete on public.team_members to authenticated;
grant update (role, custom_role_id, status) on public.team_members to authenticated;
grant select on public.invitations to authenticated;
grant all on public.organizations, public.team_roles, public.team_members, public.invitations to service_role;

revoke all on private.permissions, private.role_permissions, private.invitation_tokens
from public, anon, authenticated, service_role;
