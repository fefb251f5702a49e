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
"""Capture RabbitMQ's rabbitmq.conf keys and environment variable names.

Reads the cuttlefish schema files of the installed rabbitmq-server (the
broker and its plugins) and the environment variable names its start-up
code knows: the names in the literal table of rabbit_env.beam (which
reads rabbitmq-env.conf) and those the rabbitmq-env and rabbitmq-defaults
scripts use. Writes tools/confcheck/data/rabbitmq-schema.json, the
fallback of the rabbitmq and rabbitmq-env checkers, with the version.

Usage: ``python tools/capture_rabbitmq_schema.py``
"""

from __future__ import annotations

import glob
import re
import struct
import sys
import zlib

import capture_common as cc
from confcheck.checks import _cuttlefish

BIN = "/usr/lib/rabbitmq/bin"
SCRIPTS = (f"{BIN}/rabbitmq-env", f"{BIN}/rabbitmq-defaults")
BEAM_GLOB = ("/usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins/"
             "rabbit_common-*/ebin/rabbit_env.beam")
NAME = re.compile(rb"RABBITMQ_([A-Z0-9_]+)")
# Erlang runtime variables that rabbitmq-env exports when set.
ERL_NAME = re.compile(r"\$\{?(ERL_[A-Z0-9_]+)")


def beam_names(path: str) -> set[str]:
    """RABBITMQ_* names in a .beam file's atom, string and literal chunks.

    A .beam file is an IFF container: "FOR1", size, "BEAM", then chunks
    of (4-byte id, 4-byte size, data padded to 4); LitT is zlib data
    after a 4-byte uncompressed size.
    """
    with open(path, "rb") as fh:
        data = fh.read()
    names: set[str] = set()
    pos = 12
    while pos + 8 <= len(data):
        chunk = data[pos:pos + 4]
        size = struct.unpack(">I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if chunk == b"LitT":
            body = zlib.decompress(body[4:])
        if chunk in (b"LitT", b"AtU8", b"Atom", b"StrT"):
            names.update(n.decode() for n in NAME.findall(body))
        pos += 8 + ((size + 3) & ~3)
    return names


def script_names() -> tuple[set[str], set[str]]:
    """(RABBITMQ_ suffixes, ERL_ names) the start-up scripts use."""
    rabbit: set[str] = set()
    erl: set[str] = set()
    for path in SCRIPTS:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        rabbit.update(n.decode() for n in NAME.findall(text.encode()))
        erl.update(ERL_NAME.findall(text))
    return rabbit, erl


def main() -> None:
    found = _cuttlefish.installed()
    beams = glob.glob(BEAM_GLOB)
    if found is None or not beams:
        sys.exit("rabbitmq-server is not installed; install it (see "
                 "bindep.txt) and run this script again")
    version, paths = found
    rabbit, erl = script_names()
    rabbit |= beam_names(beams[0])
    data = {
        "source": "cuttlefish mappings of plugins/*/priv/schema/*.schema; "
                  "environment names from rabbit_env.beam, rabbitmq-env "
                  "and rabbitmq-defaults",
        "version": version,
        "package": f"rabbitmq-server {cc.package_version('rabbitmq-server')}",
        "mappings": _cuttlefish.read(paths),
        "env": sorted(rabbit),
        "erl_env": sorted(erl),
    }
    cc.write("rabbitmq-schema.json", data)


if __name__ == "__main__":
    main()
