"""container - safemail in real containers with podman (issue 28).

Builds a Debian 12 base from Debian's packages (mmdebstrap, podman
import: no image registry), the sidecar image from
contrib/container/Containerfile and the PHP app image from
contrib/compose/app, then runs the two services of
contrib/compose/compose.yaml as that file says (images, commands, users,
read-only roots, security options, capabilities, volumes, the secret):
the test reads the file, so a change to the example changes what runs
here. Added for the test only: host names of their own (app, mailer),
the sidecar on the host's network (the scripted relay listens on
127.0.0.1), the app on none.

Shown: PHP's mail() in the app container reaches the relay (bytes and
envelope) with the app's uid in the trace field; nothing on the
caller's stderr; the app container has no configuration and cannot find
the secret anywhere; [limits] count the app's uid; a message queued while
the relay is down is delivered by a new sidecar container on the same
spool volume (the queue run at start); the sidecar's per-message log
lines are in podman logs; the app runs with NoNewPrivs 1; without the
socket the front end exits 75 with one line naming it. Then
contrib/kubernetes/shop.yaml's pod the same way (its init containers, the
native sidecar, the app; the volumes as the kubelet makes them): PHP's
mail() reaches the relay there too.

Podman needs, on these machines: runc and cgroupfs (crun refuses the
hybrid cgroup layout) and no default ulimits (root lacks
CAP_SYS_RESOURCE). A machine where podman cannot run a container skips
this test (tests/integ/container_ns.py runs the scenario in namespaces)."""
# debian: podman runc mmdebstrap catatonit python3-yaml python3-aiosmtpd
import atexit
import os
import re
import shutil
import subprocess
import tempfile
import time

import smtest
import smtprelay

t = smtest.Tap()
if os.geteuid() != 0:
    t.skip_all("needs root (rootful podman)")
for tool in ("podman", "runc", "mmdebstrap"):
    if shutil.which(tool) is None:
        t.skip_all("%s is missing (scripts/deps.sh installs it)" % tool)
try:
    import yaml
except ImportError:
    t.skip_all("python3-yaml is missing (scripts/deps.sh installs it)")

TOP = os.path.abspath(smtest.TOP_SRCDIR)
COMPOSE = os.path.join(TOP, "contrib", "compose", "compose.yaml")
BASE = "localhost/safemail-test-bookworm:minbase"
SIDECAR = "localhost/safemail-test-sidecar:latest"
APP = "localhost/safemail-test-app:latest"
# compose.yaml's image names, and the images built here for them
IMAGES = {"safemail": SIDECAR, "safemail-php-app": APP}
SECRET = "Pw-container-9kQ!never-in-the-app"
USER = "smrelayuser"
TAG = "smtest%d" % os.getpid()  # containers and volumes of this run
WORK = tempfile.mkdtemp(prefix="safemail-container-", dir="/var/tmp")
atexit.register(shutil.rmtree, WORK, True)
CONF = os.path.join(WORK, "containers.conf")
with open(CONF, "w") as f:
    f.write("[containers]\ndefault_ulimits = []\n")
ENV = dict(os.environ, CONTAINERS_CONF=CONF)
for k in list(ENV):
    if k.startswith(("ASAN", "UBSAN", "LSAN", "SAFEMAIL")):
        del ENV[k]
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
started = time.monotonic()


