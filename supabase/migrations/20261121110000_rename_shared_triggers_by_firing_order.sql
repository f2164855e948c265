-- rename shared triggers by firing order
--
-- Purpose: trigger names now state their firing order (Postgres fires triggers of the same
--          timing in name order): _100_ derive values, _200_ guards (before); _300_ invariants,
--          _500_ audit (after). Each table's feature file creates its triggers under the new
--          names. A database built before that still has the old names; renaming them in place
--          lets those files replace them rather than add second copies, and leaves no moment
--          without an audit trigger. Only triggers calling Luneo's own trigger function are
--          renamed. On a fresh database the triggers do not exist yet (repeatable files run
--          after migrations), so this does nothing.
-- Touches: triggers set_updated_at (profiles, organizations, team_roles, team_members,
--          invitations, api_keys, orders), audit (organizations, team_members, team_roles,
--          invitations, api_keys, invoices), guard and keep_an_owner (team_members),
--          check_permissions (team_roles) and create_profile (auth.users): renamed only.
-- Destructive: no.

do $$
declare
    found_trigger record;
begin
    for found_trigger in
        select
            r.table_schema,
            r.table_name,
            r.old_name,
            r.new_name
        from (
            values
            ('public', 'profiles', 'set_updated_at', '_100_set_updated_at', 'private.tg_set_updated_at()'),
            ('public', 'organizations', 'set_updated_at', '_100_set_updated_at', 'private.tg_set_updated_at()'),
            ('public', 'team_roles', 'set_updated_at', '_100_set_updated_at', 'private.tg_set_updated_at()'),
            ('public', 'team_members', 'set_updated_at', '_100_set_updated_at', 'private.tg_set_updated_at()'),
            ('public', 'invitations', 'set_updated_at', '_100_set_updated_at', 'private.tg_set_updated_at()'),
            ('public', 'api_keys', 'set_updated_at', '_100_set_updated_at', 'private.tg_set_updated_at()'),
            ('public', 'orders', 'set_updated_at', '_100_set_updated_at', 'private.tg_set_updated_at()'),
            ('public', 'team_members', 'guard', '_200_guard', 'private.tg_guard_team_members()'),
            ('public', 'team_roles', 'check_permissions', '_200_check_permissions', 'private.tg_check_role_permissions()'),
            ('public', 'team_members', 'keep_an_owner', '_300_keep_an_owner', 'private.tg_keep_an_owner()'),
            ('public', 'organizations', 'audit', '_500_audit', 'private.tg_audit()'),
            ('public', 'team_members', 'audit', '_500_audit', 'private.tg_audit()'),
            ('public', 'team_roles', 'audit', '_500_audit', 'private.tg_audit()'),
            ('public', 'invitations', 'audit', '_500_audit', 'private.tg_audit()'),
            ('public', 'api_keys', 'audit', '_500_audit', 'private.tg_audit()'),
            ('public', 'invoices', 'audit', '_500_audit', 'private.tg_audit()'),
            ('auth', 'users', 'create_profile', '_100_create_profile', 'private.tg_create_profile()')
        ) as r (table_schema, table_name, old_name, new_name, trigger_function)
        inner join pg_catalog.pg_namespace as n on n.nspname = r.table_schema
        inner join pg_catalog.pg_class as c on c.relnamespace = n.oid and c.relname = r.table_name
        inner join pg_catalog.pg_trigger as t on t.tgrelid = c.oid and t.tgname = r.old_name
        where
            not t.tgisinternal
            and t.tgfoid = pg_catalog.to_regprocedure(r.trigger_function)
    loop
        execute pg_catalog.format(
            'alter trigger %I on %I.%I rename to %I',
            found_trigger.old_name, found_trigger.table_schema, found_trigger.table_name, found_trigger.new_name
        );
    end loop;
end;
$$;
