-- GDPR: export of the caller's personal data, erasure request, and erasure (service role only).
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Each private function is followed by its public wrapper: a thin security-invoker `language sql`
-- function that PostgREST exposes (POST /rpc/<name>). The checks, and the reason the private
-- function is security definer, are in the private function.
-- Errors (docs/errors.md): LU030 erasure not requested, LU031 only owner of a team with members,
-- LU032 no such user.

-- == export_my_data ==============================================================================

create or replace function private.export_my_data()
returns jsonb
language plpgsql
stable
-- definer: gathers the caller's rows from tables whose policies show them only in part
security definer
set search_path = ''
as $$
declare
    caller uuid := private.require_user();
    caller_email text := (select lower(u.email) from auth.users as u where u.id = caller);
begin
    return jsonb_build_object(
        'exported_at', pg_catalog.now(),
        'account', (
            select jsonb_build_object(
                'id', u.id, 'email', u.email, 'phone', u.phone, 'created_at', u.created_at,
                'last_sign_in_at', u.last_sign_in_at, 'user_metadata', u.raw_user_meta_data
            )
            from auth.users as u where u.id = caller
        ),
        'profile', (select to_jsonb(p) from public.profiles as p where p.id = caller),
        'memberships', coalesce((
            select jsonb_agg(jsonb_build_object(
                'organization_id', m.organization_id, 'organization', o.name, 'role', m.role,
                'status', m.status, 'joined_at', m.joined_at
            ) order by m.joined_at)
            from public.team_members as m inner join public.organizations as o on o.id = m.organization_id
            where m.user_id = caller
        ), '[]'),
        'sessions', coalesce((
            select jsonb_agg(to_jsonb(s) order by s.created_at) from public.user_sessions as s where s.user_id = caller
        ), '[]'),
        'invitations_received', coalesce((
            select jsonb_agg(jsonb_build_object(
                'organization_id', i.organization_id, 'role', i.role, 'status', i.status,
                'created_at', i.created_at, 'responded_at', i.responded_at
            ) order by i.created_at)
            from public.invitations as i where i.email = caller_email
        ), '[]'),
        'invitations_sent', coalesce((
            select jsonb_agg(jsonb_build_object(
                'organization_id', i.organization_id, 'email', i.email, 'role', i.role,
                'status', i.status, 'created_at', i.created_at
            ) order by i.created_at)
            from public.invitations as i where i.invited_by = caller
        ), '[]'),
        'api_keys_created', coalesce((
            select jsonb_agg(jsonb_build_object(
                'organization_id', k.organization_id, 'name', k.name, 'key_prefix', k.key_prefix,
                'created_at', k.created_at, 'revoked_at', k.revoked_at
            ) order by k.created_at)
            from public.api_keys as k where k.created_by = caller
        ), '[]'),
        'orders', coalesce((
            select jsonb_agg(to_jsonb(o) order by o.placed_at)
            from public.orders as o where o.customer_id = caller or lower(o.customer_email) = caller_email
        ), '[]'),
        'invoices', coalesce((
            select jsonb_agg(jsonb_build_object(
                'number', i.number, 'organization_id', i.organization_id, 'amount_due', i.amount_due,
                'currency', i.currency, 'billing_name', i.billing_name, 'billing_email', i.billing_email,
                'billing_address', i.billing_address, 'issued_at', i.issued_at
            ) order by i.issued_at)
            from public.invoices as i where i.billing_user_id = caller or lower(i.billing_email) = caller_email
        ), '[]'),
        'notifications', coalesce((
            select jsonb_agg(jsonb_build_object(
                'kind', n.kind, 'organization_id', n.organization_id, 'title', n.title, 'message', n.message,
                'created_at', n.created_at, 'read_at', n.read_at
            ) order by n.created_at)
            from public.notifications as n where n.user_id = caller
        ), '[]'),
        'notification_preferences', coalesce((
            select jsonb_agg(jsonb_build_object('kind', p.kind, 'channel', p.channel, 'enabled', p.enabled)
                order by p.kind, p.channel)
            from public.notification_preferences as p where p.user_id = caller
        ), '[]'),
        'activity', coalesce((
            select jsonb_agg(jsonb_build_object(
                'at', a.created_at, 'table', a.table_name, 'operation', a.operation,
                'organization_id', a.organization_id, 'ip_address', a.ip_address, 'user_agent', a.user_agent
            ) order by a.id)
            from public.audit_logs as a where a.actor_id = caller
        ), '[]')
    );
