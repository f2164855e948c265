-- create events outbox
--
-- Purpose: the event outbox. Triggers on the domain tables write typed events (order.created,
--          member.joined, ...) into private.events in the transaction of the change, so an event
--          exists if and only if its change committed. private.emit_event()
--          (supabase/functions/events/) writes them and fans each one out to the organisation's
--          webhook endpoints. private.event_types is the catalogue: one row per type, the same
--          list as docs/events.md. Events are pruned after their retention
--          (private.prune_events, run by the maintenance worker).
-- Touches: tables private.event_types, private.events.
-- Destructive: no.

create table private.event_types (
    name text primary key check (name ~ '^[a-z][a-z_]*\.[a-z][a-z_]*$' and char_length(name) <= 60),
    description text not null
);

comment on table private.event_types is
'The event catalogue: every type private.events may hold (docs/events.md gives each payload''s JSON Schema).';

insert into private.event_types (name, description) values
('order.created', 'An order was placed.'),
('order.status_changed', 'An order moved from one status to another.'),
('order.paid', 'An order was paid.'),
('order.cancelled', 'An order was cancelled.'),
('order.refunded', 'An order was refunded.'),
('design.created', 'A design was created.'),
('design.updated', 'A design''s content, name or status changed.'),
('product.low_stock', 'A tracked product''s stock fell to its low-stock threshold or below.'),
('member.invited', 'Someone was invited to the organisation.'),
('member.joined', 'A member joined the organisation.'),
('member.role_changed', 'A member''s role or custom role changed.'),
('member.removed', 'A member left or was removed.'),
('api_key.created', 'An API key was created.'),
('api_key.revoked', 'An API key was revoked.'),
('webhook_endpoint.disabled', 'A webhook endpoint was disabled: it answered 410 Gone, or failed for 5 days.'),
('webhook.test', 'A test event, sent to one endpoint by send_test_webhook().');

create table private.events (
    id uuid primary key default gen_random_uuid(),
    type text not null references private.event_types (name),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    data jsonb not null,
    -- the clock, not the transaction's start: the events of one transaction keep their order
    created_at timestamptz not null default clock_timestamp()
);

comment on table private.events is
'The event outbox: one row per domain event, written in the transaction of its change. Never exposed; '
'webhook deliveries (public.webhook_deliveries) point here.';

create index events_created_at_idx on private.events (created_at);
create index events_organization_id_idx on private.events (organization_id);
create index events_type_idx on private.events (type);

revoke all on private.event_types, private.events from public, anon, authenticated;
