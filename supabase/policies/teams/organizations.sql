-- Policies on public.organizations. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

create policy "members can read their organisations"
on public.organizations for select to authenticated
using (id = any((select private.organizations_with('organization.read'))::uuid[]));

create policy "admins can update their organisation"
on public.organizations for update to authenticated
using (id = any((select private.organizations_with('organization.update'))::uuid[]))
with check (id = any((select private.organizations_with('organization.update'))::uuid[]));

create policy "owners can delete their organisation"
on public.organizations for delete to authenticated
using (id = any((select private.organizations_with('organization.delete'))::uuid[]));
