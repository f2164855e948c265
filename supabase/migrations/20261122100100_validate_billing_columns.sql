-- validate billing columns
--
-- Purpose: checks the rows already in invoices and orders against the checks of the columns the
--          previous migration added `not valid` (they hold nulls and zeros there, which pass).
--          Validation takes a SHARE UPDATE EXCLUSIVE lock: orders keep being placed meanwhile.
-- Touches: constraints invoices_*_check and orders_amount_refunded_check, orders_payment_error_check.
-- Destructive: no.

alter table public.invoices validate constraint invoices_stripe_customer_id_check;
alter table public.invoices validate constraint invoices_stripe_subscription_id_check;
alter table public.invoices validate constraint invoices_amount_paid_check;
alter table public.invoices validate constraint invoices_amount_remaining_check;
alter table public.invoices validate constraint invoices_hosted_invoice_url_check;
alter table public.invoices validate constraint invoices_invoice_pdf_check;
alter table public.invoices validate constraint invoices_attempt_count_check;

alter table public.orders validate constraint orders_amount_refunded_check;
alter table public.orders validate constraint orders_payment_error_check;
