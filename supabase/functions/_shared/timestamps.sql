-- private.tg_set_updated_at(): keeps `updated_at` current on every update.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Binds no table: each table's feature file binds it, as the first before-update trigger:
--   create or replace trigger _100_set_updated_at before update on public.<table>
--   for each row execute function private.tg_set_updated_at();

-- == tg_set_updated_at ===========================================================================

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