end;
$$;

comment on function private.export_my_data() is
'All personal data held about the caller, as one JSON document (GDPR art. 15 and 20).';

revoke execute on function private.export_my_data() from public, anon;
grant execute on function private.export_my_data() to authenticated;

-- the RPC: GET or POST /rpc/export_my_data
create or replace function public.export_my_data()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
    select * from private.export_my_data()
$$;

comment on function public.export_my_data() is
'Everything held about the caller as one JSON document (GET or POST /rpc/export_my_data).';

revoke execute on function public.export_my_data() from public, anon;
grant execute on function public.export_my_data() to authenticated;

-- == request_account_erasure =====================================================================

create or replace function private.request_account_erasure(cancel boolean default false)
returns timestamptz
language plpgsql
-- definer: erasure_requested_at is not writable by the caller directly
security definer
set search_path = ''
as $$
declare
    requested timestamptz;
begin
    if request_account_erasure.cancel is null then
        raise exception using errcode = '22004', message = 'cancel: must be true or false, not null';
    end if;
    update public.profiles as p
    set erasure_requested_at = case when request_account_erasure.cancel then null else pg_catalog.now() end
    where p.id = private.require_user()
    returning p.erasure_requested_at into requested;
    return requested;
end;
$$;

comment on function private.request_account_erasure(boolean) is
'Records (or with cancel, withdraws) the caller''s request to erase their account.';

revoke execute on function private.request_account_erasure(boolean) from public, anon;
grant execute on function private.request_account_erasure(boolean) to authenticated;

-- the RPC: POST /rpc/request_account_erasure
create or replace function public.request_account_erasure(cancel boolean default false)
returns timestamptz
language sql
security invoker
set search_path = ''
as $$
    select * from private.request_account_erasure(request_account_erasure.cancel)
$$;

comment on function public.request_account_erasure(boolean) is
'Asks for the caller''s account to be erased (cancel => true withdraws; null is refused, 22004). '
'Returns the request time or null.';

revoke execute on function public.request_account_erasure(boolean) from public, anon;
grant execute on function public.request_account_erasure(boolean) to authenticated;

-- == erase_account (service role) ================================================================

create or replace function private.erase_account(user_id uuid)
returns jsonb
language plpgsql
-- definer: deletes the auth user and anonymises rows across organisations
security definer
set search_path = ''
as $$
declare
    erased_email text;
    blocking uuid[];
    orgs_deleted integer;
    orders_anonymised integer;
    invoices_anonymised integer;
