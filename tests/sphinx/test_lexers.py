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
"""The project's Pygments lexers: found by name, never an Error token.

An Error token makes Sphinx warn and drop the highlighting, which fails a
-W build, so every sample here must lex cleanly.
"""

import pytest
from pygments.lexers import get_lexer_by_name
from pygments.token import Error

SAMPLES = {
    "keepalived": """\
! comment
global_defs {
    router_id controller1
}
vrrp_script check { script "/etc/keepalived/check.sh" }
vrrp_instance VI_INTERNAL {
    priority 101
    unicast_peer {
        10.0.0.13
    }
    virtual_ipaddress {
        10.0.0.11/24 dev eth0 label eth0:vip
    }
    notify "/usr/local/bin/notify.sh" # a stray "quote
}
""",
    "corosync": """\
totem {
    version: 2
    cluster_name: openstack
    crypto_cipher: aes256
}
nodelist {
    node {
        ring0_addr: 10.0.0.12
        name: controller1
        nodeid: 1
    }
}
quorum { provider: corosync_votequorum }
logging { to_syslog: yes } # ! odd
""",
    "xinetd": """\
# Galera health check
service mysqlchk
{
    disable = no
    port = 9200
    only_from = 10.0.0.0/24 127.0.0.1
    log_on_failure += USERID
    server_args = /usr/local/bin/galera-healthcheck.sh
}
""",
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_no_error_tokens(name):
    """Found through the entry point (the project is pip-installed)."""
    lexer = get_lexer_by_name(name)
    assert [v for t, v in lexer.get_tokens(SAMPLES[name]) if t is Error] \
        == []
