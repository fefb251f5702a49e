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
"""haproxy.cfg: ``haproxy -c`` on a safe copy, a structural check, HA lints.

The structural check is a hand-written line parser because no Python
library validates haproxy.cfg (pyhaproxy accepts ``chek`` and invented
keywords). It always runs: its parse gives the lint rules and the lines
for haproxy's messages that carry only a proxy name. Its keyword findings
are reported only when ``haproxy -c`` cannot run, because then haproxy,
the source of truth for syntax, has not spoken. This module reads the
file (builtin(): pure, nothing of this machine); haproxy_tool runs the
tool on a safe copy.
"""

from __future__ import annotations

import dataclasses
import difflib
import re

from confcheck import net
from confcheck.checks import _merge
from confcheck.findings import Code, CodeBook, Finding

KIND = "haproxy"
DESCRIPTION = ("HAProxy configuration: haproxy -c, a structural check and "
               "HA lints (health checks, VIP binds, timeouts)")

SECTIONS = frozenset({
    "global", "defaults", "frontend", "backend", "listen", "peers",
    "resolvers", "userlist", "program", "mailers", "http-errors", "ring",
    "cache", "log-forward", "fcgi-app"})
PROXIES = {"defaults": "d", "frontend": "f", "listen": "l", "backend": "b"}
NAMED = frozenset(SECTIONS - {"global", "defaults"})

# Proxy keywords HA configurations use -> the proxy kinds that accept them
# (d defaults, f frontend, l listen, b backend), after the haproxy
# configuration manual's keyword matrix.
PROXY_KEYWORDS = {
    "acl": "flb", "backlog": "dfl", "balance": "dlb", "bind": "fl",
    "capture": "fl", "clitcpka-cnt": "dfl", "clitcpka-idle": "dfl",
    "clitcpka-intvl": "dfl", "compression": "dflb", "cookie": "dlb",
    "declare": "flb", "default-server": "dlb", "default_backend": "dfl",
    "description": "flb", "disabled": "dflb", "dispatch": "lb",
    "email-alert": "dflb", "enabled": "dflb", "errorfile": "dflb",
    "errorfiles": "dflb", "errorloc": "dflb", "errorloc302": "dflb",
    "errorloc303": "dflb", "external-check": "dlb", "filter": "flb",
    "force-persist": "flb", "fullconn": "dlb", "hash-balance-factor": "dlb",
    "hash-type": "dlb", "http-after-response": "dflb", "http-check": "dlb",
    "http-error": "dflb", "http-request": "dflb", "http-response": "dflb",
    "http-reuse": "dlb", "http-send-name-header": "lb", "id": "flb",
    "ignore-persist": "flb", "load-server-state-from-file": "dlb",
    "log": "dflb", "log-format": "dfl", "log-format-sd": "dfl",
    "log-tag": "dflb", "max-keep-alive-queue": "dlb", "maxconn": "dfl",
    "mode": "dflb", "monitor": "fl", "monitor-uri": "dfl", "no": "dflb",
    "option": "dflb", "persist": "dlb", "rate-limit": "dfl",
    "redirect": "flb", "retries": "dlb", "retry-on": "dlb", "server": "lb",
    "server-state-file-name": "dlb", "server-template": "lb",
    "source": "dlb", "srvtcpka-cnt": "dlb", "srvtcpka-idle": "dlb",
    "srvtcpka-intvl": "dlb", "stats": "dflb", "stick": "lb",
    "stick-table": "flb", "tcp-check": "dlb", "tcp-request": "dflb",
    "tcp-response": "dlb", "timeout": "dflb", "unique-id-format": "dfl",
    "unique-id-header": "dfl", "use-fcgi-app": "lb", "use-server": "lb",
    "use_backend": "fl",
}
GLOBAL_KEYWORDS = frozenset({
    "busy-polling", "ca-base", "chroot", "close-spread-time",
    "cluster-secret", "cpu-map", "crt-base", "daemon", "default-path",
    "description", "expose-experimental-directives", "external-check",
    "fd-hard-limit", "gid", "grace", "group", "h1-case-adjust",
    "h1-case-adjust-file", "h2-workaround-bogus-websocket-clients",
    "hard-stop-after", "insecure-fork-wanted", "insecure-setuid-wanted",
    "issuers-chain-path", "localpeer", "log", "log-send-hostname",
    "log-tag", "master-worker", "maxcompcpuusage", "maxcomprate", "maxconn",
    "maxconnrate", "maxpipes", "maxsessrate", "maxsslconn", "maxsslrate",
    "maxzlibmem", "mworker-max-reloads", "nbthread", "node", "noepoll",
    "noevports", "nogetaddrinfo", "nokqueue", "nopoll", "noreuseport",
    "nosplice", "numa-cpu-mapping", "pidfile", "pp2-never-send-local",
    "presetenv", "quiet", "resetenv", "server-state-base",
    "server-state-file", "set-dumpable", "setenv", "spread-checks", "stats",
    "strict-limits", "thread-group", "thread-groups", "uid", "ulimit-n",
    "unix-bind", "unsetenv", "user", "zero-warning",
})
# Families of global keywords accepted by prefix (tune.bufsize, ssl-...).
GLOBAL_PREFIXES = ("tune.", "ssl-", "httpclient.", "lua-", "profiling.",
                   "quic-", "51degrees-", "deviceatlas-", "wurfl-")
