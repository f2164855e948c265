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

-- called only from security definer functions, which run as their owner: no API role needs it
revoke execute on function private.require_user() from public, anon, authenticated;
grant execute on function private.require_user() to service_role;

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

-- == members_with: who holds a permission in an organisation ======================================

create or replace function private.members_with(organization_id uuid, permission text)
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
    -- the same rule as organizations_with, seen from the organisation: active members whose
    -- built-in role carries the permission, or whose custom role grants it (never owner_only ones).
    -- No session here, so no aal2 rule: this says who is told (notifications), not who may act
    select m.user_id
    from public.team_members as m
    inner join private.permissions as p on p.name = members_with.permission
    left join public.team_roles as r on r.id = m.custom_role_id
    where
        m.organization_id = members_with.organization_id
        and m.status = 'active'
        and (
            exists (
                select 1 from private.role_permissions as rp
                where rp.role = m.role and rp.permission = p.name
            )
            or (p.name = any(r.permissions) and not p.owner_only)
        )
$$;

comment on function private.members_with(uuid, text) is
'Active members of the organisation holding the permission through their built-in or custom role '
'(the audience of a notification; MFA is a rule for acting, not for being told).';

revoke execute on function private.members_with(uuid, text) from public, anon, authenticated;
grant execute on function private.members_with(uuid, text) to service_role;

-- == has_permission, require_permission: one organisation ========================================

create or replace function private.has_permission(organization_id uuid, permission text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    -- false, never null, for a null organisation: `not has_permission(...)` must hold then
    select coalesce(
        has_permission.organization_id = any(private.organizations_with(has_permission.permission)), false
    )
$$;

comment on function private.has_permission(uuid, text) is
'True when the caller holds the permission in the organisation (see private.organizations_with); '
'false for a null organisation.';

revoke execute on function private.has_permission(uuid, text) from public, anon, authenticated;
grant execute on function private.has_permission(uuid, text) to service_role;

create or replace function private.require_permission(organization_id uuid, permission text)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    perform private.require_user();
    if require_permission.organization_id is null then
        raise exception using
            errcode = '22004',
            message = 'organization_id is required',
            hint = format('Pass the organisation in which %s is needed.', require_permission.permission);
    end if;
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
'Raises 42501 (HTTP 403) unless the caller holds the permission in the organisation, 22004 '
'(HTTP 400) when the organisation is null.';

revoke execute on function private.require_permission(uuid, text) from public, anon, authenticated;
grant execute on function private.require_permission(uuid, text) to service_role;

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

revoke execute on function private.holds_role_permissions(uuid, uuid) from public, anon, authenticated;
grant execute on function private.holds_role_permissions(uuid, uuid) to service_role;

-- == readable_audit_entries: which audit entries the caller may read =============================

create or replace function private.readable_audit_entries()
returns text[]
-- plpgsql, not sql: its plan is cached per session, and the audit_logs policy calls it once per statement
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    -- once: in the query below it would run again for every (table, organisation) pair
    auditable uuid[] := private.organizations_with('audit.read');
begin
    if auditable = '{}' then
        return '{}';
    end if;
    return coalesce((
        select array_agg(org.id::text || ':' || t.table_name)
        from private.audited_tables as t
        cross join lateral unnest(private.organizations_with(t.read_permission)) as org (id)
        where org.id = any(auditable)
    ), '{}');
end;
$$;

comment on function private.readable_audit_entries() is
'"<organization_id>:<table_name>" for each organisation and audited table whose entries the caller '
'may read: audit.read there, and the permission guarding the table (private.audited_tables), each '
'with its MFA rule. An entry repeats its row''s data, so it is no easier to read than the row.';

revoke execute on function private.readable_audit_entries() from public, anon;
grant execute on function private.readable_audit_entries() to authenticated, service_role;
