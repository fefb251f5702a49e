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


class DiskCache:
    """Findings kept as one JSON file per source under cache_root.

    The key is the kind, the path shown, the text, the checker version
    and files, the tool set and privileges and the environment that
    changes verdicts, so parallel readers never write the same file with
    different data and a ``-E`` build (which keeps the doctree directory)
    still reuses it.
    """

    def __init__(self, cache_root: str) -> None:
        self.root = os.path.join(cache_root, CACHE_DIR)

    def file(self, source: confcheck.Source) -> str:
        environment = tuple(os.environ.get(name, "") for name in CACHE_ENV)
        # The path too: an oslo file's name says which options it takes.
        key = hashlib.sha256("\0".join(
            [source.kind, source.path, confcheck.__version__,
             checker_fingerprint(), source.text, _tools(environment),
             *environment]).encode())
        return os.path.join(self.root, key.hexdigest() + ".json")

    def load(self, source: confcheck.Source) -> list[Finding] | None:
        try:
            with open(self.file(source), encoding="utf-8") as fh:
                rows = json.load(fh)
            return [Finding(source.path, *row) for row in rows]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError):
            return None  # a damaged entry is recomputed and rewritten

    def save(self, source: confcheck.Source,
             findings: list[Finding]) -> None:
        store_json(self.file(source),
                   [[f.line, f.severity, f.code, f.message]
                    for f in findings])


def store_json(path: str, data) -> None:
    """Write a cache entry whole or not at all (readers run in parallel)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


class _Build:
    """This process's checks of the build (sphinx -j forks readers:
    a fork has none of its parent's threads, so it starts its own)."""

    pid = 0
    runner: confcheck.CheckRunner | None = None


def _runner(cache_root: str) -> confcheck.CheckRunner:
    if _Build.pid != os.getpid() or _Build.runner is None or (
            _Build.runner.cache.root != DiskCache(cache_root).root):
        _Build.pid = os.getpid()
        _Build.runner = confcheck.CheckRunner(cache=DiskCache(cache_root))
    return _Build.runner


def findings(source: confcheck.Source,
             cache_root: str | None) -> list[Finding]:
    """confcheck's findings for source, cached under cache_root.

    A check that prefetch() started is waited for, never run twice.
    """
    if not cache_root:
        return confcheck.check_text(source.text, source.path, source.kind)
    return _runner(cache_root).findings(source)


def prefetch(sources: list[confcheck.Source], cache_root: str,
             wait: bool) -> None:
    """Start checking the sources not yet cached, tool-backed first.

    The real tools spend their time in processes of their own, so they
    run on the other cores while Sphinx reads pages in this one; each
    include then only waits for its file. ``wait`` finishes them all
    first (sphinx -j forks readers, which cannot wait for these threads;
    they then find every result in the cache).
    """
    runner = _runner(cache_root)
    runner.start(sources)
    if wait:
        runner.wait()


def finish() -> None:
    """Drop this build's checks (build-finished): nothing waits any more."""
    if _Build.runner is not None and _Build.pid == os.getpid():
        _Build.runner.close()
    _Build.runner = None
