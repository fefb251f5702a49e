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
"""AMQPS probe run in the lab's client namespace; prints JSON.

``python amqpsprobe.py ARGS_JSON`` with hosts, port, plain_port, user,
password, cafile and queue. For each broker: a connection that trusts
only cafile and checks the broker's address against its certificate
publishes one message with confirms to a quorum queue and reads it
back; a connection that trusts only the system's CAs must fail its
handshake; a clear-text connection to plain_port must be refused.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys

import pika
import pika.exceptions

TIMEOUT = 10


def _params(args: dict, host: str, context: ssl.SSLContext):
    return pika.ConnectionParameters(
        host=host, port=args["port"], connection_attempts=1,
        socket_timeout=TIMEOUT, blocked_connection_timeout=TIMEOUT,
        credentials=pika.PlainCredentials(args["user"], args["password"]),
        ssl_options=pika.SSLOptions(context, server_hostname=host))


def round_trip(args: dict, host: str) -> dict:
    """Publish one message over TLS and read it back."""
    context = ssl.create_default_context(cafile=args["cafile"])
    connection = pika.BlockingConnection(_params(args, host, context))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.queue_declare(args["queue"], durable=True,
                              arguments={"x-queue-type": "quorum"})
        body = f"over TLS to {host}".encode()
        channel.basic_publish("", args["queue"], body,
                              pika.BasicProperties(delivery_mode=2),
                              mandatory=True)
        _method, _props, read = channel.basic_get(args["queue"],
                                                  auto_ack=True)
        return {"read": (read or b"").decode()}
    finally:
        connection.close()


def stranger(args: dict, host: str) -> str:
    """How a client trusting only the system's CAs fares."""
    try:
        pika.BlockingConnection(
            _params(args, host, ssl.create_default_context())).close()
    except (pika.exceptions.AMQPConnectionError, ssl.SSLError) as exc:
        causes = [repr(exc)] + [repr(a) for a in exc.args]
        return "refused: " + " ".join(causes)
    return "connected"


def plain(args: dict, host: str) -> str:
    try:
        socket.create_connection((host, args["plain_port"]),
                                 timeout=TIMEOUT).close()
    except OSError as exc:
        return type(exc).__name__
    return "connected"


def main() -> None:
    args = json.loads(sys.argv[1])
    out = {host: {"tls": round_trip(args, host),
                  "without_ca": stranger(args, host),
                  "plain": plain(args, host)}
           for host in args["hosts"]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
