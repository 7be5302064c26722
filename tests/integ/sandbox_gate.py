"""sandbox_gate - the gate locks itself down (src/gate/sandbox_gate.c on
src/lib/sandbox.c), on both paths, after the caller is identified and the
configuration read, before the first request:

- The self-test (SAFEMAIL_SANDBOX_TEST=probe) of a real submission:
  /etc/passwd, the configuration, execve, a netlink and a packet socket,
  ptrace and process_vm_readv refused; the control (the spool) works.
  With sandbox = no the same probes reach the kernel (negative control).
- From outside: the service's connection child, held in a -bs session,
  shows NoNewPrivs: 1 and Seccomp: 2; served by the kept relay client it
  has no spawner at all; with -v its relay clients come from the spawner
  the listener forked for it on its first need (unsandboxed, so that
  they can load their libraries and reach the network), which ends with
  the connection; the message is sent either way.
- [limits] group rules in the service match the connection's groups
  (SO_PEERCRED, SO_PEERGROUPS), not the service user's.
- A configuration changed during a session is not read by the locked
  gate: the session's next message gets a temporary failure.
- No seccomp filter: 75, one line naming it, nothing sent.
- safemail --check prints the gate's sandbox line.
Every submission here runs under SAFEMAIL_SANDBOX_TEST=trap (smtest.py):
a call outside the gate's list is named and fails the test."""
# debian: python3-aiosmtpd util-linux gcc
import os
import re
import subprocess
import tempfile
import time

import smtest
import smtprelay

t = smtest.Tap()
if os.geteuid() != 0:
    t.skip_all("needs root (setpriv, the service as root)")
GATE = os.path.join(smtest.LIBEXEC, "safemail-gate")
MSG = b"To: a@example.org\nSubject: gate sandbox\n\nhello\n"
FORBIDDEN = smtest.SANDBOX_FORBIDDEN
probe = smtest.sandbox_probe
trapped = smtest.sandbox_trapped


def self_test(logs):
    return smtest.sandbox_self_test(logs, "safemail-gate")


def new_spool():
    spool = tempfile.mkdtemp(prefix="safemail-gatebox-")
    os.chmod(spool, 0o750)
    return spool


# ---- 1. the self-test on the gate's own path, and its negative control --
relay = smtprelay.Relay()
env = smtest.Env(smtest.relay_config(relay.port))
spool = new_spool()
r = env.run(["-t", "-i"], stdin=MSG,
            env={"SAFEMAIL_SPOOL": spool, "SAFEMAIL_SANDBOX_TEST": "probe"})
st = self_test(r.logs)
t.ok(r.rc == 0 and len(relay.transactions) == 1,
     "a submission with the gate's self-test: sent", r)
for name in FORBIDDEN:
    t.ok((probe(st, name) or "").startswith("refused"),
         "gate, sandbox on: %s is refused" % name, (probe(st, name), st))
t.ok(probe(st, "control: open") == "allowed (succeeded)",
     "gate, sandbox on: the control (the spool) works", st)
t.ok(probe(st, "time zone") == "allowed (succeeded)",
     "gate, sandbox on: /etc/localtime is readable (the time zone, loaded "
     "when syslog first stamps a line)", st)
t.ok((probe(st, "open the configuration") or "").startswith(
    "refused (EACCES"),
     "the configuration (readable by the gate before): refused by "
     "Landlock", st)
t.ok(smtest.sandbox_filter(r.logs, "safemail-gate") ==
     "built with the program",
     "the set-ID gate loaded the seccomp filter built with it (at build "
     "time, from its list), not one built at run time", r.logs)

# the listing (mailq) reads every queued envelope it shows: locked too
r = env.run([], argv0="mailq",
            env={"SAFEMAIL_SPOOL": spool, "SAFEMAIL_SANDBOX_TEST": "probe"})
st = self_test(r.logs)
t.ok(r.rc == 0 and st and all((probe(st, n) or "").startswith("refused")
                              for n in FORBIDDEN),
     "the set-ID listing (mailq) locks down too: every forbidden probe "
     "refused", (r, st))

env.write_config(smtest.relay_config(relay.port, mail="sandbox = no"))
r = env.run(["-t", "-i"], stdin=MSG,
            env={"SAFEMAIL_SPOOL": spool, "SAFEMAIL_SANDBOX_TEST": "probe"})
st = self_test(r.logs)
t.ok(r.rc == 0 and len(relay.transactions) == 2, "sandbox = no: sent", r)
for name in FORBIDDEN:
    t.ok((probe(st, name) or "").startswith("allowed"),
         "gate, sandbox = no (negative control): %s reaches the kernel"
         % name, (probe(st, name), st))

