"""replies - what the caller and the admin read when the relay says no
(issue 30, points 4 and 5). Partial refusals: when some recipients are
refused while others get the message, stderr names them (at most 10, then
a count) with the relay's reply, shown safely, and the exit code is as
before. Known replies (Microsoft 365, Gmail, SES and the like): the error
line, the log line and --check add one sentence, the likely cause and the
key to change; exit codes unchanged."""
# debian: python3-aiosmtpd
import os
import tempfile

import smtest
import smtprelay

t = smtest.Tap()
ca = smtprelay.TestCA()
MSG = b"Subject: replies\n\nhello\n"
TLS = "ssl = tls\ntls_ca_file = %s" % ca.ca
INDENT = "safemail:   "


def run(args, relay_kw, smtp="", queue="", argv0="sendmail", stdin=MSG):
    relay = smtprelay.Relay(**relay_kw)
    text = smtest.relay_config(relay.port, smtp=smtp)
    if queue:
        text = text.replace("[aliases]", "[queue]\n%s\n[aliases]" % queue)
    spool = tempfile.mkdtemp(prefix="safemail-replies-")
    os.chmod(spool, 0o750)
    env = smtest.Env(text)
    r = env.run(args, stdin=stdin, argv0=argv0,
                env={"SAFEMAIL_SPOOL": spool}, timeout=60)
    relay.stop()
    return relay, r, spool


def queued(spool):
    q = os.path.join(spool, "q")
    return [f for f in os.listdir(q) if f.endswith(".env")] \
        if os.path.isdir(q) else []


# ---- 4. Partial refusals are named ----
# Eleven of twelve refused: the one line as before, then ten named, then
# a count of the rest.
rcpts = ["ok@example.org"] + ["bad%02d@example.org" % i for i in range(11)]
relay, r, _ = run(rcpts, {"script": {
    "RCPT:bad": "550 5.1.1 no such user here"}})
lines = r.err.splitlines()
t.ok(r.rc == 67, "11 of 12 refused: exit 67 as before", r)
t.ok(len(lines) == 12 and lines[0].startswith("safemail: sent to 1 of 12 "
                                               "recipients"),
     "the one error line first, then at most 11 more", r)
t.ok(lines[1:11] == [INDENT + "refused <bad%02d@example.org>: 550 5.1.1 "
                    "no such user here" % i for i in range(10)],
     "the first ten refused, each with the relay's reply", lines)
t.ok(lines[11:] == [INDENT + "and 1 more refused (the log names each)"] and
     "bad10@" not in r.err,
     "then a count of the rest", lines)
t.ok(len([l for l in r.logs if "status=refused" in l]) == 11,
     "the log names each of the eleven", r.logs)
t.ok(len(relay.transactions) == 1 and
     relay.transactions[0].rcpt_tos == ["ok@example.org"],
     "the one accepted got the message", relay.transactions)

# A reply with control bytes and a backslash: escaped, never written to
# the caller's terminal. (The caller's addresses are checked before they
# get here; test_verdict shows them escaped too.)
relay, r, _ = run(["a@example.org", "x@example.org"], {"script": {
    "RCPT:x@": "550 5.1.1 \x1b[2J\x07gone\\"}})
t.ok(r.rc == 67 and INDENT + "refused <x@example.org>: 550 5.1.1 "
     "\\x1b[2J\\x07gone\\x5c" in r.err.splitlines() and
     "\x1b" not in r.err and "\x07" not in r.err,
     "the relay's reply shown safely (control bytes as \\xNN)", r)

# 5xx for one, 4xx for another: the 4xx one is kept for later, not named
# as refused; the exit code stays 67.
relay, r, spool = run(["a@example.org", "later@example.org",
                       "gone@example.org"],
                      {"script": {"RCPT:later@": "451 4.3.0 try later",
                                  "RCPT:gone@": "550 5.1.1 gone"}},
                      queue="retry = 1h")
lines = r.err.splitlines()
t.ok(r.rc == 67 and len(lines) == 2 and
     lines[1:] == [INDENT + "refused <gone@example.org>: 550 5.1.1 gone"] and len(queued(spool)) == 1,
     "5xx and 4xx: the refused one named, the other queued, 67", r)

# 4xx only, queued: a success, stderr silent.
relay, r, spool = run(["a@example.org", "later@example.org"],
                      {"script": {"RCPT:later@": "451 4.3.0 try later"}},
                      queue="retry = 1h")
t.ok(r.rc == 0 and r.err == "" and len(queued(spool)) == 1,
     "4xx for one, queued: exit 0, stderr silent", r)

# 4xx with on_temp_failure = fail: nothing is kept, so it is refused: 75.
relay, r, spool = run(["a@example.org", "later@example.org"],
                      {"script": {"RCPT:later@": "451 4.3.0 try later"}},
                      queue="on_temp_failure = fail")
lines = r.err.splitlines()
t.ok(r.rc == 75 and len(lines) == 2 and lines[1:] == [INDENT +
     "refused <later@example.org>: 451 4.3.0 try later"] and
     queued(spool) == [],
     "4xx for one with on_temp_failure = fail: named, 75 as before", r)