OPTIONS = frozenset({
    "abortonclose", "accept-invalid-http-request",
    "accept-invalid-http-response", "allbackups", "checkcache", "clitcpka",
    "contstats", "disable-h2-upgrade", "dontlog-normal", "dontlognull",
    "external-check", "forwardfor", "h1-case-adjust-bogus-client",
    "h1-case-adjust-bogus-server", "http-buffer-request",
    "http-ignore-probes", "http-keep-alive", "http-no-delay",
    "http-pretend-keepalive", "http-restrict-req-hdr-names",
    "http-server-close", "http-use-proxy-header", "httpchk",
    "httpclose", "httplog", "idle-close-on-response", "independent-streams",
    "ldap-check", "log-health-checks", "log-separate-errors", "logasap",
    "mysql-check", "nolinger", "originalto", "persist", "pgsql-check",
    "prefer-last-server", "redis-check", "redispatch", "smtpchk",
    "socket-stats", "splice-auto", "splice-request", "splice-response",
    "spop-check", "srvtcpka", "ssl-hello-chk", "tcp-check",
    "tcp-smart-accept", "tcp-smart-connect", "tcpka", "tcplog",
    "transparent",
})
TIMEOUTS = frozenset({
    "check", "client", "client-fin", "connect", "http-keep-alive",
    "http-request", "queue", "server", "server-fin", "tarpit", "tunnel"})
