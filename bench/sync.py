"""sync - issues 7 and 27: safemail's synchronous sending, refusal and
async submission side by side with msmtp (Debian), a minimal libcurl
sender (src/curlsend.c) and the floors (src/rawsmtp.c, src/spoolw.c,
/bin/true), in one interleaved run: every program once per round, in an
order shuffled anew each round (seeded); medians and the median of
per-round ratios. Wall time from fork to reap; a sender's process ends
only after the sink's 250 for the message.

safemail's rows (issue 27) go one of two ways, set per row by
SAFEMAIL_SUBMIT_SOCKET:
- "service": a submission service (safemail-gate listen, as root with
  the queue user root: a test build, not set-ID) of the row's own
  configuration, spool and socket. "warm" is back to back (its relay
  client and SMTP session from the previous round, [smtp] linger = 2);
  "after N s idle" (a group of its own, BENCH_IDLE seconds, default 10,
  of sleep before each round) finds the relay client loaded (it stays 60
  s) but its SMTP session closed (linger = 2 s); "socket activation" is
  the first call to a gate that systemd-socket-activate starts on that
  connection (a new one per call, set up untimed; the previous one's
  whole process tree killed, so no relay client of it remains).
- "set-ID path": SAFEMAIL_SUBMIT_SOCKET names a path where nobody
  listens, so the front end falls back to spawning the gate, which starts
  the relay client: every call is cold (the gate no longer stays).
The services log to a datagram socket a process of its own drains.
Then 100 callers at once from 10 uids (bench/src/burst.c; users
smbench0-9 are created when missing) through a service, against curlsend
and msmtp the same way, to the C sink (src/sinkd.c).
Usage: sync.py SAFEMAIL [ROUNDS]"""
import atexit
import os
import pwd
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
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 21
IDLE = float(os.environ.get("BENCH_IDLE", "10"))
work = tempfile.mkdtemp(prefix="safemail-bench-s-")
# the parallel callers (other uids) reach the programs and sockets here
os.chmod(work, 0o755)


def cc(name, *libs):
    out = os.path.join(work, name)
    subprocess.run(["cc", "-O2", "-o", out, os.path.join(here, "src",
                                                         name + ".c")] +
                   list(libs), check=True)
    return out


RAW, CURL, SPOOLW = cc("rawsmtp"), cc("curlsend", "-lcurl"), cc("spoolw")
BURST = cc("burst")
ca = smtprelay.TestCA()
plain = sink.Sink()
tls = sink.Sink(tls=ca.server_context(ca.good))
capath = os.path.join(work, "capath")
os.mkdir(capath)
subprocess.run(["cp", ca.ca, capath], check=True)
subprocess.run(["openssl", "rehash", capath], check=True)
MSG = (b"From: b@example.com\r\nTo: a@example.org\r\nSubject: bench\r\n\r\n" +
       b"x" * 76 + b"\r\n") * 1
MSG += b"y" * (1024 - len(MSG) - 2) + b"\r\n"
msgfile = os.path.join(work, "msg")
with open(msgfile, "wb") as f:
    f.write(MSG)
os.chmod(msgfile, 0o644)


configs = []


def config(port, extra=""):
    path = os.path.join(work, "safemail-%d-%d.ini" % (port, len(configs)))
    configs.append(path)
    with open(path, "w") as f:
        f.write("[mail]\ndomain = example.com\ndefault_sender = "
                "b@example.com\n[smtp]\nhost = 127.0.0.1\nport = %d\n%s\n"
                % (port, extra))
    os.chmod(path, 0o600)
    return path


# -bs: one message per session, as Symfony Mailer's default transport
BS = (b"EHLO bench.example\r\nMAIL FROM:<b@example.com>\r\n"
      b"RCPT TO:<a@example.org>\r\nDATA\r\n" +
      MSG.replace(b"\r\n.", b"\r\n..") + b".\r\nQUIT\r\n")
bsfile = os.path.join(work, "bs")
with open(bsfile, "wb") as f:
    f.write(BS)

spool = os.path.join(work, "spool")
os.mkdir(spool, 0o750)
spoolw_dir = os.path.join(work, "spoolw-dir")
os.mkdir(spoolw_dir)
# where nobody listens: the front end falls back to the set-ID gate
NO_SERVICE = os.path.join(work, "no-service", "submit")
# the log of every safemail process, drained by a process of its own (a
# datagram socket blocks its sender once a few lines wait)
LOGSOCK = os.path.join(work, "log.sock")
drain = subprocess.Popen(
    ["/usr/bin/python3", "-c",
     "import os,socket,sys\n"
     "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n"
     "s.bind(sys.argv[1]); os.chmod(sys.argv[1],0o666)\n"
     "os.close(1)\n"
     "while True: s.recv(65536)\n", LOGSOCK], stdout=subprocess.PIPE)
