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
"""Brace-block trees for keepalived.conf and corosync.conf, with lines.

Neither format has a Python parser that keeps line numbers and survives
broken input (keepalived-config accepts stray braces and unknown words),
so each checker turns its lines into open/item/close events and this
module builds the tree and reports brace errors by line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from confcheck.sources import MAX_DEPTH


@dataclasses.dataclass
class Node:
    """A keyword with its arguments; ``children`` is None for a plain item."""

    name: str
    args: list[str]
    line: int
    children: list[Node] | None = None
    end_line: int = 0

    def items(self, name: str | None = None) -> list[Node]:
        """Direct children, optionally only those called name."""
        return [c for c in self.children or ()
                if name is None or c.name == name]

    def first(self, name: str) -> Node | None:
        found = self.items(name)
        return found[0] if found else None


# Event kinds the tokenizers produce.
OPEN, ITEM, CLOSE = "open", "item", "close"


@dataclasses.dataclass
class BraceError:
    line: int
    message: str


def build(events: Iterable[tuple[str, int, str, list[str]]]
          ) -> tuple[Node, list[BraceError]]:
    """Fold (kind, line, name, args) events into a tree under a root node.

    Blocks nested deeper than MAX_DEPTH are one error and are left out of
    the tree (their braces still counted), so no walk over the tree can
    exhaust the stack.
    """
    root = Node("", [], 0, [])
    stack = [root]
    errors: list[BraceError] = []
    too_deep = 0   # open blocks below MAX_DEPTH, not in the tree
    for kind, line, name, args in events:
        if too_deep:
            too_deep += {OPEN: 1, CLOSE: -1}.get(kind, 0)
            continue
        if kind == OPEN and len(stack) > MAX_DEPTH:
            errors.append(BraceError(
                line, f"blocks nested more than {MAX_DEPTH} deep; the "
                      f"deeper ones are not checked"))
            too_deep = 1
            continue
        if kind == CLOSE:
            if len(stack) == 1:
                errors.append(BraceError(line, "'}' without a matching '{'"))
            else:
                stack.pop().end_line = line
        elif kind == OPEN:
            node = Node(name, args, line, [])
            stack[-1].children.append(node)
            stack.append(node)
        else:
            stack[-1].children.append(Node(name, args, line))
    for node in stack[1:]:
        opening = " ".join([node.name, *node.args, "{"]).strip()
        errors.append(BraceError(
            node.line, f"'{opening}' is never closed with '}}'"))
    return root, errors


def walk(node: Node) -> Iterable[Node]:
    """Every node below node, depth first, in file order."""
    stack = list(reversed(node.children or ()))
    while stack:
        child = stack.pop()
        yield child
        stack.extend(reversed(child.children or ()))
