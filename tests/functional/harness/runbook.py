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
"""Runbook steps read from the guide's pages, for the lab to run them.

A step is a ``.. code-block:: console`` with a ``:name:`` option on a
page under doc/source. script(page, name) returns its commands (the
lines after the ``# `` prompt and their continuation lines) as one
bash script that stops at the first failing command, so the lab
runs exactly what the reader is told to type.
"""

from __future__ import annotations

import re

import pytest

from harness.tree import REPO

PAGES = REPO / "doc" / "source"
DIRECTIVE = re.compile(r"^(\s*)\.\. code-block:: console\s*$")
OPTION = re.compile(r"^\s+:(\w[\w-]*):\s*(.*)$")
PROMPT = "# "


def blocks(page: str) -> dict[str, list[str]]:
    """{name: body lines} of the page's named console blocks.

    Sphinx is not loaded here (the functional session has no build
    environment), and the shape wanted is small: a directive line, its
    option lines, a blank line, then the indented body. A name used
    twice fails the test rather than picking one.
    """
    lines = (PAGES / page).read_text().splitlines()
    found: dict[str, list[str]] = {}
    index = 0
    while index < len(lines):
        match = DIRECTIVE.match(lines[index])
        index += 1
        if not match:
            continue
        indent = len(match.group(1))
        options = {}
        while index < len(lines) and OPTION.match(lines[index]):
            key, value = OPTION.match(lines[index]).groups()
            options[key] = value.strip()
            index += 1
        body = []
        while index < len(lines) and (
                not lines[index].strip() or
                len(lines[index]) - len(lines[index].lstrip()) > indent):
            body.append(lines[index])
            index += 1
        name = options.get("name")
        if name is None:
            continue
        if name in found:
            pytest.fail(f"{page}: two console blocks named {name}",
                        pytrace=False)
        found[name] = body
    return found


def commands(page: str, name: str) -> list[str]:
    """The commands of one named block, as bash reads them.

    A line with the prompt starts a command; the indented lines after
    it (a backslash or a pipe at the end of the line before, the body
    of a loop) belong to it and keep their line breaks. A named block
    holds commands only, no output.
    """
    body = blocks(page).get(name)
    if body is None:
        pytest.fail(f"{page} has no console block named {name}",
                    pytrace=False)
    found: list[str] = []
    for line in body:
        text = line.strip()
        if text.startswith(PROMPT):
            found.append(text[len(PROMPT):])
        elif text and found:
            found[-1] = f"{found[-1]}\n{text}"
        elif text:
            pytest.fail(f"{page} block {name}: {text!r} is no command",
                        pytrace=False)
    if not found:
        pytest.fail(f"{page} block {name} has no command", pytrace=False)
    return found


def script(page: str, name: str, **values: str) -> str:
    """The block as a bash script; values fill {key} placeholders."""
    lines = commands(page, name)
    body = "\n".join(lines)
    for key, value in values.items():
        body = body.replace("{" + key + "}", value)
    return f"set -euo pipefail\n{body}\n"
