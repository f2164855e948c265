-- Orders: the triggers on public.orders. The commerce work (placement, stock, totals) adds its
-- functions here, each followed by its public wrapper.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

-- == triggers on public.orders ===================================================================

create or replace trigger _100_set_updated_at before update on public.orders
for each row execute function private.tg_set_updated_at();
