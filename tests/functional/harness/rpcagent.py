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
"""oslo.messaging RPC server, call loop and WSGI caller, as nova runs them.

Run by the OpenStack venv's interpreter inside a node (harness.openstack):

  python rpcagent.py server PROJECT PROG TOPIC    # like a conductor
  python rpcagent.py calls PROJECT PROG TOPIC OUT SECONDS INTERVAL TIMEOUT
  python rpcagent.py calls PROJECT - TOPIC OUT SECONDS INTERVAL TIMEOUT CONF

and, under uWSGI, ``--module rpcagent:application`` with HAGUIDE_PROJECT,
HAGUIDE_PROG, HAGUIDE_TOPIC and HAGUIDE_TIMEOUT set: each GET makes one
RPC call and answers with its outcome and the reply queue as JSON.

Configuration is read the way the services read theirs: into the global
cfg.CONF (the only object oslo.messaging 18.3 registers its tracing
options on, so one process per configuration), with the command line
arguments (uWSGI's --pyargv), the project and the program name PROG,
which selects /etc/PROJECT/PROG.conf.d/. With a PROG, the default file is
/etc/PROJECT/PROJECT.conf, as nova and neutron pass it; with PROG "-" no
program is named and oslo.config looks the files up itself, as cinder
lets it.

calls writes one JSON line per call to OUT as it goes (start, end, ok,
the answering server or the error), so a killed loop still leaves them.
Given CONF, calls reads that file alone (a settings set under test) and
connects to the brokers of its transport_url in the order written, the
first one first: oslo.messaging shuffles them per connection, and a test
that silences one broker needs to know which one its clients are on.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import sys
import threading
import time

from oslo_config import cfg
import oslo_messaging
from oslo_messaging._drivers import impl_rabbit

NO_PROG = "-"
# A call still running this long after its timeout is recorded as hung
# (error HUNG) and ends the loop; closing the transport afterwards is
# given CLEANUP_WAIT seconds.
CALL_SLACK = 20.0
HUNG = "hung"
CLEANUP_WAIT = 10.0


def configure(project: str, prog: str, args: list[str] = ()) -> None:
    if prog == NO_PROG:
        cfg.CONF(list(args), project=project)
    else:
        cfg.CONF(list(args), project=project, prog=prog,
                 default_config_files=[f"/etc/{project}/{project}.conf"])


class Echo:
    """The server's one endpoint: answers with its name and the payload."""

    def __init__(self, name: str):
        self.name = name

    def echo(self, ctxt, number):
        return {"server": self.name, "number": number}


def server(project: str, prog: str, topic: str) -> int:
    configure(project, prog)
    # The driver registers its options when the transport is made.
    transport = oslo_messaging.get_rpc_transport(cfg.CONF)
    name = cfg.CONF.oslo_messaging_rabbit.hostname
    target = oslo_messaging.Target(topic=topic, server=name)
    rpc = oslo_messaging.get_rpc_server(transport, target, [Echo(name)],
                                        executor="threading")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    rpc.start()
    print("ready", flush=True)
    stop.wait()
    rpc.stop()
    rpc.wait()
    return 0


def _client(topic: str, timeout: float):
    transport = oslo_messaging.get_rpc_transport(cfg.CONF)
    target = oslo_messaging.Target(topic=topic)
    return transport, oslo_messaging.get_rpc_client(
        transport, target, timeout=timeout)


def reply_queue(transport) -> str | None:
    """The reply queue this process consumes from, once it exists."""
    # oslo.messaging has no public accessor; _reply_q is the name the
    # driver declared (through the queue manager when it is enabled).
    return getattr(transport._driver, "_reply_q", None)


def _call(client, number: int) -> dict:
    started = time.time()
    try:
        answer = client.call({}, "echo", number=number)
        outcome = {"ok": True, "server": answer["server"]}
    except oslo_messaging.MessagingException as exc:
        outcome = {"ok": False, "error": type(exc).__name__}
    outcome.update(number=number, start=round(started, 3),
                   end=round(time.time(), 3))
    return outcome


