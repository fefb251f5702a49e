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
"""Console listings whose multi-line commands are marked as commands.

Pygments' console lexer calls every line after a command "output" unless
the command ends in a backslash. The guide's listings also continue
commands with a "> " prompt (a loop typed at a shell) and with an open
quote or an open ``do``/``done``; the copy button leaves output out, so
those lines must be lexed as the command they belong to. Whether a command
is complete is asked of bash itself (``bash -n``), the one parser that
decides it for real; without bash, only backslashes and "> " continue.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

from pygments.lexers.shell import BashSessionLexer
from pygments.token import Generic
from sphinx.application import Sphinx

# bash -n says this about a command that is cut short rather than wrong.
INCOMPLETE = re.compile(r"unexpected (end of file|EOF)", re.I)
BASH_TIMEOUT = 10


@functools.lru_cache(maxsize=4096)
def incomplete(command: str) -> bool:
    """True if bash would prompt for more after reading command."""
    bash = shutil.which("bash")
    if bash is None:
        return False
    try:
        result = subprocess.run([bash, "-n"], input=command,
                                capture_output=True, text=True,
                                timeout=BASH_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode != 0 and bool(INCOMPLETE.search(result.stderr))


class ConsoleLexer(BashSessionLexer):
    """BashSessionLexer that keeps a command's continuation lines."""

    name = "Console (commands continued across lines)"
    aliases = ["console"]
    _bare_continuation = True

    def get_tokens_unprocessed(self, text):
        # Turn each continuation line into a "> " line the base lexer
        # already treats as the command's, then give back the original
        # text: positions shift by two per added prompt.
        lines = text.splitlines(keepends=True)
        marked, added, command = [], set(), None
        for index, line in enumerate(lines):
            if self._ps1rgx.match(line):
                command = self._ps1rgx.match(line).group(2)
                marked.append(line)
            elif command is not None and (line.startswith(self._ps2)
                                          or incomplete(command)):
                if not line.startswith(self._ps2):
                    added.add(index)
                    line = self._ps2 + line
                command += line[len(self._ps2):]
                marked.append(line)
            else:
                command = None
                marked.append(line)
        if not added:
            yield from super().get_tokens_unprocessed(text)
            return
        yield from self._unmark("".join(marked), lines, added)

    def _unmark(self, text: str, lines: list[str], added: set[int]):
        # Offsets where a "> " was added, in the marked text.
        starts, offset = [], 0
        for index, line in enumerate(lines):
            if index in added:
                starts.append(offset)
                offset += len(self._ps2)
            offset += len(line)
        starts_set = set(starts)
        for pos, token, value in super().get_tokens_unprocessed(text):
            if token is Generic.Prompt and pos in starts_set:
                continue
            shift = sum(1 for s in starts if s < pos) * len(self._ps2)
            yield pos - shift, token, value


def setup(app: Sphinx) -> dict:
    app.add_lexer("console", ConsoleLexer)
    return {"version": "1.0", "parallel_read_safe": True,
            "parallel_write_safe": True}
