"""installed - the privilege split, proven on an installed copy with the
real owners and modes, by an unprivileged web user this test creates
(issue 6, must show 1-3).

As root it builds safemail from this source tree into a private prefix
(a plain build: ASan does not belong in a set-ID program), runs make
install with the group safemail present, so that safemail-gate is setgid
safemail and safemail-relay 0750 root:safemail, writes the configuration
root:safemail 0640 with a relay password, and then, as the web user:

1. tries to get the password: reading the file, every debugging or
   configuration option, the environment (SAFEMAIL_*, SSLKEYLOGFILE,
   all_proxy, LD_PRELOAD), /proc/PID/environ and mem, ptrace and gdb
   attach, a core dump; and talks to the gate directly with a forged
   envelope;
2. names files in every option that could write or read one, and plants
   symbolic and hard links in the spool (as root: the web user cannot);
3. runs every argv row of ../shared/corpus/payloads.tsv through PHP's
   mail() and looks for any file it left anywhere.
"""
# debian: php-cli gdb
import atexit
import base64
import grp
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import instcopy
import smprobe
import smtest
import smtprelay
import tokenserver

t = smtest.Tap()
if os.geteuid() != 0:
    t.skip_all("needs root: it creates users and installs set-ID programs")
for tool in ("setpriv", "useradd", "groupadd", "php", "gdb", "cc", "make"):
    if shutil.which(tool) is None:
        t.skip_all("%s is missing (scripts/deps.sh installs it)" % tool)

SRC = os.path.abspath(smtest.TOP_SRCDIR)
SECRET = "Pw-7q!Z3-never-shown"
USER = "smrelayuser"
FORMS = [SECRET.encode(),
         base64.b64encode(b"\0" + USER.encode() + b"\0" + SECRET.encode()),
         base64.b64encode(SECRET.encode())]

# ---- the users an admin creates (README: Installing) and the web user
if subprocess.run(["getent", "group", "safemail"],
                  stdout=subprocess.DEVNULL).returncode != 0:
    subprocess.run(["groupadd", "-r", "safemail"], check=True)
if subprocess.run(["getent", "passwd", "safemail"],
                  stdout=subprocess.DEVNULL).returncode != 0:
    subprocess.run(["useradd", "-r", "-g", "safemail", "-d", "/nonexistent",
                    "-M", "-s", "/usr/sbin/nologin", "safemail"], check=True)
GID = grp.getgrnam("safemail").gr_gid
QUEUE_UID = pwd.getpwnam("safemail").pw_uid

P = tempfile.mkdtemp(prefix="safemail-installed-", dir="/var/tmp")
os.chmod(P, 0o755)
atexit.register(shutil.rmtree, P, True)
HOME = os.path.join(P, "home")
if subprocess.run(["getent", "passwd", "smweb"],
                  stdout=subprocess.DEVNULL).returncode != 0:
    subprocess.run(["useradd", "-r", "-U", "-M", "-d", "/nonexistent",
                    "-s", "/usr/sbin/nologin", "smweb"], check=True)
WEB = pwd.getpwnam("smweb")
os.mkdir(HOME)
os.chown(HOME, WEB.pw_uid, WEB.pw_gid)
W = os.path.join(P, "www")  # the web root: the web user writes here
os.mkdir(W)
os.chown(W, WEB.pw_uid, WEB.pw_gid)

# ---- build and install
build = os.path.join(P, "build")
os.mkdir(build)
log = open(os.path.join(P, "build.log"), "wb")
env_build = {k: v for k, v in os.environ.items()
             if not k.startswith(("ASAN", "UBSAN", "LSAN", "SAFEMAIL"))}
ok = subprocess.run([os.path.join(SRC, "configure"), "-q", "--prefix=" + P],
                    cwd=build, stdout=log, stderr=log,
                    env=env_build).returncode == 0
ok = ok and subprocess.run(["make", "-j%d" % (os.cpu_count() or 2),
                            "install"], cwd=build, stdout=log, stderr=log,
                           env=env_build).returncode == 0
log.close()
if not t.ok(ok, "configure, make, make install into a private prefix"):
    with open(os.path.join(P, "build.log"), errors="replace") as f:
        print("# " + "\n# ".join(f.read().splitlines()[-30:]))
    t.done()
SBIN = os.path.join(P, "sbin", "safemail")
SENDMAIL = os.path.join(P, "sbin", "sendmail")
LIBEXEC = os.path.join(P, "libexec", "safemail")
GATE = os.path.join(LIBEXEC, "safemail-gate")
RELAYBIN = os.path.join(LIBEXEC, "safemail-relay")
SPOOL = os.path.join(P, "var", "spool", "safemail")
CONF = os.path.join(P, "etc", "safemail.ini")

st_gate, st_relay, st_spool = os.stat(GATE), os.stat(RELAYBIN), os.stat(SPOOL)
t.ok(st_gate.st_uid == 0 and st_gate.st_gid == GID and
     (st_gate.st_mode & 0o7777) == 0o2755,
     "make install: safemail-gate is root:safemail 2755 (setgid)",
     oct(st_gate.st_mode))
t.ok(st_relay.st_uid == 0 and st_relay.st_gid == GID and
     (st_relay.st_mode & 0o7777) == 0o750,
     "make install: safemail-relay is root:safemail 0750", oct(st_relay.st_mode))
t.ok((os.stat(SBIN).st_mode & 0o6000) == 0,
     "the front end is not set-ID", oct(os.stat(SBIN).st_mode))
t.ok(st_spool.st_gid == GID and (st_spool.st_mode & 0o7777) == 0o771,
     "the spool is root:safemail 0771 (others may only pass through, to "
     "their gate directory)", oct(st_spool.st_mode))
st_conf = os.stat(CONF)
t.ok(st_conf.st_uid == 0 and st_conf.st_gid == GID and
     (st_conf.st_mode & 0o7777) == 0o640,
     "make install put the example configuration in, root:safemail 0640",
     oct(st_conf.st_mode))

# ---- syslog: the set-ID programs log to /dev/log, nowhere else
LOGS = []


own_devlog = instcopy.capture_devlog(LOGS)


relay = smtprelay.Relay(auth=(USER, SECRET), auth_require_tls=False)
ca = smtprelay.TestCA()
for root, dirs, files in os.walk(os.path.dirname(ca.ca)):
    os.chmod(root, 0o755)
    for name in files:
        os.chmod(os.path.join(root, name), 0o644)


def write_conf(port, smtp_extra="", mode=0o640, owner=(0, GID),
               mail_extra="", secret_line=None):
    os.makedirs(os.path.dirname(CONF), exist_ok=True)
    with open(CONF, "w") as f:
        f.write("[mail]\ndomain = store.example.com\n"
                "default_sender = shop@store.example.com\n"
                "return_path = no\n%s\n[smtp]\nhost = 127.0.0.1\n"
                "port = %d\nconnect_timeout = 5\ncommand_timeout = 3\n"
                "auth = plain\nusername = %s\n%s\n%s\n"
                % (mail_extra, port, USER,
                   secret_line or "password = " + SECRET, smtp_extra))
    os.chown(CONF, *owner)
    os.chmod(CONF, mode)


