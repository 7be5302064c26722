"""trust_state - issue 26, point 4, on an installed copy (instcopy.py) as
the unprivileged web user: nothing the caller sets up (resource limits,
signal state) leaves state other users' mail depends on half-written.

1. The web user starts the set-ID gate itself (gateclient.py) with a
   10-byte RLIMIT_FSIZE and SIGXFSZ ignored, sending through a relay
   section with `rate`: before the fix the relay client's pwrite of
   run/rate-smtp was cut after 10 bytes, new high digits on old low ones,
   and root's next message was held back (deferred "over the rate").
   Now a hard limit that low is refused (75) and a soft one is raised:
   the file holds a whole record and root's message goes at once.
2. The same with RLIMIT_FSIZE of 200 bytes over its [limits] rule with
   limit_notify: before, the gate marked the hour's notice sent in
   count-UID and then failed to write the notice; no notice ever came.
   Now the notice is queued by the web user's next message over the
   limit, once.
3. The web user with SIGCHLD ignored (a C wrapper, so no runtime resets
   it) sends one message: exit 0, delivered exactly once (before: 70
   after the relay had sent it, and a caller that retries sends it
   twice); with sendmail, -bs and a caller that starts the gate itself.
"""
# debian: python3
import os
import time

import gateclient
import instcopy
import smtest

t = smtest.Tap()
c = instcopy.install(t)
MSG = b"To: a@example.org\nSubject: state\n\nbody\n"
RATE = os.path.join(c.RUN, "rate-smtp")
GATE_ENV = {"PATH": "/usr/bin:/bin"}


def sent():
    return len(c.relay.transactions)


def now_ms():
    """The rate's clock (src/lib/clock.c: CLOCK_MONOTONIC)."""
    return int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1000)


def whole_record(data):
    return (len(data) == 16 and data[:15].isdigit() and
            data.endswith(b"\n") and int(data[:15]) <= now_ms() + 5000)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def web_direct(**kw):
    return gateclient.submit(c.GATE, "shop@store.example.com",
                             "a@example.org", GATE_ENV,
                             wrap=c.web_cmd([]), **kw)


# ---- 1. a tiny RLIMIT_FSIZE against run/rate-smtp ----
c.write_conf(smtp_extra=instcopy.PLAIN + "\nrate = 60\nlinger = 0")
rc, out, err = c.as_web([c.SENDMAIL, "-i", "a@example.org"], MSG)
t.ok(rc == 0 and os.path.exists(RATE),
     "rate = 60: the web user's message is sent, run/rate-smtp made",
     (rc, err))


def arm_cut():
    """Old low digits (all nines) that a write cut after 10 bytes keeps,
    at a moment when they put the garbled turn 40 s or more ahead."""
    while (now_ms() + 1000) % 100000 > 100000 - 41000:
        time.sleep(0.2)
    with open(RATE, "r+b") as f:
        f.write(b"%015d\n" % 99999)


for fsize, what in (((10, 10), "hard"), ((10, -1), "soft")):
    arm_cut()
    base = sent()
    code, err = web_direct(fsize=fsize)
    rec = read(RATE)
    if what == "hard":
        t.ok(code == 75 and "RLIMIT_FSIZE" in err and
             err.count("safemail:") == 1 and sent() == base,
             "the web user starts the gate with a hard RLIMIT_FSIZE of 10 "
             "bytes: refused (75), one line naming the limit, nothing "
             "sent", (code, err))
    else:
        t.ok(code == 0 and sent() == base + 1,
             "with a soft RLIMIT_FSIZE of 10 bytes (hard unlimited): "
             "raised by the gate, the message is sent", (code, err))
    t.ok(whole_record(rec),
         "RLIMIT_FSIZE of 10 bytes (%s): run/rate-smtp holds a whole "
         "record, no turn minutes ahead" % what, rec)
    base, n = sent(), len(c.LOGS)
    start = time.monotonic()
    rc, out, err = c.as_root([c.SENDMAIL, "-i", "b@example.org"], MSG)
    took = time.monotonic() - start
    t.ok(rc == 0 and sent() == base + 1 and took < 4.5 and
         "over the rate" not in c.logs_since(n),
         "root's next message goes at once (%.1f s), not held back by "
         "the web user's limits (%s)" % (took, what),
         (rc, err, c.logs_since(n), rec))

# ---- 2. the limit_notify notice and its mark in count-UID ----
c.write_conf(smtp_extra=instcopy.PLAIN + "\nlinger = 0",
             extra="[limits]\nuser.%s = 1/hour\n"
                   "limit_notify = postmaster@example.com" % instcopy.WEB_USER)


def notices():
    q = os.path.join(c.SPOOL, "q")
    found = 0
    for name in os.listdir(q) if os.path.isdir(q) else []:
        if name.endswith(".env") and \
                b"postmaster@example.com" in read(os.path.join(q, name)):
            found += 1
    return found


before = notices()
rc, out, err = c.as_web([c.SENDMAIL, "-i", "a@example.org"], MSG)
t.ok(rc == 0, "[limits] user.smweb = 1/hour: the first message is sent",
     (rc, err))
code, err = web_direct(fsize=(200, 200))
t.ok(code == 75, "over the limit with a hard RLIMIT_FSIZE of 200 bytes: "
     "75", (code, err))
rc, out, err = c.as_web([c.SENDMAIL, "-i", "a@example.org"], MSG)
t.ok(rc == 75 and notices() == before + 1,
     "the next message over the limit: the notice to limit_notify is "
     "queued (the caller's limits did not mark it sent unqueued)",
     (rc, err, notices() - before))
code, err = web_direct(fsize=(200, -1))
rc, out, err = c.as_web([c.SENDMAIL, "-i", "a@example.org"], MSG)
t.ok(code == 75 and rc == 75 and notices() == before + 1,
     "and once only, whatever soft limit the caller sets",
     (code, rc, notices() - before))

# ---- 3. SIGCHLD ignored by the web user ----
wrapper = c.compile_web_tool("sigchld_ign", r"""
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	if (argc < 2 || signal(SIGCHLD, SIG_IGN) == SIG_ERR)
		return 64;
	execv(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
""")
BS = (b"EHLO c\r\nMAIL FROM:<shop@store.example.com>\r\n"
      b"RCPT TO:<a@example.org>\r\nDATA\r\nSubject: bs\r\n\r\nbody\r\n.\r\n"
      b"QUIT\r\n")
for linger in (0, 2):
    c.write_conf(smtp_extra=instcopy.PLAIN + "\nlinger = %d" % linger)
    base = sent()
    rc, out, err = c.as_web([wrapper, c.SENDMAIL, "-i", "a@example.org"],
                            MSG)
    time.sleep(1)
    t.ok(rc == 0 and err == b"" and sent() == base + 1,
         "the web user with SIGCHLD ignored (linger = %d): exit 0, the "
         "message delivered exactly once" % linger,
         (rc, err, sent() - base))
    base = sent()
    rc, out, err = c.as_web([wrapper, c.SENDMAIL, "-bs"], BS)
    time.sleep(1)
    t.ok(rc == 0 and b"\r\n250 " in out.split(b"354", 1)[-1] and
         sent() == base + 1,
         "and -bs (linger = %d): 250 after DATA, delivered once" % linger,
         (rc, out, err, sent() - base))
    base = sent()
    code, err = web_direct(sigchld_ign=True)
    time.sleep(1)
    t.ok(code == 0 and sent() == base + 1,
         "and starting the gate itself with SIGCHLD ignored (linger = %d): "
         "0, delivered once" % linger, (code, err, sent() - base))
t.done()
