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
"""The reference architecture figure, drawn from cluster.yaml."""

import pathlib
import re
import shutil

import pytest

import haguide_architecture
from confcheck.cluster import CLUSTER_FILE, load_cluster

CLUSTER = (pathlib.Path(__file__).parents[2] / "doc" / "examples" /
           CLUSTER_FILE)
COMPUTE2 = """\
  compute2:
    role: compute
    address: 10.0.0.32
"""


def _examples(app, extra: str = "") -> None:
    """The guide's cluster.yaml in the root, with extra hosts added."""
    text = CLUSTER.read_text()
    if extra:
        # Hosts end where the next top-level key starts.
        hosts = text.index("\nhosts:\n")
        end = re.compile(r"^\S", re.M).search(text, hosts + 8).start()
        text = text[:end] + extra + text[end:]
    (app.srcdir / "examples").mkdir(exist_ok=True)
    (app.srcdir / "examples" / CLUSTER_FILE).write_text(text)


def _svgs(app) -> dict[str, bytes]:
    return {p.name: p.read_bytes()
            for p in (app.outdir / "_images").glob("reference-*.svg")}


def test_every_host_vip_and_network_is_in_the_data():
    data = haguide_architecture.architecture(
        load_cluster(str(CLUSTER.parent)))
    cluster = load_cluster(str(CLUSTER.parent))
    assert [h["name"] for h in data["hosts"]] == list(cluster.hosts)
    assert {h["role"] for h in data["hosts"]} == {
        "controller", "network", "compute"}
    assert [v["address"] for v in data["vips"]] == [
        v["address"] for v in cluster.data["vips"].values()]
    text = haguide_architecture.alt_text(data)
    for name, host in cluster.hosts.items():
        assert f"{name} at {host['address']}" in text


@pytest.mark.sphinx("html", testroot="architecture",
                    srcdir="architecture-added")
def test_a_host_added_to_cluster_yaml_is_drawn(app, warning):
    """compute2 added to the guide's cluster.yaml is in the SVG, with its
    address, next to every host the file had."""
    _examples(app, COMPUTE2)
    app.build()
    assert "WARNING" not in warning.getvalue()
    (svg,) = _svgs(app).values()
    text = svg.decode()
    for name, address in (("compute2", "10.0.0.32"),
                          ("network3", "10.0.0.23"),
                          ("controller1", "10.0.0.12")):
        assert f">{name}<" in text and address in text, name
    assert "10.0.0.11" in text and "203.0.113.11" in text
    page = (app.outdir / "index.html").read_text()
    assert 'alt="Reference architecture: ' in page
    assert "compute2 at 10.0.0.32" in page


@pytest.mark.sphinx("html", testroot="architecture",
                    srcdir="architecture-rebuild")
def test_rebuild_gives_the_same_bytes(app, make_app, app_params):
    """A clean rebuild of the same cluster.yaml writes the same SVG."""
    _examples(app)
    app.build()
    first = _svgs(app)
    shutil.rmtree(app.outdir)
    again = make_app(*app_params.args, **app_params.kwargs)
    again.build()
    assert first and _svgs(again) == first


@pytest.mark.sphinx("latex", testroot="architecture",
                    srcdir="architecture-latex")
def test_latex_includes_it_as_pdf(app):
    _examples(app)
    app.build()
    tex = (app.outdir / "book.tex").read_text()
    (stem,) = re.findall(r"\\sphinxincludegraphics\[[^]]*\]\{\{"
                         r"(reference-architecture-[0-9a-f]{12})\}\.pdf\}",
                         tex)
    assert (app.outdir / f"{stem}.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.sphinx("html", testroot="architecture",
                    srcdir="architecture-unknown")
def test_a_host_of_an_unknown_role_is_reported(app, warning):
    _examples(app, "  storage1:\n    role: storage\n    address: 10.0.0.41\n")
    app.build()
    assert "role storage is not under roles" in warning.getvalue()
    assert not _svgs(app)
