-- Luneo compat stand-in, part 3 of 6: the auth schema (Supabase Auth / GoTrue).
--
-- Purpose: what app migrations use of Supabase Auth: the auth.users table (to reference, to
-- put triggers on, to read metadata from in security definer functions), auth.identities and
-- auth.sessions, and the request helpers auth.uid(), auth.role(), auth.email(), auth.jwt()
-- that read the JWT claims PostgREST puts in the request.jwt.claims setting.
--
-- Objects touched (this database only):
--   schema    auth (marked 'luneo compat stand-in ...' so tools can tell it from real Supabase)
--   type      auth.aal_level
--   tables    auth.users, auth.identities, auth.sessions, auth.refresh_tokens: the columns,
--             defaults, nullability, constraints and indexes of GoTrue's tables
--             (refresh_tokens.session_id references sessions on delete cascade: deleting a
--             session kills its refresh tokens); RLS enabled with no policy, owned by
--             supabase_auth_admin, no privilege for anon, authenticated or service_role
--   functions auth.uid(), auth.role(), auth.email(), auth.jwt(): Supabase's definitions
--             (stable sql, no `set` clause so the planner can inline them), executable by
--             every role as on Supabase
-- Nothing here writes users: on Supabase GoTrue does; tests insert rows themselves.

create schema if not exists auth;

comment on schema auth is 'luneo compat stand-in for Supabase auth';

grant usage on schema auth to anon, authenticated, service_role;
grant all on schema auth to supabase_auth_admin;

do $types$
begin
    if to_regtype('auth.aal_level') is null then
        create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');
    end if;
end
$types$;

comment on type auth.aal_level is 'Authenticator assurance level of a session (luneo compat stand-in).';

create table if not exists auth.users (
    instance_id uuid,
    id uuid not null,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    confirmation_token varchar(255),
    confirmation_sent_at timestamptz,
    recovery_token varchar(255),
    recovery_sent_at timestamptz,
    email_change_token_new varchar(255),
    email_change varchar(255),
    email_change_sent_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_super_admin boolean,
    created_at timestamptz,
    updated_at timestamptz,
    phone text default null,
    phone_confirmed_at timestamptz,
    phone_change text default '',
    phone_change_token varchar(255) default '',
    phone_change_sent_at timestamptz,
    confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
    email_change_token_current varchar(255) default '',
    email_change_confirm_status smallint default 0,
    banned_until timestamptz,
    reauthentication_token varchar(255) default '',
    reauthentication_sent_at timestamptz,
    is_sso_user boolean not null default false,
    deleted_at timestamptz,
    is_anonymous boolean not null default false,
    constraint users_pkey primary key (id),
    constraint users_phone_key unique (phone),
    constraint users_email_change_confirm_status_check check (
        email_change_confirm_status >= 0 and email_change_confirm_status <= 2
    )
);

comment on table auth.users is
'Users of Supabase Auth (luneo compat stand-in: same columns as GoTrue''s table, no GoTrue behind it).';
comment on column auth.users.is_sso_user is
'True for accounts created through SSO; such accounts may share an email address.';

-- email is unique among non-SSO users; one-time tokens are unique unless blank or numeric OTPs
create unique index if not exists users_email_partial_key on auth.users (email) where (is_sso_user = false);
create unique index if not exists confirmation_token_idx on auth.users (confirmation_token)
where (confirmation_token !~ '^[0-9 ]*$');
create unique index if not exists recovery_token_idx on auth.users (recovery_token)
where (recovery_token !~ '^[0-9 ]*$');
create unique index if not exists email_change_token_current_idx on auth.users (email_change_token_current)
where (email_change_token_current !~ '^[0-9 ]*$');
create unique index if not exists email_change_token_new_idx on auth.users (email_change_token_new)
where (email_change_token_new !~ '^[0-9 ]*$');
create unique index if not exists reauthentication_token_idx on auth.users (reauthentication_token)
where (reauthentication_token !~ '^[0-9 ]*$');
create index if not exists users_instance_id_email_idx on auth.users (instance_id, lower(email));
create index if not exists users_instance_id_idx on auth.users (instance_id);
create index if not exists users_is_anonymous_idx on auth.users (is_anonymous);

