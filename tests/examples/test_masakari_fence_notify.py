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
"""The tree's masakari alert agent: reports only successful fences."""

from __future__ import annotations

import http.server
import importlib.util
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AGENT = REPO / "doc/examples/controller/usr/local/bin/masakari-fence-notify.py"
CONFIG = REPO / "doc/examples/controller/etc/default/masakari-fence-notify"
HOST = socket.gethostname()
# What Pacemaker 3.0 passes for a completed fence that this node asked
# for (lib/fencing/st_client.c, stonith__event_description).
FENCED = {
    "CRM_alert_kind": "fencing",
    "CRM_alert_node": "compute1",
    "CRM_alert_rc": "0",
    "CRM_alert_task": "st_notify_fence",
    "CRM_alert_desc": ("Operation reboot of compute1 by controller2 for "
                       f"pacemaker-controld.4242@{HOST}: OK (ref=1-2-3)"),
}
# The agent's run, bounded: its own retries stay below this.
AGENT_TIMEOUT = 30


class StandIn(http.server.ThreadingHTTPServer):
    """Keystone and masakari-api on loopback, recording every request.

    answers: the status codes masakari-api gives, in order (the last
    one repeats).
    """

    def __init__(self, answers=(202,)):
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, dict, dict]] = []
        self.answers = list(answers)

    def status(self) -> int:
        return self.answers.pop(0) if len(self.answers) > 1 else \
            self.answers[0]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append((self.path, dict(self.headers), body))
        if self.path == "/v3/auth/tokens":
            self.send_response(201)
            self.send_header("X-Subject-Token", "TOKEN")
        else:
            self.send_response(self.server.status())
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def api():
    servers = []

    def start(answers=(202,)):
        server = StandIn(answers)
        threading.Thread(target=server.serve_forever, args=(0.05,),
                         daemon=True).start()
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def config(tmp_path: Path, port: int, **changes) -> Path:
    """The tree's settings file, pointed at the stand-in, retries short."""
    text = CONFIG.read_text(encoding="utf-8")
    text = text.replace("http://controller:5000", f"http://127.0.0.1:{port}")
    text = text.replace("http://controller:15868", f"http://127.0.0.1:{port}")
    changes = {"RETRY_FOR": "2", "RETRY_INTERVAL": "0.2", **changes}
    lines = [line for line in text.splitlines()
             if line.split("=", 1)[0] not in changes]
    lines += [f"{name}={value}" for name, value in changes.items()
              if value is not None]
    path = tmp_path / "masakari-fence-notify"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(conf: Path, **event) -> subprocess.CompletedProcess:
    env = {"MASAKARI_FENCE_NOTIFY_CONF": str(conf), "PATH": "/usr/bin:/bin",
           **FENCED, **event}
    return subprocess.run([sys.executable, str(AGENT)], env=env,
                          capture_output=True, text=True,
                          timeout=AGENT_TIMEOUT)


def notifications(server) -> list[dict]:
    return [body for path, _, body in server.requests
            if path == "/v1/notifications"]


def test_a_successful_fence_is_reported_once(api, tmp_path):
    server = api()
    done = run(config(tmp_path, server.server_port))
    assert done.returncode == 0, done.stderr
    [sent] = notifications(server)
    note = sent["notification"]
    assert note["type"] == "COMPUTE_HOST"
    assert note["hostname"] == "compute1"
    # NORMAL is the one host status masakari-engine acts on.
    assert note["payload"] == {"event": "STOPPED", "host_status": "NORMAL",
                               "cluster_status": "OFFLINE"}
    [headers] = [h for path, h, _ in server.requests
                 if path == "/v1/notifications"]
    assert headers["X-Auth-Token"] == "TOKEN"
    auth = server.requests[0][2]["auth"]
    assert auth["identity"]["password"]["user"]["name"] == "masakari"
    assert auth["scope"]["project"]["name"] == "service"


