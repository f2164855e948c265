-- Policies on public.team_roles. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

create policy "members can read their organisation's custom roles"
on public.team_roles for select to authenticated
using (organization_id = any((select private.organizations_with('members.read'))::uuid[]));

create policy "admins can create custom roles"
on public.team_roles for insert to authenticated
with check (organization_id = any((select private.organizations_with('roles.manage'))::uuid[]));

create policy "admins can edit custom roles"
on public.team_roles for update to authenticated
using (organization_id = any((select private.organizations_with('roles.manage'))::uuid[]))
with check (organization_id = any((select private.organizations_with('roles.manage'))::uuid[]));

create policy "admins can delete custom roles"
on public.team_roles for delete to authenticated
using (organization_id = any((select private.organizations_with('roles.manage'))::uuid[]));
