-- create emails outbox and suppressions
--
-- Purpose: transactional emails. private.email_outbox holds one job per email to send (template,
--          locale, recipient, data, a unique idempotency key), written in the transaction of
--          the change that calls for it (supabase/functions/emails/) and sent by the emails
--          worker of `luneo worker run`, which claims jobs with a lease, renders the template
--          and records the provider's answer. private.email_suppressions lists addresses that
--          hard-bounced or complained (from the providers' event webhooks): nothing more is sent
--          to them. private.email_unsubscribe_tokens backs the one-click unsubscribe links
--          (RFC 8058), private.invitation_email_tokens the accept link of an emailed invitation
--          (a second token, minted when the email is sent, so the raw token is never stored).
--          Nothing here is exposed to the API roles.
-- Touches: tables private.email_outbox, private.email_suppressions,
--          private.email_unsubscribe_tokens, private.invitation_email_tokens.
-- Destructive: no.

create table private.email_outbox (
    id uuid primary key default gen_random_uuid(),
    template text not null check (template ~ '^[a-z][a-z_]*$' and char_length(template) <= 60),
    locale text not null default 'en' check (locale in ('en', 'fr')),
    recipient text not null check (private.check_email(recipient, 'recipient')),
    -- the user it is for, when there is one (their unsubscribe link, their erasure)
    user_id uuid references auth.users (id) on delete set null,
    organization_id uuid references public.organizations (id) on delete cascade,
    kind text not null references public.notification_types (name),
    data jsonb not null check (jsonb_typeof(data) = 'object' and pg_column_size(data) <= 65536),
    idempotency_key text not null unique check (char_length(idempotency_key) between 1 and 200),
    status text not null default 'pending'
    check (status in ('pending', 'sent', 'failed', 'suppressed', 'cancelled')),
    attempts integer not null default 0 check (attempts >= 0),
    -- when it is due; while leased, the lease's end (a killed worker's job becomes due again)
    next_attempt_at timestamptz not null default now(),
    leased_by text,
    provider text,
    provider_message_id text check (char_length(provider_message_id) <= 500),
    last_error text check (char_length(last_error) <= 1000),
    created_at timestamptz not null default now(),
    completed_at timestamptz,
    check ((status = 'pending') = (completed_at is null))
);

comment on table private.email_outbox is
'Emails to send, one row each, written in the transaction that calls for them and sent by the emails '
'worker (lease in next_attempt_at and leased_by). idempotency_key: one email per key, whoever asks twice.';

create index email_outbox_due_idx on private.email_outbox (next_attempt_at) where status = 'pending';
create index email_outbox_completed_at_idx on private.email_outbox (completed_at) where status <> 'pending';
create index email_outbox_user_id_idx on private.email_outbox (user_id);
create index email_outbox_organization_id_idx on private.email_outbox (organization_id);
create index email_outbox_recipient_idx on private.email_outbox (recipient);
create index email_outbox_kind_idx on private.email_outbox (kind);

create table private.email_suppressions (
    email text primary key check (private.check_email(email, 'email')),
    reason text not null check (reason in ('hard_bounce', 'complaint', 'manual')),
    provider text check (char_length(provider) <= 40),
    detail text check (char_length(detail) <= 1000),
    created_at timestamptz not null default now()
);

comment on table private.email_suppressions is
'Addresses nothing is sent to: hard bounces and spam complaints reported by the providers'' event '
'webhooks, or added by an operator (manual).';

create table private.email_unsubscribe_tokens (
    token_hash bytea primary key check (octet_length(token_hash) = 32),
    user_id uuid not null references auth.users (id) on delete cascade,
    kind text not null references public.notification_types (name) on delete cascade,
    created_at timestamptz not null default now()
);

comment on table private.email_unsubscribe_tokens is
'SHA-256 of the token in each unsubscribe link: which user and which kind of email it turns off.';

create index email_unsubscribe_tokens_user_id_idx on private.email_unsubscribe_tokens (user_id);
create index email_unsubscribe_tokens_kind_idx on private.email_unsubscribe_tokens (kind);
create index email_unsubscribe_tokens_created_at_idx on private.email_unsubscribe_tokens (created_at);

create table private.invitation_email_tokens (
    invitation_id uuid primary key references public.invitations (id) on delete cascade,
    token_hash bytea not null unique check (octet_length(token_hash) = 32)
);

comment on table private.invitation_email_tokens is
'SHA-256 of the token in an invitation''s emailed link, minted when the email is sent; accepted like '
'the token create_invitation() returned.';

revoke all on private.email_outbox, private.email_suppressions, private.email_unsubscribe_tokens,
private.invitation_email_tokens from public, anon, authenticated;
