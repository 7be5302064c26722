"""smtest - helpers for safemail's integration tests (TAP on stdout).

Each test runs the built binary for real: argv exactly as given, standard
input as bytes, a private configuration (SAFEMAIL_CONFIG) and a private
syslog socket (SAFEMAIL_LOG_SOCKET) drained after the process exits, so
the log lines a run produced are known exactly.
"""
import atexit
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

SAFEMAIL = os.environ.get("SAFEMAIL") or os.path.join(
    os.environ.get("top_builddir", "."), "src", "safemail")
TOP_SRCDIR = os.environ.get("top_srcdir", ".")
# The back end (safemail-gate, safemail-relay), next to the front end in
# the build tree.
LIBEXEC = os.environ.get("SAFEMAIL_LIBEXEC") or os.path.dirname(
    os.path.abspath(SAFEMAIL))
RELAY = os.path.join(LIBEXEC, "safemail-relay")
GATE = os.path.join(LIBEXEC, "safemail-gate")


def shared_dir():
    """../shared beside the repository (CI puts it there), or None."""
    for cand in (os.environ.get("SAFEMAIL_SHARED"),
                 os.path.join(TOP_SRCDIR, "..", "shared")):
        if cand and os.path.isdir(cand):
            return os.path.abspath(cand)
    return None


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        desc = "".join("?" if (ord(c) < 0x20 or c == "#") else c
                       for c in str(desc))
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, desc))
        if not cond:
            self.failed += 1
            if diag:
                for line in str(diag).splitlines():
                    print("#   " + line)
        sys.stdout.flush()
        return cond

    def skip_all(self, why):
        print("1..0 # SKIP " + why)
        sys.exit(0)

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


class Result:
    def __init__(self, rc, out, err, logs):
        self.rc = rc
        self.out = out
        self.err = err
        self.logs = logs  # list of str, one per syslog datagram

    def log_text(self):
        return "\n".join(self.logs)

    def __repr__(self):
        return "rc=%r\nstdout=%r\nstderr=%r\nlog=%r" % (
            self.rc, self.out, self.err, self.logs)


BASE_CONFIG = """[mail]
domain = store.example.com
default_sender = shop@store.example.com
return_path_email = bounce@store.example.com
return_path = %(policy)s
%(extra_mail)s
[smtp]
host = 127.0.0.1
port = 2525

[aliases]
root = admin@example.com
"""


def config_text(policy="no", extra_mail=""):
    return BASE_CONFIG % {"policy": policy, "extra_mail": extra_mail}


def relay_config(port, policy="no", mail="", smtp="", host="127.0.0.1"):
    """The base configuration pointed at a test relay on host:port, with
    short timeouts so that a stalled relay costs seconds."""
    text = config_text(policy, mail)
    return text.replace(
        "host = 127.0.0.1\nport = 2525\n",
        "host = %s\nport = %d\nconnect_timeout = 5\n"
        "command_timeout = 3\n%s\n" % (host, port, smtp))


