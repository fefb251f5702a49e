# Dashboard (horizon) settings on controller1; identical on every
# controller. Apache serves horizon on this node's address and HAProxy
# publishes it on the VIP with "balance source".

import os

from django.utils.translation import gettext_lazy as _

from openstack_dashboard.settings import HORIZON_CONFIG

DEBUG = False

# Served at the root of the site; HAProxy checks /auth/login/.
WEBROOT = "/"

# The internal VIP: horizon talks to keystone through HAProxy.
OPENSTACK_HOST = "10.0.0.11"
OPENSTACK_KEYSTONE_URL = "http://%s:5000/v3" % OPENSTACK_HOST
OPENSTACK_KEYSTONE_MULTIDOMAIN_SUPPORT = True
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = "Default"
OPENSTACK_KEYSTONE_DEFAULT_ROLE = "member"
# Reach the other services through their internal endpoints on the VIP.
OPENSTACK_ENDPOINT_TYPE = "internalURL"
OPENSTACK_API_VERSIONS = {
    "identity": 3,
    "image": 2,
    "volume": 3,
}

ALLOWED_HOSTS = ["public.example.org", "203.0.113.11", "controller",
                 "10.0.0.11"]

# HAProxy terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Sessions live in memcached, not in a cookie or on one node's disk: any
# controller can serve any request of a logged-in user.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"

# Every memcached server, in the same order on every controller, so all
# of them hash a session key to the same server.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "LOCATION": [
            "10.0.0.12:11211",
            "10.0.0.13:11211",
            "10.0.0.14:11211",
        ],
        # A dead server reads as a cache miss instead of an error page; it
        # is left out of the hash ring until dead_timeout has passed.
        "OPTIONS": {
            "ignore_exc": True,
            "retry_attempts": 2,
            "retry_timeout": 1,
            "dead_timeout": 60,
        },
    },
}

# The same secret on every controller, or a session or CSRF token signed
# by one node is refused by the next.
SECRET_KEY = "HORIZON_SECRET_KEY"

TIME_ZONE = "UTC"

LOCAL_PATH = os.path.dirname(os.path.abspath(__file__))

HORIZON_CONFIG["password_autocomplete"] = "off"

OPENSTACK_NEUTRON_NETWORK = {
    "enable_router": True,
    "enable_quotas": True,
    "enable_ha_router": True,
    "enable_fip_topology_check": True,
}

LOGIN_REDIRECT_URL = WEBROOT
LOGOUT_URL = WEBROOT + "auth/logout/"

SITE_BRANDING = _("OpenStack Dashboard")
