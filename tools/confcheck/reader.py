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
"""Reading a file into what its checker needs, apart from checking it."""

from __future__ import annotations

import dataclasses

from confcheck.kinds import TOOL_KINDS, resolve_kind
from confcheck.sources import read_text


@dataclasses.dataclass(frozen=True, slots=True)
class Source:
    """One file as a checker takes it: its text, the path its findings
    name and the kind that checks it."""

    text: str
    path: str
    kind: str

    @classmethod
    def of(cls, text: str, path: str, kind: str | None = None) -> Source:
        """text shown as path, of kind or of the kind path's name gives;
        raises UnknownKind."""
        return cls(text, path, resolve_kind(path, kind))

    @property
    def runs_tools(self) -> bool:
        """Whether its check may run a real tool (seconds, not ms)."""
        return self.kind in TOOL_KINDS


class SourceReader:
    """Reads one file into a Source, as Sphinx's LiteralIncludeReader
    reads one into lines: nothing is checked and no tool runs.

    ``shown`` is the path findings name (the file's own by default);
    the kind comes from ``kind`` or else from the file's name. read()
    raises InputError (the file cannot be read: special, too large,
    binary, not UTF-8) before UnknownKind, each with a one-line reason.
    """

    def __init__(self, filename: str, kind: str | None = None,
                 shown: str | None = None) -> None:
        self.filename = filename
        self.kind = kind
        self.shown = filename if shown is None else shown

    def read(self) -> Source:
        text = read_text(self.filename)
        return Source(text, self.shown, resolve_kind(self.filename,
                                                     self.kind))
