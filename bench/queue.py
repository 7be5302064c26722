"""queue - issue 4, point 8: safemail's queue side by side with dma and
Postfix's sendmail (Debian 12 packages), in one run on this machine:

  1. enqueue latency of a 1 KiB message (the runner stopped), interleaved
     rounds, median and the median of per-round ratios to safemail;
  2. flushing 1000 queued messages to the bench sink: wall time until the
     sink has them all, messages per second, connections opened.

Run by bench/queue.sh inside a private mount namespace (unshare -m): dma
has compiled-in paths (/etc/dma, /var/spool/dma), so copies are bind
mounted over /etc and /var/spool for this process only; the host is not
touched. Postfix runs from its own configuration directory, without
smtpd, relayhost = the sink.
Usage: queue.py SAFEMAIL DMA_ROOT [ROUNDS]"""
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sink  # noqa: E402

SAFEMAIL, DMA_ROOT = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 21
DMA = os.path.join(DMA_ROOT, "usr", "sbin", "dma")
MSG = (b"From: shop@example.com\nTo: a@example.org\nSubject: bench\n\n" +
       b"x" * 76 + b"\n") * 1
MSG = MSG + b"y" * (1024 - len(MSG)) + b"\n"
work = tempfile.mkdtemp(prefix="safemail-bench-q-")
os.chmod(work, 0o755)  # Postfix's daemons run as postfix
s = sink.CSink(work)  # a C sink: the Python one caps the flush rates


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


# ---- safemail ----
sm_spool = os.path.join(work, "sm-spool")
os.mkdir(sm_spool, 0o750)
sm_conf = os.path.join(work, "safemail.ini")
with open(sm_conf, "w") as f:
    f.write("[mail]\ndomain = example.com\ndefault_sender = b@example.com\n"
            "[smtp]\nhost = 127.0.0.1\nport = %d\n[queue]\nconnections = 8\n"
            % s.port)
os.chmod(sm_conf, 0o600)
SM_ENV = {"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": sm_conf,
          "SAFEMAIL_SPOOL": sm_spool, "SAFEMAIL_LIBEXEC": os.path.dirname(os.path.abspath(SAFEMAIL)),
          "SAFEMAIL_QUEUE_USER": "root",
          # the set-ID path; the service's row below has its own socket
          "SAFEMAIL_SUBMIT_SOCKET": os.path.join(work, "no-service"),
          # no /dev/log: other sessions' tests may capture it (a flush
          # logs a thousand lines); a send to a missing socket costs what
          # syslog's send does
          "SAFEMAIL_LOG_SOCKET": os.path.join(work, "no-log")}
