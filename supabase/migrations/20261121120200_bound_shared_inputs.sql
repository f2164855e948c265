-- bound shared inputs
--
-- Purpose: every text, JSON document and array an API caller can write gets a bound and a shape,
--          checked once, by the validation functions below, from check constraints on the
--          tables. Every RPC writes through these tables, so the RPCs share the same checks; an
--          RPC that must check earlier calls the same function. A bad value raises a stable
--          22xxx error (22001 too long or too many bytes, 22023 wrong shape, 22004 null where
--          a value is required), answered HTTP 400, instead of 23514, 54000 (an index row too
--          large: HTTP 500) or a silently stored oversize value. The functions are immutable and
--          raise rather than return false, which is how one definition gives a 22xxx code from a
--          check constraint (a plain violation would be 23514). They live in this migration,
--          not in a repeatable file, because the constraints depend on them.
--          profiles.timezone must now be a time zone Postgres knows on every write, not only
--          at sign-up.
-- Touches: functions private.check_text, private.check_text_array, private.check_email,
--          private.check_timezone, private.check_json_object, private.check_api_key_scopes,
--          private.check_profile (the bounds of profiles, shared with the sign-up trigger);
--          check constraints (replaced, same names, plus new ones) on public.profiles
--          (full_name, avatar_url, locale, timezone, company, onboarding_state),
--          public.organizations (name, slug, branding), public.team_roles (name, description;
--          permissions are checked by its trigger _200_check_permissions, which sees the array
--          before it flattens it), public.api_keys (name, scopes), public.invitations (email),
--          public.user_sessions (device_name, device_type, user_agent).
-- Destructive: existing rows are kept. Before validation, profiles whose timezone Postgres does
--          not know (or that is not shaped like an IANA name) get 'UTC', and locales longer than
--          35 characters get 'en': the fallbacks sign-up already applies. Every new constraint
--          is added not valid (no long lock), then validated; a constraint that existing rows
--          still break is left not valid with a WARNING naming it. New writes are checked either
--          way (including any update of such a row); once the rows are fixed, run
--          `alter table ... validate constraint <name>` (the query in the WARNING).

-- =============================================================================================
-- the validation functions
-- =============================================================================================

create function private.check_text(
    value text,
    label text,
    max_length integer,
    min_length integer default 0,
    pattern text default null,
    multiline boolean default false
)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
    refused constant text := case
        when check_text.multiline then '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]'
        else '[\x01-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]'
    end;
begin
    if check_text.value is null then
        return true;
    end if;
    if pg_catalog.char_length(check_text.value) > check_text.max_length then
        raise exception using errcode = '22001',
            message = format('%s: at most %s characters', check_text.label, check_text.max_length),
            detail = format('%s characters given', pg_catalog.char_length(check_text.value));
    end if;
    if pg_catalog.char_length(pg_catalog.btrim(check_text.value)) < check_text.min_length then
        raise exception using errcode = '22023',
            message = format('%s: at least %s characters besides spaces', check_text.label, check_text.min_length);
    end if;
    -- control characters (tab and line breaks allowed in multi-line text), and the bidirectional
    -- embeddings, overrides and isolates that make a name display as something else
    if check_text.value ~ refused then
        raise exception using errcode = '22023',
            message = format('%s: control or bidirectional override characters are not allowed', check_text.label);
    end if;
    if check_text.pattern is not null and check_text.value !~ check_text.pattern then
        raise exception using errcode = '22023',
            message = format('%s: "%s" does not match %s', check_text.label, pg_catalog.left(check_text.value, 100),
                check_text.pattern);
    end if;
    return true;
end;
$$;

comment on function private.check_text(text, text, integer, integer, text, boolean) is
'Validation (check constraints): null, or at most max_length characters (22001), at least '
'min_length besides spaces, no control or bidi override characters, matching pattern (22023).';

create function private.check_text_array(
    value text[], label text, max_items integer, max_item_length integer, pattern text default null
)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
    item text;
begin
    if check_text_array.value is null then
        return true;
    end if;
    if pg_catalog.array_ndims(check_text_array.value) > 1 then
        raise exception using errcode = '22023',
            message = format('%s: must be a one-dimensional array', check_text_array.label);
    end if;
    if pg_catalog.cardinality(check_text_array.value) > check_text_array.max_items then
        raise exception using errcode = '22023',
            message = format('%s: at most %s items', check_text_array.label, check_text_array.max_items),
            detail = format('%s items given', pg_catalog.cardinality(check_text_array.value));
    end if;
    foreach item in array check_text_array.value loop
        if item is null then
            raise exception using errcode = '22004',
                message = format('%s: null items are not allowed', check_text_array.label);
        end if;
        perform private.check_text(
            item, check_text_array.label, check_text_array.max_item_length, 1, check_text_array.pattern
        );
    end loop;
    return true;
end;
$$;

comment on function private.check_text_array(text[], text, integer, integer, text) is
'Validation (check constraints): null, or a one-dimensional array of at most max_items non-null '
'items (22023, 22004), each checked by private.check_text.';

