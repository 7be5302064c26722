"""sandbox_listener_red - a red team's attacks on the service's listener
and the spawners it forks for its connections (issue 29: src/gate/listen.c,
src/gate/spawner.c), on a service run by the test (not installed):

1. A connection whose gate was refused a spawner by its listener (the
   listener gone: restarted, stopped; or it could not fork) is locked
   down already: its next relay client must be refused and said (a
   temporary failure), never forked by the locked gate itself, which its
   seccomp filter kills (production: the session dies with SIGSYS, no
   word to the caller; here, trap mode, the call is named).
2. The listener's standard output (under systemd the journal's stream,
   in a container the runtime's log, which its standard error is too, and
   which the listener alone writes to, escaped: log.c) and input (a
   terminal when run by hand or with docker run -it) are no connection
   child's, nor a relay client's its spawner starts for one (the gate
   hands on its descriptors 0-2), nor the kept relay client's: a gate
   taken over by a message, or a relay client by a relay, could write
   raw lines in the service's name, or read what is typed there. The
   listener puts /dev/null on its own 0 and 1 at its start.
3. The lock-down now comes after the policy went out (38da88a): the
   front end may have sent its request by then. A gate that cannot lock
   down says 75 on the socket and ends with that request unread, which
   resets the front end's socket (ECONNRESET before the 75 queued for
   it): the caller sees "the back end died", 70, instead of 75
   (sandbox_gate.py 35 fails so under load); or it ends before the front
   end hands the message over: "cannot hand the message over: Broken
   pipe", 71.
4. (Found on the way, older than issue 29's last changes:) a listing
   through the service (mailq: the hello 'L') was served by a connection
   child that never locked down: the spool's every file read, and the
   caller's two descriptors written, with no seccomp filter, no Landlock
   domain, its configuration readable. It locks down now, as the set-ID
   listing does (gatemain.c lock_listing).
Every connection here runs under SAFEMAIL_SANDBOX_TEST=trap."""
# debian: python3-aiosmtpd gcc
import os
import re
import signal
import socket
import subprocess
import time

import smtest
import smtprelay

t = smtest.Tap()
if os.geteuid() != 0:
    t.skip_all("needs root (the service as root, as sandbox_gate.py)")
GATE = os.path.join(smtest.LIBEXEC, "safemail-gate")
trapped = smtest.sandbox_trapped


Service = smtest.Service
children = smtest.children


def seccomp(pid):
    return smtest.proc_status(pid).get("Seccomp")


def bs_message(n):
    return (b"MAIL FROM:<shop@store.example.com>\r\n"
            b"RCPT TO:<a@example.org>\r\nDATA\r\nSubject: red %d\r\n\r\n"
            b"hi\r\n.\r\n" % n)


# ---- 1. the listener gone before the gate's first relay client ----
relay = smtprelay.Relay()
svc = Service(smtest.relay_config(relay.port))
# -v: no kept client; each message's verdict needs a relay client of its
# own, which only a spawner may start for the locked gate
bs = svc.bs_session(["-v"])
bs.stdin.write(b"HELO x\r\n")
bs.stdin.flush()
child = None
deadline = time.time() + 15
while time.time() < deadline and child is None:
    for c in children(svc.proc.pid):
        if seccomp(c) == "2":
            child = c
    time.sleep(0.05)
t.ok(child is not None, "a -bs -v session: its connection child is locked "
     "down (Seccomp: 2)")
# the listener ends (a restart, a stop) while the session is open: the
# connection's channel to it closes with no spawner
svc.stop()
bs.stdin.write(bs_message(1) + bs_message(2) + b"QUIT\r\n")
bs.stdin.close()
out = bs.stdout.read().decode(errors="replace")
err = bs.stderr.read().decode(errors="replace")
bs.wait(timeout=30)
time.sleep(0.3)
# the sanitizer build's list allows clone (LeakSanitizer's tracer): there
# the forked child's execve is what traps; production's kills the gate at
# its clone
t.ok(not trapped(svc.logs) and "seccomp policy does not allow" not in err,
     "no spawner for the session: the locked gate never forks a relay "
     "client itself (production's filter would kill it)",
     (trapped(svc.logs), out, err))