def podman(*args, stdin=b"", timeout=600, check=False):
    p = subprocess.run(PODMAN + list(args), input=stdin, env=ENV,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    if check and p.returncode != 0:
        t.ok(False, "podman %s" % " ".join(args[:3]),
             p.stderr.decode(errors="replace")[-3000:])
        t.done()
    return p


def text(b):
    return b.decode(errors="replace")


# ---- can podman run here at all? ----
def base_image():
    """Debian 12 minbase from Debian's packages, imported; kept between
    runs on this machine (the sources are not in it)."""
    if podman("image", "exists", BASE).returncode == 0:
        return True
    tar = os.path.join(WORK, "rootfs.tar")
    p = subprocess.run(["mmdebstrap", "--variant=minbase", "--quiet",
                        "bookworm", tar], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=900)
    if p.returncode != 0:
        t.skip_all("mmdebstrap cannot make a Debian 12 root: %s"
                   % text(p.stderr).strip().splitlines()[-1:])
    p = podman("import", tar, BASE)
    os.unlink(tar)
    return p.returncode == 0


if not base_image():
    t.skip_all("podman cannot import an image here")
probe = podman("run", "--rm", "--security-opt", "no-new-privileges", BASE,
               "grep", "NoNewPrivs", "/proc/self/status", timeout=120)
if probe.returncode != 0:
    t.skip_all("podman cannot run a container here: %s"
               % (text(probe.stderr).strip().splitlines() or ["?"])[-1])
t.ok(b"NoNewPrivs:\t1" in probe.stdout,
     "podman runs a container here (runc, cgroupfs, no default ulimits)",
     probe)

# ---- the images ----
b = podman("build", "--network", "host", "-f",
           os.path.join(TOP, "contrib", "container", "Containerfile"),
           "--build-arg", "BASE=" + BASE, "-t", SIDECAR, TOP, timeout=1800)
t.ok(b.returncode == 0, "the sidecar image builds from contrib/container/"
     "Containerfile on the imported Debian 12 base",
     text(b.stdout + b.stderr)[-3000:])
b2 = podman("build", "--network", "host", "--build-arg", "BASE=" + BASE,
            "--build-arg", "SAFEMAIL_IMAGE=" + SIDECAR, "-t", APP,
            os.path.join(TOP, "contrib", "compose", "app"), timeout=1800)
t.ok(b2.returncode == 0, "the app image (php-cli, COPY --from= the static "
     "front end) builds from contrib/compose/app",
     text(b2.stdout + b2.stderr)[-3000:])
if b.returncode != 0 or b2.returncode != 0:
    t.done()
print("# images built in %.0f s" % (time.monotonic() - started))

cfg = podman("image", "inspect", "--format",
             "{{.Config.User}} {{.Config.Entrypoint}} {{.Config.Cmd}} "
             "{{.Config.Volumes}}", SIDECAR, check=True)
t.ok(text(cfg.stdout).split() ==
     ["safemail:safemail", "[/usr/libexec/safemail/safemail-gate]",
      "[listen", "-q", "1m", "/run/safemail/submit]",
      "map[/var/spool/safemail:{}]"],
     "the sidecar runs as safemail: safemail-gate listen -q 1m "
     "/run/safemail/submit, the spool a volume", cfg.stdout)

# ---- the relay, the configuration (the secret) ----
relay = smtprelay.Relay(auth=(USER, SECRET), auth_require_tls=False)
LIMIT = 4
SECRET_DIR = os.path.join(WORK, "secret")
os.mkdir(SECRET_DIR, 0o755)
INI = os.path.join(SECRET_DIR, "safemail.ini")
# retry 1s: a queued message is due when the next sidecar starts (its
# queue run at the start sends what is due)
with open(INI, "w") as f:
    f.write("[mail]\ndomain = store.example.com\n"
            "default_sender = shop@store.example.com\nreturn_path = no\n"
            "[smtp]\nhost = 127.0.0.1\nport = %d\nconnect_timeout = 5\n"
            "command_timeout = 3\nauth = plain\nusername = %s\n"
            "password = %s\nallow_plaintext_auth = yes\nlinger = 0\n"
            "[queue]\nretry = 1s\n"
            "[limits]\nuid.1000 = %d/hour, defer\n"
            % (relay.port, USER, SECRET, LIMIT))
# what compose.yaml says the host's file must be: root:990, 0640
os.chown(INI, 0, 990)
os.chmod(INI, 0o640)

# ---- compose.yaml, run by podman ----
with open(COMPOSE) as f:
    compose = yaml.safe_load(f)
services = compose["services"]
VOLUMES = {name: "%s-%s" % (TAG, name) for name in compose["volumes"]}
SECRETS = {name: INI for name in compose["secrets"]}
# what the test adds: a host name of each one's own, the networks
EXTRA = {"safemail": ["--hostname", "mailer", "--network", "host"],
         "app": ["--hostname", "app", "--network", "none"]}
NOT_RUN_KEYS = {"build", "depends_on", "restart", "image"}


def run_args(name, volumes=True, command=None):
    """podman run's arguments for compose.yaml's service name (without
    its volumes; another command)."""
    s = services[name]
    args = EXTRA[name][:]
    unknown = set(s) - NOT_RUN_KEYS - {
        "user", "read_only", "init", "security_opt", "cap_drop",
        "volumes", "secrets", "command", "entrypoint"}
    if unknown:
        t.ok(False, "compose.yaml's %s: keys this test does not run: %s"
             % (name, sorted(unknown)))
        t.done()
    if "user" in s:
        args += ["--user", str(s["user"])]
    if s.get("read_only"):
        args.append("--read-only")
    if s.get("init"):
        args.append("--init")
    for opt in s.get("security_opt", []):
        args += ["--security-opt", opt]
    for cap in s.get("cap_drop", []):
        args += ["--cap-drop", cap]
    for v in s.get("volumes", []) if volumes else []:
        src, dst = v.split(":", 1)
        args += ["-v", "%s:%s" % (VOLUMES[src], dst)]
    for sec in s.get("secrets", []):
        args += ["-v", "%s:%s:ro" % (SECRETS[sec["source"]], sec["target"])]
    if "entrypoint" in s:
        args += ["--entrypoint", s["entrypoint"]]
    args.append(IMAGES[s["image"]])
    cmd = command if command is not None else s.get("command", [])
    args += cmd.split() if isinstance(cmd, str) else list(cmd)
    return args


def cleanup():
    for name in services:
        podman("rm", "-f", "-v", "-t", "0", "%s-%s" % (TAG, name))
    for vol in VOLUMES.values():
        podman("volume", "rm", "-f", vol)


atexit.register(cleanup)
for vol in VOLUMES.values():
    podman("volume", "create", vol, check=True)


def volume_path(name):
    p = podman("volume", "inspect", "--format", "{{.Mountpoint}}",
               VOLUMES[name], check=True)
    return text(p.stdout).strip()


SOCKET = os.path.join(volume_path("safemail-run"), "submit")


def inode(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def start_sidecar():
    """The sidecar, once its socket is there (a new one: a socket left by
    the one before is stale)."""
    old = inode(SOCKET)
    p = podman("run", "-d", "--name", "%s-safemail" % TAG,
               *run_args("safemail"))
    for _ in range(1200):  # 30 s: a busy machine (make -j check)
        if inode(SOCKET) not in (None, old) or p.returncode != 0:
            break
        time.sleep(0.025)
    return p


def sidecar_logs():
    p = podman("logs", "%s-safemail" % TAG)
    return text(p.stdout + p.stderr)


s = start_sidecar()
t.ok(s.returncode == 0 and inode(SOCKET) is not None,
     "the sidecar listens on /run/safemail/submit in the shared volume",
     (s, sidecar_logs()))
a = podman("run", "-d", "--name", "%s-app" % TAG, *run_args("app"))
t.ok(a.returncode == 0, "the app container runs (php -S, user 1000, "
     "read-only root, no-new-privileges, all capabilities dropped)", a)
APPC = "%s-app" % TAG


def in_app(*argv, stdin=b"", user=None):
    extra = ["--user", user] if user else []
    return podman("exec", "-i", *extra, APPC, *argv, stdin=stdin,
                  timeout=120)


SENT = []  # when each message of uid 1000 was taken


def php_mail(to, subject):
    p = in_app("php", "/app/mail.php", to, subject)
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


p = in_app("grep", "NoNewPrivs", "/proc/self/status")
t.ok(p.returncode == 0 and b"NoNewPrivs:\t1" in p.stdout,
     "in the app container: NoNewPrivs 1", p)
p = in_app("id", "-u")
t.ok(text(p.stdout).strip() == "1000", "and the app's uid is 1000", p)

# ---- PHP's mail() reaches the relay ----
n0 = len(relay.transactions)
p = php_mail("customer@example.org", "Your order 1")
got = wait_for(lambda: len(relay.transactions) > n0)
tx = relay.transactions[n0] if got else None
t.ok(p.returncode == 0 and p.stdout == b"sent\n" and tx is not None,
     "PHP's mail() in the app container: sent, and the relay has it",
     (p, sidecar_logs()))
t.ok(p.stderr == b"", "nothing on the caller's stderr", p.stderr)
if tx is None:
    t.done()
t.ok(tx.mail_from == "shop@store.example.com" and
     tx.rcpt_tos == ["customer@example.org"],
     "the envelope: the configured sender, the recipient mail() named", tx)
t.ok(b"Subject: Your order 1\r\n" in tx.data and
     b"\r\n\r\nThank you for your order.\r\n" in tx.data and
     b"from userid 1000)" in tx.data,
     "the bytes: PHP's message, and a trace field with the app's uid 1000 "
     "(SO_PEERCRED across the two containers)", tx.data[:600])
TRACE = re.search(r"\sid ([0-9A-F]+);", text(tx.data)).group(1)


def log_of(trace):
    """The service's lines for the message whose trace field has id
    trace: the line that names it gives the service's queue id."""
    lines = sidecar_logs().splitlines()
    qids = [line.split(": ", 2)[1] for line in lines
            if "trace id %s " % trace in line and ": " in line]
    return [line for line in lines for q in qids if " %s: " % q in line]


t.ok(wait_for(lambda: any("uid=1000" in line and "status=sent" in line
                          for line in log_of(TRACE)), 10),
     "the sidecar's log line for it (uid=1000, status=sent) is in podman "
     "logs", sidecar_logs())

# ---- the secret stays in the sidecar ----
p = in_app("cat", "/etc/safemail.ini")
t.ok(p.returncode != 0, "the app container has no /etc/safemail.ini", p)
GREP = ["grep", "-rlF", "-D", "skip", SECRET]
p = in_app(*GREP, "/", "--exclude-dir=proc", "--exclude-dir=sys",
           "--exclude-dir=dev")
t.ok(p.returncode in (1, 2) and p.stdout == b"",
     "the relay's password is in no file the app's user can read", p)
m = podman("mount", APPC)
root = text(m.stdout).strip()
p = subprocess.run(GREP + [root], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE) if m.returncode == 0 else m
podman("unmount", APPC)
t.ok(p.returncode == 1 and p.stdout == b"",
     "nor in any file of the app container's root (looked for from the "
     "host)", p)
p = in_app("sh", "-c", "ls -A /run/safemail; ls /var/spool/safemail")
t.ok(text(p.stdout).split() == ["submit"],
     "its shared directory holds the socket only; no spool", p)
p = in_app("sh", "-c", "cat /proc/[0-9]*/comm")
t.ok(p.returncode == 0 and b"php" in p.stdout and
     b"safemail-gate" not in p.stdout and b"safemail-relay" not in p.stdout,
     "nor any process of the sidecar (a pid namespace of its own)", p)
p = podman("exec", "%s-safemail" % TAG, "cat", "/etc/safemail.ini")
t.ok(p.returncode == 0 and SECRET.encode() in p.stdout,
     "(the sidecar reads it: root:990 0640, mounted read-only)", p.stderr)

# ---- a message queued while the relay is down, sent by a new sidecar ----
relay.script["greeting"] = "421 4.3.2 down for maintenance"
n1 = len(relay.transactions)
p = php_mail("later@example.org", "Queued while the relay is down")
t.ok(p.returncode == 0 and p.stdout == b"sent\n" and
     len(relay.transactions) == n1,
     "relay down: mail() still succeeds, the message is queued", p)
p = podman("exec", "%s-safemail" % TAG, "mailq")
t.ok(b"later@example.org" in p.stdout, "mailq in the sidecar shows it", p)
time.sleep(1.5)  # retry = 1s: due by the time the next sidecar starts
podman("rm", "-f", "-v", "-t", "10", "%s-safemail" % TAG)
del relay.script["greeting"]
s = start_sidecar()
t.ok(s.returncode == 0 and wait_for(lambda: any(
    x.rcpt_tos == ["later@example.org"] for x in relay.transactions[n1:]),
    30),
     "a new sidecar container on the same spool volume sends it at start "
     "(the queue run of -q)", (s, sidecar_logs()))

# ---- [limits] count the app's uid ----
# every message of uid 1000 so far was counted in the hour it was sent:
# those of this clock hour count against the limit
if time.time() % 3600 > 3600 - 20:  # the rest within one clock hour
    time.sleep(3600 - time.time() % 3600 + 1)
hour = int(time.time() // 3600)
before = sum(1 for at in SENT if int(at // 3600) == hour)
n2 = len(relay.transactions)
rcs = [php_mail("limit%d@example.org" % i, "limit %d" % i)
       for i in range(LIMIT - before + 1)]
last = rcs[-1]
t.ok(all(r.returncode == 0 for r in rcs[:-1]) and
     last.returncode == 1 and b"uid.1000" in last.stderr and
     len(relay.transactions) == n2 + len(rcs) - 1,
     "[limits] uid.1000 = %d/hour: the app's message over it is refused "
     "(one line naming the rule), the %d before it sent" % (LIMIT, LIMIT),
     ([(r.returncode, r.stdout, r.stderr) for r in rcs], before))

# ---- without the socket: 75 and one line ----
p = podman("run", "--rm", "-i",
           *run_args("app", volumes=False,
                     command=["/usr/sbin/sendmail", "-t", "-i"]),
           stdin=b"To: a@example.org\nSubject: x\n\nbody\n", timeout=120)
lines = text(p.stderr).strip().splitlines()
t.ok(p.returncode == 75 and len(lines) == 1 and
     "/run/safemail/submit" in lines[0],
     "an app container without the socket: exit 75, one line naming "
     "/run/safemail/submit", p)

# ---- contrib/kubernetes/shop.yaml's pod, run by podman ----
# Its containers with their commands, users, fsGroup, mounts and security
# context, the volumes made as the kubelet makes them: an emptyDir 2777
# root:fsGroup, the Secret's file (subPath) root:fsGroup with defaultMode.
with open(os.path.join(TOP, "contrib", "kubernetes", "shop.yaml")) as f:
    pod = [d for d in yaml.safe_load_all(f)
           if d and d["kind"] == "Deployment"][0]["spec"]["template"]["spec"]
FSGROUP = pod["securityContext"]["fsGroup"]
KUBE_IMAGES = {services[n]["image"]: IMAGES[services[n]["image"]]
               for n in services}
VOLDIR = os.path.join(WORK, "pod")
os.mkdir(VOLDIR)
volumes = {}
for v in pod["volumes"]:
    d = os.path.join(VOLDIR, v["name"])
    os.mkdir(d)
    if "emptyDir" in v:
        os.chown(d, 0, FSGROUP)
        os.chmod(d, 0o2777)
    elif "secret" in v:
        shutil.copy(INI, os.path.join(d, "safemail.ini"))
        os.chown(os.path.join(d, "safemail.ini"), 0, FSGROUP)
        os.chmod(os.path.join(d, "safemail.ini"), v["secret"]["defaultMode"])
    volumes[v["name"]] = d


def pod_args(c, hostname):
    sc = c["securityContext"]
    args = ["--hostname", hostname, "--user",
            "%d:%d" % (sc["runAsUser"], sc["runAsGroup"]),
            "--group-add", str(FSGROUP)]
    if sc.get("readOnlyRootFilesystem"):
        args.append("--read-only")
    if sc.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    for cap in sc["capabilities"]["drop"]:
        args += ["--cap-drop", cap]
    for m in c.get("volumeMounts", []):
        src = os.path.join(volumes[m["name"]], m.get("subPath", ""))
        args += ["-v", "%s:%s%s" % (src.rstrip("/"), m["mountPath"],
                                    ":ro" if m.get("readOnly") else "")]
    if "command" in c:
        args += ["--entrypoint", c["command"][0]]
    args.append(KUBE_IMAGES[c["image"]])
    args += c.get("command", [])[1:] + c.get("args", [])
    return args


podman("rm", "-f", "-v", "-t", "0", "%s-safemail" % TAG, APPC)
KSOCK = os.path.join(volumes["safemail-run"], "submit")
ok = True
for c in pod["initContainers"]:
    if c.get("restartPolicy") == "Always":  # a native sidecar
        p = podman("run", "-d", "--name", "%s-safemail" % TAG, "--network",
                   "host", *pod_args(c, "shop-mailer"))
        ok = ok and p.returncode == 0 and wait_for(
            lambda: os.path.exists(KSOCK), 30)
    else:
        p = podman("run", "--rm", "--network", "none",
                   *pod_args(c, "shop-init"))
        ok = ok and p.returncode == 0
    if not ok:
        break
t.ok(ok, "shop.yaml's init containers: the spool made in the emptyDir, "
     "the sidecar listening in the shared emptyDir", (p, sidecar_logs()))
app_c = pod["containers"][0]
p = podman("run", "-d", "--name", APPC, "--network", "none",
           *pod_args(app_c, "shop-app"))
n3 = len(relay.transactions)
m = php_mail("k8s@example.org", "From the pod")
t.ok(p.returncode == 0 and m.returncode == 0 and wait_for(
    lambda: any(x.rcpt_tos == ["k8s@example.org"]
                for x in relay.transactions[n3:])),
     "shop.yaml's app container: PHP's mail() reaches the relay through "
     "the sidecar (Secret root:%d 0%o, spool and socket in emptyDirs)"
     % (FSGROUP, [v["secret"]["defaultMode"] for v in pod["volumes"]
                  if "secret" in v][0]),
     (p, m, sidecar_logs()))

print("# container.py took %.0f s" % (time.monotonic() - started))
t.done()
