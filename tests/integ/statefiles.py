"""statefiles - no state other users' mail depends on is left half-written
or obeyed when impossible, whatever limits and signal state the caller
gives the back end (issue 26, point 4), against the build:

- a caller's hard RLIMIT_FSIZE below what a spool file needs, or a tiny
  RLIMIT_NOFILE: the gate refuses with 75, one stderr line naming the
  limit, one log line, before it writes anything (the rate file is not
  cut); a tiny soft limit under a high hard one is raised and the
  message goes; the limits of an ordinary shell work;
- <spool>/run/rate-NAME holding a turn further ahead than honest senders
  can reserve, or not a record: logged and not obeyed;
- count-UID holding counts no gate could write: logged, not obeyed;
- the limit_notify notice is marked sent only once it is queued: a
  notice that could not be queued is queued by the next message over the
  limit;
- SIGCHLD ignored by the caller: the message is sent once and the
  caller gets 0 (sendmail and -bs).
The same attacks as the web user on an installed copy: trust_state.py."""
# debian: python3
import os
import resource
import signal
import socket
import tempfile
import time

import gateclient
import smtest
import smtprelay

t = smtest.Tap()
MSG = b"To: a@example.org\nSubject: state\n\nbody\n"
HOUR = 1796547600  # a clock hour (SAFEMAIL_TEST_NOW)
GATE = os.path.join(smtest.LIBEXEC, "safemail-gate")
relay = smtprelay.Relay()


def case(smtp="", extra="", mail=""):
    spool = tempfile.mkdtemp(prefix="safemail-state-")
    os.chmod(spool, 0o750)
    env = smtest.Env(smtest.relay_config(relay.port, smtp=smtp, mail=mail)
                     .replace("[aliases]", extra + "\n[aliases]"))
    return env, spool


def send(env, spool, args=("-i", "a@example.org"), at=None, **kw):
    e = {"SAFEMAIL_SPOOL": spool}
    if at is not None:
        e["SAFEMAIL_TEST_NOW"] = str(at)
    return env.run(list(args), stdin=MSG, env=e, **kw)


def direct(env, spool, **kw):
    """A caller that starts the gate itself with the limits it likes;
    (exit code, stderr, log lines)."""
    path = os.path.join(env.dir, "direct.sock")
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    genv = {"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": env.config,
            "SAFEMAIL_SPOOL": spool, "SAFEMAIL_LOG_SOCKET": path,
            "SAFEMAIL_LIBEXEC": smtest.LIBEXEC,
            "SAFEMAIL_QUEUE_USER": "root"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            genv[k] = os.environ[k]
    code, err = gateclient.submit(GATE, "shop@store.example.com",
                                  "a@example.org", genv, **kw)
    time.sleep(0.3)  # a relay client that stayed logs after the answer
    logs = smtest.drain(sock)
    sock.close()
    return code, err, logs


def sent():
    return len(relay.transactions)


def rate_file(spool):
    return os.path.join(spool, "run", "rate-smtp")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def now_ms():
    """The clock the rate keeps (src/lib/clock.c: CLOCK_MONOTONIC)."""
    return int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1000)


def plausible_record(data, ahead_s=5):
    return (len(data) == 16 and data[:15].isdigit() and
            data.endswith(b"\n") and
            int(data[:15]) <= now_ms() + ahead_s * 1000)


# ---- 1. a tiny RLIMIT_FSIZE and the rate file (rate = 60: 1 s apart) ----
env, spool = case(smtp="rate = 60\nlinger = 0")
r = send(env, spool)
t.ok(r.rc == 0 and os.path.exists(rate_file(spool)),
     "rate = 60: a message sent, rate-smtp made", r)


def arm_cut(spool, digits):
    """Old low digits that a write cut after `digits` bytes would keep:
    all nines, the new value's low part small enough that the garbled
    turn lands 40 s or more ahead of the real one."""
    cycle = 10 ** (15 - digits)
    while (now_ms() + 1000) % cycle > cycle - 40000 - 1000:
        time.sleep(0.2)
    with open(rate_file(spool), "r+b") as f:
        f.write(b"%015d\n" % (cycle - 1))


