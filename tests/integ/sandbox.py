"""sandbox - the relay client locks itself down (src/relay/sandbox_relay.c
on src/lib/sandbox.c): no_new_privs, Landlock, a seccomp allow-list.

- The self-test hook (SAFEMAIL_SANDBOX_TEST=probe, an override no set-ID
  or service process takes from its caller) runs after the lock-down of a
  real delivery: opening /etc/passwd and the configuration, execve, a
  netlink and a packet socket, ptrace and process_vm_readv are refused;
  the control (reading a spool area) works. With sandbox = no the same
  probes succeed (the negative control).
- From outside: /proc/PID/status of a relay client held at the relay's
  DATA shows NoNewPrivs: 1 and Seccomp: 2; with sandbox = no, 0 and 0.
- Every kind of delivery (plain, STARTTLS, implicit TLS, a queue run
  with a bounce, -bs, the service's kept client) runs under
  SAFEMAIL_SANDBOX_TEST=trap (smtest.py sets it for every test): a system
  call outside the list is named in the log and stderr, and the test
  fails saying which.
- A relay client that cannot install its seccomp filter refuses: 75, its
  one line, a log line, the message kept; one on a kernel without
  Landlock sends under seccomp alone and says so in one log line.
- safemail --check prints the relay client's sandbox."""
# debian: python3-aiosmtpd openssl gcc
import os
import re
import tempfile
import threading
import time

import smtest
import smtprelay

t = smtest.Tap()
ca = smtprelay.TestCA()
MSG = b"To: a@example.org\nSubject: sandboxed\n\nhello\n"
RELAY_BIN = os.path.join(smtest.LIBEXEC, "safemail-relay")
FORBIDDEN = smtest.SANDBOX_FORBIDDEN
probe = smtest.sandbox_probe


def new_spool():
    spool = tempfile.mkdtemp(prefix="safemail-sandbox-spool-")
    os.chmod(spool, 0o750)
    for area in ("q", "tmp", "failed", "corrupt", "run"):
        os.mkdir(os.path.join(spool, area), 0o770)
    return spool


def deliver(mail="", smtp="", relay_kw=None, env=None, args=("-t",),
            stdin=MSG, spool=None):
    relay = smtprelay.Relay(**(relay_kw or {}))
    e = smtest.Env(smtest.relay_config(relay.port, "no", mail, smtp))
    environ = {"SAFEMAIL_SPOOL": spool or new_spool()}
    environ.update(env or {})
    res = e.run(list(args), stdin=stdin, env=environ, timeout=60)
    relay.stop()
    return relay, res


def self_test(res):
    """{probe: line} from the relay client's self-test log lines"""
    return smtest.sandbox_self_test(res.logs, "safemail-relay")


def trapped(res):
    return smtest.sandbox_trapped(res.logs)


# ---- 1. The self-test after the lock-down, and its negative control ----
relay, r = deliver(env={"SAFEMAIL_SANDBOX_TEST": "probe"})
st = self_test(r)
t.ok(r.rc == 0 and len(relay.transactions) == 1,
     "a delivery with the self-test: sent", r)
for name in FORBIDDEN:
    t.ok((probe(st, name) or "").startswith("refused"),
         "sandbox on: %s is refused" % name, st)
t.ok((probe(st, "control: open") or "") == "allowed (succeeded)",
     "sandbox on: the control (reading a spool area) works", st)
t.ok(probe(st, "time zone") == "allowed (succeeded)",
     "sandbox on: /etc/localtime is readable (the time zone, loaded when "
     "syslog first stamps a line)", st)
t.ok(probe(st, "execve /bin/true") == "refused (seccomp)" and
     probe(st, "socket AF_NETLINK") == "refused (seccomp)",
     "execve and a netlink socket: refused by seccomp", st)
t.ok((probe(st, "open /etc/passwd") or "").startswith("refused (EACCES"),
     "/etc/passwd (mode 0644): refused by Landlock", st)
t.ok(smtest.sandbox_filter(r.logs, "safemail-relay") ==
     "built with the program",
     "the relay client loaded the seccomp filter built with it (at build "
     "time, from its list), not one built at run time", r.logs)

relay, r = deliver(mail="sandbox = no",
                   env={"SAFEMAIL_SANDBOX_TEST": "probe"})
st = self_test(r)
t.ok(r.rc == 0 and len(relay.transactions) == 1,
     "sandbox = no: sent", r)
for name in FORBIDDEN:
    t.ok((probe(st, name) or "").startswith("allowed"),
         "sandbox = no (negative control): %s reaches the kernel" % name,
         st)
