"""delivery - the real binary against the scripted aiosmtpd relay: the bytes
the relay receives, the envelope it sees, TLS and AUTH, the fault matrix
(each failure with its exit code and log line), DSN and pipelining,
disable = yes, -v and --check."""
import base64
import email
import email.header
import email.policy
import os
import time

import smtest
import smtprelay

t = smtest.Tap()
ca = smtprelay.TestCA()
SHOP = "shop@store.example.com"


def run(args, stdin, relay_kw=None, smtp="", mail="", policy="no",
        argv0="sendmail"):
    """Start a relay, run safemail once against it, stop the relay."""
    relay = smtprelay.Relay(**(relay_kw or {}))
    env = smtest.Env(smtest.relay_config(relay.port, policy, mail, smtp))
    res = env.run(args, stdin=stdin, argv0=argv0)
    relay.stop()
    return relay, res


def clean_lines(data):
    """Every line ends in CRLF; no bare CR or LF, no NUL, none over 998."""
    if not data.endswith(b"\r\n") or b"\0" in data:
        return False
    for line in data[:-2].split(b"\r\n"):
        if b"\r" in line or b"\n" in line or len(line) > 998:
            return False
    return True


def headers_of(data):
    return data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")


def body_of(data):
    return data.split(b"\r\n\r\n", 1)[1]


def one_log(res, what):
    return [l for l in res.logs if what in l]


TLS = "ssl = tls\ntls_ca_file = %s" % ca.ca

# ---- 1. The bytes the relay receives ----
msg = (b"To: customer@example.org\nCc: Bob <bob@example.org>\n"
       b"Bcc: secret@example.org\nReturn-Path: <forged@evil.example>\n"
       b"Subject: order 42\n\n.leading dot\nline two\n..two dots\n")
relay, r = run(["-t", "-i", "-F", "Jane Doe"], msg)
t.ok(r.rc == 0 and r.err == "", "a plain message: exit 0, stderr silent", r)
t.ok(len(relay.transactions) == 1, "exactly one transaction", relay.transactions)
tx = relay.transactions[0] if relay.transactions else None
if tx:
    t.ok(tx.mail_from == SHOP and sorted(tx.rcpt_tos) == sorted(
        ["customer@example.org", "bob@example.org", "secret@example.org"]),
        "the envelope: policy sender, To + Cc + Bcc", tx)
    h = headers_of(tx.data)
    t.ok(clean_lines(tx.data), "CRLF everywhere, no bare CR/LF, no NUL",
         tx.data)
    t.ok("Bcc:" not in h and "secret@" not in h, "Bcc removed", h)
    t.ok("Return-Path" not in h, "Return-Path removed", h)
    parsed = email.message_from_bytes(tx.data, policy=email.policy.default)
    t.ok(parsed["Date"] is not None and parsed["Date"].datetime is not None,
         "Date added, and it parses", h)
    t.ok(parsed["Message-ID"] is not None and
         parsed["Message-ID"].endswith("@store.example.com>"),
         "Message-ID added in the configured domain", h)
    t.ok(h.count("\r\nFrom: ") + h.startswith("From: ") == 1 and
         "From: Jane Doe <%s>" % SHOP in h, "From added from -F and sender", h)
    t.ok(h.startswith("Received: by ") and
         "(safemail, from userid %d)" % os.getuid() in h,
         "a trace header names the submitting uid", h)
    t.ok(body_of(tx.data) == b".leading dot\r\nline two\r\n..two dots\r\n",
         "the body arrives byte-exact (LF made CRLF)", tx.data)
    wire = relay.wire()
    t.ok(b"\r\n\r\n..leading dot\r\nline two\r\n...two dots\r\n.\r\n" in wire,
         "dot-stuffed on the wire, ended by CRLF.CRLF", wire[-200:])
    t.ok(wire.count(b"MAIL FROM:") == 1 and wire.count(b"DATA\r\n") == 1,
         "one MAIL, one DATA on the wire", wire)
