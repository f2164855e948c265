-- create commerce products
--
-- Purpose: the catalogue a brand sells: products per organisation with a sku unique in the
--          organisation, a price in minor units, stock (tracked or not), a status, images, and
--          the customisation a customer may ask for, described by a small JSON schema that is
--          validated on write (private.check_customisation_schema; values given at checkout are
--          checked against it by private.check_customisation, supabase/functions/commerce/).
--          Active products are the storefront: readable by everyone, anon included. Members see
--          all their organisation's products; products.manage (manager, admin, owner) writes them.
-- Touches: type public.product_status; table public.products; permission products.manage
--          (manager, admin, owner); functions private.check_customisation_schema.
-- Destructive: no.

insert into private.permissions (name, description, requires_mfa, owner_only) values
('products.manage', 'Create, edit and archive products, their prices and stock', false, false);

insert into private.role_permissions (role, permission) values
('manager', 'products.manage'),
('admin', 'products.manage'),
('owner', 'products.manage');

create type public.product_status as enum ('draft', 'active', 'archived');

comment on type public.product_status is
'draft: being prepared, members only; active: on sale, readable by everyone; archived: withdrawn.';

-- =============================================================================================
-- the customisation schema
-- =============================================================================================

create function private.check_customisation_schema(value jsonb)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
    field jsonb;
    field_key text;
    field_type text;
    seen text[] := '{}';
    allowed_keys constant text[] := array[
        'key', 'label', 'type', 'required', 'max_length', 'pattern', 'options', 'min', 'max'
    ];
