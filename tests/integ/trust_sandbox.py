"""trust_sandbox - issue 29 on an installed copy with the real modes,
driven by the web user: the relay client a delivery starts through the
set-ID gate, held at the relay's DATA, shows NoNewPrivs: 1 and Seccomp: 2
in /proc/PID/status; so does the client the submission service keeps;
the web user cannot switch the test builds' self-test or trap on (the
set-ID gate and the service never take SAFEMAIL_SANDBOX_TEST from their
caller); safemail --check prints the relay client's sandbox, and that
the gate's and the relay client's filters came with the programs."""
# debian: python3-aiosmtpd util-linux
import os
import threading
import time

import instcopy
import smtest

t = smtest.Tap()
c = instcopy.install(t, relay_kw={"script": {"DATA": "delay:2"}})
MSG = b"To: a@example.org\nSubject: sandboxed\n\nbody\n"
RELAY = os.path.realpath(c.RELAYBIN)


def relay_clients():
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.readlink("/proc/%s/exe" % p) == RELAY:
                    pids.append(int(p))
            except OSError:
                pass
    return pids


def status(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            text = f.read()
    except OSError:
        return {}
    return {k.strip(): v.strip() for k, v in
            (l.split(":", 1) for l in text.splitlines() if ":" in l)}


def held_status(argv, env=None):
    """send as the web user; the relay client's status, read last while
    the relay holds DATA"""
    before = set(relay_clients())
    box = {}
    th = threading.Thread(target=lambda: box.setdefault(
        "r", c.as_web(argv, MSG, env=env)))
    th.start()
    last = {}
    while th.is_alive():
        for pid in set(relay_clients()) - before:
            s = status(pid)
            if s:
                last = s
        time.sleep(0.05)
    th.join()
    return last, box["r"]


# ---- 1. The set-ID path: the relay client under the caller's uid ----
n = len(c.relay.transactions)
s, (rc, out, err) = held_status([c.SENDMAIL, "-t"])
t.ok(rc == 0 and len(c.relay.transactions) == n + 1,
     "the web user's message is sent through the set-ID gate", (rc, err))
t.ok(s.get("NoNewPrivs") == "1" and s.get("Seccomp") == "2",
     "its relay client, held at DATA: NoNewPrivs: 1, Seccomp: 2",
     {k: s.get(k) for k in ("NoNewPrivs", "Seccomp", "Uid", "Gid")})

# ---- 2. The caller cannot switch a test mode on ----
mark = len(c.LOGS)
rc, out, err = c.as_web([c.SENDMAIL, "-t"], MSG,
                        env={"SAFEMAIL_SANDBOX_TEST": "probe"})
time.sleep(0.5)
t.ok(rc == 0 and "sandbox self-test" not in c.logs_since(mark),
     "SAFEMAIL_SANDBOX_TEST=probe from the web user: no self-test (the "
     "set-ID gate does not pass it on)", c.logs_since(mark))

# ---- 3. The service's kept client ----
before = set(relay_clients())
svc = c.start_service()
rc, out, err = c.as_web([c.SENDMAIL, "-t"], MSG,
                        env={"SAFEMAIL_SANDBOX_TEST": "trap"})
kept = [p for p in set(relay_clients()) - before if status(p)]
s = status(kept[0]) if kept else {}
t.ok(rc == 0 and kept and s.get("NoNewPrivs") == "1" and
     s.get("Seccomp") == "2" and
     s.get("Uid", "").split()[0] == str(c.QUEUE_UID),
     "the service's kept relay client (the safemail user): NoNewPrivs: 1, "
     "Seccomp: 2", (rc, err, kept, {k: s.get(k) for k in
                                    ("NoNewPrivs", "Seccomp", "Uid")}))
c.stop_service()

# ---- 4. --check ----
rc, out, err = c.as_root([c.SBIN, "--check"])
line = [l for l in out.decode(errors="replace").splitlines()
        if l.startswith("sandbox of safemail-relay: ")]
t.ok(line and "NoNewPrivs yes; seccomp yes" in line[0] and
     c.SPOOL in line[0],
     "safemail --check: the relay client's sandbox, with the spool's rights",
     (rc, out, err))
# production's filters (a call outside the list kills), the ones every
# delivery here loads: generated at build time, matched by the policy's
# fingerprint (sandbox.c), not built at run time
gate = [l for l in out.decode(errors="replace").splitlines()
        if l.startswith("sandbox of safemail-gate: ")]
t.ok(line and gate and all("seccomp yes (" in l and
                           "built with the program; any other call kills "
                           "the process" in l for l in (line[0], gate[0])),
     "safemail --check: the installed gate and relay client carry their "
     "production seccomp filters, built with the programs", (line, gate))
t.done()
