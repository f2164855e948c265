-- Members: seats, teammates' public cards, and the invariants of public.team_members,
-- enforced by triggers for every writer (API, RPCs, service role):
--   * only an owner adds, changes or removes an owner row (outside the API, e.g. the service
--     role, anyone may), except the very first owner of a new organisation and a member
--     leaving (deleting their own row);
--   * through the API nobody gives a member a role above their own, or a custom role carrying
--     permissions they do not hold themselves;
--   * an organisation always keeps at least one active owner;
--   * members occupying a seat (pending, active) never exceed organizations.seat_limit.
-- Owner and seat changes lock the organisation row, so concurrent changes are serialised: two
-- acceptances racing for the last seat cannot both win, two owners cannot both step down.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Errors (docs/errors.md): LU005 seat limit, LU010 last active owner, LU011 owner role by an owner only.

-- == seats_used ==================================================================================

create or replace function private.seats_used(organization_id uuid)
returns integer
language sql
stable
security definer
set search_path = ''
as $$
    select count(*)::integer from public.team_members as m
    where m.organization_id = seats_used.organization_id and m.status in ('pending', 'active')
$$;

comment on function private.seats_used(uuid) is 'Members occupying a seat (pending or active).';

revoke execute on function private.seats_used(uuid) from public, anon, authenticated;
grant execute on function private.seats_used(uuid) to service_role;

-- == member_profiles =============================================================================

create or replace function private.member_profiles()
returns table (id uuid, full_name text, avatar_url text, status public.presence_status)
language sql
stable
security definer
set search_path = ''
as $$
    select p.id, p.full_name, p.avatar_url, p.status
    from public.profiles as p
    where p.id in (
        -- members.read, as the team_members policy: active members, aal2 under require_mfa
        select other.user_id
        from public.team_members as other
        where
            other.organization_id = any(private.organizations_with('members.read'))
            and other.status <> 'suspended'
    )
$$;

comment on function private.member_profiles() is
'The public card (name, avatar, presence) of everyone sharing an organisation with the caller, '
'in the organisations where the caller holds members.read (aal2 when the organisation requires MFA).';

revoke execute on function private.member_profiles() from public, anon;
grant execute on function private.member_profiles() to authenticated, service_role;

-- the RPC: GET or POST /rpc/member_profiles
create or replace function public.member_profiles()
returns table (id uuid, full_name text, avatar_url text, status public.presence_status)
language sql
stable
security invoker
set search_path = ''
as $$
    select * from private.member_profiles()
$$;

comment on function public.member_profiles() is
'Name, avatar and presence of everyone sharing an organisation with the caller (GET /rpc/member_profiles).';

revoke execute on function public.member_profiles() from public, anon;
grant execute on function public.member_profiles() to authenticated;

-- == tg_guard_team_members: who may write which member row =======================================

create or replace function private.tg_guard_team_members()
returns trigger
language plpgsql
-- definer: counts and locks rows the caller's policies may hide
security definer
set search_path = ''
as $$
declare
    org_id uuid := case when tg_op = 'DELETE' then old.organization_id else new.organization_id end;
    actor uuid := (select auth.uid());
    touches_owner boolean :=
        (tg_op <> 'INSERT' and old.role = 'owner') or (tg_op <> 'DELETE' and new.role = 'owner');
    takes_seat boolean :=
        tg_op <> 'DELETE' and new.status in ('pending', 'active')
        and (tg_op = 'INSERT' or old.status = 'suspended' or old.organization_id <> new.organization_id);
    limit_seats integer;