begin
    if check_customisation_schema.value is null then
        return true;
    end if;
    perform private.check_json_object(check_customisation_schema.value, 'customisation_schema', 16384);
    if exists (select from pg_catalog.jsonb_object_keys(check_customisation_schema.value) as k where k <> 'fields')
        or pg_catalog.jsonb_typeof(check_customisation_schema.value -> 'fields') is distinct from 'array' then
        raise exception using errcode = '22023',
            message = 'customisation_schema: must be {"fields": [...]}',
            hint = 'See docs/api/commerce.md#customisation.';
    end if;
    if pg_catalog.jsonb_array_length(check_customisation_schema.value -> 'fields') > 20 then
        raise exception using errcode = '22023', message = 'customisation_schema: at most 20 fields';
    end if;
    for field in select f from pg_catalog.jsonb_array_elements(check_customisation_schema.value -> 'fields') as f loop
        if pg_catalog.jsonb_typeof(field) <> 'object'
            or exists (select from pg_catalog.jsonb_object_keys(field) as k where k <> all (allowed_keys)) then
            raise exception using errcode = '22023',
                message = 'customisation_schema: each field is an object of key, label, type, required, '
                'max_length, pattern, options, min, max';
        end if;
        field_key := field ->> 'key';
        field_type := field ->> 'type';
        perform private.check_text(field_key, 'customisation_schema: key', 40, 1, '^[a-z][a-z0-9_]*$');
        if field_key is null or field_key = any (seen) then
            raise exception using errcode = '22023',
                message = format('customisation_schema: every field needs a unique key (%s)', field_key);
        end if;
        seen := seen || field_key;
        perform private.check_text(field ->> 'label', 'customisation_schema: label', 80);
        if field_type is null or field_type not in ('text', 'choice', 'number', 'boolean', 'image') then
            raise exception using errcode = '22023',
                message = format('customisation_schema: field %s has type %s', field_key, coalesce(field_type, 'null')),
                hint = 'Types are text, choice, number, boolean and image.';
        end if;
        if (field ? 'required' and pg_catalog.jsonb_typeof(field -> 'required') <> 'boolean')
            or (field ? 'max_length' and (
                pg_catalog.jsonb_typeof(field -> 'max_length') <> 'number'
                or field_type <> 'text'
                or (field ->> 'max_length')::numeric not between 1 and 1000
            ))
            or (field ? 'pattern' and (pg_catalog.jsonb_typeof(field -> 'pattern') <> 'string' or field_type <> 'text'))
            or (field ? 'options') <> (field_type = 'choice')
            or ((field ? 'min' or field ? 'max') and field_type <> 'number')
            or (field ? 'min' and pg_catalog.jsonb_typeof(field -> 'min') <> 'number')
            or (field ? 'max' and pg_catalog.jsonb_typeof(field -> 'max') <> 'number') then
            raise exception using errcode = '22023',
                message = format('customisation_schema: field %s has attributes its type %s does not take',
                    field_key, field_type),
                hint = 'text: max_length (1-1000), pattern; choice: options; number: min, max; all: label, required.';
        end if;
        if field ? 'pattern' then
            perform private.check_text(field ->> 'pattern', 'customisation_schema: pattern', 200);
            begin
                perform '' ~ (field ->> 'pattern');
            exception when invalid_regular_expression then
                raise exception using errcode = '22023',
                    message = format('customisation_schema: field %s has an invalid pattern', field_key);
            end;
        end if;
        if field_type = 'choice' and (
            pg_catalog.jsonb_typeof(field -> 'options') <> 'array'
            or pg_catalog.jsonb_array_length(field -> 'options') not between 1 and 50
            or exists (
                select from pg_catalog.jsonb_array_elements(field -> 'options') as o
                where pg_catalog.jsonb_typeof(o) <> 'string' or pg_catalog.char_length(o #>> '{}') not between 1 and 80
            )
        ) then
            raise exception using errcode = '22023',
                message = format('customisation_schema: field %s needs 1 to 50 options of 1 to 80 characters', field_key);
        end if;
        if field ? 'min' and field ? 'max' and (field ->> 'min')::numeric > (field ->> 'max')::numeric then
            raise exception using errcode = '22023',
                message = format('customisation_schema: field %s has min above max', field_key);
        end if;
    end loop;
    return true;
end;
$$;

comment on function private.check_customisation_schema(jsonb) is
'Validation (check constraint on products.customisation_schema): null, or {"fields": [...]} of at most '
'20 fields with a unique key and a type among text (max_length, pattern), choice (options), number '
'(min, max), boolean and image; 22023 or 22001 otherwise (docs/api/commerce.md#customisation).';

revoke execute on function private.check_customisation_schema(jsonb) from public, anon, authenticated;
grant execute on function private.check_customisation_schema(jsonb) to authenticated, service_role;

-- =============================================================================================
-- products
-- =============================================================================================

create table public.products (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    sku text not null constraint products_sku_check
    check (private.check_text(sku, 'sku', 64, 1, '^[A-Za-z0-9][A-Za-z0-9._-]*$')),
    name text not null constraint products_name_check check (private.check_text(name, 'name', 200, 1)),
    description text constraint products_description_check
    check (private.check_text(description, 'description', 5000, 0, null, true)),
    price_amount bigint not null check (price_amount between 0 and 100000000000),
    currency text not null default 'EUR' check (currency ~ '^[A-Z]{3}$'),
    track_stock boolean not null default true,
    stock integer not null default 0 check (stock between 0 and 1000000000),
    low_stock_threshold integer check (low_stock_threshold between 0 and 1000000000),
    status public.product_status not null default 'draft',
    images text[] not null default '{}' constraint products_images_check
    check (private.check_text_array(images, 'images', 20, 2048)),
    customisation_schema jsonb constraint products_customisation_schema_check
    check (private.check_customisation_schema(customisation_schema)),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (organization_id, sku),
    -- order_items reference (organization_id, id): an order's items belong to its organisation
    unique (organization_id, id)
);

comment on table public.products is
'What a brand sells. Prices in minor units of currency. stock counts only when track_stock; it '
'never goes below zero (orders decrement it atomically). Active products are readable by everyone.';
comment on column public.products.customisation_schema is
'What a customer may personalise: {"fields": [{"key", "label", "type", ...}]} (docs/api/commerce.md#customisation).';
comment on column public.products.images is 'Storage paths or URLs of the product images, first is the main one.';

create index products_organization_id_status_idx on public.products (organization_id, status, created_at desc);
create index products_active_idx on public.products (created_at desc) where status = 'active';

alter table public.products enable row level security;
revoke all on public.products from anon, authenticated;
grant select on public.products to anon, authenticated;
grant insert (
    id, organization_id, sku, name, description, price_amount, currency, track_stock, stock,
    low_stock_threshold, status, images, customisation_schema
) on public.products to authenticated;
grant update (
    sku, name, description, price_amount, currency, track_stock, stock, low_stock_threshold, status,
    images, customisation_schema
) on public.products to authenticated;
grant delete on public.products to authenticated;
grant all on public.products to service_role;

insert into private.audited_tables (table_name, read_permission) values ('products', 'organization.read');
