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
"""Validating the included examples with confcheck, cached by content."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile

import confcheck
from confcheck import external
from confcheck.findings import Finding

CACHE_DIR = "confcheck-cache"
# Inputs besides the text that change what the checkers report.
# The tools themselves (which binaries, from which root, as root or not)
# are in the key through external.fingerprint().
CACHE_ENV = ("CONFCHECK_EXTERNAL", external.TOOL_ROOT_VARIABLE)


@functools.lru_cache(maxsize=1)
def checker_fingerprint() -> str:
    """Stat of every file of the confcheck package (code and data).

    __version__ is bumped on releases; between them checkers change many
    times a day, and a cached finding must not outlive the code that
    made it.
    """
    package = os.path.dirname(os.path.abspath(confcheck.__file__))
    stats = []
    for top, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs
                         if d not in ("sphinxext", "__pycache__"))
        for name in sorted(files):
            st = os.stat(os.path.join(top, name))
            stats.append(f"{top}/{name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(stats).encode()).hexdigest()


@functools.lru_cache(maxsize=4)
def _tools(environment: tuple[str, ...]) -> str:
    # Once per build and environment: it stats every tool.
    return external.fingerprint()


def _cache_file(cache_root: str, kind: str, text: str) -> str:
    environment = tuple(os.environ.get(name, "") for name in CACHE_ENV)
    key = hashlib.sha256("\0".join(
        [kind, confcheck.__version__, checker_fingerprint(), text,
         _tools(environment), *environment]).encode())
    return os.path.join(cache_root, CACHE_DIR, key.hexdigest() + ".json")


def check(text: str, path: str, kind: str,
          cache_root: str | None) -> list[Finding]:
    """confcheck's findings for text shown as path, cached under cache_root.

    The cache is one JSON file per (kind, content, checker version and
    files, tool set and privileges), so parallel readers never write the
    same file with different data and a ``-E`` build (which keeps the
    doctree directory) still reuses it.
    """
    cached = _cache_file(cache_root, kind, text) if cache_root else None
    if cached and os.path.exists(cached):
        try:
            with open(cached, encoding="utf-8") as fh:
                rows = json.load(fh)
            return [Finding(path, *row) for row in rows]
        except (OSError, ValueError, TypeError):
            pass  # a damaged cache entry is recomputed and rewritten
    findings = confcheck.check_text(text, path, kind)
    if cached and not confcheck.has_internal_error(findings):
        rows = [[f.line, f.severity, f.code, f.message] for f in findings]
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(cached))
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(rows, fh)
        os.replace(tmp, cached)
    return findings
