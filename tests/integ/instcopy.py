"""instcopy - an installed copy of safemail with the real owners and modes,
and an unprivileged web user to attack it with (the trust tests of issue
26: tests/integ/trust_*.py).

install(t) builds this source tree (a plain build: ASan does not belong
in a set-ID program) into a private prefix under /var/tmp, runs make
install with the group safemail present (safemail-gate root:safemail
2755, safemail-relay 0750, the spool root:safemail 0771), and returns a
Copy: its paths, a scripted relay that wants AUTH, a /dev/log it drains
(LOGS), write_conf() and as_web(). Everything is removed at exit.
"""
import atexit
import fcntl
import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import smtest
import smtprelay

SECRET = "Pw-7q!Z3-never-shown"
USER = "smrelayuser"
WEB_USER = "smweb"
PLAIN = "allow_plaintext_auth = yes"


def _need_root(t):
    if os.geteuid() != 0:
        t.skip_all("needs root: it creates users and installs set-ID "
                   "programs")
    for tool in ("setpriv", "useradd", "groupadd", "cc", "make"):
        if shutil.which(tool) is None:
            t.skip_all("%s is missing (scripts/deps.sh installs it)" % tool)


def _ensure_users():
    if subprocess.run(["getent", "group", "safemail"],
                      stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["groupadd", "-r", "safemail"], check=True)
    if subprocess.run(["getent", "passwd", "safemail"],
                      stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["useradd", "-r", "-g", "safemail", "-d",
                        "/nonexistent", "-M", "-s", "/usr/sbin/nologin",
                        "safemail"], check=True)
    if subprocess.run(["getent", "passwd", WEB_USER],
                      stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["useradd", "-r", "-U", "-M", "-d", "/nonexistent",
                        "-s", "/usr/sbin/nologin", WEB_USER], check=True)


DEVLOG_LOCK = "/run/safemail-test-devlog.lock"
_held = []


def hold_devlog():
    """One test at a time owns /dev/log (the set-ID programs log there and
    nowhere else): make check runs tests side by side, so each test that
    needs it waits here for the one before to end."""
    if _held:
        return
    f = open(DEVLOG_LOCK, "a")
    fcntl.flock(f, fcntl.LOCK_EX)
    _held.append(f)


def capture_devlog(logs):
    """The set-ID programs log to /dev/log: ours, drained into logs (a
    list), once this test holds the lock; False when a syslog daemon has
    it (nothing is captured then)."""
    hold_devlog()
    if os.path.exists("/dev/log") and _stale("/dev/log"):
        os.unlink("/dev/log")
    if os.path.exists("/dev/log"):
        return False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("/dev/log")
    os.chmod("/dev/log", 0o666)

    def drain():
        while True:
            try:
                logs.append(sock.recv(65536).decode("utf-8", "replace"))
            except OSError:
                return
    threading.Thread(target=drain, daemon=True).start()

    def cleanup():
        sock.close()
        if os.path.exists("/dev/log"):
            os.unlink("/dev/log")
    atexit.register(cleanup)
    return True


