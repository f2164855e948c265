-- private.tg_set_updated_at(): keeps `updated_at` current on every update.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

create or replace function private.tg_set_updated_at()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
    new.updated_at := pg_catalog.now();
    return new;
end;
$$;

comment on function private.tg_set_updated_at() is
'Trigger function: sets new.updated_at to now() before an update.';

revoke execute on function private.tg_set_updated_at() from public, anon, authenticated;

-- the tables it maintains
create or replace trigger set_updated_at before update on public.profiles
for each row execute function private.tg_set_updated_at();
create or replace trigger set_updated_at before update on public.organizations
for each row execute function private.tg_set_updated_at();
create or replace trigger set_updated_at before update on public.team_roles
for each row execute function private.tg_set_updated_at();
create or replace trigger set_updated_at before update on public.team_members
for each row execute function private.tg_set_updated_at();
create or replace trigger set_updated_at before update on public.invitations
for each row execute function private.tg_set_updated_at();
create or replace trigger set_updated_at before update on public.api_keys
for each row execute function private.tg_set_updated_at();
create or replace trigger set_updated_at before update on public.orders
for each row execute function private.tg_set_updated_at();
