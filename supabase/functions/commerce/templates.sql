-- Templates: the counters and the rating of the gallery, which only these RPCs move (clients have
-- no update privilege on those columns), and the triggers on public.templates,
-- public.user_templates, public.cliparts. The tables are in migration
-- 20261121130200_create_commerce_designs_and_templates.sql.
-- Raises: LU150 (template not found, or not visible to the caller), 22004 and 22023 (stars).
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

-- == lock_visible_template: a template the caller may see, locked ================================

create or replace function private.lock_visible_template(template_id uuid)
returns uuid
language plpgsql
volatile
-- definer: the counters are updated past the caller's (absent) column privileges
security definer
set search_path = ''
as $$
declare
    found_id uuid;
begin
    perform private.require_user();
    -- the rule of the select policies: published, or of an organisation the caller reads
    select t.id into found_id
    from public.templates as t
    where
        t.id = lock_visible_template.template_id
        and (t.is_published or t.organization_id = any(private.organizations_with('organization.read')))
    for no key update;
    if found_id is null then
        raise exception using errcode = 'LU150',
            message = 'template not found',
            detail = format('template_id=%s', lock_visible_template.template_id),
            hint = 'The template does not exist, is not published, or is not in one of your organisations.';
    end if;
    return found_id;
end;
$$;

comment on function private.lock_visible_template(uuid) is
'The template''s id, its row locked, when the caller may read it (published, or a member with '
'organization.read); LU150 otherwise (its existence is not revealed).';

revoke execute on function private.lock_visible_template(uuid) from public, anon, authenticated;
grant execute on function private.lock_visible_template(uuid) to service_role;

-- == record_template_view ========================================================================

create or replace function private.record_template_view(template_id uuid)
returns bigint
language plpgsql
volatile
-- definer: view_count is not writable by clients
security definer
set search_path = ''
as $$
declare
    locked uuid := private.lock_visible_template(record_template_view.template_id);
    views bigint;
begin
    update public.templates as t
    set view_count = t.view_count + 1
    where t.id = locked
    returning t.view_count into views;
    return views;
end;
$$;

comment on function private.record_template_view(uuid) is
'Adds one to a visible template''s view_count and returns it; LU150 for a template the caller cannot see.';

revoke execute on function private.record_template_view(uuid) from public, anon;
grant execute on function private.record_template_view(uuid) to authenticated, service_role;

create or replace function public.record_template_view(template_id uuid)
returns bigint
language sql
volatile
set search_path = ''
as $$
    select private.record_template_view(record_template_view.template_id)
$$;

comment on function public.record_template_view(uuid) is
'POST /rpc/record_template_view: counts one view of a template the caller can see; returns the new view_count.';

revoke execute on function public.record_template_view(uuid) from public, anon;
grant execute on function public.record_template_view(uuid) to authenticated, service_role;

-- == record_template_download ====================================================================

create or replace function private.record_template_download(template_id uuid)
returns public.templates
language plpgsql
volatile
-- definer: download_count is not writable by clients
security definer
set search_path = ''
as $$
declare
    locked uuid := private.lock_visible_template(record_template_download.template_id);
    template public.templates;
begin
    update public.templates as t
    set download_count = t.download_count + 1
    where t.id = locked
    returning t.* into template;
    return template;
end;
$$;

comment on function private.record_template_download(uuid) is
'Adds one to a visible template''s download_count and returns the template (its data included); '
'LU150 for a template the caller cannot see.';

revoke execute on function private.record_template_download(uuid) from public, anon;
grant execute on function private.record_template_download(uuid) to authenticated, service_role;

create or replace function public.record_template_download(template_id uuid)
returns public.templates
language sql
volatile
set search_path = ''
as $$
    select private.record_template_download(record_template_download.template_id)
$$;

comment on function public.record_template_download(uuid) is
'POST /rpc/record_template_download: counts one download of a template the caller can see and returns it.';

revoke execute on function public.record_template_download(uuid) from public, anon;
grant execute on function public.record_template_download(uuid) to authenticated, service_role;

-- == rate_template ===============================================================================

create or replace function private.rate_template(template_id uuid, stars integer)
returns public.templates
language plpgsql
volatile
-- definer: template_ratings is private and rating_* are not writable by clients
security definer
set search_path = ''
as $$
declare
    caller uuid := private.require_user();
    locked uuid;
    template public.templates;
begin
    if rate_template.stars is null then
        raise exception using errcode = '22004', message = 'stars is required';
    end if;
    if rate_template.stars not between 1 and 5 then
        raise exception using errcode = '22023',
            message = 'stars: an integer from 1 to 5',
            detail = format('%s given', rate_template.stars);
    end if;
    -- the template row stays locked until commit: ratings of one template are counted one at a time
    locked := private.lock_visible_template(rate_template.template_id);
    insert into private.template_ratings as r (template_id, user_id, stars)
    values (locked, caller, rate_template.stars)
    on conflict on constraint template_ratings_pkey do update
    set stars = excluded.stars, updated_at = pg_catalog.now();
    update public.templates as t
    set
        rating_count = s.n,
        rating_average = s.average
    from (
        select count(*)::integer as n, coalesce(round(avg(r.stars), 2), 0) as average
        from private.template_ratings as r
        where r.template_id = locked
    ) as s
    where t.id = locked
    returning t.* into template;
    return template;
end;
$$;

comment on function private.rate_template(uuid, integer) is
'The caller''s rating (1 to 5 stars) of a template they can see, replacing their earlier one; '
'recomputes rating_average and rating_count. 22004/22023 bad stars, LU150 unknown template.';

revoke execute on function private.rate_template(uuid, integer) from public, anon;
grant execute on function private.rate_template(uuid, integer) to authenticated, service_role;

create or replace function public.rate_template(template_id uuid, stars integer)
returns public.templates
language sql
volatile
set search_path = ''
as $$
    select private.rate_template(rate_template.template_id, rate_template.stars)
$$;

comment on function public.rate_template(uuid, integer) is
'POST /rpc/rate_template: rates a template from 1 to 5 stars, one rating per user (a new one replaces '
'the old); returns the template with its new rating_average and rating_count.';

revoke execute on function public.rate_template(uuid, integer) from public, anon;
grant execute on function public.rate_template(uuid, integer) to authenticated, service_role;

-- == triggers on public.templates ================================================================

-- the counters and the rating leave updated_at and the audit log alone
create or replace trigger _100_set_updated_at
before update of name, description, category, tags, is_premium, is_published, data, thumbnail
on public.templates
for each row execute function private.tg_set_updated_at();

create or replace trigger _500_audit
after insert or delete or update of
organization_id, name, description, category, tags, is_premium, is_published, data, thumbnail
on public.templates
for each row execute function private.tg_audit();

-- == triggers on public.user_templates ===========================================================

create or replace trigger _100_set_updated_at before update on public.user_templates
for each row execute function private.tg_set_updated_at();

-- == triggers on public.cliparts =================================================================

create or replace trigger _100_set_updated_at before update on public.cliparts
for each row execute function private.tg_set_updated_at();
