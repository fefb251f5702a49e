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
"""YAML files: parse errors and duplicate keys, with their lines.

PyYAML keeps the last of two equal keys without a word; the loader below
is SafeLoader with a mapping constructor that reports them instead.
"""

from __future__ import annotations

import yaml

from confcheck.findings import Code, CodeBook, Finding

KIND = "yaml"
DESCRIPTION = "YAML files: syntax (safe loader) and duplicate keys"

CODES = CodeBook(
    Code("YML001", "error", "YAML syntax error",
         bad="sources:\n  - name: meters\n   interval: 300",
         good="sources:\n  - name: meters\n    interval: 300", lexer="yaml",
         why="The service cannot parse the file, so it fails to start or to "
             "load it."),
    Code("YML002", "error", "Duplicate key",
         bad="interval: 300\ninterval: 600", good="interval: 300",
         lexer="yaml",
         why="YAML loaders keep only one of the values (PyYAML the last), so "
             "the other is silently lost."),
    Code("YML003", "error", "Tag the safe loader refuses",
         bad="value: !!python/object:os.system ls",
         good="value: ls", lexer="yaml",
         why="Tags that build Python objects run code in an unsafe loader; "
             "services read YAML with the safe loader, which refuses the "
             "file."),
)


class _DuplicateKey(Exception):
    def __init__(self, key: object, line: int, first: int) -> None:
        super().__init__(f"duplicate key {key!r} (first on line {first})")
        self.line = line


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys in a mapping."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    first = seen.setdefault(key, line)
                except TypeError:   # unhashable key: yaml reports it
                    continue
                if first != line:
                    raise _DuplicateKey(key, line, first)
        return super().construct_mapping(node, deep=deep)


def check(text: str, path: str) -> list[Finding]:
    try:
        for _ in yaml.load_all(text, Loader=_Loader):
            pass
    except _DuplicateKey as exc:
        return [CODES.finding(path, exc.line, "YML002", str(exc))]
    except yaml.constructor.ConstructorError as exc:
        return [CODES.finding(path, _line(exc, text), "YML003",
                              _message(exc))]
    except yaml.YAMLError as exc:
        return [CODES.finding(path, _line(exc, text), "YML001",
                              _message(exc))]
    except RecursionError:
        return [CODES.finding(path, 0, "YML001", "nesting too deep to "
                              "load")]
    return []


def _line(exc: yaml.YAMLError, text: str) -> int:
    """The error's line; an error at the end of the stream (after the
    last newline) belongs to the last line."""
    mark = getattr(exc, "problem_mark", None) or getattr(
        exc, "context_mark", None)
    if mark is None:
        return 0
    return min(mark.line + 1, max(1, len(text.splitlines())))


def _message(exc: yaml.YAMLError) -> str:
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    text = "; ".join(p for p in parts if p)
    return text or str(exc).splitlines()[0]
