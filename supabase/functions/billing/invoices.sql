-- Invoices: the triggers on public.invoices (written by billing, the service role) and the Stripe
-- events that write it.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

-- == triggers on public.invoices =================================================================

create or replace trigger _500_audit after insert or update or delete on public.invoices
for each row execute function private.tg_audit();

-- == invoice.finalized, invoice.paid, invoice.payment_failed, invoice.updated, voided... ========

create or replace function private.stripe_invoice(event private.stripe_events, first boolean)
returns text
language plpgsql
set search_path = ''
as $$
declare
    invoice jsonb := event.payload -> 'data' -> 'object';
    customer_id text := private.stripe_id(invoice -> 'customer');
    organization uuid := private.stripe_require_organization(invoice);
    stored public.invoices;
begin
    if invoice ->> 'number' is null then
        return 'a draft invoice (no number yet)';
    end if;
    if private.stripe_newest(event) then
        insert into public.invoices as i (
            organization_id, number, status, amount_due, currency, billing_name, billing_email, billing_address,
            stripe_invoice_id, issued_at, stripe_customer_id, stripe_subscription_id, subtotal, tax, total,
            amount_paid, amount_remaining, hosted_invoice_url, invoice_pdf, period_start, period_end, due_at,
            paid_at, attempt_count
        )
        values (
            organization, invoice ->> 'number', invoice ->> 'status', coalesce(private.stripe_int(invoice -> 'amount_due'), 0),
            upper(invoice ->> 'currency'), left(invoice ->> 'customer_name', 500), left(invoice ->> 'customer_email', 320),
            nullif(invoice -> 'customer_address', 'null'), invoice ->> 'id',
            private.stripe_time(coalesce(invoice -> 'status_transitions' -> 'finalized_at', invoice -> 'created')),
            customer_id,
            coalesce(
                private.stripe_id(invoice -> 'subscription'),
                invoice -> 'parent' -> 'subscription_details' ->> 'subscription'
            ),
            private.stripe_int(invoice -> 'subtotal'),
            coalesce(private.stripe_int(invoice -> 'tax'), (
                select sum(private.stripe_int(t -> 'amount'))::bigint
                from jsonb_array_elements(coalesce(invoice -> 'total_taxes', '[]')) as t
            )),
            private.stripe_int(invoice -> 'total'),
            coalesce(private.stripe_int(invoice -> 'amount_paid'), 0),
            coalesce(private.stripe_int(invoice -> 'amount_remaining'), 0),
            invoice ->> 'hosted_invoice_url', invoice ->> 'invoice_pdf',
            private.stripe_time(invoice -> 'period_start'), private.stripe_time(invoice -> 'period_end'),
            private.stripe_time(invoice -> 'due_date'), private.stripe_time(invoice -> 'status_transitions' -> 'paid_at'),
            coalesce(private.stripe_int(invoice -> 'attempt_count'), 0)
        )
        on conflict (stripe_invoice_id) do update set
            organization_id = excluded.organization_id,
            number = excluded.number,
            status = excluded.status,
            amount_due = excluded.amount_due,
            currency = excluded.currency,
            billing_name = excluded.billing_name,
            billing_email = excluded.billing_email,
            billing_address = excluded.billing_address,
            issued_at = excluded.issued_at,
            stripe_customer_id = excluded.stripe_customer_id,
            stripe_subscription_id = excluded.stripe_subscription_id,
            subtotal = excluded.subtotal,
            tax = excluded.tax,
            total = excluded.total,
            amount_paid = excluded.amount_paid,
            amount_remaining = excluded.amount_remaining,
            hosted_invoice_url = excluded.hosted_invoice_url,
            invoice_pdf = excluded.invoice_pdf,
            period_start = excluded.period_start,
            period_end = excluded.period_end,
            due_at = excluded.due_at,
            paid_at = excluded.paid_at,
            attempt_count = excluded.attempt_count,
            updated_at = pg_catalog.now();
    end if;
    -- a failed payment is told once, and not when a newer event says the invoice is settled
    if event.type = 'invoice.payment_failed' and first then
        select i.* into stored from public.invoices as i where i.stripe_invoice_id = invoice ->> 'id';
        if stored.status = 'open' then
            perform private.emit_event('billing.payment_failed', organization, jsonb_build_object(
                'invoice', jsonb_build_object(
                    'id', stored.id, 'number', stored.number, 'stripe_invoice_id', stored.stripe_invoice_id,
                    'amount_due', stored.amount_due, 'currency', stored.currency,
                    'hosted_invoice_url', stored.hosted_invoice_url, 'attempt_count', stored.attempt_count,
                    'next_payment_attempt', private.stripe_time(invoice -> 'next_payment_attempt')
                ),
                'reason', coalesce(
                    invoice -> 'last_finalization_error' ->> 'message',
                    event.payload -> 'data' -> 'object' -> 'last_payment_error' ->> 'message'
                )
            ));
        end if;
    end if;
    return null;
end;
$$;

comment on function private.stripe_invoice(private.stripe_events, boolean) is
'invoice.*: the invoice as Stripe last said (number, amounts, status, hosted and PDF urls). '
'invoice.payment_failed on an invoice still open emits billing.payment_failed, once.';

revoke execute on function private.stripe_invoice(private.stripe_events, boolean) from public, anon, authenticated;
