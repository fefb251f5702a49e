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
"""Capture memcached's options for confcheck's memcached.conf checker.

Runs the installed ``memcached --help`` and writes its short and long
options, which of them take a value and the extended (-o) option names,
with the version, to tools/confcheck/data/memcached-options.json.

Usage: ``python tools/capture_memcached_options.py``
"""

from __future__ import annotations

import capture_common as cc
from confcheck.checks import memcached


def main() -> None:
    binary = cc.find("memcached")
    data = memcached.parse_help(cc.output([binary, "--help"]))
    data["version"] = cc.output([binary, "--version"]).strip()
    data["package"] = f"memcached {cc.package_version('memcached')}"
    data["source"] = "memcached --help"
    cc.write("memcached-options.json", data)


if __name__ == "__main__":
    main()
