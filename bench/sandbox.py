"""sandbox.py - issue 29: the relay client's sandbox, on and off, in one
interleaved run of the same build: synchronous sending (the set-ID path:
a relay client per message, so its set-up and lock-down each time; the
service's kept client; STARTTLS with a CA file) and a queue run's
throughput (8 connections, forked workers), each row alternating
sandbox = yes and sandbox = no in a shuffled order; and what one
lock-down costs a process (bench/src/lockdown.c).
Usage: sandbox.py SAFEMAIL [ROUNDS [QUEUED]]"""
import atexit
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "tests", "integ"))
import sink  # noqa: E402
import smtprelay  # noqa: E402

SAFEMAIL = os.path.abspath(sys.argv[1])
GATE = os.path.join(os.path.dirname(SAFEMAIL), "safemail-gate")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 31
QUEUED = int(sys.argv[3]) if len(sys.argv) > 3 else 400
work = tempfile.mkdtemp(prefix="safemail-bench-sandbox-")
os.chmod(work, 0o755)
random.seed(29)

ca = smtprelay.TestCA()
plain = sink.CSink(work)
tls = sink.Sink(tls=ca.server_context(ca.good))
MSG = (b"From: b@example.com\r\nTo: a@example.org\r\nSubject: bench\r\n\r\n" +
       b"x" * 76 + b"\r\n")
MSG += b"y" * (1024 - len(MSG) - 2) + b"\r\n"
LOGSOCK = os.path.join(work, "no-log")  # a send to nowhere, as syslog's
NO_SERVICE = os.path.join(work, "no-service", "submit")
procs = []


def config(name, port, sandbox, extra=""):
    path = os.path.join(work, "%s-%s.ini" % (name, sandbox))
    with open(path, "w") as f:
        f.write("[mail]\ndomain = example.com\ndefault_sender = "
                "b@example.com\nsandbox = %s\n[smtp]\nhost = 127.0.0.1\n"
                "port = %d\n%s\n[queue]\nconnections = 8\n"
                % (sandbox, port, extra))
    os.chmod(path, 0o600)
    return path


def spool(name):
    d = os.path.join(work, "spool-" + name)
    os.mkdir(d, 0o750)
    return d


def env(conf, spool_dir, sock=None):
    return {"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": conf,
            "SAFEMAIL_SPOOL": spool_dir,
            "SAFEMAIL_LIBEXEC": os.path.dirname(SAFEMAIL),
            "SAFEMAIL_QUEUE_USER": "root",
            "SAFEMAIL_SUBMIT_SOCKET": sock or NO_SERVICE,
            "SAFEMAIL_LOG_SOCKET": LOGSOCK}


def service(name, conf):
    d = os.path.join(work, "svc-" + name)
    os.mkdir(d, 0o755)
    sock = os.path.join(d, "run", "submit")
    e = env(conf, spool("svc-" + name), sock)
    p = subprocess.Popen([GATE, "listen", sock], env=e,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         start_new_session=True)
    procs.append(p)
    for _ in range(400):
        if os.path.exists(sock):
            return e
        time.sleep(0.005)
    sys.exit("the service did not listen")


@atexit.register
def stop():
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
    plain.stop()
    tls.stop()


