"""pair - a change's cost as a ratio: this build and another one
(SAFEMAIL_BEFORE, as bench/ab.sh sets it) alternated call by call, many
rounds, on the paths a change touches: sync 1 KiB warm (through a
submission service of each build's own, safemail-gate listen, back to
back: its relay client stays; a build without the service falls back to
the set-ID path there), cold (the set-ID path: nobody listens on the
socket named), and -odq through the service. Each round runs both builds once, in an
order that alternates, so that neither always follows the other; the
result is the median of each, their ratio, and the median of the
per-round ratios. Nothing else runs between the two calls of a round
(bench/sync.py's shuffled rows carry more neighbour noise, a few percent
either way on the warm rows).
Usage: pair.py SAFEMAIL [ROUNDS]"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "tests", "integ"))
import sink  # noqa: E402

NEW = os.path.abspath(sys.argv[1])
OLD = os.environ.get("SAFEMAIL_BEFORE")
LABEL = os.environ.get("SAFEMAIL_BEFORE_LABEL", "before")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 301
if not OLD:
    sys.exit("pair.py: set SAFEMAIL_BEFORE to the other build's safemail")
work = tempfile.mkdtemp(prefix="safemail-bench-p-")
relay = sink.Sink()
MSG = (b"From: b@example.com\r\nTo: a@example.org\r\nSubject: bench\r\n\r\n" +
       b"y" * 900 + b"\r\n")


services = []


def env(program, name, extra, service):
    conf = os.path.join(work, "%s-%s.ini" % (name, extra.replace(" ", "")))
    spool = os.path.join(work, "spool-" + name)
    os.makedirs(spool, exist_ok=True)
    sock = os.path.join(work, "run-%s-%d" % (name, len(services)), "submit")
    with open(conf, "w") as f:
        f.write("[mail]\ndomain = example.com\n"
                "default_sender = shop@example.com\n[smtp]\n"
                "host = 127.0.0.1\nport = %d\n%s\n" % (relay.port, extra))
    os.chmod(conf, 0o600)
    e = {"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": conf,
         "SAFEMAIL_SPOOL": spool,
         "SAFEMAIL_LIBEXEC": os.path.dirname(program),
         "SAFEMAIL_QUEUE_USER": "root", "SAFEMAIL_SUBMIT_SOCKET": sock,
         "SAFEMAIL_LOG_SOCKET": os.path.join(work, "no-log")}
    if service:
        p = subprocess.Popen([os.path.join(os.path.dirname(program),
                                           "safemail-gate"), "listen", sock],
                             env=e, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        services.append(p)
        for _ in range(200):
            if os.path.exists(sock) or p.poll() is not None:
                break
            time.sleep(0.01)
    return e


def once(program, e, args):
    start = time.perf_counter()
    p = subprocess.run([program] + args, input=MSG, env=e,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = (time.perf_counter() - start) * 1000
    if p.returncode != 0:
        sys.exit("%s failed: %d %s" % (program, p.returncode, p.stderr))
    if "-odq" in args:  # no runner: keep q/ empty, untimed
        q = os.path.join(e["SAFEMAIL_SPOOL"], "q")
        for name in os.listdir(q):
            os.unlink(os.path.join(q, name))
    return took


PATHS = [("sync 1 KiB, service, warm", "linger = 2", ["-i", "a@example.org"],
          True),
         ("sync 1 KiB, set-ID path", "linger = 0", ["-i", "a@example.org"],
          False),
         ("-odq, service", "linger = 2", ["-odq", "-i", "a@example.org"],
          True)]
print("| path | this build, ms | %s, ms | ratio of medians | median of "
      "per-round ratios | rounds |" % LABEL)
print("|---|---|---|---|---|---|")
for name, extra, args, service in PATHS:
    e_new = env(NEW, "new", extra, service)
    e_old = env(OLD, "old", extra, service)
    t_new, t_old = [], []
    for _ in range(3):  # warm up both
        once(NEW, e_new, args)
        once(OLD, e_old, args)
    for r in range(ROUNDS):
        if r % 2:
            t_new.append(once(NEW, e_new, args))
            t_old.append(once(OLD, e_old, args))
        else:
            t_old.append(once(OLD, e_old, args))
            t_new.append(once(NEW, e_new, args))
    mn, mo = statistics.median(t_new), statistics.median(t_old)
    per = statistics.median(a / b for a, b in zip(t_new, t_old))
    print("| %s | %.2f | %.2f | %.3f | %.3f | %d |" % (
        name, mn, mo, mn / mo, per, ROUNDS))
for p in services:
    p.terminate()
