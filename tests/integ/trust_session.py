"""trust_session - what the red team of issue 26 found past the first
fixes, attacked as the web user on an installed copy with the real modes:

1. disable = yes binds a caller that speaks to the gate itself (it
   bound only the front end): nothing is sent or queued;
2. a session opened before the admin tightened the configuration (-bs)
   is bound by the change from its next message on;
3. a configuration error names no text of the line that could be a
   wrapped or undelimited secret (the message reaches every caller);
4. a second safemail hop of this host in any spelling is refused;
5. the [limits] notice is not listed to the caller it reports on;
6. parallel submissions cannot pass the per-user queue quota (the count
   and the commit are one step under the uid's lock).
"""
# debian: python3-aiosmtpd
import os
import socket
import subprocess
import threading
import time

import instcopy
import smprobe
import smtest

t = smtest.Tap()
c = instcopy.install(t)
HOST = socket.gethostname()
SECRET = instcopy.SECRET
MSG = b"To: a@example.org\nSubject: hi\n\nbody\n"
Q = os.path.join(c.SPOOL, "q")


def queued():
    return sorted(os.listdir(Q))


# ---- 1. disable = yes, the gate spoken to directly ----
c.write_conf(mail_extra="disable = yes")
sent, before, logs = len(c.relay.transactions), queued(), len(c.LOGS)
rc, out, err = c.as_web([c.SENDMAIL, "-t", "-i"], MSG)
t.ok(rc == 0 and len(c.relay.transactions) == sent,
     "disable = yes: sendmail reads, logs and discards", (rc, err))
res = smprobe.talk_to_gate(c.GATE, c.WEB, [("now", "", True),
                                           ("queued", "request=Qxd", True)],
                           SECRET)
time.sleep(1)
codes = {k: v[0] for k, v in res["results"].items()}
t.ok(codes == {"now": 0, "queued": 0} and
     len(c.relay.transactions) == sent and queued() == before,
     "disable = yes: a caller that speaks to the gate itself, sending now "
     "or queueing, gets nothing sent and nothing queued",
     (res, len(c.relay.transactions) - sent, queued()))
t.ok(c.logs_since(logs).count("status=discarded (disable = yes)") >= 3,
     "each discarded message is logged", c.logs_since(logs))

# ---- 2. a -bs session opened before the admin's change ----
c.write_conf()


def reply(p):
    lines = []
    while True:
        line = p.stdout.readline()
        lines.append(line)
        if not line or (len(line) >= 4 and line[3:4] == b" "):
            return b"".join(lines)


def transaction(p, subject):
    for cmd in (b"MAIL FROM:<shop@store.example.com>", b"RCPT TO:<a@example.org>",
                b"DATA"):
        p.stdin.write(cmd + b"\r\n")
        p.stdin.flush()
        r = reply(p)
        if not r.startswith((b"250", b"354")):
            return r
    p.stdin.write(b"Subject: " + subject + b"\r\n\r\n" + b"x" * 200 +
                  b"\r\n.\r\n")
    p.stdin.flush()
    return reply(p)


sent = len(c.relay.transactions)
p = c.as_web([c.SENDMAIL, "-bs"], wait=False)
greeting = reply(p)
p.stdin.write(b"EHLO web\r\n")
p.stdin.flush()
reply(p)
first = transaction(p, b"before")
c.write_conf(mail_extra="max_message_size = 10")
time.sleep(0.05)
second = transaction(p, b"after")
p.stdin.write(b"QUIT\r\n")
p.stdin.flush()
p.communicate(timeout=30)
# the locked-down gate reads no file but the spool (issue 29): it refuses
# the next message with a temporary failure instead of reading the change
t.ok(first.startswith(b"250") and second.startswith(b"451") and
     b"changed during this session: connect again" in second and
     len(c.relay.transactions) == sent + 1,
     "-bs: the admin lowers max_message_size during the web user's "
     "session; its next message is refused by the gate (451: connect "
     "again, the new file binds)",
     (greeting, first, second, len(c.relay.transactions) - sent))
