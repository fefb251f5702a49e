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
"""Verdicts on files written the way deployment tools and guides write them.

Each case is one class of false error the checkers used to give: the real
tools' warnings turned into errors, what only the node can resolve, forms
the built-in checks misread. Every sample has zero error findings.
"""

import pathlib

import pytest

import realtools
from confcheck import check_text

SAMPLES = pathlib.Path(__file__).parent / "samples" / "verdicts"


def findings(name: str, kind: str):
    path = SAMPLES / name
    return check_text(path.read_text(), str(path), kind)


def errors(found):
    return [f for f in found if f.severity == "error"]


@pytest.fixture
def real_haproxy(monkeypatch):
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    realtools.require("haproxy", "haproxy")


@pytest.fixture
def real_keepalived(monkeypatch):
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    realtools.require("keepalived", "keepalived")
    realtools.require_netns()


# --- haproxy ----------------------------------------------------------------

def test_haproxy_conditional_blocks_and_clustercheck_builtin(builtin):
    """.if/.elif/.else/.endif are directives; clustercheck takes OPTIONS /."""
    assert findings("haproxy-osa-style.cfg", "haproxy") == []


def test_haproxy_conditional_blocks_and_clustercheck_real(real_haproxy):
    found = findings("haproxy-osa-style.cfg", "haproxy")
    assert errors(found) == []
    assert not [f for f in found if f.code == "HAP025"]


@pytest.mark.parametrize("line, word", [(8, "listen stats 10.0.0.11:8404"),
                                        (14, "option http_proxy")])
def test_haproxy_old_forms_builtin(builtin, line, word):
    """What haproxy -c refuses, the built-in check refuses too."""
    found = findings("haproxy-old-forms.cfg", "haproxy")
    assert [(f.line, f.code) for f in found if word in f.message] == [
        (line, "HAP016")]


def test_haproxy_old_forms_real(real_haproxy):
    found = findings("haproxy-old-forms.cfg", "haproxy")
    assert {8, 14} <= {f.line for f in errors(found)}


def test_haproxy_node_names_are_warnings(real_haproxy):
    """A user and a bind host name only the node has: HAP003, no error."""
    found = findings("haproxy-node-names.cfg", "haproxy")
    assert errors(found) == []
    assert [(f.line, f.code) for f in found] == [
        (4, "HAP003"), (5, "HAP003"), (15, "HAP003")]
    assert "controller1-mgmt.confcheck.invalid" in found[2].message


# --- keepalived -------------------------------------------------------------

def test_keepalived_warning_lines_stay_warnings(real_keepalived):
    """keepalived -t exits non-zero on its own "Warning" lines."""
    found = findings("keepalived-master-nopreempt.conf", "keepalived")
    assert errors(found) == []
    # Line 16: auth_pass is cut to 8 characters, which keepalived does and
    # goes on.
    assert [(f.line, f.code) for f in found] == [(7, "KAL002"),
                                                 (16, "KAL002")]
    assert "nopreempt" in found[0].message


# --- MariaDB ----------------------------------------------------------------

def test_mariadb_removed_options_are_warnings():
    """mariadbd starts with these and logs "was removed"; so do we."""
    found = findings("my-removed.cnf", "mysql")
    assert [(f.line, f.code) for f in found] == [
        (7, "MYS108"), (8, "MYS108"), (9, "MYS108")]
    assert all("removed" in f.message for f in found)


# --- corosync ---------------------------------------------------------------

def test_corosync2_keys_and_nameless_nodes_are_warnings(builtin):
    found = findings("corosync-upgraded.conf", "corosync")
    assert errors(found) == []
    assert [(f.line, f.code) for f in found] == [
        (6, "COR012"), (13, "COR024"), (17, "COR024"), (21, "COR024")]


# --- OpenStack files read by several daemons --------------------------------

OSLO = SAMPLES / "oslo"


def oslo_findings(case: str, name: str):
    path = OSLO / case / name
    return check_text(path.read_text(), str(path), "oslo")


def test_l3_agent_with_vpnaas_extension_sections():
    """[ipsec] and [vpnagent] belong to the L3 agent's VPN extension, and
    [agent] root_helper is read by every agent."""
    assert oslo_findings("l3-vpnaas", "l3_agent.ini") == []


def test_glance_import_plugin_sections_in_glance_api_conf():
    assert oslo_findings("glance-import", "glance-api.conf") == []


def test_empty_values_are_not_unbalanced_quotes():
    assert oslo_findings("empty-values", "nova.conf") == []


def test_ml2_conf_with_agent_sections_warns_naming_the_agent():
    found = oslo_findings("ml2-with-agent", "ml2_conf.ini")
    assert errors(found) == []
    agent = [(f.line, f.code) for f in found
             if "neutron-openvswitch-agent" in f.message]
    assert agent == [(21, "OSL015"), (22, "OSL015"), (25, "OSL015"),
                     (26, "OSL015")]


def test_neutron_conf_with_agent_options_warns_naming_the_agent():
    found = oslo_findings("neutron-agent-opts", "neutron.conf")
    assert errors(found) == []
    assert [(f.line, f.code, f.message.split(" (")[0].split(
        " is read only by ")[1]) for f in found] == [
        (9, "OSL015", "neutron-l3-agent"),
        (10, "OSL015", "neutron-dhcp-agent")]
