-- Policies on public.team_members. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

create policy "members can read their teams and everyone their own memberships"
on public.team_members for select to authenticated
using (
    user_id = (select auth.uid())
    or organization_id = any((select private.organizations_with('members.read'))::uuid[])
);

create policy "admins can change members"
on public.team_members for update to authenticated
using (organization_id = any((select private.organizations_with('members.manage'))::uuid[]))
with check (organization_id = any((select private.organizations_with('members.manage'))::uuid[]));

create policy "admins can remove members and members can leave"
on public.team_members for delete to authenticated
using (
    user_id = (select auth.uid())
    or organization_id = any((select private.organizations_with('members.manage'))::uuid[])
);
