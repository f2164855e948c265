"""Luneo workers: long-running services hosted by `luneo worker run` (DESIGN.md section 6)."""
