-- Policies on public.design_collection_items.
-- Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

-- No update: an item is added or removed.

create policy "members can read their organisation's collection items"
on public.design_collection_items for select to authenticated
using (organization_id = any((select private.organizations_with('organization.read'))::uuid[]));

-- the composite foreign keys keep the design and the collection in this organisation
create policy "designers can add designs to collections"
on public.design_collection_items for insert to authenticated
with check (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));

create policy "designers can remove designs from collections"
on public.design_collection_items for delete to authenticated
using (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));
