"""Transactional emails: the outbox worker (`worker`), the templates and their rendering
(`render`), the providers that send (`providers`), the messages they send (`message`), and the
providers' deliverability events with the HTTP routes that receive them (`events`, `routes`).
docs/emails.md.
"""