# Every recipient refused: the one line as before (nobody got it).
relay, r, _ = run(["a@example.org", "b@example.org"],
                  {"script": {"RCPT": "550 5.1.1 nobody"}})
t.ok(r.rc == 67 and len(r.err.splitlines()) == 1 and
     "refused every recipient" in r.err,
     "every recipient refused: one line, 67, as before", r)

# ---- 5. Known replies are explained ----
NO_PASSWORDS = ("this relay no longer takes passwords: set auth = xoauth2 "
                "(safemail.ini(5), OAuth2)")
AUTH_CASES = [
    ("Microsoft 365 550 5.7.30",
     "550 5.7.30 Basic authentication is not supported for Client "
     "Submission.", NO_PASSWORDS),
    ("Microsoft 365 535 5.7.139",
     "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is "
     "disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for "
     "more information.",
     "SMTP AUTH is turned off in Microsoft 365 for this mailbox or the "
     "whole tenant: enable Authenticated SMTP for the mailbox"),
    ("Gmail 534 5.7.9",
     "534-5.7.9 Application-specific password required. Learn more at\r\n"
     "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor "
     "x1-2 - gsmtp",
     "Google wants an app password for this account (2-Step Verification "
     "is on): create one and set it as password or password_file"),
    ("Gmail 535 5.7.8",
     "535-5.7.8 Username and Password not accepted. For more information, "
     "go to\r\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials "
     "x1-2 - gsmtp",
     "Google refused the username or password: check username and "
     "password (with 2-Step Verification on, an app password)"),
]
AUTH_SMTP = TLS + "\nauth = plain\nusername = u\npassword = p"
for name, reply, sentence in AUTH_CASES:
    kw = {"tls": "starttls", "cert": ca.good, "auth": ("u", "p"),
          "script": {"AUTH": reply}}
    relay, r, _ = run(["a@example.org"], kw, AUTH_SMTP)
    t.ok(r.rc == 78 and len(r.err.splitlines()) == 1 and
         "; hint: " + sentence in r.err,
         "%s: exit 78 as before, the one line carries the sentence" % name,
         r)
    t.ok(any("status=failed" in l and "; hint: " + sentence in l
             for l in r.logs),
         "%s: the log line carries it" % name, r.logs)
    relay, r, _ = run(["--check"], kw, AUTH_SMTP, argv0="safemail")
    t.ok(r.rc == 78 and any(l.startswith("FAILED: ") and
                            "; hint: " + sentence in l
                            for l in r.out.splitlines()),
         "%s: --check says it too" % name, r)

SEND_AS = ("Microsoft 365 lets the mailbox of username send only as itself "
           "or as an address it has Send As rights on")
UNVERIFIED = ("the provider sends only from identities verified with it "
              "(Amazon SES, SendGrid and the like)")
TXN_CASES = [
    ("Microsoft 365 554 5.2.252 after the data", "EOD",
     "554 5.2.252 SendAsDenied; shop@contoso.com not allowed to send as "
     "sales@contoso.com; STOREDRV.Submission.Exception:"
     "SendAsDeniedException.MapiExceptionSendAsDenied", SEND_AS, 69),
    ("Microsoft 365 550 5.7.60 at MAIL", "MAIL",
     "550 5.7.60 SMTP; Client does not have permissions to send as this "
     "sender", SEND_AS, 69),
    ("SES 554 unverified sender after the data", "EOD",
     "554 Message rejected: Email address is not verified. The following "
     "identities failed the check in region US-EAST-1: "
     "shop@store.example.com", UNVERIFIED, 69),
    ("SendGrid 550 unverified sender at MAIL", "MAIL",
     "550 The from address does not match a verified Sender Identity. "
     "Mail cannot be sent until this error is resolved.", UNVERIFIED, 69),
]
for name, verb, reply, sentence, code in TXN_CASES:
    relay, r, _ = run(["a@example.org"], {"script": {verb: reply}})
    t.ok(r.rc == code and len(r.err.splitlines()) == 1 and
         "; hint: " + sentence in r.err,
         "%s: exit %d as before, the one line carries the sentence"
         % (name, code), r)
    t.ok(any("status=failed" in l and "; hint: " + sentence in l
             for l in r.logs),
         "%s: the log line carries it" % name, r.logs)

# Replies that are not known ones get no sentence.
relay, r, _ = run(["a@example.org"], {"script": {"EOD": "554 5.7.1 spam"}})
t.ok(r.rc == 69 and "hint" not in r.err and "554 5.7.1 spam" in r.err,
     "an unknown reply: no sentence", r)
kw = {"tls": "starttls", "cert": ca.good, "auth": ("u", "p")}
relay, r, _ = run(["a@example.org"], kw,
                  TLS + "\nauth = plain\nusername = u\npassword = wrong")
t.ok(r.rc == 78 and "535 5.7.8" in r.err and "hint" not in r.err,
     "a plain 535 5.7.8 from a relay that is not Gmail: no sentence", r)
t.done()