# Keywords removed from haproxy, with what replaces them.
REMOVED = {
    "clitimeout": "timeout client", "contimeout": "timeout connect",
    "srvtimeout": "timeout server", "redispatch": "option redispatch",
    "nbproc": "nbthread (threads are used automatically)",
    "reqadd": "http-request add-header",
    "reqrep": "http-request replace-header",
    "reqdel": "http-request del-header", "reqdeny": "http-request deny",
    "rspadd": "http-response add-header",
    "rspdel": "http-response del-header", "block": "http-request deny",
    "monitor-net": "monitor-uri or an acl with http-request return",
}
# Server and default-server options -> how many arguments follow them.
SERVER_OPTIONS = {
    "addr": 1, "agent-addr": 1, "agent-check": 0, "agent-inter": 1,
    "agent-port": 1, "agent-send": 1, "allow-0rtt": 0, "alpn": 1,
    "backup": 0, "ca-file": 1, "check": 0, "check-alpn": 1,
    "check-proto": 1, "check-send-proxy": 0, "check-sni": 1,
    "check-ssl": 0, "check-via-socks4": 0, "ciphers": 1, "ciphersuites": 1,
    "cookie": 1, "crl-file": 1, "crt": 1, "curves": 1, "disabled": 0,
    "downinter": 1, "enabled": 0, "error-limit": 1, "fall": 1,
    "fastinter": 1, "force-tlsv12": 0, "force-tlsv13": 0, "id": 1,
    "init-addr": 1, "inter": 1, "log-proto": 1, "max-reuse": 1,
    "maxconn": 1, "maxqueue": 1, "minconn": 1, "namespace": 1,
    "no-agent-check": 0, "no-backup": 0, "no-check": 0, "no-check-ssl": 0,
    "no-send-proxy": 0, "no-ssl": 0, "no-ssl-reuse": 0, "no-sslv3": 0,
    "no-tls-tickets": 0, "no-tlsv10": 0, "no-tlsv11": 0, "no-tlsv12": 0,
    "no-tlsv13": 0, "no-verifyhost": 0, "non-stick": 0, "npn": 1,
    "observe": 1, "on-error": 1, "on-marked-down": 1, "on-marked-up": 1,
    "pool-low-conn": 1, "pool-max-conn": 1, "pool-purge-delay": 1,
    "port": 1, "proto": 1, "proxy-v2-options": 1, "redir": 1,
    "resolve-net": 1, "resolve-opts": 1, "resolve-prefer": 1,
    "resolvers": 1, "rise": 1, "send-proxy": 0, "send-proxy-v2": 0,
    "send-proxy-v2-ssl": 0, "send-proxy-v2-ssl-cn": 0, "sigalgs": 1,
    "slowstart": 1, "sni": 1, "socks4": 1, "source": 1, "ssl": 0,
    "ssl-max-ver": 1, "ssl-min-ver": 1, "ssl-reuse": 0, "stick": 0,
    "tcp-ut": 1, "tfo": 0, "tls-tickets": 0, "track": 1, "usesrc": 1,
    "verify": 1, "verifyhost": 1, "weight": 1, "ws": 1,
}
# Server options whose value is one of a few words.
SERVER_CHOICES = {
    "verify": ("none", "required"),
    "on-marked-down": ("shutdown-sessions",),
    "on-marked-up": ("shutdown-backup-sessions",),
    "observe": ("layer4", "layer7"),
    "on-error": ("fastinter", "fail-check", "sudden-death", "mark-down"),
}
NUMBER = re.compile(r"\d+\Z")
DURATION = re.compile(r"\d+(us|ms|s|m|h|d)?\Z")
SERVER_VALUES = {"inter": DURATION, "fastinter": DURATION,
                 "downinter": DURATION, "slowstart": DURATION,
                 "rise": NUMBER, "fall": NUMBER, "weight": NUMBER,
                 "port": NUMBER, "maxconn": NUMBER, "maxqueue": NUMBER}
WILDCARDS = frozenset({"", "*", "0.0.0.0", "::", "[::]", "ipv4@",
                       "ipv6@", "ipv4@*", "ipv6@::"})
# Each proxy kind needs these timeouts (haproxy warns otherwise).
NEEDED_TIMEOUTS = {"frontend": ("client",),
                   "listen": ("connect", "client", "server"),
                   "backend": ("connect", "server")}
# haproxy's conditional blocks and messages (".if defined(X)" ...).
DIRECTIVES = frozenset({".if", ".elif", ".else", ".endif", ".notice",
                        ".warning", ".alert", ".diag"})
# Options haproxy no longer accepts, with its own reason.
REMOVED_OPTIONS = {
    "http_proxy": "it is not supported any more since HAProxy 2.5; use "
                  "'http-request set-dst' and 'http-request set-uri'",
}
# clustercheck (Galera) answers HTTP on this port.
CLUSTERCHECK_PORT = "9200"
# difflib is quadratic; no keyword is longer than this.
MAX_SUGGEST = 40

_EXAMPLE_HEAD = ("defaults\n  mode http\n  timeout connect 5s\n"
                 "  timeout client 1m\n  timeout server 1m\n")

