-- Policies on public.revenue_tracking.
-- Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here: entries are
-- written by the orders' trigger and by the service role (adjustments), never edited or deleted.

create policy "order readers can read their organisation's revenue"
on public.revenue_tracking for select to authenticated
using (organization_id = any((select private.organizations_with('orders.read'))::uuid[]));