class _InOrder(random.Random):
    """A random source whose shuffle leaves the list as it is."""

    def shuffle(self, x) -> None:
        return None


def calls(project: str, prog: str, topic: str, out: str, seconds: float,
          interval: float, timeout: float, conf: str | None = None) -> int:
    if conf is None:
        configure(project, prog)
    else:
        configure(project, NO_PROG, ["--config-file", conf])
        # Only the hosts' shuffle changes (the reconnection splay is 0 by
        # default either way); the failover itself (round-robin) does not.
        impl_rabbit.random = _InOrder()
    # oslo.messaging's reconnections (INFO) in the loop's log, so a test
    # can tell a lost call from a client cut off from its broker.
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(created).3f %(name)s %(message)s")
    transport, client = _client(topic, timeout)
    print("heartbeat_timeout_threshold "
          f"{cfg.CONF.oslo_messaging_rabbit.heartbeat_timeout_threshold}",
          file=sys.stderr, flush=True)
    deadline = time.monotonic() + seconds
    number = 0
    with open(out, "a", encoding="utf-8") as log:
        while time.monotonic() < deadline:
            number += 1
            outcome = _bounded_call(client, number, timeout + CALL_SLACK)
            log.write(json.dumps(outcome) + "\n")
            log.flush()
            if outcome.get("error") == HUNG:
                break
            time.sleep(interval)
    # Closing connections to a broker that went silent can wait for an
    # answer that never comes; the outcomes are written, so the loop
    # leaves after a bounded wait whatever the driver does.
    closing = threading.Thread(target=transport.cleanup, daemon=True)
    closing.start()
    closing.join(CLEANUP_WAIT)
    logging.shutdown()
    os._exit(0)


def _bounded_call(client, number: int, limit: float) -> dict:
    """_call in a thread of its own, given up on after limit seconds.

    oslo.messaging bounds the wait for a reply by the call's timeout,
    not the time spent sending it; a call still running after that plus
    CALL_SLACK is recorded as hung, and the loop stops, as the client's
    state is then unknown.
    """
    started = time.time()
    result: dict = {}

    def run() -> None:
        # An error _call does not expect is handed to the loop's thread,
        # which raises it, as it did before calls ran in threads.
        try:
            result["outcome"] = _call(client, number)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            result["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(limit)
    if "error" in result:
        raise result["error"]
    if "outcome" in result:
        return result["outcome"]
    return {"ok": False, "error": HUNG, "number": number,
            "start": round(started, 3), "end": round(time.time(), 3)}


_STATE: dict = {}
_LOCK = threading.Lock()


def application(environ, start_response):
    """WSGI: one RPC call per request, answered as JSON.

    /ready answers at once without a call: the server is up.
    """
    if environ.get("PATH_INFO") == "/ready":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]
    with _LOCK:
        if "client" not in _STATE:
            configure(os.environ["HAGUIDE_PROJECT"],
                      os.environ["HAGUIDE_PROG"], sys.argv[1:])
            _STATE["transport"], _STATE["client"] = _client(
                os.environ["HAGUIDE_TOPIC"],
                float(os.environ["HAGUIDE_TIMEOUT"]))
        _STATE["number"] = _STATE.get("number", 0) + 1
        number = _STATE["number"]
    outcome = _call(_STATE["client"], number)
    outcome["reply_queue"] = reply_queue(_STATE["transport"])
    outcome["processname"] = cfg.CONF.oslo_messaging_rabbit.processname
    body = json.dumps(outcome).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


def main(argv: list[str]) -> int:
    if len(argv) == 5 and argv[1] == "server":
        return server(argv[2], argv[3], argv[4])
    if len(argv) in (9, 10) and argv[1] == "calls":
        return calls(argv[2], argv[3], argv[4], argv[5], float(argv[6]),
                     float(argv[7]), float(argv[8]), *argv[9:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
