-- validate commerce order items designs
--
-- Purpose: checks the rows already in order_items against order_items_design_id_fkey (added
--          `not valid` by the previous migration, which cleared the references to nothing).
--          Validation takes a SHARE UPDATE EXCLUSIVE lock: orders keep being placed meanwhile.
-- Touches: constraint order_items_design_id_fkey.
-- Destructive: no.

alter table public.order_items validate constraint order_items_design_id_fkey;
