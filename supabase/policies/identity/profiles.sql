-- Policies on public.profiles. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

create policy "users can read their own profile"
on public.profiles for select to authenticated
using (id = (select auth.uid()));

create policy "users can update their own profile"
on public.profiles for update to authenticated
using (id = (select auth.uid()))
with check (id = (select auth.uid()));