def call(argv, e, stdin=MSG):
    start = time.perf_counter()
    p = subprocess.run(argv, input=stdin, env=e, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit("%s failed: %r" % (argv, p.stderr))
    return took * 1000


SYNC = [SAFEMAIL, "-i", "a@example.org"]
TLS = "ssl = tls\ntls_ca_file = " + ca.ca
rows = {}
for sb in ("yes", "no"):
    rows[("set-ID path, plain", sb)] = env(config("plain", plain.port, sb),
                                           spool("plain-" + sb))
    rows[("set-ID path, STARTTLS (CA file)", sb)] = env(
        config("tls", tls.port, sb, TLS), spool("tls-" + sb))
    rows[("service, kept client, plain", sb)] = service(
        "plain-" + sb, config("svc", plain.port, sb))
names = sorted({n for n, _ in rows})
times = {k: [] for k in rows}
for k in rows:  # warm up: page cache, the kept clients
    call(SYNC, rows[k])
for r in range(ROUNDS):
    order = list(rows)
    random.shuffle(order)
    for k in order:
        times[k].append(call(SYNC, rows[k]))

print("Synchronous sending, 1 KiB, %d interleaved rounds (ms, median "
      "[min-max])" % ROUNDS)
print("| path | sandbox = yes | sandbox = no | yes / no (medians) | "
      "yes / no (median of rounds) |")
print("|---|---|---|---|---|")
for n in names:
    on, off = times[(n, "yes")], times[(n, "no")]
    print("| %s | %.2f [%.2f-%.2f] | %.2f [%.2f-%.2f] | %.3f | %.3f |" % (
        n, statistics.median(on), min(on), max(on), statistics.median(off),
        min(off), max(off), statistics.median(on) / statistics.median(off),
        statistics.median(a / b for a, b in zip(on, off))))

# ---- the relay client's own start, set-up and lock-down included: a
# queue run of an empty queue, started directly, alternately ----
RELAY = [os.path.join(os.path.dirname(SAFEMAIL), "safemail-relay"), "queue"]
starts = {"yes": [], "no": []}
for r in range(ROUNDS * 4):
    for sb in (("yes", "no") if r % 2 == 0 else ("no", "yes")):
        starts[sb].append(call(RELAY, rows[("set-ID path, plain", sb)], b""))
on, off = starts["yes"], starts["no"]
print()
print("The relay client alone (safemail-relay queue, empty queue: start, "
      "configuration, set-up, lock-down, exit), %d alternated rounds (ms)"
      % (ROUNDS * 4))
print("| sandbox = yes | sandbox = no | difference of medians |")
print("|---|---|---|")
print("| %.3f [%.3f-%.3f] | %.3f [%.3f-%.3f] | %.3f |" % (
    statistics.median(on), min(on), max(on), statistics.median(off),
    min(off), max(off), statistics.median(on) - statistics.median(off)))

# ---- a queue run: QUEUED messages, 8 connections, alternately ----
qrows = {sb: env(config("queue", plain.port, sb), spool("queue-" + sb))
         for sb in ("yes", "no")}
ODQ = [SAFEMAIL, "-odq", "-i", "a@example.org"]
FLUSH = [SAFEMAIL, "-q"]
rates = {"yes": [], "no": []}
QROUNDS = max(3, ROUNDS // 6)
for r in range(QROUNDS):
    order = ["yes", "no"] if r % 2 == 0 else ["no", "yes"]
    for sb in order:
        for _ in range(QUEUED):
            call(ODQ, qrows[sb])
        took = call(FLUSH, qrows[sb], b"") / 1000
        left = os.listdir(os.path.join(qrows[sb]["SAFEMAIL_SPOOL"], "q"))
        if left:
            sys.exit("the queue run left %d files" % len(left))
        rates[sb].append(QUEUED / took)
print()
print("Queue run, %d messages of 1 KiB, 8 connections, %d alternated "
      "rounds (messages/s, median [min-max])" % (QUEUED, QROUNDS))
print("| sandbox = yes | sandbox = no | yes / no |")
print("|---|---|---|")
on, off = rates["yes"], rates["no"]
print("| %.0f [%.0f-%.0f] | %.0f [%.0f-%.0f] | %.3f |" % (
    statistics.median(on), min(on), max(on), statistics.median(off),
    min(off), max(off), statistics.median(on) / statistics.median(off)))

# ---- what a lock-down costs a process, the kernel's part: the floor
# under the service's row (one lock-down a connection) and the set-ID
# path's (two a message) ----
build = os.path.dirname(os.path.dirname(SAFEMAIL))
src = os.path.join(here, "..", "src")
LOCKDOWN = os.path.join(work, "lockdown")
subprocess.run(["cc", "-O2", "-I", build, "-I", os.path.join(src, "lib"),
                "-I", os.path.join(src, "gate"), "-o", LOCKDOWN,
                os.path.join(here, "src", "lockdown.c"),
                os.path.join(build, "src", "tools",
                             "safemail_gate-sandbox_prebuilt.o"),
                os.path.join(build, "src", "gate", "libgate.a"),
                os.path.join(build, "src", "lib", "libsafemail.a"),
                "-linih", "-lseccomp"], check=True)
out = subprocess.run([LOCKDOWN, spool("lockdown"), str(ROUNDS), "200"],
                     capture_output=True, text=True, check=True).stdout
cost = dict(l.split("\t") for l in out.splitlines())
base = float(cost["fork and exit"])
print()
print("One lock-down, the kernel's part (bench/src/lockdown.c: a child "
      "forked and ended, %d interleaved rounds of 200; microseconds a "
      "fork, median)" % ROUNDS)
print("| child | us | more than fork and exit |")
print("|---|---|---|")
for name, us in cost.items():
    print("| %s | %.1f | %.1f |" % (name, float(us), float(us) - base))