# the other kinds of submission, each under the trap
env.write_config(smtest.relay_config(relay.port))
cases = [
    ("-odq", ["-odq", "-t", "-i"], MSG),
    ("-bs, two messages", ["-bs"],
     b"HELO x\r\nMAIL FROM:<shop@store.example.com>\r\n"
     b"RCPT TO:<a@example.org>\r\nDATA\r\nSubject: bs1\r\n\r\nhi\r\n.\r\n"
     b"MAIL FROM:<shop@store.example.com>\r\nRCPT TO:<b@example.org>\r\n"
     b"DATA\r\nSubject: bs2\r\n\r\nhi\r\n.\r\nQUIT\r\n"),
    ("-v", ["-v", "-t", "-i"], MSG),
]
for name, args, stdin in cases:
    r = env.run(args, stdin=stdin, env={"SAFEMAIL_SPOOL": spool})
    t.ok(r.rc == 0 and not trapped(r.logs),
         "%s through the locked gate: no call outside its list" % name,
         trapped(r.logs) or r)
env.write_config(smtest.relay_config(relay.port, mail="async = yes"))
n = len(relay.transactions)
r = env.run(["-t", "-i"], stdin=MSG, env={"SAFEMAIL_SPOOL": spool})
deadline = time.time() + 20
while len(relay.transactions) == n and time.time() < deadline:
    time.sleep(0.1)
t.ok(r.rc == 0 and not trapped(r.logs) and len(relay.transactions) == n + 1,
     "async: the background attempt, started by the spawner, sends it",
     trapped(r.logs) or r)
env.write_config(smtest.relay_config(relay.port))


# ---- 2. the service: its connection child, locked down, from outside ----
Service = smtest.Service
children = smtest.children
status = smtest.proc_status


def held_session(svc, args, relay, want):
    """A -bs session on svc, held open after its message: the listener's
    children and their children, seen from outside while it waits"""
    bs = svc.bs_session(args)
    bs.stdin.write(b"HELO x\r\nMAIL FROM:<shop@store.example.com>\r\n"
                   b"RCPT TO:<a@example.org>\r\nDATA\r\nSubject: held\r\n"
                   b"\r\nhi\r\n.\r\n")
    bs.stdin.flush()
    def look():
        seen = {"listener's": []}
        for c in children(svc.proc.pid):
            s = status(c)
            if s.get("Seccomp") == "2" and s.get("Name", "").startswith(
                    "safemail-gate"):
                seen["child"] = s
                seen["grandchildren"] = [status(g) for g in children(c)]
            else:
                seen["listener's"].append(s)
        return seen

    deadline = time.time() + 15
    while time.time() < deadline and len(relay.transactions) < want:
        time.sleep(0.05)
    # the message went out: the session is held, its processes seen now
    # (a look taken before the message could predate its spawner)
    time.sleep(0.3)
    seen = look()
    bs.stdin.write(b"QUIT\r\n")
    bs.stdin.close()
    out = bs.stdout.read()
    bs.wait(timeout=20)
    return seen, out


def spawners(seen):
    """the listener's children that are spawners: the gate's program,
    not filtered"""
    return [s for s in seen.get("listener's", [])
            if s.get("Name", "").startswith("safemail-gate") and
            s.get("Seccomp") == "0"]


relay2 = smtprelay.Relay()
# probe: the self-test in each connection child, which loads the filter
# built with the program
svc = Service(smtest.relay_config(relay2.port),
              extra_env={"SAFEMAIL_SANDBOX_TEST": "probe"})
# a -bs session held open: the connection child waits for its next line
found, out = held_session(svc, [], relay2, 1)
t.ok(found.get("child", {}).get("NoNewPrivs") == "1" and
     found.get("child", {}).get("Seccomp") == "2",
     "the service's connection child, mid-session: NoNewPrivs: 1, "
     "Seccomp: 2", found)
t.ok(found.get("grandchildren") == [] and not spawners(found),
     "served by the relay client the service keeps: no spawner forked for "
     "it, by itself or by the listener", found)
t.ok(b"250 2.0.0" in out and len(relay2.transactions) == 1 and
     not trapped(svc.logs),
     "the message of that session is sent; no call outside the list",
     (out, trapped(svc.logs)))
# -v: a relay client of its own (not the kept one), which only a spawner
# can start for a locked-down gate
found, out = held_session(svc, ["-v"], relay2, 2)
t.ok(found.get("child", {}).get("Seccomp") == "2" and
     found.get("grandchildren") == [] and len(spawners(found)) == 1,
     "-v: the listener forked one spawner for that connection, not "
     "filtered (it starts the relay clients); the locked child forked "
     "nothing", found)
t.ok(b"250 2.0.0" in out and len(relay2.transactions) == 2 and
     not trapped(svc.logs),
     "-v: the message of that session is sent through the spawner's relay "
     "client; no call outside the list", (out, trapped(svc.logs)))
deadline = time.time() + 10
while time.time() < deadline and any(
        status(c).get("Seccomp") == "0" and
        status(c).get("Name", "").startswith("safemail-gate")
        for c in children(svc.proc.pid)):
    time.sleep(0.05)
t.ok(not any(status(c).get("Seccomp") == "0" and
             status(c).get("Name", "").startswith("safemail-gate")
             for c in children(svc.proc.pid)),
     "the connection ended: its spawner ended with it")