t.ok(probe(st, "open /etc/passwd") == "allowed (succeeded)" and
     probe(st, "socket AF_NETLINK") == "allowed (succeeded)" and
     probe(st, "execve /bin/true") ==
     "allowed (reached the kernel: Bad address)",
     "sandbox = no: opened, made, and execve got as far as argv", st)
t.ok((probe(st, "control: open") or "") == "allowed (succeeded)",
     "sandbox = no: the control works", st)
t.ok(smtest.sandbox_filter(r.logs, "safemail-relay") is None,
     "sandbox = no: no seccomp filter loaded", r.logs)


# ---- 2. From outside: /proc/PID/status of a running relay client ----
def relay_clients():
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/exe" % p) == os.path.realpath(
                    RELAY_BIN):
                pids.append(int(p))
        except OSError:
            pass
    return pids


def status_while_held(mail=""):
    """NoNewPrivs and Seccomp of the relay client, read last while the
    relay holds its DATA command for 2 s (after the lock-down)"""
    before = set(relay_clients())
    last = {}
    box = {}

    def send():
        box["r"] = deliver(mail=mail, relay_kw={"script": {"DATA":
                                                          "delay:2"}})

    th = threading.Thread(target=send)
    th.start()
    while th.is_alive():
        for pid in set(relay_clients()) - before:
            try:
                with open("/proc/%d/status" % pid) as f:
                    text = f.read()
            except OSError:
                continue
            fields = dict(l.split(":", 1) for l in text.splitlines()
                          if ":" in l)
            last = {k: fields.get(k, "").strip()
                    for k in ("NoNewPrivs", "Seccomp")}
        time.sleep(0.05)
    th.join()
    return last, box.get("r")


found, (relay, r) = status_while_held()
t.ok(found.get("NoNewPrivs") == "1" and found.get("Seccomp") == "2",
     "a relay client held at DATA: NoNewPrivs: 1, Seccomp: 2 "
     "(filter mode)", found)
t.ok(r.rc == 0 and len(relay.transactions) == 1,
     "and the message is sent", r)
found, (relay, r) = status_while_held(mail="sandbox = no")
t.ok(found.get("NoNewPrivs") == "0" and found.get("Seccomp") == "0",
     "sandbox = no: NoNewPrivs: 0, Seccomp: 0 (the same reading sees the "
     "difference)", found)

# ---- 3. Every kind of delivery under the trap: no call outside the list --
TLS = "ssl = tls\ntls_ca_file = %s" % ca.ca
SSL = "ssl = ssl\ntls_ca_file = %s" % ca.ca
cases = [
    ("plain", {}, "", ("-t",), MSG),
    ("STARTTLS", {"tls": "starttls", "cert": ca.good}, TLS, ("-t",), MSG),
    ("implicit TLS", {"tls": "implicit", "cert": ca.good}, SSL, ("-t",),
     MSG),
    ("AUTH PLAIN over STARTTLS",
     {"tls": "starttls", "cert": ca.good, "auth": ("u", "pw-123")},
     TLS + "\nauth = plain\nusername = u\npassword = pw-123",
     ("-t",), MSG),
    ("-bs", {}, "", ("-bs",),
     b"HELO x\r\nMAIL FROM:<shop@store.example.com>\r\n"
     b"RCPT TO:<a@example.org>\r\nDATA\r\nSubject: bs\r\n\r\nhi\r\n.\r\n"
     b"QUIT\r\n"),
]
for name, kw, smtp, args, stdin in cases:
    relay, r = deliver(smtp=smtp, relay_kw=kw, args=args, stdin=stdin)
    t.ok(r.rc == 0 and len(relay.transactions) == 1 and not trapped(r),
         "%s: delivered under the sandbox, no call outside its list" % name,
         trapped(r) or r)

# a queue run with a bounce: the relay refuses one recipient for good
spool = new_spool()
relay = smtprelay.Relay(script={"RCPT:gone": "550 5.1.1 no such user"})
e = smtest.Env(smtest.relay_config(relay.port, "no", "",
                                   "") .replace("[aliases]",
                                                "[queue]\nretry = 1s\n"
                                                "[aliases]"))
r1 = e.run(["-odq", "a@example.org", "gone@example.org"], stdin=MSG,
           env={"SAFEMAIL_SPOOL": spool}, timeout=60)
r2 = e.run_program(["safemail", "-q"], smtest.SAFEMAIL,
                   env={"SAFEMAIL_SPOOL": spool}, timeout=60)
relay.stop()
rcpts = sorted(a for tx in relay.transactions for a in tx.rcpt_tos)
t.ok(r1.rc == 0 and r2.rc == 0 and not trapped(r2) and
     "a@example.org" in rcpts and
     any(tx.mail_from in ("", "<>") for tx in relay.transactions),
     "a queue run with a bounce: sent, bounced, no call outside the list",
     trapped(r2) or (r1, r2, relay.transactions))

