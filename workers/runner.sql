-- Queries of the worker runtime (luneo.workers.runner): its heartbeat row.

-- worker_heartbeat --
select private.worker_heartbeat(
    %(worker_id)s::text, %(hostname)s::text, %(pid)s::integer, %(workers)s::text[], %(version)s::text
);

-- worker_stopped --
select private.worker_stopped(%(worker_id)s::text);