CODES = CodeBook(
    Code("HAP001", "error", "haproxy -c rejects the configuration",
         bad="listen api\n  bind 10.0.0.11:9292\n  default_backend nope\n",
         good="listen api\n  bind 10.0.0.11:9292\n  server controller1 "
              "10.0.0.12:9292 check\n", lexer="haproxy",
         why="haproxy does not start or reload with a file haproxy -c "
             "rejects: a reload keeps the old configuration, a restart leaves "
             "every API behind it down."),
    Code("HAP002", "warning", "haproxy -c warns about the configuration",
         bad="backend b\n  bind 10.0.0.11:80\n",
         good="frontend f\n  bind 10.0.0.11:80\n", lexer="haproxy",
         why="haproxy runs, but ignores or changes what the warned line asks "
             "for."),
    Code("HAP003", "warning",
         "haproxy -c could not check part of the file on this machine",
         bad="frontend f\n  bind 10.0.0.11:443 ssl crt /etc/haproxy/site.pem "
             "crl-file /etc/haproxy/crl.pem\n",
         good="frontend f\n  bind 10.0.0.11:443 ssl crt "
              "/etc/haproxy/site.pem\n", lexer="haproxy",
         why="Part of the file refers to what only the node has (a "
             "certificate, a user, a host name), so that part is checked only "
             "when the node loads it."),
    Code("HAP010", "error", "Unknown keyword",
         bad="listen api\n  balanse roundrobin\n",
         good="listen api\n  balance roundrobin\n", lexer="haproxy",
         why="haproxy refuses a configuration with an unknown keyword and "
             "does not start."),
    Code("HAP011", "error", "Keyword not allowed in this kind of section",
         bad="frontend api\n  server controller1 10.0.0.12:9292\n",
         good="backend api\n  server controller1 10.0.0.12:9292\n",
         lexer="haproxy",
         why="haproxy refuses a keyword in a kind of section that does not "
             "take it and does not start."),
    Code("HAP012", "error", "Line outside any section",
         bad="maxconn 4000\nglobal\n  daemon\n",
         good="global\n  maxconn 4000\n  daemon\n", lexer="haproxy",
         why="haproxy refuses a setting outside any section and does not "
             "start."),
    Code("HAP013", "error", "Unknown option or timeout name",
         bad="defaults\n  option redispach\n",
         good="defaults\n  option redispatch\n", lexer="haproxy",
         why="haproxy refuses an unknown option or timeout name and does not "
             "start."),
    Code("HAP014", "error", "Bad server line: unknown option or value",
         bad="backend api\n  server c1 10.0.0.12:9292 chek\n",
         good="backend api\n  server c1 10.0.0.12:9292 check\n",
         lexer="haproxy",
         why="haproxy refuses a server line it cannot read and does not "
             "start."),
    Code("HAP015", "error", "Section or server without its name or address",
         bad="frontend\n  bind 10.0.0.11:80\n",
         good="frontend api\n  bind 10.0.0.11:80\n", lexer="haproxy",
         why="haproxy refuses a proxy without a name or a server without an "
             "address and does not start."),
    Code("HAP016", "error", "Keyword removed from HAProxy",
         bad="defaults\n  clitimeout 1m\n",
         good="defaults\n  timeout client 1m\n", lexer="haproxy",
         why="Current haproxy refuses keywords earlier versions removed and "
             "does not start; the message names the replacement."),
    Code("HAP017", "error", "Duplicate proxy name",
         bad="backend api\n  balance roundrobin\nbackend api\n",
         good="backend api\n  balance roundrobin\nbackend api2\n",
         lexer="haproxy",
         why="haproxy refuses two proxies of the same kind with one name and "
             "does not start."),
    Code("HAP020", "error",
         "option mysql-check aimed at clustercheck's HTTP port",
         bad="listen galera\n  option mysql-check\n  server c1 "
             "10.0.0.12:3306 check port 9200\n",
         good="listen galera\n  option httpchk\n  http-check expect "
              "status 200\n  server c1 10.0.0.12:3306 check port 9200\n",
         lexer="haproxy",
         why="option mysql-check speaks the MySQL protocol, but clustercheck "
             "answers HTTP on that port, so the check fails on every server "
             "and the database backend goes down."),
    Code("HAP021", "warning",
         "HTTP checks sent in clear text to a TLS server",
         bad="backend api\n  option httpchk GET /healthcheck\n  server c1 "
             "10.0.0.12:8443 ssl verify none check port 8443\n",
         good="backend api\n  option httpchk GET /healthcheck\n  server c1 "
              "10.0.0.12:8443 ssl verify none check check-ssl port 8443\n",
         lexer="haproxy",
         why="With a check port, haproxy sends its checks in clear text even "
             "to a server marked ssl (ssl covers checks only without port or "
             "addr), so every check fails; check-ssl fixes it."),
    Code("HAP022", "warning",
         "Server without health check in a multi-server backend",
         bad="backend api\n  server c1 10.0.0.12:9292 check\n"
             "  server c2 10.0.0.13:9292\n",
         good="backend api\n  server c1 10.0.0.12:9292 check\n"
              "  server c2 10.0.0.13:9292 check\n", lexer="haproxy",
         why="haproxy keeps sending requests to a server without a check "
             "after it fails, so a share of the API calls fail until someone "
             "notices."),
    Code("HAP023", "warning", "bind on a wildcard address instead of the VIP",
         bad="listen api\n  bind *:9292\n",
         good="listen api\n  bind 10.0.0.11:9292\n", lexer="haproxy",
         why="A wildcard bind also answers on the node's own addresses, where "
             "the services themselves listen on the same port, and on "
             "networks that should not reach the APIs."),
    Code("HAP024", "warning", "Proxy without connect/client/server timeouts",
         bad="defaults\n  mode http\nlisten api\n  bind 10.0.0.11:9292\n",
         good=_EXAMPLE_HEAD + "listen api\n  bind 10.0.0.11:9292\n",
         lexer="haproxy",
         why="Without timeouts haproxy keeps idle and half-open connections "
             "for ever (it warns at start), until they fill maxconn."),
    Code("HAP025", "warning",
         "option httpchk without a request sends OPTIONS /",
         bad="listen api\n  option httpchk\n",
         good="listen api\n  option httpchk GET /healthcheck\n"
              "  http-check expect status 200\n", lexer="haproxy",
         why="A bare httpchk sends OPTIONS /, which many APIs answer with an "
             "error status and which at best shows that a web server answers, "
             "not that the service works."),
    Code("HAP090", "warning",
         "Directive that runs code or reads a node's file: not checked",
         bad="global\n  lua-load /etc/haproxy/cors.lua\n",
         good="global\n  log /dev/log local0\n", lexer="haproxy",
         why="haproxy -c would run the script (as whoever runs confcheck) "
             "or read the node's file; the directive and what uses it stay "
             "unchecked, so check the script on its own."),
)
# Codes that stand in for haproxy -c when it cannot run.
STRUCTURAL = frozenset({"HAP010", "HAP011", "HAP012", "HAP013", "HAP014",
                        "HAP015", "HAP016", "HAP017"})
