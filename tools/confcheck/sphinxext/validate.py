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

import concurrent.futures
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


def _compute(text: str, path: str, kind: str,
             cached: str | None) -> list[list]:
    """Check text and store the rows (line, severity, code, message)."""
    findings = confcheck.check_text(text, path, kind)
    rows = [[f.line, f.severity, f.code, f.message] for f in findings]
    if cached and not confcheck.has_internal_error(findings):
        store_json(cached, rows)
    return rows


def store_json(path: str, data) -> None:
    """Write a cache entry whole or not at all (readers run in parallel)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def check(text: str, path: str, kind: str,
          cache_root: str | None) -> list[Finding]:
    """confcheck's findings for text shown as path, cached under cache_root.

    The cache is one JSON file per (kind, content, checker version and
    files, tool set and privileges), so parallel readers never write the
    same file with different data and a ``-E`` build (which keeps the
    doctree directory) still reuses it. A check that prefetch() started
    is waited for instead of run twice.
    """
    cached = _cache_file(cache_root, kind, text) if cache_root else None
    future = _PREFETCH.pending.get(cached) if (
        cached and _PREFETCH.pid == os.getpid()) else None
    if future is not None:
        return [Finding(path, *row) for row in future.result()]
    if cached and os.path.exists(cached):
        try:
            with open(cached, encoding="utf-8") as fh:
                rows = json.load(fh)
            return [Finding(path, *row) for row in rows]
        except (OSError, ValueError, TypeError):
            pass  # a damaged cache entry is recomputed and rewritten
    return [Finding(path, *row)
            for row in _compute(text, path, kind, cached)]


class _Prefetch:
    """Checks started before the pages are read, run concurrently."""

    def __init__(self) -> None:
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.pending: dict[str, concurrent.futures.Future] = {}
        self.pid = 0


_PREFETCH = _Prefetch()


def prefetch(files: list[tuple[str, str, str]], cache_root: str,
             wait: bool) -> None:
    """Start checking (text, shown path, kind) of files not yet cached.

    The real tools spend their time in processes of their own, so they
    run on the other cores while Sphinx reads pages in this one; each
    include then only waits for its file. ``wait`` finishes them all
    first (sphinx -j forks readers, which cannot wait for these threads;
    they then find every result in the cache).
    """
    if _PREFETCH.pid != os.getpid():
        _PREFETCH.pool, _PREFETCH.pending = None, {}
        _PREFETCH.pid = os.getpid()
    if _PREFETCH.pool is None:
        _PREFETCH.pool = concurrent.futures.ThreadPoolExecutor(
            min(8, 2 * (os.cpu_count() or 1)),
            thread_name_prefix="confcheck")
    for text, path, kind in files:
        cached = _cache_file(cache_root, kind, text)
        if cached in _PREFETCH.pending or os.path.exists(cached):
            continue
        _PREFETCH.pending[cached] = _PREFETCH.pool.submit(
            _compute, text, path, kind, cached)
    if wait:
        concurrent.futures.wait(list(_PREFETCH.pending.values()))


def finish() -> None:
    """Drop the prefetch state (build-finished): nothing waits any more."""
    if _PREFETCH.pool is not None and _PREFETCH.pid == os.getpid():
        _PREFETCH.pool.shutdown(wait=True, cancel_futures=True)
    _PREFETCH.pool, _PREFETCH.pending = None, {}
