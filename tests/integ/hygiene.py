"""hygiene - start-up state of the real process, read from /proc while it
waits on standard input: fds, environment, umask, cwd, core limit; and a
run with fds 1 and 2 closed (as GNU mailutils starts sendmail)."""
import os
import subprocess
import time
import smtest

t = smtest.Tap()
env = smtest.Env()

extra_r, extra_w = os.pipe()  # an inherited descriptor beyond 2
os.set_inheritable(extra_r, True)
p = subprocess.Popen(
    ["sendmail", "-bv", "-t", "-i"], executable=smtest.SAFEMAIL,
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    pass_fds=(extra_r,), cwd=env.dir,
    env={"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": env.config,
         "SAFEMAIL_LIBEXEC": smtest.LIBEXEC, "SSLKEYLOGFILE": "/tmp/keys", "all_proxy": "socks5h://evil:1080",
         "LD_DEBUG_OUTPUT": "/tmp/x", "HOME": "/var/www"},
    preexec_fn=lambda: os.umask(0o022))
proc = "/proc/%d" % p.pid
# Wait until it blocks in read(2) on the header (syscall 0 on x86_64 and
# 63 on arm64): every start-up step is done by then.
for _ in range(500):
    try:
        with open(proc + "/syscall") as f:
            if f.read().split()[0] in ("0", "63"):
                break
    except (OSError, IndexError):
        pass
    time.sleep(0.02)

fds = sorted(int(x) for x in os.listdir(proc + "/fd"))
targets = {fd: os.readlink("%s/fd/%d" % (proc, fd)) for fd in fds}
others = [fd for fd in fds if fd > 2 and not targets[fd].startswith("socket:")]
t.ok(others == [], "no inherited descriptor beyond 2 is left open",
     repr(targets))
with open(proc + "/environ", "rb") as f:
    environ = [x for x in f.read().split(b"\0") if x]
t.ok(environ == [],
     "the caller's environment is wiped (nothing left in /proc/PID/environ)",
     repr(environ))
with open(proc + "/status") as f:
    umask = [l.split()[1] for l in f if l.startswith("Umask:")]
t.ok(umask == ["0077"], "umask 077", repr(umask))
t.ok(os.readlink(proc + "/cwd") == "/", "working directory /")
with open(proc + "/limits") as f:
    core = [l for l in f if l.startswith("Max core file size")]
t.ok(core and core[0].split()[4:6] == ["0", "0"], "core dumps off",
     repr(core))
with open(proc + "/maps") as f:
    libs = sorted({l.split()[-1].rsplit("/", 1)[-1] for l in f
                   if ".so" in l})
t.ok(not any(x.startswith(("libcurl", "libssl", "libcrypto", "libnghttp",
                           "libgnutls")) for x in libs),
     "the front end loads no libcurl and no TLS library (issue 7: a "
     "refusal costs a plain process start)", repr(libs))
out, err = p.communicate(b"To: a@x.org\n\n", timeout=20)
os.close(extra_r)
os.close(extra_w)
t.ok(p.returncode == 0 and out == b"MAIL FROM:<shop@store.example.com>\n"
     b"RCPT TO:<a@x.org>\n", "and it still works", repr((out, err)))


# Not dumpable: another process of the same (unprivileged) user can read
# neither its memory nor its environment, nor ptrace it.
import pwd  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
if os.geteuid() == 0 and shutil.which("setpriv"):
    nobody = pwd.getpwnam("nobody")
    d = tempfile.mkdtemp(prefix="safemail-nobody-")
    os.chmod(d, 0o755)
    conf = os.path.join(d, "safemail.ini")
    with open(conf, "w") as f:
        f.write(smtest.config_text())
    os.chown(conf, nobody.pw_uid, nobody.pw_gid)
    os.chmod(conf, 0o600)
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup",
                 "--clear-groups"]
    p = subprocess.Popen(as_nobody + [os.path.abspath(smtest.SAFEMAIL),
                                      "-bv", "-t"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE,
                         env={"PATH": "/usr/bin:/bin",
                              "SAFEMAIL_LIBEXEC": smtest.LIBEXEC,
                              "SAFEMAIL_CONFIG": conf})
    for _ in range(500):  # until it waits on standard input
        try:
            with open("/proc/%d/syscall" % p.pid) as f:
                if f.read().split()[0] in ("0", "63"):
                    break
        except (OSError, IndexError):
            pass
        time.sleep(0.02)
    probe = subprocess.run(as_nobody + ["/usr/bin/python3", "-c", """
import ctypes, os, sys
pid = int(sys.argv[1])
for name in ("mem", "environ"):
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            f.read(1)
        print(name, "readable")
    except OSError as e:
        print(name, "denied", e.errno)
libc = ctypes.CDLL(None, use_errno=True)
r = libc.ptrace(16, pid, None, None)  # PTRACE_ATTACH
print("ptrace", "attached" if r == 0 else "denied", ctypes.get_errno())
""", str(p.pid)], stdout=subprocess.PIPE, text=True)
    p.communicate(b"To: a@x.org\n\n", timeout=20)
    t.ok("mem denied" in probe.stdout and "environ denied" in probe.stdout
         and "ptrace denied" in probe.stdout,
         "the same user can read neither its memory nor its environ, nor "
         "ptrace it", probe.stdout)
    t.ok(p.returncode == 0, "and it ran normally as that user", p.returncode)
else:
    print("ok %d - # SKIP needs root and setpriv" % (t.n + 1))
    t.n += 1


def close_out_err():
    os.close(1)
    os.close(2)


# fds 1 and 2 closed: they must be /dev/null before the config is opened,
# or -bv's output would be written to the config descriptor (and fail).
r = env.run(["-bv", "a@x.org"], preexec_fn=close_out_err)
t.ok(r.rc == 0, "fds 1 and 2 closed: runs normally", r)
r = env.run(["-bv", "-X/tmp/x"], preexec_fn=close_out_err)
t.ok(r.rc == 64 and any("refused" in l for l in r.logs),
     "fds 1 and 2 closed: a refusal still exits 64 and is logged", r)
with open(env.config) as f:
    t.ok(f.read() == smtest.config_text(), "the config file is untouched")
t.done()
