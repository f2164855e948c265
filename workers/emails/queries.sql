-- Queries of the emails worker (luneo.workers.emails.worker). The logic lives in the SQL functions
-- they call (supabase/functions/emails/outbox.sql); these only call them.

-- claim --
select
    email_id,
    attempt,
    template,
    locale,
    recipient,
    kind,
    idempotency_key,
    context
from private.claim_emails(%(worker_id)s::text, %(max_emails)s::integer, %(lease_seconds)s::integer);

-- record --
select
    private.record_email_attempt(
        %(email_id)s::uuid,
        %(worker_id)s::text,
        %(attempt)s::integer,
        %(outcome)s::text,
        %(provider)s::text,
        %(provider_message_id)s::text,
        %(error)s::text,
        %(retry_after_seconds)s::double precision
    );

-- release --
select private.release_emails(%(worker_id)s::text, %(email_ids)s::uuid[]);

-- queue_stats --
select
    due,
    oldest_due_seconds
from private.email_queue_stats();

-- suppress --
select private.suppress_email(%(email)s::text, %(reason)s::text, %(provider)s::text, %(detail)s::text);

-- unsubscribe --
select private.unsubscribe_email(%(token)s::text);
