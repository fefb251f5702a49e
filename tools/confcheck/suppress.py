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
"""Inline suppression comments: ``# confcheck: ignore=CODE`` and friends.

Syntax (the same in every kind of file, because every kind confcheck reads
takes a line starting with ``#`` as a comment):

``# confcheck: ignore=CODE[,CODE...]``
    On a line of its own: suppresses those codes on the next line that is
    not blank and not a comment. After other text on a line (where the
    format allows a trailing comment): suppresses them on that line.
``# confcheck: file-ignore=CODE[,CODE...]``
    On any line: suppresses those codes in the whole file, including
    findings about the whole file (line 0).

A CODE may be a prefix (``HAP`` suppresses every HAProxy code). ``;`` and
``!`` work in place of ``#`` for the formats that use them.

A regular expression over one line at a time is enough here: the
directive is a fixed keyword, it never spans lines, and the pattern has no
nested quantifiers, so matching is linear in the line's length.
"""

from __future__ import annotations

import re

from confcheck.findings import Finding

DIRECTIVE = re.compile(
    r"[#;!]\s*confcheck:\s*(?P<scope>ignore|file-ignore)\s*=\s*"
    r"(?P<codes>[A-Za-z0-9]+(?:\s*,\s*[A-Za-z0-9]+)*)")
COMMENT_STARTS = ("#", ";", "!")


class Suppressions:
    """What one file's comments suppress: per line and for the file."""

    def __init__(self) -> None:
        self.by_line: dict[int, set[str]] = {}
        self.whole_file: set[str] = set()
        # (line, code) of every code a comment names, to report unknown
        # ones.
        self.named: list[tuple[int, str]] = []

    def covers(self, finding: Finding) -> bool:
        if matches(finding.code, self.whole_file):
            return True
        return matches(finding.code, self.by_line.get(finding.line, ()))


def matches(code: str, prefixes) -> bool:
    """True if code starts with one of prefixes (codes are prefixes too)."""
    return any(code.startswith(p) for p in prefixes)


def parse(text: str) -> Suppressions:
    """The suppressions that the comments of text declare."""
    result = Suppressions()
    pending: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        whole_line_comment = stripped.startswith(COMMENT_STARTS)
        if "confcheck" in line:
            for match in DIRECTIVE.finditer(line):
                codes = {c.strip().upper()
                         for c in match.group("codes").split(",")}
                result.named += [(number, c) for c in sorted(codes)]
                if match.group("scope") == "file-ignore":
                    result.whole_file |= codes
                elif whole_line_comment:
                    pending |= codes
                else:
                    result.by_line.setdefault(number, set()).update(codes)
        if stripped and not whole_line_comment and pending:
            result.by_line.setdefault(number, set()).update(pending)
            pending = set()
    return result


def apply(findings: list[Finding], text: str
          ) -> tuple[list[Finding], list[Finding], list[tuple[int, str]]]:
    """Split findings by the comments of text: (kept, suppressed, named).

    ``named`` lists (line, code) for every code a comment names, so the
    caller can report the ones that match no known code.
    """
    if "confcheck" not in text:
        return findings, [], []
    rules = parse(text)
    kept, suppressed = [], []
    for finding in findings:
        (suppressed if rules.covers(finding) else kept).append(finding)
    return kept, suppressed, rules.named
