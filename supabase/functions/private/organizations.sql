-- Organisation lifecycle: create (caller becomes owner), transfer ownership, leave.
-- Called through the public wrappers in supabase/functions/public/organizations.sql.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

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
