-- Policies on public.plan_prices. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse writes to the API roles: prices come from Stripe.

create policy "everyone can read the plans' prices"
on public.plan_prices for select to anon, authenticated
using (true);