drain.stdout.read()  # bound


def sm_env(conf, program=None, spool_dir=None, sock=None):
    """The environment of a safemail build (its own spool and back end);
    sock: a service's socket, else the set-ID path."""
    program = program or SAFEMAIL
    return {"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": conf,
            "SAFEMAIL_SPOOL": spool_dir or (
                spool if program == SAFEMAIL else before_spool),
            "SAFEMAIL_LIBEXEC": os.path.dirname(os.path.abspath(program)),
            "SAFEMAIL_QUEUE_USER": "root",
            "SAFEMAIL_SUBMIT_SOCKET": sock or NO_SERVICE,
            "SAFEMAIL_LOG_SOCKET": LOGSOCK}


def descendants(pid):
    """pid's whole process tree below it (a service's children, its relay
    clients: it is their subreaper)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def relay_clients(pid):
    out = []
    for c in descendants(pid):
        try:
            with open("/proc/%d/stat" % c) as f:
                s = f.read()
        except OSError:
            continue
        if "(safemail-relay)" in s and s.rsplit(")", 1)[1].split()[0] != "Z":
            out.append(c)
    return out


services = []


class Service:
    """safemail-gate listen for one configuration: a socket and a spool of
    its own (so that no other row's relay client serves it)."""

    def __init__(self, name, conf):
        self.dir = os.path.join(work, "svc-" + name)
        os.mkdir(self.dir, 0o755)
        self.spool = os.path.join(self.dir, "spool")
        os.mkdir(self.spool, 0o750)
        self.sock = os.path.join(self.dir, "run", "submit")
        self.conf = conf
        self.proc = None
        services.append(self)

    def env(self):
        return sm_env(self.conf, spool_dir=self.spool, sock=self.sock)

    def _wait_for_socket(self):
        for _ in range(400):
            if os.path.exists(self.sock):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.005)
        sys.exit("%s: the service did not listen" % self.sock)

    def start(self):
        self.proc = subprocess.Popen(
            [GATE, "listen", self.sock], env=self.env(),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self._wait_for_socket()
        return self

    def activate(self):
        """Untimed: the previous activation's tree gone, a new
        systemd-socket-activate waiting on the socket (the gate not
        started: it is exec'd on the first connection)."""
        self.stop()
        os.makedirs(os.path.dirname(self.sock), exist_ok=True)
        argv = ["systemd-socket-activate", "--seqpacket", "-l", self.sock]
        for k, v in self.env().items():
            argv += ["-E", "%s=%s" % (k, v)]
        self.proc = subprocess.Popen(
            argv + [GATE, "listen"], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_for_socket()

    def stop(self):
        if self.proc is None:
            return
        for pid in descendants(self.proc.pid) + [self.proc.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.proc.wait()
        self.proc = None
        if os.path.exists(self.sock):
            os.unlink(self.sock)


@atexit.register
def stop_all():
    for svc in services:
        svc.stop()
    drain.kill()


def clear_queue(directory):
    """Untimed, after an async call: no queue runner, so keep the queue
    empty (the quota's scan is O(queued messages))."""
    def clear():
        for name in os.listdir(directory):
            os.unlink(os.path.join(directory, name))
    return clear


# a/b (bench/ab.sh): another build's rows in the same interleaved rounds
BEFORE = os.environ.get("SAFEMAIL_BEFORE")
BEFORE_LABEL = os.environ.get("SAFEMAIL_BEFORE_LABEL", "before")
before_spool = os.path.join(work, "spool-before")
os.mkdir(before_spool, 0o750)


def before(rows):
    """rows: (name suffix, argv after the program, config, [stdin])"""
    if not BEFORE:
        return []
    return [("safemail %s%s" % (BEFORE_LABEL, suffix), [BEFORE] + argv,
             sm_env(conf, BEFORE)) + tuple(rest)
            for suffix, argv, conf, *rest in rows]


# issue 17: every message counted by the gate (a rule that never binds)
LIMITS = "[limits]\ndefault = 100000000/hour, 100000000/day"
MSMTP = ["/usr/bin/msmtp", "--host=127.0.0.1", "--from=b@example.com",
         "--auth=off"]
TLS_CONF = "ssl = tls\ntls_ca_file = " + ca.ca
SYNC = [SAFEMAIL, "-i", "a@example.org"]
ODQ = [SAFEMAIL, "-odq", "-i", "a@example.org"]
svc_plain = Service("plain", config(plain.port)).start()
svc_limits = Service("limits", config(plain.port, LIMITS)).start()
svc_tls = Service("tls", config(tls.port, TLS_CONF)).start()
svc_idle = Service("idle", config(plain.port)).start()
svc_idle_tls = Service("idle-tls", config(tls.port, TLS_CONF)).start()
act_plain = Service("act", config(plain.port))
act_tls = Service("act-tls", config(tls.port, TLS_CONF))
WARM = "safemail, service, warm"
SETID = "safemail, set-ID path (no service)"
ACT = "safemail, service, socket activation"
IDLE_ROW = "safemail, service, after %g s idle" % IDLE
# a row: (name, argv, env[, stdin, before the call, after the call]);
# the before and after hooks are untimed
GROUPS = {
    "plain 1 KiB": [
        ("rawsmtp (floor)", [RAW, str(plain.port)], None),
        ("curlsend (libcurl)", [CURL, str(plain.port)], None),
        ("msmtp", MSMTP + ["--port=%d" % plain.port, "--tls=off",
                           "a@example.org"], None),
        (WARM, SYNC, svc_plain.env()),
        ("safemail, service, [limits]", SYNC, svc_limits.env()),
        (ACT, SYNC, act_plain.env(), None, act_plain.activate),
        (SETID, SYNC, sm_env(config(plain.port))),
    ] + before([("", ["-i", "a@example.org"], config(plain.port)),
                (", linger = 0", ["-i", "a@example.org"],
                 config(plain.port, "linger = 0"))]),
    "STARTTLS 1 KiB, verified": [
        ("curlsend, CA file", [CURL, str(tls.port), ca.ca], None),
        ("curlsend, CApath", [CURL, str(tls.port), "capath:" + capath],
         None),
        ("msmtp", MSMTP + ["--port=%d" % tls.port, "--tls=on",
                           "--tls-starttls=on",
                           "--tls-trust-file=" + ca.ca, "a@example.org"],
         None),
        (WARM, SYNC, svc_tls.env()),
        (ACT, SYNC, act_tls.env(), None, act_tls.activate),
        (SETID, SYNC, sm_env(config(tls.port, TLS_CONF))),
    ] + before([("", ["-i", "a@example.org"],
                 config(tls.port, TLS_CONF))]),
    # each round starts after IDLE seconds of sleep: the two services'
    # SMTP sessions have closed ([smtp] linger = 2), their relay clients
    # are still loaded (60 s)
    "after %g s idle, 1 KiB" % IDLE: [
        ("curlsend (libcurl)", [CURL, str(plain.port)], None),
        ("msmtp", MSMTP + ["--port=%d" % plain.port, "--tls=off",
                           "a@example.org"], None),
        (IDLE_ROW, SYNC, svc_idle.env()),
        ("curlsend, CA file, STARTTLS", [CURL, str(tls.port), ca.ca], None),
        ("msmtp, STARTTLS", MSMTP + [
            "--port=%d" % tls.port, "--tls=on", "--tls-starttls=on",
            "--tls-trust-file=" + ca.ca, "a@example.org"], None),
        (IDLE_ROW + ", STARTTLS", SYNC, svc_idle_tls.env()),
    ],
    "-bs, one 1 KiB message per session": [
        ("curlsend (libcurl)", [CURL, str(plain.port)], None),
        ("safemail -bs, service, warm", [SAFEMAIL, "-bs"], svc_plain.env(),
         bsfile),
        ("safemail -bs, set-ID path", [SAFEMAIL, "-bs"],
         sm_env(config(plain.port)), bsfile),
    ] + before([(" -bs", ["-bs"], config(plain.port), bsfile)]),
    "async submission": [
        ("spoolw (floor)", [SPOOLW, spoolw_dir], None, None, None,
         clear_queue(spoolw_dir)),
        # the same with the envelope in a file of its own, as safemail's
        # spool keeps it: three fsyncs (the floor of that format)
        ("spoolw -e (message + envelope)", [SPOOLW, "-e", spoolw_dir], None,
         None, None, clear_queue(spoolw_dir)),
        ("safemail -odq, service", ODQ, svc_plain.env(), None, None,
         clear_queue(os.path.join(svc_plain.spool, "q"))),
        ("safemail -odq, set-ID path", ODQ, sm_env(config(plain.port)),
         None, None, clear_queue(os.path.join(spool, "q"))),
        ("safemail -odq, service, [limits]", ODQ, svc_limits.env(), None,
         None, clear_queue(os.path.join(svc_limits.spool, "q"))),
    ] + before([(" -odq", ["-odq", "-i", "a@example.org"], config(plain.port)),
                (" -odq, linger = 0", ["-odq", "-i", "a@example.org"],
                 config(plain.port, "linger = 0"))]),
    "refused invocation": [
        ("/bin/true (floor)", ["/bin/true"], None),
        ("safemail -X", [SAFEMAIL, "-X/tmp/x", "a@example.org"],
         sm_env(config(plain.port))),
    ],
}
# the goals of issue 27: (group, row, reference); printed per group as
# the median of per-round ratios
GOALS = []
for g, ref_curl, ref_msmtp in (("plain 1 KiB", "curlsend (libcurl)", "msmtp"),
                               ("STARTTLS 1 KiB, verified",
                                "curlsend, CA file", "msmtp")):
    for row in (WARM, ACT, SETID):
        GOALS += [(g, row, ref_curl), (g, row, ref_msmtp)]
GOALS += [("STARTTLS 1 KiB, verified", WARM, "curlsend, CApath")]
g = "after %g s idle, 1 KiB" % IDLE
GOALS += [(g, IDLE_ROW, "curlsend (libcurl)"), (g, IDLE_ROW, "msmtp"),
          (g, IDLE_ROW + ", STARTTLS", "curlsend, CA file, STARTTLS"),
          (g, IDLE_ROW + ", STARTTLS", "msmtp, STARTTLS")]
GOALS += [("async submission", "safemail -odq, service", "spoolw (floor)"),
          ("async submission", "safemail -odq, service",
           "spoolw -e (message + envelope)"),
          ("async submission", "spoolw -e (message + envelope)",
           "spoolw (floor)"),
          ("async submission", "safemail -odq, set-ID path",
           "spoolw (floor)")]


QUIET = os.environ.get("BENCH_QUIET", "1") != "0"
waits = {"rounds": 0, "seconds": 0.0}


def quiet():
    """Untimed, before each round: while a test suite runs on this shared
    machine (make check, .ci/run), wait (BENCH_QUIET=0: do not)."""
    if not QUIET:
        return
    start = time.time()
    while subprocess.run(["pgrep", "-f", "make.*check|ci/run"],
                         stdout=subprocess.DEVNULL).returncode == 0:
        time.sleep(2)
    if time.time() - start > 1:
        waits["rounds"] += 1
        waits["seconds"] += time.time() - start


def once(argv, env, stdin_path=None, expect_ok=True):
    with open(stdin_path or msgfile, "rb") as stdin:
        start = time.perf_counter()
        p = subprocess.run(argv, stdin=stdin, env=env or {"PATH":
                                                          "/usr/bin:/bin"},
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        took = (time.perf_counter() - start) * 1000
    if expect_ok and p.returncode != 0 and "-X/tmp/x" not in argv:
        sys.exit("%s failed: %d" % (argv[0], p.returncode))
    return took


# the groups to run: words of their titles, separated by "|"
ONLY = os.environ.get("BENCH_GROUPS")
for group, progs in GROUPS.items():
    if ONLY and not any(w in group for w in ONLY.split("|")):
        continue
    progs = [p + (None,) * (6 - len(p)) for p in progs]
    times = {name: [] for name, *_ in progs}
    idle = group.startswith("after ")
    # untimed: the services' relay clients loaded, as in a burst of mail
    # that came before
    for name, argv, env, stdin_path, _, after in progs:
        if env and env["SAFEMAIL_SUBMIT_SOCKET"] != NO_SERVICE and \
                "socket activation" not in name:
            once(argv, env, stdin_path)
            if after:
                after()
    for r in range(ROUNDS):
        if idle:
            time.sleep(IDLE)
        quiet()  # after the sleep: a longer idle spell, the same state
        # shuffled (seeded) rather than rotated: rotated, a row always
        # follows the same one (safemail followed msmtp, whose sink was
        # still busy with it), and that neighbour's cost showed as ours
        order = random.Random(r).sample(progs, len(progs))
        for name, argv, env, stdin_path, setup, after in order:
            if setup:
                setup()
            times[name].append(once(argv, env, stdin_path))
            if after:
                after()
    if os.environ.get("BENCH_RAW"):
        for name, ts in times.items():
            print(name, " ".join("%.1f" % t for t in ts))
    base = progs[0][0]
    print("\n%s, %d interleaved rounds" % (group, ROUNDS))
    print("| program | ms median [min-max] | x %s | x safemail |" % base)
    print("|---|---|---|---|")
    sm = [p[0] for p in progs if p[0].startswith("safemail")][0]
    for name, *_ in progs:
        ts = times[name]
        rb = statistics.median(a / b for a, b in zip(ts, times[base]))
        rs = statistics.median(a / b for a, b in zip(ts, times[sm]))
        print("| %s | %.2f [%.2f-%.2f] | %.2f | %.2f |" % (
            name, statistics.median(ts), min(ts), max(ts), rb, rs))
    goals = [(a, b) for g, a, b in GOALS if g == group]
    if goals:
        print("\nper-round ratios, %s" % group)
        print("| row | reference | median of per-round ratios |")
        print("|---|---|---|")
        for a, b in goals:
            print("| %s | %s | %.3f |" % (a, b, statistics.median(
                x / y for x, y in zip(times[a], times[b]))))
print("\nsinks: plain %d messages, STARTTLS %d messages" % (
    plain.messages, tls.messages))
print("waited for a test suite before %d rounds, %.0f s in all" % (
    waits["rounds"], waits["seconds"]))
for svc in services:
    svc.stop()


# ---- 100 callers at once, from 10 uids ----
PARALLEL = int(os.environ.get("BENCH_PARALLEL", "100"))
BURSTS = int(os.environ.get("BENCH_BURSTS", str(max(3, ROUNDS // 4))))


def bench_users(n=10):
    """uid:gid of smbench0..n-1, made when missing (a caller the passwd
    file does not know makes the static front end's NSS lookup load
    libnss_systemd)"""
    out = []
    for i in range(n):
        name = "smbench%d" % i
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home",
                            "--shell", "/usr/sbin/nologin", name],
                           check=True)
            pw = pwd.getpwnam(name)
        out.append("%d:%d" % (pw.pw_uid, pw.pw_gid))
    return ",".join(out)


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


if PARALLEL > 0:
    users = bench_users()
    csink = sink.CSink(work)
    svc_par = Service("par", config(csink.port)).start()
    par = [
        ("safemail, service", SYNC, svc_par.env()),
        ("curlsend (libcurl)", [CURL, str(csink.port)], None),
        ("msmtp", MSMTP + ["--port=%d" % csink.port, "--tls=off",
                           "a@example.org"], None),
    ]
    once(SYNC, svc_par.env())  # untimed: its relay client loaded
    lat = {n: [] for n, _, _ in par}
    rate = {n: [] for n, _, _ in par}
    failed = {n: 0 for n, _, _ in par}
    left = []
    for r in range(BURSTS):
        for name, argv, env in random.Random(r).sample(par, len(par)):
            quiet()
            out = subprocess.run(
                [BURST, str(PARALLEL), msgfile, users] + argv,
                env=env or {"PATH": "/usr/bin:/bin"}, capture_output=True,
                text=True, check=True).stdout.split("\n")
            for line in out:
                parts = line.split()
                if len(parts) == 2 and parts[0] == "total":
                    rate[name].append(PARALLEL / float(parts[1]) * 1000)
                elif len(parts) == 2:
                    lat[name].append(float(parts[0]))
                    failed[name] += parts[1] != "0"
            time.sleep(1.5)  # the sink and the last processes settle
            if name == "safemail, service":
                # relay clients still loaded below the service 1.5 s on
                left.append(len(relay_clients(svc_par.proc.pid)))
    print("\n%d callers at once from 10 uids, %d bursts each, interleaved"
          % (PARALLEL, BURSTS))
    print("| program | msg/s median [min-max] | latency p50 ms | p99 ms | "
          "max ms | failed |")
    print("|---|---|---|---|---|---|")
    for name, _, _ in par:
        print("| %s | %.0f [%.0f-%.0f] | %.1f | %.1f | %.1f | %d |" % (
            name, statistics.median(rate[name]), min(rate[name]),
            max(rate[name]), percentile(lat[name], 50),
            percentile(lat[name], 99), max(lat[name]), failed[name]))
    print("\nper-burst ratios, %d callers at once" % PARALLEL)
    print("| row | reference | median of per-burst ratios (msg/s) |")
    print("|---|---|---|")
    for ref in ("curlsend (libcurl)", "msmtp"):
        print("| safemail, service | %s | %.3f |" % (ref, statistics.median(
            a / b for a, b in zip(rate["safemail, service"], rate[ref]))))
    print("\nrelay clients loaded below the service 1.5 s after each burst:"
          " %s" % " ".join(map(str, left)))
    print("C sink: %d messages, %d connections" % (csink.messages,
                                                      csink.connections))
    svc_par.stop()
    csink.stop()
