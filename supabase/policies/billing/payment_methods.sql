-- Policies on public.payment_methods. Declarative: `luneo db apply` drops every policy on the table, then runs
-- this file.
-- Grants (in the migrations) already refuse anon and every write: billing (the service role) writes.

create policy "billing readers can read their organisation's payment methods"
on public.payment_methods for select to authenticated
using (organization_id = any((select private.organizations_with('billing.read'))::uuid[]));
