"""trust_service_red - the submission service (issue 27) attacked by the
web user on an installed copy, one caller against the others:

- a flood of messages leaves one relay client that stays, not one per
  message sent while it was busy (each stayed a minute, unreachable: some
  900 processes, 5 GB, from 16 loops in 10 s);
- a caller whose stderr is a pipe it never drains stalls only its own
  connection, never the relay client that serves the next caller;
- a caller whose stderr is a datagram socket does not get the service's
  lines there, where the kernel would name the safemail user as their
  sender (journald's syslog socket would file them under safemail);
- long -bs sessions leave no process per message behind (a zombie each
  until the session ended: the service's tasks, systemd's TasksMax);
- with async, a user's background attempts at once are capped like its
  connections (they outlive them), and the queue run sends the rest;
- a caller that connects in a loop while it holds its cap of connections
  does not fill the log (and journald's rate limit would then drop every
  line of the service, other users' deliveries too)."""
# debian: python3-aiosmtpd util-linux procps
import os
import time

import instcopy
import smtest

t = smtest.Tap()
c = instcopy.install(t, relay_kw={"script": {
    "RCPT:refuse": "550 5.1.1 no such user here"}})
WEB = c.WEB
MSG = b"To: a@example.org\nSubject: red\n\nbody\n"
NNP = ["setpriv", "--no-new-privs"]
PY = "/usr/bin/python3"


def sent():
    return len(c.relay.transactions)


def relay_clients():
    """This copy's relay clients (other copies may run beside it)."""
    found = []
    for n in os.listdir("/proc"):
        if not n.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/exe" % n) == c.RELAYBIN:
                found.append(int(n))
        except OSError:
            pass
    return found


