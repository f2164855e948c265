-- Policies on storage.objects: every file Luneo's buckets hold (buckets: migration
-- 20261121130300_create_commerce_storage_and_ar.sql). ONE file for the table, whatever feature a
-- bucket serves, because policy files are declarative: `luneo db apply` drops every policy on
-- storage.objects before running this file, including policies made outside it (the Supabase
-- dashboard): write storage policies here, never in the dashboard.
--
-- The first folder of an object's name says whose it is:
--   avatars/<user_id>/...              the user's own (public bucket: served by URL to anyone)
--   design-assets/<organization_id>/... members read, designs.write writes (private bucket)
--   ar-models/<organization_id>/...     products.manage writes (public bucket: served by URL)
-- and the extension must be one of the bucket's file types (the bucket's MIME list checks the
-- Content-Type the client declares; ar-models accepts application/octet-stream, which browsers
-- send for .glb and .usdz, so the extension is what holds there).
-- Listing is a select on storage.objects: on the public buckets only the folder's writers may
-- select (the Storage API needs it to overwrite and to delete), so nobody lists anyone else's
-- files, and anon lists nothing anywhere. Public files are still served by URL: that needs no policy.
-- Uploads need insert only (upsert: true needs select and update too).

create policy "members read their organisation's files and writers their own folders"
on storage.objects for select to authenticated
using (
    (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text)
    or (
        bucket_id = 'design-assets'
        and (storage.foldername(name))[1] = any((select private.organizations_with('organization.read'))::text[])
    )
    or (
        bucket_id = 'ar-models'
        and (storage.foldername(name))[1] = any((select private.organizations_with('products.manage'))::text[])
    )
);

create policy "users upload their avatar and members their organisation's files"
on storage.objects for insert to authenticated
with check (
    (
        bucket_id = 'avatars'
        and (storage.foldername(name))[1] = (select auth.uid())::text
        and lower(storage.extension(name)) in ('png', 'jpg', 'jpeg', 'webp', 'gif', 'avif')
    )
    or (
        bucket_id = 'design-assets'
        and (storage.foldername(name))[1] = any((select private.organizations_with('designs.write'))::text[])
        and lower(storage.extension(name)) in ('png', 'jpg', 'jpeg', 'webp', 'gif', 'avif', 'svg', 'pdf')
    )
    or (
        bucket_id = 'ar-models'
        and (storage.foldername(name))[1] = any((select private.organizations_with('products.manage'))::text[])
        and lower(storage.extension(name)) in ('glb', 'gltf', 'usdz')
    )
);

create policy "users replace their avatar and members their organisation's files"
on storage.objects for update to authenticated
using (
    (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text)
    or (
        bucket_id = 'design-assets'
        and (storage.foldername(name))[1] = any((select private.organizations_with('designs.write'))::text[])
    )
    or (
        bucket_id = 'ar-models'
        and (storage.foldername(name))[1] = any((select private.organizations_with('products.manage'))::text[])
    )
)
with check (
    (
        bucket_id = 'avatars'
        and (storage.foldername(name))[1] = (select auth.uid())::text
        and lower(storage.extension(name)) in ('png', 'jpg', 'jpeg', 'webp', 'gif', 'avif')
    )
    or (
        bucket_id = 'design-assets'
        and (storage.foldername(name))[1] = any((select private.organizations_with('designs.write'))::text[])
        and lower(storage.extension(name)) in ('png', 'jpg', 'jpeg', 'webp', 'gif', 'avif', 'svg', 'pdf')
    )
    or (
        bucket_id = 'ar-models'
        and (storage.foldername(name))[1] = any((select private.organizations_with('products.manage'))::text[])
        and lower(storage.extension(name)) in ('glb', 'gltf', 'usdz')
    )
);

create policy "users delete their avatar and members their organisation's files"
on storage.objects for delete to authenticated
using (
    (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text)
    or (
        bucket_id = 'design-assets'
        and (storage.foldername(name))[1] = any((select private.organizations_with('designs.write'))::text[])
    )
    or (
        bucket_id = 'ar-models'
        and (storage.foldername(name))[1] = any((select private.organizations_with('products.manage'))::text[])
    )
);
