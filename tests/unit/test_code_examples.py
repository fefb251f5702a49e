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
"""Each documented bad example shows its code, and its good example not.

The guide's appendix renders every code's bad and good example, so each
bad one must produce the code and the good one must not. Codes that
report what the real tool says are shown with the tool; the built-in
ones with CONFCHECK_EXTERNAL=0, since the tool speaks for them otherwise.
"""

from __future__ import annotations

import pytest

import realtools
from confcheck import check_text, kinds
from confcheck.checks import oslo_data

# code -> (binary, Debian package, needs a network namespace)
FROM_TOOL = {
    "HAP001": ("haproxy", "haproxy", False),
    "HAP002": ("haproxy", "haproxy", False),
    "HAP003": ("haproxy", "haproxy", False),
    "KAL001": ("keepalived", "keepalived", True),
    "KAL002": ("keepalived", "keepalived", True),
    "COR001": ("corosync", "corosync", True),
    "COR003": ("corosync", "corosync", True),
    "SHL001": ("bash", "bash", False),
    "SHL002": ("bash", "bash", False),
    "PCS001": ("pcs", "pcs", False), "PCS002": ("pcs", "pcs", False),
    "PCS003": ("pcs", "pcs", False), "PCS004": ("pcs", "pcs", False),
    "CRM001": ("crm", "crmsh", False), "CRM002": ("crm", "crmsh", False),
    "CRM003": ("crm", "crmsh", False), "CRM004": ("crm", "crmsh", False),
}
# Codes about the machine, not the file (the tool could not run), or that
# crm's own verification reports first: no file content shows them alone.
ABOUT_THE_MACHINE = {"KAL003", "COR002", "SHL006", "PCS007", "CRM007",
                     "CRM002"}
# Kinds whose checks depend on the file name, not only on its content.
FILE_NAMES = {"rabbitmq": "rabbitmq.conf",
              "rabbitmq-env": "rabbitmq-env.conf",
              "oslo": "nova.conf"}
# Codes whose bad and good examples are about one service's file:
# code -> (name of the bad example's file, name of the good one's).
CODE_FILE_NAMES = {"OSL011": ("keystone.conf", "keystone.conf"),
                   "OSL015": ("neutron.conf", "l3_agent.ini"),
                   "OSL014": ("my-service.conf", "nova.conf")}
# Codes only an upgrade check gives: code -> (series upgraded from, to).
UPGRADES = {"OSL016": ("2024.1", "2026.2")}
CASES = [(kind, code) for kind in sorted(kinds.KINDS)
         for code in kinds.checker(kind).CODES
         if code.code not in ABOUT_THE_MACHINE]


@pytest.mark.parametrize("kind,code", CASES,
                         ids=[c.code for _, c in CASES])
def test_bad_example_shows_code_and_good_does_not(monkeypatch, kind, code):
    tool = FROM_TOOL.get(code.code)
    if tool:
        monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
        realtools.require(tool[0], tool[1])
        if tool[2]:
            realtools.require_netns()
    else:
        monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")
    if code.code in UPGRADES:
        monkeypatch.setattr(oslo_data, "_selected",
                            [UPGRADES[code.code][1], UPGRADES[code.code][0]])
    name = FILE_NAMES.get(kind, "example")
    bad_name, good_name = CODE_FILE_NAMES.get(code.code, (name, name))
    bad = {f.code for f in check_text(code.bad, bad_name, kind)}
    good = {f.code for f in check_text(code.good, good_name, kind)}
    assert code.code in bad, bad
    assert code.code not in good, good
