"""linger - [smtp] linger: the relay client that stays loaded after a
message serves the next message of the same user under the same
configuration, with the caller's exit code and standard error; it lets go
of its caller, ends when idle, when the configuration changes, or at
linger = 0; it takes nobody else's connection; a message it took and
never answered for is queued, not lost."""
import os
import re
import signal
import socket
import threading
import time

import smtest
import smtprelay

t = smtest.Tap()
UID = os.getuid()


def msg(subject):
    return ("To: a@example.org\nSubject: %s\n\nbody\n" % subject).encode()


class Case:
    """A relay, a config with linger, and a spool of its own."""

    def __init__(self, linger=5):
        self.relay = smtprelay.Relay()
        self.env = smtest.Env(self.config(linger))
        self.spool = os.path.join(self.env.dir, "spool")
        os.mkdir(self.spool, 0o750)
        self.run_dir = os.path.join(self.spool, "run")

    def config(self, linger):
        return smtest.relay_config(self.relay.port,
                                   smtp="linger = %d" % linger)

    def send(self, args, stdin):
        return self.env.run(args, stdin=stdin,
                            env={"SAFEMAIL_SPOOL": self.spool})

    def sockets(self):
        if not os.path.isdir(self.run_dir):
            return []
        return sorted(n for n in os.listdir(self.run_dir)
                      if not n.startswith("."))

    def queued(self):
        q = os.path.join(self.spool, "q")
        return sorted(os.listdir(q)) if os.path.isdir(q) else []


def sender_pid(res, what="status=sent"):
    """The pid in the log line of the process that sent (or deferred)."""
    for line in res.logs:
        m = re.search(r"safemail\[(\d+)\]: ", line)
        if m and what in line:
            return int(m.group(1))
    return None


def alive(pid):
    """Running (a zombie nobody reaped has ended too)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in "ZX"
    except (OSError, IndexError):
        return False


def ended_within(pid, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return not alive(pid)


# ---- 1. The second message goes through the client the first left ----
c = Case()
r1 = c.send(["-i", "a@example.org"], msg("first"))
p1 = sender_pid(r1)
t.ok(r1.rc == 0 and r1.err == "" and len(c.relay.transactions) == 1,
     "first message: sent, exit 0, stderr silent", r1)
t.ok(p1 is not None and alive(p1),
     "the relay client that sent it is still running after the caller "
     "returned", r1)
if p1 and alive(p1):
    with open("/proc/%d/cmdline" % p1, "rb") as f:
        t.ok(b"safemail-relay\0standby" in f.read(),
             "it is safemail-relay (standby)")
    fds = [os.readlink("/proc/%d/fd/%d" % (p1, n)) for n in (0, 1, 2)]
    t.ok(fds == ["/dev/null"] * 3,
         "its standard input, output and error are /dev/null (nobody "
         "waits for it)", fds)
    t.ok(os.getsid(p1) == p1, "it has a session of its own",
         os.getsid(p1))
    kept = [os.readlink("/proc/%d/fd/%s" % (p1, n))
            for n in os.listdir("/proc/%d/fd" % p1)]
    t.ok(all(k == "/dev/null" or k.startswith("socket:") for k in kept),
         "it keeps nothing of the caller's open (no pipe, no file)", kept)
socks = c.sockets()
t.ok(len(socks) == 1 and re.fullmatch(r"relay\.%d\.[0-9a-f]{16}" % UID,
                                      socks[0]) is not None,
     "it waits on the user's socket in <spool>/run", socks)
st = os.stat(c.run_dir)
t.ok(st.st_mode & 0o777 == 0o770, "<spool>/run is 0770",
     oct(st.st_mode))

r2 = c.send(["-i", "a@example.org"], msg("second"))
t.ok(r2.rc == 0 and r2.err == "" and len(c.relay.transactions) == 2 and
     b"Subject: second" in c.relay.transactions[1].data,
     "second message: sent, exit 0, stderr silent", r2)
t.ok(sender_pid(r2) == p1,
     "the second message was sent by the same relay client (no new one "
     "loaded libcurl)", (p1, r2.logs))
t.ok(len(c.relay.raw) == 2,
     "a new connection to the relay for each message", len(c.relay.raw))

# ---- 2. Failures through it: the caller's exit code and stderr line ----
cold = Case(linger=0)
cold.relay.script["RCPT:nobody@"] = "550 5.1.1 no such user"
rc_cold = cold.send(["-i", "nobody@example.org"], msg("cold"))
c.relay.script["RCPT:nobody@"] = "550 5.1.1 no such user"
r3 = c.send(["-i", "nobody@example.org"], msg("refused"))
t.ok(rc_cold.rc != 0 and r3.rc == rc_cold.rc,
     "a refused recipient: the same exit code as without linger (%d)"
     % rc_cold.rc, (rc_cold, r3))
t.ok(len(r3.err.splitlines()) == 1 and "550" in r3.err and
     r3.err == rc_cold.err,
     "and the same one line on the caller's standard error", (rc_cold, r3))
t.ok(sender_pid(r3, "status=failed") == p1,
     "sent through the lingering client", r3.logs)

c.relay.script["RCPT:later@"] = "451 4.3.0 try later"
r4 = c.send(["-i", "later@example.org"], msg("later"))
t.ok(r4.rc == 0 and r4.err == "" and len(c.queued()) > 0,
     "a temporary failure through it: queued, exit 0, stderr silent",
     (r4, c.queued()))
t.ok(sender_pid(r4, "deferred") == p1, "by the lingering client",
     r4.logs)
for name in os.listdir(os.path.join(c.spool, "q")):
    os.unlink(os.path.join(c.spool, "q", name))

# ---- 3. Nobody else's connection is taken ----
path = os.path.join(c.run_dir, c.sockets()[0]) if c.sockets() else None


def connect_as(uid, gid):
    """What a process of uid/gid gets on the socket: 'denied', 'closed'
    (accepted, then dropped without 'R'), or the first byte."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        out = b"?"
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.settimeout(5)
            s.connect(path)
            got = s.recv(1)
            out = got if got else b"closed"
        except PermissionError:
            out = b"denied"
        except Exception as e:  # noqa: BLE001
            out = repr(e).encode()
        os.write(w, out)
        os._exit(0)
    os.close(w)
    got = os.read(r, 100)
    os.close(r)
    os.waitpid(pid, 0)
    return got.decode()


