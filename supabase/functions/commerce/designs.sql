-- Designs: their versions (kept by trigger at every save), restoring a version, and the triggers
-- on public.designs, public.design_collections. The tables are in migration
-- 20261121130200_create_commerce_designs_and_templates.sql.
-- Raises: LU140 (design not found), LU141 (design version not found), 42501 (designs.write missing).
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

-- == tg_number_design_version: designs.current_version ===========================================

create or replace function private.tg_number_design_version()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
    if tg_op = 'INSERT' then
        new.current_version := 1;
    elsif new.data is distinct from old.data then
        -- the row is locked by this update: concurrent saves of a design number one after the other
        new.current_version := old.current_version + 1;
    else
        new.current_version := old.current_version;
    end if;
    return new;
end;
$$;

comment on function private.tg_number_design_version() is
'Trigger function (before insert or update on designs): current_version is 1 on insert and goes up '
'by one whenever data changes; nobody sets it directly.';

revoke execute on function private.tg_number_design_version() from public, anon, authenticated;

-- == tg_keep_design_version: a design_versions row per save ======================================

create or replace function private.tg_keep_design_version()
returns trigger
language plpgsql
-- definer: clients have no privilege on design_versions; the trigger is its only writer
security definer
set search_path = ''
as $$
begin
    if tg_op = 'INSERT' or new.data is distinct from old.data then
        insert into public.design_versions (organization_id, design_id, version, data, thumbnail, created_by)
        values (new.organization_id, new.id, new.current_version, new.data, new.thumbnail, (select auth.uid()));
    elsif new.thumbnail is distinct from old.thumbnail then
        -- a preview rendered after the save belongs to the version it shows
        update public.design_versions as v
        set thumbnail = new.thumbnail
        where v.design_id = new.id and v.version = new.current_version;
    end if;
    return null;
end;
$$;

comment on function private.tg_keep_design_version() is
'Trigger function (after insert or update of data, thumbnail on designs): a new design_versions row '
'when the data changed (number current_version, by the caller); a thumbnail alone updates the latest version''s.';

revoke execute on function private.tg_keep_design_version() from public, anon, authenticated;

-- == restore_design_version ======================================================================

create or replace function private.restore_design_version(design_id uuid, version integer)
returns public.designs
language plpgsql
volatile
-- definer: private.require_permission reads team_members whatever the caller's policies say
security definer
set search_path = ''
as $$
declare
    design public.designs;
    old_version public.design_versions;
begin
    perform private.require_user();
    select d.* into design
    from public.designs as d
    where
        d.id = restore_design_version.design_id
        and d.organization_id = any(private.organizations_with('organization.read'))
    for update;
    if not found then
        raise exception using errcode = 'LU140',
            message = 'design not found',
            detail = format('design_id=%s', restore_design_version.design_id),
            hint = 'The design does not exist or is not in one of your organisations.';
    end if;
    perform private.require_permission(design.organization_id, 'designs.write');
    select v.* into old_version
    from public.design_versions as v
    where v.design_id = design.id and v.version = restore_design_version.version;
    if not found then
        raise exception using errcode = 'LU141',
            message = 'design version not found',
            detail = format('design_id=%s version=%s', design.id, restore_design_version.version),
            hint = 'List the versions in design_versions.';
    end if;
    -- the update keeps a new version (trigger _100_keep_version) unless the data is already that version's
    update public.designs as d
    set data = old_version.data, thumbnail = old_version.thumbnail
    where d.id = design.id
    returning d.* into design;
    return design;
end;
$$;

comment on function private.restore_design_version(uuid, integer) is
'Makes a design''s data and thumbnail those of one of its versions, which keeps them as a new version; '
'needs designs.write in the design''s organisation (42501); LU140 unknown design, LU141 unknown version.';

revoke execute on function private.restore_design_version(uuid, integer) from public, anon;
grant execute on function private.restore_design_version(uuid, integer) to authenticated, service_role;

create or replace function public.restore_design_version(design_id uuid, version integer)
returns public.designs
language sql
volatile
set search_path = ''
as $$
    select private.restore_design_version(restore_design_version.design_id, restore_design_version.version)
$$;

comment on function public.restore_design_version(uuid, integer) is
'POST /rpc/restore_design_version: brings back an earlier version of a design as its newest version '
'(designs.write); returns the design. LU140 unknown design, LU141 unknown version.';

revoke execute on function public.restore_design_version(uuid, integer) from public, anon;
grant execute on function public.restore_design_version(uuid, integer) to authenticated, service_role;

-- == tg_emit_design_events: design.created, design.updated ======================================

create or replace function private.tg_emit_design_events()
returns trigger
language plpgsql
-- definer: writes the event outbox
security definer
set search_path = ''
as $$
begin
    -- the design's content (data) stays out of the event: it can be large; the API serves it
    perform private.emit_event(
        case when tg_op = 'INSERT' then 'design.created' else 'design.updated' end,
        new.organization_id,
        jsonb_build_object('design', to_jsonb(new) - 'data')
    );
    return null;
end;
$$;

comment on function private.tg_emit_design_events() is
'Trigger function (after insert, after a change of content, name, status, thumbnail or product): '
'design.created or design.updated, without the design data (docs/events.md).';

revoke execute on function private.tg_emit_design_events() from public, anon, authenticated;

-- == triggers on public.designs ==================================================================

create or replace trigger _100_number_version before insert or update on public.designs
for each row execute function private.tg_number_design_version();

create or replace trigger _100_set_updated_at before update on public.designs
for each row execute function private.tg_set_updated_at();

create or replace trigger _100_keep_version after insert or update of data, thumbnail on public.designs
for each row execute function private.tg_keep_design_version();

-- saves (data) are recorded by design_versions; the audit log records the rest
create or replace trigger _500_audit
after insert or delete or update of organization_id, product_id, name, status on public.designs
for each row execute function private.tg_audit();

create or replace trigger _900_emit_created after insert on public.designs
for each row execute function private.tg_emit_design_events();

create or replace trigger _900_emit_updated
after update of organization_id, product_id, name, status, data, thumbnail on public.designs
for each row when (
    (old.organization_id, old.product_id, old.name, old.status, old.data, old.thumbnail)
    is distinct from (new.organization_id, new.product_id, new.name, new.status, new.data, new.thumbnail)
)
execute function private.tg_emit_design_events();

-- == triggers on public.design_collections =======================================================

create or replace trigger _100_set_updated_at before update on public.design_collections
for each row execute function private.tg_set_updated_at();
