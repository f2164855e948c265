-- Policies on public.notification_types. Declarative: `luneo db apply` drops every policy on the
-- table, then runs this file.
-- The catalogue: readable by every signed-in user (to build a settings page), written by
-- migrations only.

create policy "users can read the notification catalogue"
on public.notification_types for select to authenticated
using (true);
