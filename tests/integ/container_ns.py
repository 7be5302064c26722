"""container_ns - the container scenario of issue 28 without a container
engine: two sides in namespaces of their own (unshare: a private mount,
pid and UTS namespace each, so each has its own host name), on an
installed copy with the real owners and modes (instcopy).

The sidecar side: safemail-gate listen -q 1m as the safemail user with
no_new_privs, the configuration (log = stderr) visible there only.
The app side: PHP's mail() as the web user with no_new_privs
(setpriv --no-new-privs), the configuration, the spool and the gate
hidden under empty file systems (an app image has none of them), only
the socket's directory shared.

Shown, as tests/integ/container.py shows it with podman: mail() reaches
the relay through the socket across the two namespaces with the web
user's uid in the trace field and nothing on its stderr; the app side
cannot read the configuration; [limits] count its uid; a message queued
while the relay is down is sent at the start of the next service (the
queue run of -q); the service's per-message log lines are on its own
stderr; NoNewPrivs 1 on the app side; without the socket the front end
exits 75 with one line naming it."""
# debian: util-linux php-cli python3-aiosmtpd
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import instcopy
import smtest

t = smtest.Tap()
for tool in ("unshare", "setpriv", "php"):
    if shutil.which(tool) is None:
        t.skip_all("%s is missing (scripts/deps.sh installs it)" % tool)
c = instcopy.install(t)
LIMIT = 4
c.write_conf(mail_extra="log = stderr",
             smtp_extra=instcopy.PLAIN + "\nlinger = 0",
             # retry 1s: a queued message is due when the next service
             # starts (its queue run at the start sends only what is due)
             extra="[queue]\nretry = 1s\n[limits]\n"
             "uid.%d = %d/hour, defer\n" % (c.WEB.pw_uid, LIMIT))
RUNDIR = os.path.dirname(c.SUBMIT)
os.makedirs(RUNDIR, exist_ok=True)
os.chown(RUNDIR, c.QUEUE_UID, c.GID)
os.chmod(RUNDIR, 0o755)
BASE_ENV = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}

# the sidecar: its own mount, pid and UTS namespaces; the service runs
# as the safemail user with no_new_privs, as the image's entry point
SIDECAR = ["unshare", "--mount", "--pid", "--uts", "--fork",
           "--mount-proc", "--kill-child=SIGTERM", "--", "sh", "-c",
           'hostname mailer && exec setpriv --reuid="$1" --regid="$2" '
           '--clear-groups --no-new-privs "$3" listen -q 1m "$4"', "sh",
           str(c.QUEUE_UID), str(c.GID), c.GATE, c.SUBMIT]
# the app: the same, and the configuration, the spool and the back end
# under empty file systems; the web user with no_new_privs
APP = ["unshare", "--mount", "--pid", "--uts", "--fork", "--mount-proc",
       "--", "sh", "-c",
       'hostname app && for d in "$1" "$2" "$3" $HIDE; do '
       'mount -t tmpfs -o size=64k,mode=0755 none "$d" || exit 70; done && '
       'shift 3 && exec setpriv --reuid="$WEB_UID" --regid="$WEB_GID" '
       '--clear-groups --no-new-privs "$@"', "sh",
       os.path.dirname(c.CONF), c.SPOOL, c.LIBEXEC]


class Sidecar:
    def __init__(self):
        self.lines = []
        self.proc = subprocess.Popen(SIDECAR, env=BASE_ENV,
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    def stop(self):
        """SIGTERM to the service, the namespace's init (setpriv's change
        of uid cleared unshare's --kill-child signal); the namespace's
        other processes die with it."""
        if self.proc.poll() is None:
            try:
                with open("/proc/%d/task/%d/children"
                          % (self.proc.pid, self.proc.pid)) as f:
                    for pid in f.read().split():
                        os.kill(int(pid), signal.SIGTERM)
            except OSError:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self):
        return "\n".join(self.lines)


