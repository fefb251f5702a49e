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
"""The reader/checker seam: SourceReader reads, CheckRunner checks."""

import os
import threading

import pytest

import confcheck
from confcheck.checks import hosts

BAD_NOVA = "[DEFAULT]\ndebug = maybe\n"
# Valid for nova, unknown to keystone: the file name decides.
NOVA_ONLY = "[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\n"


def test_reader_gives_text_shown_path_and_kind(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text(BAD_NOVA)
    source = confcheck.SourceReader(str(path), shown="etc/nova.conf").read()
    assert source == confcheck.Source(BAD_NOVA, "etc/nova.conf", "oslo")
    assert not source.runs_tools


def test_reader_takes_the_kind_given_over_the_name(tmp_path):
    path = tmp_path / "lb-test.cfg"
    path.write_text("global\n    daemon\n")
    source = confcheck.SourceReader(str(path), "haproxy").read()
    assert (source.kind, source.path) == ("haproxy", str(path))
    assert source.runs_tools


def test_reader_refuses_unreadable_before_unknown(tmp_path):
    """A FIFO of an unknown name is refused for what it is, unopened."""
    fifo = tmp_path / "notes.txt"
    os.mkfifo(fifo)
    with pytest.raises(confcheck.InputError, match="a FIFO"):
        confcheck.SourceReader(str(fifo)).read()
    (tmp_path / "notes.md").write_text("text\n")
    with pytest.raises(confcheck.UnknownKind, match="unknown kind"):
        confcheck.SourceReader(str(tmp_path / "notes.md")).read()


def test_source_of_text_takes_the_kind_from_the_shown_name():
    assert confcheck.Source.of("x\n", "etc/keepalived/keepalived.conf"
                               ).kind == "keepalived"
    with pytest.raises(confcheck.UnknownKind):
        confcheck.Source.of("x\n", "-")


class Counting:
    """check_text as it is, counting and ordering the checks it runs."""

    def __init__(self, monkeypatch) -> None:
        self.calls: list[confcheck.Source] = []
        self.lock = threading.Lock()
        self.real = confcheck.check_text
        monkeypatch.setattr(confcheck, "check_text", self)

    def __call__(self, text: str, path: str, kind: str):
        with self.lock:
            self.calls.append(confcheck.Source(text, path, kind))
        return self.real(text, path, kind)


class DictCache:
    def __init__(self) -> None:
        self.saved: dict[confcheck.Source, list[confcheck.Finding]] = {}

    def load(self, source):
        return self.saved.get(source)

    def save(self, source, findings):
        self.saved[source] = findings


@pytest.mark.parametrize("jobs", [1, 4])
def test_runner_checks_a_source_once(monkeypatch, jobs):
    """Asked again (an include shown on several pages), it waits for the
    same check; the findings are checker's own."""
    counting = Counting(monkeypatch)
    source = confcheck.Source(BAD_NOVA, "nova.conf", "oslo")
    with confcheck.CheckRunner(jobs) as runner:
        runner.start([source, source])
        first = runner.findings(source)
        again = runner.findings(source)
    assert first == again == counting.real(BAD_NOVA, "nova.conf", "oslo")
    assert [(f.line, f.code) for f in first] == [(2, "OSL008")]
    assert counting.calls == [source]


def test_runner_keeps_sources_of_other_names_apart():
    """The same text under another name is another check (an oslo
    file's name says which options it takes)."""
    nova = confcheck.Source(NOVA_ONLY, "nova.conf", "oslo")
    keystone = confcheck.Source(NOVA_ONLY, "keystone.conf", "oslo")
    with confcheck.CheckRunner(2) as runner:
        runner.start([nova, keystone])
        assert runner.findings(nova) == []
        assert [(f.path, f.code) for f in runner.findings(keystone)] == [
            ("keystone.conf", "OSL004")]


def test_runner_starts_tool_checks_first(monkeypatch):
    """Given last, the file that runs a tool is still checked first: the
    built-in checks wait for it (bounded), so with it queued behind them
    both workers would wait out the bound and it would come third."""
    started = threading.Event()
    order = []
    real = confcheck.check_text

    def gated(text, path, kind):
        if kind == "haproxy":
            order.append(kind)
            started.set()
        else:
            started.wait(timeout=10)
            order.append(kind)
        return real(text, path, kind)

    monkeypatch.setattr(confcheck, "check_text", gated)
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")
    built_in = [confcheck.Source(f"10.0.0.{n} controller{n}\n", f"hosts{n}",
                                 "hosts") for n in (1, 2, 3)]
    tool = confcheck.Source("global\n    daemon\n", "haproxy.cfg", "haproxy")
    with confcheck.CheckRunner(2) as runner:
        runner.start([*built_in, tool])
        runner.wait()
    assert order[0] == "haproxy"


def test_runner_uses_and_fills_the_cache(monkeypatch):
    counting = Counting(monkeypatch)
    cache = DictCache()
    source = confcheck.Source(BAD_NOVA, "nova.conf", "oslo")
    with confcheck.CheckRunner(2, cache=cache) as runner:
        runner.start([source])
        found = runner.findings(source)
    assert cache.saved == {source: found}
    with confcheck.CheckRunner(2, cache=cache) as runner:
        runner.start([source])
        assert runner.findings(source) == found
    assert counting.calls == [source]


def test_runner_does_not_cache_a_crash(monkeypatch):
    """A crashed check is reported, then tried again next time: the fix
    is in confcheck, and a cached crash would outlive it."""
    def crash(text, path):
        raise ValueError("a bug")

    monkeypatch.setattr(hosts, "check", crash)
    cache = DictCache()
    source = confcheck.Source("10.0.0.11 controller\n", "hosts", "hosts")
    with confcheck.CheckRunner(2, cache=cache) as runner:
        runner.start([source])
        found = runner.findings(source)
    assert [f.code for f in found] == [confcheck.INTERNAL_ERROR]
    assert cache.saved == {}


def test_check_files_reads_with_the_reader(tmp_path):
    """The library's check_files: findings in order, a reason for what
    cannot be read, no file of an unknown name read."""
    (tmp_path / "nova.conf").write_text(BAD_NOVA)
    os.mkfifo(tmp_path / "notes.txt")
    paths = [str(tmp_path / "nova.conf"), str(tmp_path / "notes.txt"),
             str(tmp_path / "keystone.conf")]
    results = list(confcheck.check_files(paths))
    assert [p for p, _ in results] == paths
    assert [(f.line, f.code) for f in results[0][1]] == [(2, "OSL008")]
    assert isinstance(results[1][1], confcheck.UnknownKind)
    assert isinstance(results[2][1], confcheck.InputError)
    assert "no such file" in str(results[2][1])