# haproxy -c judges what STRUCTURAL stands in for; HAP003 at line 0 means
# it did not run (at a line: a part only the node can check).
MERGE = _merge.Policy(STRUCTURAL, unavailable="HAP003", whole_file=True)


@dataclasses.dataclass
class Stmt:
    line: int
    words: list[str]


@dataclasses.dataclass
class Section:
    kind: str
    name: str
    line: int
    stmts: list[Stmt] = dataclasses.field(default_factory=list)
    # The old "listen NAME ADDR:PORT" form's address ("" when absent).
    address: str = ""

    def find(self, *words: str) -> list[Stmt]:
        n = len(words)
        return [s for s in self.stmts if s.words[:n] == list(words)]


def tokens(line: str) -> list[str]:
    """Split one line the way haproxy does: quotes, backslashes, '#'."""
    words: list[str] = []
    word: list[str] | None = None
    quote = ""
    chars = iter(line)
    for ch in chars:
        if ch == "\\" and quote != "'":
            escaped = next(chars, "")
            word = word if word is not None else []
            word.append(escaped)
        elif quote:
            if ch == quote:
                quote = ""
            else:
                word.append(ch)
        elif ch in "\"'":
            quote = ch
            word = word if word is not None else []
        elif ch == "#":
            break
        elif ch.isspace():
            if word is not None:
                words.append("".join(word))
                word = None
        else:
            word = word if word is not None else []
            word.append(ch)
    if word is not None:
        words.append("".join(word))
    return words


