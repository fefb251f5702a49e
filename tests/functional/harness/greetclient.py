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
"""Clients that wait for a server's greeting, as a database client does.

Run as ``python greetclient.py ADDRESS PORT EVERY BOUND DIR`` inside the
namespace of the proxy. It opens a connection every EVERY seconds until
the file DIR/stop exists, then one more (the "after" connection). Each
waits up to BOUND seconds for the first bytes: greeted, closed (EOF or
an error: the client could retry at once) or hanging. When all have
ended it writes DIR/outcomes.json, keeps the sockets open (a hanging
connection lasts as long as its client) until DIR/release exists or 120
seconds pass, then exits.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from pathlib import Path

WAIT = 120.0


class Client(threading.Thread):
    def __init__(self, address: tuple[str, int], bound: float):
        super().__init__(daemon=True)
        self.address = address
        self.bound = bound
        self.outcome = "pending"
        self.sock: socket.socket | None = None

    def run(self) -> None:
        try:
            self.sock = socket.create_connection(self.address, timeout=5)
            self.sock.settimeout(self.bound)
            self.outcome = "greeted" if self.sock.recv(64) else "closed"
        except TimeoutError:
            self.outcome = "hanging"
        except OSError:
            self.outcome = "closed"


def _wait_for(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def main(address: str, port: str, every: str, bound: str,
         directory: str) -> int:
    where, limit, folder = (address, int(port)), float(bound), Path(directory)
    clients: list[Client] = []
    deadline = time.monotonic() + WAIT
    while not (folder / "stop").exists() and time.monotonic() < deadline:
        clients.append(Client(where, limit))
        clients[-1].start()
        time.sleep(float(every))
    after = Client(where, limit)
    after.start()
    for client in (*clients, after):
        client.join(limit + 10)
    (folder / "outcomes.json").write_text(json.dumps({
        "during": [c.outcome for c in clients], "after": after.outcome}))
    _wait_for(folder / "release", WAIT)
    for client in (*clients, after):
        if client.sock is not None:
            client.sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
