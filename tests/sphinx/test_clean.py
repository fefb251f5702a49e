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
"""A root that uses every feature correctly builds without warnings."""

import re

import pytest


def page(app, name: str) -> str:
    return (app.outdir / f"{name}.html").read_text(encoding="utf-8")


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&quot;", '"')


@pytest.mark.sphinx("html", testroot="clean")
def test_clean_html_has_no_warnings(app, confcheck_warnings,
                                    other_warnings):
    app.build()
    assert confcheck_warnings(app.warning) == []
    assert other_warnings(app.warning) == []


@pytest.mark.sphinx("latex", testroot="clean")
def test_clean_latex_has_no_warnings(app, confcheck_warnings,
                                     other_warnings):
    """LaTeX reads the same directives; the download link is plain text."""
    app.build()
    assert confcheck_warnings(app.warning) == []
    assert other_warnings(app.warning) == []
    tex = (app.outdir / "projectnamenotset.tex").read_text()
    assert "/etc/haproxy/haproxy.cfg on controller1" in tex
    assert "Download" not in tex
    assert "The whole file is" in tex and "example tree" in tex


@pytest.mark.sphinx("html", testroot="clean")
def test_caption_lexer_and_download(app):
    app.build()
    html = page(app, "haproxy")
    assert "/etc/haproxy/haproxy.cfg on controller1" in html
    assert "highlight-haproxy" in html
    links = re.findall(r'href="(_downloads/[^"]+/haproxy\.cfg)"', html)
    assert links, "no download link"
    assert (app.outdir / links[0]).read_text().startswith("global\n")


@pytest.mark.sphinx("html", testroot="clean")
def test_haproxy_section_and_emphasis(app):
    """The section shows one proxy; emphasize-lines counts from its top."""
    app.build()
    html = page(app, "haproxy")
    blocks = re.findall(r"<pre>(.*?)</pre>", html, re.S)
    section = text_of(blocks[1])
    assert section.startswith("listen keystone_api\n")
    assert "galera" not in section and "# Galera" not in section
    assert "server controller2" in section
    emphasized = re.findall(r'<span class="hll">(.*?)</span>\n', blocks[1],
                            re.S)
    assert len(emphasized) == 1 and "10.0.0.11:5000" in text_of(
        emphasized[0])


@pytest.mark.sphinx("html", testroot="clean")
def test_keepalived_and_ini_sections(app):
    app.build()
    keepalived = text_of(page(app, "keepalived"))
    assert "vrrp_instance VI_INTERNAL {" in keepalived
    assert "global_defs" not in keepalived
    assert "highlight-keepalived" in page(app, "keepalived")
    galera = text_of(page(app, "galera"))
    assert "[galera]" in galera and "[mysqld]" not in galera
    assert "highlight-ini" in page(app, "galera")


@pytest.mark.sphinx("html", testroot="clean")
def test_pcs_file_is_a_console_session(app):
    """Each command gets a root prompt; continuation lines do not."""
    app.build()
    shown = text_of(page(app, "pacemaker"))
    assert "pcs commands, run on one controller" in shown
    assert "# pcs resource create vip" in shown
    assert "\n    cidr_netmask=24" in shown
    assert "# # The internal VIP" in shown
    assert "highlight-console" in page(app, "pacemaker")


@pytest.mark.sphinx("html", testroot="clean")
def test_per_node_lines_table(app):
    app.build()
    shown = text_of(page(app, "keepalived"))
    assert ("Lines of /etc/keepalived/keepalived.conf that differ per node"
            in shown)
    for line in ("priority 101", "priority 100", "unicast_src_ip 10.0.0.13",
                 "router_id controller2"):
        assert line in shown


@pytest.mark.sphinx("html", testroot="clean")
def test_service_table(app):
    app.build()
    tables = re.findall(r"<table.*?</table>", page(app, "tables"), re.S)
    assert "keystone" in tables[0] and "haproxy-backup" in tables[0]
    assert "keystone" not in tables[1] and "mariadb" in tables[1]


@pytest.mark.sphinx("html", testroot="clean")
def test_confcheck_codes(app):
    """Every code of every checker, and the tree's, with both examples."""
    import confcheck
    from confcheck import tree

    app.build()
    html = page(app, "tables")
    codes = confcheck.all_codes() + list(tree.CODES)
    for code in codes:
        assert f'id="{code.code.lower()}"' in html, code.code
    assert html.count("<p>Bad:</p>") == len(codes)
    assert html.count("<p>Good:</p>") == len(codes)


@pytest.mark.sphinx("html", testroot="clean")
def test_option_data_versions_come_from_the_index(app):
    """The release the guide states is read from the option data index."""
    from confcheck.checks import oslo_data

    nova = oslo_data.index()["packages"]["nova"]
    app.build()
    last_table = re.findall(r"<table.*?</table>", page(app, "tables"),
                            re.S)[-1]
    row = re.search(r"<td><p>nova</p></td>(.*?)</tr>", last_table, re.S)
    assert row, "no nova row"
    assert nova["version"] in row.group(1)
    assert nova["series"] in row.group(1)