def parse(text: str) -> tuple[list[Section], list[Stmt]]:
    """Sections in file order and the statements found before any.

    The lines of every branch of a .if block are kept (each branch must
    be valid on some node); the directives themselves are not statements.
    """
    sections: list[Section] = []
    orphans: list[Stmt] = []
    for number, raw in enumerate(text.splitlines(), 1):
        words = tokens(raw)
        if not words or words[0] in DIRECTIVES:
            continue
        if words[0] in SECTIONS:
            sections.append(Section(words[0], " ".join(words[1:2]), number,
                                    address=" ".join(words[2:3])))
        elif sections:
            sections[-1].stmts.append(Stmt(number, words))
        else:
            orphans.append(Stmt(number, words))
    return sections, orphans


def _suggest(word: str, choices) -> str:
    if len(word) > MAX_SUGGEST:
        return ""
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _structure(sections, orphans, path) -> list[Finding]:
    out = [CODES.finding(path, s.line, "HAP012",
                         f"'{s.words[0]}' appears before any section "
                         f"(global, defaults, frontend, ...)")
           for s in orphans]
    seen: dict[tuple[str, str], int] = {}
    for sec in sections:
        if sec.kind in NAMED and not sec.name:
            out.append(CODES.finding(path, sec.line, "HAP015",
                                     f"'{sec.kind}' needs a name"))
        if sec.kind in ("frontend", "listen") and sec.address:
            out.append(CODES.finding(
                path, sec.line, "HAP016",
                f"'{sec.kind} {sec.name} {sec.address}': HAProxy no longer "
                f"takes the listening address on the section line; write "
                f"'bind {sec.address}' inside the section"))
        if sec.kind in ("frontend", "backend", "listen") and sec.name:
            side = "b" if sec.kind == "backend" else "f"
            for key in {(side, sec.name),
                        *(("b", sec.name),) * (sec.kind == "listen")}:
                if key in seen:
                    out.append(CODES.finding(
                        path, sec.line, "HAP017",
                        f"{sec.kind} '{sec.name}' has the same name as the "
                        f"proxy at line {seen[key]}"))
                    break
            for key in {(side, sec.name), ("b", sec.name)} if (
                    sec.kind == "listen") else {(side, sec.name)}:
                seen.setdefault(key, sec.line)
        for stmt in sec.stmts:
            out.extend(_keyword(sec, stmt, path))
    return out


def _keyword(sec: Section, stmt: Stmt, path: str) -> list[Finding]:
    word = stmt.words[0]
    if word in REMOVED:
        return [CODES.finding(path, stmt.line, "HAP016",
                              f"'{word}' was removed from HAProxy; use "
                              f"{REMOVED[word]}")]
    if sec.kind == "global":
        if word in GLOBAL_KEYWORDS or word.startswith(GLOBAL_PREFIXES):
            return []
        return [CODES.finding(
            path, stmt.line, "HAP010",
            f"unknown keyword '{word}' in the global section"
            + _suggest(word, GLOBAL_KEYWORDS | SECTIONS))]
    if sec.kind not in PROXIES:
        return []  # other sections are left to haproxy -c
    if word not in PROXY_KEYWORDS:
        return [CODES.finding(
            path, stmt.line, "HAP010",
            f"unknown keyword '{word}' in a {sec.kind} section"
            + _suggest(word, set(PROXY_KEYWORDS) | SECTIONS))]
    if PROXIES[sec.kind] not in PROXY_KEYWORDS[word]:
        return [CODES.finding(
            path, stmt.line, "HAP011",
            f"'{word}' is not allowed in a {sec.kind} section")]
    words = stmt.words[1:] if word != "no" else stmt.words[2:]
    if word in ("option", "no") and words:
        if words[0] in REMOVED_OPTIONS:
            return [CODES.finding(path, stmt.line, "HAP016",
                                  f"'option {words[0]}' was removed from "
                                  f"HAProxy: "
                                  f"{REMOVED_OPTIONS[words[0]]}")]
        if words[0] not in OPTIONS:
            return [CODES.finding(path, stmt.line, "HAP013",
                                  f"unknown option '{words[0]}'"
                                  + _suggest(words[0], OPTIONS))]
    if word == "timeout" and (not words or words[0] not in TIMEOUTS):
        got = words[0] if words else ""
        return [CODES.finding(path, stmt.line, "HAP013",
                              f"unknown timeout '{got}'"
                              + _suggest(got, TIMEOUTS))]
    if word == "server":
        if len(words) < 2:
            return [CODES.finding(path, stmt.line, "HAP015",
                                  "'server' needs a name and an address")]
        return _server_options(stmt.line, words[2:], path)
    if word == "default-server":
        return _server_options(stmt.line, words, path)
    return []