t.ok(len(one_log(r, "status=sent (250 2.0.0 Ok: queued as Q00001)")) == 1 and
     any("from=<%s> nrcpt=3" % SHOP in l and "relay=127.0.0.1:" in l and
         "tls=none" in l and "delay=" in l and "uid=%d" % os.getuid() in l
         for l in r.logs),
     "one log line: id, uid, from, nrcpt, size, relay, tls, reply, delay",
     r)

# Fields the caller wrote are kept, never doubled.
msg = (b"From: Shop <shop@store.example.com>\nTo: a@example.org\n"
       b"Date: Mon, 2 Nov 2026 10:00:00 +0000\nMessage-ID: <x1@shop>\n\nhi\n")
relay, r = run(["-t"], msg)
h = headers_of(relay.transactions[0].data) if relay.transactions else ""
t.ok(r.rc == 0 and h.count("Date:") == 1 and "<x1@shop>" in h and
     h.count("Message-ID:") == 1 and h.count("From:") == 1 and
     "From: Shop <shop@store.example.com>" in h,
     "the caller's Date, Message-ID and From are kept, not doubled", h)

# -F: quoted when it must be, RFC 2047 when not ASCII (corpus F04, F05).
for name in (".(", "Müller & Söhne GmbH", 'Say "hi" \\ bye', "A" * 200):
    relay, r = run(["-F", name, "a@example.org"], b"Subject: x\n\nhi\n")
    ok = r.rc == 0 and relay.transactions
    if ok:
        msgobj = email.message_from_bytes(relay.transactions[0].data,
                                          policy=email.policy.default)
        frm = msgobj["From"]
        ok = (frm.addresses[0].display_name == name and
              frm.addresses[0].addr_spec == SHOP and
              clean_lines(relay.transactions[0].data))
    t.ok(ok, "-F %r gives a From: whose display name decodes back" %
         name[:20], relay.transactions)

# Bare names in To/From/Cc are qualified with domain; aliases apply to
# the envelope.
msg = b"To: root, Bob <bob>\nCc: carol (the boss)\nSubject: x\n\nhi\n"
relay, r = run(["-t"], msg)
h = headers_of(relay.transactions[0].data) if relay.transactions else ""
t.ok(r.rc == 0 and "To: root@store.example.com, Bob <bob@store.example.com>"
     in h and "Cc: carol@store.example.com (the boss)" in h,
     "bare names in To and Cc qualified in the header", h)
t.ok(relay.transactions and sorted(relay.transactions[0].rcpt_tos) == [
    "admin@example.com", "bob@store.example.com",
    "carol@store.example.com"], "the envelope applied the alias for root",
    relay.transactions)

# The lone dot without -i ends the message; with -i it is content.
relay, r = run(["a@example.org"], b"Subject: x\n\nline1\n.\nMAIL FROM:<x@evil>\n")
t.ok(r.rc == 0 and relay.transactions and
     body_of(relay.transactions[0].data) == b"line1\r\n",
     "without -i a lone dot ends the message; the rest is discarded",
     relay.transactions)
relay, r = run(["-oi", "a@example.org"], b"Subject: x\n\nline1\n.\nafter\n")
t.ok(r.rc == 0 and relay.transactions and
     body_of(relay.transactions[0].data) == b"line1\r\n.\r\nafter\r\n" and
     b"\r\nline1\r\n..\r\nafter\r\n.\r\n" in relay.wire(),
     "with -oi it is content, dot-stuffed on the wire", relay.transactions)

# A leading mbox "From " line is dropped; a missing final newline added.
relay, r = run(["a@example.org"],
               b"From someone@x Mon Nov  2 10:00:00 2026\nSubject: x\n\nend")
t.ok(r.rc == 0 and relay.transactions and
     b"someone@x" not in relay.transactions[0].data and
     relay.transactions[0].data.endswith(b"\r\n\r\nend\r\n"),
     "mbox From line dropped, final CRLF added", relay.transactions)

# Long lines: split as Postfix does, or refused by long_lines = refuse.
long_body = b"Subject: x\n\n" + b"y" * 2500 + b"\n"
relay, r = run(["a@example.org"], long_body)
body = body_of(relay.transactions[0].data) if relay.transactions else b""
t.ok(r.rc == 0 and clean_lines(body) and
     body.replace(b"\r\n", b"") == b"y" * 2500,
     "a 2500-octet line is split into lines of at most 998", body[:50])
