"""rss - issue 3, point 5 and issue 7, target 5: a 50 MiB message is
delivered with a peak RSS within a few MiB of a 1 KiB one, and in a time
close to a minimal libcurl sender's (src/curlsend.c, in the same rounds). Runs the given safemail (a plain -O2
build: sanitizers inflate memory) against the bench sink, interleaved
(1 KiB, 50 MiB, 1 KiB, 50 MiB, ...), and prints peak RSS from the kernel's
rusage and wall time, with the difference. The rusage comes through GNU
time (/usr/bin/time, Debian's "time"): a child forked straight from this
Python process would carry Python's own high-water mark into ru_maxrss.
Usage: rss.py SAFEMAIL [ROUNDS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sink  # noqa: E402

safemail = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
s = sink.Sink()
work = tempfile.mkdtemp(prefix="safemail-bench-")
config = os.path.join(work, "safemail.ini")
with open(config, "w") as f:
    # the 50 MiB message with its CRLFs is above the default
    # max_message_size (50 MiB): no limit here
    f.write("[mail]\ndomain = example.com\ndefault_sender = b@example.com\n"
            "max_message_size = 0\n"
            "[smtp]\nhost = 127.0.0.1\nport = %d\n"
            # every process a descendant of the one GNU time watches: a
            # gate or relay client that stayed (linger) would be reaped by
            # no one it sees, and its peak RSS not counted
            "linger = 0\n" % s.port)
os.chmod(config, 0o600)


def message(size):
    path = os.path.join(work, "msg-%d" % size)
    line = b"x" * 76 + b"\n"
    block = line * 1024
    with open(path, "wb") as f:
        f.write(b"Subject: bench\n\n")
        for _ in range(size // len(block)):
            f.write(block)
        f.write(line * ((size % len(block)) // len(line)))
    return path


here = os.path.dirname(os.path.abspath(__file__))
curlsend = os.path.join(work, "curlsend")
subprocess.run(["cc", "-O2", "-o", curlsend,
                os.path.join(here, "src", "curlsend.c"), "-lcurl"], check=True)


def run(path, argv=None):
    with open(path, "rb") as stdin:
        start = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] +
                           (argv or [safemail, "-i", "a@example.org"]),
                           stdin=stdin,
                           stderr=subprocess.PIPE,
                           env={"SAFEMAIL_CONFIG": config,
                                "SAFEMAIL_LIBEXEC": os.path.dirname(os.path.abspath(safemail)),
                                "SAFEMAIL_QUEUE_USER": "root",
                                # the set-ID path: GNU time waits for
                                # its processes, not a service's
                                "SAFEMAIL_SUBMIT_SOCKET": "/nonexistent",
                                "PATH": "/usr/bin:/bin"})
        took = time.monotonic() - start
    if p.returncode != 0:
        sys.exit("safemail failed: %r" % p.stderr)
    return int(p.stderr.split()[-1]) / 1024.0, took  # MiB, s


sizes = {"1 KiB": message(1024), "50 MiB": message(50 * 1024 * 1024)}
results = {k: [] for k in sizes}
results["50 MiB curlsend"] = []
for _ in range(rounds):
    for name, path in sizes.items():
        results[name].append(run(path))
    results["50 MiB curlsend"].append(run(sizes["50 MiB"],
                                          [curlsend, str(s.port)]))
print("peak RSS and time, %d interleaved rounds (%s)" % (rounds, safemail))
print("%-16s %12s %12s" % ("run", "max RSS MiB", "median s"))
for name, rs in results.items():
    print("%-16s %12.1f %12.3f" % (name, max(r[0] for r in rs),
                                   statistics.median(r[1] for r in rs)))
print("50 MiB: safemail / curlsend time, median of rounds: %.2f" %
      statistics.median(a[1] / b[1] for a, b in zip(
          results["50 MiB"], results["50 MiB curlsend"])))
diff = max(r[0] for r in results["50 MiB"]) - max(
    r[0] for r in results["1 KiB"])
print("difference: %.1f MiB (target: within a few MiB)" % diff)
print("sink received %d messages, %d bytes" % (s.messages, s.bytes))
s.stop()
sys.exit(0 if diff < 4 else 1)
