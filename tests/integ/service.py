"""service - safemail-gate listen, the submission service (issue 27), on
this build (as root, queue user root: no install): the front end finds it
first; its relay client stays loaded with its session to the relay
([smtp] linger) and serves the next caller's message; -bs, -odq and a
queue run's files go through it; systemd's socket activation
(systemd-socket-activate speaks LISTEN_FDS) and the idle exit; a stale
socket is taken over, a live one is not; the overflow uid (a caller the
service's user namespace does not map) is refused; it will not run
set-ID or as root; the front end falls back to the gate when nobody
listens."""
# debian: python3-aiosmtpd systemd util-linux
import atexit
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time

import smprobe
import smtest
import smtprelay

t = smtest.Tap()
if os.geteuid() != 0:
    t.skip_all("needs root (a user namespace, setpriv)")
GATE = os.path.join(smtest.LIBEXEC, "safemail-gate")


def msg(subject):
    return ("To: a@example.org\nSubject: %s\n\nbody\n" % subject).encode()


class Service:
    """A relay, a configuration, a spool and a socket of their own."""

    def __init__(self, linger=5, extra=""):
        self.relay = smtprelay.Relay()
        self.env = smtest.Env(smtest.relay_config(
            self.relay.port, smtp="linger = %d\n%s" % (linger, extra)))
        self.spool = os.path.join(self.env.dir, "spool")
        os.mkdir(self.spool, 0o750)
        self.sock = os.path.join(self.env.dir, "run", "submit")
        self.logsock = os.path.join(self.env.dir, "svc-log.sock")
        self.logs = []
        self.proc = None
        atexit.register(self.stop)

    def environ(self):
        e = {"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": self.env.config,
             "SAFEMAIL_LIBEXEC": smtest.LIBEXEC,
             "SAFEMAIL_QUEUE_USER": "root", "SAFEMAIL_SPOOL": self.spool,
             "SAFEMAIL_SUBMIT_SOCKET": self.sock,
             "SAFEMAIL_LOG_SOCKET": self.logsock,
             "SAFEMAIL_SANDBOX_TEST": "trap"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        return e

    def start(self, argv=None, wait_for_socket=True):
        self._log_listen()
        self.proc = subprocess.Popen(
            argv or [GATE, "listen", self.sock], env=self.environ(),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        for _ in range(200):
            if not wait_for_socket or os.path.exists(self.sock) or \
                    self.proc.poll() is not None:
                break
            time.sleep(0.025)
        return self.proc

    def _log_listen(self):
        """The service's log, drained as it comes: a datagram socket
        holds only 10 lines before its sender blocks."""
        if os.path.exists(self.logsock):
            os.unlink(self.logsock)
        log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        log.bind(self.logsock)

        def drain():
            while True:
                try:
                    self.logs.append(log.recv(65536).decode(
                        "utf-8", "replace"))
                except OSError:
                    return
        threading.Thread(target=drain, daemon=True).start()

    def service_logs(self):
        time.sleep(0.1)
        return "\n".join(self.logs)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def send(self, args, stdin, env=None, timeout=20):
        e = {"SAFEMAIL_SPOOL": self.spool, "SAFEMAIL_SUBMIT_SOCKET": self.sock}
        e.update(env or {})
        return self.env.run(args, stdin=stdin, env=e, timeout=timeout)

    def relay_clients(self):
        """The relay clients below the service (it is their subreaper)."""
        out = []
        for pid in smprobe._pids():
            s = smprobe._stat(pid)
            if s and s[0] == "safemail-relay" and s[1] == self.proc.pid:
                out.append(pid)
        return out


# ---- the front end finds the service; the relay client stays ----
s = Service(linger=5)
s.start()
t.ok(os.path.exists(s.sock) and
     stat.S_ISSOCK(os.stat(s.sock).st_mode) and
     (os.stat(s.sock).st_mode & 0o777) == 0o666 and
     (os.stat(os.path.dirname(s.sock)).st_mode & 0o777) == 0o755,
     "listen: a socket, 0666, in a directory it made 0755", s.proc.poll())
r1 = s.send(["-t", "-i"], msg("one"))
logs = s.service_logs()
t.ok(r1.rc == 0 and r1.err == "" and len(s.relay.transactions) == 1,
     "a message through the service", r1)
t.ok(re.search(r"uid=0 .*status=sent", logs) and
     "the caller's claim" not in logs,
     "the service logs the delivery with the caller's uid", logs)
time.sleep(0.3)
clients = s.relay_clients()
t.ok(len(clients) == 1, "its relay client stays, in the service's tree",
     clients)
r2 = s.send(["-t", "-i"], msg("two"))
t.ok(r2.rc == 0 and len(s.relay.transactions) == 2 and
     len(s.relay.sessions) == 1 and s.relay_clients() == clients,
     "the next message: the same client, the same SMTP session",
     (r2, len(s.relay.sessions)))

# what only the caller's process knows is logged as its claim
r = s.send(["-t", "-i"], b"X-PHP-Originating-Script: 0:shop.php\n"
           b"To: a@example.org\nSubject: php\n\nbody\n")
logs = s.service_logs()
t.ok(r.rc == 0 and re.search(r"script=0:shop.php \(the caller's claim\) "
                             r"from .*\(the caller's claim\)", logs),
     "the PHP script and the caller's parent are logged as its claim",
     logs[-600:])

# -bs through the service
n = len(s.relay.transactions)
r = s.send(["-bs"], b"EHLO x\r\nMAIL FROM:<shop@store.example.com>\r\n"
           b"RCPT TO:<b@example.org>\r\nDATA\r\nSubject: bs\r\n\r\nhi\r\n"
           b".\r\nQUIT\r\n")
t.ok(r.rc == 0 and "250 2.0.0" in r.out and
     len(s.relay.transactions) == n + 1,
     "-bs through the service", r.out)

# -odq: queued by the service (its files are its own); the quota counts
# them by the envelope's uid
s.env.write_config(smtest.relay_config(
    s.relay.port, smtp="linger = 5") + "\n[queue]\nmax_queued_messages = 2\n")
rs = [s.send(["-odq", "-t", "-i"], msg("q%d" % i)) for i in range(3)]
q = os.path.join(s.spool, "q")
msgs = [n for n in os.listdir(q) if n.endswith(".msg")]
t.ok([r.rc for r in rs] == [0, 0, 75] and len(msgs) == 2 and
     "max_queued_messages" in rs[2].err,
     "-odq through the service: queued, and the per-uid quota counts the "
     "service's files by their envelope's uid",
     ([(r.rc, r.err) for r in rs], msgs))
env_uid = open(os.path.join(q, msgs[0][:-4] + ".env")).read()
t.ok("\nuid 0\n" in env_uid, "the queued envelope names the caller's uid")
# mailq through the service (no gate to fall back on: it cannot be that)
r = s.send(["-bp"], b"", env={"SAFEMAIL_LIBEXEC": "/nonexistent"})
t.ok(r.rc == 0 and all(m[:-4] in r.out for m in msgs) and r.err == "",
     "mailq through the service lists them", r)

# the configuration changes: the kept client is not used for it; it
# ends, and the next caller's client reads the new file
old = s.relay_clients()
s.env.write_config(smtest.relay_config(s.relay.port, smtp="linger = 5"))
r = s.send(["-t", "-i"], msg("after a change"))
t.ok(r.rc == 0 and s.relay.transactions[-1].data.find(b"after a change") > 0,
     "a changed configuration: delivered", r)
time.sleep(0.5)
t.ok(old and not set(old) & set(s.relay_clients()),
     "the client kept under the old configuration has ended",
     (old, s.relay_clients()))
time.sleep(1)
r = s.send(["-t", "-i"], msg("after a change, again"))
time.sleep(0.3)
t.ok(r.rc == 0 and s.relay_clients() and
     not set(old) & set(s.relay_clients()),
     "the next caller's: a new kept client", (r, s.relay_clients()))

# the service checks its configuration file as the set-ID gate does:
# nothing for others (a password readable by everyone is refused)
os.chmod(s.env.config, 0o644)
r = s.send(["-t", "-i"], msg("world-readable"))
os.chmod(s.env.config, 0o600)
t.ok(r.rc == 78 and "permissions for others" in r.err and
     r.err.count("\n") == 1,
     "a configuration readable by others: the service refuses it, 78, "
     "one line", r)

# a stopped (or wedged) service is as good as none: after 30 s without
# an answer the front end falls back to the gate; nothing was handed over
os.kill(s.proc.pid, signal.SIGSTOP)
t0 = time.time()
r = s.send(["-t", "-i"], msg("while stopped"), timeout=60)
waited = time.time() - t0
os.kill(s.proc.pid, signal.SIGCONT)
t.ok(r.rc == 0 and 29 < waited < 50 and
     s.relay.transactions[-1].data.find(b"while stopped") > 0,
     "a stopped service: the front end waits 30 s, then the gate sends it",
     (r, waited))

# a live service's socket is not taken over
other = subprocess.run([GATE, "listen", s.sock], env=s.environ(),
                       capture_output=True, text=True, timeout=10)
t.ok(other.returncode == 75 and "another service listens" in other.stderr,
     "a second service does not take a live socket over", other)
s.stop()
t.ok(not os.path.exists(s.sock), "stopped: the socket is removed")

# nobody listens: the front end falls back to the gate (not set-ID here)
r = s.send(["-t", "-i"], msg("fallback"))
t.ok(r.rc == 0 and s.relay.transactions[-1].data.find(b"fallback") > 0,
     "no service: the front end falls back to the gate", r)

# a stale socket (a killed service's) is taken over
sk = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
sk.bind(s.sock)
sk.close()
s.start()
r = s.send(["-t", "-i"], msg("stale"))
t.ok(s.proc.poll() is None and r.rc == 0,
     "a stale socket is taken over", (r, s.proc.poll()))
s.stop()

# ---- socket activation and the idle exit ----
shutil.rmtree(os.path.dirname(s.sock), True)
os.mkdir(os.path.dirname(s.sock))
argv = ["systemd-socket-activate", "--seqpacket", "-l", s.sock]
for k, v in s.environ().items():
    argv += ["-E", "%s=%s" % (k, v)]
s.start(argv + [GATE, "listen", "-i", "3"])
r = s.send(["-t", "-i"], msg("activated"))
t.ok(r.rc == 0 and s.relay.transactions[-1].data.find(b"activated") > 0,
     "socket activation (LISTEN_FDS): the first message delivered", r)
logs = s.service_logs()
t.ok("listens on the socket systemd passed" in logs,
     "it took systemd's socket", logs)
try:
    s.proc.wait(timeout=20)
except subprocess.TimeoutExpired:
    pass
t.ok(s.proc.poll() == 0, "idle for -i 3 seconds: it ends (0)",
     s.proc.poll())
s.stop()

# ---- the overflow uid: a caller the service's user namespace does not
# map (the service runs in one that maps root only) ----
s2 = Service(linger=0)
os.chmod(s2.env.dir, 0o755)
s2.start(["unshare", "--user", "--map-root-user", GATE, "listen", s2.sock])
nobody = subprocess.run(
    ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
     "/usr/bin/python3", "-c",
     "import socket,sys\n"
     "s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET)\n"
     "s.connect(sys.argv[1])\n"
     "try:\n s.send(b'HE-')\nexcept OSError:\n pass\n"
     "print(repr(s.recv(500)))", s2.sock],
    capture_output=True, text=True, timeout=20)
t.ok(nobody.stdout.startswith("b'X") and "overflow uid" in nobody.stdout,
     "a caller seen as the overflow uid is refused", nobody)
s2.stop()

# ---- it does not run as root (installed), nor set-ID ----
e = s2.environ()
del e["SAFEMAIL_QUEUE_USER"]
r = subprocess.run([GATE, "listen", s2.sock], env=e, capture_output=True,
                   text=True, timeout=10)
t.ok(r.returncode == 77 and "not as root" in r.stderr,
     "listen as root (the queue user is not root): refused, 77", r)
t.done()
