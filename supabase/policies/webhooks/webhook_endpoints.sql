-- Policies on public.webhook_endpoints. Declarative: `luneo db apply` drops every policy on the table,
-- then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here; endpoints
-- are created by create_webhook_endpoint(), which makes the secret.

create policy "webhook readers can see endpoints"
on public.webhook_endpoints for select to authenticated
using (organization_id = any((select private.organizations_with('webhooks.read'))::uuid[]));

create policy "webhook managers can edit endpoints"
on public.webhook_endpoints for update to authenticated
using (organization_id = any((select private.organizations_with('webhooks.manage'))::uuid[]))
with check (organization_id = any((select private.organizations_with('webhooks.manage'))::uuid[]));

create policy "webhook managers can delete endpoints"
on public.webhook_endpoints for delete to authenticated
using (organization_id = any((select private.organizations_with('webhooks.manage'))::uuid[]));