def _stale(path):
    """A socket file nobody listens on (left by a killed run)."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        probe.connect(path)
        return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    finally:
        probe.close()


class Copy:
    def __init__(self, t, relay_kw=None):
        _need_root(t)
        _ensure_users()
        self.t = t
        self.GID = grp.getgrnam("safemail").gr_gid
        self.QUEUE_UID = pwd.getpwnam("safemail").pw_uid
        self.WEB = pwd.getpwnam(WEB_USER)
        self.SRC = os.path.abspath(smtest.TOP_SRCDIR)
        P = self.P = tempfile.mkdtemp(prefix="safemail-inst-",
                                      dir="/var/tmp")
        os.chmod(P, 0o755)
        atexit.register(shutil.rmtree, P, True)
        self.HOME = os.path.join(P, "home")
        self.W = os.path.join(P, "www")  # the web user writes here
        for d in (self.HOME, self.W):
            os.mkdir(d)
            os.chown(d, self.WEB.pw_uid, self.WEB.pw_gid)
        self._build()
        self.SBIN = os.path.join(P, "sbin", "safemail")
        self.SENDMAIL = os.path.join(P, "sbin", "sendmail")
        self.MAILQ = os.path.join(P, "bin", "mailq")
        self.LIBEXEC = os.path.join(P, "libexec", "safemail")
        self.GATE = os.path.join(self.LIBEXEC, "safemail-gate")
        self.RELAYBIN = os.path.join(self.LIBEXEC, "safemail-relay")
        self.SPOOL = os.path.join(P, "var", "spool", "safemail")
        self.RUN = os.path.join(self.SPOOL, "run")
        self.CONF = os.path.join(P, "etc", "safemail.ini")
        # the submission service's socket: $(runstatedir)/safemail/submit
        self.SUBMIT = os.path.join(P, "var", "run", "safemail", "submit")
        self._services = []
        atexit.register(self.stop_service)
        st = os.stat(self.GATE)
        t.ok(st.st_uid == 0 and st.st_gid == self.GID and
             (st.st_mode & 0o7777) == 0o2755,
             "installed copy: safemail-gate is root:safemail 2755",
             oct(st.st_mode))
        self.LOGS = []
        self._devlog()
        self.relay = smtprelay.Relay(auth=(USER, SECRET),
                                     auth_require_tls=False,
                                     **(relay_kw or {}))
        self.write_conf()

    def _build(self):
        build = os.path.join(self.P, "build")
        os.mkdir(build)
        logname = os.path.join(self.P, "build.log")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ASAN", "UBSAN", "LSAN", "SAFEMAIL"))}
        with open(logname, "wb") as log:
            ok = subprocess.run([os.path.join(self.SRC, "configure"), "-q",
                                 "--prefix=" + self.P], cwd=build,
                                stdout=log, stderr=log,
                                env=env).returncode == 0
            ok = ok and subprocess.run(
                ["make", "-j%d" % (os.cpu_count() or 2), "install"],
                cwd=build, stdout=log, stderr=log, env=env).returncode == 0
        if not self.t.ok(ok, "configure, make, make install into a private "
                         "prefix"):
            with open(logname, errors="replace") as f:
                print("# " + "\n# ".join(f.read().splitlines()[-30:]))
            self.t.done()

    def _devlog(self):
        self.own_devlog = capture_devlog(self.LOGS)

    def write_conf(self, smtp_extra=PLAIN, mail_extra="", secret_line=None,
                   extra="", text=None, mode=0o640):
        """The configuration, root:safemail 0640; text replaces it all."""
        os.makedirs(os.path.dirname(self.CONF), exist_ok=True)
        if text is None:
            text = ("[mail]\ndomain = store.example.com\n"
                    "default_sender = shop@store.example.com\n"
                    "return_path = no\n%s\n[smtp]\nhost = 127.0.0.1\n"
                    "port = %d\nconnect_timeout = 5\ncommand_timeout = 3\n"
                    "auth = plain\nusername = %s\n%s\n%s\n%s"
                    % (mail_extra, self.relay.port, USER,
                       secret_line or "password = " + SECRET, smtp_extra,
                       extra))
        with open(self.CONF, "w") as f:
            f.write(text)
        os.chown(self.CONF, 0, self.GID)
        os.chmod(self.CONF, mode)

    def web_cmd(self, argv):
        return ["setpriv", "--reuid=%d" % self.WEB.pw_uid,
                "--regid=%d" % self.WEB.pw_gid, "--clear-groups"] + argv

    def as_web(self, argv, stdin=b"", env=None, cwd=None, wait=True,
               timeout=60, outer=(), preexec_fn=None):
        """argv as the web user; outer: a command (as root) around it.
        Returns (exit code, stdout, stderr), or the Popen (wait=False)."""
        e = {"PATH": "/usr/bin:/bin", "HOME": self.HOME}
        e.update(env or {})
        cmd = list(outer) + self.web_cmd(argv)
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=e, cwd=cwd or self.W, preexec_fn=preexec_fn)
        if not wait:
            return p
        out, err = p.communicate(stdin, timeout=timeout)
        return p.returncode, out, err

    def as_root(self, argv, stdin=b"", timeout=120):
        p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout,
                           env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
        return p.returncode, p.stdout, p.stderr

    def compile_web_tool(self, name, source):
        """A C program (the attacker's) built into the web root."""
        src = os.path.join(self.W, name + ".c")
        exe = os.path.join(self.W, name)
        with open(src, "w") as f:
            f.write(source)
        subprocess.run(["cc", "-O1", "-Wall", "-o", exe, src, "-lpthread"],
                       check=True)
        os.chmod(exe, 0o755)
        return exe

    def start_service(self, args=()):
        """safemail-gate listen as the safemail user (what safemail.service
        runs), its directory made as systemd's RuntimeDirectory would;
        stopped at exit. Returns the Popen, once the socket is there."""
        d = os.path.dirname(self.SUBMIT)
        os.makedirs(d, exist_ok=True)
        os.chown(d, self.QUEUE_UID, self.GID)
        os.chmod(d, 0o755)
        p = subprocess.Popen(
            ["setpriv", "--reuid=%d" % self.QUEUE_UID,
             "--regid=%d" % self.GID, "--clear-groups",
             self.GATE, "listen"] + list(args),
            env={"PATH": "/usr/bin:/bin"}, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._services.append(p)
        for _ in range(200):
            if os.path.exists(self.SUBMIT) or p.poll() is not None:
                break
            time.sleep(0.025)
        return p

    def stop_service(self):
        for p in self._services:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=10)
        del self._services[:]

    def logs_since(self, n):
        return "\n".join(self.LOGS[n:])

    def logs_until(self, n, text, timeout=3.0):
        """The log lines since n, once one holds text (or the timeout
        passed): a program's datagram may reach the log's reader thread
        a moment after the program ended."""
        end = time.time() + timeout
        while text not in self.logs_since(n) and time.time() < end:
            time.sleep(0.02)
        return self.logs_since(n)


def install(t, relay_kw=None):
    return Copy(t, relay_kw)
