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
"""A stand-in for keystone and masakari-api: records notifications.

Run as python masakari_api.py ADDRESS RECORDS PORT.... It listens on
each PORT (keystone's 5000 and masakari-api's 15868), answers a token
request with a token, accepts POST /v1/notifications with 202 as
masakari-api does, and appends each notification to RECORDS as one JSON
line with its arrival time (wall clock), so the test can count them and
order them against the power-off. Once listening, it writes
RECORDS.ready. Nothing else is answered.
"""

from __future__ import annotations

import http.server
import json
import sys
import threading
import time
from pathlib import Path

REQUIRED = ("type", "hostname", "generated_time", "payload")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: dict,
                headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError:
            self._answer(400, {"error": "not JSON"})
            return
        if self.path == "/v3/auth/tokens":
            self._answer(201, {"token": {}}, {"X-Subject-Token": "TOKEN"})
            return
        note = body.get("notification") if isinstance(body, dict) else None
        if (self.path != "/v1/notifications" or not isinstance(note, dict)
                or any(k not in note for k in REQUIRED)
                or self.headers.get("X-Auth-Token") != "TOKEN"):
            self._answer(400, {"error": "not a notification"})
            return
        with self.server.lock:
            with open(self.server.records, "a", encoding="utf-8") as out:
                out.write(json.dumps({"at": arrived, **note}) + "\n")
        self._answer(202, {"notification": note})

    def log_message(self, *args) -> None:
        pass


def main(address: str, records: str, *ports: str) -> int:
    lock = threading.Lock()
    servers = []
    for port in ports:
        server = http.server.ThreadingHTTPServer((address, int(port)),
                                                 Handler)
        server.records, server.lock = records, lock
        servers.append(server)
    Path(f"{records}.ready").write_text("listening\n")
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
