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
    wanted_full_name text := left(nullif(btrim(coalesce(meta ->> 'full_name', meta ->> 'name')), ''), 200);
    wanted_avatar_url text := nullif(left(coalesce(meta ->> 'avatar_url', meta ->> 'picture'), 2048), '');
    wanted_company text := left(nullif(btrim(meta ->> 'company'), ''), 200);
    wanted_onboarding jsonb := case when jsonb_typeof(meta -> 'onboarding') = 'object' then meta -> 'onboarding' else '{}' end;
begin
    -- metadata is whatever the sign-up form sent: never let it fail the sign-up. Each value goes
    -- through the check of its profiles column (private.check_profile, which the table's check
    -- constraints call too); a refused one falls back to the default, silently.
    begin
        perform private.check_profile(timezone => wanted_timezone);
    exception when data_exception then
        wanted_timezone := 'UTC';
    end;
    begin
        perform private.check_profile(locale => wanted_locale);
    exception when data_exception then
        wanted_locale := 'en';
    end;
    begin
        perform private.check_profile(full_name => wanted_full_name);
    exception when data_exception then
        wanted_full_name := null;
    end;
    begin
        perform private.check_profile(avatar_url => wanted_avatar_url);
    exception when data_exception then
        wanted_avatar_url := null;
    end;
    begin
        perform private.check_profile(company => wanted_company);
    exception when data_exception then
        wanted_company := null;
    end;
    begin
        perform private.check_profile(onboarding_state => wanted_onboarding);
    exception when data_exception then
        wanted_onboarding := '{}';
    end;

    insert into public.profiles (
        id, full_name, avatar_url, locale, timezone, company, onboarding_completed, onboarding_state
    )
    values (
        new.id,
        wanted_full_name,
        wanted_avatar_url,
        wanted_locale,
        wanted_timezone,
        wanted_company,
        coalesce(meta ->> 'onboarding_completed', '') = 'true',
        wanted_onboarding
    )
    on conflict (id) do nothing;
    return null;
end;
$$;

comment on function private.tg_create_profile() is
'Trigger function: inserts the profile of a new auth user from its user metadata (full_name or '
'name, avatar_url or picture, locale, timezone, company, onboarding, onboarding_completed).';

revoke execute on function private.tg_create_profile() from public, anon, authenticated;

-- == tg_send_welcome_email ========================================================================

create or replace function private.tg_send_welcome_email()
returns trigger
language plpgsql
-- definer: reads the auth user's address and writes the email outbox
security definer
set search_path = ''
as $$
begin
    perform private.enqueue_email(
        'welcome', lower(u.email), new.locale, '{}', 'account.welcome:' || new.id, 'account.welcome',
        user_id => new.id
    )
    from auth.users as u
    where u.id = new.id and nullif(btrim(u.email), '') is not null;
    return null;
end;
$$;

comment on function private.tg_send_welcome_email() is
'Trigger function (after insert on profiles): queues the welcome email, once per user (a user '
'signed up by phone, without an address, gets none).';

revoke execute on function private.tg_send_welcome_email() from public, anon, authenticated;

-- == triggers on auth.users ======================================================================

-- band _100_ although after: it derives a row (the profile) from the change; Supabase owns
-- auth.users and this is the only trigger Luneo puts on it
create or replace trigger _100_create_profile after insert on auth.users
for each row execute function private.tg_create_profile();

-- == triggers on public.profiles =================================================================

create or replace trigger _100_set_updated_at before update on public.profiles
for each row execute function private.tg_set_updated_at();

create or replace trigger _900_send_welcome_email after insert on public.profiles
for each row execute function private.tg_send_welcome_email();