for fsize, what in (((10, 10), "soft and hard"),
                    ((10, resource.RLIM_INFINITY), "soft only")):
    arm_cut(spool, 10)
    base = sent()
    code, err, logs = direct(env, spool, fsize=fsize)
    rec = read(rate_file(spool))
    if fsize[1] == 10:
        t.ok(code == 75 and err.count("\n") == 1 and
             "RLIMIT_FSIZE" in err and "raise the hard limit" in err and
             sent() == base and
             any("RLIMIT_FSIZE" in l for l in logs),
             "a caller's hard RLIMIT_FSIZE of 10 bytes: the gate refuses "
             "(75), one stderr line naming the limit, a log line, nothing "
             "sent", (code, err, logs))
    else:
        t.ok(code == 0 and sent() == base + 1,
             "a soft RLIMIT_FSIZE of 10 bytes under an unlimited hard "
             "one: raised by the back end, the message is sent",
             (code, err, logs))
    t.ok(plausible_record(rec),
         "RLIMIT_FSIZE of 10 bytes (%s): rate-smtp holds a whole record, "
         "no new high digits on old low ones" % what, rec)
    base = sent()
    start = time.monotonic()
    r = send(env, spool)
    t.ok(r.rc == 0 and sent() == base + 1 and
         time.monotonic() - start < 4.5 and
         not any("over the rate" in l for l in r.logs),
         "the next sender's message (%s) is sent at once, not held back "
         "by the attack" % what, (r, rec))

# Typical shell limits (soft below hard) work, and a caller's hard limits
# below what the gate needs are refused before anything is written.
base = sent()


def shell_limits():
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 4096))
    resource.setrlimit(resource.RLIMIT_STACK, (8 << 20, 8 << 20))


r = send(env, spool, preexec_fn=shell_limits)
t.ok(r.rc == 0 and r.err == "" and sent() == base + 1,
     "an ordinary shell's limits (open files 1024 of 4096, an 8 MiB "
     "stack, the rest unlimited): sent", r)
env2, spool2 = case(mail="max_message_size = 100000")


def fsize_hard(n):
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))


r = send(env2, spool2, preexec_fn=fsize_hard(1 << 20))
t.ok(r.rc == 75 and r.err.count("\n") == 1 and
     "file size limit (RLIMIT_FSIZE, ulimit -f) of 1048576 bytes" in r.err
     and any("RLIMIT_FSIZE" in l for l in r.logs) and sent() == base + 1,
     "a hard RLIMIT_FSIZE of 1 MiB, below max_message_size and an "
     "envelope: 75, one line naming the limit, logged", r)
r = send(env2, spool2, preexec_fn=fsize_hard(64 << 20))
t.ok(r.rc == 0 and sent() == base + 2,
     "a hard RLIMIT_FSIZE of 64 MiB: enough for that max_message_size, "
     "sent", r)
r = send(env2, spool2, preexec_fn=lambda: resource.setrlimit(
    resource.RLIMIT_NOFILE, (32, 32)))
t.ok(r.rc == 75 and "open files limit (RLIMIT_NOFILE, ulimit -n) of 32"
     in r.err and r.err.count("\n") == 1 and sent() == base + 2,
     "a hard RLIMIT_NOFILE of 32: 75, one line naming the limit", r)

# ---- 2. rate-smtp: an impossible turn, or no record, is not obeyed ----
with open(rate_file(spool), "wb") as f:
    f.write(b"%015d\n" % (now_ms() + 20 * 60 * 1000))
base = sent()
start = time.monotonic()
r = send(env, spool)
t.ok(r.rc == 0 and sent() == base + 1 and time.monotonic() - start < 4.5
     and any("rate-smtp: a turn" in l and "ignored" in l for l in r.logs),
     "rate-smtp holding a turn 20 minutes ahead (rate = 60 allows 93 s): "
     "logged, not obeyed, the message is sent", r)
t.ok(plausible_record(read(rate_file(spool))),
     "and a good record replaces it", read(rate_file(spool)))
with open(rate_file(spool), "wb") as f:
    f.write(b"0017650abc\n")
