-- Policies on public.invoices. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

create policy "billing readers can read their organisation's invoices"
on public.invoices for select to authenticated
using (organization_id = any((select private.organizations_with('billing.read'))::uuid[]));
