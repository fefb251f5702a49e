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
"""The failover-results and tested-versions directives."""

import json
import re

import pytest

import haguide_results


@pytest.mark.sphinx("html", testroot="failover-results")
def test_results_rendered_from_the_json(app, warning):
    """Every figure, its bound and the command come from the JSON file.

    The root renders all scenarios, one by name, one unknown name (which
    must warn with the page's location) and the versions table.
    """
    app.build()
    html = (app.outdir / "index.html").read_text()
    assert html.count("exceptions reaching the caller") == 2
    assert "0 calls" in html and "exactly 0 calls" in html
    assert "0.1 s" in html
    assert "test_memcached_server_killed" in html
    assert "1.6.18-1+deb12u1" in html
    # The role gives the upstream version only.
    assert "The run used memcached 1.6.18." in html
    # PyPI pins by any spelling of the name; an unknown one warns.
    assert "oslo.messaging 18.3.1 and\nkombu 5.7.0" in html
    assert "2-core machine" in html
    assert "up to 3 times" in html
    # A repeated scenario: median, worst with the number of runs.
    assert "Median" in html and "11.7 s (of 3)" in html
    # The side-by-side table, worst shown where it differs.
    assert "kolla-ansible defaults" in html
    assert "4.1 s (worst 4.6)" in html and ">6.2 s<" in html
    # Below it, the settings compared and their sources, once.
    assert "Settings compared" in html
    assert html.count("inter 12000 fall 3 (defaults)") == 1
    messages = warning.getvalue()
    assert "index.rst:15" in messages
    assert "no scenario 'no-such-scenario'" in messages
    assert "no pinned version of package 'no-such-package'" in messages
    assert messages.count("WARNING") == 2


@pytest.mark.sphinx("html", testroot="failover-results")
def test_tree_files_run_counted_from_the_results(app):
    """The OpenStack files a scenario loaded are marked and counted.

    The root's results name keystone.conf (an OpenStack file) and
    memcached.conf (not one): one file of the tree's OpenStack files is
    run, every other is listed as checked only.
    """
    app.build()
    html = (app.outdir / "index.html").read_text()
    every = haguide_results.openstack_files(
        haguide_results.REPO / "doc" / "examples")
    assert "controller/etc/keystone/keystone.conf" in every
    assert f"1 of {len(every)} OpenStack files" in html
    assert html.count("run by the functional tests<") == 1
    assert html.count("checked by the build only") == len(every) - 1
    assert "memcached.conf" not in html


def test_pinned_versions_reads_exact_pins_only(tmp_path):
    """Only name==version lines count, under their normalised names."""
    pins = tmp_path / "constraints.txt"
    pins.write_text("# comment\noslo.messaging==18.3.1\nKombu == 5.7.0\n"
                    "pbr>=6\nnot a requirement\n\n")
    assert haguide_results.pinned_versions(pins) == {
        "oslo-messaging": "18.3.1", "kombu": "5.7.0"}


def test_the_lab_pins_what_the_guide_names():
    """The pins file of the repository has the packages tls.rst names."""
    pins = haguide_results.pinned_versions(haguide_results.PINS_FILE)
    assert {"kombu", "oslo-messaging", "pymysql", "uwsgi"} <= set(pins)


@pytest.mark.parametrize("debian, upstream", [
    ("1:11.8.9+ds-0+deb13u1", "11.8.9"),
    ("4.0.5-6+deb13u2", "4.0.5"),
    ("1:2.3.3-1", "2.3.3"),
    ("5.0.0~rc1-1", "5.0.0"),
    ("1.6.38", "1.6.38"),
])
def test_upstream_version(debian, upstream):
    assert haguide_results.upstream_version(debian) == upstream


