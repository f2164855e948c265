-- Policies on public.user_templates.
-- Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

create policy "users can read their own templates"
on public.user_templates for select to authenticated
using (user_id = (select auth.uid()));

-- a copy names only a template the user can read (or none)
create policy "users can save their own templates"
on public.user_templates for insert to authenticated
with check (
    user_id = (select auth.uid())
    and (
        template_id is null
        or exists (
            select 1 from public.templates as t
            where t.id = user_templates.template_id
        )
    )
);

create policy "users can edit their own templates"
on public.user_templates for update to authenticated
using (user_id = (select auth.uid()))
with check (user_id = (select auth.uid()));

create policy "users can delete their own templates"
on public.user_templates for delete to authenticated
using (user_id = (select auth.uid()));