PLAIN = "allow_plaintext_auth = yes"
write_conf(relay.port, PLAIN)


def as_web(argv, stdin=b"", env=None, cwd=None, wait=True, timeout=30,
           outer=(), preexec_fn=None):
    """argv as the web user; outer: a command (as root) around it."""
    e = {"PATH": "/usr/bin:/bin", "HOME": HOME}
    e.update(env or {})
    cmd = list(outer) + ["setpriv", "--reuid=%d" % WEB.pw_uid,
                         "--regid=%d" % WEB.pw_gid, "--clear-groups"] + argv
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=e, cwd=cwd or W,
                         preexec_fn=preexec_fn)
    if not wait:
        return p
    out, err = p.communicate(stdin, timeout=timeout)
    return p.returncode, out, err


def leaked(*blobs):
    """Which form of the password appears in any of blobs."""
    for b in blobs:
        if isinstance(b, str):
            b = b.encode()
        for form in FORMS:
            if form in b:
                return form
    return None


MSG = b"To: a@example.org\nSubject: hi\n\nbody\n"

# A plain delivery works, and the relay saw the password (so it is used).
rc, out, err = as_web([SENDMAIL, "-t", "-i"], MSG)
t.ok(rc == 0 and err == b"" and len(relay.transactions) == 1 and
     relay.auth_seen, "the web user sends: delivered with AUTH, stderr "
     "silent", (rc, err, relay.auth_seen))

# The password in a file of its own ([smtp] password_file, root:safemail
# 0640): the web user cannot read it, its relay client (with the group)
# can, and the secret shows nowhere.
SECRET_FILE = os.path.join(P, "etc", "relay.secret")
with open(SECRET_FILE, "w") as f:
    f.write(SECRET + "\n")
os.chown(SECRET_FILE, 0, GID)
os.chmod(SECRET_FILE, 0o640)
write_conf(relay.port, PLAIN, secret_line="password_file = " + SECRET_FILE)
sent = len(relay.transactions)
rc, out, err = as_web([SENDMAIL, "-t", "-i"], MSG)
rc2, out2, err2 = as_web(["cat", SECRET_FILE])
t.ok(rc == 0 and err == b"" and len(relay.transactions) == sent + 1 and
     rc2 != 0 and not leaked(out, err, out2, err2, *LOGS),
     "password_file root:safemail 0640: the web user's message is sent "
     "with AUTH, the web user cannot read the file, the secret shows "
     "nowhere", (rc, err, rc2))
write_conf(relay.port, PLAIN)

RUN = os.path.join(SPOOL, "run")


def lingering(uid, prefix=b"safemail-relay\0standby"):
    """The pid of a relay client (or gate) whose command line starts with
    prefix, running as uid."""
    for pid in smprobe._pids():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if not f.read().startswith(prefix):
                    continue
            if smprobe.uids(pid)[0] == uid:
                return pid
        except (OSError, TypeError):
            continue
    return None


# ---- OAuth2 (issue 16): the access token and the client secret stay out
# of the web user's reach: not in its output or the log, not in any argv
# or environment of the programs it starts, and the token cache in
# <spool>/run is closed to it, yet shared by every relay client.
TOKEN = "eyJ0.installed-" + "T" * 1500 + ".sig"
CSECRET = "cs-installed-" + "K" * 30
OAUTH_FORMS = [TOKEN.encode(), CSECRET.encode(), TOKEN[:40].encode(),
               base64.b64encode(("user=%s\x01auth=Bearer %s" %
                                 (USER, TOKEN)).encode())[:40]]
ts = tokenserver.TokenServer(ca.good, tokens=[TOKEN])
orelay = smtprelay.Relay(tls="starttls", cert=ca.good,
                         oauth=(USER, [TOKEN]), auth_line_limit=16384)


def oauth_leak(*blobs):
    return [f[:12] for f in OAUTH_FORMS for b in blobs
            if f in (b.encode() if isinstance(b, str) else b)]


with open(CONF, "w") as f:
    f.write("[mail]\ndomain = store.example.com\n"
            "default_sender = shop@store.example.com\n[smtp]\n"
            "host = 127.0.0.1\nport = %d\nssl = tls\ntls_ca_file = %s\n"
            "connect_timeout = 5\ncommand_timeout = 3\nlinger = 3\n"
            "auth = xoauth2\nusername = %s\noauth2_token_url = %s\n"
            "oauth2_client_id = cid-installed\n"
            "oauth2_client_secret = %s\n"
            % (orelay.port, ca.ca, USER, ts.url, CSECRET))
os.chown(CONF, 0, GID)
os.chmod(CONF, 0o640)
before_logs = len(LOGS)
rc, out, err = as_web([SENDMAIL, "-t", "-i"], MSG)
rcv, outv, errv = as_web([SENDMAIL, "-v", "-t", "-i"], MSG)
t.ok(rc == 0 and err == b"" and rcv == 0 and len(orelay.transactions) == 2
     and len(ts.requests) == 1 and orelay.oauth_seen and
     orelay.oauth_seen[0][2] == TOKEN,
     "OAuth2: the web user's messages are sent with AUTH XOAUTH2 and a "
     "token the relay client fetched once", (rc, err, len(ts.requests)))
t.ok(not oauth_leak(out, err, outv, errv, *LOGS[before_logs:]),
     "the token and the client secret are in no output (with -v too) and "
     "no log line", oauth_leak(out, err, outv, errv, *LOGS[before_logs:]))
cache = [n for n in os.listdir(RUN) if n.startswith("oauth2-")]
rc1, out1, err1 = as_web(["ls", RUN])
rc2, out2, err2 = as_web(["cat", os.path.join(RUN, cache[0])]) \
    if cache else (0, b"", b"")
t.ok(len(cache) == 1 and rc1 != 0 and rc2 != 0 and
     (os.stat(os.path.join(RUN, cache[0])).st_mode & 0o7777) == 0o660 and
     os.stat(os.path.join(RUN, cache[0])).st_gid == GID,
     "the token cache: one file, 0660 with the group safemail; the web "
     "user can neither list <spool>/run nor read it", (cache, rc1, rc2))
rc = subprocess.run([SENDMAIL, "-t", "-i"], input=MSG,
                    env={"PATH": "/usr/bin:/bin"},
                    capture_output=True).returncode
t.ok(rc == 0 and len(orelay.transactions) == 3 and len(ts.requests) == 1,
     "root's message (its relay client the safemail user): the same "
     "cached token, no second request", (rc, len(ts.requests)))
orelay.stop()
ts.stop()
write_conf(relay.port, PLAIN)

