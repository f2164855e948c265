-- Invoices: the triggers on public.invoices (written by billing, the service role). The Stripe
-- billing work adds its functions here.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

-- == triggers on public.invoices =================================================================

create or replace trigger _500_audit after insert or update or delete on public.invoices
for each row execute function private.tg_audit();
