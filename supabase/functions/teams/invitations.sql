-- Invitations: create (token returned once), accept, decline, revoke, resend, expire; and the
-- triggers on public.invitations.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Each private function is followed by its public wrapper: a thin security-invoker `language sql`
-- function that PostgREST exposes (POST /rpc/<name>). The checks, and the reason the private
-- function is security definer, are in the private function.
--
-- Errors (stable, registered in docs/errors.md):
--   LU001 invitation not found   LU002 expired        LU003 revoked        LU004 wrong email
--   LU005 seat limit reached      LU006 already answered (accepted by someone else or declined)
--   LU007 already a member        LU008 already invited (use resend)

-- == token and state checks ======================================================================

create or replace function private.invitation_for_token(token text)
returns public.invitations
language plpgsql
-- definer: reads the token hashes
security definer
set search_path = ''
as $$
declare
    found_invitation public.invitations;
begin
    -- the token create_invitation() or resend_invitation() returned, or the one in the email
    select i.* into found_invitation
    from public.invitations as i
    where i.id = (
        select t.invitation_id from private.invitation_tokens as t
        where t.token_hash = private.hash_token(invitation_for_token.token)
        union all
        select t.invitation_id from private.invitation_email_tokens as t
        where t.token_hash = private.hash_token(invitation_for_token.token)
        limit 1
    )
    for update;
    if not found then
        raise exception using
            errcode = 'LU001',
            message = 'invitation not found',
            hint = 'The link may be mistyped or replaced by a newer one; ask for a new invitation.';
    end if;
    return found_invitation;
end;
$$;

comment on function private.invitation_for_token(text) is
'The invitation a token belongs to, locked for update; LU001 when there is none.';

revoke execute on function private.invitation_for_token(text) from public, anon, authenticated;

create or replace function private.check_invitation_open(invitation public.invitations)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    if invitation.status = 'revoked' then
        raise exception using errcode = 'LU003', message = 'this invitation was revoked',
            hint = 'Ask an admin of the organisation for a new invitation.';
    elsif invitation.status in ('accepted', 'declined') then
        raise exception using errcode = 'LU006', message = format('this invitation was already %s', invitation.status);
    elsif invitation.status = 'expired' or invitation.expires_at <= pg_catalog.now() then
        raise exception using errcode = 'LU002', message = 'this invitation has expired',
            detail = format('expired at %s', invitation.expires_at),
            hint = 'Ask an admin of the organisation to resend it.';
    end if;
end;
$$;

comment on function private.check_invitation_open(public.invitations) is
'Raises LU003 (revoked), LU006 (already answered) or LU002 (expired) unless the invitation is open.';

revoke execute on function private.check_invitation_open(public.invitations) from public, anon, authenticated;

create or replace function private.check_invitation_email(invitation public.invitations, user_id uuid)
returns void
language plpgsql
stable
-- definer: reads the caller's address from auth.users, the source of truth
security definer
set search_path = ''
as $$
begin
    if not exists (
        select 1 from auth.users as u
        where u.id = check_invitation_email.user_id and lower(u.email) = invitation.email
    ) then
        raise exception using
            errcode = 'LU004',
            message = 'this invitation was sent to another email address',
            hint = 'Sign in with the invited address, or ask for an invitation to yours.';
    end if;
end;
$$;

comment on function private.check_invitation_email(public.invitations, uuid) is
'Raises LU004 unless the user''s email is the invited address.';

revoke execute on function private.check_invitation_email(public.invitations, uuid) from public, anon, authenticated;

-- == create_invitation ===========================================================================

create or replace function private.create_invitation(
    organization_id uuid, email text, role public.team_role, custom_role_id uuid
)
returns jsonb
language plpgsql
-- definer: writes the invitation and its token hash, which the caller cannot write directly
security definer
set search_path = ''
as $$
declare
    caller uuid := private.require_user();
    invited_email text := lower(btrim(create_invitation.email));
    caller_role public.team_role;
    token text := private.new_token('luneo_inv_');
    created public.invitations;
