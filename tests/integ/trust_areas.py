"""trust_areas - the spool's areas are never made by a caller (issue 26,
point 5), shown on an installed copy by the web user.

Before: when <spool>/run (or q, tmp, failed, corrupt) was missing, the web
user's set-ID gate or its relay client made it, owned by the web user,
who could then remove its own [limits] count and send past its limit (and
read the OAuth2 token cache). Admins do clear run/.

Here root removes an area, or makes it wrong (0777, the web user's), and
the web user sends, sync and async (-odq) and through -bs: each time 75
(its mail() returns false: it keeps the message), one stderr line and one
log line that name the area and the fix, nothing sent, nothing made in the
spool by the web user. A [limits] rule is not escaped by removing its
count. Then root's queue run, or safemail --check --repair, restores the
areas (root's or the queue user's, the group safemail, 0770) and the web
user's mail goes again.
"""
import os
import shutil
import stat
import time

import instcopy
import smtest

t = smtest.Tap()
c = instcopy.install(t)
WEB = c.WEB.pw_uid
MSG = (b"From: shop@store.example.com\nTo: a@example.org\n"
       b"Subject: areas\n\nhello\n")
AREAS = ("q", "tmp", "failed", "corrupt", "run")
COUNTS = os.path.join(c.RUN, "count-%d" % WEB)
OWN_GATE = os.path.join(c.SPOOL, "gate", str(WEB))
NOLINGER = instcopy.PLAIN + "\nlinger = 0"
LIMITS = "[limits]\nuser.%s = 2/hour, defer\n" % instcopy.WEB_USER


def snapshot():
    """Every path in the spool (its own gate directory aside, which is
    the web user's to make), with its owner."""
    seen = {}
    for top, dirs, files in os.walk(c.SPOOL):
        for n in dirs + files:
            p = os.path.join(top, n)
            if p == OWN_GATE or p.startswith(OWN_GATE + "/"):
                continue
            try:
                seen[p] = os.lstat(p).st_uid
            except FileNotFoundError:
                pass
    return seen


def web_made(before):
    """What the web user owns in the spool that it did not own before."""
    now = snapshot()
    return sorted(p for p, uid in now.items() if uid == WEB and
                  before.get(p) != WEB)


def send(*args, stdin=MSG):
    return c.as_web([c.SENDMAIL] + list(args), stdin)


def one_line(err):
    return len(err.decode(errors="replace").strip().splitlines()) == 1


def logged(n, *words):
    """A log line since n with every word (skipped where a syslog
    daemon has /dev/log: nothing is captured then)."""
    if not c.own_devlog:
        return True
    deadline = time.time() + 3  # the drain thread may not have it yet
    while True:
        if any(all(w in line for w in words) for line in c.LOGS[n:]):
            return True
        if time.time() > deadline:
            return False
        time.sleep(0.05)


def refused(what, area, args=("-t", "-i"), why=""):
    """The web user sends: 75, one stderr line and a log line naming the
    area and the fix, nothing sent, nothing made in the spool."""
    before, n, sent = snapshot(), len(c.LOGS), len(c.relay.transactions)
    rc, out, err = send(*args)
    where = "%s/%s" % (c.SPOOL, area)
    t.ok(rc == 75 and one_line(err) and where.encode() in err and
         why.encode() in err and b"safemail --check --repair" in err,
         "%s: exit 75, one stderr line naming %s and the fix" % (what, area),
         (rc, err))
    t.ok(logged(n, where, "--repair") and
         len(c.relay.transactions) == sent,
         "%s: a log line says so, and the relay got nothing" % what,
         (c.logs_since(n)[-600:], len(c.relay.transactions) - sent))
    made = web_made(before)
    t.ok(made == [], "%s: the web user made nothing in the spool" % what,
         made)


def area_ok(area, owners=(0,)):
    st = os.lstat(os.path.join(c.SPOOL, area))
    return (stat.S_ISDIR(st.st_mode) and st.st_uid in owners and
            st.st_gid == c.GID and (st.st_mode & 0o7777) == 0o770)


def goes(what, *args):
    args = args or ("-t", "-i")
    sent = len(c.relay.transactions)
    rc, out, err = send(*args)
    t.ok(rc == 0 and err == b"" and len(c.relay.transactions) == sent + 1,
         what, (rc, err))


t.ok(all(area_ok(a) for a in AREAS),
     "make install made every area root:safemail 0770",
     [oct(os.lstat(os.path.join(c.SPOOL, a)).st_mode) for a in AREAS])

# ---- 1. run/ removed by the admin (default linger: before, the relay
# client made it, the web user's, to wait in)
shutil.rmtree(c.RUN)
refused("run/ removed, sync", "run", why="missing")
refused("run/ removed, async (-odq)", "run", ("-odq", "-t", "-i"), "missing")
n = len(c.LOGS)
rc, out, err = send("-bs", stdin=b"EHLO c\r\nMAIL FROM:<shop@store.example."
                    b"com>\r\nRCPT TO:<a@example.org>\r\nDATA\r\nSubject: "
                    b"bs\r\n\r\nx\r\n.\r\nQUIT\r\n")
