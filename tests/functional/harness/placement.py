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
"""placement from the OpenStack venv under uWSGI, with the tree's file.

placement.conf is read unchanged at /etc/placement/placement.conf in the
node's view (harness.openstack): its database through the VIP and its
[keystone_authtoken] (keystonemiddleware) against keystone on the VIP,
with the service user the guide creates.
"""

from __future__ import annotations

from harness import keystone, openstack, proc, tree

PLACEMENT_CONF = "controller/etc/placement/placement.conf"
PORT = 8778
SERVICE_USER = ("placement", "PLACEMENT_PASS")


def files(node: str) -> dict[str, str]:
    return {"placement/placement.conf":
            tree.node_file(PLACEMENT_CONF, node)}


def db_sync(node: openstack.Node) -> None:
    node.run([node.bin("placement-manage"), "db", "sync"],
             timeout=keystone.MANAGE_TIMEOUT, env=openstack.environ())


def start(node: openstack.Node, daemons: proc.Daemons,
          tls: tuple[str, str] | None = None) -> str:
    name = f"{node.name}-placement"
    node.start(daemons, name, keystone.uwsgi_argv(
        node, "placement.wsgi.api:application", PORT, tls),
        env=openstack.environ())
    return name
