-- Policies on public.templates.
-- Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

-- Published templates are the gallery a brand shows its customers in the editor: every signed-in
-- user may read them (anon may not: a template's data is the brand's work, and everything one does
-- with it, saving a copy, a favourite, a rating, a counted view, needs a user). Members read all of
-- their organisation's, drafts included.
create policy "signed in users can read published templates and members all of their organisation's"
on public.templates for select to authenticated
using (
    is_published
    or organization_id = any((select private.organizations_with('organization.read'))::uuid[])
);

create policy "designers can create templates"
on public.templates for insert to authenticated
with check (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));

create policy "designers can edit templates"
on public.templates for update to authenticated
using (organization_id = any((select private.organizations_with('designs.write'))::uuid[]))
with check (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));

create policy "designers can delete templates"
on public.templates for delete to authenticated
using (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));
