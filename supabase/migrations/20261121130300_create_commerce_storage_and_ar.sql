-- create commerce storage and ar
--
-- Purpose: the three storage buckets the frontend uploads to, with their size and MIME limits,
--          and the AR catalogue: 3D models of products (files in the ar-models bucket) and the
--          AR experiences brands share by an unguessable link or QR code.
--          Buckets (storage.buckets, Supabase's own table): avatars (2 MB, raster images, public,
--          one folder per user: <user_id>/...), design-assets (10 MB, images, SVG and PDF,
--          private, one folder per organisation: <organization_id>/...), ar-models (50 MB,
--          glTF/GLB/USDZ, public, <organization_id>/...). A bucket that already exists (made from
--          the dashboard, or by an earlier run) keeps its name and gets these limits and this
--          visibility. Who may write where: supabase/policies/_shared/storage_objects.sql.
--          ar_models: a product's model file (storage path inside the organisation's folder of
--          ar-models, extension matching the format), its size. ar_experiences: a shareable AR
--          view of a model with a generated slug; viewers (anon included) reach a public one only
--          through get_ar_experience(slug), never through the table, and record_ar_view() counts
--          views and session time. Members read; products.manage writes.
-- Touches: rows 'avatars', 'design-assets', 'ar-models' of storage.buckets (insert or update of
--          public, file_size_limit, allowed_mime_types); type public.ar_model_format; tables
--          public.ar_models, public.ar_experiences (audited: private.audited_tables); function
--          private.check_ar_model_path.
-- Destructive: no. An existing bucket of one of these ids has its public flag and limits
--          replaced by these; its files are kept.

-- =============================================================================================
-- buckets
-- =============================================================================================

-- ar-models: browsers send the registered model types when the OS knows the extension, and
-- application/octet-stream (or nothing) for .glb and .usdz elsewhere; the policies then require
-- the .glb, .gltf or .usdz extension, whatever the type.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types) values
(
    'avatars', 'avatars', true, 2097152,
    array['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/avif']
),
(
    'design-assets', 'design-assets', false, 10485760,
    array['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/avif', 'image/svg+xml', 'application/pdf']
),
(
    'ar-models', 'ar-models', true, 52428800,
    array[
        'model/gltf-binary', 'model/gltf+json', 'model/vnd.usdz+zip', 'model/usd', 'model/vnd.pixar.usd',
        'application/octet-stream'
    ]
)
on conflict (id) do update set
    public = excluded.public,
    file_size_limit = excluded.file_size_limit,
    allowed_mime_types = excluded.allowed_mime_types;

-- =============================================================================================
-- ar_models
-- =============================================================================================

create type public.ar_model_format as enum ('glb', 'gltf', 'usdz');

comment on type public.ar_model_format is
'File format of an AR model: glb (binary glTF, Android and the web), gltf (glTF with embedded '
'buffers), usdz (Apple AR Quick Look).';

create function private.check_ar_model_path(
    storage_path text, organization_id uuid, format public.ar_model_format
)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    perform private.check_text(check_ar_model_path.storage_path, 'storage_path', 1024, 1);
    if check_ar_model_path.storage_path is null then
        return true;
    end if;
    if pg_catalog.split_part(check_ar_model_path.storage_path, '/', 1) <> check_ar_model_path.organization_id::text
        or check_ar_model_path.storage_path !~ '^[^/]+(/[^/]+)+$'
        or check_ar_model_path.storage_path ~ '(^|/)\.\.?(/|$)' then
        raise exception using errcode = '22023',
            message = 'storage_path: must be <organization_id>/<name> in the ar-models bucket',
            detail = pg_catalog.left(check_ar_model_path.storage_path, 100),
            hint = 'Upload the file under the organisation''s folder first.';
    end if;
    if pg_catalog.lower(pg_catalog.substring(check_ar_model_path.storage_path, '\.([^./]+)$'))
        is distinct from check_ar_model_path.format::text then
        raise exception using errcode = '22023',
            message = format('storage_path: a %s model needs the .%s extension',
                check_ar_model_path.format, check_ar_model_path.format);
    end if;
    return true;
end;
$$;

comment on function private.check_ar_model_path(text, uuid, public.ar_model_format) is
'Validation (check constraint on ar_models): storage_path is <organization_id>/<path> (no empty, . or '
'.. segment), at most 1024 characters, with the extension of the format; 22023 or 22001 otherwise.';

