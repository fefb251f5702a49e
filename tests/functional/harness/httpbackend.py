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
"""A stand-in API server: answers every path with its own name.

Run as ``python httpbackend.py ADDRESS PORT NAME [CERT KEY]``; a separate
process so the test can SIGKILL it like a crashed API worker. With CERT
and KEY it serves HTTPS, as an API server behind a re-encrypting
HAProxy. GET, HEAD and OPTIONS are answered because ``option httpchk``
without a path sends OPTIONS.
"""

from __future__ import annotations

import http.server
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    """200 with the server's name for every path."""

    protocol_version = "HTTP/1.1"

    def _answer(self, body: bool) -> None:
        payload = f"{self.server.name}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self._answer(True)

    def do_OPTIONS(self):  # noqa: N802
        self._answer(True)

    def do_HEAD(self):  # noqa: N802
        self._answer(False)

    def log_message(self, format, *args):  # noqa: A002
        pass


def main() -> None:
    address, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    server = http.server.ThreadingHTTPServer((address, port), Handler)
    server.name = name
    if len(sys.argv) > 5:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[4], sys.argv[5])
        # The handshake runs in the request's thread, not in accept():
        # a peer that never completes it must not block the others.
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False)
    server.serve_forever()


if __name__ == "__main__":
    main()
