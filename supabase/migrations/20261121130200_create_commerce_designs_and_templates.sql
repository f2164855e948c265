-- create commerce designs and templates
--
-- Purpose: what customers and designers make before they buy: designs per organisation (on one of
--          its products, kept in versions by trigger at every save, restorable by RPC, grouped in
--          collections), and the organisation's gallery: templates (published ones shown to every
--          signed-in user, with view and download counters and a rating that only RPCs move),
--          a user's saved copies of templates, favourites, and cliparts. Members read everything
--          of their organisation (organization.read); designs.write (designer and above) writes.
-- Touches: types public.design_status, public.clipart_format; function private.check_asset_path;
--          tables public.designs, public.design_versions, public.design_collections,
--          public.design_collection_items, public.templates, public.user_templates,
--          public.template_favorites, public.cliparts, private.template_ratings;
--          private.audited_tables (designs, templates).
-- Destructive: no.

create type public.design_status as enum ('draft', 'completed', 'archived');

comment on type public.design_status is
'draft: being edited; completed: ready to order; archived: put away, kept for the orders naming it.';

create type public.clipart_format as enum ('svg', 'png');

comment on type public.clipart_format is 'The file format of a clipart in storage.';

-- =============================================================================================
-- storage paths
-- =============================================================================================

create function private.check_asset_path(value text, label text)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    -- a path inside a storage bucket: segments of letters, digits, _ . ( ) - and spaces, each
    -- starting with a letter or digit (no leading slash, no empty, "." or ".." segment)
    perform private.check_text(
        check_asset_path.value, check_asset_path.label, 1024, 1,
        '^[A-Za-z0-9][A-Za-z0-9_.() -]*(/[A-Za-z0-9][A-Za-z0-9_.() -]*)*$'
    );
    return true;
end;
$$;

comment on function private.check_asset_path(text, text) is
'Validation (check constraints): null, or a storage path of at most 1024 characters made of segments '
'starting with a letter or digit (no leading slash, no . or .. segment); 22001 or 22023 otherwise.';

revoke execute on function private.check_asset_path(text, text) from public, anon, authenticated;
grant execute on function private.check_asset_path(text, text) to authenticated, service_role;

-- =============================================================================================
-- designs and their versions
-- =============================================================================================

create table public.designs (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    product_id uuid,
    created_by uuid default auth.uid() references auth.users (id) on delete set null,
    name text not null constraint designs_name_check check (private.check_text(name, 'name', 200, 1)),
    status public.design_status not null default 'draft',
    data jsonb not null default '{}' constraint designs_data_check
    check (private.check_json_object(data, 'data', 524288)),
    thumbnail text constraint designs_thumbnail_check check (private.check_asset_path(thumbnail, 'thumbnail')),
    current_version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    -- the product belongs to the design's organisation
    foreign key (organization_id, product_id) references public.products (organization_id, id)
    on delete set null (product_id),
    -- collection items and order items reference (organization_id, id)
    unique (organization_id, id)
);

comment on table public.designs is
'A personalisation made in the editor, on one of the organisation''s products. Every change of data '
'keeps a version (design_versions, by trigger); current_version is the latest version''s number.';
comment on column public.designs.data is 'The editor''s document (a JSON object, at most 512 KiB).';
comment on column public.designs.thumbnail is 'Storage path of the preview image.';

create index designs_organization_id_idx on public.designs (organization_id, updated_at desc);
create index designs_organization_id_product_id_idx on public.designs (organization_id, product_id);
create index designs_created_by_idx on public.designs (created_by);

alter table public.designs enable row level security;
revoke all on public.designs from anon, authenticated;
grant select on public.designs to authenticated;
grant insert (id, organization_id, product_id, name, status, data, thumbnail) on public.designs to authenticated;
grant update (product_id, name, status, data, thumbnail) on public.designs to authenticated;
grant delete on public.designs to authenticated;
grant all on public.designs to service_role;

create table public.design_versions (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null,
    design_id uuid not null,
    version integer not null check (version > 0),
    data jsonb not null default '{}',
    thumbnail text,
    created_by uuid references auth.users (id) on delete set null,
    created_at timestamptz not null default now(),
    foreign key (organization_id, design_id) references public.designs (organization_id, id) on delete cascade,
    unique (design_id, version)
);

