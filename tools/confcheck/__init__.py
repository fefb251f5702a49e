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

import dataclasses
from collections.abc import Iterable, Iterator

from confcheck import external
from confcheck.findings import Code, CodeBook, Finding
from confcheck.kinds import KINDS, UnknownKind, infer_kind, resolve_kind
from confcheck import kinds as _kinds
from confcheck.reader import Source, SourceReader
from confcheck.runner import CheckRunner
from confcheck.sources import MAX_LINE, InputError, read_text

__all__ = ["CheckRunner", "Code", "CodeBook", "Finding", "InputError",
           "KINDS", "Source", "SourceReader", "UnknownKind", "check_file",
           "check_text", "infer_kind", "read_text", "resolve_kind",
           "all_codes",
           "check_files", "has_internal_error", "internal_error",
           "INTERNAL_ERROR", "__version__"]


# Bumped whenever a check changes what it reports (cache keys use it).
__version__ = "1.0.0"

# Where a crash of a checker is reported; every internal-error finding
# names it, because the fix is in confcheck, not in the checked file.
BUG_REPORTS = "https://bugs.launchpad.net/openstack-manuals"
INTERNAL_ERROR = "GEN999"
# Wall-clock seconds all real-tool runs for one file may take together:
# each call has its own timeout, but a file of many pcs commands would
# otherwise add them up to hours.
FILE_BUDGET = 90.0

GENERAL = CodeBook(
    Code("GEN001", "warning", "The file is empty",
         bad="", good="[DEFAULT]\ndebug = false\n", lexer="ini",
         why="An empty file is most often a failed copy or template "
             "render; the service then starts on its defaults."),
    Code("GEN002", "error", "A line too long to be configuration",
         bad="[DEFAULT]\ndebug = (a value of 70,000 characters)\n",
         good="[DEFAULT]\ndebug = false\n", lexer="ini",
         why="No hand-written setting is that long; such a file is "
             "generated or hostile, and the rest of it is not checked."),
    Code("GEN010", "error", "The file cannot be read",
         bad="$ confcheck /etc/haproxy/haproxy.cfg\n"
             "/etc/haproxy/haproxy.cfg:0: error: GEN010: cannot read: "
             "Permission denied\n",
         good="$ sudo confcheck /etc/haproxy/haproxy.cfg\n",
         lexer="console",
         why="A file that was meant to be checked and was not would "
             "otherwise pass silently, so it counts as an error."),
    Code("GEN011", "error", "The kind of a file named on the command "
         "line is unknown",
         bad="$ confcheck lb-test.cfg\n",
         good="$ confcheck --kind haproxy lb-test.cfg\n", lexer="console",
         why="confcheck tells the kind from the file name; a file it "
             "cannot place is not checked at all unless --kind names "
             "the kind."),
    Code("GEN012", "warning", "A suppression comment names no known code",
         bad="# confcheck: ignore=HAP24\n",
         good="# confcheck: ignore=HAP024\n", lexer="text",
         why="A misspelt code suppresses nothing, so the finding it was "
             "meant to silence still fails the check."),
    Code(INTERNAL_ERROR, "error", "confcheck itself failed on this file",
         bad="(a file that makes a checker fail: a bug in confcheck)",
         good="(the same file, once the bug is fixed)", lexer="text",
         why="The file was not fully checked, so its real problems may "
             "be missing from the report; exit status 3 says so."),
)


def _long_line(text: str) -> tuple[int, int] | None:
    """(number, length) of the first line over MAX_LINE, if any."""
    if len(text) <= MAX_LINE:
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE:
            return number, len(line)
    return None


def internal_error(path: str, what: str, exc: BaseException) -> Finding:
    """The finding that stands for a crash of confcheck on path."""
    reason = str(exc).splitlines()[0][:200] if str(exc) else ""
    return GENERAL.finding(
        path, 0, INTERNAL_ERROR,
        f"internal error in the {what}: {type(exc).__name__}"
        f"{': ' + reason if reason else ''}; this is a bug in confcheck, "
        f"not in the file: please report it with the file at "
        f"{BUG_REPORTS}")


def has_internal_error(findings: list[Finding]) -> bool:
    """True when confcheck crashed on one of the files (CLI exit 3)."""
    return any(f.code == INTERNAL_ERROR for f in findings)


def check_text(text: str, path: str, kind: str) -> list[Finding]:
    """Check text (shown as path) as a file of kind.

    This is confcheck's one crash boundary: whatever a checker raises
    becomes an internal-error finding on path, so a CLI run still checks
    the other files and a docs build reports it at the file instead of
    aborting.
    """
    if not text.strip():
        return [GENERAL.finding(path, 0, "GEN001", "file is empty")]
    long = _long_line(text)
    if long:
        # Hostile or generated, never hand-written configuration; parsing
        # it (and giving it to a tool) only costs time.
        return [GENERAL.finding(
            path, long[0], "GEN002",
            f"line {long[0]} is {long[1]} characters long (the limit is "
            f"{MAX_LINE}); the file was not checked")]
    checker = _kinds.checker(kind)
    try:
        with external.budget(FILE_BUDGET):
            findings = checker.check(text, path)
    except Exception as exc:  # noqa: BLE001 - the one crash boundary
        # Imported here: logging costs every run of the CLI several ms at
        # start-up, and only a crash uses it.
        import logging

        logging.getLogger(__name__).debug(
            "the %s checker failed on %s", kind, path, exc_info=True)
        return [internal_error(path, f"{kind} checker", exc)]
    # A tool may number one line past the end (end of file) or count
    # only "\n" where Python also splits at form feeds and U+2028: a
    # finding always names a line the file has, for editors and Sphinx.
    last = max(len(text.splitlines()),
               text.count("\n") + (not text.endswith("\n")))
    return sorted({f if f.line <= last else dataclasses.replace(f, line=last)
                   for f in findings})


def check_file(path: str, kind: str | None = None) -> list[Finding]:
    """Read and check one file; raises InputError or UnknownKind."""
    source = _read(path, kind)
    return check_text(source.text, source.path, source.kind)


def _read(path: str, kind: str | None) -> Source:
    # The kind first: a file no checker reads is not read at all.
    return SourceReader(path, resolve_kind(path, kind)).read()


def check_files(paths: Iterable[str], kind: str | None = None,
                jobs: int | None = None
                ) -> Iterator[tuple[str, list[Finding] | InputError
                                | UnknownKind]]:
    """(path, its findings or why it cannot be checked), in the order
    given, the files checked concurrently (see CheckRunner).
    """
    read: list[tuple[str, Source | InputError | UnknownKind]] = []
    for path in paths:
        try:
            read.append((path, _read(path, kind)))
        except (InputError, UnknownKind) as exc:
            read.append((path, exc))
    with CheckRunner(jobs) as runner:
        runner.start(item for _, item in read if isinstance(item, Source))
        for path, item in read:
            yield path, (runner.findings(item) if isinstance(item, Source)
                         else item)


def all_codes() -> list[Code]:
    """Every documented code, general ones first, then by kind."""
    codes = list(GENERAL)
    for kind in sorted(KINDS):
        codes.extend(_kinds.checker(kind).CODES)
    return codes
