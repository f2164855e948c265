-- Policies on public.design_versions.
-- Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

-- Written only by the designs trigger (private.tg_keep_design_version): no write grant, no write policy.

create policy "members can read their organisation's design versions"
on public.design_versions for select to authenticated
using (organization_id = any((select private.organizations_with('organization.read'))::uuid[]));