def test_publish_refuses_a_malformed_file(tmp_path):
    """publish copies a well-formed run, refuses malformed or failed ones."""
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    target = tmp_path / "out" / "failover-results.json"
    good.write_text(json.dumps({
        "date": "d", "machine": {}, "duration_s": 1, "versions": {},
        "scenarios": {}}))
    bad.write_text(json.dumps({"scenarios": {}}))
    assert haguide_results.main(["publish", str(good), str(target)]) == 0
    assert json.loads(target.read_text())["date"] == "d"
    assert haguide_results.main(["publish", str(bad), str(target)]) == 1
    failed = tmp_path / "failed.json"
    failed.write_text(json.dumps({
        "date": "d", "machine": {}, "duration_s": 1, "versions": {},
        "scenarios": {}, "failed_tests": ["test_x.py::test_y"]}))
    assert haguide_results.main(["publish", str(failed), str(target)]) == 1


def test_publish_refuses_a_partial_run(tmp_path):
    """A run lacking a published scenario would silently drop it."""
    scenario = {"title": "t", "description": "d", "command": "c",
                "figures": []}
    full, partial = tmp_path / "full.json", tmp_path / "partial.json"
    target = tmp_path / "failover-results.json"
    for path, names in ((full, ("a", "b")), (partial, ("a",))):
        path.write_text(json.dumps({
            "date": "d", "machine": {}, "duration_s": 1, "versions": {},
            "scenarios": {n: scenario for n in names}}))
    assert haguide_results.main(["publish", str(full), str(target)]) == 0
    assert haguide_results.main(["publish", str(partial), str(target)]) == 1


def test_merge_replaces_only_the_named_scenarios(tmp_path):
    """A partial run refreshes its scenarios; the others stay as they are.

    The merged scenario carries the run's date and its own run count; a
    run on other package versions, with failed tests or without the
    named scenario is refused and leaves the committed copy unchanged.
    """
    def results(date, versions, **scenarios):
        return {"date": date, "machine": {}, "duration_s": 1,
                "versions": versions, "runs": 3,
                "comparison": [{"scenario": n, "metric": "gap", "unit": "s",
                                "values": {"guide": v}}
                               for n, v in scenarios.items()],
                "scenarios": {n: {"title": n, "description": "d",
                                  "command": "c", "runs": 3,
                                  "figures": [{"what": "gap", "value": v,
                                               "unit": "s"}]}
                              for n, v in scenarios.items()}}

    target, run = tmp_path / "published.json", tmp_path / "run.json"
    target.write_text(json.dumps(results("old", {"haproxy": "3.0"},
                                         a=1.0, b=2.0)))
    fresh = results("new", {"haproxy": "3.0"}, b=5.0, c=7.0)
    fresh["scenarios"]["b"]["runs"] = 1
    run.write_text(json.dumps(fresh))
    assert haguide_results.main(["merge", str(run), "--scenario", "b",
                                 "--scenario", "c", "--target",
                                 str(target)]) == 0
    merged = json.loads(target.read_text())
    assert merged["date"] == "old" and merged["runs"] == 3
    assert merged["scenarios"]["a"]["figures"][0]["value"] == 1.0
    assert merged["scenarios"]["b"]["figures"][0]["value"] == 5.0
    assert merged["scenarios"]["b"]["runs"] == 1
    assert merged["scenarios"]["b"]["date"] == "new"
    assert "c" in merged["scenarios"]
    assert {(r["scenario"], r["values"]["guide"])
            for r in merged["comparison"]} == {("a", 1.0), ("b", 5.0),
                                               ("c", 7.0)}
    # A row named after its failure belongs to the scenario of its key,
    # and replaces an unkeyed row of the same failure and metric.
    keyed = results("newer", {"haproxy": "3.0"}, a=3.0)
    keyed["comparison"] = [{"scenario": n, "key": "a", "metric": "gap",
                            "unit": "s", "values": {"guide": 4.0}}
                           for n in ("a killed", "b")]
    run.write_text(json.dumps(keyed))
    assert haguide_results.main(["merge", str(run), "--scenario", "a",
                                 "--target", str(target)]) == 0
    merged = json.loads(target.read_text())
    assert sorted((r["scenario"], r["values"]["guide"])
                  for r in merged["comparison"]) == [
        ("a killed", 4.0), ("b", 4.0), ("c", 7.0)]
    before = target.read_text()
    for bad, name in (
            (results("x", {"haproxy": "2.6"}, b=9.0), "b"),
            (dict(results("x", {"haproxy": "3.0"}, b=9.0),
                  failed_tests=["test_b.py::test_b"]), "b"),
            (results("x", {"haproxy": "3.0"}, b=9.0), "z")):
        run.write_text(json.dumps(bad))
        assert haguide_results.main(["merge", str(run), "--scenario", name,
                                     "--target", str(target)]) == 1
        assert target.read_text() == before


