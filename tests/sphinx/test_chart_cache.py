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
"""Charts kept between builds (HAGUIDE_CHART_CACHE) only for the same key."""

from __future__ import annotations

import functools

import matplotlib
import pytest

import haguide_charts

TIMELINE = {"label": "VIP", "bucket_s": 1.0, "ok": [5, 3, 0, 4],
            "failed": [0, 2, 5, 1],
            "events": [{"t": 1.5, "label": "kill"}]}


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """The drawings actually made, with the cache in tmp_path/cache."""
    monkeypatch.setenv(haguide_charts.CACHE_VARIABLE,
                       str(tmp_path / "cache"))
    made = []
    original = haguide_charts.DRAWERS["timelines"]

    @functools.wraps(original)
    def counting(data, path, fmt):
        made.append((path, fmt))
        original(data, path, fmt)

    monkeypatch.setitem(haguide_charts.DRAWERS, "timelines", counting)
    haguide_charts._environment.cache_clear()
    yield made
    haguide_charts._environment.cache_clear()


def _node(timeline: dict = TIMELINE) -> haguide_charts.drawing:
    return haguide_charts.drawing(kind="timelines", name="failover-vip",
                                  data=[timeline], alt="a chart")


def test_a_kept_drawing_is_copied_not_drawn_again(drawn, tmp_path):
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    haguide_charts._draw(_node(), str(first), "svg")
    haguide_charts._draw(_node(), str(second), "svg")
    assert drawn == [(str(first), "svg")]
    assert second.read_bytes() == first.read_bytes()


def test_the_copy_is_what_a_fresh_drawing_gives(drawn, tmp_path,
                                                monkeypatch):
    haguide_charts._draw(_node(), str(tmp_path / "kept.pdf"), "pdf")
    haguide_charts._draw(_node(), str(tmp_path / "copy.pdf"), "pdf")
    monkeypatch.delenv(haguide_charts.CACHE_VARIABLE)
    haguide_charts._draw(_node(), str(tmp_path / "fresh.pdf"), "pdf")
    assert ((tmp_path / "copy.pdf").read_bytes() ==
            (tmp_path / "fresh.pdf").read_bytes())


@pytest.mark.parametrize("other", [
    {"ok": [5, 3, 1, 4]}, {"events": []}, {"bucket_s": 2.0}])
def test_other_data_is_drawn(drawn, tmp_path, other):
    haguide_charts._draw(_node(), str(tmp_path / "a.svg"), "svg")
    haguide_charts._draw(_node({**TIMELINE, **other}),
                         str(tmp_path / "b.svg"), "svg")
    assert len(drawn) == 2


def test_the_other_format_is_drawn(drawn, tmp_path):
    haguide_charts._draw(_node(), str(tmp_path / "a.svg"), "svg")
    haguide_charts._draw(_node(), str(tmp_path / "a.pdf"), "pdf")
    assert [fmt for _path, fmt in drawn] == ["svg", "pdf"]


def test_other_matplotlib_settings_are_drawn(drawn, tmp_path):
    """A setting from a matplotlibrc changes the picture, so the key."""
    haguide_charts._draw(_node(), str(tmp_path / "a.svg"), "svg")
    haguide_charts._environment.cache_clear()
    with matplotlib.rc_context({"lines.linewidth": 3.0}):
        haguide_charts._draw(_node(), str(tmp_path / "b.svg"), "svg")
    assert len(drawn) == 2


def test_without_the_variable_nothing_is_kept(drawn, tmp_path,
                                              monkeypatch):
    monkeypatch.delenv(haguide_charts.CACHE_VARIABLE)
    haguide_charts._draw(_node(), str(tmp_path / "a.svg"), "svg")
    haguide_charts._draw(_node(), str(tmp_path / "b.svg"), "svg")
    assert len(drawn) == 2
    assert not (tmp_path / "cache").exists()


def test_an_unwritable_cache_still_draws(drawn, tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    monkeypatch.setenv(haguide_charts.CACHE_VARIABLE, str(blocked))
    haguide_charts._draw(_node(), str(tmp_path / "a.svg"), "svg")
    assert (tmp_path / "a.svg").read_bytes().lstrip().startswith(b"<?xml")