comment on table public.design_versions is
'Every saved state of a design, numbered from 1 per design. Written only by the designs trigger; '
'restore one with restore_design_version().';

create index design_versions_organization_id_design_id_idx on public.design_versions (organization_id, design_id);
create index design_versions_created_by_idx on public.design_versions (created_by);

alter table public.design_versions enable row level security;
revoke all on public.design_versions from anon, authenticated;
grant select on public.design_versions to authenticated;
grant all on public.design_versions to service_role;

-- =============================================================================================
-- collections of designs
-- =============================================================================================

create table public.design_collections (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    name text not null constraint design_collections_name_check check (private.check_text(name, 'name', 120, 1)),
    description text constraint design_collections_description_check
    check (private.check_text(description, 'description', 2000, 0, null, true)),
    created_by uuid default auth.uid() references auth.users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (organization_id, id)
);

comment on table public.design_collections is
'A named group of designs of one organisation; a design may be in several.';

create index design_collections_organization_id_idx on public.design_collections (organization_id, name);
create index design_collections_created_by_idx on public.design_collections (created_by);

alter table public.design_collections enable row level security;
revoke all on public.design_collections from anon, authenticated;
grant select on public.design_collections to authenticated;
grant insert (id, organization_id, name, description) on public.design_collections to authenticated;
grant update (name, description) on public.design_collections to authenticated;
grant delete on public.design_collections to authenticated;
grant all on public.design_collections to service_role;

create table public.design_collection_items (
    organization_id uuid not null,
    collection_id uuid not null,
    design_id uuid not null,
    added_by uuid default auth.uid() references auth.users (id) on delete set null,
    added_at timestamptz not null default now(),
    primary key (organization_id, collection_id, design_id),
    -- both in the same organisation
    foreign key (organization_id, collection_id) references public.design_collections (organization_id, id)
    on delete cascade,
    foreign key (organization_id, design_id) references public.designs (organization_id, id) on delete cascade
);

comment on table public.design_collection_items is
'Which designs a collection holds; the design and the collection belong to the same organisation.';

create index design_collection_items_design_idx on public.design_collection_items (organization_id, design_id);
create index design_collection_items_added_by_idx on public.design_collection_items (added_by);

alter table public.design_collection_items enable row level security;
revoke all on public.design_collection_items from anon, authenticated;
grant select, delete on public.design_collection_items to authenticated;
grant insert (organization_id, collection_id, design_id) on public.design_collection_items to authenticated;
grant all on public.design_collection_items to service_role;

-- =============================================================================================
-- the template gallery
-- =============================================================================================