def test_merge_adds_the_versions_of_new_packages(tmp_path):
    """A run from a root with more packages merges; a changed one not."""
    def results(versions):
        return {"date": "d", "machine": {}, "duration_s": 1,
                "versions": versions,
                "scenarios": {"a": {"title": "a", "description": "d",
                                    "command": "c", "figures": []}}}

    target, run = tmp_path / "published.json", tmp_path / "run.json"
    target.write_text(json.dumps(results({"haproxy": "3.0",
                                          "galera-4": "26.4"})))
    run.write_text(json.dumps(results({"haproxy": "3.0", "garbd": "26.4"})))
    assert haguide_results.main(["merge", str(run), "--scenario", "a",
                                 "--target", str(target)]) == 0
    assert json.loads(target.read_text())["versions"] == {
        "galera-4": "26.4", "garbd": "26.4", "haproxy": "3.0"}
    before = target.read_text()
    run.write_text(json.dumps(results({"haproxy": "3.1", "garbd": "26.4"})))
    assert haguide_results.main(["merge", str(run), "--scenario", "a",
                                 "--target", str(target)]) == 1
    assert target.read_text() == before


def _run(index: int, gap: float, errors: int, node: str,
         failed: list[str] = ()) -> dict:
    """One run's results as the functional session writes them."""
    return {
        "date": f"run {index}", "machine": {"cores": 2, "kernel": "k"},
        "duration_s": 10.0, "versions": {"haproxy": "3.0"}, "runs": 1,
        "run": index, "failed_tests": list(failed),
        "comparison": [{"scenario": "s", "metric": "gap", "unit": "s",
                        "key": "s", "settings": {"guide": "g"},
                        "values": {"guide": gap, "kolla-ansible": 2 * gap}}],
        "scenarios": {"s": {
            "title": "t", "description": "d", "command": "c",
            "figures": [
                {"what": "gap", "value": gap, "unit": "s",
                 "bound": "<= 20"},
                {"what": "rows", "value": 60 + index, "unit": "rows",
                 "bound": ">= 50"},
                {"what": "errors", "value": errors, "unit": "requests"},
                {"what": "writer", "value": node, "unit": ""}],
            "timelines": [{"label": f"run {index}", "bucket_s": 0.5,
                           "ok": [1], "failed": [0], "events": []}]}},
    }


def test_aggregate_gives_median_worst_and_every_value():
    """Median and worst follow the bound's direction; text keeps the mode.

    The published timelines are those of the run with the median first
    bounded figure, so a chart shows a typical run.
    """
    runs = [_run(1, 9.0, 1, "controller2"), _run(2, 12.5, 0, "controller2"),
            _run(3, 8.0, 3, "controller3")]
    data = haguide_results.aggregate(runs)
    assert data["runs"] == 3 and data["duration_s"] == 30.0
    gap, rows, errors, writer = data["scenarios"]["s"]["figures"]
    assert (gap["value"], gap["worst"], gap["values"]) == (
        9.0, 12.5, [9.0, 12.5, 8.0])
    assert (rows["value"], rows["worst"]) == (62, 61)
    assert (errors["value"], errors["worst"]) == (1, 3)
    assert (writer["value"], writer["worst"]) == (
        "controller2", "controller3")
    assert gap["bound"] == "<= 20" and "worse" not in gap
    assert data["scenarios"]["s"]["runs"] == 3
    assert data["scenarios"]["s"]["timelines"][0]["label"] == "run 1"
    row, = data["comparison"]
    assert row["values"] == {"guide": 9.0, "kolla-ansible": 18.0}
    assert row["worst"] == {"guide": 12.5, "kolla-ansible": 25.0}
    assert (row["key"], row["settings"]) == ("s", {"guide": "g"})
    assert data["failed_tests"] == []


