-- Organisation lifecycle: create (caller becomes owner), transfer ownership, leave; and the
-- triggers on public.organizations.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Each private function is followed by its public wrapper: a thin security-invoker `language sql`
-- function that PostgREST exposes (POST /rpc/<name>). The checks, and the reason the private
-- function is security definer, are in the private function.
-- Errors (docs/errors.md): LU009 not a member, LU012 new owner not an active admin, LU013
-- require_mfa changed without aal2; leaving or handing over also meets the member guards of
-- teams/members.sql (LU010, LU011).

-- == create_organization =========================================================================

create or replace function private.create_organization(name text, slug text)
returns public.organizations
language plpgsql
-- definer: inserts the organisation and its first owner, which the caller cannot insert directly
security definer
set search_path = ''
as $$
declare
    caller uuid := private.require_user();
    created public.organizations;
begin
    begin
        insert into public.organizations (name, slug, created_by)
        values (btrim(create_organization.name), lower(btrim(create_organization.slug)), caller)
        returning * into created;
    exception when unique_violation then
        raise exception using
            errcode = '23505',
            message = format('the slug "%s" is already taken', lower(btrim(create_organization.slug))),
            hint = 'Choose another slug.';
    end;
    insert into public.team_members (organization_id, user_id, role, status)
    values (created.id, caller, 'owner', 'active');
    return created;
end;
$$;

comment on function private.create_organization(text, text) is
'Creates an organisation and makes the caller its owner.';

revoke execute on function private.create_organization(text, text) from public, anon;
grant execute on function private.create_organization(text, text) to authenticated;

-- the RPC: POST /rpc/create_organization
create or replace function public.create_organization(name text, slug text)
returns public.organizations
language sql
security invoker
set search_path = ''
as $$
    select * from private.create_organization(create_organization.name, create_organization.slug)
$$;

comment on function public.create_organization(text, text) is
'Creates an organisation and makes the caller its owner. 23505 (HTTP 409) when the slug is taken.';

revoke execute on function public.create_organization(text, text) from public, anon;
grant execute on function public.create_organization(text, text) to authenticated;

-- == transfer_ownership ==========================================================================

create or replace function private.transfer_ownership(organization_id uuid, new_owner_id uuid)
returns public.team_members
language plpgsql
-- definer: changes two membership rows the caller's column grants do not cover together
security definer
set search_path = ''
as $$
declare
    caller uuid := private.require_user();
    promoted public.team_members;
begin
    perform private.require_permission(transfer_ownership.organization_id, 'ownership.transfer');
    update public.team_members as m
    set role = 'owner'
    where
        m.organization_id = transfer_ownership.organization_id
        and m.user_id = transfer_ownership.new_owner_id
        and m.user_id <> caller
        and m.role = 'admin'
        and m.status = 'active'
    returning * into promoted;
    if not found then
        raise exception using
            errcode = 'LU012',
            message = 'the new owner must be another active admin of the organisation',
            detail = format('organization_id=%s new_owner_id=%s', transfer_ownership.organization_id,
                transfer_ownership.new_owner_id),
            hint = 'Make them admin first.';
    end if;
    update public.team_members as m
    set role = 'admin'
    where m.organization_id = transfer_ownership.organization_id and m.user_id = caller;
    return promoted;
end;
$$;

comment on function private.transfer_ownership(uuid, uuid) is
'The calling owner hands ownership to an active admin and becomes admin.';

revoke execute on function private.transfer_ownership(uuid, uuid) from public, anon;
grant execute on function private.transfer_ownership(uuid, uuid) to authenticated;

-- the RPC: POST /rpc/transfer_ownership
create or replace function public.transfer_ownership(organization_id uuid, new_owner_id uuid)
returns public.team_members
language sql
security invoker
set search_path = ''
as $$
    select * from private.transfer_ownership(transfer_ownership.organization_id, transfer_ownership.new_owner_id)
$$;

comment on function public.transfer_ownership(uuid, uuid) is
'The calling owner makes an active admin owner and becomes admin. LU012 if the target is not an active admin.';

revoke execute on function public.transfer_ownership(uuid, uuid) from public, anon;
grant execute on function public.transfer_ownership(uuid, uuid) to authenticated;

-- == leave_organization ==========================================================================

create or replace function private.leave_organization(organization_id uuid)
returns void
language plpgsql
-- definer: the caller may lack members.read (MFA) yet must always be able to leave
security definer
set search_path = ''
as $$
declare
    caller uuid := private.require_user();
begin
    delete from public.team_members as m
    where m.organization_id = leave_organization.organization_id and m.user_id = caller;
    if not found then
        raise exception using
            errcode = 'LU009',
            message = 'you are not a member of this organisation',
            detail = format('organization_id=%s', leave_organization.organization_id);
    end if;
end;
$$;

comment on function private.leave_organization(uuid) is
'Removes the caller from the organisation; the last owner cannot leave (LU010).';

revoke execute on function private.leave_organization(uuid) from public, anon;
grant execute on function private.leave_organization(uuid) to authenticated;

-- the RPC: POST /rpc/leave_organization
create or replace function public.leave_organization(organization_id uuid)
returns void
language sql
security invoker
set search_path = ''
as $$
    select * from private.leave_organization(leave_organization.organization_id)
$$;

comment on function public.leave_organization(uuid) is
'Removes the caller from the organisation. LU010 for its last owner, LU009 when not a member.';

revoke execute on function public.leave_organization(uuid) from public, anon;
grant execute on function public.leave_organization(uuid) to authenticated;

-- == tg_guard_require_mfa ========================================================================

create or replace function private.tg_guard_require_mfa()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    -- switched off at aal1, the rule would no longer protect anything; switched on at aal1, the
    -- caller would lock themselves out of what it protects: either way, prove a second factor
    if (select auth.uid()) is not null
        and coalesce((select auth.jwt()) ->> 'aal', '') <> 'aal2' then
        raise exception using
            errcode = 'LU013',
            message = format('turning require_mfa %s needs a session with a second factor (aal2)',
                case when new.require_mfa then 'on' else 'off' end),
            detail = format('organization_id=%s', new.id),
            hint = 'Verify a second factor (supabase.auth.mfa.challengeAndVerify), then retry.';
    end if;
    return new;
end;
$$;

comment on function private.tg_guard_require_mfa() is
'Trigger function (before update of require_mfa): an API caller changes it only with aal2 (LU013).';

revoke execute on function private.tg_guard_require_mfa() from public, anon, authenticated;

-- == triggers on public.organizations ============================================================

create or replace trigger _100_set_updated_at before update on public.organizations
for each row execute function private.tg_set_updated_at();

create or replace trigger _200_guard_require_mfa before update of require_mfa on public.organizations
for each row when (old.require_mfa is distinct from new.require_mfa)
execute function private.tg_guard_require_mfa();

-- argument 'id': an organisation's audit rows carry its own id as organization_id
create or replace trigger _500_audit after insert or update or delete on public.organizations
for each row execute function private.tg_audit('id');
