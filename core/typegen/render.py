"""TypeScript type expressions and their layout: one line when it fits in 80 columns, else broken
the way prettier breaks them (the Supabase generator's output is prettier-formatted, no semicolons).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

WIDTH = 80
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def key(name: str) -> str:
    """A property name, quoted only when it is not an identifier."""
    return name if _IDENTIFIER.match(name) else json.dumps(name, ensure_ascii=False)


def string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Field:
    name: str
    type: Type
    optional: bool = False

    @property
    def prefix(self) -> str:
        return f"{key(self.name)}{'?' if self.optional else ''}: "


@dataclass(frozen=True)
class Obj:
    """`{ a: A; b?: B }`; `expand`: always one property a line, as the generator lays out rows."""

    fields: tuple[Field, ...]
    expand: bool = True


@dataclass(frozen=True)
class Union:
    members: tuple[Type, ...]


@dataclass(frozen=True)
class Array:
    of: Type


Type = str | Obj | Union | Array


def nullable(t: Type) -> Type:
    """`T | null`, except for `unknown`, which already holds null."""
    return t if t in ("unknown", "any") else Union((t, "null"))


def inline(t: Type) -> str | None:
    """The type on one line, or None when it must be expanded."""
    if isinstance(t, str):
        return t
    if isinstance(t, Array):
        of = inline(t.of)
        if of is None:
            return None
        return f"({of})[]" if isinstance(t.of, Union) else f"{of}[]"
    if isinstance(t, Union):
        parts = [inline(m) for m in t.members]
        return None if None in parts else " | ".join(p for p in parts if p is not None)
    if t.expand and t.fields:
        return None
    parts = []
    for f in t.fields:
        body = inline(f.type)
        if body is None:
            return None
        parts.append(f"{f.prefix}{body}")
    return "{ " + "; ".join(parts) + " }" if parts else "{}"


def lines(prefix: str, t: Type, indent: str, suffix: str = "") -> list[str]:
    """`prefix` + the type at `indent`, broken over lines when it does not fit."""
    one = inline(t)
    if one is not None and (len(indent + prefix + one + suffix) <= WIDTH or isinstance(t, str)):
        return [indent + prefix + one + suffix]
    if isinstance(t, Obj):
        out = [indent + prefix + "{"]
        for f in t.fields:
            out += lines(f.prefix, f.type, indent + "  ")
        return [*out, indent + "}" + suffix]
    if isinstance(t, Array):
        return lines(prefix, t.of, indent, "[]" + suffix)
    if isinstance(t, Union):
        first, *rest = t.members
        if rest == ["null"] and isinstance(first, Obj | Array):
            return lines(prefix, first, indent, " | null" + suffix)
        out = [indent + prefix.rstrip()]
        for member in t.members:
            out += _member(member, indent + "  ")
        out[-1] += suffix
        return out
    return [indent + prefix + str(one) + suffix]


def _member(t: Type, indent: str) -> list[str]:
    """One member of a broken union: `| T`, an object's properties four columns in."""
    if isinstance(t, Obj) and inline(t) is None:
        out = [indent + "| {"]
        for f in t.fields:
            out += lines(f.prefix, f.type, indent + "    ")
        return [*out, indent + "  }"]
    return lines("| ", t, indent)