def test_aggregate_keeps_failures_and_partial_scenarios(tmp_path):
    """A failed run taints the merge; a scenario missing from a run is
    merged over the runs that have it (a slow module's lower RUNS)."""
    second = _run(2, 5.0, 0, "controller2", failed=["t.py::test_x"])
    del second["scenarios"]["s"]
    data = haguide_results.aggregate([_run(1, 9.0, 0, "c1"), second])
    assert data["failed_tests"] == ["t.py::test_x"]
    assert data["scenarios"]["s"]["runs"] == 1
    assert data["scenarios"]["s"]["figures"][0]["values"] == [9.0]
    merged = tmp_path / "latest.json"
    haguide_results.write(data, merged)
    target = tmp_path / "published.json"
    assert haguide_results.main(["publish", str(merged), str(target)]) == 1


def test_extend_adds_runs_to_the_published_figures(tmp_path):
    """Later runs append their values; median and worst cover all runs.

    The words and bound come from the newest run, the published timelines
    stay, and a scenario whose figures changed, one not published, one
    with side-by-side rows or a run with failed tests is refused without
    touching the committed copy.
    """
    runs = [_run(1, 9.0, 1, "c2"), _run(2, 12.5, 0, "c2"),
            _run(3, 8.0, 3, "c3")]
    published = haguide_results.aggregate(runs)
    published["scenarios"]["s"]["figures"][1]["worse"] = "lower"
    del published["comparison"]
    target = tmp_path / "published.json"
    haguide_results.write(published, target)
    later = []
    for index, gap in ((4, 20.0), (5, 7.0)):
        run = _run(index, gap, 0, "c2")
        del run["comparison"]
        path = tmp_path / f"{index}.json"
        path.write_text(json.dumps(run))
        later.append(str(path))
    assert haguide_results.main(["extend", *later, "--target",
                                 str(target)]) == 0
    data = json.loads(target.read_text())
    scenario = data["scenarios"]["s"]
    gap, rows, errors, writer = scenario["figures"]
    assert scenario["runs"] == 5 and data["runs"] == 5
    assert gap["values"] == [9.0, 12.5, 8.0, 20.0, 7.0]
    assert (gap["value"], gap["worst"]) == (9.0, 20.0)
    assert (rows["value"], rows["worst"]) == (63, 61)
    assert errors["values"] == [1, 0, 3, 0, 0] and errors["worst"] == 3
    # Of an even number of runs, a count's median is the worse of the
    # two middle runs: a count a run had.
    four = [1, 2, 3, 1]
    failed = haguide_results.merge_figure([
        {"what": "failed", "value": v, "unit": "of 9"} for v in four])
    kept = haguide_results.merge_figure([
        {"what": "kept", "value": v, "unit": "of 9", "bound": ">= 1"}
        for v in four])
    assert (failed["value"], kept["value"]) == (2, 1)
    assert writer["value"] == "c2"
    assert scenario["timelines"][0]["label"] == "run 1"
    assert data["duration_s"] == 50.0
    before = target.read_text()
    changed = _run(6, 1.0, 0, "c2")
    del changed["comparison"]
    changed["scenarios"]["s"]["figures"].pop()
    failed = _run(7, 1.0, 0, "c2", failed=["t.py::test_s"])
    del failed["comparison"]
    unknown = _run(8, 1.0, 0, "c2")
    del unknown["comparison"]
    unknown["scenarios"]["new"] = unknown["scenarios"].pop("s")
    for bad, extra in ((changed, []), (failed, []), (unknown, []),
                       (_run(9, 1.0, 0, "c2"), ["--scenario", "s"])):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad))
        assert haguide_results.main(["extend", str(path), "--target",
                                     str(target), *extra]) == 1
        assert target.read_text() == before


