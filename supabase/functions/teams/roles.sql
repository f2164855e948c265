-- Custom roles: public.team_roles carries only catalogued, grantable permissions, and through
-- the API nobody puts into a custom role a permission they do not hold themselves (creating or
-- editing it, their own role included, so that editing never raises anyone above the editor);
-- and the triggers on public.team_roles.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

-- == tg_check_role_permissions ===================================================================

create or replace function private.tg_check_role_permissions()
returns trigger
language plpgsql
-- definer: reads private.permissions and the caller's permissions, which the API roles cannot
security definer
set search_path = ''
as $$
declare
    refused text[];
    beyond text[];
begin
    -- bounds first, on the array as given: a nested array would be flattened below (22023, 22004, 22001)
    perform private.check_text_array(new.permissions, 'permissions', 64, 64);
    new.permissions := array(select distinct p from unnest(new.permissions) as p order by p);
    select array_agg(wanted.name) into refused
    from unnest(new.permissions) as wanted (name)
    left join private.permissions as p on p.name = wanted.name
    where p.name is null or p.owner_only;
    if refused is not null then
        raise exception using
            errcode = '22023',
            message = format('permissions not grantable through a custom role: %s', array_to_string(refused, ', ')),
            hint = 'Use permissions from the catalogue (docs/api/teams.md); owner-only ones cannot be delegated.';
    end if;
    -- the rule that guards assigning a custom role (private.holds_role_permissions) guards
    -- writing one: what the API caller adds, they must hold (with its MFA rule) in the organisation
    if (select auth.uid()) is not null then
        select array_agg(added.name) into beyond
        from unnest(new.permissions) as added (name)
        where
            (tg_op = 'INSERT' or added.name <> all(old.permissions))
            and not private.has_permission(new.organization_id, added.name);
        if beyond is not null then
            raise exception using
                errcode = '42501',
                message = format('you cannot grant permissions you do not hold: %s', array_to_string(beyond, ', ')),
                detail = format('organization_id=%s', new.organization_id),
                hint = 'A custom role may only carry permissions its editor holds; with require_mfa, use aal2.';
        end if;
    end if;
    return new;
end;
$$;

comment on function private.tg_check_role_permissions() is
'Trigger function: refuses nested arrays and more than 64 items (22023), sorts and de-duplicates '
'team_roles.permissions, refusing unknown or owner-only ones (22023) and, through the API, any '
'added permission the caller does not hold (42501).';

revoke execute on function private.tg_check_role_permissions() from public, anon, authenticated;

-- == triggers on public.team_roles ===============================================================

create or replace trigger _100_set_updated_at before update on public.team_roles
for each row execute function private.tg_set_updated_at();

create or replace trigger _200_check_permissions before insert or update of permissions on public.team_roles
for each row execute function private.tg_check_role_permissions();

create or replace trigger _500_audit after insert or update or delete on public.team_roles
for each row execute function private.tg_audit();