def _server_options(line: int, words: list[str], path: str) -> list[Finding]:
    out = []
    i = 0
    while i < len(words):
        opt = words[i]
        if opt not in SERVER_OPTIONS:
            out.append(CODES.finding(path, line, "HAP014",
                                     f"unknown server option '{opt}'"
                                     + _suggest(opt, SERVER_OPTIONS)))
            i += 1
            continue
        value = words[i + 1] if i + 1 < len(words) else None
        if SERVER_OPTIONS[opt] and value is None:
            out.append(CODES.finding(path, line, "HAP014",
                                     f"server option '{opt}' needs a value"))
        elif opt in SERVER_CHOICES and value not in SERVER_CHOICES[opt]:
            out.append(CODES.finding(
                path, line, "HAP014",
                f"'{opt} {value}': expected one of "
                f"{', '.join(SERVER_CHOICES[opt])}"))
        elif opt in SERVER_VALUES and not SERVER_VALUES[opt].match(value):
            out.append(CODES.finding(
                path, line, "HAP014",
                f"'{opt} {value}': not a valid "
                f"{'duration' if SERVER_VALUES[opt] is DURATION else 'number'}"
            ))
        i += 1 + SERVER_OPTIONS[opt]
    return out


def _server_opts(stmt: Stmt) -> dict[str, str]:
    """Options of a server line (name -> value, '' for flags)."""
    words = stmt.words[3:] if stmt.words[0] == "server" else stmt.words[1:]
    opts = {}
    i = 0
    while i < len(words):
        n = SERVER_OPTIONS.get(words[i], 0)
        opts[words[i]] = words[i + 1] if n and i + 1 < len(words) else ""
        i += 1 + n
    return opts


# Global directives that make haproxy -c run code (Lua, OpenSSL engines
# and providers) or read data files of the node. They never reach the
# tool: checking a file must not execute it.
NODE_LOCAL = frozenset({
    "lua-load", "lua-load-per-thread", "lua-prepend-path",
    "ssl-engine", "ssl-provider", "ssl-provider-path",
    "ssl-dh-param-file", "server-state-file", "server-state-base",
    "h1-case-adjust-file", "51degrees-data-file", "wurfl-data-file",
    "deviceatlas-json-file", "ssl-load-extra-files"})
# Words that use what a Lua script registers (actions, services, fetches).
LUA_USE = re.compile(r"\blua\.")


def _node_local(sections: list[Section], path: str) -> list[Finding]:
    out = []
    for sec in sections:
        for stmt in sec.stmts:
            if sec.kind == "global" and stmt.words[0] in NODE_LOCAL:
                out.append(CODES.finding(
                    path, stmt.line, "HAP090",
                    f"'{stmt.words[0]}' is not given to haproxy -c: it "
                    f"would run code or read a file of this machine; what "
                    f"it names (and the lines using it) is not checked"))
    return out


def _lints(sections: list[Section], path: str) -> list[Finding]:
    out: list[Finding] = _node_local(sections, path)
    defaults: Section | None = None
    reported: set[tuple[int, str]] = set()
    for sec in sections:
        if sec.kind == "defaults":
            defaults = sec
            continue
        if sec.kind not in NEEDED_TIMEOUTS:
            continue
        inherited = [defaults] if defaults else []
        scope = inherited + [sec]
        out.extend(_timeouts(sec, defaults, path, reported))
        out.extend(_health(sec, scope, path))
        for stmt in sec.find("bind"):
            if len(stmt.words) > 1 and _host(stmt.words[1]) in WILDCARDS:
                out.append(CODES.finding(
                    path, stmt.line, "HAP023",
                    f"'bind {stmt.words[1]}' listens on every address; "
                    f"bind the virtual IP so the proxy answers only there"))
    return out


