"""trust_service - the submission service (issue 27) on an installed copy
with the real modes, attacked as the web user: safemail-gate listen runs
as the safemail user; under no_new_privs (where the set-ID bit is inert)
a message still goes out through it, known by the uid the kernel gives
(the trace field, the log, [limits]); a forged envelope uid is refused;
the caller can neither signal, trace nor limit the service; a user who
holds its cap of connections, or one that says nothing, stalls nobody
else; [gate] submit_users binds; a connection's child that dies takes
nobody else's mail. Without the service, no_new_privs gives one line
naming the socket and no_new_privs, 75; without both, the set-ID gate
still delivers."""
# debian: python3-aiosmtpd util-linux procps
import email.utils
import os
import re
import socket
import subprocess
import time

import instcopy
import smprobe
import smtest

t = smtest.Tap()
c = instcopy.install(t)
WEB = c.WEB
MSG = b"To: a@example.org\nSubject: through the service\n\nbody\n"
NNP = ["setpriv", "--no-new-privs"]


def sent():
    return len(c.relay.transactions)


def one_line(err):
    lines = err.decode(errors="replace").strip().splitlines()
    return lines[0] if len(lines) == 1 else None


def wait_log(pattern, since, timeout=3):
    """The log since since, once pattern is in it (the drain is a thread
    of its own, and the relay client logs after it answered)."""
    deadline = time.time() + timeout
    while time.time() < deadline and not re.search(pattern,
                                                   c.logs_since(since)):
        time.sleep(0.05)
    return c.logs_since(since)


def service_pids():
    out = subprocess.run(["pgrep", "-f", c.GATE + " listen"],
                         stdout=subprocess.PIPE, text=True).stdout
    return [int(x) for x in out.split()]


# ---- without the service ----
n, logs = sent(), len(c.LOGS)
rc, out, err = c.as_web(NNP + [c.SENDMAIL, "-t", "-i"], MSG)
line = one_line(err) or ""
t.ok(rc == 75 and c.SUBMIT in line and "no_new_privs" in line and
     sent() == n,
     "no service, no_new_privs: 75, one line naming the socket and "
     "no_new_privs, nothing sent", (rc, err))
t.ok(not c.own_devlog or c.SUBMIT in wait_log(re.escape(c.SUBMIT), logs),
     "and a log line says so", c.logs_since(logs))
rc, out, err = c.as_web([c.SENDMAIL, "-t", "-i"], MSG)
t.ok(rc == 0 and err == b"" and sent() == n + 1,
     "no service, no no_new_privs: the set-ID gate delivers", (rc, err))

# ---- the service, as the safemail user ----
svc = c.start_service()
t.ok(os.path.exists(c.SUBMIT) and
     (os.stat(c.SUBMIT).st_mode & 0o777) == 0o666 and
     (os.stat(os.path.dirname(c.SUBMIT)).st_mode & 0o777) == 0o755,
     "the service listens on $(runstatedir)/safemail/submit, 0666",
     svc.poll())
pids = service_pids()
t.ok(len(pids) == 1 and smprobe.uids(pids[0])[0] == c.QUEUE_UID,
     "it runs as the safemail user", pids)

n, logs = sent(), len(c.LOGS)
rc, out, err = c.as_web(NNP + [c.SENDMAIL, "-t", "-i"], MSG)
got = c.relay.transactions[-1] if sent() == n + 1 else None
t.ok(rc == 0 and err == b"" and got is not None,
     "under no_new_privs, with the service: the message goes out",
     (rc, err))
t.ok(got is not None and
     ("(safemail, from userid %d)" % WEB.pw_uid).encode() in got.data,
     "the trace field names the web user's uid, as the kernel gave it",
     got.data[:200] if got else None)
text = wait_log(r"uid=%d .*status=sent" % WEB.pw_uid, logs)
t.ok(not c.own_devlog or
     re.search(r"uid=%d .*status=sent" % WEB.pw_uid, text),
     "the delivery's log line names the web user's uid", text)

# ---- a uid no passwd entry names (a container's arbitrary uid): the
# static programs look users up in the files only (libnss_systemd,
# loaded into a static program, crashed on it: exit 139, mail lost) ----
n = sent()
rc, out, err = c.as_root(["setpriv", "--reuid=61000", "--regid=61000",
                          "--clear-groups", "--no-new-privs", c.SENDMAIL,
                          "-t", "-i"], MSG)
