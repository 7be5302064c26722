"""pfrelay - a private Postfix instance (Debian's postfix package) for the
interop tests: its own configuration directory, queue and log under a
temporary directory, smtpd with STARTTLS on 127.0.0.1 only, and every
message for the test domains appended to one mbox file the test reads.
Needs root (Postfix's master starts as root and drops to 'postfix')."""
# debian: postfix
import mailbox
import os
import pwd
import shutil
import subprocess
import tempfile
import time

MAIN_CF = """compatibility_level = 3.6
queue_directory = %(d)s/queue
data_directory = %(d)s/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = relay.test
mydomain = relay.test
mydestination =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = example.org, example.com, store.example.com
virtual_mailbox_base = %(d)s/mail
virtual_mailbox_maps = static:sink
virtual_uid_maps = static:%(uid)d
virtual_gid_maps = static:%(gid)d
maillog_file_prefixes = %(d)s
maillog_file = %(d)s/maillog
alias_maps =
alias_database =
smtpd_tls_cert_file = %(cert)s
smtpd_tls_key_file = %(key)s
smtpd_tls_security_level = may
smtputf8_enable = yes
biff = no
"""

MASTER_CF = """127.0.0.1:%(port)d inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
virtual   unix - n n - - virtual
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def available():
    """Why Postfix cannot run here, or None."""
    if os.geteuid() != 0:
        return "Postfix's master must start as root"
    if shutil.which("postfix", path="/usr/sbin:/usr/bin") is None:
        return "postfix is not installed"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "no postfix user"
    return None


class Postfix:
    def __init__(self, cert, key, port):
        self.dir = tempfile.mkdtemp(prefix="safemail-postfix-")
        os.chmod(self.dir, 0o755)
        self.port = port
        d = self.dir
        nobody = pwd.getpwnam("nobody")
        for sub in ("etc", "queue", "data", "mail"):
            os.mkdir(os.path.join(d, sub))
        os.chown(os.path.join(d, "data"), pwd.getpwnam("postfix").pw_uid, -1)
        os.chown(os.path.join(d, "mail"), nobody.pw_uid, nobody.pw_gid)
        # smtpd runs as postfix and reads the key after dropping root only
        # for TLS session caches; the key itself is read as root.
        with open(os.path.join(d, "etc", "main.cf"), "w") as f:
            f.write(MAIN_CF % {"d": d, "uid": nobody.pw_uid,
                               "gid": nobody.pw_gid, "cert": cert,
                               "key": key})
        with open(os.path.join(d, "etc", "master.cf"), "w") as f:
            f.write(MASTER_CF % {"port": port})
        self.conf = os.path.join(d, "etc")
        self.sink = os.path.join(d, "mail", "sink")
        self._postfix("check")
        self._postfix("start")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._listening():
                return
            time.sleep(0.1)
        raise RuntimeError("postfix did not start: %s" % self.log())

    def _postfix(self, what):
        subprocess.run(["/usr/sbin/postfix", "-c", self.conf, what],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL, check=False)

    def _listening(self):
        import socket
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", self.port))
            return True
        except OSError:
            return False
        finally:
            s.close()

    def log(self):
        try:
            with open(os.path.join(self.dir, "maillog")) as f:
                return f.read()
        except OSError:
            return ""

    def wait_for(self, token, rcpt=None, timeout=15):
        """The message delivered (to rcpt) whose Subject holds token."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.sink):
                for m in mailbox.mbox(self.sink):
                    if token in str(m.get("Subject", "")) and (
                            rcpt is None or m["Delivered-To"] == rcpt):
                        return m
            time.sleep(0.2)
        return None

    def stop(self):
        self._postfix("stop")
        time.sleep(0.2)