create table public.templates (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    name text not null constraint templates_name_check check (private.check_text(name, 'name', 200, 1)),
    description text constraint templates_description_check
    check (private.check_text(description, 'description', 2000, 0, null, true)),
    category text not null default 'general' constraint templates_category_check
    check (private.check_text(category, 'category', 60, 1)),
    tags text[] not null default '{}' constraint templates_tags_check
    check (private.check_text_array(tags, 'tags', 20, 40)),
    is_premium boolean not null default false,
    is_published boolean not null default false,
    data jsonb not null default '{}' constraint templates_data_check
    check (private.check_json_object(data, 'data', 524288)),
    thumbnail text constraint templates_thumbnail_check check (private.check_asset_path(thumbnail, 'thumbnail')),
    rating_average numeric(3, 2) not null default 0 check (rating_average between 0 and 5),
    rating_count integer not null default 0 check (rating_count >= 0),
    view_count bigint not null default 0 check (view_count >= 0),
    download_count bigint not null default 0 check (download_count >= 0),
    created_by uuid default auth.uid() references auth.users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.templates is
'The organisation''s gallery of starting points. Published ones are readable by every signed-in '
'user, all of them by members. rating_*, view_count and download_count move only through '
'rate_template(), record_template_view() and record_template_download().';

create index templates_organization_id_idx on public.templates (organization_id, category, created_at desc);
create index templates_published_idx on public.templates (organization_id, category, created_at desc)
where is_published;
create index templates_created_by_idx on public.templates (created_by);

alter table public.templates enable row level security;
revoke all on public.templates from anon, authenticated;
grant select on public.templates to authenticated;
grant insert (
    id, organization_id, name, description, category, tags, is_premium, is_published, data, thumbnail
) on public.templates to authenticated;
grant update (
    name, description, category, tags, is_premium, is_published, data, thumbnail
) on public.templates to authenticated;
grant delete on public.templates to authenticated;
grant all on public.templates to service_role;

create table private.template_ratings (
    template_id uuid not null references public.templates (id) on delete cascade,
    user_id uuid not null references auth.users (id) on delete cascade,
    stars smallint not null check (stars between 1 and 5),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (template_id, user_id)
);

comment on table private.template_ratings is
'One rating per user and template, written only by rate_template(), which recomputes the template''s average.';

create index template_ratings_user_id_idx on private.template_ratings (user_id);

revoke all on private.template_ratings from public, anon, authenticated;
grant all on private.template_ratings to service_role;

create table public.user_templates (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
    template_id uuid references public.templates (id) on delete set null,
    name text not null constraint user_templates_name_check check (private.check_text(name, 'name', 200, 1)),
    data jsonb not null default '{}' constraint user_templates_data_check
    check (private.check_json_object(data, 'data', 524288)),
    thumbnail text constraint user_templates_thumbnail_check
    check (private.check_asset_path(thumbnail, 'thumbnail')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.user_templates is
'A user''s own saved copy of a template (or a starting point of their own); readable and writable by that user only.';

create index user_templates_user_id_idx on public.user_templates (user_id, created_at desc);
create index user_templates_template_id_idx on public.user_templates (template_id);

alter table public.user_templates enable row level security;
revoke all on public.user_templates from anon, authenticated;
grant select, delete on public.user_templates to authenticated;
grant insert (id, user_id, template_id, name, data, thumbnail) on public.user_templates to authenticated;
grant update (name, data, thumbnail) on public.user_templates to authenticated;
grant all on public.user_templates to service_role;

create table public.template_favorites (
    user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
    template_id uuid not null references public.templates (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (user_id, template_id)
);

comment on table public.template_favorites is 'The templates a user marked as favourite; own rows only, once each.';

create index template_favorites_template_id_idx on public.template_favorites (template_id);

alter table public.template_favorites enable row level security;
revoke all on public.template_favorites from anon, authenticated;
grant select, delete on public.template_favorites to authenticated;
grant insert (user_id, template_id) on public.template_favorites to authenticated;
grant all on public.template_favorites to service_role;

create table public.cliparts (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    name text not null constraint cliparts_name_check check (private.check_text(name, 'name', 200, 1)),
    category text not null default 'general' constraint cliparts_category_check
    check (private.check_text(category, 'category', 60, 1)),
    tags text[] not null default '{}' constraint cliparts_tags_check
    check (private.check_text_array(tags, 'tags', 20, 40)),
    storage_path text not null constraint cliparts_storage_path_check
    check (private.check_asset_path(storage_path, 'storage_path')),
    format public.clipart_format not null,
    is_published boolean not null default false,
    created_by uuid default auth.uid() references auth.users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.cliparts is
'Images a design may use, per organisation; published ones are readable by every signed-in user, all by members.';

create index cliparts_organization_id_idx on public.cliparts (organization_id, category, name);
create index cliparts_published_idx on public.cliparts (organization_id, category, name) where is_published;
create index cliparts_created_by_idx on public.cliparts (created_by);

alter table public.cliparts enable row level security;
revoke all on public.cliparts from anon, authenticated;
grant select, delete on public.cliparts to authenticated;
grant insert (
    id, organization_id, name, category, tags, storage_path, format, is_published
) on public.cliparts to authenticated;
grant update (name, category, tags, storage_path, format, is_published) on public.cliparts to authenticated;
grant all on public.cliparts to service_role;

insert into private.audited_tables (table_name, read_permission) values
('designs', 'organization.read'),
('templates', 'organization.read');
