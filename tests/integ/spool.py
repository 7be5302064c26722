"""spool - never losing a message: the spool and the queue runner against
the scripted relay. Relay down, 4xx, 5xx (the bounce parsed), expiry, the
null sender, two runners at once, kill -9 in the middle of DATA, a full
file system, planted files, async submission, mailq and the admin
commands. Each case has its own spool directory (SAFEMAIL_SPOOL)."""
# debian: php-cli
import email
import email.policy
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import smtest
import smtprelay

t = smtest.Tap()
SHOP = "shop@store.example.com"
MSG = b"Subject: spool test\n\nhello\n"


class Case:
    """A spool, a config pointing at a relay (or at a closed port)."""

    def __init__(self, relay=None, queue="", mail=""):
        self.spool = tempfile.mkdtemp(prefix="safemail-spool-")
        os.chmod(self.spool, 0o750)
        self.relay = relay
        self.queue = queue
        self.mail = mail
        self.port = relay.port if relay else smtprelay.closed_port()
        self.env = smtest.Env(self.config())

    def config(self):
        text = smtest.relay_config(self.port, mail=self.mail)
        if self.queue:
            text = text.replace("[aliases]", "[queue]\n%s\n[aliases]" %
                                self.queue)
        return text

    def point_at(self, relay):
        self.relay = relay
        self.port = relay.port
        self.env.write_config(self.config())

    def run(self, args, stdin=b"", argv0="sendmail", env=None):
        e = {"SAFEMAIL_SPOOL": self.spool}
        e.update(env or {})
        return self.env.run(args, stdin=stdin, argv0=argv0, env=e,
                            timeout=60)

    def files(self, area="q"):
        d = os.path.join(self.spool, area)
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def ids(self):
        return sorted(f[:-4] for f in self.files() if f.endswith(".env"))

    def env_text(self, qid):
        with open(os.path.join(self.spool, "q", qid + ".env")) as f:
            return f.read()


def queued_id(r):
    m = re.search(r"([0-9A-F]{12}): deferred: queued", r.log_text()) or \
        re.search(r"([0-9A-F]{12}): uid=\d+ .*status=queued", r.log_text())
    return m.group(1) if m else None


# ---- 1. Relay down: accepted, spooled, listed; relay back: sent once ----
c = Case(queue="retry = 1s")
r = c.run(["a@example.org"], MSG)
qid = queued_id(r)
t.ok(r.rc == 0 and r.err == "" and qid is not None,
     "relay down: exit 0, stderr silent, logged as deferred and queued", r)
t.ok(c.files() == [qid + ".env", qid + ".msg"] and c.files("tmp") == [],
     "the message and its envelope are in the spool, nothing in tmp/",
     c.files())
r = c.run(["-bp"])
t.ok(r.rc == 0 and qid in r.out and SHOP in r.out and "a@example.org" in
     r.out and "Couldn't connect" in r.out and "1 attempts" in r.out and
     "1 Request." in r.out,
     "mailq lists id, size, sender, recipient, last error, attempts", r.out)
r = c.run([], argv0="mailq")
t.ok(r.rc == 0 and qid in r.out, "mailq by its name", r)
relay = smtprelay.Relay()
c.point_at(relay)
time.sleep(1.1)
r = c.run(["-q"])
t.ok(r.rc == 0 and len(relay.transactions) == 1 and
     relay.transactions[0].rcpt_tos == ["a@example.org"] and
     b"hello" in relay.transactions[0].data,
     "relay back: safemail -q delivers it", r)
r = c.run(["-q"])
t.ok(len(relay.transactions) == 1 and c.files() == [],
     "exactly once, and the spool is empty", c.files())
r = c.run(["-bp"])
t.ok(r.out == "Mail queue is empty\n", "mailq: empty", r.out)
relay.stop()

# on_temp_failure = fail: the admin's choice to keep exit 75.
c = Case(queue="on_temp_failure = fail")
r = c.run(["a@example.org"], MSG)
t.ok(r.rc == 75 and c.files() == [],
     "on_temp_failure = fail: exit 75, nothing spooled", r)

# ---- 2. 4xx, 5xx, expiry, the null sender ----
relay = smtprelay.Relay(script={"RCPT": "451 4.3.0 not now"})
c = Case(relay)
before = time.time()
r = c.run(["a@example.org"], MSG)
qid = queued_id(r)
text = c.env_text(qid) if qid else ""
nxt = re.search(r"^next (\d+)$", text, re.M)
t.ok(r.rc == 0 and qid and nxt and
     before + 59 <= int(nxt.group(1)) <= time.time() + 61 and
     "attempts 1" in text and "451 4.3.0 not now" in text,
     "4xx: deferred, next try 60 s later (the first step of the schedule)",
     text)