replies = re.findall(r"^(\d{3})[ -]", out, re.M)
t.ok(re.search(r"\r\n221 ", out) is not None and
     len(re.findall(r"\r\n4\d\d [^\r]*\r\n", out)) >= 2 and
     not relay.transactions,
     "each message of the session gets a temporary failure, said; the "
     "session ends with its QUIT", (replies, out, err))


# ---- 2. the listener's standard output ----
def fd_target(pid, fd):
    try:
        return os.readlink("/proc/%d/fd/%d" % (pid, fd))
    except OSError:
        return None


def name(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


# a relay that takes the connection and never greets: the relay client
# waits for it (command_timeout), long enough to be looked at
silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
silent.bind(("127.0.0.1", 0))
silent.listen(16)
rd, wr = os.pipe()
ird, iwr = os.pipe()
svc = Service(smtest.relay_config(silent.getsockname()[1]), stdin=ird,
              stdout=wr)
# the pipes the listener was given on 0 and 1, as /proc names them
ours = "pipe:[%d]" % os.fstat(rd).st_ino
ours_in = "pipe:[%d]" % os.fstat(iwr).st_ino
os.close(wr)
os.close(ird)
bs = svc.bs_session(["-v"])
bs.stdin.write(b"HELO x\r\n" + bs_message(1))
bs.stdin.flush()
seen = {}
deadline = time.time() + 15
while time.time() < deadline and not ("child" in seen and "relay" in seen):
    seen["listener"] = (fd_target(svc.proc.pid, 0),
                        fd_target(svc.proc.pid, 1))
    for c in children(svc.proc.pid):
        if name(c).startswith("safemail-rela"):
            # the relay client the listener keeps
            seen["kept"] = (fd_target(c, 0), fd_target(c, 1))
        elif seccomp(c) == "2":
            seen["child"] = fd_target(c, 1)
            seen["child stdin"] = fd_target(c, 0)
        elif seccomp(c) == "0" and name(c).startswith("safemail-gate"):
            # a spawner (not the kept relay client, the listener's own)
            for g in children(c):
                if name(g).startswith("safemail-rela"):
                    seen["relay"] = fd_target(g, 1)
                    seen["relay stdin"] = fd_target(g, 0)
    time.sleep(0.05)
bs.stdin.write(b"QUIT\r\n")
bs.stdin.close()
bs.stdout.read()
bs.wait(timeout=30)
svc.stop()
os.close(rd)
os.close(iwr)
t.ok(ours is not None and ours.startswith("pipe:") and "child" in seen and
     seen["child"] != ours and ours_in is not None and
     seen.get("child stdin") != ours_in,
     "the connection's child holds neither the listener's standard output "
     "(%s) nor its input (%s)" % (ours, ours_in), seen)
t.ok(ours is not None and "relay" in seen and seen["relay"] != ours and
     seen.get("relay stdin") != ours_in,
     "nor does the relay client the listener's spawner started for it",
     seen)
t.ok("kept" in seen and ours not in seen["kept"] and
     ours_in not in seen["kept"] and
     seen.get("listener") == ("/dev/null", "/dev/null"),
     "nor the relay client the listener keeps: the listener put /dev/null "
     "on its own 0 and 1 for everything it starts", seen)


# ---- 3. a lock-down that fails: the 75 reaches the caller ----
shim = smtest.no_seccomp_shim()
static_gate = b"static" in subprocess.run(
    ["ldd", GATE], capture_output=True).stdout
asan = os.environ.get("ASAN_OPTIONS", "")
svc = Service(smtest.relay_config(silent.getsockname()[1]),
              extra_env={"LD_PRELOAD": shim, "ASAN_OPTIONS":
                         (asan + ":verify_asan_link_order=0").lstrip(":")})
MSG = b"To: a@example.org\nSubject: red\n\nhello\n"


def front_end(stdin, stderr):
    return subprocess.Popen(
        ["sendmail", "-t", "-i"], executable=smtest.SAFEMAIL, stdin=stdin,
        stdout=subprocess.DEVNULL, stderr=stderr,
        env={"PATH": "/usr/bin:/bin", "SAFEMAIL_SPOOL": svc.spool,
             "SAFEMAIL_SUBMIT_SOCKET": svc.sock,
             "SAFEMAIL_LIBEXEC": smtest.LIBEXEC,
             "SAFEMAIL_LOG_SOCKET": svc.logsock,
             "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")})