create function private.check_email(value text, label text)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    -- 254: the longest address SMTP carries (RFC 5321); 64: the longest local part
    perform private.check_text(check_email.value, check_email.label, 254, 3, '^[^@\s]{1,64}@[^@\s]+$');
    if check_email.value <> pg_catalog.lower(pg_catalog.btrim(check_email.value)) then
        raise exception using errcode = '22023',
            message = format('%s: must be lower case, without surrounding spaces', check_email.label);
    end if;
    return true;
end;
$$;

comment on function private.check_email(text, text) is
'Validation (check constraints): null, or a lower-case address of at most 254 characters, local part at most 64.';

create function private.check_timezone(value text, label text)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    perform private.check_text(check_timezone.value, check_timezone.label, 64, 1, '^[A-Za-z][A-Za-z0-9_+/-]*$');
    if check_timezone.value is null then
        return true;
    end if;
    begin
        perform timestamptz '2000-01-01 00:00:00+00' at time zone check_timezone.value;
    exception when data_exception then
        raise exception using errcode = '22023',
            message = format('%s: unknown time zone "%s"', check_timezone.label, check_timezone.value),
            hint = 'Use an IANA name such as Europe/Paris, or UTC.';
    end;
    return true;
end;
$$;

comment on function private.check_timezone(text, text) is
'Validation (check constraints, sign-up): null, or a time zone name Postgres knows, IANA-shaped, '
'at most 64 characters (22023).';

create function private.check_json_object(value jsonb, label text, max_bytes integer)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    if check_json_object.value is null then
        return true;
    end if;
    if pg_catalog.jsonb_typeof(check_json_object.value) <> 'object' then
        raise exception using errcode = '22023',
            message = format('%s: must be a JSON object, not %s', check_json_object.label,
                pg_catalog.jsonb_typeof(check_json_object.value));
    end if;
    if pg_catalog.octet_length(check_json_object.value::text) > check_json_object.max_bytes then
        raise exception using errcode = '22001',
            message = format('%s: at most %s bytes of JSON', check_json_object.label, check_json_object.max_bytes),
            detail = format('%s bytes given', pg_catalog.octet_length(check_json_object.value::text));
    end if;
    return true;
end;
$$;

comment on function private.check_json_object(jsonb, text, integer) is
'Validation (check constraints): null, or a JSON object (22023) of at most max_bytes as text (22001).';

create function private.check_api_key_scopes(value text[])
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
    known constant text[] := array['read', 'write', 'orders', 'products', 'designs', 'webhooks'];
begin
    perform private.check_text_array(check_api_key_scopes.value, 'scopes', 6, 16);
    if not check_api_key_scopes.value <@ known then
        raise exception using errcode = '22023',
            message = format('scopes: unknown scopes %s', pg_catalog.array_to_string(
                array(select s from unnest(check_api_key_scopes.value) as s where s <> all (known)), ', '
            )),
            hint = 'Scopes are read, write, orders, products, designs, webhooks.';
    end if;
    return true;
end;
$$;

comment on function private.check_api_key_scopes(text[]) is
'Validation (check constraint on api_keys.scopes): a one-dimensional array of at most 6 known scopes (22023).';

-- the bounds of public.profiles, in one place: its check constraints and the sign-up trigger
-- (private.tg_create_profile, which falls back to a default for a refused value) both call it,
-- one column at a time (the others left null)
create function private.check_profile(
    full_name text default null,
    avatar_url text default null,
    locale text default null,
    timezone text default null,
    company text default null,
    onboarding_state jsonb default null
)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    perform private.check_text(check_profile.full_name, 'full_name', 200);
    perform private.check_text(check_profile.avatar_url, 'avatar_url', 2048);
    perform private.check_text(check_profile.locale, 'locale', 35, 2, '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$');
    perform private.check_timezone(check_profile.timezone, 'timezone');
    perform private.check_text(check_profile.company, 'company', 200);
    perform private.check_json_object(check_profile.onboarding_state, 'onboarding_state', 16384);
    return true;
end;
$$;

comment on function private.check_profile(text, text, text, text, text, jsonb) is
'Validation of public.profiles (its check constraints and the sign-up trigger): full_name, company '
'at most 200 characters, avatar_url 2048, locale a BCP 47-like tag of at most 35, timezone known '
'(private.check_timezone), onboarding_state a JSON object of at most 16384 bytes. Null passes.';

-- check constraints run with the privileges of whoever writes the row: authenticated writes
-- profiles, organizations, team_roles and api_keys directly; anon writes nothing, and
-- invitations (check_email) are written only by security definer RPCs
revoke execute on function
private.check_text(text, text, integer, integer, text, boolean),
private.check_text_array(text[], text, integer, integer, text),
private.check_email(text, text),
private.check_timezone(text, text),
private.check_json_object(jsonb, text, integer),
private.check_api_key_scopes(text[]),
private.check_profile(text, text, text, text, text, jsonb)
from public, anon, authenticated;
grant execute on function
private.check_text(text, text, integer, integer, text, boolean),
private.check_text_array(text[], text, integer, integer, text),
private.check_timezone(text, text),
private.check_json_object(jsonb, text, integer),
private.check_api_key_scopes(text[]),
private.check_profile(text, text, text, text, text, jsonb)
to authenticated, service_role;
grant execute on function private.check_email(text, text) to service_role;

