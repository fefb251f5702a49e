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

Run as ``python greetclient.py ADDRESS PORT EVERY GRACE DIR`` inside the
namespace of the proxy. It opens a connection every EVERY seconds until
the file DIR/stop exists, then one more (the "after" connection). Each
waits for the first bytes: greeted, or closed (EOF or an error: the
client could retry at once). One still waiting GRACE seconds after the
stop is hanging. Then it writes DIR/outcomes.json, keeps the sockets
open (a hanging connection lasts as long as its client) until
DIR/release exists or 120 seconds pass, and exits.
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
    def __init__(self, address: tuple[str, int]):
        super().__init__(daemon=True)
        self.address = address
        self.outcome = "hanging"
        self.sock: socket.socket | None = None

    def run(self) -> None:
        try:
            self.sock = socket.create_connection(self.address, timeout=5)
            self.sock.settimeout(WAIT)
            self.outcome = "greeted" if self.sock.recv(64) else "closed"
        except TimeoutError:
            pass
        except OSError:
            self.outcome = "closed"


def _wait_for(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def main(address: str, port: str, every: str, grace: str,
         directory: str) -> int:
    where, folder = (address, int(port)), Path(directory)
    clients: list[Client] = []
    deadline = time.monotonic() + WAIT
    while not (folder / "stop").exists() and time.monotonic() < deadline:
        clients.append(Client(where))
        clients[-1].start()
        time.sleep(float(every))
    after = Client(where)
    after.start()
    ends = time.monotonic() + float(grace)
    for client in (*clients, after):
        client.join(max(0.0, ends - time.monotonic()))
    (folder / "outcomes.json").write_text(json.dumps({
        "during": [c.outcome for c in clients], "after": after.outcome}))
    _wait_for(folder / "release", WAIT)
    for client in (*clients, after):
        if client.sock is not None:
            client.sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