def test_extend_takes_runs_with_more_packages(tmp_path):
    """A run from a root with added packages extends; another version not."""
    published = haguide_results.aggregate([_run(1, 9.0, 1, "c2")])
    del published["comparison"]
    target = tmp_path / "published.json"
    haguide_results.write(published, target)
    run = _run(2, 7.0, 0, "c2")
    del run["comparison"]
    run["versions"] = {**run["versions"], "corosync-qnetd": "3.0.3-2"}
    path = tmp_path / "2.json"
    path.write_text(json.dumps(run))
    assert haguide_results.main(["extend", str(path), "--target",
                                 str(target)]) == 0
    data = json.loads(target.read_text())
    assert data["versions"] == {"corosync-qnetd": "3.0.3-2",
                                "haproxy": "3.0"}
    assert data["scenarios"]["s"]["runs"] == 2
    before = target.read_text()
    run["versions"]["haproxy"] = "3.1"
    path.write_text(json.dumps(run))
    assert haguide_results.main(["extend", str(path), "--target",
                                 str(target)]) == 1
    assert target.read_text() == before


def test_load_refuses_a_malformed_timeline(tmp_path):
    """ok and failed must be bucket lists of one length."""
    run = _run(1, 9.0, 0, "c1")
    run["scenarios"]["s"]["timelines"][0]["failed"] = [0, 0]
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run))
    with pytest.raises(haguide_results.ResultsError, match="timeline"):
        haguide_results.load(path)


@pytest.mark.sphinx("html", testroot="failover-charts")
def test_a_chart_per_scenario_with_a_timeline_html(app, warning):
    """A scenario with timelines gets one SVG chart, drawn from its data;
    one without gets none."""
    app.build()
    html = (app.outdir / "index.html").read_text()
    charts = sorted((app.outdir / "_images").glob("failover-*.svg"))
    assert [c.name.split("-")[1] for c in charts] == ["vip"]
    svg = charts[0].read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    # Both timelines' titles and every event label are in the drawing.
    drawn = _svg_texts(svg)
    for text in ("keepalived stopped on the master",
                 "keepalived killed on the master", "kill", "detected",
                 "recovered", "seconds after the load started"):
        assert text in drawn
    assert html.count('class="haguide-chart"') == 1
    assert f"_images/{charts[0].name}" in html
    assert "Sample: the VIP moves: answered (blue)" in html
    # A scenario that says why it has no chart prints the reason.
    assert ('<p class="haguide-no-chart">No chart: nothing happens over '
            'time in a simulation.</p>') in html
    assert html.count("No chart:") == 1
    assert "WARNING" not in warning.getvalue()


def _svg_texts(svg: str) -> set[str]:
    """The comments matplotlib writes above each text it draws as paths."""
    return set(re.findall(r"<!-- (.*?) -->", svg))


@pytest.mark.sphinx("latex", testroot="failover-charts")
def test_a_chart_per_scenario_with_a_timeline_latex(app, warning):
    """LaTeX gets the same chart as a PDF, included at the text width."""
    app.build()
    charts = sorted(app.outdir.glob("failover-*.pdf"))
    assert len(charts) == 1
    assert charts[0].read_bytes().startswith(b"%PDF")
    tex = next(app.outdir.glob("*.tex")).read_text()
    assert charts[0].stem in tex
    assert r"\sphinxincludegraphics[width=\linewidth]" in tex
    assert "WARNING" not in warning.getvalue()