r = send(env, spool)
t.ok(r.rc == 0 and sent() == base + 2 and
     any("rate-smtp: not a rate record" in l for l in r.logs),
     "rate-smtp holding no record: logged, the message is sent", r)

# ---- 3. count-UID: counts no gate could write are not obeyed ----
env, spool = case(smtp="linger = 0", extra="[limits]\nuid.0 = 2/hour\n"
                  "limit_notify = postmaster@example.com")
base = sent()
r = send(env, spool, at=HOUR + 60)
count = os.path.join(spool, "run", "count-0")
h, d = HOUR // 3600, HOUR // 86400
with open(count, "wb") as f:
    # 9 in the hour, 1 in the day: no gate writes that
    f.write(b"safemail-limits 1\nhour %012d %012d %012d\n"
            b"day %012d %012d %012d\nnotified %012d %012d\n"
            % (h, 9, 9, d, 1, 1, 0, 0))
r = send(env, spool, at=HOUR + 61)
t.ok(r.rc == 0 and sent() == base + 2 and
     any("count-0: counts no gate could have written" in l
         for l in r.logs),
     "count-0 holding more in the hour than in the day: logged, counted "
     "from 0, the message is sent", r)

# ---- 4. the notice is marked only once it is queued ----
env, spool = case(smtp="linger = 0", extra="[limits]\nuid.0 = 2/hour\n"
                  "limit_notify = postmaster@example.com")
count = os.path.join(spool, "run", "count-0")
r = send(env, spool, at=HOUR + 61)
r = send(env, spool, at=HOUR + 62)  # the second of 2/hour
tmp = os.path.join(spool, "tmp")
had_tmp = os.path.isdir(tmp)
if had_tmp:
    os.rename(tmp, tmp + ".away")
open(tmp, "w").close()  # no spool file can be made: the notice fails
r1 = send(env, spool, at=HOUR + 63)
os.unlink(tmp)
if had_tmp:
    os.rename(tmp + ".away", tmp)
r2 = send(env, spool, at=HOUR + 64)
r3 = send(env, spool, at=HOUR + 65)
t.ok(r1.rc == 75 and
     any("cannot queue the limit notice" in l for l in r1.logs),
     "over the limit while the notice cannot be queued: 75, logged", r1)
t.ok(r2.rc == 75 and
     any("limit notice to <postmaster@example.com> queued" in l
         for l in r2.logs),
     "the next message over the limit queues the notice (it was not "
     "marked sent)", (r2.logs, read(count)))
t.ok(r3.rc == 75 and not any("limit notice" in l for l in r3.logs),
     "and only once", r3.logs)

# ---- 5. SIGCHLD ignored by the caller ----
env, spool = case()


def ignore_sigchld():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)


for smtp, what in (("linger = 0", "the gate execs the relay client"),
                   ("linger = 2", "the gate waits for its relay client")):
    env.write_config(smtest.relay_config(relay.port, smtp=smtp))
    base = sent()
    r = send(env, spool, preexec_fn=ignore_sigchld)
    time.sleep(0.5)
    t.ok(r.rc == 0 and r.err == "" and sent() == base + 1,
         "SIGCHLD ignored by the caller (%s): exit 0, sent once" % what,
         (r, sent() - base))
    base = sent()
    r = env.run(["-bs"], stdin=b"HELO x\r\nMAIL FROM:<shop@store.example."
                b"com>\r\nRCPT TO:<a@example.org>\r\nDATA\r\nSubject: bs\r"
                b"\n\r\nbody\r\n.\r\nQUIT\r\n",
                env={"SAFEMAIL_SPOOL": spool}, preexec_fn=ignore_sigchld)
    time.sleep(0.5)
    t.ok(r.rc == 0 and "\r\n250 " in r.out.split("354", 1)[-1] and
         sent() == base + 1,
         "and -bs: 250 after DATA, sent once (%s)" % what,
         (r, sent() - base))
    base = sent()
    code, err, logs = direct(env, spool, sigchld_ign=True)
    time.sleep(0.5)
    t.ok(code == 0 and sent() == base + 1,
         "a caller that starts the gate itself with SIGCHLD ignored: 0, "
         "sent once (%s)" % what, (code, err, logs))
relay.stop()
t.done()