class Env:
    """A private directory with a config file and a log socket."""

    def __init__(self, config=None, mode=0o600):
        self.dir = tempfile.mkdtemp(prefix="safemail-test-")
        self.config = os.path.join(self.dir, "safemail.ini")
        self.write_config(config if config is not None else config_text(),
                          mode)

    def write_config(self, text, mode=0o600):
        data = text.encode() if isinstance(text, str) else text
        if os.path.exists(self.config):
            os.chmod(self.config, 0o600)
        with open(self.config, "wb") as f:
            f.write(data)
        os.chmod(self.config, mode)

    def run(self, args, stdin=b"", argv0="sendmail", env=None,
            config=True, preexec_fn=None, timeout=20, pass_fds=()):
        return self.run_program([argv0] + list(args), SAFEMAIL, stdin, env,
                                config, preexec_fn, timeout, pass_fds)

    def run_program(self, argv, executable=None, stdin=b"", env=None,
                    config=True, preexec_fn=None, timeout=20, pass_fds=()):
        """Run any program (php, mailx) that calls safemail, with the
        private config and log socket in its environment."""
        sock_path = os.path.join(self.dir, "log.sock")
        if os.path.exists(sock_path):
            os.unlink(sock_path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        # uninstalled, as root: queue runs stay root (installed, they
        # become the safemail user)
        # SAFEMAIL_SANDBOX_TEST=trap: a system call outside a sandboxed
        # program's allow-list is named (stderr, log) and exits 70
        # instead of killing silently (src/lib/sandbox.h)
        e = {"PATH": "/usr/bin:/bin", "SAFEMAIL_LOG_SOCKET": sock_path,
             "SAFEMAIL_LIBEXEC": LIBEXEC, "SAFEMAIL_QUEUE_USER": "root",
             "SAFEMAIL_SANDBOX_TEST": "trap"}
        if config:
            e["SAFEMAIL_CONFIG"] = self.config
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        if env:
            e.update(env)
        # Drained while the program runs: a datagram socket queues only
        # net.unix.max_dgram_qlen (10) lines before the sender blocks.
        logs = []
        done = threading.Event()

        def reader():
            sock.settimeout(0.05)
            while not done.is_set():
                try:
                    logs.append(sock.recv(65536).decode("utf-8", "replace"))
                except socket.timeout:
                    continue
                except OSError:
                    return

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        try:
            p = subprocess.run(argv, executable=executable,
                               input=stdin, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=e, timeout=timeout,
                               preexec_fn=preexec_fn, pass_fds=pass_fds)
        finally:
            done.set()
            th.join()
            logs.extend(drain(sock))
            sock.close()
        return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                      p.stderr.decode("utf-8", "replace"), logs)


def drain(sock):
    sock.setblocking(False)
    logs = []
    while True:
        try:
            d = sock.recv(65536)
        except BlockingIOError:
            break
        logs.append(d.decode("utf-8", "replace"))
    return logs


def envelope(sender, *rcpts):
    """The -bv output for this envelope."""
    lines = ["MAIL FROM:<%s>" % sender]
    lines += ["RCPT TO:<%s>" % r for r in rcpts]
    return "\n".join(lines) + "\n"


def unescape(value):
    """The C escapes of payloads.tsv: \\\\ \\t \\r \\n \\xNN; UTF-8 kept."""
    out = bytearray()
    raw = value.encode("utf-8")
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):
            n = raw[i + 1]
            if n == 0x5C:
                out.append(0x5C); i += 2; continue
            if n == ord("t"):
                out.append(9); i += 2; continue
            if n == ord("r"):
                out.append(13); i += 2; continue
            if n == ord("n"):
                out.append(10); i += 2; continue
            if n == ord("x") and i + 3 < len(raw) + 1:
                out.append(int(raw[i + 2:i + 4], 16)); i += 4; continue
            if n == ord("0"):
                out.append(0); i += 2; continue
        out.append(c)
        i += 1
    return bytes(out)


