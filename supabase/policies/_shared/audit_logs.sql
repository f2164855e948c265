-- Policies on public.audit_logs. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

-- append-only: written by private.tg_audit() only; no role has insert, update or delete.
-- An entry repeats the data of its row, so it needs what the row needs: audit.read in the
-- organisation and the permission guarding the audited table (private.audited_tables), each
-- with its MFA rule. The first condition keeps the organisation index usable.
create policy "admins can read their organisation's audit log"
on public.audit_logs for select to authenticated
using (
    organization_id = any((select private.organizations_with('audit.read'))::uuid[])
    and organization_id::text || ':' || table_name = any((select private.readable_audit_entries())::text[])
);