-- =============================================================================================
-- existing rows: the sign-up fallbacks for values the new checks refuse
-- =============================================================================================

do $$
declare
    zone text;
begin
    for zone in select distinct p.timezone from public.profiles as p loop
        begin
            perform private.check_profile(timezone => zone);
        exception when data_exception then
            update public.profiles as p set timezone = 'UTC' where p.timezone = zone;
        end;
    end loop;
end;
$$;

update public.profiles set locale = 'en'
where char_length(locale) > 35;

-- =============================================================================================
-- the constraints (replacing those of the same name, whose rules they include)
-- =============================================================================================

alter table public.profiles
drop constraint profiles_full_name_check,
drop constraint profiles_avatar_url_check,
drop constraint profiles_locale_check,
drop constraint profiles_timezone_check,
drop constraint profiles_company_check,
drop constraint profiles_onboarding_state_check;

alter table public.profiles
add constraint profiles_full_name_check check (private.check_profile(full_name => full_name)) not valid,
add constraint profiles_avatar_url_check check (private.check_profile(avatar_url => avatar_url)) not valid,
add constraint profiles_locale_check check (private.check_profile(locale => locale)) not valid,
add constraint profiles_timezone_check check (private.check_profile(timezone => timezone)) not valid,
add constraint profiles_company_check check (private.check_profile(company => company)) not valid,
add constraint profiles_onboarding_state_check
check (private.check_profile(onboarding_state => onboarding_state)) not valid;

alter table public.organizations
drop constraint organizations_name_check,
drop constraint organizations_slug_check,
drop constraint organizations_branding_check;

alter table public.organizations
add constraint organizations_name_check check (private.check_text(name, 'name', 120, 1)) not valid,
add constraint organizations_slug_check
check (private.check_text(slug, 'slug', 48, 3, '^[a-z0-9](-?[a-z0-9])*$')) not valid,
add constraint organizations_branding_check check (private.check_json_object(branding, 'branding', 8192)) not valid;

alter table public.team_roles
drop constraint team_roles_name_check,
drop constraint team_roles_description_check;

alter table public.team_roles
add constraint team_roles_name_check check (private.check_text(name, 'name', 60, 1)) not valid,
add constraint team_roles_description_check
check (private.check_text(description, 'description', 500, 0, null, true)) not valid;

alter table public.api_keys
drop constraint api_keys_name_check,
drop constraint api_keys_scopes_check;

alter table public.api_keys
add constraint api_keys_name_check check (private.check_text(name, 'name', 100, 1)) not valid,
add constraint api_keys_scopes_check check (private.check_api_key_scopes(scopes)) not valid;

alter table public.invitations
drop constraint invitations_email_check;

alter table public.invitations
add constraint invitations_email_check check (private.check_email(email, 'email')) not valid;

alter table public.user_sessions
drop constraint user_sessions_device_name_check,
drop constraint user_sessions_device_type_check,
drop constraint user_sessions_user_agent_check;

alter table public.user_sessions
add constraint user_sessions_device_name_check
check (private.check_text(device_name, 'device_name', 200, 1)) not valid,
add constraint user_sessions_device_type_check
check (private.check_text(device_type, 'device_type', 16, 1, '^(desktop|mobile|tablet|other)$')) not valid,
add constraint user_sessions_user_agent_check
check (private.check_text(user_agent, 'user_agent', 1000, 0, null, true)) not valid;

-- =============================================================================================
-- validation: each constraint on its own, so that rows breaking one leave only that one not valid
-- =============================================================================================

do $$
declare
    found_constraint record;
begin
    for found_constraint in
        select
            c.conrelid::regclass as table_name,
            c.conname
        from pg_catalog.pg_constraint as c
        where
            c.contype = 'c' and not c.convalidated
            and c.conrelid in (
                'public.profiles'::regclass, 'public.organizations'::regclass, 'public.team_roles'::regclass,
                'public.api_keys'::regclass, 'public.invitations'::regclass, 'public.user_sessions'::regclass
            )
        order by 1, 2
    loop
        begin
            execute pg_catalog.format(
                'alter table %s validate constraint %I', found_constraint.table_name, found_constraint.conname
            );
        exception when data_exception or check_violation then
            raise warning using
                message = pg_catalog.format(
                    'existing rows of %s break %s, left not valid: %s',
                    found_constraint.table_name, found_constraint.conname, sqlerrm
                ),
                hint = pg_catalog.format(
                    'Fix the rows, then run: alter table %s validate constraint %I',
                    found_constraint.table_name, found_constraint.conname
                );
        end;
    end loop;
end;
$$;
