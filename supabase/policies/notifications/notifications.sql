-- Policies on public.notifications. Declarative: `luneo db apply` drops every policy on the table,
-- then runs this file.
-- Notifications are written by SQL from events (private.notify_users); each user reads, marks
-- read (the read_at column only: the grant) and deletes their own. Supabase Realtime applies the
-- select policy, so it delivers each row to its user only.

create policy "users can read their own notifications"
on public.notifications for select to authenticated
using (user_id = (select auth.uid()));

create policy "users can mark their own notifications read"
on public.notifications for update to authenticated
using (user_id = (select auth.uid()))
with check (user_id = (select auth.uid()));

create policy "users can delete their own notifications"
on public.notifications for delete to authenticated
using (user_id = (select auth.uid()));
