-- The email outbox: queueing (enqueue_email and the helpers that build a job from an invitation
-- or an order), what the emails worker calls (claim, record, release, queue stats), the
-- deliverability side (suppressions, one-click unsubscribe) and pruning.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- A job is written in the transaction of the change that calls for it, keyed by a unique
-- idempotency key (asking twice queues one email), and a pg_notify on luneo_emails wakes the
-- workers at commit. The data a template shows is gathered when the job is claimed
-- (email_context), so an order's email lists the items placed in the same transaction, and a
-- job whose subject went away (an invitation revoked, an order deleted) is cancelled instead of
-- sent. Secrets in links (an invitation's accept token, an unsubscribe token) are minted at
-- claim and stored only as hashes.
-- The Python side: luneo.workers.emails (render, providers, the worker); docs/emails.md.
-- Errors: LU303 unsubscribe link not found.

-- == enqueue_email ===============================================================================

create or replace function private.enqueue_email(
    template text,
    recipient text,
    locale text,
    data jsonb,
    idempotency_key text,
    kind text,
    user_id uuid default null,
    organization_id uuid default null
)
returns uuid
language plpgsql
-- definer: writes the email outbox, which no API role can write
security definer
set search_path = ''
as $$
declare
    email_id uuid;
    address text := lower(btrim(enqueue_email.recipient));
begin
    -- an address no provider would take (kept as given by an older writer) queues nothing: the
    -- change that asked for the email must not fail for it
    if address is null or char_length(address) > 254 or address !~ '^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$' then
        return null;
    end if;
    insert into private.email_outbox (template, recipient, locale, data, idempotency_key, kind, user_id, organization_id)
    values (
        enqueue_email.template, address, private.email_locale(enqueue_email.locale),
        coalesce(enqueue_email.data, '{}'), enqueue_email.idempotency_key, enqueue_email.kind,
        enqueue_email.user_id, enqueue_email.organization_id
    )
    on conflict on constraint email_outbox_idempotency_key_key do nothing
    returning id into email_id;
    if email_id is not null then
        perform pg_catalog.pg_notify('luneo_emails', '');
    end if;
    return email_id;
end;
$$;

comment on function private.enqueue_email(text, text, text, jsonb, text, text, uuid, uuid) is
'Queues one email (template, recipient, locale: fr or en, data) unless its idempotency_key is '
'already queued; wakes the emails worker at commit. Returns the new job''s id, or null for a repeat '
'or an address that is not one.';

revoke execute on function private.enqueue_email(text, text, text, jsonb, text, text, uuid, uuid)
from public, anon, authenticated;
grant execute on function private.enqueue_email(text, text, text, jsonb, text, text, uuid, uuid) to service_role;

-- == enqueue_invitation_email, enqueue_order_email ==============================================

create or replace function private.enqueue_invitation_email(invitation_id uuid, reason text)
returns uuid
language sql
volatile
security definer
set search_path = ''
as $$
    -- in the invitee's language when they already have an account, else the inviter's
    select private.enqueue_email(
        'invitation',
        i.email,
        coalesce(
            (select p.locale from auth.users as u inner join public.profiles as p on p.id = u.id where lower(u.email) = i.email limit 1),
            (select p.locale from public.profiles as p where p.id = i.invited_by),
            'en'
        ),
        jsonb_build_object('invitation_id', i.id),
        'invitation:' || i.id || ':' || enqueue_invitation_email.reason,
        'member.invited',
        organization_id => i.organization_id
    )
    from public.invitations as i
    where i.id = enqueue_invitation_email.invitation_id
$$;

comment on function private.enqueue_invitation_email(uuid, text) is
'Queues the invitation email (accept link minted when it is sent), once per invitation and reason '
'(the event id, or a resend).';

revoke execute on function private.enqueue_invitation_email(uuid, text) from public, anon, authenticated;

create or replace function private.enqueue_order_email(template text, kind text, order_id uuid)
returns uuid
language sql
volatile
security definer
set search_path = ''
as $$
    -- to the address on the order (the customer may have no account), once per order and template
    select private.enqueue_email(
        enqueue_order_email.template,
        lower(btrim(o.customer_email)),
        coalesce((select p.locale from public.profiles as p where p.id = o.customer_id), 'en'),
        jsonb_build_object('order_id', o.id),
        enqueue_order_email.template || ':' || o.id,
        enqueue_order_email.kind,
        user_id => o.customer_id,
        organization_id => o.organization_id
    )
    from public.orders as o
    where o.id = enqueue_order_email.order_id and nullif(btrim(o.customer_email), '') is not null
$$;

comment on function private.enqueue_order_email(text, text, uuid) is
'Queues an order email (order_confirmation, order_shipped) to the order''s customer address, once per '
'order and template; nothing when the order has no address.';

revoke execute on function private.enqueue_order_email(text, text, uuid) from public, anon, authenticated;

-- == email_context: what a template shows, gathered at claim =====================================

create or replace function private.email_context(job private.email_outbox)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    data jsonb := job.data;
    paths jsonb := '{}';
    secrets jsonb := '{}';
    invitation public.invitations;
    purchase public.orders;
    token text;
begin
    case job.template
        when 'invitation' then
            select i.* into invitation from public.invitations as i where i.id = (job.data ->> 'invitation_id')::uuid;
            if not found or invitation.status <> 'pending' or invitation.expires_at <= pg_catalog.now() then
                return null;  -- revoked, answered or expired since: nothing to accept
            end if;
            token := private.new_token('luneo_inv_');
            insert into private.invitation_email_tokens as t (invitation_id, token_hash)
            values (invitation.id, private.hash_token(token))
            on conflict (invitation_id) do update set token_hash = excluded.token_hash;
            data := data || jsonb_build_object(
                'inviter_name', private.user_display_name(invitation.invited_by),
                'role', invitation.role,
                'expires_at', invitation.expires_at
            );
            secrets := jsonb_build_object('accept_token', token);
        when 'order_confirmation', 'order_shipped' then
            select o.* into purchase from public.orders as o where o.id = (job.data ->> 'order_id')::uuid;
            if not found then
                return null;
            end if;
            data := data || jsonb_build_object(
                'order', jsonb_build_object(
                    'number', purchase.order_number,
                    'placed_at', purchase.placed_at,
                    'currency', purchase.currency,
                    'subtotal_amount', purchase.subtotal_amount,
                    'discount_amount', purchase.discount_amount,
                    'tax_amount', purchase.tax_amount,
                    'shipping_amount', purchase.shipping_amount,
                    'total_amount', purchase.total_amount,
                    'items', coalesce((
                        select jsonb_agg(jsonb_build_object(
                            'name', i.name, 'quantity', i.quantity,
                            'unit_price', i.unit_price_amount, 'total', i.line_total_amount
                        ) order by i.created_at, i.id)
                        from public.order_items as i where i.order_id = purchase.id
                    ), '[]')
                ),
                -- the order has no shipment details yet (commerce); the template hides them
                'carrier', null, 'tracking_number', null, 'tracking_url', null
            );
            paths := jsonb_build_object('order_url', '/orders/' || purchase.id);
        when 'welcome' then
            paths := jsonb_build_object('dashboard_url', '/');
        when 'webhook_endpoint_disabled' then
            paths := jsonb_build_object('endpoint_url', '/settings/webhooks/' || (job.data ->> 'endpoint_id'));
        when 'payment_failed' then
            paths := jsonb_build_object('retry_url', '/settings/billing');
        when 'subscription_trial_ending' then
            paths := jsonb_build_object('billing_url', '/settings/billing');
        else
            null;
    end case;

    -- an email the user may turn off carries a one-click unsubscribe link
    if job.user_id is not null
        and not (select t.email_required from public.notification_types as t where t.name = job.kind) then
        token := private.new_token('luneo_unsub_');
        insert into private.email_unsubscribe_tokens (token_hash, user_id, kind)
        values (private.hash_token(token), job.user_id, job.kind);
        secrets := secrets || jsonb_build_object('unsubscribe_token', token);
    end if;

    return jsonb_build_object(
        'data', data || jsonb_build_object(
            'organization', (
                select jsonb_build_object('name', o.name, 'branding', o.branding)
                from public.organizations as o where o.id = job.organization_id
            ),
            'recipient', jsonb_build_object(
                'email', job.recipient,
                'name', (select nullif(btrim(p.full_name), '') from public.profiles as p where p.id = job.user_id)
            )
        ),
        'paths', paths,
        'secrets', secrets
    );
end;
$$;

comment on function private.email_context(private.email_outbox) is
'Claim time: the data a job''s template shows (organization, recipient and the template''s own '
'keys), the app paths its links need, and the secrets minted for it (accept_token, '
'unsubscribe_token); null when the job has nothing left to say (cancelled).';

revoke execute on function private.email_context(private.email_outbox) from public, anon, authenticated;

-- == claim_emails ================================================================================

create or replace function private.claim_emails(worker_id text, max_emails integer, lease_seconds integer)
returns table (
    email_id uuid,
    attempt integer,
    template text,
    locale text,
    recipient text,
    kind text,
    idempotency_key text,
    context jsonb
)
language plpgsql
volatile
-- definer: reads and writes the email outbox and mints link tokens
security definer
set search_path = ''
-- the context's timestamps in UTC, whatever the session's time zone
set timezone = 'UTC'
-- planned with the actual limit (see claim_webhook_deliveries)
set plan_cache_mode = 'force_custom_plan'
as $$
declare
    job private.email_outbox;
    gathered jsonb;
    refusal text;
begin
    for job in
        select e.* from private.email_outbox as e
        where e.status = 'pending' and e.next_attempt_at <= pg_catalog.now()
        order by e.next_attempt_at
        limit claim_emails.max_emails
        for no key update skip locked
    loop
        refusal := case
            when exists (select from private.email_suppressions as s where s.email = job.recipient) then 'suppressed'
            when job.user_id is not null and not private.notification_wanted(job.user_id, job.kind, 'email') then
                'cancelled'
        end;
        if refusal is null then
            gathered := private.email_context(job);
            if gathered is null then
                refusal := 'cancelled';
            end if;
        end if;
        if refusal is not null then
            update private.email_outbox as e
            set status = refusal, completed_at = pg_catalog.now(), leased_by = null,
                last_error = case refusal
                    when 'suppressed' then 'the address is on the suppression list'
                    when 'cancelled' then 'nothing to send any more (turned off, revoked or deleted)'
                end
            where e.id = job.id;
            continue;
        end if;
        update private.email_outbox as e
        set
            attempts = e.attempts + 1,
            leased_by = claim_emails.worker_id,
            next_attempt_at = pg_catalog.now() + pg_catalog.make_interval(secs => claim_emails.lease_seconds)
        where e.id = job.id;
        email_id := job.id;
        attempt := job.attempts + 1;
        template := job.template;
        locale := job.locale;
        recipient := job.recipient;
        kind := job.kind;
        idempotency_key := job.idempotency_key;
        context := gathered;
        return next;
    end loop;
end;
$$;

comment on function private.claim_emails(text, integer, integer) is
'Worker: takes up to max_emails due jobs (for update skip locked) and leases them to worker_id for '
'lease_seconds, returning what sending needs (template, locale, recipient, the context from '
'email_context). Jobs to a suppressed address, turned off since, or whose subject is gone are '
'settled (suppressed, cancelled) instead of returned.';

revoke execute on function private.claim_emails(text, integer, integer) from public, anon, authenticated;
grant execute on function private.claim_emails(text, integer, integer) to service_role;

-- == record_email_attempt ========================================================================

create or replace function private.email_retry_delay(attempts integer)
returns interval
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- after the nth failed attempt; null: no more attempts (8 in all, over about 10 hours)
    select (array[
        interval '30 seconds', interval '2 minutes', interval '10 minutes', interval '30 minutes',
        interval '1 hour', interval '3 hours', interval '6 hours'
    ])[email_retry_delay.attempts]
$$;

comment on function private.email_retry_delay(integer) is
'Wait before retrying an email after its nth transient failure: 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, '
'6 h; null after the 8th attempt.';

revoke execute on function private.email_retry_delay(integer) from public, anon, authenticated;

create or replace function private.record_email_attempt(
    email_id uuid,
    worker_id text,
    attempt integer,
    outcome text,
    provider text,
    provider_message_id text default null,
    error text default null,
    retry_after_seconds double precision default null
)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    job private.email_outbox;
    delay interval;
begin
    if record_email_attempt.outcome not in ('sent', 'transient', 'permanent') then
        raise exception using errcode = '22023', message = 'outcome: must be sent, transient or permanent';
    end if;
    select e.* into job from private.email_outbox as e where e.id = record_email_attempt.email_id for no key update;
    if not found or job.status <> 'pending' or job.leased_by is distinct from record_email_attempt.worker_id
        or job.attempts <> record_email_attempt.attempt then
        return 'stale';  -- pruned, or the lease ran out and another worker took the job
    end if;
    if record_email_attempt.outcome = 'sent' then
        update private.email_outbox as e
        set status = 'sent', completed_at = pg_catalog.now(), leased_by = null,
            provider = record_email_attempt.provider,
            provider_message_id = left(record_email_attempt.provider_message_id, 500), last_error = null
        where e.id = job.id;
        return 'sent';
    end if;
    if record_email_attempt.outcome = 'transient' then
        delay := private.email_retry_delay(job.attempts) * (0.9 + random() * 0.2);
        if delay is not null and record_email_attempt.retry_after_seconds is not null then
            delay := greatest(delay, least(
                pg_catalog.make_interval(secs => greatest(record_email_attempt.retry_after_seconds, 0)), interval '6 hours'
            ));
        end if;
    end if;
    update private.email_outbox as e
    set
        status = case when delay is null then 'failed' else 'pending' end,
        next_attempt_at = coalesce(pg_catalog.now() + delay, e.next_attempt_at),
        completed_at = case when delay is null then pg_catalog.now() end,
        leased_by = null,
        provider = record_email_attempt.provider,
        last_error = left(coalesce(record_email_attempt.error, record_email_attempt.outcome), 1000)
    where e.id = job.id;
    return case when delay is null then 'failed' else 'retry' end;
end;
$$;

comment on function private.record_email_attempt(uuid, text, integer, text, text, text, text, double precision) is
'Worker: settles one attempt. sent (with the provider''s message id); transient: retried on the '
'schedule (Retry-After honoured, at most 6 h), failed after the 8th attempt; permanent: failed. '
'Returns sent, retry, failed, or stale (the lease was lost: the state is another worker''s).';

revoke execute on function private.record_email_attempt(uuid, text, integer, text, text, text, text, double precision)
from public, anon, authenticated;
grant execute on function private.record_email_attempt(uuid, text, integer, text, text, text, text, double precision)
to service_role;

-- == release_emails, email_queue_stats ===========================================================

create or replace function private.release_emails(worker_id text, email_ids uuid[] default null)
returns integer
language sql
volatile
security definer
set search_path = ''
as $$
    with released as (
        update private.email_outbox as e
        set attempts = e.attempts - 1, next_attempt_at = pg_catalog.now(), leased_by = null
        where
            e.status = 'pending'
            and e.leased_by = release_emails.worker_id
            and e.next_attempt_at > pg_catalog.now()
            and (release_emails.email_ids is null or e.id = any(release_emails.email_ids))
        returning 1
    )
    select count(*)::integer from released
$$;

comment on function private.release_emails(text, uuid[]) is
'Worker shutdown: gives back, due at once, the jobs worker_id still leases (all, or those listed) '
'without counting the attempt it did not make. Returns how many.';

revoke execute on function private.release_emails(text, uuid[]) from public, anon, authenticated;
grant execute on function private.release_emails(text, uuid[]) to service_role;

create or replace function private.email_queue_stats()
returns table (due integer, oldest_due_seconds double precision)
language sql
stable
security definer
set search_path = ''
as $$
    select
        (select count(*)::integer from (
            select from private.email_outbox as e
            where e.status = 'pending' and e.next_attempt_at <= pg_catalog.now()
            limit 100000
        ) as q),
        coalesce(extract(epoch from pg_catalog.now() - (
            select min(e.next_attempt_at) from private.email_outbox as e
            where e.status = 'pending' and e.next_attempt_at <= pg_catalog.now()
        )), 0)::double precision
$$;

comment on function private.email_queue_stats() is
'Metrics: due emails (counted up to 100,000) and how long the oldest has been due, in seconds.';

revoke execute on function private.email_queue_stats() from public, anon, authenticated;
grant execute on function private.email_queue_stats() to service_role;

-- == suppress_email, unsubscribe_email ===========================================================

create or replace function private.suppress_email(email text, reason text, provider text, detail text default null)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    added boolean;
begin
    insert into private.email_suppressions (email, reason, provider, detail)
    values (
        lower(btrim(suppress_email.email)), suppress_email.reason, suppress_email.provider,
        left(suppress_email.detail, 1000)
    )
    on conflict on constraint email_suppressions_pkey do nothing;
    get diagnostics added = row_count;
    return added;
end;
$$;

comment on function private.suppress_email(text, text, text, text) is
'Adds an address to the suppression list (hard_bounce, complaint, manual); the first reason stays. '
'True when it was not there yet.';

revoke execute on function private.suppress_email(text, text, text, text) from public, anon, authenticated;
grant execute on function private.suppress_email(text, text, text, text) to service_role;

create or replace function private.unsubscribe_email(token text)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    link private.email_unsubscribe_tokens;
begin
    select t.* into link from private.email_unsubscribe_tokens as t
    where t.token_hash = private.hash_token(unsubscribe_email.token);
    if not found then
        raise exception using errcode = 'LU303', message = 'unsubscribe link not found',
            hint = 'The link may be mistyped or too old; change email settings in the app.';
    end if;
    insert into public.notification_preferences as p (user_id, kind, channel, enabled)
    values (link.user_id, link.kind, 'email', false)
    on conflict (user_id, kind, channel) do update set enabled = false;
    return link.kind;
end;
$$;

comment on function private.unsubscribe_email(text) is
'One-click unsubscribe (RFC 8058): turns off the emails of the link''s kind for its user; the same '
'link works again. Returns the kind; LU303 for an unknown token.';

revoke execute on function private.unsubscribe_email(text) from public, anon, authenticated;
grant execute on function private.unsubscribe_email(text) to service_role;

-- == prune_emails (maintenance) ===================================================================

create or replace function private.prune_emails(keep interval default interval '30 days', batch integer default 1000)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
    emails integer;
    tokens integer;
begin
    -- settled jobs past the retention (their data holds addresses and names), then unsubscribe
    -- tokens older than a year (links in emails that old no longer work)
    with old as (
        select e.id from private.email_outbox as e
        where e.status <> 'pending' and e.completed_at < pg_catalog.now() - prune_emails.keep
        order by e.completed_at
        limit prune_emails.batch
        for update skip locked
    )
    delete from private.email_outbox as e using old where e.id = old.id;
    get diagnostics emails = row_count;
    if emails = prune_emails.batch then
        return emails;
    end if;
    with old as (
        select t.token_hash from private.email_unsubscribe_tokens as t
        where t.created_at < pg_catalog.now() - interval '1 year'
        order by t.created_at
        limit prune_emails.batch - emails
        for update skip locked
    )
    delete from private.email_unsubscribe_tokens as t using old where t.token_hash = old.token_hash;
    get diagnostics tokens = row_count;
    return emails + tokens;
end;
$$;

comment on function private.prune_emails(interval, integer) is
'Deletes up to batch rows: settled email jobs past keep, then unsubscribe tokens older than a year. '
'Pending jobs are never pruned. Returns how many went; call again until it returns less than batch.';

revoke execute on function private.prune_emails(interval, integer) from public, anon, authenticated;
grant execute on function private.prune_emails(interval, integer) to service_role;
