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
"""The Python checker: compile errors and horizon's HA settings."""

from __future__ import annotations

import pathlib

import pytest

from confcheck import check_text
from confcheck.checks import python

EXAMPLES = pathlib.Path(__file__).parents[2] / "doc" / "examples"
PYMEMCACHE = "django.core.cache.backends.memcached.PyMemcacheCache"


def found(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code)
            for f in check_text(text, "local_settings.py", "python")]


def caches(backend: str, location: str) -> str:
    return (f'CACHES = {{\n    "default": {{\n        "BACKEND": '
            f'"{backend}",\n        "LOCATION": {location},\n    }},\n}}\n')


CASES = [
    ("unquoted_host", "DEBUG = False\nOPENSTACK_HOST = 10.0.0.11\n",
     2, "PY001"),
    ("unclosed_bracket", "ALLOWED_HOSTS = [\n    'controller',\n",
     1, "PY001"),
    ("return_outside_function", "x = 1\nreturn x\n", 2, "PY001"),
    ("invalid_escape", 'import re\nPATTERN = re.compile("\\d+")\n',
     2, "PY002"),
    ("host_name_not_string", "OPENSTACK_HOST = controller\n", 1, "PY101"),
    ("locmem_cache", caches(
        "django.core.cache.backends.locmem.LocMemCache", "'x'"),
     3, "PY102"),
    ("vip_location", caches(PYMEMCACHE, '"10.0.0.11:11211"'), 4, "PY103"),
    ("one_item_list", caches(PYMEMCACHE, '["10.0.0.11:11211"]'),
     4, "PY103"),
    ("removed_backend", caches(
        "django.core.cache.backends.memcached.MemcachedCache",
        '["a:11211", "b:11211"]'), 3, "PY104"),
]


@pytest.mark.parametrize("text,line,code", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_finds(text, line, code):
    assert (line, code) in found(text)


def test_unquoted_host_message_says_quote_it():
    finding = check_text("OPENSTACK_HOST = 10.0.0.11\n", "l.py",
                         "python")[0]
    assert "quote the address" in finding.message


def test_all_servers_listed_is_clean():
    text = 'OPENSTACK_HOST = "10.0.0.11"\n' + caches(
        PYMEMCACHE, '["10.0.0.12:11211", "10.0.0.13:11211", '
        '"10.0.0.14:11211"]')
    assert found(text) == []


def test_guide_local_settings_is_clean():
    path = EXAMPLES / "controller/etc/openstack-dashboard/local_settings.py"
    assert found(path.read_text()) == []


def test_deep_nesting_is_a_finding_not_a_traceback():
    assert found("x = " + "(" * 5000 + ")" * 5000 + "\n")[0][1] == "PY001"


def test_codes_have_examples():
    for code in python.CODES:
        assert code.bad and code.good and code.code.startswith("PY")
