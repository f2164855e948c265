-- Policies on public.user_sessions. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

create policy "users can read their own sessions"
on public.user_sessions for select to authenticated
using (user_id = (select auth.uid()));

create policy "users can revoke their own sessions"
on public.user_sessions for delete to authenticated
using (user_id = (select auth.uid()));
