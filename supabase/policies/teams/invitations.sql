-- Policies on public.invitations. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

-- rows are written only by the invitation RPCs
create policy "admins and invitees can read invitations"
on public.invitations for select to authenticated
using (
    organization_id = any((select private.organizations_with('invitations.manage'))::uuid[])
    or email = lower((select auth.email()))
);
