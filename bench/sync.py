"""sync - issue 7: safemail's synchronous sending, refusal and async
submission side by side with msmtp (Debian), a minimal libcurl sender
(src/curlsend.c) and the floors (src/rawsmtp.c, src/spoolw.c, /bin/true),
in one interleaved run: every program once per round, in an order shuffled
anew each round (seeded);
medians and the median of per-round ratios. Wall time from fork to reap;
a sender's process ends only after the sink's 250 for the message.
"safemail" runs with the default configuration ([smtp] linger = 2): the
gate and the relay client the previous round left serve it (warm, as in a
burst of mail); "safemail, linger = 0" starts both and loads libcurl on
every call (cold, as the first message after an idle spell).
Usage: sync.py SAFEMAIL [ROUNDS]"""
import os
import random
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
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 21
work = tempfile.mkdtemp(prefix="safemail-bench-s-")


def cc(name, *libs):
    out = os.path.join(work, name)
    subprocess.run(["cc", "-O2", "-o", out, os.path.join(here, "src",
                                                         name + ".c")] +
                   list(libs), check=True)
    return out


RAW, CURL, SPOOLW = cc("rawsmtp"), cc("curlsend", "-lcurl"), cc("spoolw")
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


def sm_env(conf, program=None):
    """The environment of a safemail build (its own spool and back end)."""
    program = program or SAFEMAIL
    return {"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": conf,
            "SAFEMAIL_SPOOL": spool if program == SAFEMAIL else before_spool,
            "SAFEMAIL_LIBEXEC": os.path.dirname(os.path.abspath(program)),
            "SAFEMAIL_QUEUE_USER": "root"}


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
GROUPS = {
    "plain 1 KiB": [
        ("rawsmtp (floor)", [RAW, str(plain.port)], None),
        ("curlsend (libcurl)", [CURL, str(plain.port)], None),
        ("msmtp", MSMTP + ["--port=%d" % plain.port, "--tls=off",
                           "a@example.org"], None),
        ("safemail", [SAFEMAIL, "-i", "a@example.org"],
         sm_env(config(plain.port))),
        ("safemail, linger = 0", [SAFEMAIL, "-i", "a@example.org"],
         sm_env(config(plain.port, "linger = 0"))),
        ("safemail, [limits]", [SAFEMAIL, "-i", "a@example.org"],
         sm_env(config(plain.port, LIMITS))),
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
        ("safemail", [SAFEMAIL, "-i", "a@example.org"],
         sm_env(config(tls.port, "ssl = tls\ntls_ca_file = " + ca.ca))),
        ("safemail, linger = 0", [SAFEMAIL, "-i", "a@example.org"],
         sm_env(config(tls.port, "ssl = tls\ntls_ca_file = " + ca.ca +
                       "\nlinger = 0"))),
    ] + before([("", ["-i", "a@example.org"],
                 config(tls.port, "ssl = tls\ntls_ca_file = " + ca.ca))]),
    "-bs, one 1 KiB message per session": [
        ("curlsend (libcurl)", [CURL, str(plain.port)], None),
        ("safemail -bs", [SAFEMAIL, "-bs"], sm_env(config(plain.port)),
         bsfile),
        ("safemail -bs, linger = 0", [SAFEMAIL, "-bs"],
         sm_env(config(plain.port, "linger = 0")), bsfile),
    ] + before([(" -bs", ["-bs"], config(plain.port), bsfile)]),
    "async submission": [
        ("spoolw (floor)", [SPOOLW, spoolw_dir], None),
        ("safemail -odq", [SAFEMAIL, "-odq", "-i", "a@example.org"],
         sm_env(config(plain.port))),
        ("safemail -odq, linger = 0", [SAFEMAIL, "-odq", "-i",
                                       "a@example.org"],
         sm_env(config(plain.port, "linger = 0"))),
        ("safemail -odq, [limits]", [SAFEMAIL, "-odq", "-i",
                                     "a@example.org"],
         sm_env(config(plain.port, LIMITS))),
    ] + before([(" -odq", ["-odq", "-i", "a@example.org"], config(plain.port)),
                (" -odq, linger = 0", ["-odq", "-i", "a@example.org"],
                 config(plain.port, "linger = 0"))]),
    "refused invocation": [
        ("/bin/true (floor)", ["/bin/true"], None),
        ("safemail -X", [SAFEMAIL, "-X/tmp/x", "a@example.org"],
         sm_env(config(plain.port))),
    ],
}


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


for group, progs in GROUPS.items():
    progs = [p if len(p) == 4 else p + (None,) for p in progs]
    times = {name: [] for name, _, _, _ in progs}
    for r in range(ROUNDS):
        # shuffled (seeded) rather than rotated: rotated, a row always
        # follows the same one (safemail followed msmtp, whose sink was
        # still busy with it), and that neighbour's cost showed as ours
        order = random.Random(r).sample(progs, len(progs))
        for name, argv, env, stdin_path in order:
            times[name].append(once(argv, env, stdin_path))
    base = progs[0][0]
    print("\n%s, %d interleaved rounds" % (group, ROUNDS))
    print("| program | ms median [min-max] | x %s | x safemail |" % base)
    print("|---|---|---|---|")
    sm = [p[0] for p in progs if p[0].startswith("safemail")][0]
    for name, _, _, _ in progs:
        ts = times[name]
        rb = statistics.median(a / b for a, b in zip(ts, times[base]))
        rs = statistics.median(a / b for a, b in zip(ts, times[sm]))
        print("| %s | %.2f [%.2f-%.2f] | %.2f | %.2f |" % (
            name, statistics.median(ts), min(ts), max(ts), rb, rs))
print("\nsinks: plain %d messages, STARTTLS %d messages" % (
    plain.messages, tls.messages))
