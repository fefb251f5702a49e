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
"""A stand-in database server: greets every connection first.

Run as ``python greeter.py ADDRESS PORT NAME``. Like MariaDB, it speaks
first: a client that connects waits for the greeting before it sends
anything, which is the moment a proxy can leave it hanging. Each
connection gets one line with the server's name and is then closed.
"""

from __future__ import annotations

import socket
import sys


def main(address: str, port: str, name: str) -> int:
    with socket.create_server((address, int(port)), backlog=128) as server:
        while True:
            conn, _ = server.accept()
            with conn:
                conn.sendall(f"{name}\n".encode())


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