r = c.run(["--run-queue"], argv0="safemail")
t.ok(r.rc == 0 and c.env_text(qid) == text,
     "the scheduled run (safemail --run-queue) before the next try leaves "
     "it", r)
relay.stop()

# ---- sendmail -q: what an admin types once the relay is fixed. Three
# messages deferred while the relay is down, one with its next try an hour
# away: the scheduled run sends only those whose time has come, -q all.
c = Case(queue="retry = 1s")
qids = [queued_id(c.run(["a@example.org"], b"Subject: q%d\n\nhi\n" % n))
        for n in range(3)]
far = int(time.time()) + 3600
path = os.path.join(c.spool, "q", qids[2] + ".env")
with open(path) as f:
    later = re.sub(r"^next \d+$", "next %d" % far, f.read(), flags=re.M)
with open(path, "w") as f:
    f.write(later)
relay = smtprelay.Relay()
c.point_at(relay)
time.sleep(1.1)
r = c.run(["--run-queue"], argv0="safemail")
subjects = sorted(x.data.split(b"Subject: ")[1].split(b"\r\n")[0]
                  for x in relay.transactions)
t.ok(None not in qids and r.rc == 0 and subjects == [b"q0", b"q1"] and
     c.ids() == [qids[2]],
     "relay back, the scheduled run: the two due are sent, the one due in "
     "an hour stays", (r, subjects, c.ids()))
c = Case(queue="retry = 1h")
qids = [queued_id(c.run(["a@example.org"], b"Subject: q%d\n\nhi\n" % n))
        for n in range(3)]
relay = smtprelay.Relay()
c.point_at(relay)
r = c.run(["-q"])
subjects = sorted(x.data.split(b"Subject: ")[1].split(b"\r\n")[0]
                  for x in relay.transactions)
t.ok(None not in qids and r.rc == 0 and r.err == "" and
     subjects == [b"q0", b"q1", b"q2"] and c.ids() == [],
     "sendmail -q: all three deferred messages (next tries an hour away) "
     "are sent at once", (r, subjects, c.ids()))
r = c.run(["-q"])
t.ok(len(relay.transactions) == 3, "exactly once", len(relay.transactions))
relay.stop()

# 5xx in a queue run: a DSN reaches the sender.
c = Case(queue="retry = 1s")
r = c.run(["-f", SHOP, "good@example.org", "bad@example.org"],
          b"Subject: order 7\nX-Order: 7\n\nhi\n")
qid = queued_id(r)
relay = smtprelay.Relay(script={"RCPT:bad@": "550 5.1.1 <bad@example.org>: "
                                "unknown user"})
c.point_at(relay)
time.sleep(1.1)
r = c.run(["-q"])
bounces = [x for x in relay.transactions if x.mail_from in ("", "<>")]
t.ok(len(relay.transactions) == 2 and len(bounces) == 1 and
     relay.transactions[0].rcpt_tos == ["good@example.org"],
     "5xx for one recipient: the other delivered, one bounce sent",
     relay.transactions)
if bounces:
    b = bounces[0]
    dsn = email.message_from_bytes(b.data, policy=email.policy.default)
    parts = list(dsn.iter_parts()) if dsn.is_multipart() else []
    ctypes = [p.get_content_type() for p in parts]
    t.ok(b.rcpt_tos == [SHOP] and dsn.get_content_type() ==
         "multipart/report" and
         dsn.get_param("report-type") == "delivery-status" and
         ctypes == ["text/plain", "message/delivery-status",
                    "text/rfc822-headers"],
         "the bounce is an RFC 3464 multipart/report to the sender",
         (b.rcpt_tos, ctypes))
    status = parts[1].get_payload() if len(parts) > 1 else []
    fields = {}
    for block in status:
        for k, v in block.items():
            fields.setdefault(k.lower(), []).append(str(v))
    t.ok(fields.get("final-recipient") == ["rfc822; bad@example.org"] and
         fields.get("action") == ["failed"] and
         fields.get("status") == ["5.1.1"] and
         "550 5.1.1" in fields.get("diagnostic-code", [""])[0] and
         fields.get("reporting-mta", [""])[0].startswith("dns; "),
         "delivery-status: recipient, action, status, diagnostic", fields)
    orig = parts[2].get_payload() if len(parts) > 2 else ""
    t.ok("X-Order: 7" in str(orig) and "Subject: order 7" in str(orig),
         "the original header block is attached", orig)
    t.ok(dsn["Auto-Submitted"] == "auto-replied" and
         b.data.count(b"\r\n") and b"\n" not in b.data.replace(b"\r\n", b""),
         "the bounce is auto-replied, CRLF throughout")