begin
    perform private.require_permission(create_invitation.organization_id, 'invitations.manage');
    -- the shape and bounds of invitations.email (22001, 22023), before anything reads the address
    perform private.check_email(invited_email, 'email');
    select m.role into caller_role from public.team_members as m
    where m.organization_id = create_invitation.organization_id and m.user_id = caller;
    if create_invitation.role = 'owner' then
        raise exception using errcode = '22023', message = 'nobody is invited as owner',
            hint = 'Invite them as admin, then transfer ownership.';
    elsif create_invitation.role > caller_role then
        raise exception using errcode = '42501',
            message = format('a %s cannot invite a %s', caller_role, create_invitation.role);
    end if;
    if not private.holds_role_permissions(create_invitation.organization_id, create_invitation.custom_role_id) then
        raise exception using errcode = '42501',
            message = 'the custom role carries permissions you do not hold',
            hint = 'Only hand out custom roles whose permissions you have yourself.';
    end if;
    if exists (
        select 1 from public.team_members as m
        inner join auth.users as u on u.id = m.user_id
        where m.organization_id = create_invitation.organization_id and lower(u.email) = invited_email
    ) then
        raise exception using errcode = 'LU007', message = format('%s is already a member', invited_email);
    end if;
    if private.seats_used(create_invitation.organization_id) >= (
        select o.seat_limit from public.organizations as o where o.id = create_invitation.organization_id
    ) then
        raise exception using errcode = 'LU005', message = 'seat limit reached',
            hint = 'Remove or suspend a member, or upgrade the plan.';
    end if;
    begin
        insert into public.invitations (organization_id, email, role, custom_role_id, invited_by)
        values (create_invitation.organization_id, invited_email, create_invitation.role,
            create_invitation.custom_role_id, caller)
        returning * into created;
    exception when unique_violation then
        raise exception using errcode = 'LU008',
            message = format('%s already has a pending invitation', invited_email),
            hint = 'Use resend_invitation to send a new link.';
    end;
    insert into private.invitation_tokens (invitation_id, token_hash) values (created.id, private.hash_token(token));
    return jsonb_build_object('invitation', to_jsonb(created), 'token', token);
end;
$$;

comment on function private.create_invitation(uuid, text, public.team_role, uuid) is
'Invites an address into the organisation (invitations.manage); returns the invitation and its token, once.';

revoke execute on function private.create_invitation(uuid, text, public.team_role, uuid) from public, anon;
grant execute on function private.create_invitation(uuid, text, public.team_role, uuid) to authenticated;

