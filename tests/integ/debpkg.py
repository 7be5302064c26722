"""debpkg - the Debian package on this machine (issue 18, point 2), run by
scripts/check after the suite (it replaces the test Postfix as the MTA,
then puts Postfix back): apt installs the .deb quietly, as a Dockerfile
does, with only the relay preseeded, and PHP's mail() as www-data then
sends as www-data at /etc/mailname's domain, or at the host's FQDN when
/etc/mailname names no domain (issue 30, point 8); with debconf answers
preseeded and a reinstall, the installed sendmail, as root and as an unprivileged user,
delivers to the test relay through the packaged programs with their
packaged modes; the queue timer is enabled; a reinstall and an upgrade
keep an edited configuration and an admin's dpkg-statoverride; remove
keeps the configuration; purge removes it and the overrides, keeps the
user, and keeps the spool while it holds mail (saying so), removes it
when empty.
The submission service (issue 27, point 6): the package enables
safemail.socket; where systemd runs the gate is installed without its
set-ID bit (0755), or 2755 with the debconf choice safemail/setid_fallback,
and an admin's override of the gate stays; where it does not (this
machine), 2755 as before. The packaged service, started as its units
say (systemd-socket-activate on the socket's path, as the safemail user,
under no_new_privs), takes an unprivileged caller's message under
no_new_privs while no program is set-ID. The postinst's test for systemd is the
standard one, /run/systemd/system being a directory: this machine runs
no systemd, so the test makes that directory for the installs that need
it and removes it after (systemctl then fails, and the maintainer
scripts ignore that, as on any host where systemd is not reachable).
An upgrade from the previous release, 0.1.0, where systemd runs and with
a message queued: the gate's 0.1.0 override (2755, ours) becomes 0755, an
admin's stays, and a queue run after the upgrade delivers the message.
Usage: debpkg.py PACKAGE.deb [PREVIOUS.deb]"""
# debian: build-essential debhelper lintian po-debconf init-system-helpers php-cli systemd
import contextlib
import grp
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

import smtest
import smtprelay

t = smtest.Tap()
if os.geteuid() != 0:
    t.skip_all("needs root: it installs the package")
DEB = os.path.abspath(sys.argv[1])
PREVIOUS = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
GATE = "/usr/libexec/safemail/safemail-gate"
RELAY = "/usr/libexec/safemail/safemail-relay"
CONF = "/etc/safemail.ini"
SPOOL = "/var/spool/safemail"
MSG = b"To: a@example.org\nSubject: from the package\n\nbody\n"
MAILNAME = "/etc/mailname"
HOSTS = "/etc/hosts"
SYSTEMD = "/run/systemd/system"
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
       "DEBIAN_FRONTEND": "noninteractive"}
relay = smtprelay.Relay()


def installed():
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Status}\n"],
                         capture_output=True, text=True).stdout
    return {ln.split()[0] for ln in out.splitlines()
            if ln.endswith(" installed")}


# what apt takes away with the MTA (Postfix; bsd-mailx, which needs an
# MTA, when safemail is purged) comes back at the end
before = installed()


def sh(*argv, stdin=b""):
    p = subprocess.run(list(argv), input=stdin, capture_output=True, env=ENV,
                       timeout=600)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


def apt(*args):
    return sh("apt-get", "-y", "-q", "--no-install-recommends",
              "-o", "Dpkg::Options::=--force-confold", *args)


def mode(path):
    st = os.stat(path)
    return (pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name,
            oct(st.st_mode & 0o7777))


def send(as_user=None, args=("-t", "-i"), stdin=MSG):
    argv = ["/usr/sbin/sendmail"] + list(args)
    if as_user:
        argv = ["setpriv", "--reuid=%d" % as_user, "--regid=%d" % as_user,
                "--clear-groups"] + argv
    return sh(*argv, stdin=stdin)


