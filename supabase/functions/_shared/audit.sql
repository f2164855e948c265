-- private.tg_audit(): one generic audit trigger for the sensitive tables, and its helpers.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Records actor (JWT sub and role), organisation, table, operation, and for updates only the
-- columns that changed (old and new values; updated_at and last_used_at alone make no entry).
-- Keys whose name ends in hash, token, secret, password or key, at any depth, are written as
-- "[redacted]". The client's ip and user agent come from the request headers PostgREST sets: the
-- x-forwarded-for entry the trusted proxy appended (private.request_ip(), trusted_proxy_hops in
-- private.settings) and user-agent.
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
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
    redacted jsonb;
begin
    -- scalars are returned as they are; only objects and arrays are walked, to any depth
    case jsonb_typeof(redact_secrets.data)
        when 'object' then
            select coalesce(
                jsonb_object_agg(
                    e.key,
                    case
                        when e.key ~ '(^|_)(hash|token|secret|password|key)$' then '"[redacted]"'::jsonb
                        when jsonb_typeof(e.value) in ('object', 'array') then private.redact_secrets(e.value)
                        else e.value
                    end
                ),
                '{}'
            ) into redacted
            from jsonb_each(redact_secrets.data) as e;
        when 'array' then
            select coalesce(
                jsonb_agg(
                    case
                        when jsonb_typeof(a.value) in ('object', 'array') then private.redact_secrets(a.value)
                        else a.value
                    end
                    order by a.position
                ),
                '[]'
            ) into redacted
            from jsonb_array_elements(redact_secrets.data) with ordinality as a (value, position);
        else
            redacted := redact_secrets.data;
    end case;
    return redacted;
end;
$$;

comment on function private.redact_secrets(jsonb) is
'Replaces the values of secret-looking keys (…hash, …token, …secret, …password, …key) by "[redacted]", '
'at any depth of nested objects and arrays.';

revoke execute on function private.redact_secrets(jsonb) from public, anon, authenticated;

-- == request_ip ==================================================================================

create or replace function private.request_ip()
returns inet
language plpgsql
stable
-- definer: reads private.settings (trusted_proxy_hops), which no API role can reach
security definer
set search_path = ''
as $$
declare
    forwarded text := nullif(current_setting('request.headers', true), '')::jsonb ->> 'x-forwarded-for';
    entries text[];
    hops integer;
begin
    if forwarded is null then
        return null;
    end if;
    select s.value::integer into hops from private.settings as s where s.name = 'trusted_proxy_hops';
    hops := coalesce(hops, 1);
    entries := string_to_array(forwarded, ',');
    -- entries left of the one the outermost trusted proxy added were written by the client
    if hops < 1 or hops > cardinality(entries) then
        return null;
    end if;
    return nullif(btrim(entries[cardinality(entries) - hops + 1]), '')::inet;
exception when data_exception then
    -- malformed headers or address: no address rather than an error
    return null;
end;
$$;

comment on function private.request_ip() is
'The client address of the current PostgREST request: the x-forwarded-for entry that many from the '
'right that private.settings trusted_proxy_hops says (default 1: the address the API gateway appended), '
'or null when missing or malformed. Other headers (cf-connecting-ip, x-real-ip) are client-writable and ignored.';

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