@pytest.mark.parametrize("event", [
    # The fence failed or timed out: the node may still run its guests.
    {"CRM_alert_rc": "1"},
    {"CRM_alert_rc": "124"},
    {"CRM_alert_rc": ""},
    # Not a fencing event at all.
    {"CRM_alert_kind": "node", "CRM_alert_desc": "lost"},
    {"CRM_alert_kind": "resource"},
    # Unfencing: the node is coming back, not going away.
    {"CRM_alert_desc": ("Operation on of compute1 by controller2 for "
                        f"pacemaker-controld.1@{HOST}: OK (ref=1)")},
    # The summary names another node than the event.
    {"CRM_alert_node": "compute2"},
    # A controller is not a compute node.
    {"CRM_alert_node": "controller2",
     "CRM_alert_desc": ("Operation reboot of controller2 by controller3 "
                        f"for pacemaker-controld.1@{HOST}: OK (ref=1)")},
    # Another node asked for the fence: that node reports it.
    {"CRM_alert_desc": ("Operation reboot of compute1 by controller2 for "
                        "pacemaker-controld.1@not-this-node: OK (ref=1)")},
    # A summary this agent cannot read: no report rather than a wrong one.
    {"CRM_alert_desc": "Operation reboot of compute1: OK"},
    {"CRM_alert_desc": "\x00\xff; rm -rf / $(reboot)"},
    {"CRM_alert_desc": ""},
], ids=["failed", "timed-out", "no-rc", "node-event", "resource-event",
        "unfencing", "other-node", "controller", "other-origin",
        "unreadable", "hostile", "empty"])
def test_nothing_but_a_successful_fence_is_reported(api, tmp_path, event):
    server = api()
    event = {k: v.replace("\x00", "") for k, v in event.items()}
    done = run(config(tmp_path, server.server_port), **event)
    assert done.returncode == 0, done.stderr
    assert server.requests == []


def test_a_duplicate_is_not_sent_again(api, tmp_path):
    """409: masakari already has it (a duplicate, or the host is on
    maintenance); asking again cannot change the answer."""
    server = api(answers=(409,))
    done = run(config(tmp_path, server.server_port))
    assert done.returncode == 0
    assert len(notifications(server)) == 1
    assert "409" in done.stderr


def test_an_api_error_is_retried_until_accepted(api, tmp_path):
    server = api(answers=(503, 503, 202))
    done = run(config(tmp_path, server.server_port, RETRY_FOR="5"))
    assert done.returncode == 0, done.stderr
    assert len(notifications(server)) == 3


def test_an_unreachable_api_fails_loudly_within_its_bound(tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    done = run(config(tmp_path, port, RETRY_FOR="1"))
    assert done.returncode == 1
    assert "by hand" in done.stderr


@pytest.mark.parametrize("changes", [
    {"PASSWORD": None},
    {"REPORT_NODES": "compute[0-9"},
    {"RETRY_FOR": "soon"},
], ids=["no-password", "bad-pattern", "bad-number"])
def test_bad_settings_fail_without_a_request(api, tmp_path, changes):
    server = api()
    done = run(config(tmp_path, server.server_port, **changes))
    assert done.returncode == 1
    assert "not told" in done.stderr
    assert "Traceback" not in done.stderr
    assert server.requests == []


def test_missing_settings_file_fails_without_a_traceback(tmp_path):
    done = run(tmp_path / "absent")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr


def test_the_tree_settings_parse_as_the_agent_reads_them(monkeypatch):
    # Imported without writing bytecode: a __pycache__ beside the agent
    # would become a file of the example tree (published, and checked
    # by test_tree.py on the next run).
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    spec = importlib.util.spec_from_file_location("fence_notify", AGENT)
    agent = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(agent)
    settings = agent.read_config(CONFIG)
    assert settings["REPORT_NODES"] == "compute[0-9]+"
    assert settings["MASAKARI_URL"] == "http://controller:15868/v1"
    # The agent's retries end before Pacemaker kills it (the alert's
    # timeout in masakari-alert.pcs and .crm).
    for name in ("pacemaker/masakari-alert.pcs",
                 "pacemaker/masakari-alert.crm"):
        text = (REPO / "doc/examples" / name).read_text(encoding="utf-8")
        assert "timeout=120s" in text
    assert float(settings["RETRY_FOR"]) + agent.REQUEST_TIMEOUT * 2 < 120


def test_the_alert_runs_the_agent_with_the_tree_settings():
    """The pcs and crm files name the agent where the tree puts it, and
    the agent reads the settings file where the tree puts it."""
    installed = "/" + str(AGENT.relative_to(REPO / "doc/examples/controller"))
    for name in ("pacemaker/masakari-alert.pcs",
                 "pacemaker/masakari-alert.crm"):
        text = (REPO / "doc/examples" / name).read_text(encoding="utf-8")
        assert installed in text, name
    settings = "/" + str(CONFIG.relative_to(REPO / "doc/examples/controller"))
    assert f'"{settings}"' in AGENT.read_text(encoding="utf-8")