begin
    select lower(u.email) into erased_email from auth.users as u where u.id = erase_account.user_id;
    if not found then
        raise exception using errcode = 'LU032', message = 'no such user',
            detail = format('user_id=%s', erase_account.user_id);
    end if;
    if not exists (
        select 1 from public.profiles as p
        where p.id = erase_account.user_id and p.erasure_requested_at is not null
    ) then
        raise exception using errcode = 'LU030', message = 'the user has not requested erasure',
            hint = 'The user calls request_account_erasure() first.';
    end if;

    -- organisations the user owns alone: deleted when nobody else is in them, otherwise blocking
    select array_agg(m.organization_id) into blocking
    from public.team_members as m
    where
        m.user_id = erase_account.user_id and m.role = 'owner' and m.status = 'active'
        and not exists (
            select 1 from public.team_members as other
            where other.organization_id = m.organization_id and other.user_id <> m.user_id
            and other.role = 'owner' and other.status = 'active'
        )
        and exists (
            select 1 from public.team_members as other
            where other.organization_id = m.organization_id and other.user_id <> m.user_id
        );
    if blocking is not null then
        raise exception using errcode = 'LU031',
            message = 'the user is the only owner of organisations that have other members',
            detail = format('organization_ids=%s', array_to_string(blocking, ',')),
            hint = 'Transfer ownership of those organisations first.';
    end if;
    with sole as (
        delete from public.organizations as o
        where o.id in (
            select m.organization_id from public.team_members as m
            where m.user_id = erase_account.user_id and m.role = 'owner' and m.status = 'active'
            and not exists (
                select 1 from public.team_members as other
                where other.organization_id = m.organization_id and other.user_id <> m.user_id
            )
        )
        returning 1
    )
    select count(*) into orgs_deleted from sole;

    -- kept for accounting, stripped of the person
    with done as (
        update public.orders as o
        set customer_id = null, customer_email = null, customer_name = null, shipping_address = null
        where o.customer_id = erase_account.user_id or lower(o.customer_email) = erased_email
        returning 1
    )
    select count(*) into orders_anonymised from done;
    with done as (
        update public.invoices as i
        set billing_user_id = null, billing_name = null, billing_email = null, billing_address = null
        where i.billing_user_id = erase_account.user_id or lower(i.billing_email) = erased_email
        returning 1
    )
    select count(*) into invoices_anonymised from done;
    delete from public.invitations as i where i.email = erased_email;

    -- the audit trail keeps what happened, not who it was about
    update public.audit_logs as a set ip_address = null, user_agent = null
    where a.actor_id = erase_account.user_id;
    update public.audit_logs as a
    set
        old_values = a.old_values - array['email', 'billing_name', 'billing_email', 'billing_address'],
        new_values = a.new_values - array['email', 'billing_name', 'billing_email', 'billing_address']
    where
        a.table_name in ('invitations', 'invoices')
        and (
            erased_email in (
                a.old_values ->> 'email', a.new_values ->> 'email',
                lower(a.old_values ->> 'billing_email'), lower(a.new_values ->> 'billing_email')
            )
            or erase_account.user_id::text in (a.old_values ->> 'billing_user_id', a.new_values ->> 'billing_user_id')
        );

    -- emails to the person go, sent or not; then one last one confirms the erasure
    delete from private.email_outbox as e where e.user_id = erase_account.user_id or e.recipient = erased_email;
    if erased_email is not null then
        perform private.enqueue_email(
            'account_erasure_confirmation', erased_email,
            (select p.locale from public.profiles as p where p.id = erase_account.user_id),
            jsonb_build_object('erased_at', pg_catalog.now()),
            'account.erased:' || erase_account.user_id,
            'account.erased'
        );
    end if;

    -- profile, memberships, sessions, notifications and preferences go with the auth user (on
    -- delete cascade)
    delete from auth.users as u where u.id = erase_account.user_id;

    return jsonb_build_object(
        'user_id', erase_account.user_id,
        'organizations_deleted', orgs_deleted,
        'orders_anonymised', orders_anonymised,
        'invoices_anonymised', invoices_anonymised
    );
end;
$$;

comment on function private.erase_account(uuid) is
'Erases a user who asked for it: deletes the account, profile, memberships and sessions, and '
'anonymises the orders and invoices that must be kept; deletes the emails to the person and queues '
'the erasure confirmation. LU030 without a request; LU031 while the '
'user is the only owner of an organisation with other members.';

revoke execute on function private.erase_account(uuid) from public, anon, authenticated;
grant execute on function private.erase_account(uuid) to service_role;

-- the RPC: POST /rpc/erase_account
create or replace function public.erase_account(user_id uuid)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
    select * from private.erase_account(erase_account.user_id)
$$;

comment on function public.erase_account(uuid) is
'Service role: erases a user who asked for it; keeps orders and invoices, anonymised. LU030, LU031.';

revoke execute on function public.erase_account(uuid) from public, anon, authenticated;
grant execute on function public.erase_account(uuid) to service_role;