t.ok(rc == 0 and sent() == n + 1 and
     b"(safemail, from userid 61000)" in c.relay.transactions[-1].data,
     "uid 61000, in no passwd entry: sent through the service, its uid in "
     "the trace field", (rc, err))

# ---- [limits] count the kernel's uid ----
c.write_conf(extra="[limits]\nuser.%s = 1/hour, refuse\n" % instcopy.WEB_USER)
n, logs = sent(), len(c.LOGS)
r1 = c.as_web(NNP + [c.SENDMAIL, "-t", "-i"], MSG)
r2 = c.as_web(NNP + [c.SENDMAIL, "-t", "-i"], MSG)
t.ok(r1[0] == 0 and r2[0] == 77 and b"over the limit" in r2[2] and
     sent() == n + 1,
     "[limits] apply to the web user's uid: the second of 1/hour refused",
     (r1, r2))
rc, out, err = c.as_root([c.SENDMAIL, "-t", "-i"], MSG)
t.ok(rc == 0 and sent() == n + 2, "root's mail is another uid's count",
     (rc, err))
c.write_conf()

# ---- mailq through the service: the web user's own mail only ----
rcw, _, _ = c.as_web(NNP + [c.SENDMAIL, "-odq", "-t", "-i"], MSG)
rcr, _, _ = c.as_root([c.SENDMAIL, "-odq", "-t", "-i"], MSG)
q = os.path.join(c.SPOOL, "q")
owners = {}
for name in os.listdir(q):
    if name.endswith(".env"):
        with open(os.path.join(q, name)) as f:
            owners[name[:-4]] = int(re.search(r"\nuid (\d+)\n",
                                              f.read()).group(1))
mine = [k for k, v in owners.items() if v == WEB.pw_uid]
theirs = [k for k, v in owners.items() if v != WEB.pw_uid]
rc, out, err = c.as_web(NNP + [c.MAILQ])
text = out.decode(errors="replace")
t.ok(rcw == 0 and rcr == 0 and rc == 0 and mine and theirs and
     all(k in text for k in mine) and not any(k in text for k in theirs),
     "mailq under no_new_privs, through the service: the web user's own "
     "queued mail, not root's", (rc, text, err, owners))

# ---- the quota counts the web user's messages, though the service wrote
# them (its files are the safemail user's): by their envelope's uid ----
c.write_conf(extra="[queue]\nmax_queued_messages = %d\n" % (len(mine) + 1))
ra = c.as_web(NNP + [c.SENDMAIL, "-odq", "-t", "-i"], MSG)
rb = c.as_web(NNP + [c.SENDMAIL, "-odq", "-t", "-i"], MSG)
rr = c.as_root([c.SENDMAIL, "-odq", "-t", "-i"], MSG)
t.ok(ra[0] == 0 and rb[0] == 75 and b"max_queued_messages" in rb[2] and
     rr[0] == 0,
     "max_queued_messages counts the web user's queued mail written by the "
     "service; root's share is its own", (ra, rb, rr))
c.write_conf()

# ---- the envelope's uid is not the caller's to choose ----
n = sent()
HOST = socket.gethostname()
ROOT_TRACED = ("Received: by %s (safemail, from userid 0)\r\n"
               "\tid 0123456789AB; %s\r\nFrom: x@example.org\r\n"
               "Subject: as root\r\n\r\nbody\r\n"
               % (HOST, email.utils.formatdate()))
res = smprobe.talk_to_gate("socket:" + c.SUBMIT, WEB,
                           [("uid 0", "uid=0", True),
                            ("uid 0, the trace field too", "uid=0", True,
                             ROOT_TRACED),
                            ("the queue user's uid",
                             "uid=%d" % c.QUEUE_UID, True)],
                           instcopy.SECRET)
codes = res["results"]
t.ok(codes.get("uid 0", [0])[0] not in (0, None) and
     codes.get("uid 0, the trace field too", [0])[0] not in (0, None) and
     codes.get("the queue user's uid", [0])[0] not in (0, None) and
     sent() == n and res.get("policy_has_secret") is False,
     "a request with another uid in its envelope is refused; the policy "
     "holds no secret", res)

# ---- the caller cannot reach the service's processes ----
pid = service_pids()[0]
rc, _, _ = c.as_web(["kill", "-STOP", str(pid)])
rc2, _, _ = c.as_web(["kill", "-KILL", str(pid)])
rc3, _, _ = c.as_web(["prlimit", "--pid", str(pid), "--nofile=3:3"])
pr = smprobe.probe(pid, WEB)
t.ok(rc != 0 and rc2 != 0 and rc3 != 0 and
     pr.get("ptrace") == "denied" and
     "rip" not in pr.get("gdb", ""),
     "the web user can neither signal, limit nor trace the service",
     (rc, rc2, rc3, pr.get("ptrace")))
