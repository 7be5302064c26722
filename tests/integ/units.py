"""units - the systemd units in contrib/ (issue 27, point 6):
systemd-analyze verify finds nothing to say about any of them (a typo'd
key or value is only a warning to systemd, so any output fails, and a
unit with a typo is checked to produce some); the submission socket and
service say what the service relies on (the socket's path and modes, the
safemail user, the listen mode, the hardening); systemd-analyze security
rates the service's exposure at most what was measured (1.5, "OK"); the
Debian package ships the same files.

These machines do not run systemd as PID 1: verify loads the units from a
copy whose ExecStart= names this build's programs (verify fails when the
program is missing), and security runs with --offline=true."""
# debian: systemd
import os
import re
import shutil
import subprocess
import tempfile

import smtest

t = smtest.Tap()
ANALYZE = shutil.which("systemd-analyze")
if ANALYZE is None:
    t.skip_all("no systemd-analyze (package systemd)")
TOP = os.path.abspath(smtest.TOP_SRCDIR)
CONTRIB = os.path.join(TOP, "contrib")
LIBEXEC = os.environ.get("SAFEMAIL_LIBEXEC", "")
FRONT = os.environ.get("SAFEMAIL", "")
UNITS = ["safemail.socket", "safemail.service", "safemail-queue.service",
         "safemail-queue.timer"]
# the installed programs the units start, and this build's copies
PROGRAMS = {"/usr/libexec/safemail/safemail-gate":
            os.path.join(LIBEXEC, "safemail-gate"),
            "/usr/sbin/safemail": FRONT}
# systemd-analyze security's exposure (x10) for safemail.service as
# measured when the unit was written: a weaker sandbox fails
EXPOSURE_MAX = 15


def parse(text):
    """The unit's settings: {(section, key): [values in order]}."""
    keys, section = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        keys.setdefault((section, key.strip()), []).append(value.strip())
    return keys


def staged(tmp, texts):
    """The units written to tmp with ExecStart= naming this build's
    programs (the arguments kept); their paths."""
    paths = []
    for name, text in texts.items():
        for inst, built in PROGRAMS.items():
            text = re.sub(r"^ExecStart=%s\b" % re.escape(inst),
                          "ExecStart=" + built, text, flags=re.M)
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        paths.append(path)
    return paths


def verify(paths):
    p = subprocess.run([ANALYZE, "verify", "--man=no", "--generators=no"] +
                       paths, capture_output=True, text=True, timeout=120)
    return p.returncode, (p.stdout + p.stderr).strip()


