-- Policies on public.plans. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse writes to the API roles: plans come from Stripe products.

create policy "everyone can read the plans"
on public.plans for select to anon, authenticated
using (true);
