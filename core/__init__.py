"""Luneo core: settings, database access, SQL files and the migration engine.

Nothing here imports `luneo.cli` or `luneo.workers`; those layers build on this one.
"""