def drain(fd):
    out = b""
    while True:
        b = os.read(fd, 65536)
        if not b:
            return out
        out += b


# 3a: the caller's stderr a full pipe: the gate's line (the failure, said
# there) waits until the front end's request is queued; the gate ends
# with it unread
erd, ewr = os.pipe()
os.set_blocking(ewr, False)
try:
    while True:
        os.write(ewr, b"x" * 4096)
except BlockingIOError:
    pass
os.set_blocking(ewr, True)
fe = front_end(subprocess.PIPE, ewr)
os.close(ewr)
fe.stdin.write(MSG)
fe.stdin.close()
time.sleep(1)
# the front end waits for the gate's word; stopped, it reads it only
# after the gate ended (as a loaded machine may have it)
os.kill(fe.pid, signal.SIGSTOP)
gates = [c for c in children(svc.proc.pid)
         if name(c).startswith("safemail-gate")]
os.set_blocking(erd, False)
got = b""
deadline = time.time() + 10
while time.time() < deadline and b"seccomp" not in got:
    try:
        got += os.read(erd, 65536).replace(b"x", b"")
    except BlockingIOError:
        time.sleep(0.05)
deadline = time.time() + 10
while time.time() < deadline and any(
        os.path.exists("/proc/%d" % g) for g in gates):
    time.sleep(0.05)
os.kill(fe.pid, signal.SIGCONT)
os.set_blocking(erd, True)
said = (got + drain(erd).replace(b"x", b"")).decode(errors="replace")
os.close(erd)
rc = fe.wait(timeout=30)
t.ok(static_gate or (rc == 75 and "seccomp" in said and
                     "died" not in said),
     "the gate cannot lock down, the caller's request queued already: 75, "
     "its line (the socket's reset does not hide the code queued before "
     "it) (a dynamic gate)", (rc, said))
# 3b: the front end's request after the gate ended
fe = front_end(subprocess.PIPE, subprocess.PIPE)
fe.stdin.write(MSG)
fe.stdin.flush()
deadline = time.time() + 15
while time.time() < deadline and not static_gate and not any(
        "cannot lock itself down" in l for l in svc.logs[-3:]):
    time.sleep(0.05)
time.sleep(0.5)
fe.stdin.close()
said = fe.stderr.read().decode(errors="replace")
rc = fe.wait(timeout=30)
svc.stop()
t.ok(static_gate or (rc == 75 and "seccomp" in said and
                     "hand the message over" not in said),
     "the gate could not lock down and ended before the front end handed "
     "the message over: 75, its line (a dynamic gate)", (rc, said))

# ---- 4. the listing (mailq through the service): locked down too ----
svc = Service(smtest.relay_config(silent.getsockname()[1]))
rd, wr = os.pipe()
os.set_blocking(wr, False)
try:
    while True:
        os.write(wr, b"x" * 4096)
except BlockingIOError:
    pass
os.set_blocking(wr, True)
# the listing's first write blocks on the full pipe: its child waits there
lister = subprocess.Popen(
    ["mailq"], executable=smtest.SAFEMAIL, stdout=wr,
    stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    env={"PATH": "/usr/bin:/bin", "SAFEMAIL_SPOOL": svc.spool,
         "SAFEMAIL_SUBMIT_SOCKET": svc.sock,
         "SAFEMAIL_LIBEXEC": smtest.LIBEXEC,
         "SAFEMAIL_LOG_SOCKET": svc.logsock,
         "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")})
os.close(wr)
state = None
deadline = time.time() + 10
while time.time() < deadline and state != "2":
    for c in children(svc.proc.pid):
        if name(c).startswith("safemail-gate"):
            state = seccomp(c)
    time.sleep(0.05)
lister.kill()
lister.wait()
os.close(rd)
svc.stop()
t.ok(state == "2", "the listing's connection child is locked down "
     "(Seccomp: %s)" % state)
t.done()