relay, r = run(["a@example.org"], long_body, mail="long_lines = refuse")
t.ok(r.rc == 65 and relay.raw == [] and "998" in r.err,
     "long_lines = refuse: 65, the relay never contacted", r)

# NUL and bare CR: refused before any connection.
for what, data in (("NUL", b"Subject: x\n\na\0b\n"),
                   ("bare CR", b"Subject: x\n\na\rb\n")):
    relay, r = run(["a@example.org"], data)
    t.ok(r.rc == 65 and relay.raw == [] and len(r.err.splitlines()) == 1,
         "%s in the body: 65, one line, the relay never contacted" % what, r)

# 8-bit text: BODY=8BITMIME when offered; SIZE always when offered.
relay, r = run(["a@example.org"], "Subject: x\n\ncafé\n".encode())
t.ok(r.rc == 0 and relay.transactions and
     "BODY=8BITMIME" in relay.transactions[0].mail_options and
     any(o.startswith("SIZE=") for o in relay.transactions[0].mail_options),
     "8-bit body: BODY=8BITMIME and SIZE= passed on", relay.transactions)
relay, r = run(["a@example.org"], "Subject: x\n\ncafé\n".encode(),
               relay_kw={"ehlo_drop": ["8BITMIME"]})
t.ok(r.rc == 0 and relay.transactions and
     "BODY=8BITMIME" not in relay.transactions[0].mail_options,
     "no 8BITMIME offered: no BODY= and still sent", relay.transactions)

# return_path = yes honours a valid -f in MAIL FROM.
relay, r = run(["-f", "news@store.example.com", "a@example.org"],
               b"Subject: x\n\nhi\n", policy="yes")
t.ok(r.rc == 0 and relay.transactions and
     relay.transactions[0].mail_from == "news@store.example.com",
     "return_path = yes: -f is the envelope sender", relay.transactions)

# disable = yes: read, checked, logged, discarded.
relay, r = run(["a@example.org"], b"Subject: x\n\nhi\n",
               mail="disable = yes")
t.ok(r.rc == 0 and relay.raw == [] and r.err == "" and
     len(one_log(r, "status=discarded (disable = yes)")) == 1,
     "disable = yes: exit 0, nothing sent, one log line", r)
relay, r = run(["a@example.org"], b"Subject: x\n\na\0\n", mail="disable = yes")
t.ok(r.rc == 65, "disable = yes still checks the message", r)

# ---- 2. DSN and pipelining ----
relay, r = run(["-N", "success,failure", "-R", "hdrs", "-V", "id+1=x",
                "a@example.org", "b@example.org"], b"Subject: x\n\nhi\n",
               relay_kw={"ehlo_add": ["DSN"]})
t.ok(r.rc == 0 and relay.dsn_mail == [["RET=HDRS", "ENVID=id+2B1+3Dx"]] and
     relay.dsn_rcpt == [["NOTIFY=SUCCESS,FAILURE"]] * 2,
     "DSN offered: RET, ENVID (xtext) and NOTIFY passed on", relay.dsn_mail)
relay, r = run(["-N", "never", "a@example.org"], b"Subject: x\n\nhi\n")
t.ok(r.rc == 0 and b"NOTIFY" not in relay.wire() and relay.transactions,
     "DSN not offered: not sent, and no failure", r)
rcpts = ["user%03d@example.org" % i for i in range(150)]
relay, r = run(rcpts, b"Subject: x\n\nhi\n",
               relay_kw={"ehlo_add": ["PIPELINING"]})
t.ok(r.rc == 0 and len(relay.transactions) == 1 and
     sorted(relay.transactions[0].rcpt_tos) == rcpts,
     "PIPELINING: 150 recipients in groups, each accepted once", r)