begin
    if tg_op = 'UPDATE' and actor is not null then
        -- (the owner role has its own rule, below)
        if new.role > old.role and new.role <> 'owner' and new.role > coalesce((
            select m.role from public.team_members as m
            where m.organization_id = org_id and m.user_id = actor and m.status = 'active'
        ), 'viewer') then
            raise exception using
                errcode = '42501',
                message = format('you cannot make a member %s: that is above your own role', new.role),
                detail = format('organization_id=%s', org_id);
        end if;
        if new.custom_role_id is distinct from old.custom_role_id
            and not private.holds_role_permissions(org_id, new.custom_role_id) then
            raise exception using
                errcode = '42501',
                message = 'the custom role carries permissions you do not hold',
                detail = format('organization_id=%s', org_id);
        end if;
    end if;

    if not (touches_owner or takes_seat) then
        return case when tg_op = 'DELETE' then old else new end;
    end if;

    select o.seat_limit into limit_seats from public.organizations as o where o.id = org_id for update;
    if not found then
        -- the organisation is being deleted (cascade): nothing left to protect
        return case when tg_op = 'DELETE' then old else new end;
    end if;

    if touches_owner and actor is not null and not (tg_op = 'DELETE' and old.user_id = actor) and not exists (
        select 1 from public.team_members as m
        where m.organization_id = org_id and m.user_id = actor and m.role = 'owner' and m.status = 'active'
    ) and not (
        tg_op = 'INSERT' and not exists (select 1 from public.team_members as m where m.organization_id = org_id)
    ) then
        raise exception using
            errcode = 'LU011',
            message = 'only an owner can grant, change or remove the owner role',
            detail = format('organization_id=%s', org_id),
            hint = 'Ask an owner, or have an owner call transfer_ownership().';
    end if;

    if takes_seat and private.seats_used(org_id) >= limit_seats then
        raise exception using
            errcode = 'LU005',
            message = 'seat limit reached',
            detail = format('organization_id=%s seat_limit=%s', org_id, limit_seats),
            hint = 'Remove or suspend a member, or upgrade the plan.';
    end if;

    return case when tg_op = 'DELETE' then old else new end;
end;
$$;

comment on function private.tg_guard_team_members() is
'Trigger function (before): owner rows change only by an owner (LU011); nobody grants above their own '
'role or permissions (42501); seats never exceed the limit (LU005).';

revoke execute on function private.tg_guard_team_members() from public, anon, authenticated;

-- == tg_keep_an_owner ============================================================================

create or replace function private.tg_keep_an_owner()
returns trigger
language plpgsql
-- definer: must see every member of the organisation, whatever the caller's policies show
security definer
set search_path = ''
as $$
begin
    if exists (select 1 from public.organizations as o where o.id = old.organization_id)
        and not exists (
            select 1 from public.team_members as m
            where m.organization_id = old.organization_id and m.role = 'owner' and m.status = 'active'
        ) then
        raise exception using
            errcode = 'LU010',
            message = 'an organisation must keep an active owner',
            detail = format('organization_id=%s', old.organization_id),
            hint = 'Transfer ownership to an admin first (transfer_ownership), or delete the organisation.';
    end if;
    return null;
end;
$$;

comment on function private.tg_keep_an_owner() is
'Trigger function (after): refuses a change that leaves an organisation without an active owner (LU010).';

revoke execute on function private.tg_keep_an_owner() from public, anon, authenticated;

-- == tg_emit_member_events: member.joined, member.role_changed, member.removed ===================

create or replace function private.tg_emit_member_events()
returns trigger
language plpgsql
-- definer: writes the event outbox
security definer
set search_path = ''
as $$
begin
    if tg_op = 'DELETE' then
        -- an organisation being deleted takes its members along: nobody is left to tell
        if exists (select from public.organizations as o where o.id = old.organization_id) then
            perform private.emit_event('member.removed', old.organization_id, jsonb_build_object('member', to_jsonb(old)));
        end if;
    elsif new.status = 'active' and (tg_op = 'INSERT' or old.status <> 'active') then
        perform private.emit_event('member.joined', new.organization_id, jsonb_build_object('member', to_jsonb(new)));
    elsif tg_op = 'UPDATE' and (old.role, old.custom_role_id) is distinct from (new.role, new.custom_role_id) then
        perform private.emit_event(
            'member.role_changed', new.organization_id,
            jsonb_build_object(
                'member', to_jsonb(new), 'previous_role', old.role, 'previous_custom_role_id', old.custom_role_id
            )
        );
    end if;
    return null;
end;
$$;

comment on function private.tg_emit_member_events() is
'Trigger function (after insert, update, delete): member.joined when a membership becomes active, '
'member.role_changed, member.removed (not when the organisation itself is deleted) (docs/events.md).';

revoke execute on function private.tg_emit_member_events() from public, anon, authenticated;

-- == triggers on public.team_members =============================================================

create or replace trigger _100_set_updated_at before update on public.team_members
for each row execute function private.tg_set_updated_at();

create or replace trigger _200_guard before insert or update or delete on public.team_members
for each row execute function private.tg_guard_team_members();

create or replace trigger _300_keep_an_owner after update or delete on public.team_members
for each row when (old.role = 'owner') execute function private.tg_keep_an_owner();

create or replace trigger _500_audit after insert or update or delete on public.team_members
for each row execute function private.tg_audit();

create or replace trigger _900_emit_events after insert or update or delete on public.team_members
for each row execute function private.tg_emit_member_events();
