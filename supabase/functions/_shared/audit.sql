-- private.tg_audit(): one generic audit trigger for the sensitive tables, and its helpers.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Records actor (JWT sub and role), organisation, table, operation, and for updates only the
-- columns that changed (old and new values; updated_at and last_used_at alone make no entry).
-- Columns whose name ends in hash, token, secret, password or key are written as "[redacted]".
-- The client's ip and user agent come from the request headers PostgREST sets (x-forwarded-for,
-- user-agent).
-- Trigger argument 0 names the organisation column (default organization_id).
--
-- Binds no table: each audited table's feature file binds it, after every other after trigger
-- but event emission (so that a change refused by an invariant never reaches the log):
--   create or replace trigger _500_audit after insert or update or delete on public.<table>
--   for each row execute function private.tg_audit();
-- Audited today: organizations, team_members, team_roles, invitations (teams), api_keys
-- (api_keys) and invoices (billing).

-- == redact_secrets ==============================================================================

create or replace function private.redact_secrets(data jsonb)
returns jsonb
language sql
immutable
strict
set search_path = ''
as $$
    select coalesce(
        jsonb_object_agg(
            e.key,
            case when e.key ~ '(^|_)(hash|token|secret|password|key)$' then '"[redacted]"'::jsonb else e.value end
        ),
        '{}'
    )
    from jsonb_each(redact_secrets.data) as e
$$;

comment on function private.redact_secrets(jsonb) is
'Replaces the values of secret-looking keys (…hash, …token, …secret, …password, …key) by "[redacted]".';

revoke execute on function private.redact_secrets(jsonb) from public, anon, authenticated;

-- == request_ip ==================================================================================

create or replace function private.request_ip()
returns inet
language plpgsql
stable
set search_path = ''
as $$
declare
    headers jsonb := nullif(current_setting('request.headers', true), '')::jsonb;
    candidate text := btrim(split_part(
        coalesce(headers ->> 'x-forwarded-for', headers ->> 'cf-connecting-ip', headers ->> 'x-real-ip', ''),
        ',', 1
    ));
begin
    return nullif(candidate, '')::inet;
exception when invalid_text_representation then
    return null;
end;
$$;

comment on function private.request_ip() is
'The client address of the current PostgREST request (first x-forwarded-for entry), or null.';

revoke execute on function private.request_ip() from public, anon, authenticated;
grant execute on function private.request_ip() to service_role;

-- == tg_audit ====================================================================================

create or replace function private.tg_audit()
returns trigger
language plpgsql
-- definer: writes public.audit_logs, which no API role may write
security definer
set search_path = ''
as $$
declare
    old_row jsonb := case when tg_op <> 'INSERT' then to_jsonb(old) end;
    new_row jsonb := case when tg_op <> 'DELETE' then to_jsonb(new) end;
    org_column text := coalesce(tg_argv[0], 'organization_id');
    row_organization_id uuid := (coalesce(new_row, old_row) ->> org_column)::uuid;
    row_id text := coalesce(new_row, old_row) ->> 'id';
    changed text[];
begin
    if tg_op = 'UPDATE' then
        select array_agg(n.key) into changed
        from jsonb_each(new_row) as n
        where n.value is distinct from old_row -> n.key and n.key not in ('updated_at', 'last_used_at');
        if changed is null then
            return null;
        end if;
        old_row := old_row - array(select k from jsonb_object_keys(old_row) as k where k <> all(changed));
        new_row := new_row - array(select k from jsonb_object_keys(new_row) as k where k <> all(changed));
    end if;

    insert into public.audit_logs (
        organization_id, actor_id, actor_role, table_name, record_id, operation,
        old_values, new_values, ip_address, user_agent
    )
    values (
        row_organization_id,
        (select auth.uid()),
        coalesce((select auth.role()), current_user),
        tg_table_name,
        row_id,
        tg_op,
        private.redact_secrets(old_row),
        private.redact_secrets(new_row),
        private.request_ip(),
        left(nullif(current_setting('request.headers', true), '')::jsonb ->> 'user-agent', 1000)
    );
    return null;
end;
$$;

comment on function private.tg_audit() is
'Trigger function (after, per row): appends the change to public.audit_logs, secrets redacted.';

revoke execute on function private.tg_audit() from public, anon, authenticated;
