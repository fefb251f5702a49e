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
"""Findings and the documented codes that checkers report them under."""

from __future__ import annotations

import dataclasses

SEVERITIES = ("error", "warning")


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One problem in one file, at one line (1-based; 0 = the whole file)."""

    path: str
    line: int
    severity: str
    code: str
    message: str

    def format(self) -> str:
        return (f"{self.path}:{self.line}: {self.severity}: {self.code}: "
                f"{self.message}")


@dataclasses.dataclass(frozen=True, slots=True)
class Code:
    """A stable finding code with the bad and good example the guide shows.

    ``bad`` and ``good`` are short file excerpts in the checked format;
    ``lexer`` is the Pygments lexer used to render them in the appendix;
    ``why`` is one or two sentences on what goes wrong on a node if the
    finding is ignored (shown by ``confcheck explain``, in SARIF and in the
    appendix; every registered code has one, tests/unit/test_code_why.py).
    """

    code: str
    severity: str
    title: str
    bad: str
    good: str
    lexer: str = "text"
    why: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.code}: bad severity {self.severity!r}")


class CodeBook:
    """The codes one checker reports, looked up by code when a finding is made.

    Each checker module builds one at its top (rules as data) and calls
    ``book.finding(path, line, "HAP001", message)``; the severity comes from
    the code so it can never drift from the documented one.
    """

    def __init__(self, *codes: Code) -> None:
        self.codes = {c.code: c for c in codes}
        if len(self.codes) != len(codes):
            raise ValueError("duplicate code in CodeBook")

    def __iter__(self):
        return iter(self.codes.values())

    def finding(self, path: str, line: int, code: str,
                message: str) -> Finding:
        return Finding(path, line, self.codes[code].severity, code, message)
