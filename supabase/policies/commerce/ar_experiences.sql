-- Policies on public.ar_experiences. Declarative: `luneo db apply` drops every policy on the table,
-- then runs this file.
-- Grants (in the migrations) already refuse the operations not listed here; anon has none: viewers
-- reach a public experience through get_ar_experience(slug) only.

create policy "members can read their organisation's AR experiences"
on public.ar_experiences for select to authenticated
using (organization_id = any((select private.organizations_with('organization.read'))::uuid[]));

create policy "product managers can create AR experiences"
on public.ar_experiences for insert to authenticated
with check (organization_id = any((select private.organizations_with('products.manage'))::uuid[]));

create policy "product managers can edit AR experiences"
on public.ar_experiences for update to authenticated
using (organization_id = any((select private.organizations_with('products.manage'))::uuid[]))
with check (organization_id = any((select private.organizations_with('products.manage'))::uuid[]));

create policy "product managers can delete AR experiences"
on public.ar_experiences for delete to authenticated
using (organization_id = any((select private.organizations_with('products.manage'))::uuid[]));