t.ok(service_pids() == [pid] and
     c.as_web(NNP + [c.SENDMAIL, "-t", "-i"], MSG)[0] == 0,
     "and it still serves", service_pids())

# ---- caps, silence and a dying child stall nobody else ----
HOLD = r"""
import socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
held = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.send(b"HE-")
    held.append(s)
time.sleep(0.5)
extra = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
extra.connect(path)
try:
    extra.send(b"HE-")
except OSError:
    pass  # turned away before the hello: the refusal is there to read
extra.settimeout(10)
print(repr(extra.recv(500)), flush=True)
sys.stdin.readline()
"""
holder = c.as_web(["/usr/bin/python3", "-c", HOLD, c.SUBMIT, "32"],
                  wait=False)
first = holder.stdout.readline().decode(errors="replace")
t.ok(first.startswith("b'X") and "32 connections" in first,
     "the web user's 33rd connection is refused: it holds 32",
     (first, holder.poll()))
n = sent()
rc, out, err = c.as_root([c.SENDMAIL, "-t", "-i"], MSG)
t.ok(rc == 0 and sent() == n + 1,
     "while it holds them, another user's mail goes out", (rc, err))
holder.stdin.write(b"\n")
holder.communicate(timeout=30)

SILENT = r"""
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.settimeout(30)
t0 = time.time()
got = s.recv(100)
print("%r %.1f" % (got, time.time() - t0))
"""
rc, out, err = c.as_web(["/usr/bin/python3", "-c", SILENT, c.SUBMIT])
said = out.decode().split()
t.ok(rc == 0 and said and said[0] == "b''" and 8 < float(said[1]) < 20,
     "a connection that says nothing is closed after 10 s", (out, err))

# a connection's child killed mid-session (as a crash would end it): its
# caller hears so, and the service serves the next
sess = c.as_web(NNP + [c.SENDMAIL, "-t", "-i"], wait=False)
child = smprobe.wait_child(pid, "safemail-gate", lambda: True, timeout=10)
if child:
    os.kill(child, 9)
out, err = sess.communicate(b"To: a@example.org\n\nlost?\n", timeout=30)
n = sent()
rc, _, err2 = c.as_web(NNP + [c.SENDMAIL, "-t", "-i"], MSG)
t.ok(child is not None and sess.returncode not in (0, None) and
     rc == 0 and sent() == n + 1 and service_pids() == [pid],
     "a child that dies fails its own caller (non-zero) and nobody else's",
     (child, sess.returncode, err, rc, err2))

# ---- [gate] submit_users ----
c.write_conf(extra="[gate]\nsubmit_users = root\n")
n, logs = sent(), len(c.LOGS)
rc, out, err = c.as_web(NNP + [c.SENDMAIL, "-t", "-i"], MSG)
line = one_line(err) or ""
t.ok(rc == 77 and "submit_users" in line and sent() == n,
     "[gate] submit_users = root: the web user is refused, 77, one line",
     (rc, err))
rc, out, err = c.as_root([c.SENDMAIL, "-t", "-i"], MSG)
t.ok(rc == 0 and sent() == n + 1, "root is let in", (rc, err))
c.write_conf(extra="[gate]\nsubmit_groups = %s\n" % instcopy.WEB_USER)
rc, out, err = c.as_web(NNP + [c.SENDMAIL, "-t", "-i"], MSG)
t.ok(rc == 0 and sent() == n + 2,
     "submit_groups naming the web user's group lets it in", (rc, err))
c.write_conf()

c.stop_service()
t.ok(not os.path.exists(c.SUBMIT), "stopped, the service removes its socket")

# the set-ID path counts what the service queued for the same user: one
# share for both paths (the red team's finding)
web_queued = 0
for name in os.listdir(q):
    if name.endswith(".env"):
        with open(os.path.join(q, name)) as f:
            web_queued += "\nuid %d\n" % WEB.pw_uid in f.read()
c.write_conf(extra="[queue]\nmax_queued_messages = %d\n" % web_queued)
rc, out, err = c.as_web([c.SENDMAIL, "-odq", "-t", "-i"], MSG)
t.ok(web_queued >= 2 and rc == 75 and b"max_queued_messages" in err,
     "the set-ID gate counts the web user's mail the service queued "
     "against its share", (web_queued, rc, err))
c.write_conf()
t.done()
