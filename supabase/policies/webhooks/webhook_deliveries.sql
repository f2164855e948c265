-- Policies on public.webhook_deliveries. Declarative: `luneo db apply` drops every policy on the table,
-- then runs this file.
-- Read-only through the API: deliveries are written by the event fan-out and the workers, and
-- replayed through replay_webhook_delivery().

create policy "webhook readers can see deliveries"
on public.webhook_deliveries for select to authenticated
using (organization_id = any((select private.organizations_with('webhooks.read'))::uuid[]));
