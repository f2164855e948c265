-- Policies on public.webhook_history. Declarative: `luneo db apply` drops every policy on the table,
-- then runs this file.
-- Read-only through the API: the workers record the attempts.

create policy "webhook readers can see delivery attempts"
on public.webhook_history for select to authenticated
using (organization_id = any((select private.organizations_with('webhooks.read'))::uuid[]));
