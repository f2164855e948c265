-- Luneo compat stand-in, part 4 of 6: the storage schema (Supabase Storage).
--
-- Purpose: what app migrations use of Supabase Storage: buckets created by insert into
-- storage.buckets (with size and MIME type limits), RLS policies on storage.objects, and the
-- path helpers storage.foldername(), storage.filename(), storage.extension() those policies
-- call. There is no Storage API here: rows stand for files, tests insert them as the API
-- would (as the requesting role, so that the policies decide).
--
-- Objects touched (this database only):
--   schema    storage
--   type      storage.buckettype
--   tables    storage.buckets, storage.objects: Supabase's columns, defaults, indexes and
--             foreign key; RLS enabled with no policy; owned by supabase_storage_admin;
--             all privileges to anon, authenticated and service_role (RLS decides, as on Supabase)
--   functions storage.foldername(text), storage.filename(text), storage.extension(text),
--             storage.operation(), storage.update_updated_at_column() and its trigger on objects
--   default privileges of the installing role in schema storage, as Supabase sets them

create schema if not exists storage;

comment on schema storage is 'luneo compat stand-in for Supabase storage';

grant usage on schema storage to anon, authenticated, service_role;
grant all on schema storage to supabase_storage_admin;

alter default privileges in schema storage grant all on tables to anon, authenticated, service_role;
alter default privileges in schema storage grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema storage grant all on functions to anon, authenticated, service_role;

do $types$
begin
    if to_regtype('storage.buckettype') is null then
        create type storage.buckettype as enum ('STANDARD', 'ANALYTICS');
    end if;
end
$types$;

comment on type storage.buckettype is 'Kind of bucket: STANDARD for files (luneo compat stand-in).';

create table if not exists storage.buckets (
    id text not null,
    name text not null,
    owner uuid,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    public boolean default false,
    avif_autodetection boolean default false,
    file_size_limit bigint,
    allowed_mime_types text[],
    owner_id text,
    type storage.buckettype not null default 'STANDARD',
    constraint buckets_pkey primary key (id)
);

comment on table storage.buckets is
'Storage buckets; public buckets serve their files without a policy (luneo compat stand-in).';
comment on column storage.buckets.owner is 'Deprecated: use owner_id.';
comment on column storage.buckets.file_size_limit is 'Largest accepted file in bytes, null for the project limit.';
comment on column storage.buckets.allowed_mime_types is 'Accepted MIME types (wildcards like image/*), null for any.';

create unique index if not exists bname on storage.buckets (name);

create table if not exists storage.objects (
    id uuid not null default gen_random_uuid(),
    bucket_id text,
    name text,
    owner uuid,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    last_accessed_at timestamptz default now(),
    metadata jsonb,
    path_tokens text[] generated always as (string_to_array(name, '/')) stored,
    version text,
    owner_id text,
    user_metadata jsonb,
    constraint objects_pkey primary key (id),
    constraint "objects_bucketId_fkey" foreign key (bucket_id) references storage.buckets (id)
);

comment on table storage.objects is
'Files stored in buckets, one row per object; name is the path inside the bucket (luneo compat stand-in).';
comment on column storage.objects.owner is 'Deprecated: use owner_id.';

create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
create index if not exists idx_objects_bucket_id_name on storage.objects (bucket_id, name collate "C");
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

create or replace function storage.update_updated_at_column()
returns trigger
language plpgsql
as $$
begin
    new.updated_at = now();
    return new;
end
$$;

comment on function storage.update_updated_at_column() is 'Trigger function: stamps updated_at on update.';

create or replace trigger update_objects_updated_at
before update on storage.objects
for each row execute function storage.update_updated_at_column();

-- Path helpers, with Supabase's definitions (plpgsql; foldername and extension immutable).

create or replace function storage.foldername(name text)
returns text[]
language plpgsql
immutable
as $$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[1 : array_length(_parts, 1) - 1];
end
$$;

comment on function storage.foldername(text) is
'Folders of an object path: foldername(''a/b/c.png'') = {a,b}; policies compare element [1] with the user id.';

create or replace function storage.filename(name text)
returns text
language plpgsql
as $$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[array_length(_parts, 1)];
end
$$;

comment on function storage.filename(text) is 'Last segment of an object path: filename(''a/b/c.png'') = c.png.';

create or replace function storage.extension(name text)
returns text
language plpgsql
immutable
as $$
declare
    _parts text[];
    _filename text;
begin
    select string_to_array(name, '/') into _parts;
    select _parts[array_length(_parts, 1)] into _filename;
    return reverse(split_part(reverse(_filename), '.', 1));
end
$$;

comment on function storage.extension(text) is
'Extension of an object path: extension(''a/b/c.png'') = png (the whole name when it has no dot).';

create or replace function storage.operation()
returns text
language plpgsql
stable
as $$
begin
    return current_setting('storage.operation', true);
end
$$;

comment on function storage.operation() is
'Operation the Storage API is performing (storage.operation setting), null outside it.';

alter table storage.buckets owner to supabase_storage_admin;
alter table storage.objects owner to supabase_storage_admin;
alter type storage.buckettype owner to supabase_storage_admin;
alter function storage.update_updated_at_column() owner to supabase_storage_admin;
alter function storage.foldername(text) owner to supabase_storage_admin;
alter function storage.filename(text) owner to supabase_storage_admin;
alter function storage.extension(text) owner to supabase_storage_admin;
alter function storage.operation() owner to supabase_storage_admin;

grant all on table storage.buckets, storage.objects to anon, authenticated, service_role;
grant execute on function
storage.foldername(text),
storage.filename(text),
storage.extension(text),
storage.operation()
to public;