# ---- 3. TLS and AUTH that work ----
for mode, smtp, kw in (
        ("STARTTLS", TLS, {"tls": "starttls", "cert": ca.good}),
        ("implicit TLS", "ssl = ssl\ntls_ca_file = %s" % ca.ca,
         {"tls": "implicit", "cert": ca.good})):
    relay, r = run(["a@example.org"], b"Subject: x\n\nhi\n", kw, smtp)
    t.ok(r.rc == 0 and len(relay.transactions) == 1 and
         any("tls=TLSv1.3" in l and "status=sent" in l for l in r.logs),
         "%s: verified, sent, TLS version logged" % mode, r)
for mech in ("plain", "login"):
    relay, r = run(["-v", "a@example.org"], b"Subject: x\n\nhi\n",
                   {"tls": "starttls", "cert": ca.good,
                    "auth": ("shopuser", "s3cret-pw")},
                   TLS + "\nauth = %s\nusername = shopuser\n"
                   "password = s3cret-pw" % mech)
    creds = [base64.b64encode(x).decode() for x in
             (b"\0shopuser\0s3cret-pw", b"shopuser", b"s3cret-pw")]
    t.ok(r.rc == 0 and relay.auth_seen == [mech.upper()] and
         len(relay.transactions) == 1, "AUTH %s: pinned and accepted" % mech,
         r)
    t.ok("s3cret-pw" not in r.err and not any(c in r.err for c in creds) and
         "[credentials hidden]" in r.err and ">>> MAIL FROM:" in r.err,
         "-v shows the dialogue with the credentials hidden (%s)" % mech,
         r.err)
# Loopback on a port above 1023 is no exception: any local user can bind
# it while the relay is down and read AUTH PLAIN.
relay, r = run(["a@example.org"], b"Subject: x\n\nhi\n",
               {"auth": ("u", "p"), "auth_require_tls": False},
               "auth = plain\nusername = u\npassword = p")
t.ok(r.rc == 78 and "clear text" in r.err and relay.auth_seen == [] and
     relay.transactions == [],
     "AUTH without TLS to a loopback relay on a high port is refused", r)
relay, r = run(["a@example.org"], b"Subject: x\n\nhi\n",
               {"auth": ("u", "p"), "auth_require_tls": False},
               "auth = plain\nusername = u\npassword = p\n"
               "allow_plaintext_auth = yes")
t.ok(r.rc == 0 and relay.auth_seen == ["PLAIN"],
     "... and allowed with allow_plaintext_auth = yes", r)

# Pinning the relay's public key, and a client certificate.
relay, r = run(["a@example.org"], b"Subject: x\n\nhi\n",
               {"tls": "starttls", "cert": ca.good},
               TLS + "\ntls_pin = " + ca.pin(ca.good))
t.ok(r.rc == 0 and len(relay.transactions) == 1,
     "tls_pin matching the relay's key: sent", r)
relay, r = run(["a@example.org"], b"Subject: x\n\nhi\n",
               {"tls": "starttls", "cert": ca.good},
               TLS + "\ntls_pin = " + ca.pin(ca.wrong_host))
t.ok(r.rc == 78 and relay.transactions == [] and
     b"MAIL FROM" not in relay.wire(),
     "tls_pin not matching: 78, nothing sent", r)
relay, r = run(["a@example.org"], b"Subject: x\n\nhi\n",
               {"tls": "starttls", "cert": ca.good, "client_ca": ca.ca},
               TLS + "\ntls_client_cert = %s\ntls_client_key = %s" %
               ca.client)
t.ok(r.rc == 0 and len(relay.transactions) == 1,
     "a relay that asks for a client certificate gets it", r)
relay, r = run(["a@example.org"], b"Subject: x\n\nhi\n",
               {"tls": "starttls", "cert": ca.good, "client_ca": ca.ca}, TLS)
t.ok(r.rc != 0 and relay.transactions == [],
     "without the client certificate: refused, nothing sent", r)

# SMTPUTF8 for 8-bit header fields, when offered.
relay, r = run(["a@example.org"], "Subject: café\n\nhi\n".encode(),
               {"smtputf8": True})
t.ok(r.rc == 0 and relay.transactions and
     "SMTPUTF8" in relay.transactions[0].mail_options,
     "8-bit header fields: SMTPUTF8 when the relay offers it",
     relay.transactions)

