"""Transactional emails: the Jinja2 templates and their rendering (subject, HTML, text).

Rendering only: which email goes to whom, and sending it, belong to the worker that calls
`luneo.workers.emails.render.render`. The templates and the data each one needs: docs/emails.md.
"""
