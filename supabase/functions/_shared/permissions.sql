-- Permission helpers: who the caller is, and what they may do in an organisation. Generic: the
-- RLS policies (policies/**) and the RPCs of every feature call them.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Policies call `organization_id = any((select private.organizations_with('<permission>'))::uuid[])`:
-- the wrapped call runs once per statement (an InitPlan), not once per row, and the comparison
-- stays index-friendly. RPCs call private.require_permission(organization_id, permission), or
-- private.has_permission() to filter. These are security definer so that they can read
-- team_members whatever its own policies say.

-- == require_user: the signed-in caller ==========================================================

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

-- == organizations_with: the organisations where the caller holds a permission ===================

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

-- == has_permission, require_permission: one organisation ========================================

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

-- == holds_role_permissions: nobody hands out a custom role above themselves =====================

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