st = self_test(svc.logs)
t.ok(all((probe(st, n) or "").startswith("refused") for n in FORBIDDEN) and
     probe(st, "control: open") == "allowed (succeeded)" and
     smtest.sandbox_filter(svc.logs, "safemail-gate") ==
     "built with the program",
     "the service's child, with the filter built with the program: every "
     "forbidden probe refused, the control works",
     (st, smtest.sandbox_filter(svc.logs, "safemail-gate")))

# a configuration changed during a session: refused, not read
bs = svc.bs_session()
bs.stdin.write(b"HELO x\r\n")
bs.stdin.flush()
time.sleep(0.5)
with open(svc.env.config, "a") as f:
    f.write("\n; changed\n")
bs.stdin.write(b"MAIL FROM:<shop@store.example.com>\r\nRCPT TO:<a@example.org>"
               b"\r\nDATA\r\nSubject: after\r\n\r\nhi\r\n.\r\nQUIT\r\n")
bs.stdin.close()
out = bs.stdout.read().decode()
bs.wait(timeout=20)
t.ok(re.search(r"\r\n45\d [^\r]*changed during this session: connect again",
               out) and len(relay2.transactions) == 2,
     "a configuration changed mid-session: the locked gate does not read "
     "it; the message gets a temporary failure", out)
svc.stop()

# ---- 3. [limits] group rules match the connection's groups ----
relay3 = smtprelay.Relay()
conf = smtest.relay_config(relay3.port).replace(
    "[aliases]", "[limits]\ngid.4321 = 1/hour, refuse\n[aliases]")
svc = Service(conf)
os.chmod(svc.env.dir, 0o755)


def as_member():
    os.setgroups([4321])
    os.setgid(1234)
    os.setuid(1234)


rs = [svc.send(["-t", "-i"], MSG, preexec_fn=as_member) for _ in range(2)]
t.ok([r.rc for r in rs] == [0, 77] and len(relay3.transactions) == 1 and
     "over the limit of gid.4321" in rs[1].err,
     "the service: a caller in group 4321 (a supplementary group of the "
     "connection) is counted by gid.4321: the second message refused",
     rs)
r = svc.send(["-t", "-i"], MSG)
t.ok(r.rc == 0 and len(relay3.transactions) == 2,
     "root (not in 4321) is not counted by it", r)
svc.stop()

# ---- 4. no seccomp filter: 75, one line, nothing sent ----
shim = smtest.no_seccomp_shim()
static_gate = b"static" in subprocess.run(
    ["ldd", GATE], capture_output=True).stdout
relay4 = smtprelay.Relay()
asan = os.environ.get("ASAN_OPTIONS", "")
svc = Service(smtest.relay_config(relay4.port),
              extra_env={"LD_PRELOAD": shim, "ASAN_OPTIONS":
                         (asan + ":verify_asan_link_order=0").lstrip(":")})
r = svc.send(["-t", "-i"], MSG)
t.ok(static_gate or r.rc == 75 and "seccomp" in r.err and
     len(r.err.strip().splitlines()) == 1 and not relay4.transactions,
     "the gate cannot install its filter: 75, one line naming it, nothing "
     "sent (the caller keeps its message) (a dynamic gate: LD_PRELOAD "
     "cannot reach a static one; CI's sanitizer build is dynamic)", r)
t.ok(static_gate or any("seccomp" in l and "safemail-gate" in l
                       for l in svc.logs),
     "and a log line", svc.logs)
# the gate locks down after its policy went out, while the front end
# reads the message: one that reads slowly finds the gate gone when it
# hands the message over, and reports the gate's code and line
msgfile = os.path.join(svc.env.dir, "slow.msg")
with open(msgfile, "wb") as f:
    f.write(MSG)
r = svc.env.run_program(
    ["sh", "-c", '(sleep 1; cat "$1") | "$0" -t -i', smtest.SAFEMAIL,
     msgfile], executable="/bin/sh",
    env={"SAFEMAIL_SPOOL": svc.spool, "SAFEMAIL_SUBMIT_SOCKET": svc.sock})
t.ok(static_gate or r.rc == 75 and "seccomp" in r.err and
     len(r.err.strip().splitlines()) == 1 and not relay4.transactions,
     "a front end still reading the message when the gate failed to lock "
     "down: the gate's 75 and its one line, not a broken pipe", r)
svc.stop()

# ---- 5. safemail --check ----
r = env.run(["--check"], argv0="safemail", env={"SAFEMAIL_SPOOL": spool})
line = [l for l in r.out.splitlines()
        if l.startswith("sandbox of safemail-gate: ")]
t.ok(line and "NoNewPrivs yes; seccomp yes (" in line[0] and
     re.search(r"Landlock (ABI \d+: %s read,write,create,mkdir|: not "
               r"offered)" % re.escape(spool), line[0]) and
     "execve none" in line[0] and "built with the program" in line[0],
     "--check prints the gate's sandbox: no_new_privs, seccomp (the filter "
     "built with the program), Landlock's ABI and rights", r.out)
t.done()
