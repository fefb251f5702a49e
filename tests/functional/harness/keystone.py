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
"""keystone from the OpenStack venv under uWSGI, set up as identity.rst says.

keystone.conf is the tree's file at /etc/keystone/keystone.conf in the
node's view (harness.openstack), unchanged: its database URL goes through
the VIP, its [cache] names the three memcached servers and its key
repositories are the node's own directories. keystone-manage runs on
controller1 only; the fernet and credential keys are then copied to the
other controllers, as the guide distributes them.
"""

from __future__ import annotations

from harness import openstack, proc, tree

KEYSTONE_CONF = "controller/etc/keystone/keystone.conf"
# The repositories keystone writes; [fernet_receipts] defaults to the same
# directory as [fernet_tokens], so both stay inside the node's view.
KEY_DIRS = ("keystone/fernet-keys", "keystone/credential-keys")
PORT = 5000
ADMIN_PASSWORD = "ADMIN_PASS"
REGION = "RegionOne"
# keystone-manage spends most of its time importing; bootstrap hashes.
MANAGE_TIMEOUT = 180
START_TIMEOUT = 120
# uWSGI workers per node: each keystone worker takes about 150 MB.
PROCESSES = 1
THREADS = 4


def files(node: str) -> dict[str, str]:
    """The node's /etc files keystone reads."""
    return {"keystone/keystone.conf": tree.node_file(KEYSTONE_CONF, node)}


def manage(node: openstack.Node, *args: str) -> None:
    node.run([node.bin("keystone-manage"), *args], timeout=MANAGE_TIMEOUT,
             env=openstack.environ())


def bootstrap(node: openstack.Node, endpoint: str) -> None:
    """identity.rst's keystone-manage steps, on the first controller."""
    manage(node, "db_sync")
    for kind in ("fernet_setup", "credential_setup"):
        manage(node, kind, "--keystone-user", "root",
               "--keystone-group", "root")
    manage(node, "bootstrap", "--bootstrap-password", ADMIN_PASSWORD,
           "--bootstrap-admin-url", endpoint,
           "--bootstrap-internal-url", endpoint,
           "--bootstrap-public-url", endpoint,
           "--bootstrap-region-id", REGION)


def copy_keys(source: openstack.Node, target: openstack.Node) -> None:
    """identity.rst's copy of the key repositories to another controller.

    The same ``rsync -a --delete`` as the page, between the two nodes'
    /etc overlays on this host instead of over SSH.
    """
    for relpath in KEY_DIRS:
        destination = target.root / "rw" / relpath
        destination.parent.mkdir(parents=True, exist_ok=True)
        proc.run(["rsync", "-a", "--delete",
                  f"{source.root / 'rw' / relpath}/", f"{destination}/"])


def uwsgi_argv(node: openstack.Node, module: str, port: int,
               tls: tuple[str, str] | None = None) -> list[str]:
    """A WSGI server bound to the node's address, as the guide runs it.

    tls, the paths of a certificate and its key, serves HTTPS instead of
    HTTP: the ``https-socket`` line of the TLS chapter (tls.rst).
    """
    socket = ["--http-socket", f"{tree.address(node.name)}:{port}"]
    if tls:
        socket = ["--https-socket",
                  ",".join((f"{tree.address(node.name)}:{port}", *tls))]
    return [node.bin("uwsgi"), *socket,
            "--module", module, "--master",
            "--processes", str(PROCESSES), "--threads", str(THREADS),
            "--enable-threads", "--lazy-apps", "--need-app",
            "--die-on-term"]


def start(node: openstack.Node, daemons: proc.Daemons,
          tls: tuple[str, str] | None = None) -> str:
    name = f"{node.name}-keystone"
    node.start(daemons, name, uwsgi_argv(
        node, "keystone.wsgi.api:application", PORT, tls),
        env=openstack.environ())
    return name
