-- Policies on public.tax_rates. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Written by the service role (which bypasses RLS).

create policy "everyone can read tax rates"
on public.tax_rates for select to anon, authenticated
using (true);