# Proxies: none, whatever the environment says.
relay = smtprelay.Relay()
env = smtest.Env(smtest.relay_config(relay.port))
r = env.run(["a@example.org"], stdin=b"Subject: x\n\nhi\n",
            env={"all_proxy": "socks5://127.0.0.1:9", "ALL_PROXY":
                 "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
                 "no_proxy": ""})
relay.stop()
t.ok(r.rc == 0 and len(relay.transactions) == 1,
     "proxy variables in the environment are ignored", r)

# A password is never sent in clear text to a relay off this machine.
env = smtest.Env(smtest.relay_config(
    2525, smtp="auth = plain\nusername = u\npassword = p",
    host="smtp.example.net"))
r = env.run(["a@example.org"], stdin=b"Subject: x\n\nhi\n")
t.ok(r.rc == 78 and "clear text" in r.err,
     "auth without TLS to a remote relay: a configuration error", r)

# ---- 4. The fault matrix: exit code and log line for each ----
faults = [
    ("connection refused", None, "", 75, "Couldn't connect"),
    ("421 greeting", {"script": {"greeting": "421 4.3.2 busy"}}, "", 75,
     "421 4.3.2 busy"),
    ("554 greeting", {"script": {"greeting": "554 5.7.1 go away"}}, "", 69,
     "554 5.7.1 go away"),
    ("MAIL 451", {"script": {"MAIL": "451 4.3.0 later"}}, "", 75,
     "451 4.3.0 later"),
    ("MAIL 553", {"script": {"MAIL": "553 5.1.8 bad sender"}}, "", 69,
     "553 5.1.8 bad sender"),
    ("RCPT 550 for every recipient", {"script": {"RCPT": "550 5.1.1 nobody"}},
     "", 67, "550 5.1.1 nobody"),
    ("RCPT 450 for every recipient", {"script": {"RCPT": "450 4.2.1 later"}},
     "", 75, "450 4.2.1 later"),
    ("DATA 451", {"script": {"DATA": "451 4.3.0 no data now"}}, "", 75,
     "451 4.3.0 no data now"),
    ("DATA 554", {"script": {"DATA": "554 5.6.0 no data"}}, "", 69,
     "554 5.6.0 no data"),
    ("451 after the data", {"script": {"EOD": "451 4.3.0 queue full"}}, "",
     75, "451 4.3.0 queue full"),
    ("554 after the data", {"script": {"EOD": "554 5.7.1 spam"}}, "", 69,
     "554 5.7.1 spam"),
    ("connection dropped at RCPT", {"script": {"RCPT": "drop"}}, "", 75,
     "closed the connection"),
    ("STARTTLS missing", {"ehlo_drop": ["STARTTLS"]}, TLS, 78, "STARTTLS"),
    ("STARTTLS refused", {"tls": "starttls", "cert": ca.good,
                          "script": {"STARTTLS": "454 4.7.0 no TLS now"}},
     TLS, 78, "STARTTLS"),
    ("untrusted certificate", {"tls": "starttls", "cert": ca.untrusted}, TLS,
     78, "certificate"),
    ("wrong host name", {"tls": "starttls", "cert": ca.wrong_host}, TLS, 78,
     "host name"),
    ("AUTH 535", {"tls": "starttls", "cert": ca.good, "auth": ("u", "p")},
     TLS + "\nauth = plain\nusername = u\npassword = wrong", 78,
     "535 5.7.8"),
    ("AUTH not offered", {"tls": "starttls", "cert": ca.good,
                          "ehlo_drop": ["AUTH"]},
     TLS + "\nauth = plain\nusername = u\npassword = p", 78,
     "did not authenticate"),
]
for name, kw, smtp, code, said in faults:
    if kw is None:
        port = smtprelay.closed_port()
        env = smtest.Env(smtest.relay_config(port, smtp=smtp))
        r = env.run(["a@example.org", "b@example.org"],
                    stdin=b"Subject: x\n\nhi\n")
        relay = None
    else:
        relay, r = run(["a@example.org", "b@example.org"],
                       b"Subject: x\n\nhi\n", kw, smtp)
    status = "deferred" if code == 75 else "failed"
    t.ok(r.rc == code, "%s: exit %d" % (name, code), r)
    t.ok(len(r.err.splitlines()) == 1 and r.err.startswith("safemail: ") and
         said in r.err, "%s: one line on stderr naming it" % name, r)
    t.ok(any("status=%s" % status in l and said in l for l in r.logs),
         "%s: logged %s with the reason" % (name, status), r)
    if relay is not None:
        t.ok(relay.transactions == [],
             "%s: the relay holds no message" % name, relay.transactions)
    if name.startswith("AUTH not"):
        t.ok(b"MAIL FROM" not in relay.wire(),
             "AUTH not offered: nothing sent unauthenticated", relay.wire())