# the submission service (issue 27), root with the queue user root as a
# test build allows; it queues into the same spool
SVC_SOCK = os.path.join(work, "svc", "submit")
SVC_ENV = dict(SM_ENV, SAFEMAIL_SUBMIT_SOCKET=SVC_SOCK)
svc = subprocess.Popen(
    [os.path.join(os.path.dirname(os.path.abspath(SAFEMAIL)),
                  "safemail-gate"), "listen", SVC_SOCK], env=SVC_ENV,
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
atexit.register(svc.terminate)
for _ in range(400):
    if os.path.exists(SVC_SOCK) or svc.poll() is not None:
        break
    time.sleep(0.005)

# ---- dma: private /etc and /var/spool in this mount namespace ----
etc = os.path.join(work, "etc")
shutil.copytree("/etc", etc, symlinks=True, ignore_dangling_symlinks=True)
os.makedirs(os.path.join(etc, "dma"), exist_ok=True)
with open(os.path.join(etc, "dma", "dma.conf"), "w") as f:
    f.write("SMARTHOST 127.0.0.1\nPORT %d\nMAILNAME bench.example\nDEFER\n"
            % s.port)
spool = os.path.join(work, "var-spool")
os.makedirs(os.path.join(spool, "dma"))
shutil.chown(os.path.join(spool, "dma"), "mail", "mail")
os.chmod(os.path.join(spool, "dma"), 0o2775)  # as Debian's package has it
sh("mount", "--make-rprivate", "/")
sh("mount", "--bind", etc, "/etc")
sh("mount", "--bind", spool, "/var/spool")
DMA_ENV = {"PATH": "/usr/bin:/bin"}

# ---- Postfix: its own directory, no smtpd, relayhost = the sink ----
pf = os.path.join(work, "postfix")
for d in ("etc", "queue", "data"):
    os.makedirs(os.path.join(pf, d))
shutil.chown(os.path.join(pf, "data"), "postfix")
with open(os.path.join(pf, "etc", "main.cf"), "w") as f:
    f.write("""compatibility_level = 3.6
queue_directory = %(d)s/queue
data_directory = %(d)s/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = bench.example
mydestination =
relayhost = [127.0.0.1]:%(port)d
smtp_tls_security_level = none
maillog_file_prefixes = %(d)s
maillog_file = %(d)s/maillog
alias_maps =
alias_database =
biff = no
""" % {"d": pf, "port": s.port})
with open(os.path.join(pf, "etc", "master.cf"), "w") as f:
    for line in ("pickup unix n - n 60 1 pickup",
                 "cleanup unix n - n - 0 cleanup",
                 "qmgr unix n - n 300 1 qmgr",
                 "rewrite unix - - n - - trivial-rewrite",
                 "bounce unix - - n - 0 bounce",
                 "defer unix - - n - 0 bounce",
                 "trace unix - - n - 0 bounce",
                 "verify unix - - n - 1 verify",
                 "flush unix n - n 1000? 0 flush",
                 "proxymap unix - - n - - proxymap",
                 "smtp unix - - n - - smtp",
                 "relay unix - - n - - smtp",
                 "showq unix n - n - - showq",
                 "error unix - - n - - error",
                 "retry unix - - n - - error",
                 "discard unix - - n - - discard",
                 "anvil unix - - n - 1 anvil",
                 "scache unix - - n - 1 scache",
                 "postlog unix-dgram n - n - 1 postlogd"):
        f.write(line + "\n")
PF_CONF = os.path.join(pf, "etc")
sh("/usr/sbin/postfix", "-c", PF_CONF, "check")
PF_ENV = {"PATH": "/usr/bin:/bin:/usr/sbin", "MAIL_CONFIG": PF_CONF}

# a/b (bench/ab.sh): another build of safemail, its own spool, in the
# same interleaved rounds
BEFORE = os.environ.get("SAFEMAIL_BEFORE")
BEFORE_NAME = "safemail " + os.environ.get("SAFEMAIL_BEFORE_LABEL", "before")
before_spool = os.path.join(work, "sm-spool-before")
os.mkdir(before_spool, 0o750)
BEFORE_ENV = dict(SM_ENV, SAFEMAIL_SPOOL=before_spool,
                  SAFEMAIL_LIBEXEC=os.path.dirname(os.path.abspath(
                      BEFORE or SAFEMAIL)))

PEERS = {
    "safemail": ([SAFEMAIL, "-odq", "-i", "a@example.org"], SM_ENV),
    "safemail, service": ([SAFEMAIL, "-odq", "-i", "a@example.org"],
                          SVC_ENV),
    "dma": ([DMA, "-i", "a@example.org"], DMA_ENV),
    "postfix": (["/usr/sbin/sendmail", "-C", PF_CONF, "-i", "a@example.org"],
                PF_ENV),
}
if BEFORE:
    PEERS[BEFORE_NAME] = ([BEFORE, "-odq", "-i", "a@example.org"],
                          BEFORE_ENV)


def enqueue(name):
    argv, env = PEERS[name]
    start = time.perf_counter()
    p = subprocess.run(argv, input=MSG, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit("%s failed: %r" % (name, p.stderr))
    return took * 1000


def empty_queues():
    dirs = [os.path.join(sm_spool, "q"), os.path.join(before_spool, "q"),
            "/var/spool/dma"]
    dirs += [os.path.join(pf, "queue", q) for q in (
        "maildrop", "incoming", "active", "deferred", "hold", "bounce",
        "defer", "trace")]
    for d in dirs:
        for root, _, files in os.walk(d):
            for n in files:
                os.unlink(os.path.join(root, n))


# ---- 1. enqueue latency ----
names = list(PEERS)
times = {n: [] for n in names}
for r in range(ROUNDS):
    order = names[r % len(names):] + names[:r % len(names)]
    for n in order:
        times[n].append(enqueue(n))
empty_queues()
print("Enqueue latency, 1 KiB, runner stopped, %d interleaved rounds" %
      ROUNDS)
print("| program | ms median [min-max] | x safemail (median of rounds) |")
print("|---|---|---|")
for n in names:
    ratios = [a / b for a, b in zip(times[n], times["safemail"])]
    print("| %s | %.2f [%.2f-%.2f] | %.2f |" % (
        n, statistics.median(times[n]), min(times[n]), max(times[n]),
        statistics.median(ratios)))


# ---- 2. flushing 1000 queued messages ----
def wait_sink(target, limit=120):
    deadline = time.monotonic() + limit
    while s.messages < target and time.monotonic() < deadline:
        time.sleep(0.005)
    return s.messages >= target


def flush(name):
    empty_queues()
    for _ in range(1000):
        enqueue(name)
    m0, c0 = s.messages, s.connections
    start = time.monotonic()
    if name.startswith("safemail"):
        argv, env = PEERS[name]
        subprocess.run([argv[0], "-q"], env=env, check=True)
    elif name == "dma":
        subprocess.run([DMA, "-q"], env=DMA_ENV, check=True)
    else:
        sh("/usr/sbin/postfix", "-c", PF_CONF, "start")
    ok = wait_sink(m0 + 1000)
    took = time.monotonic() - start
    if name == "postfix":
        sh("/usr/sbin/postfix", "-c", PF_CONF, "stop")
        time.sleep(1)
    return took, s.messages - m0, s.connections - c0, ok


print("\nFlushing 1000 queued 1 KiB messages to the C bench sink "
      "(bench/src/sinkd.c; Postfix: includes starting master)")
print("| program | s | msg/s | connections | delivered |")
print("|---|---|---|---|---|")
for rep in range(2):
    for n in names:
        took, got, conns, ok = flush(n)
        print("| %s | %.2f | %.0f | %d | %d%s |" % (
            n, took, got / took, conns, got, "" if ok else " (timeout)"))
s.stop()