def corpus_rows():
    d = shared_dir()
    if d is None:
        return None
    rows = []
    with open(os.path.join(d, "corpus", "payloads.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            cols = line.split("\t")
            rows.append(dict(zip(header, cols)))
    return rows


# ---- the sandbox's self-test (SAFEMAIL_SANDBOX_TEST=probe) and trap ----
# What the self-test tries after a lock-down (src/lib/sandbox.c)
SANDBOX_FORBIDDEN = ["open /etc/passwd", "open the configuration",
                     "execve /bin/true", "socket AF_NETLINK",
                     "socket AF_PACKET", "ptrace", "process_vm_readv"]


def sandbox_self_test(logs, program):
    """{probe: "refused (...)" or "allowed (...)"} from program's
    self-test log lines"""
    out = {}
    for line in logs:
        m = re.search(r"sandbox self-test: %s: (.*?): "
                      r"((refused|allowed) .*)$" % re.escape(program), line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def sandbox_probe(results, name):
    """The result of the probe whose name starts with name, or None"""
    for k, v in results.items():
        if k.startswith(name):
            return v
    return None


def sandbox_trapped(logs):
    """The log lines naming a call outside a seccomp list (trap mode)"""
    return [l for l in logs if "which its seccomp policy does not" in l]


def sandbox_filter(logs, program):
    """Where program's seccomp filter came from, as its self-test says:
    "built with the program" (the filter generated at build time),
    "built at run time" (libseccomp, none matched), or None"""
    for line in logs:
        m = re.search(r"sandbox self-test: %s: seccomp filter: (.*)$"
                      % re.escape(program), line)
        if m:
            return m.group(1)
    return None


# A kernel without one system call: every syscall(2) of number nr fails
# with err (the seccomp(2) call of the filter built with the program and
# libseccomp's both go through syscall(); so do Landlock's). For
# LD_PRELOAD.
SYSCALL_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	va_list ap;
	long a[6];

	if (nr == SHIM_NR) {
		errno = SHIM_ERRNO;
		return -1;
	}
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (real == 0)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
"""


def syscall_shim(nr, err):
    """SYSCALL_SHIM built for call number nr (a C expression) failing
    with err (an errno name): the path of the shared object"""
    d = tempfile.mkdtemp(prefix="safemail-shim-")
    with open(os.path.join(d, "shim.c"), "w") as f:
        f.write("#include <sys/syscall.h>\n#define SHIM_NR (%s)\n"
                "#define SHIM_ERRNO %s\n" % (nr, err) + SYSCALL_SHIM)
    so = os.path.join(d, "shim.so")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", so,
                    os.path.join(d, "shim.c"), "-ldl"], check=True)
    return so


def no_seccomp_shim():
    """A kernel that refuses every seccomp filter (EINVAL)"""
    return syscall_shim("SYS_seccomp", "EINVAL")


class Service:
    """safemail-gate listen (the build's) on a socket of its own, as root
    with the queue user root, its log lines caught in self.logs; every
    process of it under SAFEMAIL_SANDBOX_TEST=trap"""

    def __init__(self, conf_text, extra_env=None, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL):
        self.env = Env(conf_text)
        self.spool = tempfile.mkdtemp(prefix="safemail-svc-")
        os.chmod(self.spool, 0o750)
        self.sock = os.path.join(self.env.dir, "run", "submit")
        self.logsock = os.path.join(self.env.dir, "svc-log.sock")
        self.logs = []
        log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        log.bind(self.logsock)

        def drain():
            while True:
                try:
                    self.logs.append(log.recv(65536).decode())
                except OSError:
                    return
        threading.Thread(target=drain, daemon=True).start()
        e = {"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": self.env.config,
             "SAFEMAIL_LIBEXEC": LIBEXEC,
             "SAFEMAIL_QUEUE_USER": "root", "SAFEMAIL_SPOOL": self.spool,
             "SAFEMAIL_SUBMIT_SOCKET": self.sock,
             "SAFEMAIL_LOG_SOCKET": self.logsock,
             "SAFEMAIL_SANDBOX_TEST": "trap"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update(extra_env or {})
        self.proc = subprocess.Popen([GATE, "listen", self.sock], env=e,
                                     stdin=stdin, stdout=stdout,
                                     stderr=subprocess.DEVNULL)
        atexit.register(self.stop)
        for _ in range(200):
            if os.path.exists(self.sock) or self.proc.poll() is not None:
                break
            time.sleep(0.025)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def bs_session(self, args=()):
        """A -bs front end on this service, its lines written by hand"""
        return subprocess.Popen(
            [SAFEMAIL, "-bs"] + list(args), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={"PATH": "/usr/bin:/bin", "SAFEMAIL_SPOOL": self.spool,
                 "SAFEMAIL_SUBMIT_SOCKET": self.sock,
                 "SAFEMAIL_LIBEXEC": LIBEXEC,
                 "SAFEMAIL_LOG_SOCKET": self.logsock,
                 "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")})

    def send(self, args, stdin, preexec_fn=None, env=None):
        e = {"SAFEMAIL_SPOOL": self.spool,
             "SAFEMAIL_SUBMIT_SOCKET": self.sock}
        e.update(env or {})
        return self.env.run(args, stdin=stdin, env=e, preexec_fn=preexec_fn)


def children(pid):
    """The pids whose parent is pid"""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(p))
        except (OSError, IndexError, ValueError):
            pass
    return out


def proc_status(pid):
    """NoNewPrivs, Seccomp and Name from /proc/PID/status ({}: gone)"""
    try:
        with open("/proc/%d/status" % pid) as f:
            fields = dict(l.split(":", 1) for l in f.read().splitlines()
                          if ":" in l)
    except OSError:
        return {}
    return {k: fields.get(k, "").strip()
            for k in ("NoNewPrivs", "Seccomp", "Name")}
