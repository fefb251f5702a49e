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
"""Each documented bad example of the service checkers shows its code.

The guide's appendix renders every code's bad and good example, so each
bad one must produce the code and the good one must not. Codes that
report what pcs or crm say are shown with the tool; the rest with
CONFCHECK_EXTERNAL=0.
"""

from __future__ import annotations

import pytest

import realtools
from confcheck import check_text
from confcheck.checks import crm, memcached, mysql, pcs, python
from confcheck.checks import rabbitmq, rabbitmq_env, xinetd, yaml_file

MODULES = (mysql, pcs, crm, rabbitmq, rabbitmq_env, memcached, xinetd,
           python, yaml_file)
# code -> (binary, Debian package)
FROM_TOOL = {
    "PCS001": ("pcs", "pcs"), "PCS002": ("pcs", "pcs"),
    "PCS003": ("pcs", "pcs"), "PCS004": ("pcs", "pcs"),
    "CRM001": ("crm", "crmsh"), "CRM002": ("crm", "crmsh"),
    "CRM003": ("crm", "crmsh"), "CRM004": ("crm", "crmsh"),
}
# The tool could not run, or crm's own verification speaks first: no file
# content shows these on their own.
ABOUT_THE_MACHINE = {"PCS007", "CRM007", "CRM002"}
CASES = [(m.KIND, c) for m in MODULES for c in m.CODES
         if c.code not in ABOUT_THE_MACHINE]


@pytest.mark.parametrize("kind,code", CASES,
                         ids=[c.code for _, c in CASES])
def test_bad_example_shows_code_and_good_does_not(monkeypatch, kind, code):
    tool = FROM_TOOL.get(code.code)
    if tool:
        monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
        realtools.require(*tool)
    else:
        monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")
    name = {"rabbitmq": "rabbitmq.conf", "rabbitmq-env":
            "rabbitmq-env.conf"}.get(kind, "example")
    bad = {f.code for f in check_text(code.bad, name, kind)}
    good = {f.code for f in check_text(code.good, name, kind)}
    assert code.code in bad, bad
    assert code.code not in good, good
