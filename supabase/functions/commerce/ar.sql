-- AR: what a viewer (anon included) may see of a public AR experience, counting its views, and
-- the triggers on public.ar_models and public.ar_experiences. The tables are in migration
-- 20261121130300_create_commerce_storage_and_ar.sql.
-- Raises LU170 (no public AR experience has this slug), 22004, 22023, 22001 (bad input).
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

-- == check_ar_slug: the shape of a share slug ===================================================

create or replace function private.check_ar_slug(slug text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if check_ar_slug.slug is null then
        raise exception using errcode = '22004', message = 'slug is required';
    end if;
    perform private.check_text(check_ar_slug.slug, 'slug', 32, 32, '^[0-9a-f]{32}$');
end;
$$;

comment on function private.check_ar_slug(text) is
'Raises 22004 for a null slug, 22001 or 22023 unless it is 32 lowercase hex characters.';

-- called only from security definer functions
revoke execute on function private.check_ar_slug(text) from public, anon, authenticated;
grant execute on function private.check_ar_slug(text) to service_role;

-- == get_ar_experience ===========================================================================

-- definer: anon has no select on ar_experiences nor ar_models; this returns the viewer's fields
-- of one public experience and nothing else of the organisation
create or replace function private.get_ar_experience(slug text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    found jsonb;
begin
    perform private.check_ar_slug(get_ar_experience.slug);
    select pg_catalog.jsonb_build_object(
        'slug', e.slug,
        'name', e.name,
        'qr_url', e.qr_url,
        'model_format', m.format,
        'model_path', m.storage_path,
        'model_size_bytes', m.size_bytes,
        'product_name', p.name
    )
    into found
    from public.ar_experiences as e
    inner join public.ar_models as m on m.organization_id = e.organization_id and m.id = e.ar_model_id
    inner join public.products as p on p.organization_id = m.organization_id and p.id = m.product_id
    where e.slug = get_ar_experience.slug and e.is_public;
    if found is null then
        raise exception using errcode = 'LU170',
            message = 'AR experience not found',
            hint = 'The link is wrong, or the experience is no longer public.';
    end if;
    return found;
end;
$$;

comment on function private.get_ar_experience(text) is
'The viewer''s fields of a public AR experience (slug, name, qr_url, model format, path in the '
'ar-models bucket and size, product name); LU170 when no public experience has this slug.';

revoke execute on function private.get_ar_experience(text) from public, anon, authenticated;
grant execute on function private.get_ar_experience(text) to anon, authenticated, service_role;

create or replace function public.get_ar_experience(slug text)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select private.get_ar_experience(get_ar_experience.slug)
$$;

comment on function public.get_ar_experience(text) is
'What an AR viewer needs of a public experience, by its share slug (anyone, anon included): '
'{slug, name, qr_url, model_format, model_path, model_size_bytes, product_name}. LU170 when none.';

revoke execute on function public.get_ar_experience(text) from public, anon;
grant execute on function public.get_ar_experience(text) to anon, authenticated, service_role;

-- == record_ar_view ==============================================================================

-- definer: anon may not update ar_experiences; this adds one view (and its duration) to a
-- public experience in a single update, so concurrent viewers never lose a count
create or replace function private.record_ar_view(slug text, session_seconds integer)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    perform private.check_ar_slug(record_ar_view.slug);
    if record_ar_view.session_seconds not between 0 and 86400 then
        raise exception using errcode = '22023',
            message = 'session_seconds: from 0 to 86400',
            detail = format('%s given', record_ar_view.session_seconds);
    end if;
    update public.ar_experiences as e set
        views_count = e.views_count + 1,
        timed_sessions = e.timed_sessions + (record_ar_view.session_seconds is not null)::integer,
        total_session_seconds = e.total_session_seconds + coalesce(record_ar_view.session_seconds, 0)
    where e.slug = record_ar_view.slug and e.is_public;
    if not found then
        raise exception using errcode = 'LU170',
            message = 'AR experience not found',
            hint = 'The link is wrong, or the experience is no longer public.';
    end if;
end;
$$;

comment on function private.record_ar_view(text, integer) is
'Counts one view of a public AR experience and, when given, its duration (0 to 86400 seconds) in '
'the running average; atomic. LU170 when no public experience has this slug, 22023 out of bounds.';

revoke execute on function private.record_ar_view(text, integer) from public, anon, authenticated;
grant execute on function private.record_ar_view(text, integer) to anon, authenticated, service_role;

create or replace function public.record_ar_view(slug text, session_seconds integer default null)
returns void
language sql
volatile
set search_path = ''
as $$
    select private.record_ar_view(record_ar_view.slug, record_ar_view.session_seconds)
$$;

comment on function public.record_ar_view(text, integer) is
'A viewer (anon included) reports one view of a public AR experience, with its duration in seconds '
'(0 to 86400) when known. LU170 when no public experience has this slug.';

revoke execute on function public.record_ar_view(text, integer) from public, anon;
grant execute on function public.record_ar_view(text, integer) to anon, authenticated, service_role;

-- == triggers on public.ar_models ================================================================

create or replace trigger _100_set_updated_at before update on public.ar_models
for each row execute function private.tg_set_updated_at();

create or replace trigger _500_audit after insert or update or delete on public.ar_models
for each row execute function private.tg_audit();

-- == triggers on public.ar_experiences ===========================================================
-- Only the columns members edit: the counters record_ar_view() moves neither stamp updated_at
-- nor fill the audit log.

create or replace trigger _100_set_updated_at
before update of organization_id, ar_model_id, name, slug, qr_url, is_public on public.ar_experiences
for each row execute function private.tg_set_updated_at();

create or replace trigger _500_audit
after insert or delete or update of organization_id, ar_model_id, name, slug, qr_url, is_public
on public.ar_experiences
for each row execute function private.tg_audit();