def read_or_none(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def put(path, text):
    """Write path in place (its inode and mode kept), or remove it."""
    if text is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    with open(path, "w") as f:
        f.write(text)


# /etc/mailname and /etc/hosts as they were, put back at the end (and
# as soon as the checks that change them are done)
saved = {p: read_or_none(p) for p in (MAILNAME, HOSTS)}


def restore_files():
    for path, text in saved.items():
        if read_or_none(path) != text:
            put(path, text)


def php_mail_as(user):
    """PHP's mail() run as user, as a web shop calls it: no -f, no From:
    (the envelope sender is the policy's to choose)."""
    pw = pwd.getpwnam(user)
    return sh("setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
              "--clear-groups", "php", "-r",
              'exit(mail("a@example.org", "quiet install", "body") '
              '? 0 : 1);')


@contextlib.contextmanager
def systemd_running():
    """The postinst's sign that systemd runs, for the installs inside."""
    made = not os.path.isdir(SYSTEMD)
    if made:
        os.mkdir(SYSTEMD, 0o755)
    try:
        yield
    finally:
        if made:
            os.rmdir(SYSTEMD)


def set_id_files():
    """The package's files with a set-ID bit, as installed."""
    out = sh("dpkg-query", "-L", "safemail")[1].split()
    return [p for p in out if os.path.isfile(p) and not os.path.islink(p)
            and os.stat(p).st_mode & 0o6000]


@contextlib.contextmanager
def service():
    """The packaged service as safemail.socket and safemail.service start
    it, as far as this machine can without systemd: the socket's path,
    its modes, the gate's listen mode as safemail:safemail under
    no_new_privs, the listening socket passed by LISTEN_FDS."""
    sock = parse_unit("/lib/systemd/system/safemail.socket")
    unit = parse_unit("/lib/systemd/system/safemail.service")
    path = sock["ListenSequentialPacket"]
    made = not os.path.isdir(os.path.dirname(path))
    if made:
        os.mkdir(os.path.dirname(path), int(sock["DirectoryMode"], 8))
    p = subprocess.Popen(
        ["systemd-socket-activate", "--seqpacket", "-l", path, "setpriv",
         "--reuid=" + unit["User"], "--regid=" + unit["Group"],
         "--clear-groups", "--no-new-privs"] + unit["ExecStart"].split(),
        env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 10
        while not os.path.exists(path) and time.monotonic() < end:
            time.sleep(0.05)
        os.chmod(path, int(sock["SocketMode"], 8))
        yield path
    finally:
        p.terminate()
        p.wait(timeout=70)
        if os.path.exists(path):
            os.unlink(path)
        if made:
            os.rmdir(os.path.dirname(path))


def parse_unit(path):
    """A unit's settings, the last value of each key."""
    keys = {}
    for line in open(path):
        key, eq, value = line.strip().partition("=")
        if eq and not key.startswith("#"):
            keys[key] = value
    return keys


def gate_override():
    return sh("dpkg-statoverride", "--list", GATE)[1].split()[:3]


def preseed(text):
    sh("debconf-set-selections", stdin=text.encode())


def preseed_relay():
    preseed("safemail safemail/relay_host string 127.0.0.1\n"
            "safemail safemail/relay_port string %d\n" % relay.port)


def wait_sent(n, timeout=10):
    end = time.monotonic() + timeout
    while len(relay.transactions) < n and time.monotonic() < end:
        time.sleep(0.1)
    return len(relay.transactions) >= n


# A quiet install: no answer but the relay's address (the one thing a
# Dockerfile or a playbook must tell it); any answer left from an earlier
# run is forgotten first.
sh("debconf-communicate", "safemail", stdin=b"PURGE\n")
preseed_relay()

try:
    # ---- install: it takes the MTA's place
    put(MAILNAME, "quiet.example\n")
    rc, out, err = apt("install", DEB)
    t.ok(rc == 0 and os.path.realpath("/usr/sbin/sendmail") ==
         "/usr/sbin/safemail" and
         os.path.realpath("/usr/lib/sendmail") == "/usr/sbin/safemail" and
         os.path.realpath("/usr/bin/mailq") == "/usr/sbin/safemail" and
         os.path.realpath("/usr/bin/newaliases") == "/usr/sbin/safemail",
         "apt installs the package: sendmail, /usr/lib/sendmail, mailq and "
         "newaliases are safemail's", (rc, err[-800:]))
    postfix_gone = sh("dpkg-query", "-W", "-f=${Status}", "postfix")[1]
    t.ok(not postfix_gone.endswith(" installed"),
         "it replaced the MTA (Postfix, mail-transport-agent, removed)",
         postfix_gone)
    user = sh("getent", "passwd", "safemail")[1]
    t.ok(user and sh("getent", "group", "safemail")[0] == 0,
         "the system user and group safemail exist", user)
    t.ok(mode(GATE) == ("root", "safemail", "0o2755") and
         mode(RELAY) == ("root", "safemail", "0o750") and
         mode(CONF) == ("root", "safemail", "0o640") and
         mode(SPOOL) == ("root", "safemail", "0o771") and
         mode(SPOOL + "/q") == ("root", "safemail", "0o770") and
         mode(SPOOL + "/run") == ("root", "safemail", "0o770") and
         not os.path.exists(SPOOL + "/gate"),
         "modes (no systemd here): gate root:safemail 2755, relay "
         "client 0750, configuration 0640, spool 0771, its areas 0770 "
         "(no gate area: retired with the gates that stayed)",
         [mode(p) for p in (GATE, RELAY, CONF, SPOOL)])
    so = sh("dpkg-statoverride", "--list")[1]
    t.ok(all(p in so for p in (GATE, RELAY, CONF, SPOOL + "/run")) and
         SPOOL + "/gate" not in so,
         "the modes are dpkg-statoverride entries", so)

    # ---- the quiet install sends: [mail] domain is /etc/mailname's
    conf = open(CONF).read()
    t.ok("domain = quiet.example\n" in conf and
         "\ndefault_sender" not in conf,
         "with no sender answered, [mail] domain is /etc/mailname's "
         "(quiet.example) and default_sender is unset", conf)
    n = len(relay.transactions)
    rc, out, err = php_mail_as("www-data")
    t.ok(rc == 0 and wait_sent(n + 1) and
         relay.transactions[n].mail_from == "www-data@quiet.example",
         "PHP's mail() as www-data right after the quiet install: sent, "
         "from www-data@quiet.example",
         (rc, out, err, relay.transactions[n:]))

    # ---- /etc/mailname without a domain (a short host name): the FQDN,
    # the first name of the /etc/hosts line that lists the host
    host = os.uname().nodename
    fqdn = host if "." in host else host + ".fqdn.example"
    try:
        put(MAILNAME, host.split(".")[0] + "\n")
        if fqdn != host:
            put(HOSTS, "127.0.1.1 %s %s\n%s" % (fqdn, host,
                                                 saved[HOSTS] or ""))
        rc, out, err = apt("install", "--reinstall", DEB)
        conf = open(CONF).read()
        n = len(relay.transactions)
        rc2, out2, err2 = php_mail_as("www-data")
    finally:
        restore_files()
    t.ok(rc == 0 and "domain = %s\n" % fqdn in conf,
         "/etc/mailname naming no domain: [mail] domain is the host's FQDN "
         "from /etc/hosts (%s)" % fqdn, (rc, err[-500:], conf))
    t.ok(rc2 == 0 and wait_sent(n + 1) and
         relay.transactions[n].mail_from == "www-data@" + fqdn,
         "and PHP's mail() as www-data sends from www-data@" + fqdn,
         (rc2, out2, err2, relay.transactions[n:]))

    # ---- debconf's answers, preseeded, are written by a reinstall
    sh("debconf-set-selections", stdin=(
        "safemail safemail/ssl select none\n"
        "safemail safemail/default_sender string shop@store.example.com\n"
        ).encode())
    rc, out, err = apt("install", "--reinstall", DEB)
    conf = open(CONF).read()
    t.ok(rc == 0 and "host = 127.0.0.1\n" in conf and
         "port = %d\n" % relay.port in conf and "ssl = none\n" in conf and
         "default_sender = shop@store.example.com\n" in conf and
         "domain = store.example.com\n" in conf,
         "debconf's preseeded answers are in /etc/safemail.ini after a "
         "reinstall", (rc, err[-500:], conf))
    n = len(relay.transactions)
    rc, out, err = send()
    rc2, out2, err2 = send(as_user=65534)
    t.ok(rc == 0 and rc2 == 0 and err == "" and err2 == "" and
         wait_sent(n + 2) and
         relay.transactions[n].mail_from == "shop@store.example.com",
         "the installed sendmail delivers to the relay, for root and for "
         "nobody (through the setgid gate)", (rc, err, rc2, err2))
    # (deb-systemd-helper answers only inside a maintainer script)
    ENV["DPKG_MAINTSCRIPT_PACKAGE"] = "safemail"
    rc, out, err = sh("deb-systemd-helper", "is-enabled",
                      "safemail-queue.timer")
    del ENV["DPKG_MAINTSCRIPT_PACKAGE"]
    t.ok(rc == 0 and os.path.exists(
        "/etc/systemd/system/timers.target.wants/safemail-queue.timer"),
         "the queue timer is enabled", (rc, out, err))
    ENV["DPKG_MAINTSCRIPT_PACKAGE"] = "safemail"
    rc, out, err = sh("deb-systemd-helper", "is-enabled", "safemail.socket")
    del ENV["DPKG_MAINTSCRIPT_PACKAGE"]
    t.ok(rc == 0 and os.path.realpath(
        "/etc/systemd/system/sockets.target.wants/safemail.socket") ==
         os.path.realpath("/lib/systemd/system/safemail.socket") and
         os.path.isfile("/lib/systemd/system/safemail.service"),
         "the submission socket is enabled (sockets.target wants "
         "safemail.socket); safemail.service is installed", (rc, out, err))
    cron = open("/etc/cron.d/safemail").read()
    t.ok("[ ! -d /run/systemd/system ]" in cron and "--run-queue" in cron,
         "the cron.d job runs only where systemd does not", cron)

    # ---- an admin's edit and statoverride survive reinstall and upgrade
    with open(CONF) as f:
        edited = f.read().replace("return_path = no",
                                  "return_path = yes\n; the admin's edit")
    with open(CONF, "w") as f:
        f.write(edited)
    sh("dpkg-statoverride", "--remove", RELAY)
    sh("dpkg-statoverride", "--update", "--add", "root", "safemail", "0710",
       RELAY)
    rc, out, err = apt("install", "--reinstall", DEB)
    t.ok(rc == 0 and open(CONF).read() == edited and
         mode(RELAY) == ("root", "safemail", "0o710"),
         "reinstall: the edited configuration and the admin's 0710 for the "
         "relay client are kept", (rc, mode(RELAY), err[-500:]))
    work = tempfile.mkdtemp(prefix="safemail-deb-")
    sh("dpkg-deb", "-R", DEB, work + "/pkg")
    control = open(work + "/pkg/DEBIAN/control").read()
    with open(work + "/pkg/DEBIAN/control", "w") as f:
        f.write(control.replace("Version: ", "Version: 99:", 1))
    newer = work + "/safemail_upgrade.deb"
    sh("dpkg-deb", "-b", work + "/pkg", newer)
    rc, out, err = apt("install", newer)
    version = sh("dpkg-query", "-W", "-f=${Version}", "safemail")[1]
    t.ok(rc == 0 and version.startswith("99:") and
         open(CONF).read() == edited and
         mode(RELAY) == ("root", "safemail", "0o710") and
         mode(GATE) == ("root", "safemail", "0o2755"),
         "upgrade: the same, and the packaged modes are still applied",
         (rc, version, err[-500:]))
    n = len(relay.transactions)
    rc, out, err = send(as_user=65534)
    t.ok(rc == 0 and wait_sent(n + 1), "and it still sends", (rc, err))

    # ---- where systemd runs: no set-ID program, unless the admin keeps
    # the fallback; an admin's override of the gate stays
    t.ok(not os.path.exists(SYSTEMD),
         "this machine runs no systemd (%s is no directory)" % SYSTEMD)
    with systemd_running():
        rc, out, err = apt("install", "--reinstall", newer)
        setid = set_id_files()
        n = len(relay.transactions)
        rc2, out2, err2 = send()
        rc3, out3, err3 = send(as_user=65534)
    t.ok(rc == 0 and mode(GATE) == ("root", "safemail", "0o755") and
         gate_override()[:2] == ["root", "safemail"] and not setid,
         "where systemd runs: the gate is root:safemail 0755 (our "
         "override switched), none of the package's files is set-ID",
         (rc, mode(GATE), gate_override(), setid, err[-500:]))
    t.ok(rc2 == 0 and wait_sent(n + 1) and rc3 == 75,
         "root still sends; an unprivileged user, with neither the service "
         "(not running here) nor the set-ID gate, gets 75",
         (rc2, err2, rc3, err3))
    # (not nobody: the service refuses the overflow uid, 65534)
    web = pwd.getpwnam("www-data")
    with systemd_running(), service() as path:
        n = len(relay.transactions)
        rc, out, err = sh("setpriv", "--reuid=%d" % web.pw_uid,
                          "--regid=%d" % web.pw_gid, "--clear-groups",
                          "--no-new-privs", "/usr/sbin/sendmail", "-t", "-i",
                          stdin=MSG)
        sent = wait_sent(n + 1)
    t.ok(rc == 0 and sent and path == "/run/safemail/submit" and
         b"from userid %d)" % web.pw_uid in relay.transactions[n].data,
         "with the packaged service listening on /run/safemail/submit (as "
         "its units start it): www-data under no_new_privs sends, no "
         "program set-ID; the trace field carries www-data's uid",
         (rc, err, relay.transactions[n:]))
    preseed("safemail safemail/setid_fallback boolean true\n")
    with systemd_running():
        rc, out, err = apt("install", "--reinstall", newer)
        n = len(relay.transactions)
        rc2, out2, err2 = send(as_user=65534)
    t.ok(rc == 0 and mode(GATE) == ("root", "safemail", "0o2755") and
         rc2 == 0 and wait_sent(n + 1),
         "with safemail/setid_fallback true: the gate stays 2755 and an "
         "unprivileged user sends through it",
         (rc, mode(GATE), rc2, err2, err[-500:]))
    preseed("safemail safemail/setid_fallback boolean false\n")
    with systemd_running():
        rc, out, err = apt("install", "--reinstall", newer)
        gate_then = mode(GATE)
        sh("dpkg-statoverride", "--remove", GATE)
        sh("dpkg-statoverride", "--update", "--add", "root", "safemail",
           "2750", GATE)
        rc2, out2, err2 = apt("install", "--reinstall", newer)
    t.ok(rc == 0 and gate_then == ("root", "safemail", "0o755") and
         rc2 == 0 and mode(GATE) == ("root", "safemail", "0o2750"),
         "the answer back to false: 0755 again; an admin's own override "
         "of the gate (2750) is kept", (rc, gate_then, rc2, mode(GATE)))
    sh("dpkg-statoverride", "--remove", GATE)
    rc, out, err = apt("install", "--reinstall", newer)
    t.ok(rc == 0 and mode(GATE) == ("root", "safemail", "0o2755"),
         "without systemd, once the admin's override is gone: 2755",
         (rc, mode(GATE), err[-300:]))

    # ---- remove, then purge
    rc, out, err = apt("remove", "safemail")
    t.ok(rc == 0 and not os.path.exists("/usr/sbin/safemail") and
         os.path.exists(CONF) and
         sh("getent", "passwd", "safemail")[0] == 0 and
         RELAY in sh("dpkg-statoverride", "--list")[1],
         "remove: the programs go; the configuration, the overrides and "
         "the user stay", (rc, err[-300:]))
    rc, out, err = apt("install", newer)
    rc2, out2, err2 = send(args=("-odq", "a@example.org"))
    held = os.listdir(SPOOL + "/q")
    rc3, out3, err3 = apt("purge", "safemail")
    so = sh("dpkg-statoverride", "--list")[1]
    t.ok(rc3 == 0 and held and os.listdir(SPOOL + "/q") == held and
         "still holds mail: kept" in out3 + err3 and
         not os.path.exists(CONF) and GATE not in so and RELAY not in so and
         CONF not in so and sh("getent", "passwd", "safemail")[0] == 0,
         "purge with mail queued: the configuration and the overrides go, "
         "the user stays, the spool is kept and purge says so",
         (rc3, held, (out3 + err3)[-600:]))
    shutil.rmtree(SPOOL + "/q")
    rc, out, err = apt("install", newer)
    rc2, out2, err2 = apt("purge", "safemail")
    t.ok(rc == 0 and rc2 == 0 and not os.path.exists(SPOOL) and
         not os.path.exists(CONF) and not os.path.exists("/var/lib/safemail"),
         "purge with an empty spool: the spool goes too (and "
         "/var/lib/safemail)", (rc2, err2[-300:]))

    # ---- the upgrade from 0.1.0, where systemd runs, with mail queued
    if PREVIOUS is None:
        t.ok(False, "the upgrade from 0.1.0: no 0.1.0 package given "
             "(scripts/deb builds it from git)")
    else:
        preseed_relay()
        put(MAILNAME, "quiet.example\n")
        with systemd_running():
            rc, out, err = apt("install", PREVIOUS)
            old = (sh("dpkg-query", "-W", "-f=${Version}", "safemail")[1],
                   mode(GATE))
            n = len(relay.transactions)
            rc2, out2, err2 = send(as_user=65534,
                                   args=("-odq", "a@example.org"))
            held = os.listdir(SPOOL + "/q")
            unsent = n == len(relay.transactions)
            rc3, out3, err3 = apt("install", DEB)
            new = (sh("dpkg-query", "-W", "-f=${Version}", "safemail")[1],
                   mode(GATE))
            still = os.listdir(SPOOL + "/q")
            rc4, out4, err4 = sh("/usr/sbin/sendmail", "-q")
        restore_files()
        t.ok(rc == 0 and old == ("0.1.0", ("root", "safemail", "0o2755")) and
             rc2 == 0 and held and unsent,
             "0.1.0 installed (gate 2755) and a message queued with -odq",
             (rc, old, rc2, err2, held, err[-300:]))
        t.ok(rc3 == 0 and new[0] != "0.1.0" and
             new[1] == ("root", "safemail", "0o755") and
             os.path.isfile("/var/lib/safemail/gate-override") and
             still == held,
             "the upgrade: 0.1.0's override of the gate (2755) becomes "
             "0755, the message is still queued",
             (rc3, new, still, err3[-500:]))
        t.ok(rc4 == 0 and wait_sent(n + 1) and
             relay.transactions[n].mail_from == "nobody@quiet.example" and
             not os.listdir(SPOOL + "/q"),
             "and a queue run after the upgrade delivers it",
             (rc4, err4, relay.transactions[n:]))
        rc, out, err = apt("purge", "safemail")
        preseed_relay()
        rc2, out2, err2 = apt("install", PREVIOUS)
        sh("dpkg-statoverride", "--remove", GATE)
        sh("dpkg-statoverride", "--update", "--add", "root", "safemail",
           "2750", GATE)
        with systemd_running():
            rc3, out3, err3 = apt("install", DEB)
        t.ok(rc == 0 and rc2 == 0 and rc3 == 0 and
             mode(GATE) == ("root", "safemail", "0o2750"),
             "an admin's own override of the gate under 0.1.0 (2750) is "
             "kept by the upgrade", (rc3, mode(GATE), err3[-500:]))
        rc, out, err = apt("purge", "safemail")
        t.ok(rc == 0 and GATE not in sh("dpkg-statoverride", "--list")[1],
             "purged again", err[-300:])
finally:
    restore_files()
    # ---- Postfix (and what went with it) back, for the next run
    gone = sorted(before - installed() - {"safemail"})
    if gone:
        sh("debconf-set-selections", stdin=b"postfix postfix/main_mailer_type "
           b"select No configuration\n")
        rc, out, err = apt("install", *gone)
        t.ok(rc == 0 and not (before - installed() - {"safemail"}),
             "what apt removed with the MTA is put back: %s" % " ".join(gone),
             err[-500:])
    relay.stop()
t.done()