c.write_conf()

# ---- 3. a configuration error names no secret ----
for name, line in (
        ("a wrapped value", "password =\n  " + SECRET),
        ("no delimiter", "password " + SECRET),
        ("quoted, no delimiter", 'password "%s"' % SECRET),
        ("a secret before '='", SECRET + " = x\npassword = y")):
    c.write_conf(secret_line=line)
    rc, out, err = c.as_web([c.SENDMAIL, "-t", "-i"], MSG)
    t.ok(rc == 78 and SECRET.encode() not in out + err and
         SECRET[:10].encode() not in err and b"safemail.ini:" in err,
         "a configuration error (%s): 78, the file and line named, no part "
         "of the secret shown to the caller" % name, (rc, err))
c.write_conf()

# ---- 4. a second safemail hop of this host, in any spelling ----
trace = "Received: by %s (safemail, from userid %d)\r\n" % (HOST, c.WEB.pw_uid)
cases = []
for i, hop in enumerate((
        "Received: by  %s (safemail, from userid 0)",
        "Received: by\t%s (safemail, from userid 0)",
        "Received: by %s\r\n (safemail, from userid 0)",
        "Received: from %s by %s (safemail, from userid 0)",
        "Received: by %s. (safemail, from userid 0)")):
    text = hop.replace("%s", HOST)
    cases.append(("hop%d" % i, "", True,
                  trace + text + "\r\nSubject: hop\r\n\r\nbody\r\n"))
sent = len(c.relay.transactions)
res = smprobe.talk_to_gate(c.GATE, c.WEB, cases, SECRET)
codes = {k: v[0] for k, v in res["results"].items()}
t.ok(set(codes.values()) == {65} and len(codes) == 5 and
     len(c.relay.transactions) == sent,
     "a forged second trace field of this host (two spaces, a tab, "
     "folded, from HOST by HOST, HOST.): refused 65, nothing sent", codes)

# ---- 5. the limit notice is the admin's, not listed to the caller ----
c.write_conf(smtp_extra=instcopy.PLAIN + "\nlinger = 0",
             extra="[limits]\nuser.%s = 1/hour\n"
                   "limit_notify = hidden-admin@corp.example"
                   % instcopy.WEB_USER)
for _ in range(2):
    rc, out, err = c.as_web([c.SENDMAIL, "-i", "a@example.org"], MSG)
envs = [n for n in queued() if n.endswith(".env")]
notice = [n for n in envs
          if b"hidden-admin@corp.example" in open(os.path.join(Q, n),
                                                   "rb").read()]
rc, out, err = c.as_web([c.MAILQ])
root_q = subprocess.run([c.MAILQ], capture_output=True,
                        env={"PATH": "/usr/bin:/bin"})
t.ok(len(notice) == 1 and b"hidden-admin" not in out and
     b"hidden-admin" in root_q.stdout,
     "the [limits] notice is queued, and listed to root but not to the web "
     "user it reports on", (notice, out, root_q.stdout[-300:]))

# ---- 6. the queue quota, 30 submissions at the same moment ----
for name in os.listdir(Q):
    os.unlink(os.path.join(Q, name))
c.write_conf(smtp_extra=instcopy.PLAIN + "\nlinger = 0",
             extra="[queue]\nmax_queued_messages = 5\n")
codes = []


def submit():
    r = smprobe.talk_to_gate(c.GATE, c.WEB, [("q", "request=Qx-", True)],
                             SECRET)
    codes.append(r["results"]["q"][0])


threads = [threading.Thread(target=submit) for _ in range(30)]
for th in threads:
    th.start()
for th in threads:
    th.join()
mine = [n for n in os.listdir(Q) if n.endswith(".msg") and
        os.stat(os.path.join(Q, n)).st_uid == c.WEB.pw_uid]
t.ok(len(mine) == 5 and codes.count(0) == 5 and codes.count(75) == 25,
     "30 parallel submissions under max_queued_messages = 5: exactly 5 "
     "queued, the rest 75 (%d queued)" % len(mine), sorted(codes))
t.done()
