"""pgcrypto and uuid-ossp in SQL, for the embedded server (package data).

The `pgserver` wheel behind the embedded server ships neither extension (their C code needs
OpenSSL and libuuid), yet projects written for Supabase run `create extension if not exists
pgcrypto with schema extensions;` unguarded and call `gen_random_bytes()`, `digest()`,
`uuid_generate_v4()`... This package holds an implementation of each in SQL and plpgsql (a
control file and one install script per extension); `luneo.core.embedded` copies them into the
embedded server's extension directory, where `create extension` then finds them like any other.
docs/stand-in.md lists what they provide.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

MARK = b"Luneo's SQL implementation"
"""Every control file of this package says so: how a file of ours is told from a real extension's."""


@dataclass(frozen=True)
class Extension:
    name: str
    control: bytes
    scripts: dict[str, bytes]
    """file name -> content of its install scripts (`<name>--<version>.sql`)"""


def extensions() -> list[Extension]:
    """The extensions of this package, by name."""
    resources = {r.name: r for r in files(__name__).iterdir() if r.is_file()}
    found = []
    for file_name in sorted(resources):
        if file_name.endswith(".control"):
            name = file_name.removesuffix(".control")
            scripts = {
                script: resources[script].read_bytes()
                for script in sorted(resources)
                if script.startswith(f"{name}--") and script.endswith(".sql")
            }
            found.append(Extension(name, resources[file_name].read_bytes(), scripts))
    return found
