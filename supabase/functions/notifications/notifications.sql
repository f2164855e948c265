-- In-app notifications: who wants what (preferences over the catalogue's defaults), the fan-out
-- from events, reading and marking read, the unread count and the per-user wake-up.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- An event (private.events) becomes, in its own transaction, the notifications and emails its
-- kind calls for (public.notification_types): tg_notify_event picks the audience and the words,
-- notify_users writes one notification per user who wants it in-app and queues one email per
-- user who wants it by email (private.enqueue_email, supabase/functions/emails/).
-- Errors: LU300 notification not found; LU301 a transactional email cannot be turned off;
-- LU302 the kind is not delivered on that channel.

-- == notification_wanted: a user's choice, else the default ======================================

create or replace function private.notification_wanted(user_id uuid, kind text, channel text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select case
        when notification_wanted.channel = 'in_app' then t.in_app and coalesce(p.enabled, t.in_app_default)
        else t.email_template is not null and (t.email_required or coalesce(p.enabled, t.email_default))
    end
    from public.notification_types as t
    left join public.notification_preferences as p
        on
            p.user_id = notification_wanted.user_id
            and p.kind = t.name
            and p.channel = notification_wanted.channel
    where t.name = notification_wanted.kind
$$;

comment on function private.notification_wanted(uuid, text, text) is
'Whether the user gets this kind on this channel (in_app, email): their preference, else the '
'catalogue''s default; a transactional email always. Null for an unknown kind.';

revoke execute on function private.notification_wanted(uuid, text, text) from public, anon, authenticated;
grant execute on function private.notification_wanted(uuid, text, text) to service_role;

-- == user_display_name, user_locale ===============================================================

create or replace function private.user_display_name(user_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
    select coalesce(nullif(btrim(p.full_name), ''), u.email, 'someone')
    from auth.users as u
    left join public.profiles as p on p.id = u.id
    where u.id = user_display_name.user_id
$$;

comment on function private.user_display_name(uuid) is
'A user''s name as notifications show it: full name, else email.';

revoke execute on function private.user_display_name(uuid) from public, anon, authenticated;

create or replace function private.email_locale(locale text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- the templates' languages: French for fr, fr-CA, ...; English otherwise
    select case when lower(email_locale.locale) ~ '^fr([-_]|$)' then 'fr' else 'en' end
$$;

comment on function private.email_locale(text) is
'The template language for a profile locale: fr or en (the fallback).';

revoke execute on function private.email_locale(text) from public, anon, authenticated;

-- == uuid_or_null ================================================================================

create or replace function private.uuid_or_null(value text)
returns uuid
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- an id read from an event's payload: the fan-out must never fail the change that emitted it
    select case when uuid_or_null.value ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        then uuid_or_null.value::uuid end
$$;

comment on function private.uuid_or_null(text) is 'The text as a uuid, or null when it is not one.';

revoke execute on function private.uuid_or_null(text) from public, anon, authenticated;

-- == notify_users: one kind, to a set of users, on the channels each wants =======================

create or replace function private.notify_users(
    kind text,
    user_ids uuid[],
    organization_id uuid,
    event_id uuid,
    level text,
    title_en text,
    message_en text,
    title_fr text,
    message_fr text,
    action_url text default null,
    data jsonb default '{}',
    email_data jsonb default null
)
returns void
language plpgsql
-- definer: writes notifications and the email outbox, which no API role writes
security definer
set search_path = ''
as $$
-- the on conflict target names columns that are also parameters
#variable_conflict use_column
declare
    type_row public.notification_types;
begin
    select * into strict type_row from public.notification_types as t where t.name = notify_users.kind;
    if type_row.in_app then
        insert into public.notifications (
            user_id, organization_id, kind, event_id, type, title, message, action_url, action_label, data
        )
        select
            u.id,
            notify_users.organization_id,
            notify_users.kind,
            notify_users.event_id,
            notify_users.level,
            left(case when private.email_locale(p.locale) = 'fr' then notify_users.title_fr else notify_users.title_en end, 200),
            left(
                case when private.email_locale(p.locale) = 'fr' then notify_users.message_fr else notify_users.message_en end,
                2000
            ),
            notify_users.action_url,
            case when notify_users.action_url is not null then
                case when private.email_locale(p.locale) = 'fr' then 'Voir' else 'View' end
            end,
            notify_users.data
        from unnest(notify_users.user_ids) as u (id)
        inner join public.profiles as p on p.id = u.id
        where private.notification_wanted(u.id, notify_users.kind, 'in_app')
        on conflict (event_id, user_id) where event_id is not null do nothing;
    end if;
    if type_row.email_template is not null and notify_users.email_data is not null then
        perform private.enqueue_email(
            type_row.email_template,
            lower(u.email),
            p.locale,
            notify_users.email_data,
            notify_users.kind || ':' || coalesce(notify_users.event_id::text, gen_random_uuid()::text) || ':' || u.id,
            kind => notify_users.kind,
            user_id => u.id,
            organization_id => notify_users.organization_id
        )
        from unnest(notify_users.user_ids) as r (id)
        inner join auth.users as u on u.id = r.id
        inner join public.profiles as p on p.id = u.id
        where u.email is not null and private.notification_wanted(u.id, notify_users.kind, 'email');
    end if;
end;
$$;

comment on function private.notify_users(text, uuid[], uuid, uuid, text, text, text, text, text, text, jsonb, jsonb) is
'Fan-out of one notification kind to users: an in-app notification (in their locale) for each who '
'wants it, and, when email_data is given and the kind has a template, an email for each who wants '
'it. Idempotent per event and user.';

revoke execute on function private.notify_users(
    text, uuid[], uuid, uuid, text, text, text, text, text, text, jsonb, jsonb
) from public, anon, authenticated;
grant execute on function private.notify_users(
    text, uuid[], uuid, uuid, text, text, text, text, text, text, jsonb, jsonb
) to service_role;

-- == tg_notify_event: what each event tells whom =================================================

create or replace function private.tg_notify_event()
returns trigger
language plpgsql
-- definer: reads members and profiles across the organisation, writes notifications and emails
security definer
set search_path = ''
as $$
declare
    org_name text := (select o.name from public.organizations as o where o.id = new.organization_id);
    subject jsonb;
    name text;
    audience uuid[];
begin
    case
        when new.type in ('member.joined', 'member.removed') then
            subject := new.data -> 'member';
            name := private.user_display_name(private.uuid_or_null(subject ->> 'user_id'));
            audience := array(
                select m from private.members_with(new.organization_id, 'members.manage') as m
                where m is distinct from private.uuid_or_null(subject ->> 'user_id')
            );
            if new.type = 'member.joined' then
                perform private.notify_users(
                    new.type, audience, new.organization_id, new.id, 'info',
                    'New member', format('%s joined %s.', name, org_name),
                    'Nouveau membre', format('%s a rejoint %s.', name, org_name),
                    '/settings/members', jsonb_build_object('user_id', subject -> 'user_id')
                );
            else
                perform private.notify_users(
                    new.type, audience, new.organization_id, new.id, 'info',
                    'Member removed', format('%s is no longer a member of %s.', name, org_name),
                    'Membre retiré', format('%s ne fait plus partie de %s.', name, org_name),
                    '/settings/members', jsonb_build_object('user_id', subject -> 'user_id')
                );
            end if;
        when new.type = 'member.role_changed' then
            subject := new.data -> 'member';
            perform private.notify_users(
                new.type, array[private.uuid_or_null(subject ->> 'user_id')], new.organization_id, new.id, 'info',
                'Your role changed', format('Your role in %s is now %s.', org_name, subject ->> 'role'),
                'Votre rôle a changé', format('Votre rôle dans %s est désormais %s.', org_name, subject ->> 'role'),
                '/settings/members', jsonb_build_object('role', subject -> 'role')
            );
        when new.type = 'member.invited' then
            subject := new.data -> 'invitation';
            perform private.enqueue_invitation_email(private.uuid_or_null(subject ->> 'id'), new.id::text);
        when new.type in ('order.created', 'order.paid', 'order.cancelled', 'order.refunded') then
            subject := new.data -> 'order';
            audience := array(select private.members_with(new.organization_id, 'orders.manage'));
            perform private.notify_users(
                new.type, audience, new.organization_id, new.id,
                case new.type when 'order.paid' then 'success' when 'order.cancelled' then 'warning' else 'info' end,
                format(
                    case new.type
                        when 'order.created' then 'New order %s' when 'order.paid' then 'Order %s paid'
                        when 'order.cancelled' then 'Order %s cancelled' else 'Order %s refunded'
                    end,
                    subject ->> 'order_number'
                ),
                format(
                    case new.type
                        when 'order.created' then 'Order %s was placed.' when 'order.paid' then 'Order %s was paid.'
                        when 'order.cancelled' then 'Order %s was cancelled.' else 'Order %s was refunded.'
                    end,
                    subject ->> 'order_number'
                ),
                format(
                    case new.type
                        when 'order.created' then 'Nouvelle commande %s' when 'order.paid' then 'Commande %s payée'
                        when 'order.cancelled' then 'Commande %s annulée' else 'Commande %s remboursée'
                    end,
                    subject ->> 'order_number'
                ),
                format(
                    case new.type
                        when 'order.created' then 'La commande %s a été passée.'
                        when 'order.paid' then 'La commande %s a été payée.'
                        when 'order.cancelled' then 'La commande %s a été annulée.'
                        else 'La commande %s a été remboursée.'
                    end,
                    subject ->> 'order_number'
                ),
                '/orders/' || (subject ->> 'id'), jsonb_build_object('order_id', subject -> 'id')
            );
            if new.type = 'order.created' then
                perform private.enqueue_order_email('order_confirmation', 'order.created', private.uuid_or_null(subject ->> 'id'));
            end if;
        when new.type = 'order.status_changed' then
            subject := new.data -> 'order';
            if subject ->> 'status' = 'shipped' and new.data ->> 'previous_status' <> 'shipped' then
                perform private.enqueue_order_email('order_shipped', 'order.shipped', private.uuid_or_null(subject ->> 'id'));
            end if;
        when new.type = 'product.low_stock' then
            subject := new.data -> 'product';
            perform private.notify_users(
                new.type, array(select private.members_with(new.organization_id, 'orders.manage')),
                new.organization_id, new.id, 'warning',
                format('Low stock: %s', subject ->> 'name'),
                format('%s left of %s (SKU %s).', subject ->> 'stock', subject ->> 'name', subject ->> 'sku'),
                format('Stock bas : %s', subject ->> 'name'),
                format('Plus que %s en stock pour %s (réf. %s).', subject ->> 'stock', subject ->> 'name', subject ->> 'sku'),
                '/products/' || (subject ->> 'id'), jsonb_build_object('product_id', subject -> 'id')
            );
        when new.type in ('api_key.created', 'api_key.revoked') then
            subject := new.data -> 'api_key';
            perform private.notify_users(
                new.type, array(select private.members_with(new.organization_id, 'api_keys.manage')),
                new.organization_id, new.id, case when new.type = 'api_key.revoked' then 'warning' else 'info' end,
                case when new.type = 'api_key.created' then 'API key created' else 'API key revoked' end,
                format(
                    case when new.type = 'api_key.created' then 'The API key "%s" (%s) was created.'
                        else 'The API key "%s" (%s) was revoked.' end,
                    subject ->> 'name', subject ->> 'key_prefix'
                ),
                case when new.type = 'api_key.created' then 'Clé API créée' else 'Clé API révoquée' end,
                format(
                    case when new.type = 'api_key.created' then 'La clé API « %s » (%s) a été créée.'
                        else 'La clé API « %s » (%s) a été révoquée.' end,
                    subject ->> 'name', subject ->> 'key_prefix'
                ),
                '/settings/api-keys', jsonb_build_object('api_key_id', subject -> 'id')
            );
        when new.type = 'webhook_endpoint.disabled' then
            subject := new.data -> 'webhook_endpoint';
            perform private.notify_users(
                new.type, array(select private.members_with(new.organization_id, 'webhooks.manage')),
                new.organization_id, new.id, 'error',
                'Webhook endpoint disabled',
                format(
                    case when new.data ->> 'reason' = 'gone' then '%s was disabled: it answered 410 Gone.'
                        else '%s was disabled: every delivery failed for 5 days.' end,
                    subject ->> 'url'
                ),
                'Point de terminaison webhook désactivé',
                format(
                    case when new.data ->> 'reason' = 'gone' then '%s a été désactivé : il a répondu 410 Gone.'
                        else '%s a été désactivé : toutes les livraisons ont échoué pendant 5 jours.' end,
                    subject ->> 'url'
                ),
                '/settings/webhooks/' || (subject ->> 'id'), jsonb_build_object('webhook_endpoint_id', subject -> 'id'),
                jsonb_build_object(
                    'endpoint', jsonb_build_object('url', subject -> 'url', 'description', subject -> 'description'),
                    'endpoint_id', subject -> 'id',
                    'reason', new.data -> 'reason',
                    'disabled_at', to_jsonb(new.created_at)
                )
            );
        when new.type = 'billing.payment_failed' then
            subject := new.data -> 'invoice';
            perform private.notify_users(
                new.type, array(select private.members_with(new.organization_id, 'billing.read')),
                new.organization_id, new.id, 'error',
                'Payment failed',
                format('The payment of invoice %s failed.', subject ->> 'number'),
                'Échec du paiement',
                format('Le paiement de la facture %s a échoué.', subject ->> 'number'),
                '/settings/billing', jsonb_build_object('invoice_id', subject -> 'id'),
                jsonb_build_object(
                    'amount', subject -> 'amount_due',
                    'currency', subject -> 'currency',
                    'description', subject -> 'number',
                    'reason', new.data -> 'reason'
                )
            );
        when new.type = 'billing.trial_ending' then
            subject := new.data -> 'subscription';
            perform private.notify_users(
                new.type, array(select private.members_with(new.organization_id, 'billing.read')),
                new.organization_id, new.id, 'warning',
                'Trial ending soon',
                format('The trial of the %s plan ends on %s.', coalesce(subject ->> 'plan_name', 'current'),
                    to_char((subject ->> 'trial_end')::timestamptz at time zone 'UTC', 'YYYY-MM-DD')),
                'Fin de l''essai proche',
                format('L''essai de l''offre %s se termine le %s.', coalesce(subject ->> 'plan_name', 'actuelle'),
                    to_char((subject ->> 'trial_end')::timestamptz at time zone 'UTC', 'DD/MM/YYYY')),
                '/settings/billing', jsonb_build_object('stripe_subscription_id', subject -> 'stripe_subscription_id'),
                jsonb_build_object('plan_name', subject -> 'plan_name', 'trial_ends_at', subject -> 'trial_end')
            );
        else
            null;  -- design.*, webhook.test: no notification
    end case;
    return null;
end;
$$;

comment on function private.tg_notify_event() is
'Trigger function (after insert on private.events): the notifications and emails each event type '
'calls for (public.notification_types says who and on which channels).';

revoke execute on function private.tg_notify_event() from public, anon, authenticated;

-- == tg_check_notification_preference ============================================================

create or replace function private.tg_check_notification_preference()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
    type_row public.notification_types;
begin
    -- the catalogue is readable by every signed-in user, so no definer is needed here
    select * into type_row from public.notification_types as t where t.name = new.kind;
    if not found
        or (new.channel = 'in_app' and not type_row.in_app)
        or (new.channel = 'email' and type_row.email_template is null) then
        raise exception using
            errcode = 'LU302',
            message = format('%s notifications are not delivered by %s', new.kind, replace(new.channel, '_', '-')),
            hint = 'public.notification_types lists each kind and its channels.';
    end if;
    if new.channel = 'email' and type_row.email_required and not new.enabled then
        raise exception using
            errcode = 'LU301',
            message = format('%s emails cannot be turned off', new.kind),
            detail = 'They are transactional: sent whatever the preferences.';
    end if;
    new.updated_at := now();
    return new;
end;
$$;

comment on function private.tg_check_notification_preference() is
'Trigger function (before insert or update on notification_preferences): the kind must be delivered '
'on the channel (LU302) and a transactional email cannot be turned off (LU301).';

revoke execute on function private.tg_check_notification_preference() from public, anon;

-- == notification_settings: the effective choices =================================================

create or replace function private.notification_settings()
returns table (kind text, description text, channel text, enabled boolean, is_default boolean, required boolean)
language sql
stable
security definer
set search_path = ''
as $$
    select
        t.name,
        t.description,
        c.channel,
        private.notification_wanted(u.id, t.name, c.channel),
        p.enabled is null,
        c.channel = 'email' and t.email_required
    from (select private.require_user() as id) as u
    cross join public.notification_types as t
    cross join lateral (
        select 'in_app' as channel where t.in_app
        union all
        select 'email' where t.email_template is not null
    ) as c
    left join public.notification_preferences as p on p.user_id = u.id and p.kind = t.name and p.channel = c.channel
    order by t.name, c.channel desc
$$;

comment on function private.notification_settings() is
'The caller''s effective notification choices: one row per kind and channel it is delivered on.';

revoke execute on function private.notification_settings() from public, anon;
grant execute on function private.notification_settings() to authenticated;

-- the RPC: GET or POST /rpc/notification_settings
create or replace function public.notification_settings()
returns table (kind text, description text, channel text, enabled boolean, is_default boolean, required boolean)
language sql
stable
security invoker
set search_path = ''
as $$
    select * from private.notification_settings()
$$;

comment on function public.notification_settings() is
'The caller''s notification settings: per kind and channel (in_app, email), whether it is on, whether '
'that is the default, and whether it is transactional (required: cannot be turned off). Change them '
'by writing notification_preferences.';

revoke execute on function public.notification_settings() from public, anon;
grant execute on function public.notification_settings() to authenticated;

-- == mark_notification_read, mark_all_notifications_read ========================================

create or replace function public.mark_notification_read(notification_id uuid)
returns public.notifications
language plpgsql
-- invoker: RLS limits the update to the caller's own notifications
security invoker
set search_path = ''
as $$
declare
    marked public.notifications;
begin
    update public.notifications as n set read_at = coalesce(n.read_at, now())
    where n.id = mark_notification_read.notification_id and n.user_id = (select auth.uid())
    returning * into marked;
    if not found then
        raise exception using errcode = 'LU300', message = 'notification not found';
    end if;
    return marked;
end;
$$;

comment on function public.mark_notification_read(uuid) is
'Marks one of the caller''s notifications read (again: no change) and returns it; LU300 when it is '
'not theirs or does not exist.';

revoke execute on function public.mark_notification_read(uuid) from public, anon;
grant execute on function public.mark_notification_read(uuid) to authenticated;

create or replace function public.mark_all_notifications_read()
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
    marked integer;
begin
    update public.notifications as n set read_at = now()
    where n.user_id = (select auth.uid()) and n.read_at is null;
    get diagnostics marked = row_count;
    return marked;
end;
$$;

comment on function public.mark_all_notifications_read() is
'Marks all the caller''s unread notifications read; returns how many.';

revoke execute on function public.mark_all_notifications_read() from public, anon;
grant execute on function public.mark_all_notifications_read() to authenticated;

-- == unread_notification_count ====================================================================

create or replace function private.unread_notification_count()
returns integer
language sql
stable
-- definer: reads the private counter
security definer
set search_path = ''
as $$
    select coalesce((select c.unread from private.notification_counts as c where c.user_id = private.require_user()), 0)
$$;

comment on function private.unread_notification_count() is 'The caller''s unread notifications (one row read).';

revoke execute on function private.unread_notification_count() from public, anon;
grant execute on function private.unread_notification_count() to authenticated;

create or replace function public.unread_notification_count()
returns integer
language sql
stable
security invoker
set search_path = ''
as $$
    select private.unread_notification_count()
$$;

comment on function public.unread_notification_count() is
'How many of the caller''s notifications are unread; costs the same at 10 or 100,000.';

revoke execute on function public.unread_notification_count() from public, anon;
grant execute on function public.unread_notification_count() to authenticated;

-- == tg_count_unread_notifications ===============================================================

create or replace function private.tg_count_unread_notifications()
returns trigger
language plpgsql
-- definer: writes the private counters
security definer
set search_path = ''
as $$
begin
    -- per statement, from the transition tables: marking 100,000 read is one update per user
    if tg_op = 'INSERT' then
        insert into private.notification_counts as c (user_id, unread)
        select n.user_id, count(*) from new_rows as n
        where n.read_at is null
        group by n.user_id
        order by n.user_id
        on conflict (user_id) do update set unread = c.unread + excluded.unread;
    elsif tg_op = 'UPDATE' then
        -- a counter exists for every user with a notification (their first insert made it)
        update private.notification_counts as c set unread = greatest(0, c.unread + d.delta)
        from (
            select x.user_id, sum(x.delta) as delta
            from (
                select n.user_id, 1 as delta from new_rows as n where n.read_at is null
                union all
                select o.user_id, -1 as delta from old_rows as o where o.read_at is null
            ) as x
            group by x.user_id
            having sum(x.delta) <> 0
        ) as d
        where c.user_id = d.user_id;
    else
        update private.notification_counts as c set unread = greatest(0, c.unread - d.gone)
        from (
            select o.user_id, count(*) as gone from old_rows as o where o.read_at is null group by o.user_id
        ) as d
        where c.user_id = d.user_id;
    end if;
    return null;
end;
$$;

comment on function private.tg_count_unread_notifications() is
'Trigger function (after each statement on notifications): keeps private.notification_counts.';

revoke execute on function private.tg_count_unread_notifications() from public, anon, authenticated;

-- == tg_wake_notified_user ==========================================================================

create or replace function private.tg_wake_notified_user()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
    -- a hint for servers listening per user (as seed 000 did); the row itself is read through
    -- RLS or Realtime. Ids only: a title and message could pass pg_notify's 8,000-byte limit
    perform pg_catalog.pg_notify(
        'notification_' || new.user_id::text,
        pg_catalog.json_build_object('id', new.id, 'kind', new.kind, 'type', new.type)::text
    );
    return null;
end;
$$;

comment on function private.tg_wake_notified_user() is
'Trigger function (after insert on notifications): pg_notify on notification_<user id> with the id, '
'kind and type (delivered at commit).';

revoke execute on function private.tg_wake_notified_user() from public, anon, authenticated;

-- == triggers =====================================================================================

create or replace trigger _200_notify after insert on private.events
for each row execute function private.tg_notify_event();

create or replace trigger _300_count_unread_inserts after insert on public.notifications
referencing new table as new_rows
for each statement execute function private.tg_count_unread_notifications();

create or replace trigger _300_count_unread_updates after update on public.notifications
referencing old table as old_rows new table as new_rows
for each statement execute function private.tg_count_unread_notifications();

create or replace trigger _300_count_unread_deletes after delete on public.notifications
referencing old table as old_rows
for each statement execute function private.tg_count_unread_notifications();

create or replace trigger _900_wake_user after insert on public.notifications
for each row execute function private.tg_wake_notified_user();

create or replace trigger _200_check before insert or update on public.notification_preferences
for each row execute function private.tg_check_notification_preference();