if path and UID == 0:
    t.ok(connect_as(65534, 65534) == "denied",
         "another user without the spool's group cannot reach the socket")
    t.ok(connect_as(65534, 0) == "denied",
         "nor another user with the group (the socket is the user's, "
         "0700)")
    t.ok(connect_as(0, 65534) == "closed",
         "the same user without the spool's group is dropped without 'R'")
    r5 = c.send(["-i", "a@example.org"], msg("after intruders"))
    t.ok(r5.rc == 0 and sender_pid(r5) == p1,
         "the client still serves its own user afterwards", r5)
else:
    for _ in range(4):
        t.ok(True, "# SKIP credentials: needs root")

# ---- 4. A message it took and never answered for is queued ----
c.relay.script["DATA"] = "stall"
box = {}
th = threading.Thread(target=lambda: box.setdefault(
    "r", c.send(["-i", "a@example.org"], msg("killed"))))
n_raw = len(c.relay.raw)
th.start()
deadline = time.time() + 10
while time.time() < deadline and not (
        len(c.relay.raw) > n_raw and b"DATA" in bytes(c.relay.raw[-1])):
    time.sleep(0.01)
os.kill(p1, signal.SIGKILL)
th.join(30)
r6 = box.get("r")
t.ok(r6 is not None and r6.rc == 0 and r6.err == "",
     "the client killed in the middle of a message: exit 0, stderr silent",
     r6)
t.ok(r6 is not None and any("ended before it answered" in l
                            for l in r6.logs),
     "a log line says why", r6)
t.ok(len(c.queued()) > 0, "the message is in the queue", c.queued())
del c.relay.script["DATA"]
r7 = c.send(["-i", "a@example.org"], msg("after the kill"))
t.ok(r7.rc == 0 and sender_pid(r7) not in (None, p1),
     "the next message: a new relay client", r7)
p7 = sender_pid(r7)

# ---- 5. A changed configuration is never served by the old client ----
c.env.write_config(c.config(5))
r8 = c.send(["-i", "a@example.org"], msg("new config"))
t.ok(r8.rc == 0 and sender_pid(r8) not in (None, p7),
     "after the configuration file changed, a new client sends", r8)
t.ok(p7 is not None and ended_within(p7, 10),
     "and the old one ends (it has no more use)")

# ---- 6. It ends when idle, and removes its socket ----
idle = Case(linger=1)
r9 = idle.send(["-i", "a@example.org"], msg("idle"))
p9 = sender_pid(r9)
t.ok(r9.rc == 0 and p9 is not None and len(idle.sockets()) == 1,
     "linger = 1: the client waits", (r9, idle.sockets()))
t.ok(p9 is not None and ended_within(p9, 10) and idle.sockets() == [],
     "and ends after a second without a message, its socket removed",
     idle.sockets())

# ---- 7. linger = 0 and -v: the client ends with its message ----
r10 = cold.send(["-i", "a@example.org"], msg("no linger"))
p10 = sender_pid(r10)
t.ok(r10.rc == 0 and p10 is not None and not alive(p10) and
     cold.sockets() == [],
     "linger = 0: the relay client has ended when the caller returns", r10)
r11 = idle.send(["-v", "-i", "a@example.org"], msg("verbose"))
p11 = sender_pid(r11)
t.ok(r11.rc == 0 and p11 is not None and not alive(p11),
     "-v: the client that showed the dialogue has ended too", r11)

# ---- 8. A client that does not answer (stopped) is given up ----
stop = Case()
r13 = stop.send(["-i", "a@example.org"], msg("before stop"))
p13 = sender_pid(r13)
if p13:
    os.kill(p13, signal.SIGSTOP)
r14 = stop.send(["-i", "a@example.org"], msg("while stopped"))
t.ok(r14.rc == 0 and r14.err == "" and len(stop.relay.transactions) == 2 and
     sender_pid(r14) not in (None, p13),
     "its user stopped the waiting client: the next message goes through "
     "a new one (after at most 2 s)", r14)
if p13:
    os.kill(p13, signal.SIGCONT)

# ---- 9. The default: it stays (2 seconds) ----
dflt = Case()
dflt.env.write_config(smtest.relay_config(dflt.relay.port))
r12 = dflt.send(["-i", "a@example.org"], msg("default"))
p12 = sender_pid(r12)
t.ok(r12.rc == 0 and p12 is not None and alive(p12) and
     len(dflt.sockets()) == 1,
     "without a linger key the client stays after its message", r12)
t.ok(p12 is not None and ended_within(p12, 10),
     "and ends within seconds")

for case in (c, cold, idle, dflt, stop):
    case.relay.stop()
t.done()
