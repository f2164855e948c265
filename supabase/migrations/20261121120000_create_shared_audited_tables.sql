-- create audited tables
--
-- Purpose: an audit entry repeats the data of the row it records (an API key's name and scopes,
--          an invoice's amounts and billing address, a membership). Reading it must therefore
--          need what reading that row needs: audit.read in the organisation, and the
--          permission that guards the source table, with its MFA rule. private.audited_tables
--          says which permission guards each audited table; the audit_logs policy
--          (supabase/policies/_shared/audit_logs.sql) checks both, and an entry of a table
--          missing here is visible to the service role only. A feature that audits a new table
--          adds its row here, in its own migration.
-- Touches: table private.audited_tables (new, filled for the six audited tables) and its index.
-- Destructive: no. Existing entries keep their content; who may read them narrows.

create table private.audited_tables (
    table_name text primary key,
    read_permission text not null references private.permissions (name)
);

comment on table private.audited_tables is
'The permission that guards each audited public table; reading its audit entries needs audit.read '
'and this permission in the organisation. Tables missing here: entries visible to the service role only.';

create index audited_tables_read_permission_idx on private.audited_tables (read_permission);

insert into private.audited_tables (table_name, read_permission) values
('organizations', 'organization.read'),
('team_members', 'members.read'),
('team_roles', 'members.read'),
('invitations', 'invitations.manage'),
('api_keys', 'api_keys.read'),
('invoices', 'billing.read');

revoke all on private.audited_tables from public, anon, authenticated, service_role;