# ---- [limits] (issue 17) on the installed copy: counted by the setgid
# gate for the web user's uid; root is not held up by it; nothing the web
# user passes (environment, its own configuration, a header, -bs) raises
# its limit, and it cannot read the counts or the stats.
write_conf(relay.port, PLAIN + "\nlinger = 0\n[limits]\n"
           "user.smweb = 2/hour, defer\nuid.0 = 100/hour")
sent = len(relay.transactions)
rs = [as_web([SENDMAIL, "-t", "-i"], MSG) for _ in range(3)]
t.ok([r[0] for r in rs] == [0, 0, 75] and
     b"over the limit of user.smweb (2 messages an hour)" in rs[2][2] and
     len(relay.transactions) == sent + 2,
     "[limits] user.smweb = 2/hour: the web user's third message gets 75",
     [(r[0], r[2]) for r in rs])
rc = subprocess.run([SENDMAIL, "-t", "-i"], input=MSG,
                    env={"PATH": "/usr/bin:/bin"},
                    capture_output=True).returncode
t.ok(rc == 0 and len(relay.transactions) == sent + 3,
     "root, meanwhile, sends: another user is not held up", rc)
own = os.path.join(HOME, "own.ini")
with open(own, "w") as f:
    f.write("[mail]\ndomain = store.example.com\n[smtp]\nhost = "
            "127.0.0.1\nport = %d\n" % relay.port)
os.chown(own, WEB.pw_uid, WEB.pw_gid)
os.chmod(own, 0o600)
tries = [
    ("its own configuration, clock and spool in the environment",
     [SENDMAIL, "-t", "-i"], MSG,
     {"SAFEMAIL_CONFIG": own, "SAFEMAIL_TEST_NOW": "4102444800",
      "SAFEMAIL_SPOOL": HOME}),
    ("a header naming root's uid", [SENDMAIL, "-t", "-i"],
     b"X-PHP-Originating-Script: 0:/root/cron.php\n" + MSG, None),
    ("another sender", [SENDMAIL, "-t", "-i", "-fother@store.example.com"],
     MSG, None),
]
for what, argv, data, extra in tries:
    rc, out, err = as_web(argv, data, env=extra)
    t.ok(rc == 75 and len(relay.transactions) == sent + 3,
         "the web user cannot raise its limit with %s: 75, nothing sent"
         % what, (rc, err))
rc, out, err = as_web([SENDMAIL, "-bs"], b"EHLO c\r\nMAIL FROM:<shop@store."
                      b"example.com>\r\nRCPT TO:<a@example.org>\r\nDATA\r\n"
                      b"Subject: bs\r\n\r\nx\r\n.\r\nQUIT\r\n")
t.ok(b"451 4.7.0 over the limit of user.smweb" in out and
     len(relay.transactions) == sent + 3,
     "nor through -bs: 451 after DATA, nothing sent", out)
counts = os.path.join(RUN, "count-%d" % WEB.pw_uid)
st_c = os.stat(counts) if os.path.exists(counts) else None
rc1, out1, err1 = as_web(["cat", counts])
rc2, out2, err2 = as_web([os.path.join(P, "sbin", "safemail"), "--stats"])
t.ok(st_c is not None and st_c.st_gid == GID and
     (st_c.st_mode & 0o7777) == 0o660 and rc1 != 0 and rc2 == 77 and
     b"--stats is for root" in err2,
     "its counts: <spool>/run/count-UID 0660 group safemail, unreadable to "
     "the web user; --stats is refused to it (77)", (rc1, rc2, err2))
rc = subprocess.run([os.path.join(P, "sbin", "safemail"), "--stats"],
                    env={"PATH": "/usr/bin:/bin"}, capture_output=True)
t.ok(rc.returncode == 0 and
     ["%d" % WEB.pw_uid, "smweb", "user.smweb", "2", "2"] ==
     [l.split()[:5] for l in rc.stdout.decode().splitlines()
      if l.startswith("%d " % WEB.pw_uid)][0],
     "root's --stats: the web user's 2 messages this hour under "
     "user.smweb", rc.stdout)
write_conf(relay.port, PLAIN)

def closed(probe):
    """What smprobe.probe found: nothing for the web user."""
    return (probe["environ"] == "denied" and probe["mem"] == "denied" and
            probe["ptrace"] == "denied" and
            "Operation not permitted" in probe["gdb"])


# ---- the set-ID path ends with its message: nothing of the web user's
# call stays (the gate and the relay client that stayed are gone, issue
# 27); the relay client the submission service keeps runs as the
# safemail user, below the service, closed to the web user, reachable
# only through the service (a socketpair: no name in the spool)
RUN = os.path.join(SPOOL, "run")
st_run = os.stat(RUN)
t.ok(st_run.st_uid == 0 and st_run.st_gid == GID and
     (st_run.st_mode & 0o7777) == 0o770,
     "make install: <spool>/run is root:safemail 0770", oct(st_run.st_mode))
write_conf(relay.port, PLAIN + "\nlinger = 30")
rc, out, err = as_web([SENDMAIL, "-t", "-i"], MSG)
time.sleep(0.3)
t.ok(rc == 0 and lingering(WEB.pw_uid) is None and
     lingering(WEB.pw_uid, b"safemail-gate\0serve") is None,
     "the set-ID path: no gate or relay client of the web user stays "
     "after its message", (rc, err))