t.ok(c.files() == [], "bounced and done: the spool is empty", c.files())
relay.stop()

# Expiry: older than max_age, bounced with 4.4.7.
c = Case(queue="retry = 1s\nmax_age = 1s")
r = c.run(["-f", SHOP, "slow@example.org"], MSG)
time.sleep(2.1)
relay = smtprelay.Relay(script={"RCPT:slow@": "450 4.2.0 mailbox busy"})
c.point_at(relay)
r = c.run(["-q"])
bounces = [x for x in relay.transactions if x.mail_from in ("", "<>")]
t.ok(len(bounces) == 1 and b"Status: 4.4.7" in bounces[0].data and
     b"expired" in bounces[0].data and c.files() == [],
     "expired after max_age: bounced (4.4.7), spool empty", r)
relay.stop()

# The null sender: never bounced; kept in failed/ for the admin.
c = Case(queue="retry = 1s", mail="allow_null_sender = yes")
c.env.write_config(c.config().replace("return_path = no",
                                      "return_path = yes"))
r = c.run(["-f", "<>", "bad@example.org"], MSG)
qid = queued_id(r)
relay = smtprelay.Relay(script={"RCPT": "550 5.1.1 no"})
c.point_at(relay)
c.env.write_config(c.config().replace("return_path = no",
                                      "return_path = yes"))
time.sleep(1.1)
r = c.run(["-q"])
t.ok(qid is not None and relay.transactions == [] and c.files() == [] and
     c.files("failed") == [qid + ".env", qid + ".msg"],
     "null sender, 5xx: no bounce, kept in failed/", (r, c.files("failed")))
r = c.run(["-bp"])
t.ok(qid in r.out and "#" in r.out and "failed: kept for the admin" in r.out,
     "mailq lists the failed message", r.out)
relay.stop()

# A bounce that cannot be delivered goes to bounce_admin, once.
c = Case(queue="retry = 1s\nbounce_admin = postmaster@store.example.com")
r = c.run(["-f", SHOP, "bad@example.org"], MSG)
relay = smtprelay.Relay(script={"RCPT:bad@": "550 5.1.1 no such user",
                                "RCPT:shop@": "550 5.1.1 no such sender"})
c.point_at(relay)
time.sleep(1.1)
r = c.run(["-q"])
t.ok([x.rcpt_tos for x in relay.transactions] ==
     [["postmaster@store.example.com"]] and
     relay.transactions[0].mail_from in ("", "<>") and c.files() == [] and
     "undeliverable bounce, sent to bounce_admin" in r.log_text(),
     "an undeliverable bounce goes to bounce_admin, no loop", r)
relay.stop()

# -qR and -qS select by recipient domain and by sender.
c = Case()
c.run(["-odq", "a@one.example"], MSG)
c.run(["-odq", "b@two.example"], MSG)
relay = smtprelay.Relay()
c.point_at(relay)
r = c.run(["-qRtwo.example"])
t.ok([x.rcpt_tos for x in relay.transactions] == [["b@two.example"]] and
     len(c.ids()) == 1, "-qR sends only the messages for that domain", r)
r = c.run(["-qSnobody@"])
t.ok(len(relay.transactions) == 1, "-qS with another sender sends nothing",
     r)
r = c.run(["-qSshop@"])
t.ok(len(relay.transactions) == 2 and c.files() == [],
     "-qS with the sender sends the rest", r)
relay.stop()

# ---- 3. Two runners at once on 200 messages: each sent once ----
c = Case(queue="retry = 1s\nconnections = 4")
for i in range(200):
    r = c.run(["-odq", "r%03d@example.org" % i],
              b"Subject: bulk %d\n\nbody %d\n" % (i, i))
    if r.rc != 0:
        break
t.ok(len(c.ids()) == 200, "-odq: 200 messages queued", len(c.ids()))
relay = smtprelay.Relay()
c.point_at(relay)
e = dict(os.environ, SAFEMAIL_SPOOL=c.spool, SAFEMAIL_CONFIG=c.env.config,
         SAFEMAIL_LIBEXEC=smtest.LIBEXEC, SAFEMAIL_QUEUE_USER="root")
