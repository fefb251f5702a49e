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
"""The one reader of host:port addresses, shared by every checker."""

from __future__ import annotations

import ipaddress


def split_host_port(spec: str, *, bare_ipv6: bool = False
                    ) -> tuple[str, str]:
    """(host, port) of "host:port", "[v6]:port", "host" or "[v6]".

    The host loses its brackets; the port is "" when there is none.
    Formats disagree on an unbracketed address with several colons:
    haproxy and RabbitMQ read the last colon as the port (":::80" is
    port 80 on "::"), memcached and oslo host lists read it as an IPv6
    address without a port (bare_ipv6). Hand-written because
    urllib.parse.urlsplit needs a scheme and rejects a bare IPv6 address.
    """
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        return host, rest.removeprefix(":")
    if bare_ipv6 and spec.count(":") > 1:
        return spec, ""
    host, sep, port = spec.rpartition(":")
    return (host, port) if sep else (spec, "")


def is_ip(host: str) -> bool:
    """True for an IPv4 or IPv6 address (brackets are the caller's to
    remove: split_host_port does)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
