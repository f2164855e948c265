-- Permission helpers used by RLS policies and RPCs.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Policies call `organization_id = any ((select private.organizations_with('<permission>'))::uuid[])`: the
-- wrapped call runs once per statement (an InitPlan), not once per row, and the comparison
-- stays index-friendly. RPCs call private.has_permission(organization_id, permission).
-- Both are security definer so that they can read team_members whatever its own policies say.

create or replace function private.require_user()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
    caller uuid := (select auth.uid());
begin
    if caller is null then
        raise exception using
            errcode = '42501',
            message = 'sign in first',
            hint = 'This call needs an authenticated user.';
    end if;
    return caller;
end;
$$;

comment on function private.require_user() is
'The caller''s user id; raises 42501 (HTTP 401 for anon) when nobody is signed in.';

revoke execute on function private.require_user() from public;
grant execute on function private.require_user() to anon, authenticated, service_role;

create or replace function private.organizations_with(permission text)
returns uuid[]
-- plpgsql, not sql: its plan is cached per session, and policies call it once per statement
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = 'force_generic_plan'
as $$
begin
    return coalesce((
        select array_agg(m.organization_id)
        from public.team_members as m
        inner join public.organizations as o on o.id = m.organization_id
        inner join private.permissions as p on p.name = organizations_with.permission
        left join public.team_roles as r on r.id = m.custom_role_id
        where
            m.user_id = (select auth.uid())
            and m.status = 'active'
            and (
                not (o.require_mfa and p.requires_mfa)
                or coalesce((select auth.jwt()) ->> 'aal', '') = 'aal2'
            )
            and (
                exists (
                    select 1 from private.role_permissions as rp
                    where rp.role = m.role and rp.permission = p.name
                )
                or (p.name = any(r.permissions) and not p.owner_only)
            )
    ), '{}');
end;
$$;

comment on function private.organizations_with(text) is
'Organisations in which the caller is an active member holding the permission (from the built-in '
'role or a custom role), with aal2 when the organisation requires MFA and the permission needs it.';

revoke execute on function private.organizations_with(text) from public, anon;
grant execute on function private.organizations_with(text) to authenticated, service_role;

create or replace function private.has_permission(organization_id uuid, permission text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select has_permission.organization_id = any(private.organizations_with(has_permission.permission))
$$;

comment on function private.has_permission(uuid, text) is
'True when the caller holds the permission in the organisation (see private.organizations_with).';

revoke execute on function private.has_permission(uuid, text) from public, anon;
grant execute on function private.has_permission(uuid, text) to authenticated, service_role;

create or replace function private.require_permission(organization_id uuid, permission text)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform private.require_user();
    if not private.has_permission(require_permission.organization_id, require_permission.permission) then
        raise exception using
            errcode = '42501',
            message = format('permission %s is required in this organisation', require_permission.permission),
            detail = format('organization_id=%s', require_permission.organization_id),
            hint = 'Ask an admin of the organisation; with require_mfa, sign in with a second factor (aal2).';
    end if;
end;
$$;

comment on function private.require_permission(uuid, text) is
'Raises 42501 (HTTP 403) unless the caller holds the permission in the organisation.';

revoke execute on function private.require_permission(uuid, text) from public, anon;
grant execute on function private.require_permission(uuid, text) to authenticated, service_role;

create or replace function private.holds_role_permissions(organization_id uuid, custom_role_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select not exists (
        select 1 from public.team_roles as r cross join lateral unnest(r.permissions) as p (name)
        where
            r.id = holds_role_permissions.custom_role_id
            and not private.has_permission(holds_role_permissions.organization_id, p.name)
    )
$$;

comment on function private.holds_role_permissions(uuid, uuid) is
'True when the caller holds every permission the custom role carries (or there is no such role): '
'nobody hands out a custom role above themselves.';

revoke execute on function private.holds_role_permissions(uuid, uuid) from public, anon;
grant execute on function private.holds_role_permissions(uuid, uuid) to authenticated, service_role;

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
        select other.user_id
        from public.team_members as mine
        inner join public.team_members as other on other.organization_id = mine.organization_id
        where mine.user_id = (select auth.uid()) and mine.status = 'active' and other.status <> 'suspended'
    )
$$;

comment on function private.member_profiles() is
'The public card (name, avatar, presence) of everyone sharing an organisation with the caller.';

revoke execute on function private.member_profiles() from public, anon;
grant execute on function private.member_profiles() to authenticated, service_role;

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

revoke execute on function private.seats_used(uuid) from public, anon;
grant execute on function private.seats_used(uuid) to authenticated, service_role;