t.ok(b"451 4.3.0 spool area " + c.RUN.encode() in out and
     b"250 2.0.0 Ok" not in out and not os.path.exists(c.RUN),
     "run/ removed, -bs: 451 after DATA naming the area, nothing made",
     out[-400:])

# ---- 2. a [limits] rule cannot be escaped: the web user never owns
# run/, so it removes no count
c.write_conf(smtp_extra=NOLINGER, extra=LIMITS)
sent = len(c.relay.transactions)
rcs = []
for _ in range(4):
    rcs.append(send("-t", "-i")[0])
    c.as_web(["rm", "-f", COUNTS])
t.ok(len(c.relay.transactions) == sent and rcs == [75] * 4 and
     not os.path.exists(c.RUN),
     "[limits] with run/ missing: every message refused (75), none sent, "
     "run/ not made (counting is never skipped)", (rcs, len(c.relay.transactions) - sent))
rc, out, err = c.as_root([c.SBIN, "--check", "--repair"])
t.ok(b"repaired " + c.RUN.encode() in out and area_ok("run"),
     "safemail --check --repair (root) makes run/ again, root:safemail 0770",
     (rc, out, err))
sent = len(c.relay.transactions)
rcs, rms = [], []
for _ in range(4):
    rcs.append(send("-t", "-i")[0])
    rms.append(c.as_web(["rm", "-f", COUNTS])[0])
t.ok(rcs == [0, 0, 75, 75] and len(c.relay.transactions) == sent + 2 and
     all(r != 0 for r in rms) and os.path.exists(COUNTS),
     "then the limit holds: 2 sent, the rest 75; the web user's rm of its "
     "count fails every time", (rcs, rms, len(c.relay.transactions) - sent))

# ---- 3. run/ there but wrong
c.write_conf(smtp_extra=NOLINGER)
os.chmod(c.RUN, 0o777)
refused("run/ 0777", "run", why="open to others")
os.chmod(c.RUN, 0o770)
os.chown(c.RUN, WEB, c.GID)
refused("run/ the web user's", "run", why="owned by uid %d" % WEB)
os.chown(c.RUN, 0, c.WEB.pw_gid)
refused("run/ of the web user's group", "run", why="of group")
os.chown(c.RUN, 0, c.GID)
os.chmod(c.RUN, 0o750)
refused("run/ closed to the group", "run", why="closed to its group")
os.rename(c.RUN, c.RUN + ".real")
os.symlink(c.RUN + ".real", c.RUN)
refused("run/ a symbolic link", "run", why="symbolic link")
os.unlink(c.RUN)
os.rename(c.RUN + ".real", c.RUN)
os.chown(c.RUN, WEB, c.WEB.pw_gid)
os.chmod(c.RUN, 0o777)
rc, out, err = c.as_web([c.SBIN, "--check", "--repair"])
st = os.lstat(c.RUN)
t.ok(rc == 77 and b"repaired" not in out and st.st_uid == WEB and
     (st.st_mode & 0o777) == 0o777,
     "the web user's own --check --repair is refused (77), nothing changed",
     (rc, out, err))
rc, out, err = c.as_root([c.SBIN, "--check", "--repair"])
t.ok(b"repaired " + c.RUN.encode() in out and area_ok("run"),
     "safemail --check --repair gives run/ back to root:safemail 0770",
     (rc, out, err))
goes("and the web user's mail goes again")

# ---- 4. q/ and tmp/ removed
for area in ("q", "tmp"):
    shutil.rmtree(os.path.join(c.SPOOL, area))
    refused("%s/ removed, async (-odq)" % area, area,
            ("-odq", "-t", "-i"), "missing")
    refused("%s/ removed, sync" % area, area, why="missing")
    rc, out, err = c.as_root([c.SBIN, "-q"])
    t.ok(rc == 0 and area_ok(area, (0, c.QUEUE_UID)),
         "root's queue run makes %s/ again (the queue user's, group "
         "safemail, 0770)" % area,
         (rc, err, oct(os.lstat(os.path.join(c.SPOOL, area)).st_mode)
          if os.path.lexists(os.path.join(c.SPOOL, area)) else None))
    goes("and the web user's mail goes again (%s/)" % area)
sent = len(c.relay.transactions)
rc, out, err = send("-odq", "-t", "-i")
rc2, out2, err2 = c.as_root([c.SBIN, "-q"])
t.ok(rc == 0 and rc2 == 0 and len(c.relay.transactions) == sent + 1,
     "queued by the web user, sent by root's queue run", (rc, err, rc2, err2))
t.done()
