-- Policies on public.template_favorites.
-- Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

-- No update: a favourite is added or removed.

create policy "users can read their own favourites"
on public.template_favorites for select to authenticated
using (user_id = (select auth.uid()));

-- only a template the user can read
create policy "users can add their own favourites"
on public.template_favorites for insert to authenticated
with check (
    user_id = (select auth.uid())
    and exists (
        select 1 from public.templates as t
        where t.id = template_favorites.template_id
    )
);

create policy "users can remove their own favourites"
on public.template_favorites for delete to authenticated
using (user_id = (select auth.uid()));
