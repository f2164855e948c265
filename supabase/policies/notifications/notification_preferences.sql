-- Policies on public.notification_preferences. Declarative: `luneo db apply` drops every policy on
-- the table, then runs this file.
-- Each user writes their own choices; the _200_check trigger refuses a channel the kind is not
-- delivered on (LU302) and turning off a transactional email (LU301).

create policy "users can read their own notification preferences"
on public.notification_preferences for select to authenticated
using (user_id = (select auth.uid()));

create policy "users can add their own notification preferences"
on public.notification_preferences for insert to authenticated
with check (user_id = (select auth.uid()));

create policy "users can change their own notification preferences"
on public.notification_preferences for update to authenticated
using (user_id = (select auth.uid()))
with check (user_id = (select auth.uid()));

create policy "users can remove their own notification preferences"
on public.notification_preferences for delete to authenticated
using (user_id = (select auth.uid()));
