-- Policies on public.api_keys. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

-- keys are created only by create_api_key(); their hashes are in private, out of reach
create policy "managers can list their organisation's api keys"
on public.api_keys for select to authenticated
using (organization_id = any((select private.organizations_with('api_keys.read'))::uuid[]));

create policy "admins can edit api keys"
on public.api_keys for update to authenticated
using (organization_id = any((select private.organizations_with('api_keys.manage'))::uuid[]))
with check (organization_id = any((select private.organizations_with('api_keys.manage'))::uuid[]));

create policy "admins can delete api keys"
on public.api_keys for delete to authenticated
using (organization_id = any((select private.organizations_with('api_keys.manage'))::uuid[]));
