"""relaytime - what real relays do (issue 30, points 1 to 3), against the
scripted relay: each timeout bounds what its name says (connect_timeout
the connection and each TLS handshake, command_timeout each reply: the
greeting, EHLO, STARTTLS and AUTH too), and a timeout names the command
whose reply it waited for, never an earlier reply; the log line's tls=
names the TLS version whenever TLS was up, failures included; an OAuth2
error challenge (334 with base64 JSON) gets the empty response (XOAUTH2)
or \\x01 (OAUTHBEARER), and the relay's final 535 is what is reported."""
# debian: python3-aiosmtpd openssl
import base64
import os
import re
import socket
import tempfile
import time

import smtest
import smtprelay
import tokenserver

t = smtest.Tap()
ca = smtprelay.TestCA()
MSG = b"To: a@example.org\nSubject: relaytime\n\nbody\n"
TLS = "ssl = tls\ntls_ca_file = %s\nlinger = 0\n" % ca.ca
PLAIN = TLS + "auth = plain\nusername = u\npassword = pw-123\n"


def config(port, connect, command=None, smtp=""):
    """The test relay's configuration with these timeouts (command None:
    the default command_timeout)."""
    text = smtest.relay_config(port, smtp=smtp)
    timeouts = "connect_timeout = %d\n" % connect
    if command is not None:
        timeouts += "command_timeout = %d\n" % command
    return text.replace("connect_timeout = 5\ncommand_timeout = 3\n",
                        timeouts)


def spooled():
    spool = tempfile.mkdtemp(prefix="safemail-relaytime-")
    os.chmod(spool, 0o750)
    return spool, {"SAFEMAIL_SPOOL": spool}


def queued(spool):
    q = os.path.join(spool, "q")
    return sorted(n for n in os.listdir(q) if n.endswith(".env")) \
        if os.path.isdir(q) else []


def timed(sm, args, **kw):
    start = time.monotonic()
    r = sm.run(args, stdin=MSG, **kw)
    return r, time.monotonic() - start


def logged(r, *words):
    return any(all(w in l for w in words) for l in r.logs)


# ---- 1. Each timeout bounds what its name says ----

# Dovecot delays its AUTH replies after failed logins (2, 4, 8, 15 s):
# connect_timeout = 5 does not bound AUTH, the default command_timeout
# (60 s) does
relay = smtprelay.Relay(tls="starttls", cert=ca.good, auth=("u", "pw-123"),
                        script={"AUTH": "delay:8"})
env = smtest.Env(config(relay.port, 5, smtp=PLAIN))
r, took = timed(env, ["-t", "-i"])
t.ok(r.rc == 0 and r.err == "" and len(relay.transactions) == 1 and
     took >= 8 and logged(r, "status=sent", "tls=TLSv1.3"),
     "AUTH answered after 8 s, connect_timeout = 5, the default "
     "command_timeout: delivered (%.1f s)" % took, r)
relay.stop()

# the greeting is a reply too: bounded by command_timeout, not
# connect_timeout
relay = smtprelay.Relay(script={"greeting": "delay:4"})
env = smtest.Env(config(relay.port, 2, 10, smtp="linger = 0\n"))
r, took = timed(env, ["-t", "-i"])
t.ok(r.rc == 0 and r.err == "" and len(relay.transactions) == 1,
     "a greeting 4 s late with connect_timeout = 2, command_timeout = 10: "
     "delivered (%.1f s)" % took, r)
relay.stop()

# AUTH not answered within command_timeout: 75, the error names AUTH and
# quotes no earlier reply (it quoted EHLO's "250 PIPELINING")
relay = smtprelay.Relay(tls="starttls", cert=ca.good, auth=("u", "pw-123"),
                        script={"AUTH": "delay:8"})
env = smtest.Env(config(relay.port, 30, 2, smtp=PLAIN))
r, took = timed(env, ["-t", "-i"])
t.ok(r.rc == 75 and len(r.err.splitlines()) == 1 and
     "timed out waiting for the reply to AUTH (command_timeout, 2 s)"
     in r.err and not re.search(r"(?<![0-9])250(?![0-9])", r.err) and
     took < 7,
     "AUTH unanswered for command_timeout = 2: 75, one line naming AUTH "
     "and command_timeout, no EHLO reply quoted (%.1f s)" % took, r)
t.ok(logged(r, "status=deferred", "reply to AUTH", "command_timeout"),
     "the log line names AUTH too", r.logs)

# with a spool the usual rules apply: kept for the queue, exit 0
spool, e = spooled()
r, took = timed(env, ["-t", "-i"], env=e)
t.ok(r.rc == 0 and r.err == "" and len(queued(spool)) == 1 and
     logged(r, "status=deferred", "reply to AUTH") and
     logged(r, "queued for a later attempt") and
     len(relay.transactions) == 0,
     "with a spool the message is queued (exit 0), the log naming AUTH", r)
relay.stop()

# connect_timeout still bounds a TLS handshake: the relay says 220 to
# STARTTLS and then never speaks TLS
relay = smtprelay.Relay(tls="starttls", cert=ca.good,
                        script={"STARTTLS": "220-then-stall"})
env = smtest.Env(config(relay.port, 2, 30, smtp=TLS))
r, took = timed(env, ["-t", "-i"])
t.ok(r.rc == 75 and len(r.err.splitlines()) == 1 and
     "timed out waiting for the TLS handshake (connect_timeout, 2 s)"
     in r.err and took < 6,
     "a TLS handshake that never ends: 75 after connect_timeout = 2, "
     "named (%.1f s)" % took, r)
