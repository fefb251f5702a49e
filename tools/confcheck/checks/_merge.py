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
"""The one rule for merging a real tool's findings with the built-in ones."""

from __future__ import annotations

import dataclasses

from confcheck.findings import Finding


@dataclasses.dataclass(frozen=True)
class Policy:
    """How one tool-backed checker merges (rules as data, per checker).

    ``structural``: built-in codes that only stand in for the tool, so
    they are dropped once the tool has judged the file. ``unavailable``:
    the tool's "could not run to a result" code; when the tool reports
    it (only at line 0 with ``whole_file``; haproxy uses the code at a
    line for what only the node can check) the built-in findings all
    stay. ``first_error``: the tool stops at its first error (this code),
    so structural findings stay except on the lines it named.
    ``shadowed``: a tool warning dropped on a line a built-in finding
    already explains better.
    """

    structural: frozenset[str]
    unavailable: str
    whole_file: bool = False
    first_error: str | None = None
    shadowed: str | None = None


def merge(builtin: list[Finding], real: list[Finding] | None,
          policy: Policy) -> list[Finding]:
    """The findings to report: built-in and real-tool ones, per policy.

    real is None when the tool is absent or not used.
    """
    if real is None or any(
            f.code == policy.unavailable and (f.line == 0
                                              or not policy.whole_file)
            for f in real):
        return builtin + (real or [])
    named = ({f.line for f in real if f.code == policy.first_error}
             if policy.first_error else None)
    kept = [f for f in builtin if f.code not in policy.structural
            or (named is not None and f.line not in named)]
    explained = {f.line for f in builtin}
    return kept + [f for f in real if f.code != policy.shadowed
                   or f.line not in explained]
