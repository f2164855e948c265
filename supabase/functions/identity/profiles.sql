-- Profiles: the profile of every new auth user, created by trigger from its sign-up metadata,
-- and the triggers on public.profiles.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

-- == tg_create_profile ===========================================================================

create or replace function private.tg_create_profile()
returns trigger
language plpgsql
-- definer: the insert comes from Supabase Auth's own role, which has no privilege on public.profiles
security definer
set search_path = ''
as $$
declare
    meta jsonb := coalesce(new.raw_user_meta_data, '{}');
    wanted_timezone text := coalesce(meta ->> 'timezone', 'UTC');
    wanted_locale text := coalesce(meta ->> 'locale', 'en');
begin
    -- metadata is whatever the sign-up form sent: never let it fail the sign-up
    begin
        perform pg_catalog.now() at time zone wanted_timezone;
    exception when invalid_parameter_value then
        wanted_timezone := 'UTC';
    end;
    if char_length(wanted_timezone) > 64 then
        wanted_timezone := 'UTC';
    end if;
    if wanted_locale !~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' then
        wanted_locale := 'en';
    end if;

    insert into public.profiles (
        id, full_name, avatar_url, locale, timezone, company, onboarding_completed, onboarding_state
    )
    values (
        new.id,
        left(nullif(btrim(coalesce(meta ->> 'full_name', meta ->> 'name')), ''), 200),
        nullif(left(coalesce(meta ->> 'avatar_url', meta ->> 'picture'), 2048), ''),
        wanted_locale,
        wanted_timezone,
        left(nullif(btrim(meta ->> 'company'), ''), 200),
        coalesce(meta ->> 'onboarding_completed', '') = 'true',
        case when jsonb_typeof(meta -> 'onboarding') = 'object' then meta -> 'onboarding' else '{}' end
    )
    on conflict (id) do nothing;
    return null;
end;
$$;

comment on function private.tg_create_profile() is
'Trigger function: inserts the profile of a new auth user from its user metadata (full_name or '
'name, avatar_url or picture, locale, timezone, company, onboarding, onboarding_completed).';

revoke execute on function private.tg_create_profile() from public, anon, authenticated;

-- == triggers on auth.users ======================================================================

-- band _100_ although after: it derives a row (the profile) from the change; Supabase owns
-- auth.users and this is the only trigger Luneo puts on it
create or replace trigger _100_create_profile after insert on auth.users
for each row execute function private.tg_create_profile();

-- == triggers on public.profiles =================================================================

create or replace trigger _100_set_updated_at before update on public.profiles
for each row execute function private.tg_set_updated_at();