def inode(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def start_sidecar():
    old = inode(c.SUBMIT)
    s = Sidecar()
    for _ in range(1200):  # 30 s: a busy machine (make -j check)
        if inode(c.SUBMIT) not in (None, old) or s.proc.poll() is not None:
            break
        time.sleep(0.025)
    return s


def app(argv, stdin=b"", hide=""):
    env = dict(BASE_ENV, WEB_UID=str(c.WEB.pw_uid),
               WEB_GID=str(c.WEB.pw_gid), HIDE=hide, HOME=c.HOME)
    p = subprocess.run(APP + argv, input=stdin, env=env, cwd=c.W,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    return p


SENT = []
PHP = ('$ok = mail($argv[1], $argv[2], "Thank you for your order.\\n", '
       '"From: shop@store.example.com"); echo $ok ? "sent\\n" : '
       '"not sent\\n"; exit($ok ? 0 : 1);')


def php_mail(to, subject):
    p = app(["php", "-n", "-d", "sendmail_path=%s -t -i" % c.SENDMAIL,
             "-r", PHP, to, subject])
    if p.returncode == 0:
        SENT.append(time.time())
    return p


def wait_for(cond, seconds=20):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


side = start_sidecar()
t.ok(inode(c.SUBMIT) is not None, "the sidecar side listens (safemail-gate "
     "listen -q 1m, the safemail user, no_new_privs)", side.log())

p = app(["grep", "NoNewPrivs", "/proc/self/status"])
t.ok(p.returncode == 0 and b"NoNewPrivs:\t1" in p.stdout,
     "the app side: NoNewPrivs 1", p)
p = app(["sh", "-c", 'hostname; for f; do test -e "$f" && echo "$f"; done',
         "sh", c.CONF, c.GATE, c.RELAYBIN, os.path.join(c.SPOOL, "q")])
t.ok(p.stdout == b"app\n",
     "the app side has a host name of its own and no configuration, "
     "spool or gate", p)

p = app(["sh", "-c", "cat /proc/[0-9]*/comm"])
t.ok(p.returncode == 0 and b"safemail-gate" not in p.stdout,
     "nor does it see the service's processes (a pid namespace of its "
     "own)", p)

# ---- mail() through the socket ----
n0 = len(c.relay.transactions)
p = php_mail("customer@example.org", "Your order 1")
got = wait_for(lambda: len(c.relay.transactions) > n0)
t.ok(p.returncode == 0 and p.stdout == b"sent\n" and got,
     "PHP's mail() on the app side: sent, and the relay has it",
     (p, side.log()))
t.ok(p.stderr == b"", "nothing on the caller's stderr", p.stderr)
if not got:
    t.done()
tx = c.relay.transactions[n0]
t.ok(tx.mail_from == "shop@store.example.com" and
     tx.rcpt_tos == ["customer@example.org"] and
     b"Subject: Your order 1\r\n" in tx.data and
     b"\r\n\r\nThank you for your order.\r\n" in tx.data and
     ("from userid %d)" % c.WEB.pw_uid).encode() in tx.data,
     "the envelope and the bytes, and the trace field names the web "
     "user's uid (SO_PEERCRED across the namespaces)", tx)
trace = re.search(r"\sid ([0-9A-F]+);",
                  tx.data.decode(errors="replace")).group(1)


def log_of(trace):
    """The service's lines for the message whose trace field has id
    trace: the line that names it gives the service's queue id."""
    qids = [line.split(": ", 2)[1] for line in side.lines
            if "trace id %s " % trace in line and ": " in line]
    return [line for line in side.lines for q in qids if " %s: " % q in line]


t.ok(wait_for(lambda: any(
    "uid=%d" % c.WEB.pw_uid in line and "status=sent" in line
    for line in log_of(trace)), 10),
     "the service's log line for it is on its own stderr (log = stderr)",
     side.log())

# ---- the relay down: queued, sent by the next service at its start ----
c.relay.script["greeting"] = "421 4.3.2 down for maintenance"
n1 = len(c.relay.transactions)
p = php_mail("later@example.org", "Queued while the relay is down")
t.ok(p.returncode == 0 and len(c.relay.transactions) == n1,
     "relay down: mail() succeeds, the message is queued", p)
time.sleep(1.5)  # retry = 1s: due by the time the next service starts
side.stop()
del c.relay.script["greeting"]
side = start_sidecar()
t.ok(wait_for(lambda: any(x.rcpt_tos == ["later@example.org"]
                          for x in c.relay.transactions[n1:]), 30),
     "the next service sends it at its start (the queue run of -q)",
     (side.log(), c.as_root([c.MAILQ])))

# ---- [limits] count the app's uid ----
if time.time() % 3600 > 3600 - 20:  # the rest within one clock hour
    time.sleep(3600 - time.time() % 3600 + 1)
hour = int(time.time() // 3600)
before = sum(1 for at in SENT if int(at // 3600) == hour)
n2 = len(c.relay.transactions)
rcs = [php_mail("limit%d@example.org" % i, "limit %d" % i)
       for i in range(LIMIT - before + 1)]
rule = "uid.%d" % c.WEB.pw_uid
t.ok(all(r.returncode == 0 for r in rcs[:-1]) and
     rcs[-1].returncode == 1 and rule.encode() in rcs[-1].stderr and
     len(c.relay.transactions) == n2 + len(rcs) - 1,
     "[limits] %s = %d/hour: the message over it is refused, the ones "
     "before it sent" % (rule, LIMIT),
     [(r.returncode, r.stdout, r.stderr) for r in rcs])

# ---- without the socket ----
p = app([c.SENDMAIL, "-t", "-i"], b"To: a@example.org\nSubject: x\n\nb\n",
        hide=RUNDIR)
lines = p.stderr.decode(errors="replace").strip().splitlines()
t.ok(p.returncode == 75 and len(lines) == 1 and c.SUBMIT in lines[0],
     "the app side without the socket: exit 75, one line naming it", p)
side.stop()
t.done()