-- the RPC: POST /rpc/create_invitation
create or replace function public.create_invitation(
    organization_id uuid,
    email text,
    role public.team_role default 'viewer',
    custom_role_id uuid default null
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
    select * from private.create_invitation(create_invitation.organization_id, create_invitation.email, create_invitation.role, create_invitation.custom_role_id)
$$;

comment on function public.create_invitation(uuid, text, public.team_role, uuid) is
'Invites an address (invitations.manage). Returns {invitation, token}: the token is shown only here.';

revoke execute on function public.create_invitation(uuid, text, public.team_role, uuid) from public, anon;
grant execute on function public.create_invitation(uuid, text, public.team_role, uuid) to authenticated;

-- == accept_invitation ===========================================================================

create or replace function private.accept_invitation(token text)
returns public.team_members
language plpgsql
-- definer: reads the token hash and inserts the membership the caller cannot insert directly
security definer
set search_path = ''
as $$
declare
    caller uuid := private.require_user();
    invitation public.invitations := private.invitation_for_token(accept_invitation.token);
    membership public.team_members;
begin
    -- idempotent: accepting again returns the membership
    if invitation.status = 'accepted' and invitation.accepted_by = caller then
        select * into membership from public.team_members as m
        where m.organization_id = invitation.organization_id and m.user_id = caller;
        if found then
            return membership;
        end if;
    end if;
    perform private.check_invitation_open(invitation);
    perform private.check_invitation_email(invitation, caller);

    select * into membership from public.team_members as m
    where m.organization_id = invitation.organization_id and m.user_id = caller
    for update;
    if found and membership.status = 'suspended' then
        raise exception using errcode = '42501', message = 'your membership of this organisation is suspended',
            hint = 'Ask an admin of the organisation to reinstate you.';
    elsif found and membership.status = 'pending' then
        update public.team_members as m set status = 'active'
        where m.id = membership.id
        returning * into membership;
    elsif not found then
        -- the guard trigger enforces the seat limit here (LU005), serialised on the organisation row
        insert into public.team_members (organization_id, user_id, role, custom_role_id, status, invited_by)
        values (invitation.organization_id, caller, invitation.role, invitation.custom_role_id, 'active',
            invitation.invited_by)
        returning * into membership;
    end if;

    update public.invitations as i
    set status = 'accepted', accepted_by = caller, responded_at = pg_catalog.now()
    where i.id = invitation.id;
    return membership;
end;
$$;

comment on function private.accept_invitation(text) is
'Joins the organisation with the invitation''s role; idempotent for an already-active member.';

revoke execute on function private.accept_invitation(text) from public, anon;
grant execute on function private.accept_invitation(text) to authenticated;

-- the RPC: POST /rpc/accept_invitation
create or replace function public.accept_invitation(token text)
returns public.team_members
language sql
security invoker
set search_path = ''
as $$
    select * from private.accept_invitation(accept_invitation.token)
$$;

comment on function public.accept_invitation(text) is
'Joins with the invitation''s role; the caller''s email must match. Idempotent once accepted.';

revoke execute on function public.accept_invitation(text) from public, anon;
grant execute on function public.accept_invitation(text) to authenticated;

-- == decline_invitation ==========================================================================

create or replace function private.decline_invitation(token text)
returns void
language plpgsql
-- definer: reads the token hash and updates an invitation the invitee cannot update directly
security definer
set search_path = ''
as $$
declare
    caller uuid := private.require_user();
    invitation public.invitations := private.invitation_for_token(decline_invitation.token);
begin
    perform private.check_invitation_open(invitation);
    perform private.check_invitation_email(invitation, caller);
    update public.invitations as i
    set status = 'declined', responded_at = pg_catalog.now()
    where i.id = invitation.id;
end;
$$;

comment on function private.decline_invitation(text) is 'The invitee turns the invitation down.';

revoke execute on function private.decline_invitation(text) from public, anon;
grant execute on function private.decline_invitation(text) to authenticated;

-- the RPC: POST /rpc/decline_invitation
create or replace function public.decline_invitation(token text)
returns void
language sql
security invoker
set search_path = ''
as $$
    select * from private.decline_invitation(decline_invitation.token)
$$;

comment on function public.decline_invitation(text) is
'The invitee turns the invitation down.';

revoke execute on function public.decline_invitation(text) from public, anon;
grant execute on function public.decline_invitation(text) to authenticated;

-- == managed_invitation: an invitation the caller may manage =====================================

create or replace function private.managed_invitation(invitation_id uuid)
returns public.invitations
language plpgsql
-- definer: locks the invitation whatever the caller's policies show, then checks the permission
security definer
set search_path = ''
as $$
declare
    invitation public.invitations;
begin
    perform private.require_user();
    select * into invitation from public.invitations as i where i.id = managed_invitation.invitation_id for update;
    if not found or not private.has_permission(invitation.organization_id, 'invitations.manage') then
        raise exception using errcode = 'LU001', message = 'invitation not found',
            detail = format('invitation_id=%s', managed_invitation.invitation_id);
    end if;
    return invitation;
end;
$$;

comment on function private.managed_invitation(uuid) is
'The invitation, locked, if the caller may manage it; LU001 otherwise (no existence leak).';

revoke execute on function private.managed_invitation(uuid) from public, anon, authenticated;

-- == revoke_invitation ===========================================================================

create or replace function private.revoke_invitation(invitation_id uuid)
returns public.invitations
language plpgsql
-- definer: updates an invitation the caller cannot update directly (its token then answers LU003)
security definer
set search_path = ''
as $$
declare
    invitation public.invitations := private.managed_invitation(revoke_invitation.invitation_id);
begin
    if invitation.status in ('accepted', 'declined') then
        raise exception using errcode = 'LU006', message = format('this invitation was already %s', invitation.status);
    end if;
    update public.invitations as i set status = 'revoked', responded_at = pg_catalog.now()
    where i.id = invitation.id
    returning * into invitation;
    return invitation;
end;
$$;

comment on function private.revoke_invitation(uuid) is
'Revokes a pending or expired invitation; its token stops working (LU003).';

revoke execute on function private.revoke_invitation(uuid) from public, anon;
grant execute on function private.revoke_invitation(uuid) to authenticated;

-- the RPC: POST /rpc/revoke_invitation
create or replace function public.revoke_invitation(invitation_id uuid)
returns public.invitations
language sql
security invoker
set search_path = ''
as $$
    select * from private.revoke_invitation(revoke_invitation.invitation_id)
$$;

comment on function public.revoke_invitation(uuid) is
'Revokes an invitation (invitations.manage): its token stops working.';

revoke execute on function public.revoke_invitation(uuid) from public, anon;
grant execute on function public.revoke_invitation(uuid) to authenticated;

-- == resend_invitation ===========================================================================

create or replace function private.resend_invitation(invitation_id uuid)
returns jsonb
language plpgsql
-- definer: replaces the token hash
security definer
set search_path = ''
as $$
declare
    invitation public.invitations := private.managed_invitation(resend_invitation.invitation_id);
    token text := private.new_token('luneo_inv_');
begin
    if invitation.status = 'revoked' then
        raise exception using errcode = 'LU003', message = 'this invitation was revoked',
            hint = 'Create a new invitation instead.';
    elsif invitation.status in ('accepted', 'declined') then
        raise exception using errcode = 'LU006', message = format('this invitation was already %s', invitation.status);
    end if;
    begin
        update public.invitations as i
        set status = 'pending', expires_at = pg_catalog.now() + interval '7 days'
        where i.id = invitation.id
        returning * into invitation;
    exception when unique_violation then
        raise exception using errcode = 'LU008',
            message = format('%s already has a pending invitation', invitation.email);
    end;
    update private.invitation_tokens as t set token_hash = private.hash_token(token)
    where t.invitation_id = invitation.id;
    -- the emailed link stops working too, and a new email goes out
    delete from private.invitation_email_tokens as t where t.invitation_id = invitation.id;
    perform private.enqueue_invitation_email(invitation.id, 'resend:' || private.hash_token(token)::text);
    return jsonb_build_object('invitation', to_jsonb(invitation), 'token', token);
end;
$$;

comment on function private.resend_invitation(uuid) is
'Issues a new token (the old one and the emailed one stop working), a new 7-day expiry and a new '
'invitation email; returns the token once.';

revoke execute on function private.resend_invitation(uuid) from public, anon;
grant execute on function private.resend_invitation(uuid) to authenticated;

-- the RPC: POST /rpc/resend_invitation
create or replace function public.resend_invitation(invitation_id uuid)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
    select * from private.resend_invitation(resend_invitation.invitation_id)
$$;

comment on function public.resend_invitation(uuid) is
'New token, 7-day expiry and invitation email for a pending or expired invitation. Returns {invitation, token}.';

revoke execute on function public.resend_invitation(uuid) from public, anon;
grant execute on function public.resend_invitation(uuid) to authenticated;

-- == expire_invitations (maintenance) ============================================================

create or replace function private.expire_invitations()
returns integer
language sql
-- definer: maintenance, run by the worker or the service role
security definer
set search_path = ''
as $$
    with expired as (
        update public.invitations as i set status = 'expired'
        where i.status = 'pending' and i.expires_at <= pg_catalog.now()
        returning 1
    )
    select count(*)::integer from expired
$$;

comment on function private.expire_invitations() is
'Maintenance: marks overdue pending invitations expired; returns how many.';

revoke execute on function private.expire_invitations() from public, anon, authenticated;
grant execute on function private.expire_invitations() to service_role;

-- == tg_emit_invitation: member.invited ==========================================================

create or replace function private.tg_emit_invitation()
returns trigger
language plpgsql
-- definer: writes the event outbox
security definer
set search_path = ''
as $$
begin
    -- the token is not in the row (only its hash, in private): nothing secret goes out
    perform private.emit_event('member.invited', new.organization_id, jsonb_build_object('invitation', to_jsonb(new)));
    return null;
end;
$$;

comment on function private.tg_emit_invitation() is 'Trigger function (after insert): member.invited (docs/events.md).';

revoke execute on function private.tg_emit_invitation() from public, anon, authenticated;

-- == triggers on public.invitations ==============================================================

create or replace trigger _100_set_updated_at before update on public.invitations
for each row execute function private.tg_set_updated_at();

create or replace trigger _500_audit after insert or update or delete on public.invitations
for each row execute function private.tg_audit();

create or replace trigger _900_emit_invited after insert on public.invitations
for each row execute function private.tg_emit_invitation();