relay.stop()

# ... and the connection: a listener whose backlog is full never
# completes the TCP handshake
full = socket.socket()
full.bind(("127.0.0.1", 0))
full.listen(0)
fillers = []
for _ in range(3):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(full.getsockname())
    fillers.append(c)
env = smtest.Env(config(full.getsockname()[1], 2, 30, smtp="linger = 0\n"))
r, took = timed(env, ["-t", "-i"])
t.ok(r.rc == 75 and len(r.err.splitlines()) == 1 and
     "timed out waiting for the connection (connect_timeout, 2 s)"
     in r.err and took < 6,
     "a connection that never completes: 75 after connect_timeout = 2, "
     "named (%.1f s)" % took, r)
for c in fillers + [full]:
    c.close()

# a reply of the transaction names its command too
relay = smtprelay.Relay(script={"MAIL": "stall"})
env = smtest.Env(config(relay.port, 5, 2, smtp="linger = 0\n"))
r, took = timed(env, ["-t", "-i"])
t.ok(r.rc == 75 and len(r.err.splitlines()) == 1 and
     "timed out waiting for the reply to MAIL (command_timeout, 2 s)"
     in r.err and took < 6,
     "MAIL unanswered: 75, the error names MAIL (%.1f s)" % took, r)
relay.stop()

# ---- 2. tls= whenever TLS was up, failures included ----
relay = smtprelay.Relay(tls="starttls", cert=ca.good, auth=("u", "other"))
env = smtest.Env(config(relay.port, 5, 3, smtp=PLAIN))
r = env.run(["-t", "-i"], stdin=MSG)
t.ok(r.rc == 78 and "535" in r.err and
     logged(r, "status=failed", "tls=TLSv1.3", "535"),
     "AUTH refused after STARTTLS: the log line says tls=TLSv1.3", r.logs)
relay.stop()
# OpenSSL finishes the handshake before curl checks the name: a refused
# certificate is no TLS that was up
relay = smtprelay.Relay(tls="starttls", cert=ca.wrong_host,
                        auth=("u", "pw-123"))
env = smtest.Env(config(relay.port, 5, 3, smtp=PLAIN))
r = env.run(["-t", "-i"], stdin=MSG)
t.ok(r.rc != 0 and logged(r, "status=", "tls=-") and
     not logged(r, "tls=TLSv"),
     "a certificate for another host: the log line says tls=-", r.logs)
relay.stop()
relay = smtprelay.Relay(auth=("u", "other"), auth_require_tls=False)
env = smtest.Env(config(relay.port, 5, 3, smtp=(
    "linger = 0\nauth = plain\nusername = u\npassword = pw-123\n"
    "allow_plaintext_auth = yes\n")))
r = env.run(["-t", "-i"], stdin=MSG)
t.ok(r.rc == 78 and logged(r, "status=failed", "tls=-"),
     "AUTH refused without TLS: tls=-", r.logs)
relay.stop()

# ---- 3. SASL ends as RFC 7628 3.2.3 says ----
USER = "shop@example.com"
TOK = "ya29.a0AfB_" + "C" * 200             # an initial response
LONG = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + "L" * 2400 + ".sig"


def oauth_case(mech, tok):
    """A relay that refuses every token as Dovecot does (334 with the
    base64 JSON error, then 535 after the client's answer), and a token
    endpoint that hands out tok."""
    ts = tokenserver.TokenServer(ca.good, tokens=[tok])
    relay = smtprelay.Relay(tls="starttls", cert=ca.good, oauth=(USER, []),
                            auth_line_limit=16384)
    env = smtest.Env(config(relay.port, 5, 3, smtp=(
        TLS + "auth = %s\nusername = %s\noauth2_token_url = %s\n"
        "oauth2_client_id = cid\noauth2_client_secret = cs-secret\n"
        % (mech, USER, ts.url))))
    spool, e = spooled()
    r = env.run(["-t", "-i"], stdin=MSG, env=e)
    relay.stop()
    ts.stop()
    return relay, ts, r


for mech, tok, answer in (("xoauth2", TOK, b"\r\n"),
                          ("xoauth2", LONG, b"\r\n"),
                          ("oauthbearer", TOK, b"AQ==\r\n")):
    relay, ts, r = oauth_case(mech, tok)
    name = "%s, a %d-byte token" % (mech, len(tok))
    t.ok(relay.oauth_answers == [answer] and len(ts.requests) == 1,
         "%s: the error challenge gets %r and the relay's final reply is "
         "read" % (name, answer), (relay.oauth_answers, r))
    t.ok(r.rc == 78 and len(r.err.splitlines()) == 1 and
         "535 5.7.8" in r.err and
         not re.search(r"(?<![0-9])334(?![0-9])", r.err) and
         '"status":"401"' in r.err.replace(" ", "") and
         "fresh from https://127.0.0.1" in r.err,
         "%s: a fresh token refused: 78, the 535 quoted, not the 334 (its "
         "JSON decoded)" % name, r)
    t.ok(logged(r, "status=", "535 5.7.8", "tls=TLSv1.3") and
         not logged(r, "334 "),
         "%s: the log line quotes the 535 and says tls=TLSv1.3" % name,
         r.logs)
    t.ok(not any(tok[:40] in x or
                 base64.b64encode(tok.encode())[:40].decode() in x
                 for x in [r.out, r.err, r.log_text()]),
         "%s: no token in any output" % name)

t.done()
