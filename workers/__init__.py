"""Luneo workers: long-running services hosted by `luneo worker run`.

Stateless processes: any number of them, on any number of machines, share the work through
Postgres (claims with `for update skip locked` and leases).
"""