runners = [subprocess.Popen([smtest.SAFEMAIL, "-q"], env=e,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL) for _ in range(2)]
for p in runners:
    p.wait(120)
subjects = sorted(m.data.split(b"Subject: ")[1].split(b"\r\n")[0]
                  for m in relay.transactions)
t.ok(len(relay.transactions) == 200 and len(set(subjects)) == 200,
     "two runners: 200 messages reached the relay, each once",
     len(relay.transactions))
t.ok(c.files() == [], "the spool is empty afterwards", len(c.files()))
conns = len(relay.raw)
t.ok(conns <= 8, "at most 2 x 4 connections, reused (%d)" % conns)
relay.stop()

# ---- 4. kill -9 of a runner in the middle of DATA ----
c = Case(queue="retry = 1s")
r = c.run(["-odq", "a@example.org"], MSG)
qid = queued_id(r)
stall = smtprelay.Relay(script={"DATA": "354-then-stall"})
c.point_at(stall)
p = subprocess.Popen([smtest.SAFEMAIL, "-q"], env=dict(
    os.environ, SAFEMAIL_SPOOL=c.spool, SAFEMAIL_CONFIG=c.env.config,
    SAFEMAIL_LIBEXEC=smtest.LIBEXEC, SAFEMAIL_QUEUE_USER="root"),
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.time() + 10
while time.time() < deadline and b"DATA\r\n" not in stall.wire():
    time.sleep(0.05)
time.sleep(0.2)
p.send_signal(signal.SIGKILL)
p.wait()
stall.stop()
t.ok(b"DATA\r\n" in stall.wire() and c.ids() == [qid],
     "killed in the middle of DATA: the message is still spooled",
     c.files())
relay = smtprelay.Relay()
c.point_at(relay)
r = c.run(["-q"])
t.ok(len(relay.transactions) == 1 and c.files() == [],
     "the next run delivers it once", r)
relay.stop()

# ---- 5. A full file system: a non-zero exit, nothing partial ----
tiny = tempfile.mkdtemp(prefix="safemail-tiny-")
mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k",
                          "tmpfs", tiny], stderr=subprocess.DEVNULL).returncode == 0
if not mounted:
    print("ok %d - # SKIP cannot mount a tmpfs here (needs root)" % (t.n + 1))
    t.n += 1
else:
    try:
        c = Case()
        shutil.rmtree(c.spool)
        c.spool = tiny
        os.chmod(tiny, 0o750)
        r = c.run(["a@example.org"], b"Subject: big\n\n" +
                  (b"y" * 76 + b"\n") * 4000)
        t.ok(r.rc != 0 and len(r.err.splitlines()) == 1,
             "full spool: a non-zero exit and one line", r)
        t.ok(c.files() == [] and c.files("tmp") == [],
             "nothing partial left behind", (c.files(), c.files("tmp")))
    finally:
        subprocess.run(["umount", tiny])

# ---- 6. Corrupt and planted files: moved aside, the rest delivered ----
c = Case(queue="retry = 1s")
for i in range(2):
    c.run(["-odq", "ok%d@example.org" % i], MSG)
good = c.ids()
other = re.search(r"^rcpt pending (\S+)$", c.env_text(good[1]), re.M).group(1)
q = os.path.join(c.spool, "q")
with open(os.path.join(q, "AAAAAAAAAAAA.env"), "w") as f:
    f.write("safemail-spool 1\nid AAAAAAAAAAAA\nrcpt pending x@\n")
open(os.path.join(q, "AAAAAAAAAAAA.msg"), "w").close()
os.symlink("/etc/passwd", os.path.join(q, "BBBBBBBBBBBB.env"))
os.symlink("/etc/passwd", os.path.join(q, "BBBBBBBBBBBB.msg"))
os.link(os.path.join(q, good[0] + ".msg"), os.path.join(c.spool, "hard"))
with open(os.path.join(q, "stray-file"), "w") as f:
    f.write("x")
relay = smtprelay.Relay()
c.point_at(relay)
r = c.run(["-q"])
corrupt = sorted(os.listdir(os.path.join(c.spool, "corrupt")))
t.ok(len(relay.transactions) == 1 and
     relay.transactions[0].rcpt_tos == [other],
     "the good message is delivered; the hard-linked one is not sent",
     relay.transactions)
t.ok(c.files() == [] and
     any(x.startswith("AAAAAAAAAAAA.env") for x in corrupt) and
     any(x.startswith("BBBBBBBBBBBB.env") for x in corrupt) and
     any(x.startswith(good[0] + ".msg") for x in corrupt) and
     any(x.startswith("stray-file") for x in corrupt),
     "corrupt, symlinked, hard-linked and stray files moved to corrupt/",
     corrupt)