def wait_until(cond, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


svc = c.start_service()
t.ok(os.path.exists(c.SUBMIT), "the service listens", svc.poll())
rc, _, err = c.as_web(NNP + [c.SENDMAIL, "-t", "-i"], MSG)
t.ok(rc == 0 and sent() == 1, "a message goes out through it", (rc, err))
# what a relay client writes for its caller still reaches the caller's
# stderr (now through its connection's child), from the client that
# stayed after the message above and from a new one alike
said = [c.as_web(NNP + [c.SENDMAIL, "-t", "-i"],
                 b"To: refuse@example.org\n\nno\n") for _ in range(2)]
t.ok(all(r[0] not in (0, None) and b"no such user here" in r[2] and
         r[2].count(b"\n") == 1 for r in said),
     "a recipient the relay refuses: the one line on the caller's stderr, "
     "twice", said)

# ---- a flood leaves one relay client behind, not one per message ----
FLOOD = r"""
import subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
sendmail, seconds = sys.argv[1], float(sys.argv[2])
end = time.time() + seconds
def loop(_):
    n = 0
    while time.time() < end:
        subprocess.run(["setpriv", "--no-new-privs", sendmail, "-t", "-i"],
                       input=b"To: a@example.org\n\nflood\n",
                       stderr=subprocess.DEVNULL)
        n += 1
    return n
with ThreadPoolExecutor(8) as ex:
    print(sum(ex.map(loop, range(8))))
"""
n = sent()
rc, out, err = c.as_web([PY, "-c", FLOOD, c.SENDMAIL, "6"], timeout=120)
flooded = sent() - n
# the busy ones end as soon as their message is answered
wait_until(lambda: len(relay_clients()) <= 1, 8)
left = relay_clients()
t.ok(flooded > 20 and len(left) <= 1,
     "8 senders in a loop for 6 s (%d messages) leave at most one relay "
     "client that stays" % flooded, (len(left), out, err[-300:]))
for pid in left:  # the next checks start from none
    try:
        os.kill(pid, 15)
    except OSError:
        pass
wait_until(lambda: relay_clients() == [], 10)

# ---- a stderr that never drains stalls only its own connection ----
STALL = r"""
import fcntl, os, subprocess, sys, time
sendmail = sys.argv[1]
r, w = os.pipe()
os.set_blocking(w, False)
try:
    while True:
        os.write(w, b"x" * 4096)
except BlockingIOError:
    pass
os.set_blocking(w, True)
print("pipe:[%d]" % os.fstat(w).st_ino, flush=True)
p = subprocess.Popen(["setpriv", "--no-new-privs", sendmail, "-t", "-i"],
                     stdin=subprocess.PIPE, stderr=w)
os.close(w)
p.stdin.write(b"To: refuse@example.org\n\nnever read\n")
p.stdin.close()
sys.stdin.readline()
p.kill()
"""
# first a client that stays, which the attack's message then finds
rc, _, err = c.as_web(NNP + [c.SENDMAIL, "-t", "-i"], MSG)
staller = c.as_web([PY, "-c", STALL, c.SENDMAIL], wait=False)
pipe = staller.stdout.readline().decode().strip()


def writes_to_pipe():
    held = []
    for pid in relay_clients():
        try:
            if os.readlink("/proc/%d/fd/2" % pid) == pipe:
                held.append(pid)
        except OSError:
            pass
    return held


# the relay refuses its recipient: the one line of the failure is what
# the client writes for the caller
time.sleep(4)
stuck = writes_to_pipe()
t.ok(pipe.startswith("pipe:[") and stuck == [],
     "a caller's stderr that never drains is no relay client's to write "
     "(the client serves the next caller)", (pipe, stuck))
n = sent()
rc, _, err = c.as_root([c.SENDMAIL, "-t", "-i"], MSG)
t.ok(rc == 0 and sent() == n + 1,
     "meanwhile another user's mail goes out", (rc, err))
staller.stdin.write(b"\n")
staller.stdin.flush()
staller.communicate(timeout=30)

# ---- a datagram socket as stderr gets none of the service's lines ----
CRED = r"""
import fcntl, os, socket, struct, sys, time
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"HE-a claim")
s.recv(70000)
socket.send_fds(s, [b"E"], [a.fileno()])
a.close()
SEALS = (fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW |
         fcntl.F_SEAL_WRITE)
def mem(d):
    fd = os.memfd_create("t", os.MFD_ALLOW_SEALING)
    os.write(fd, d)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
    os.lseek(fd, 0, 0)
    return fd
msg = b"From: x@example.org\r\n\r\nbody\r\n"
env = (b"safemail-spool 1\nid 0123456789AB\ncreated %d\nuid 0\n"
       b"sender shop@store.example.com\nsize %d\nattempts 0\nnext 0\n"
       b"flags\nrcpt pending r@example.org\nend\n"
       % (int(time.time()), len(msg)))
socket.send_fds(s, [b"Sx-0.000000"], [mem(env), mem(msg)])
s.shutdown(socket.SHUT_WR)
code = s.recv(2)
b.settimeout(2)
try:
    data, anc, _, _ = b.recvmsg(1000, socket.CMSG_SPACE(12))
except TimeoutError:
    print(repr(code), "nothing")
    sys.exit(0)
uid = [struct.unpack("iII", d)[1] for lvl, typ, d in anc
       if typ == socket.SCM_CREDENTIALS]
print(repr(code), "uid", uid, repr(data))
"""
logs = len(c.LOGS)
rc, out, err = c.as_web([PY, "-c", CRED, c.SUBMIT])
said = out.decode(errors="replace")
t.ok(rc == 0 and said.startswith("b'D") and "nothing" in said,
     "a datagram socket as stderr: refused as ever, and no line of the "
     "service's (uid %d) reaches it" % c.QUEUE_UID, (said, err))
t.ok(not c.own_devlog or "socket of packets" in c.logs_since(logs),
     "the log says why", c.logs_since(logs)[-600:])

# ---- long -bs sessions leave no process per message behind ----
def proc_stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return rest[0], int(rest[1])  # state, ppid


def zombies_below(top):
    """Zombies whose parent is a child of top: what a connection's child
    has not reaped."""
    stats = {}
    for n in os.listdir("/proc"):
        if n.isdigit():
            s = proc_stat(int(n))
            if s:
                stats[int(n)] = s
    kids = {p for p, (_, pp) in stats.items() if pp == top}
    return [p for p, (st, pp) in stats.items() if pp in kids and st == "Z"]


BS = "HELO x\r\n" + "".join(
    "MAIL FROM:<shop@store.example.com>\r\nRCPT TO:<a@example.org>\r\n"
    "DATA\r\nSubject: %d\r\n\r\nx\r\n.\r\n" % i for i in range(150))
n = sent()
sessions = [c.as_web(NNP + [c.SENDMAIL, "-bs"], wait=False)
            for _ in range(3)]
for p in sessions:
    p.stdin.write(BS.encode())
    p.stdin.flush()
wait_until(lambda: sent() >= n + 450, 90)
time.sleep(0.5)
left = zombies_below(svc.pid)
for p in sessions:
    p.communicate(b"QUIT\r\n", timeout=30)
t.ok(sent() == n + 450 and len(left) <= 6,
     "3 -bs sessions of 150 messages each, still open, leave %d "
     "unreaped processes behind" % len(left), (sent() - n, left[:10]))

# ---- async: a user's background attempts are capped like its
# connections (they outlive the connection that started them) ----
def background_attempts():
    found = []
    for pid in relay_clients():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if f.read().split(b"\0")[1:2] == [b"one"]:
                    found.append(pid)
        except (OSError, IndexError):
            pass
    return found


c.write_conf(mail_extra="async = yes")
logs = len(c.LOGS)
c.relay.script["MAIL"] = "delay:2"  # a slow relay: each attempt lasts 2 s
n = sent()
rc, out, err = c.as_web([PY, "-c", FLOOD, c.SENDMAIL, "3"], timeout=120)
most = len(background_attempts())
del c.relay.script["MAIL"]
c.write_conf()
t.ok(rc == 0 and int(out or 0) > 40 and most <= 33,
     "async, a slow relay: %s messages in 3 s from one user, %d background "
     "attempts at once (at most 32)" % (out.decode().strip(), most),
     (err[-300:], c.logs_since(logs)[-1500:]))
flooded = int(out or 0)
wait_until(lambda: background_attempts() == [], 30)
rc, out, err = c.as_root([c.GATE, "queue"])
t.ok(rc == 0 and sent() == n + flooded,
     "the rest is the queue run's: every message is sent",
     (rc, err, sent() - n, flooded))

# ---- connecting in a loop at the cap does not fill the log ----
LOOP = r"""
import socket, sys, time
path = sys.argv[1]
held = []
for i in range(32):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.send(b"HE-")
    held.append(s)
time.sleep(0.3)
n, end = 0, time.time() + 2
while time.time() < end:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.close()
    n += 1
print(n)
"""
logs = len(c.LOGS)
rc, out, err = c.as_web([PY, "-c", LOOP, c.SUBMIT])
time.sleep(1.5)
text = c.logs_since(logs)
lines = text.count("holds 32 connections")
t.ok(rc == 0 and int(out or 0) > 1000 and
     (not c.own_devlog or (lines <= 40 and "more connections" in text)),
     "%s refused connections in 2 s: %d log lines, the rest counted"
     % (out.decode().strip(), lines), (err, text[-400:]))
n = sent()
rc, _, err = c.as_root([c.SENDMAIL, "-t", "-i"], MSG)
t.ok(rc == 0 and sent() == n + 1, "and the service still serves",
     (rc, err))

c.stop_service()
t.done()
