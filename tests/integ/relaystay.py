"""relaystay - the submission service's relay clients after several
messages at once (issue 27; bench/sync.py's 100 callers once left 100
relay clients per burst loaded for a minute): the client the service
keeps serves one connection at a time, so each message that comes
meanwhile starts a client of its own, which ends with its message; after
the burst only the kept one is left, and it sends the next message over
its session."""
# debian: python3-aiosmtpd
import atexit
import os
import socket
import subprocess
import threading
import time

import smprobe
import smtest
import smtprelay

t = smtest.Tap()
if os.geteuid() != 0:
    t.skip_all("needs root (the service's queue user is root here)")
GATE = os.path.join(smtest.LIBEXEC, "safemail-gate")
AT_ONCE = 5

# each message takes the relay 0.4 s (its DATA): the callers overlap
relay = smtprelay.Relay(script={"DATA": "delay:0.4"})
env = smtest.Env(smtest.relay_config(relay.port, smtp="linger = 5"))
spool = os.path.join(env.dir, "spool")
os.mkdir(spool, 0o750)
sock = os.path.join(env.dir, "run", "submit")
logsock = os.path.join(env.dir, "svc-log.sock")
log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
log.bind(logsock)


def drain():
    """The service's log, read as it comes (a datagram socket blocks its
    sender once a few lines wait)."""
    while True:
        log.recv(65536)


threading.Thread(target=drain, daemon=True).start()
environ = {"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": env.config,
           "SAFEMAIL_LIBEXEC": smtest.LIBEXEC, "SAFEMAIL_QUEUE_USER": "root",
           "SAFEMAIL_SPOOL": spool, "SAFEMAIL_SUBMIT_SOCKET": sock,
           "SAFEMAIL_LOG_SOCKET": logsock, "SAFEMAIL_SANDBOX_TEST": "trap"}
for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
    if k in os.environ:
        environ[k] = os.environ[k]
service = subprocess.Popen([GATE, "listen", sock], env=environ,
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL)
atexit.register(service.terminate)
for _ in range(200):
    if os.path.exists(sock) or service.poll() is not None:
        break
    time.sleep(0.025)


def relay_clients():
    """The live relay clients below the service (not the zombies it has
    yet to reap)."""
    out = []
    for pid in smprobe._pids():
        try:
            with open("/proc/%d/stat" % pid) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        state, ppid = s[s.rindex(")") + 2:].split()[:2]
        if comm == "safemail-relay" and int(ppid) == service.pid and \
                state != "Z":
            out.append(pid)
    return out


def send():
    return subprocess.Popen(
        [smtest.SAFEMAIL, "-t", "-i"], env=environ, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def message(subject):
    return ("To: a@example.org\nSubject: %s\n\nbody\n" % subject).encode()


first = send()
first.communicate(message("first"), timeout=20)
t.ok(first.returncode == 0 and len(relay.transactions) == 1,
     "a message through the service", first.returncode)

sessions_before = len(relay.sessions)
procs = [send() for i in range(AT_ONCE)]
for i, p in enumerate(procs):
    p.stdin.write(message("at once %d" % i))
    p.stdin.close()
rcs = [p.wait(timeout=30) for p in procs]
started = relay_clients()
t.ok(rcs == [0] * AT_ONCE and len(relay.transactions) == 1 + AT_ONCE,
     "%d messages at once, all sent" % AT_ONCE, rcs)
t.ok(len(relay.sessions) - sessions_before > 1,
     "they ran in relay clients of their own (the kept one serves one "
     "connection at a time)", len(relay.sessions) - sessions_before)

# those end with their message; the kept one stays
deadline = time.time() + 3
while time.time() < deadline and len(relay_clients()) > 1:
    time.sleep(0.1)
left = relay_clients()
t.ok(len(left) == 1,
     "one relay client stays, the one the service keeps; the others "
     "ended", (started, left))

sessions = len(relay.sessions)
last = send()
last.communicate(message("after"), timeout=20)
t.ok(last.returncode == 0 and len(relay.transactions) == 2 + AT_ONCE and
     len(relay.sessions) == sessions and relay_clients() == left,
     "the next message: sent by the client that stayed, over its session",
     (last.returncode, len(relay.sessions) - sessions, relay_clients(),
      left))
t.done()
