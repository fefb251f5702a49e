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
"""Command files (pcs, crmsh): one command a line, ``\\`` continues it.

Hand-written because these files have no parser outside their tools: pcs
and crm take their arguments from a shell, so each logical line is split
with shlex (quoting and ``#`` comments as in the shell); this module only
joins continued lines and remembers the line each command starts on.
"""

from __future__ import annotations

import dataclasses
import shlex

from confcheck.sources import MAX_LINE


@dataclasses.dataclass(frozen=True, slots=True)
class Command:
    """One logical command: its first line, its words, or why not."""

    line: int
    words: tuple[str, ...]
    error: str | None = None


def read_commands(text: str) -> list[Command]:
    """Split text into commands; quoting problems become Command.error."""
    commands: list[Command] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        commands.append(_split(start, " ".join(pending)))
        pending = []
    if pending:
        commands.append(Command(start, (), "the last command ends with "
                                            "'\\' but nothing follows"))
    return [c for c in commands if c.words or c.error]


def _split(line: int, joined: str) -> Command:
    if len(joined) > MAX_LINE:
        # shlex grows a token by string concatenation: quadratic.
        return Command(line, (), f"the command is {len(joined)} characters "
                                 f"long (the limit is {MAX_LINE})")
    try:
        return Command(line, tuple(shlex.split(joined, comments=True)))
    except ValueError as exc:
        return Command(line, (), f"cannot split the command: {exc}")
