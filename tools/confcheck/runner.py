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
"""Checking many sources side by side, each once, collected on demand."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Protocol

# The package, not its names: this module is imported while the package
# initialises, and check_text is looked up when a check runs.
import confcheck
from confcheck.findings import Finding
from confcheck.reader import Source


class Cache(Protocol):
    """Findings kept between runs (the docs build keeps them on disk)."""

    def load(self, source: Source) -> list[Finding] | None:
        """The stored findings of source, or None."""

    def save(self, source: Source, findings: list[Finding]) -> None:
        """Store the findings of source."""


class CheckRunner:
    """The checks of many Sources, started at once, collected where needed.

    ``start`` queues sources, those whose check runs a real tool first:
    they take seconds where the built-in checks take milliseconds, so
    they set how long a run lasts. ``findings`` gives one source's
    findings, waiting for its check, or running it at once if it was
    never started. A source is checked once however often it is asked
    for. The tools spend their time in processes of their own, so
    threads overlap them well; ``jobs=1`` checks each source in the
    caller's thread when it is asked for. Call both from one thread.

    With a cache, a source found there is not checked, and a check that
    did not crash is stored.
    """

    def __init__(self, jobs: int | None = None,
                 cache: Cache | None = None) -> None:
        self.jobs = jobs or min(8, 2 * (os.cpu_count() or 1))
        self.cache = cache
        self._pool = None
        self._pending: dict[Source, object] = {}
        # Checked in the caller's thread (jobs=1, or never started).
        self._done: dict[Source, list[Finding]] = {}

    def _check(self, source: Source) -> list[Finding]:
        findings = confcheck.check_text(source.text, source.path,
                                        source.kind)
        if self.cache is not None and not confcheck.has_internal_error(
                findings):
            self.cache.save(source, findings)
        return findings

    def _cached(self, source: Source) -> list[Finding] | None:
        return None if self.cache is None else self.cache.load(source)

    def start(self, sources: Iterable[Source]) -> None:
        """Start checking every source not started or cached yet."""
        if self.jobs == 1:
            return
        todo = [source for source in dict.fromkeys(sources)
                if source not in self._pending and source not in self._done
                and self._cached(source) is None]
        if not todo:
            return
        if self._pool is None:
            # Imported here: it costs about 14 ms, which a run of the CLI
            # on one file (or --version) should not pay.
            import concurrent.futures

            self._pool = concurrent.futures.ThreadPoolExecutor(
                self.jobs, thread_name_prefix="confcheck")
        # Stable: in the order given within each group.
        todo.sort(key=lambda source: not source.runs_tools)
        for source in todo:
            self._pending[source] = self._pool.submit(self._check, source)

    def findings(self, source: Source) -> list[Finding]:
        """source's findings, once its check has ended."""
        future = self._pending.get(source)
        if future is not None:
            return future.result()
        if source not in self._done:
            cached = self._cached(source)
            self._done[source] = (self._check(source) if cached is None
                                  else cached)
        return self._done[source]

    def wait(self) -> None:
        """Return once every started check has ended."""
        for future in self._pending.values():
            future.exception()

    def close(self) -> None:
        """Drop what was not started; wait for what runs."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool, self._pending, self._done = None, {}, {}

    def __enter__(self) -> CheckRunner:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