texts = {u: open(os.path.join(CONTRIB, u)).read() for u in UNITS}
units = {u: parse(texts[u]) for u in UNITS}
tmp = tempfile.mkdtemp(prefix="safemail-units-")
try:
    # ---- systemd-analyze verify: clean, and it does see a typo
    t.ok(all(os.access(b, os.X_OK) for b in PROGRAMS.values()),
         "this build's gate and front end exist for ExecStart=",
         PROGRAMS)
    rc, out = verify(staged(tmp, texts))
    t.ok(rc == 0 and out == "",
         "systemd-analyze verify: %s load with no error and no warning"
         % ", ".join(UNITS), (rc, out))
    bad = os.path.join(tmp, "typo")
    os.mkdir(bad)
    rc, out = verify(staged(bad, dict(
        texts, **{"safemail.service": texts["safemail.service"].replace(
            "ProtectHome=yes", "ProtectHom=yes")})))
    t.ok("ProtectHom" in out,
         "and a typo'd key (ProtectHom=) in a copy of the service is "
         "reported (so the check above would fail on one)", (rc, out))

    # ---- the socket
    sock = units["safemail.socket"]
    t.ok(sock.get(("Socket", "ListenSequentialPacket")) ==
         ["/run/safemail/submit"] and
         sock.get(("Socket", "SocketMode")) == ["0666"] and
         sock.get(("Socket", "DirectoryMode")) == ["0755"] and
         sock.get(("Socket", "Accept"), ["no"]) == ["no"] and
         sock.get(("Install", "WantedBy")) == ["sockets.target"],
         "safemail.socket: a seqpacket socket /run/safemail/submit, 0666, "
         "in a 0755 directory, one service for all connections, wanted by "
         "sockets.target", sock)

    # ---- the service: who it runs as, what it runs, its sandbox
    svc = units["safemail.service"]
    t.ok(svc.get(("Service", "User")) == ["safemail"] and
         svc.get(("Service", "Group")) == ["safemail"] and
         svc.get(("Service", "ExecStart")) ==
         ["/usr/libexec/safemail/safemail-gate listen"] and
         svc.get(("Unit", "Requires")) == ["safemail.socket"] and
         ("Install", "WantedBy") not in svc,
         "safemail.service: the gate's listen mode as safemail:safemail, "
         "started only by safemail.socket", svc)
    want = {"NoNewPrivileges": "yes", "CapabilityBoundingSet": "",
            "AmbientCapabilities": "", "ProtectSystem": "strict",
            "ReadWritePaths": "/var/spool/safemail", "ProtectHome": "yes",
            "PrivateTmp": "yes", "PrivateDevices": "yes",
            "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
            "SystemCallFilter": "@system-service",
            "SystemCallArchitectures": "native",
            "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
            "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes",
            "RestrictNamespaces": "yes", "RestrictSUIDSGID": "yes",
            "LockPersonality": "yes", "MemoryDenyWriteExecute": "yes",
            "ProtectProc": "invisible", "ProcSubset": "pid",
            "ProtectClock": "yes", "ProtectHostname": "yes",
            "PrivateIPC": "yes", "PrivateMounts": "yes",
            "RestrictRealtime": "yes", "RemoveIPC": "yes", "UMask": "0077",
            "SystemCallErrorNumber": "EPERM"}
    wrong = {k: svc.get(("Service", k)) for k, v in want.items()
             if svc.get(("Service", k)) != [v]}
    t.ok(not wrong, "safemail.service has the issue's hardening and the "
         "rest that fits: %s" % ", ".join(sorted(want)), wrong)
    t.ok(("Service", "PrivateUsers") not in svc and
         ("Service", "PrivateNetwork") not in svc and
         ("Service", "DynamicUser") not in svc,
         "and not PrivateUsers= (SO_PEERCRED would show callers as the "
         "overflow uid), PrivateNetwork= (the relay), DynamicUser= (the "
         "spool and the configuration belong to the safemail group)", svc)

    # ---- systemd-analyze security
    svc_copy = os.path.join(tmp, "safemail.service")
    p = subprocess.run([ANALYZE, "security", "--offline=true", "--no-pager",
                        "--threshold=%d" % EXPOSURE_MAX, svc_copy],
                       capture_output=True, text=True, timeout=120)
    level = re.search(r"Overall exposure level for safemail.service: "
                      r"(\d+\.\d) (\w+)", p.stdout)
    open_items = [ln.split()[1] for ln in p.stdout.splitlines()
                  if ln.startswith("\u2717")]
    t.ok(p.returncode == 0 and level is not None and
         float(level.group(1)) * 10 <= EXPOSURE_MAX + 0.01,
         "systemd-analyze security --offline: exposure %s, at most %.1f "
         "(open: %s)" % (level.group(1) + " " + level.group(2)
                         if level else "?", EXPOSURE_MAX / 10,
                         " ".join(open_items)),
         (p.returncode, p.stdout[-600:], p.stderr[-600:]))

    # ---- the Debian package ships these very files (not in a dist
    # tarball, which has no debian/)
    debian = os.path.join(TOP, "debian")
    if os.path.isdir(debian):
        shipped = {"safemail.socket": "safemail.socket",
                   "safemail.service": "safemail.service",
                   "safemail-queue.service":
                   "safemail.safemail-queue.service",
                   "safemail-queue.timer": "safemail.safemail-queue.timer"}
        differ = [d for u, d in shipped.items()
                  if not os.path.isfile(os.path.join(debian, d)) or
                  open(os.path.join(debian, d)).read() != texts[u]]
        rules = open(os.path.join(debian, "rules")).read()
        t.ok(not differ and "dh_installsystemd --no-stop-on-upgrade "
             "safemail.socket" in rules,
             "debian/ ships the same units, and dh_installsystemd enables "
             "and starts safemail.socket", differ)
finally:
    shutil.rmtree(tmp)
t.done()
