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
"""Validate OpenStack HA configuration files against the real software."""

from __future__ import annotations

from confcheck.findings import Code, CodeBook, Finding
from confcheck.kinds import KINDS, UnknownKind, infer_kind, resolve_kind
from confcheck import kinds as _kinds
from confcheck.sources import InputError, read_text

__all__ = ["Code", "CodeBook", "Finding", "InputError", "KINDS",
           "UnknownKind", "check_file", "check_text", "infer_kind",
           "resolve_kind", "all_codes", "__version__"]

# Bumped whenever a check changes what it reports (cache keys use it).
__version__ = "1.0.0"

GENERAL = CodeBook(
    Code("GEN001", "warning", "The file is empty",
         bad="", good="[DEFAULT]\ndebug = false\n", lexer="ini"),
)


def check_text(text: str, path: str, kind: str) -> list[Finding]:
    """Check text (shown as path) as a file of kind."""
    if not text.strip():
        return [GENERAL.finding(path, 0, "GEN001", "file is empty")]
    findings = _kinds.checker(kind).check(text, path)
    return sorted(set(findings))


def check_file(path: str, kind: str | None = None) -> list[Finding]:
    """Read and check one file; raises InputError or UnknownKind."""
    kind = resolve_kind(path, kind)
    return check_text(read_text(path), path, kind)


def all_codes() -> list[Code]:
    """Every documented code, general ones first, then by kind."""
    codes = list(GENERAL)
    for kind in sorted(KINDS):
        codes.extend(_kinds.checker(kind).CODES)
    return codes