create table if not exists auth.identities (
    provider_id text not null,
    user_id uuid not null,
    identity_data jsonb not null,
    provider text not null,
    last_sign_in_at timestamptz,
    created_at timestamptz,
    updated_at timestamptz,
    email text generated always as (lower(identity_data ->> 'email')) stored,
    id uuid not null default gen_random_uuid(),
    constraint identities_pkey primary key (id),
    constraint identities_provider_id_provider_unique unique (provider_id, provider),
    constraint identities_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade
);

comment on table auth.identities is
'Sign-in identities (email, OAuth providers...) of each user (luneo compat stand-in).';

create index if not exists identities_email_idx on auth.identities (email text_pattern_ops);
create index if not exists identities_user_id_idx on auth.identities (user_id);

create table if not exists auth.sessions (
    id uuid not null,
    user_id uuid not null,
    created_at timestamptz,
    updated_at timestamptz,
    factor_id uuid,
    aal auth.aal_level,
    not_after timestamptz,
    refreshed_at timestamp,
    user_agent text,
    ip inet,
    tag text,
    constraint sessions_pkey primary key (id),
    constraint sessions_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade
);

comment on table auth.sessions is 'Sessions of signed-in users (luneo compat stand-in).';
comment on column auth.sessions.not_after is 'When set, the session counts as expired after this time.';

create index if not exists sessions_not_after_idx on auth.sessions (not_after desc);
create index if not exists sessions_user_id_idx on auth.sessions (user_id);
create index if not exists user_id_created_at_idx on auth.sessions (user_id, created_at);

create table if not exists auth.refresh_tokens (
    instance_id uuid,
    id bigserial not null,
    token varchar(255),
    user_id varchar(255),
    revoked boolean,
    created_at timestamptz,
    updated_at timestamptz,
    parent varchar(255),
    session_id uuid,
    constraint refresh_tokens_pkey primary key (id),
    constraint refresh_tokens_token_unique unique (token),
    constraint refresh_tokens_session_id_fkey foreign key (session_id) references auth.sessions (id) on delete cascade
);

comment on table auth.refresh_tokens is
'Refresh tokens of each session; deleting the session deletes them (luneo compat stand-in).';

create index if not exists refresh_tokens_instance_id_idx on auth.refresh_tokens (instance_id);
create index if not exists refresh_tokens_instance_id_user_id_idx on auth.refresh_tokens (instance_id, user_id);
create index if not exists refresh_tokens_parent_idx on auth.refresh_tokens (parent);
create index if not exists refresh_tokens_session_id_revoked_idx on auth.refresh_tokens (session_id, revoked);
create index if not exists refresh_tokens_updated_at_idx on auth.refresh_tokens (updated_at desc);

alter table auth.users enable row level security;
alter table auth.identities enable row level security;
alter table auth.sessions enable row level security;
alter table auth.refresh_tokens enable row level security;

alter table auth.users owner to supabase_auth_admin;
alter table auth.identities owner to supabase_auth_admin;
alter table auth.sessions owner to supabase_auth_admin;
alter table auth.refresh_tokens owner to supabase_auth_admin;
alter type auth.aal_level owner to supabase_auth_admin;

-- Supabase grants the API roles nothing on these tables (and bypassrls alone opens nothing).
revoke all on auth.users, auth.identities, auth.sessions, auth.refresh_tokens from anon, authenticated, service_role;

-- The request helpers. PostgREST >= 9 sets request.jwt.claims (one JSON document); the
-- request.jwt.claim.* settings are the pre-9 form, still read first, as Supabase does.

create or replace function auth.uid()
returns uuid
language sql
stable
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
$$;

comment on function auth.uid() is
'Id of the requesting user: the sub claim of the JWT, null without one. Wrap it as (select auth.uid()) in policies.';

create or replace function auth.role()
returns text
language sql
stable
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
    )::text
$$;

comment on function auth.role() is
'Role claim of the JWT (anon, authenticated, service_role), null without one.';

create or replace function auth.email()
returns text
language sql
stable
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.email', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
    )::text
$$;

comment on function auth.email() is 'Email claim of the JWT, null without one.';

create or replace function auth.jwt()
returns jsonb
language sql
stable
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

comment on function auth.jwt() is 'All the claims of the request''s JWT as jsonb, null without one.';

alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;

-- Functions are executable by public by default, as on Supabase; said explicitly in case
-- default privileges of this database took that away.
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt() to public;
