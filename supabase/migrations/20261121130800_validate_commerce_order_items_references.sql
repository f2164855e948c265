-- validate commerce order items references
--
-- Purpose: checks the rows already in order_items against order_items_design_id_fkey and
--          order_items_order_id_organization_id_fkey (added `not valid` by the previous migration,
--          which cleared the design references to nothing). An item whose organisation is not its
--          order's fails this migration (23503, naming the item): such an item is a defect to fix
--          by hand (which brand is right cannot be guessed), then `luneo db apply` again.
--          Validation takes a SHARE UPDATE EXCLUSIVE lock: orders keep being placed meanwhile.
-- Touches: constraints order_items_design_id_fkey, order_items_order_id_organization_id_fkey.
-- Destructive: no.

alter table public.order_items validate constraint order_items_design_id_fkey;

alter table public.order_items validate constraint order_items_order_id_organization_id_fkey;