def _host(address: str) -> str:
    """The host part of a bind address such as 10.0.0.11:80 or :::80."""
    return net.split_host_port(address.split(",")[0])[0]


def _timeouts(sec, defaults, path, reported) -> list[Finding]:
    have = {s.words[1] for scope in (defaults, sec) if scope
            for s in scope.find("timeout") if len(s.words) > 1}
    where = defaults.line if defaults else sec.line
    missing = [t for t in NEEDED_TIMEOUTS[sec.kind]
               if t not in have and (where, t) not in reported]
    if not missing:
        return []
    reported.update((where, t) for t in missing)
    names = ", ".join(f"'timeout {t}'" for t in missing)
    if defaults:
        msg = (f"defaults sets no {names} (needed by {sec.kind} "
               f"'{sec.name}' at line {sec.line}); without it HAProxy "
               f"waits forever on a stuck peer")
    else:
        msg = (f"{sec.kind} '{sec.name}' has no {names} and there is no "
               f"defaults section to inherit it from")
    return [CODES.finding(path, where, "HAP024", msg)]


def _health(sec: Section, scope: list[Section], path: str) -> list[Finding]:
    out: list[Finding] = []
    httpchk = [s for p in scope for s in p.find("option", "httpchk")]
    mysql = [s for p in scope for s in p.find("option", "mysql-check")]
    servers = sec.find("server")
    defaults_opts = {}
    for p in scope:
        for stmt in p.find("default-server"):
            defaults_opts.update(_server_opts(stmt))
    for stmt in servers:
        opts = {**defaults_opts, **_server_opts(stmt)}
        if mysql and opts.get("port") == CLUSTERCHECK_PORT:
            out.append(CODES.finding(
                path, stmt.line, "HAP020",
                f"'option mysql-check' (line {mysql[-1].line}) talks the "
                f"MySQL protocol to port {CLUSTERCHECK_PORT}, where "
                f"clustercheck answers HTTP; use 'option httpchk' and "
                f"'http-check expect status 200'"))
        if (httpchk and "ssl" in opts and "check-ssl" not in opts
                and ("port" in opts or "addr" in opts)):
            out.append(CODES.finding(
                path, stmt.line, "HAP021",
                "server uses 'ssl' but its checks go to a separate "
                "port/addr without 'check-ssl', so the HTTP check is sent "
                "in clear text to a TLS port"))
        if (len(servers) > 1 and "check" not in opts
                and "no-check" not in opts):
            out.append(CODES.finding(
                path, stmt.line, "HAP022",
                f"server '{stmt.words[1] if len(stmt.words) > 1 else ''}' "
                f"has no 'check': HAProxy keeps sending requests to it "
                f"when it is down"))
    sends = [s for p in scope for s in p.find("http-check", "send")]
    # clustercheck answers any request, OPTIONS / included.
    clustercheck = bool(servers) and all(
        {**defaults_opts, **_server_opts(stmt)}.get("port")
        == CLUSTERCHECK_PORT for stmt in servers)
    for stmt in httpchk:
        if len(stmt.words) == 2 and not sends and stmt in sec.stmts \
                and not clustercheck:
            out.append(CODES.finding(
                path, stmt.line, "HAP025",
                "'option httpchk' without a request sends 'OPTIONS /', "
                "which many APIs answer with an error; give the method and "
                "URI (e.g. 'option httpchk GET /healthcheck') or use "
                "'http-check send'"))
    return out


def builtin(text: str, path: str) -> tuple[list[Section], list[Finding]]:
    """The file's sections and what the built-in rules find in them: no
    tool runs and nothing of this machine is read."""
    sections, orphans = parse(text)
    return sections, (_lints(sections, path)
                      + _structure(sections, orphans, path))


def check(text: str, path: str) -> list[Finding]:
    # Imported here: the tool half uses this module's data and parser.
    from confcheck.checks import haproxy_tool

    sections, findings = builtin(text, path)
    real = haproxy_tool.run_haproxy(text, path, sections)
    if real is not None:
        real = real + haproxy_tool.machine_notes(sections, path)
    return _merge.merge(findings, real, MERGE)