SUBMIT = os.path.join(P, "var", "run", "safemail", "submit")
os.makedirs(os.path.dirname(SUBMIT), exist_ok=True)
os.chown(os.path.dirname(SUBMIT), QUEUE_UID, GID)
os.chmod(os.path.dirname(SUBMIT), 0o755)
svc = subprocess.Popen(["setpriv", "--reuid=%d" % QUEUE_UID,
                        "--regid=%d" % GID, "--clear-groups", GATE,
                        "listen"], env={"PATH": "/usr/bin:/bin"},
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
atexit.register(lambda: svc.poll() is None and svc.terminate())
for _ in range(200):
    if os.path.exists(SUBMIT):
        break
    time.sleep(0.025)
sent_before = len(relay.transactions)
rc, out, err = as_web([SENDMAIL, "-t", "-i"], MSG)
time.sleep(0.3)


def kept_client():
    """The relay client this service keeps (its child)."""
    return smprobe.wait_child(svc.pid, "safemail-relay", lambda: True,
                              timeout=5)


kpid = kept_client()
t.ok(rc == 0 and err == b"" and len(relay.transactions) == sent_before + 1
     and kpid is not None,
     "through the service: sent, and its relay client stays below it, as "
     "the safemail user", (rc, err, kpid))
if kpid:
    t.ok(smprobe.uids(kpid) == [QUEUE_UID] * 4,
         "the kept relay client runs as the safemail user, not the web "
         "user", smprobe.uids(kpid))
    t.ok(closed(smprobe.probe(kpid, WEB)),
         "it is closed to the web user: no environ, no mem, no ptrace, no "
         "gdb")
    t.ok(not [n for n in os.listdir(RUN) if n.startswith("relay.")],
         "it has no name in <spool>/run: only the service reaches it",
         os.listdir(RUN))
    rc, out, err = as_web([SENDMAIL, "-t", "-i"], MSG)
    rc2 = subprocess.run([SENDMAIL, "-t", "-i"], input=MSG,
                         env={"PATH": "/usr/bin:/bin"},
                         capture_output=True).returncode
    t.ok(rc == 0 and rc2 == 0 and
         len(relay.transactions) == sent_before + 3 and
         kept_client() == kpid,
         "the web user's next message and root's: the same kept client",
         (rc, err, rc2))
else:
    for _ in range(4):
        t.ok(False, "no kept relay client to probe")
svc.terminate()
svc.wait(timeout=10)

abstract = smprobe.abstract_owned()
t.ok(abstract == [], "no process of safemail has an abstract socket name "
     "(which /proc/net/unix shows to every user)", abstract)

write_conf(relay.port, PLAIN)

# ======== 1. the password cannot be obtained ========
rc, out, err = as_web(["cat", CONF])
t.ok(rc != 0 and not leaked(out), "the configuration is unreadable to "
     "the web user (root:safemail 0640)", (rc, err))

before_logs = len(LOGS)
OPTION_TRIES = [
    ["-C" + CONF, "-t", "-i"], ["-C", CONF, "-bv", "a@example.org"],
    ["-X", W + "/transcript", "-t", "-i"], ["-d", "-t"], ["-d0-99.127"],
    ["-bP", "password"], ["-bP", "all"], ["-bt"], ["-O", "LogLevel=99"],
    ["-oL99", "-t"], ["-v", "-t", "-i"], ["-bv", "-v", "a@example.org"],
    ["-bs"], ["-bd"], ["-bD"], ["-bh"], ["-be", "$smtp_password"],
    ["-q", "-v"], ["-bp"], ["-D", W + "/debug", "-t"],
]
worst = None
for args in OPTION_TRIES:
    rc, out, err = as_web([SENDMAIL] + args,
                          b"EHLO x\r\nQUIT\r\n" if args == ["-bs"] else MSG)
    form = leaked(out, err)
    if form:
        worst = (args, form, out, err)
rc, out, err = as_web([SBIN, "--check"])
check_ok = rc != 0 or b"not shown" in out
form = leaked(out, err)
t.ok(worst is None and form is None and check_ok,
     "no option shows the password (-C, -X, -d, -bP, -bt, -O, -v, -bs, "
     "-be, -q -v, -D, --check): not on stdout or stderr", worst or (out, err))
if own_devlog:
    t.ok(any("refused: uid=%d user=smweb" % WEB.pw_uid in line and "-X" in line
             for line in LOGS[before_logs:]),
         "each refusal is logged to syslog with the web user's uid",
         LOGS[before_logs:][:5])
    t.ok(not leaked("\n".join(LOGS[before_logs:])),
         "nor is the password in the log lines they wrote",
         LOGS[before_logs:][-5:])
else:
    for _ in range(2):
        print("ok %d - # SKIP a syslog daemon owns /dev/log" % (t.n + 1))
        t.n += 1
t.ok(not os.path.exists(W + "/transcript") and
     not os.path.exists(W + "/debug"), "-X and -D wrote no file")

# The environment: the set-ID gate takes no override; libcurl never
# sees SSLKEYLOGFILE or a proxy; the dynamic loader ignores LD_*.
evil = os.path.join(W, "evil.ini")
with open(evil, "w") as f:
    f.write("[mail]\ndefault_sender = evil@evil.example\n")
os.chmod(evil, 0o644)
rc, out, err = as_web([SENDMAIL, "-bv", "a@example.org"],
                      env={"SAFEMAIL_CONFIG": evil})
t.ok(rc == 0 and b"shop@store.example.com" in out and b"evil" not in out,
     "SAFEMAIL_CONFIG: the set-ID gate reads the installed file", (out, err))
fake = os.path.join(W, "libexec")
os.mkdir(fake)
shutil.copy(GATE, os.path.join(fake, "safemail-gate"))
shutil.copy(RELAYBIN, os.path.join(fake, "safemail-relay"))
for name in ("safemail-gate", "safemail-relay"):
    os.chmod(os.path.join(fake, name), 0o755)
rc, out, err = as_web([SENDMAIL, "-t", "-i"], MSG,
                      env={"SAFEMAIL_LIBEXEC": fake})
t.ok(rc == 78 and not leaked(out, err) and b"cannot open" in err,
     "SAFEMAIL_LIBEXEC: a copy of the back end without the group cannot "
     "read the file (78)", (rc, err))
tls_relay = smtprelay.Relay(tls="starttls", cert=ca.good,
                            auth=(USER, SECRET))
write_conf(tls_relay.port, "ssl = tls\ntls_ca_file = %s" % ca.ca)
keys = os.path.join(W, "keys.log")
proxy = socket.socket()
proxy.bind(("127.0.0.1", 0))
proxy.listen(5)
proxy.settimeout(0.5)
rc, out, err = as_web([SENDMAIL, "-t", "-i"], MSG, env={
    "SSLKEYLOGFILE": keys, "all_proxy": "socks5h://127.0.0.1:%d" %
    proxy.getsockname()[1], "ALL_PROXY": "socks5h://127.0.0.1:%d" %
    proxy.getsockname()[1], "http_proxy": "http://127.0.0.1:%d" %
    proxy.getsockname()[1]})
try:
    proxy.accept()
    proxied = True
except OSError:
    proxied = False
t.ok(rc == 0 and len(tls_relay.transactions) == 1,
     "a STARTTLS delivery with SSLKEYLOGFILE and all_proxy set goes "
     "straight to the relay", (rc, err))
t.ok(not os.path.exists(keys) and not proxied,
     "no TLS key log written, no proxy contacted", (os.path.exists(keys),
                                                      proxied))
write_conf(relay.port, PLAIN)

# LD_PRELOAD: a library that, loaded into a process, copies what it can
# read of the configuration into a file. The front end (not set-ID) loads
# it; it reads nothing. The set-ID gate and the relay never load it.
marks = os.path.join(W, "marks")
os.mkdir(marks)
os.chown(marks, WEB.pw_uid, WEB.pw_gid)
so_src = os.path.join(P, "grab.c")
with open(so_src, "w") as f:
    f.write(r'''
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void grab(void)
{
	char path[512], buf[8192];
	snprintf(path, sizeof(path), "%s/mark.%d", MARKS, (int)getpid());
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		return;
	dprintf(out, "egid=%d\n", (int)getegid());
	int in = open(CONF, O_RDONLY);
	ssize_t n = in >= 0 ? read(in, buf, sizeof(buf)) : -1;
	if (n > 0)
		(void)write(out, buf, (size_t)n);
	close(out);
}
''')
so = os.path.join(P, "grab.so")
subprocess.run(["cc", "-shared", "-fPIC", "-o", so, so_src,
                '-DMARKS="%s"' % marks, '-DCONF="%s"' % CONF], check=True)
os.chmod(so, 0o755)
preload = ["env", "LD_PRELOAD=" + so, "LD_AUDIT=" + so,
           "LD_LIBRARY_PATH=" + W]
as_web(preload + ["/bin/true"])
control = len(os.listdir(marks))
rc, out, err = as_web(preload + [SENDMAIL, "-t", "-i"], MSG)
found = []
for name in os.listdir(marks):
    with open(os.path.join(marks, name), "rb") as f:
        found.append(f.read())
t.ok(control >= 1 and rc == 0, "control: the library loads into the web "
     "user's own dynamic programs; and with it set, the message still goes",
     (control, rc, err))
t.ok(all(b"egid=%d\n" % GID not in m for m in found) and
     not leaked(*found),
     "no process with the group loaded it; nothing read the password",
     found)

# /proc, ptrace, gdb, core: a delivery held at DATA by the relay, the
# relay process (the gate after exec) inspected by the web user.
stall = smtprelay.Relay(auth=(USER, SECRET), auth_require_tls=False,
                        script={"DATA": "354-then-stall"})
write_conf(stall.port, PLAIN)
# Core dumps go to one absolute place for this part (restored at exit), so
# that a dump would be found whatever the process's directory.
cores_dir = os.path.join(P, "cores")
os.mkdir(cores_dir)
os.chmod(cores_dir, 0o1777)
pattern_file = "/proc/sys/kernel/core_pattern"
try:
    with open(pattern_file) as f:
        old_pattern = f.read().rstrip("\n")
    with open(pattern_file, "w") as f:
        f.write(os.path.join(cores_dir, "core.%e.%p"))
    atexit.register(lambda: open(pattern_file, "w").write(old_pattern))
    own_pattern = True
except OSError:
    own_pattern = False
# Control: a plain process of the web user, core size unlimited, dumps.
ctl = as_web(["sh", "-c", "ulimit -c unlimited; exec sleep 30"], wait=False)
time.sleep(0.3)
os.kill(ctl.pid, signal.SIGSEGV)
ctl.wait()
time.sleep(0.3)
control_cores = os.listdir(cores_dir)
p = as_web(["sh", "-c", "ulimit -c unlimited; exec \"$0\" -t -i",
            SENDMAIL], wait=False)
p.stdin.write(MSG)
p.stdin.close()
pid = smprobe.wait_descendant(p.pid, "safemail-relay", lambda: b"DATA" in
                              stall.wire())
t.ok(pid is not None, "the relay process found while it waits at DATA")
# The probe itself works: a plain process of the web user is open to it.
control = as_web(["sleep", "30"], wait=False)
time.sleep(0.2)
cprobe = smprobe.probe(control.pid, WEB)
control.kill()
control.wait()
t.ok(cprobe["environ"] == "readable" and cprobe["ptrace"] == "attached",
     "control: the same probe reads and attaches to the web user's own "
     "plain process", cprobe)
if pid:
    probe = smprobe.probe(pid, WEB)
    t.ok(probe["environ"] == "denied" and probe["mem"] == "denied",
         "its /proc/PID/environ and mem are unreadable to the web user",
         probe)
    t.ok(probe["ptrace"] == "denied",
         "ptrace(PTRACE_ATTACH) by the web user fails", probe)
    t.ok("Operation not permitted" in probe["gdb"] and
         "password" not in probe["gdb"].lower(),
         "gdb -p as the web user fails", probe["gdb"][-300:])
    t.ok(probe["core_limit"] == "0", "its core size limit is 0",
         probe["core_limit"])
    os.kill(pid, 0)
    subprocess.run(["setpriv", "--reuid=%d" % WEB.pw_uid,
                    "--regid=%d" % WEB.pw_gid, "--clear-groups", "kill",
                    "-SEGV", str(pid)])
    p.wait(timeout=20)
    time.sleep(0.3)
    cores = [c for c in os.listdir(cores_dir) if c not in control_cores]
    cores += [c for c in ("/core", os.path.join(W, "core"))
              if os.path.exists(c)]
    t.ok(own_pattern and control_cores,
         "control: with core_pattern set to a test directory, a plain "
         "process of the web user does dump core", (own_pattern,
                                                    control_cores))
    t.ok(p.returncode != 0 and not cores,
         "the relay client killed with SIGSEGV by the web user (core size "
         "unlimited by the caller): no core dump anywhere",
         (p.returncode, cores))
else:
    p.kill()
    p.wait()
stall.stop()
write_conf(relay.port, PLAIN)

# The gate, while it serves a -bs session, is just as closed.
p = as_web([SENDMAIL, "-bs"], wait=False)
p.stdout.readline()  # the greeting: the gate has sent the policy
pid = smprobe.wait_child(p.pid, "safemail-gate", lambda: True)
if t.ok(pid is not None, "the gate found during a -bs session"):
    probe = smprobe.probe(pid, WEB)
    t.ok(closed(probe),
         "the gate: no environ, no mem, no ptrace, no gdb for the web user",
         probe)
p.stdin.write(b"QUIT\r\n")
p.stdin.close()
p.wait(timeout=20)

# Past the front end: the web user talks to the set-ID gate itself. A
# well-formed request goes (the client works); forged ones do not.
sent = len(relay.transactions)
direct = smprobe.talk_to_gate(GATE, WEB, [
    ["control", "", True],
    ["forged sender", "sender=evil@evil.example", True],
    ["another uid", "uid=0", True],
    ["unsealed message", "", False],
], SECRET)
res = direct["results"]
t.ok(direct.get("policy_has_secret") is False,
     "the gate's policy for the front end holds no password",
     direct.get("policy_head"))
t.ok(res.get("control", [None])[0] == 0 and
     len(relay.transactions) == sent + 1,
     "talking to the gate directly: a request the front end would make "
     "is delivered", res)
for name in ("forged sender", "another uid", "unsealed message"):
    t.ok(res.get(name, [None])[0] not in (0, None),
         "talking to the gate directly, %s: refused" % name, res.get(name))
t.ok(len(relay.transactions) == sent + 1,
     "none of the forged ones reached the relay", relay.transactions[sent:])

# The gate holds a request it did not get from the front end to what the
# front end promises (src/lib/gatecheck.h): each of these is refused with
# nothing on the wire and a log line, whatever the client wrote.
HOST = socket.gethostname()


def traced(rest, uid=None):
    return ("Received: by %s (safemail, from userid %d)\r\n%s"
            % (HOST, WEB.pw_uid if uid is None else uid, rest))


write_conf(relay.port, PLAIN,
           mail_extra="max_recipients = 2\nmax_message_size = 4000")
BODY = "From: x@example.org\r\nSubject: hostile\r\n\r\n"
HOSTILE = [
    ["bare CR dot", traced(BODY + "a\r.\r\nMAIL FROM:<e@evil.example>\r\n")],
    ["bare LF", traced(BODY + "a\n.\nb\r\n")],
    ["NUL", traced(BODY + "a\0b\r\n")],
    ["5000-octet line", traced(BODY + "x" * 5000 + "\r\n")],
    ["no trace field", BODY + "body\r\n"],
    ["trace of another uid", traced(BODY + "body\r\n", uid=0)],
    ["a second trace of this host",
     traced("Received: by %s (safemail, from userid 0)\r\n%sbody\r\n"
            % (HOST, BODY))],
    ["header without end", traced("From: x@example.org\r\n")],
    ["no final CRLF", traced(BODY + "body")],
    ["over max_message_size", traced(BODY + ("y" * 70 + "\r\n") * 60)],
]
sent = len(relay.transactions)
before_logs = len(LOGS)
cases = [[name, "", True, msg] for name, msg in HOSTILE]
cases.append(["3 recipients, max_recipients 2", "", True, None, 3])
cases.append(["queued, 50 recipients", "request=Qx-", True, None, 50])
hostile = smprobe.talk_to_gate(GATE, WEB, cases, SECRET)["results"]
for name, _msg in HOSTILE:
    t.ok(hostile.get(name, [None])[0] == 65,
         "talking to the gate directly, %s: refused (65)" % name,
         hostile.get(name))
for name in ("3 recipients, max_recipients 2", "queued, 50 recipients"):
    t.ok(hostile.get(name, [None])[0] == 64,
         "talking to the gate directly, %s: refused (64)" % name,
         hostile.get(name))
time.sleep(0.5)
refusals = [ln for ln in LOGS[before_logs:] if "uid=%d" % WEB.pw_uid in ln]
t.ok(len(relay.transactions) == sent and
     not [n for n in os.listdir(os.path.join(SPOOL, "q"))
          if n.endswith(".env")],
     "none reached the relay or the queue", relay.transactions[sent:])
if own_devlog:
    t.ok(len(refusals) >= len(cases) and
         any("recipients, more than max_recipients (2)" in ln
             for ln in refusals) and
         any("larger than max_message_size" in ln for ln in refusals) and
         any("trace" in ln for ln in refusals),
         "each refusal logged, the line naming the fault",
         LOGS[before_logs:][:12])
write_conf(relay.port, PLAIN)

# Bookkeeping is the back end's: a queued request that claims to be from
# 2100, held, retried 99 times, is queued as new, and the queue run sends
# it now. The web user may not start that run; root may.
q = os.path.join(SPOOL, "q")
before = set(os.listdir(q))
far = 4102444800
queued = smprobe.talk_to_gate(GATE, WEB, [[
    "claims 2100", "request=Qx-;created=%d;next=%d;attempts=99;flags=held"
    % (far, far), True, traced(BODY.replace("hostile", "bookkeeping") +
                               "body\r\n")]], SECRET)["results"]
new = sorted(set(os.listdir(q)) - before)
env_text = ""
for n in new:
    if n.endswith(".env"):
        with open(os.path.join(q, n)) as f:
            env_text = f.read()
fields = dict(ln.split(" ", 1) for ln in env_text.splitlines() if " " in ln)
now = time.time()
t.ok(queued.get("claims 2100", [None])[0] == 0 and
     abs(int(fields.get("created", far)) - now) < 60 and
     int(fields.get("next", far)) <= now + 1 and
     fields.get("attempts") == "0" and "held" not in env_text,
     "a queued request's created, next, attempts and held are the gate's, "
     "not the client's", (queued, env_text))
sent = len(relay.transactions)
before_logs = len(LOGS)
for argv in ([SENDMAIL, "-q"], [SBIN, "--flush"], [SBIN, "--run-queue"],
             [GATE, "queue"],
             [GATE, "check"], [GATE, "one", "0123456789AB"]):
    rc, out, err = as_web(argv)
    t.ok(rc == 77 and b"queue runs are for root" in err,
         "the web user starting a queue run (%s): refused (77)"
         % " ".join(os.path.basename(a) for a in argv), (rc, err))
time.sleep(0.5)
t.ok(sorted(set(os.listdir(q)) - before) == new and
     len(relay.transactions) == sent and
     not os.listdir(os.path.join(SPOOL, "corrupt")) and
     (not own_devlog or any("queue runs are for root" in ln
                            for ln in LOGS[before_logs:])),
     "after the web user's runs the message is still queued, nothing "
     "moved aside, nothing sent; the refusal logged",
     (os.listdir(q), os.listdir(os.path.join(SPOOL, "corrupt"))))
qrun = subprocess.run([SENDMAIL, "-q"], stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, env={"PATH": "/usr/bin:/bin"},
                      timeout=60)
t.ok(qrun.returncode == 0 and len(relay.transactions) == sent + 1 and
     b"Subject: bookkeeping" in relay.wire() and
     not [n for n in os.listdir(q) if n in new],
     "root's queue run sends it at once", (qrun, os.listdir(q)))

# A root queue run is not blocked by the attacker's processes: the web
# user stops everything it runs in the middle of a message (its front end,
# gate and relay client, with the relay's reply to RCPT stalled) and a
# `safemail-gate queue -v` whose stderr is a pipe nobody reads; root's run
# still delivers root's and another user's queued mail, and ends.
def queued_now():
    return sorted(n for n in os.listdir(q) if n.endswith(".env"))


def web_pids():
    return [p for p in smprobe._pids() if p != os.getpid() and
            (smprobe.uids(p) or [None])[0] == WEB.pw_uid]


sent = len(relay.transactions)
root_q = subprocess.run([SENDMAIL, "-odq", "-t", "-i"],
                        input=MSG.replace(b"Subject: hi", b"Subject: root-q"),
                        env={"PATH": "/usr/bin:/bin"}, capture_output=True)
web_q = as_web([SENDMAIL, "-odq", "-t", "-i"],
               MSG.replace(b"Subject: hi", b"Subject: web-q"))
relay.script["RCPT:stall@"] = "stall"
stalled = as_web([SENDMAIL, "-i", "stall@example.org"], wait=False)
stalled.stdin.write(MSG)
stalled.stdin.close()
deadline = time.time() + 20
while time.time() < deadline and b"RCPT TO:<stall@" not in relay.wire():
    time.sleep(0.02)
# its stderr: a pipe already full, never read (a run that writes to it
# blocks, holding whatever it holds)
full_r, full_w = os.pipe()
os.set_blocking(full_w, False)
try:
    while True:
        os.write(full_w, b"x" * 4096)
except BlockingIOError:
    pass
os.set_blocking(full_w, True)
blocked = subprocess.Popen(
    ["setpriv", "--reuid=%d" % WEB.pw_uid, "--regid=%d" % WEB.pw_gid,
     "--clear-groups", GATE, "queue", "-v"], stdin=subprocess.DEVNULL,
    stdout=subprocess.DEVNULL, stderr=full_w, cwd=W,
    env={"PATH": "/usr/bin:/bin", "HOME": HOME})
os.close(full_w)
time.sleep(0.5)
stopped = web_pids()
for p in stopped:
    try:
        os.kill(p, signal.SIGSTOP)
    except ProcessLookupError:
        pass
t0 = time.time()
qrun = subprocess.run([SENDMAIL, "-q"], stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, env={"PATH": "/usr/bin:/bin"},
                      timeout=120)
took = time.time() - t0
wire = relay.wire()
t.ok(root_q.returncode == 0 and web_q[0] == 0 and
     b"RCPT TO:<stall@" in wire and len(stopped) >= 3 and
     qrun.returncode == 0 and b"Subject: root-q" in wire and
     b"Subject: web-q" in wire and len(relay.transactions) >= sent + 2 and
     queued_now() == [],
     "with the web user's processes stopped mid-message (and its blocked "
     "queue -v), root's queue run delivers root's and the web user's "
     "queued mail and ends (%.1f s)" % took,
     (root_q.returncode, web_q[0], len(stopped), qrun, queued_now()))
drained = []
drain_t = threading.Thread(target=lambda: drained.append(
    b"".join(iter(lambda: os.read(full_r, 65536), b""))), daemon=True)
drain_t.start()
if blocked.pid in stopped:
    os.kill(blocked.pid, signal.SIGCONT)
try:
    blocked.wait(timeout=30)
except subprocess.TimeoutExpired:
    blocked.kill()
    blocked.wait()
for p in stopped:
    try:
        os.kill(p, signal.SIGKILL)
        os.kill(p, signal.SIGCONT)
    except ProcessLookupError:
        pass
stalled.wait(timeout=30)
t.ok(blocked.returncode == 77,
     "and the web user's queue -v was refused (77)", blocked.returncode)
del relay.script["RCPT:stall@"]

# Quotas: one user's share of the queue, and the free-space reserve, so
# that a compromised site cannot fill the spool for everyone (75, logged;
# the caller still has the message). Root's share is its own.
def queued_names():
    return sorted(n for n in os.listdir(q) if n.endswith(".env"))


write_conf(relay.port, PLAIN + "\n[queue]\nmax_queued_messages = 2")
sent = len(relay.transactions)
before_logs = len(LOGS)
first = [as_web([SENDMAIL, "-odq", "-t", "-i"], MSG)[0] for _ in range(2)]
rc, out, err = as_web([SENDMAIL, "-odq", "-t", "-i"], MSG)
t.ok(first == [0, 0] and rc == 75 and b"max_queued_messages 2" in err and
     len(queued_names()) == 2,
     "the web user's third queued message past max_queued_messages = 2: "
     "75, naming the limit", (first, rc, err, queued_names()))
dead = smtprelay.closed_port()
write_conf(dead, PLAIN + "\n[queue]\nmax_queued_messages = 2")
rc, out, err = as_web([SENDMAIL, "-t", "-i"], MSG)
t.ok(rc == 75 and b"max_queued_messages" in err and
     len(queued_names()) == 2,
     "a synchronous send while the relay is away, past the quota: 75, "
     "not queued", (rc, err))
root_rc = subprocess.run([SENDMAIL, "-odq", "-t", "-i"], input=MSG,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={"PATH": "/usr/bin:/bin"}, timeout=60)
t.ok(root_rc.returncode == 0 and len(queued_names()) == 3,
     "root's mail is still queued: the web user filled only its own share",
     root_rc)
write_conf(relay.port, PLAIN + "\n[queue]\nmin_free_space = %d"
           % (1 << 50))
rc, out, err = as_web([SENDMAIL, "-odq", "-t", "-i"], MSG)
t.ok(rc == 75 and b"min_free_space" in err and len(queued_names()) == 3,
     "a reserve larger than the spool's file system: 75, not queued",
     (rc, err))
if own_devlog:
    deadline = time.time() + 3  # the drain is a thread of its own
    while time.time() < deadline and not any(
            "min_free_space" in ln for ln in LOGS[before_logs:]):
        time.sleep(0.05)
    t.ok(sum("max_queued_messages" in ln for ln in LOGS[before_logs:]) >= 2
         and any("min_free_space" in ln for ln in LOGS[before_logs:]),
         "each quota refusal is logged", LOGS[before_logs:][-6:])
write_conf(relay.port, PLAIN)
qrun = subprocess.run([SENDMAIL, "-q"], stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, env={"PATH": "/usr/bin:/bin"},
                      timeout=60)
t.ok(qrun.returncode == 0 and len(relay.transactions) == sent + 3 and
     queued_names() == [] and not os.listdir(os.path.join(SPOOL, "corrupt")),
     "and every queued message, the web user's and root's, is delivered "
     "by the next run", (qrun, relay.transactions[sent:], queued_names()))

# ======== 2. no caller-named file is created, appended to or read ========
group_secret = os.path.join(P, "group-secret")
with open(group_secret, "w") as f:
    f.write("[mail]\ndefault_sender = GROUPSECRET@evil.example\n")
os.chown(group_secret, 0, GID)
os.chmod(group_secret, 0o640)
existing = os.path.join(W, "existing.log")
with open(existing, "w") as f:
    f.write("untouched\n")
os.chown(existing, WEB.pw_uid, WEB.pw_gid)
NAMED = [
    ["-X", W + "/n-x.log", "-t", "-i"], ["-X" + existing, "-t", "-i"],
    ["-oQ" + W + "/n-q", "-t", "-i"], ["-OQueueDirectory=" + W + "/n-q2",
                                       "-t"],
    ["-D", W + "/n-d.log", "-t"], ["-oA" + W + "/n-aliases", "-bi"],
    ["-C" + group_secret, "-t"], ["-C", group_secret, "-bv", "a@x.org"],
    ["-oA" + group_secret, "-bv", "a@example.org"],
    ["-L", W + "/n-l", "-t", "-i"], ["-R", W + "/n-r", "-t", "-i"],
    ["-ODeadLetterDrop=" + W + "/n-dead", "-t"],
    ["-OStatusFile=" + existing, "-t"], ["-oP", W + "/n-pid", "-t"],
    ["-bs", "-OHelpFile=" + group_secret],
]
seen = []
for args in NAMED:
    rc, out, err = as_web([SENDMAIL] + args, MSG)
    seen.append(out + err)
for env in ({"SAFEMAIL_CONFIG": group_secret},
            {"SAFEMAIL_SPOOL": W + "/n-spool"},
            {"SAFEMAIL_QUEUE_USER": "root"}):
    rc, out, err = as_web([SENDMAIL, "-t", "-i"], MSG, env=env)
    seen.append(out + err)
    rc, out, err = as_web([SENDMAIL, "-q"], env=env)
    seen.append(out + err)
left = sorted(n for n in os.listdir(W) if n.startswith("n-"))
with open(existing) as f:
    untouched = f.read() == "untouched\n"
t.ok(left == [] and untouched, "no option or variable created a file it "
     "named, or wrote to one", (left, untouched))
wire = relay.wire()
t.ok(b"GROUPSECRET" not in wire and
     not any(b"GROUPSECRET" in s for s in seen) and
     "GROUPSECRET" not in "\n".join(LOGS),
     "nor read a file it named (a root:safemail 0640 file through -C, -oA, "
     "-OHelpFile, SAFEMAIL_CONFIG)")

# Planted links in the spool (only root could plant them: the web user
# cannot even look inside) are moved to corrupt/, never followed.
q = os.path.join(SPOOL, "q")
victim = os.path.join(P, "victim")
with open(victim, "w") as f:
    f.write("victim\n")
os.chmod(victim, 0o644)
t.ok(os.stat(q).st_gid == GID and (os.stat(q).st_mode & 0o7777) == 0o770,
     "make install made q/ root:safemail 0770", oct(os.stat(q).st_mode))
os.symlink(victim, os.path.join(q, "AAAAAAAAAAAA.env"))
os.symlink(victim, os.path.join(q, "AAAAAAAAAAAA.msg"))
os.link(victim, os.path.join(q, "BBBBBBBBBBBB.env"))
with open(os.path.join(q, "BBBBBBBBBBBB.msg"), "w") as f:
    f.write("x")
os.chown(os.path.join(q, "BBBBBBBBBBBB.msg"), 0, GID)
qrun = subprocess.run(
    [SENDMAIL, "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    env={"PATH": "/usr/bin:/bin"}, timeout=60)
with open(victim) as f:
    intact = f.read() == "victim\n"
t.ok(intact and os.stat(victim).st_nlink == 2 and
     not any(n.startswith(("AAAA", "BBBB")) for n in os.listdir(q)),
     "planted symbolic and hard links: taken out of the queue, the target "
     "neither written nor followed", (os.listdir(q), qrun))
corrupt = os.path.join(SPOOL, "corrupt")
t.ok([n for n in os.listdir(corrupt) if n.startswith("AAAAAAAAAAAA.env") and
      os.path.islink(os.path.join(corrupt, n))],
     "the symlink itself is in corrupt/",
     os.listdir(os.path.join(SPOOL, "corrupt")))

# Hostile limits fail closed: with a tiny RLIMIT_FSIZE a write fails (no
# SIGXFSZ halfway through a file), the caller hears it, nothing is kept.
write_conf(relay.port, PLAIN)
q_before = sorted(os.listdir(q))
rc, out, err = as_web(["prlimit", "--fsize=64:64", "--", SENDMAIL, "-odq",
                       "-t", "-i"], MSG + b"x" * 4000 + b"\n")
t.ok(rc not in (0, None) and rc > 0 and len(err.splitlines()) == 1 and
     sorted(os.listdir(q)) == q_before and
     os.listdir(os.path.join(SPOOL, "tmp")) == [],
     "a 64-byte RLIMIT_FSIZE: a clean failure (%s), nothing half-written in "
     "the spool" % rc, (rc, err))

# A queue run started by root runs as the safemail user.
rc, out, err = as_web([SENDMAIL, "-odq", "-t", "-i"], MSG)
hold = smtprelay.Relay(auth=(USER, SECRET), auth_require_tls=False,
                       script={"DATA": "354-then-stall"})
write_conf(hold.port, PLAIN)
runner = subprocess.Popen([SENDMAIL, "-q"], env={"PATH": "/usr/bin:/bin"},
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
pid = smprobe.wait_descendant(runner.pid, "safemail-relay",
                              lambda: b"DATA" in hold.wire())
uids = smprobe.uids(pid) if pid else None
runner.wait(timeout=60)
t.ok(rc == 0 and uids is not None and set(uids) == {QUEUE_UID},
     "sendmail -q run by root: the queue runner is the safemail user "
     "(uid %d), never root" % QUEUE_UID, (rc, uids))
hold.stop()
write_conf(relay.port, PLAIN)
for name in os.listdir(q):
    os.unlink(os.path.join(q, name))

# ======== 3. the corpus through PHP mail(), as the web user ========
shared = smtest.shared_dir()
rows = []
if shared:
    import csv
    with open(os.path.join(shared, "corpus", "payloads.tsv"),
              newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t",
                                          quoting=csv.QUOTE_NONE)
                if r["kind"] == "argv"]
made_www = []
for d in ("/var/www", "/var/www/html", "/var/www/cache"):
    if not os.path.exists(d):
        os.mkdir(d)
        made_www.append(d)
        os.chown(d, WEB.pw_uid, WEB.pw_gid)


def owned_files():
    """Every file the web user owns on this file system, but the spool."""
    found = set()
    for top in ("/tmp", "/var/tmp", "/dev/shm", "/var/www", HOME, W, "/run",
                "/var/lib/php"):
        for root, dirs, files in os.walk(top):
            # the spool, the build, and another run of this test
            if (root.startswith(SPOOL) or root.startswith(build) or
                    (root.startswith("/var/tmp/safemail-installed-") and
                     not root.startswith(P))):
                dirs[:] = []
                continue
            for name in dirs + files:
                path = os.path.join(root, name)
                try:
                    if os.lstat(path).st_uid == WEB.pw_uid:
                        found.add(path)
                except OSError:
                    pass
    return found


phpini = os.path.join(P, "php.ini")
with open(phpini, "w") as f:
    f.write("sendmail_path = ${SM_SENDMAIL_PATH}\n")
os.chmod(phpini, 0o644)
before = owned_files()
ran = 0
for row in rows:
    args = smtest.unescape(row["value"]).split(b"\0")
    cmd = b" ".join(shlex.quote(x.decode("utf-8", "surrogateescape"))
                    .encode("utf-8", "surrogateescape")
                    for x in [SENDMAIL.encode()] + args)
    rc, out, err = as_web(
        ["php", "-c", phpini, "-r",
         'var_dump(mail("a@example.org", "row", "body\\n"));'],
        env={"SM_SENDMAIL_PATH": cmd, "PHP_INI_SCAN_DIR": ""})
    ran += b"bool(" in out
time.sleep(1)  # the background attempts of -odb rows
after = owned_files()
t.ok(rows == [] or ran == len(rows),
     "every argv row (%d) ran through PHP mail() as the web user" %
     len(rows), ran)
t.ok(after == before, "and left no file anywhere it could write",
     sorted(after - before)[:10])
for d in reversed(made_www):
    shutil.rmtree(d, ignore_errors=True)

relay.stop()
tls_relay.stop()
t.done()