# One of several recipients refused: not a success that hides it.
relay, r = run(["a@example.org", "bad@example.org", "c@example.org"],
               b"Subject: x\n\nhi\n",
               {"script": {"RCPT:bad@": "550 5.1.1 <bad@example.org> unknown"}})
t.ok(r.rc == 67 and "2 of 3" in r.err and "bad@example.org" in r.err,
     "one of three recipients refused: 67, named on stderr", r)
t.ok(any("to=<bad@example.org>" in l and "status=refused" in l and
         "550 5.1.1" in l for l in r.logs),
     "the refused recipient is logged with the relay's reply", r)
t.ok(len(relay.transactions) == 1 and
     relay.transactions[0].rcpt_tos == ["a@example.org", "c@example.org"],
     "the others got the message once", relay.transactions)

# A relay that stops answering during DATA: the caller waits for
# command_timeout (3 s here), never libcurl's 120 s.
start = time.monotonic()
relay, r = run(["a@example.org"], b"Subject: x\n\n" + b"z" * 1000 + b"\n",
               {"script": {"DATA": "354-then-stall"}})
took = time.monotonic() - start
t.ok(r.rc == 75 and "timed out" in r.err and
     "may have been delivered" in r.err,
     "timeout during DATA: 75, said to be possibly delivered", r)
t.ok(took < 15, "the timeout is bounded by command_timeout (%.1f s)" % took)

# ---- 5. The self-test ----
relay = smtprelay.Relay(tls="starttls", cert=ca.good, auth=("u", "pw-123"))
env = smtest.Env(smtest.relay_config(
    relay.port, smtp=TLS + "\nauth = login\nusername = u\npassword = pw-123"))
r = env.run(["--check"], argv0="safemail")
t.ok(r.rc == 0 and "pw-123" not in r.out + r.err and
     "password = ******** (set, not shown)" in r.out,
     "--check prints the configuration with the password masked", r)
t.ok("TLS: TLSv1.3" in r.out and "subject /CN=localhost" in r.out and
     "issuer  /CN=safemail test CA" in r.out and "AUTH LOGIN accepted" in
     r.out and "STARTTLS" not in r.out.split("relay offers:")[1].split(
         "authentication")[0] and "SIZE" in r.out,
     "--check reports TLS, the certificate, the capabilities and AUTH", r)
t.ok(relay.transactions == [] and b"MAIL FROM" not in relay.wire() and
     b"QUIT" in relay.wire(), "--check sends nothing and quits", relay.wire())
r = env.run(["--check"], argv0="sendmail")
t.ok(r.rc == 64 and "--check" in r.err,
     "--check is refused when called as sendmail", r)
relay.stop()
relay = smtprelay.Relay(tls="starttls", cert=ca.wrong_host)
env = smtest.Env(smtest.relay_config(relay.port, smtp=TLS))
r = env.run(["--check"], argv0="safemail")
t.ok(r.rc == 78 and "FAILED" in r.out, "--check reports a bad relay", r)
relay.stop()

# The EHLO name: helo_name, checked.
relay, r = run(["a@example.org"], b"Subject: x\n\nhi\n", {},
               "helo_name = shop.example.com")
t.ok(r.rc == 0 and relay.ehlo_names == ["shop.example.com"],
     "EHLO uses helo_name", relay.ehlo_names)
relay, r = run(["a@example.org"], b"Subject: x\n\nhi\n", {},
               "helo_name = bad name")
t.ok(r.rc == 78 and "helo_name" in r.err and relay.raw == [],
     "an invalid helo_name is a config error", r)
t.done()