t.ok(os.path.islink(os.path.join(c.spool, "corrupt",
                                 [x for x in corrupt
                                  if x.startswith("BBBBBBBBBBBB.env")][0]))
     and open("/etc/passwd").read().startswith("root:"),
     "the symlink was moved, never followed or written through")
t.ok(any("corrupt spool file moved aside" in l and "AAAAAAAAAAAA" in l
         for l in r.logs), "each is logged", r.logs)
relay.stop()

# What an unfinished submission leaves (a .msg without its .env, a file in
# tmp/) is removed after a day; a day-old message with its envelope stays.
c = Case(queue="retry = 1s")
c.run(["-odq", "keep@example.org"], MSG)
kept = c.ids()[0]
q = os.path.join(c.spool, "q")
old = time.time() - 2 * 86400
for path in (os.path.join(q, "ABCDEF012345.msg"),
             os.path.join(c.spool, "tmp", "ABCDEF012345.env.999")):
    with open(path, "w") as f:
        f.write("x")
    os.utime(path, (old, old))
young = os.path.join(q, "BBBBBB012345.msg")
with open(young, "w") as f:
    f.write("x")
for name in (kept + ".env", kept + ".msg"):
    os.utime(os.path.join(q, name), (old, old))
c.point_at(smtprelay.Relay(script={"RCPT": "451 4.3.0 later"}))
r = c.run(["-q"])
c.relay.stop()
t.ok(c.files() == sorted([kept + ".env", kept + ".msg",
                          "BBBBBB012345.msg"]) and
     c.files("tmp") == [] and
     sum("left by an unfinished submission" in l for l in r.logs) == 2,
     "day-old leftovers swept and logged; young ones and real messages "
     "kept", (c.files(), c.files("tmp"), r.logs))

# ---- 7. async = yes through PHP mail(): at once, then sent ----
php = shutil.which("php")
relay = smtprelay.Relay(script={"greeting": "delay:2"})
c = Case(relay, mail="async = yes")
if php is None:
    t.ok(False, "php-cli is installed (scripts/deps.sh)")
else:
    start = time.monotonic()
    r = c.env.run_program(
        [php, "-d", "sendmail_path=%s -t -i" % os.path.abspath(
            smtest.SAFEMAIL), "-r",
         "exit(mail('a@example.org', 'async', 'hi') ? 0 : 1);"],
        env={"SAFEMAIL_SPOOL": c.spool})
    took = time.monotonic() - start
    t.ok(r.rc == 0 and took < 1.5,
         "async: PHP mail() returns at once (%.2f s) while the relay takes "
         "2 s to greet" % took, r)
    deadline = time.time() + 15
    while time.time() < deadline and not relay.transactions:
        time.sleep(0.1)
    time.sleep(0.3)
    t.ok(len(relay.transactions) == 1 and c.files() == [],
         "the background attempt delivers it, no queue run needed",
         (relay.transactions, c.files()))
relay.stop()

# -odi forces a synchronous try even with async = yes.
relay = smtprelay.Relay()
c = Case(relay, mail="async = yes")
r = c.run(["-odi", "a@example.org"], MSG)
t.ok(r.rc == 0 and len(relay.transactions) == 1 and c.files() == [] and
     "status=sent" in r.log_text(), "-odi: sent synchronously", r)
relay.stop()

# ---- Admin commands ----
c = Case()
c.run(["a@example.org"], MSG)
qid = c.ids()[0] if c.ids() else "000000000000"
r = c.run(["--hold", qid], argv0="safemail")
t.ok(r.rc == 0 and "flags held" in c.env_text(qid), "--hold", r)
relay = smtprelay.Relay()
c.point_at(relay)
r = c.run(["-qI" + qid])
t.ok(relay.transactions == [], "a held message is not sent", r)
r = c.run(["--release", qid], argv0="safemail")
r = c.run(["-qI" + qid])
t.ok(len(relay.transactions) == 1 and c.files() == [],
     "--release, then -qI sends it", r)
c.run(["-odq", "b@example.org"], MSG)
qid = c.ids()[0]
r = c.run(["--delete", qid], argv0="safemail")
t.ok(r.rc == 0 and c.files() == [] and "deleted by the admin" in
     r.log_text(), "--delete", r)
r = c.run(["--delete", qid], argv0="sendmail")
t.ok(r.rc != 0, "admin commands are refused under the sendmail name", r)
relay.stop()
t.done()
