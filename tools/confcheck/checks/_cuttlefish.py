# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""RabbitMQ's cuttlefish schema files: the rabbitmq.conf keys they map.

Hand-written because the schemas are Erlang source whose translations
hold funs, so no term parser reads a whole file. Only the ``{mapping,
"key", ...}`` forms matter; each starts at column 0, and the datatype
inside is a small term (atoms, lists, tuples) read by the reader below.
"""

from __future__ import annotations

import glob
import re

# The installed broker: its own schemas and those of its plugins (the
# schemas in priv/ outside priv/schema/ belong to libraries RabbitMQ
# does not load into its configuration).
SCHEMA_GLOB = ("/usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins/*/priv/"
               "schema/*.schema")

FORM = re.compile(r'^\{mapping,\s*"([^"]+)"', re.MULTILINE)
TOKEN = re.compile(r'\s*(?:([{}\[\],])|"((?:[^"\\]|\\.)*)"|'
                   r"'([^']*)'|([A-Za-z0-9_.@+-]+))")


def installed() -> tuple[str, list[str]] | None:
    """(version, schema paths) of the installed RabbitMQ, if any."""
    paths = sorted(glob.glob(SCHEMA_GLOB))
    if not paths:
        return None
    match = re.search(r"rabbitmq_server-([\d.]+)", paths[0])
    return (match.group(1) if match else "unknown"), paths


def read(paths: list[str]) -> dict[str, list[str]]:
    """Mapping key pattern -> datatype alternatives, over all files."""
    mappings: dict[str, list[str]] = {}
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as fh:
            mappings.update(parse(fh.read()))
    return mappings


def parse(text: str) -> dict[str, list[str]]:
    """Mappings of one schema file.

    Datatype alternatives are "integer", "ip", "flag", ... or "=atom" for
    one allowed literal (from ``{enum, [...]}`` or ``{atom, x}``).
    """
    text = re.sub(r"^\s*%.*$", "", text, flags=re.MULTILINE)
    starts = [m for m in FORM.finditer(text)]
    mappings = {}
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        body = text[match.end():end]
        at = body.find("{datatype,")
        datatype = ["any"]
        if at >= 0:
            term, _ = _term(body, at + len("{datatype,"))
            datatype = _alternatives(term)
        mappings[match.group(1)] = datatype
    return mappings


def _term(text: str, pos: int):
    """Read one Erlang term at pos: (value, next position).

    Lists become Python lists, tuples become ("{", items...) tuples, atoms
    and strings become str; anything unreadable becomes None.
    """
    match = TOKEN.match(text, pos)
    if not match:
        return None, len(text)
    punct, string, quoted, atom = match.groups()
    pos = match.end()
    if punct in ("[", "{"):
        closing = "]" if punct == "[" else "}"
        items = []
        while True:
            peek = TOKEN.match(text, pos)
            if not peek:
                return None, len(text)
            if peek.group(1) == closing:
                pos = peek.end()
                break
            if peek.group(1) == ",":
                pos = peek.end()
                continue
            item, pos = _term(text, pos)
            items.append(item)
        return (items if punct == "[" else ("{", *items)), pos
    if punct:
        return None, pos
    return (string if string is not None else quoted or atom), pos


def _alternatives(term) -> list[str]:
    if isinstance(term, list):
        return [alt for item in term for alt in _alternatives(item)]
    if isinstance(term, tuple) and len(term) == 3:
        kind, arg = term[1], term[2]
        if kind == "enum" and isinstance(arg, list):
            return [f"={a}" for a in arg if isinstance(a, str)]
        if kind == "atom" and isinstance(arg, str):
            return [f"={arg}"]
        return [str(kind)]
    return [term] if isinstance(term, str) else ["any"]


def pattern(key: str) -> re.Pattern[str]:
    """A key pattern ("listeners.tcp.$name") as a regular expression."""
    parts = [r"[^.]+" if p.startswith("$") else re.escape(p)
             for p in key.split(".")]
    return re.compile(r"\.".join(parts) + r"\Z")