# ---- 4. No seccomp filter: 75, one line, a log line, the message kept ----
shim = smtest.no_seccomp_shim()
spool = new_spool()
relay = smtprelay.Relay()
e = smtest.Env(smtest.relay_config(relay.port))
r1 = e.run(["-odq", "a@example.org"], stdin=MSG,
           env={"SAFEMAIL_SPOOL": spool}, timeout=60)
queued = os.listdir(os.path.join(spool, "q"))
asan = dict((k, v) for k, v in os.environ.items() if k.endswith("SAN_OPTIONS"))
asan["ASAN_OPTIONS"] = (asan.get("ASAN_OPTIONS", "") +
                        ":verify_asan_link_order=0").lstrip(":")
env = dict(asan, LD_PRELOAD=shim, SAFEMAIL_SPOOL=spool)
r2 = e.run_program(["safemail-relay", "queue"], RELAY_BIN, env=env,
                   timeout=60)
t.ok(r2.rc == 75 and "seccomp" in r2.err and
     len(r2.err.strip().splitlines()) == 1 and len(relay.transactions) == 0,
     "no seccomp filter: exit 75, one line naming it, nothing sent", r2)
t.ok(any("seccomp" in l for l in r2.logs), "and a log line", r2.logs)
t.ok(queued and os.listdir(os.path.join(spool, "q")) == queued,
     "the message is kept in the queue", (queued, r1))
e.write_config(smtest.relay_config(relay.port, mail="sandbox = no"))
r3 = e.run_program(["safemail-relay", "queue"], RELAY_BIN, env=env,
                   timeout=60)
relay.stop()
t.ok(r3.rc == 0 and len(relay.transactions) == 1,
     "sandbox = no (to debug): the same run sends it", r3)

# ---- 4b. A kernel without Landlock (ENOSYS, as older container runtimes
# answer): seccomp alone, one log line, delivered ----
noll = smtest.syscall_shim(444, "ENOSYS")  # landlock_create_ruleset
spool = new_spool()
relay = smtprelay.Relay()
e = smtest.Env(smtest.relay_config(relay.port))
r1 = e.run(["-odq", "a@example.org"], stdin=MSG,
           env={"SAFEMAIL_SPOOL": spool}, timeout=60)
env = dict(asan, LD_PRELOAD=noll, SAFEMAIL_SPOOL=spool,
           SAFEMAIL_SANDBOX_TEST="trap")
r2 = e.run_program(["safemail-relay", "queue"], RELAY_BIN, env=env,
                   timeout=60)
relay.stop()
noland = [l for l in r2.logs if "runs without Landlock" in l]
t.ok(r2.rc == 0 and len(relay.transactions) == 1 and not trapped(r2),
     "no Landlock: the queue run sends under seccomp alone", r2)
t.ok(len(noland) == 1 and "not offered by this kernel" in noland[0],
     "and says so in one log line", r2.logs)
r = e.run_program(["safemail-relay", "check"], RELAY_BIN,
                  env=dict(asan, LD_PRELOAD=noll, SAFEMAIL_SPOOL=spool),
                  timeout=60)
t.ok("; Landlock: not offered by this kernel (" in r.out,
     "--check says Landlock is not offered", r.out)

# ---- 5. safemail --check prints what the relay client enforces ----
relay = smtprelay.Relay()
e = smtest.Env(smtest.relay_config(relay.port))
spool = new_spool()
r = e.run(["--check"], argv0="safemail", env={"SAFEMAIL_SPOOL": spool})
line = [l for l in r.out.splitlines() if l.startswith(
    "sandbox of safemail-relay: ")]
t.ok(r.rc == 0 and line and "NoNewPrivs yes; seccomp yes (" in line[0] and
     "built with the program; any other call kills the process" in line[0],
     "--check: the relay client's line: no_new_privs, seccomp (the filter "
     "built with the program)", r.out)
t.ok(line and re.search(r"Landlock (ABI \d+: .*%s read,write,create,mkdir|"
                        r": not offered by this kernel)" % re.escape(spool),
                        line[0]),
     "--check: Landlock's ABI and the rights per path (or not offered)",
     line)
# "off" is taken as "no" (safemail.ini(5))
e.write_config(smtest.relay_config(relay.port, mail="sandbox = off"))
r = e.run(["--check"], argv0="safemail", env={"SAFEMAIL_SPOOL": spool})
relay.stop()
t.ok("sandbox of safemail-relay: off (sandbox = no): nothing enforced"
     in r.out,
     "--check, sandbox = off: says nothing is enforced", r.out)
t.done()
