-- alter commerce order number width
--
-- Purpose: order numbers past 999,999 keep all their digits. private.next_order_number() padded
--          with lpad(n, 6, '0'), and lpad also cuts: the millionth order was numbered
--          LUN-<year>-100000 again, and every order after it failed on the unique number (23505).
--          Numbers stay at least 6 digits (LUN-2026-000123) and grow beyond (LUN-2026-1000000).
-- Touches: function private.next_order_number.
-- Destructive: no.

create or replace function private.next_order_number(at timestamptz default now())
returns text
language sql
volatile
-- definer: the orders.order_number default, evaluated as whoever inserts (service role included)
security definer
set search_path = ''
as $$
    select 'LUN-' || to_char(next_order_number.at at time zone 'UTC', 'YYYY') || '-'
        || case when n.v < 1000000 then lpad(n.v::text, 6, '0') else n.v::text end
    from (select nextval('private.order_number_seq') as v) as n
$$;

comment on function private.next_order_number(timestamptz) is
'The next order number, LUN-<year>-<at least 6 digits, all of them>: gap-tolerant (a rolled-back '
'order consumes its number).';