revoke execute on function private.check_ar_model_path(text, uuid, public.ar_model_format)
from public, anon, authenticated;
grant execute on function private.check_ar_model_path(text, uuid, public.ar_model_format)
to authenticated, service_role;

create table public.ar_models (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    product_id uuid not null,
    name text not null constraint ar_models_name_check check (private.check_text(name, 'name', 200, 1)),
    format public.ar_model_format not null,
    storage_path text not null constraint ar_models_storage_path_check
    check (private.check_ar_model_path(storage_path, organization_id, format)),
    size_bytes bigint not null check (size_bytes between 1 and 52428800),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    foreign key (organization_id, product_id) references public.products (organization_id, id) on delete cascade,
    unique (storage_path),
    -- ar_experiences reference (organization_id, id): an experience shows its organisation's model
    unique (organization_id, id)
);

comment on table public.ar_models is
'3D models of a product for AR viewers: a file in the ar-models bucket under the organisation''s '
'folder, its format and size (at most 50 MB, the bucket''s limit).';
comment on column public.ar_models.storage_path is
'Path of the file in the ar-models bucket: <organization_id>/..., ending in .glb, .gltf or .usdz as format says.';

create index ar_models_organization_id_product_id_idx on public.ar_models (organization_id, product_id);
create index ar_models_organization_id_created_at_idx on public.ar_models (organization_id, created_at desc);

alter table public.ar_models enable row level security;
revoke all on public.ar_models from anon, authenticated;
grant select on public.ar_models to authenticated;
grant insert (id, organization_id, product_id, name, format, storage_path, size_bytes)
on public.ar_models to authenticated;
grant update (product_id, name, format, storage_path, size_bytes) on public.ar_models to authenticated;
grant delete on public.ar_models to authenticated;
grant all on public.ar_models to service_role;

-- =============================================================================================
-- ar_experiences
-- =============================================================================================

create table public.ar_experiences (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    ar_model_id uuid not null,
    name text not null constraint ar_experiences_name_check check (private.check_text(name, 'name', 200, 1)),
    -- 122 random bits from pg_strong_random(): the share link cannot be guessed or enumerated
    slug text not null default pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '')
    check (slug ~ '^[0-9a-f]{32}$'),
    qr_url text constraint ar_experiences_qr_url_check
    check (private.check_text(qr_url, 'qr_url', 2048, 1, '^https://[^\s]+$')),
    is_public boolean not null default false,
    views_count bigint not null default 0 check (views_count >= 0),
    timed_sessions bigint not null default 0 check (timed_sessions between 0 and views_count),
    total_session_seconds bigint not null default 0 check (total_session_seconds >= 0),
    average_session_seconds numeric generated always as (
        case when timed_sessions > 0 then round(total_session_seconds::numeric / timed_sessions, 1) end
    ) stored,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    foreign key (organization_id, ar_model_id) references public.ar_models (organization_id, id) on delete cascade,
    unique (slug)
);

comment on table public.ar_experiences is
'A shareable AR view of a model: /ar/<slug> and its QR code. Viewers reach a public one only through '
'get_ar_experience(slug); views and session time are counted by record_ar_view(), never by clients.';
comment on column public.ar_experiences.slug is 'Generated, 32 hex characters (122 random bits): the share link.';
comment on column public.ar_experiences.average_session_seconds is
'total_session_seconds / timed_sessions (views that reported a duration), null before the first.';

create index ar_experiences_organization_id_ar_model_id_idx
on public.ar_experiences (organization_id, ar_model_id);
create index ar_experiences_organization_id_created_at_idx
on public.ar_experiences (organization_id, created_at desc);

alter table public.ar_experiences enable row level security;
revoke all on public.ar_experiences from anon, authenticated;
grant select on public.ar_experiences to authenticated;
grant insert (id, organization_id, ar_model_id, name, qr_url, is_public) on public.ar_experiences to authenticated;
grant update (ar_model_id, name, qr_url, is_public) on public.ar_experiences to authenticated;
grant delete on public.ar_experiences to authenticated;
grant all on public.ar_experiences to service_role;

insert into private.audited_tables (table_name, read_permission) values
('ar_models', 'organization.read'),
('ar_experiences', 'organization.read');
