"""localname - an address at this machine's own name is a local name
(issue 15, point 2): mutt on a host named web1 without a domain calls
sendmail -- root@web1. In a private mount and UTS namespace (the host is
not touched) the host is named web1 and /etc/hosts gives it the FQDN
web1.shop.example, as Debian's installer writes it; root@web1 and
root@web1.shop.example go to the root alias, other names of this host
are qualified with [mail] domain, and a dotless domain that is not ours
is still refused."""
import os
import shutil
import subprocess

import smtest

t = smtest.Tap()
if os.geteuid() != 0:
    t.skip_all("needs root: a mount and UTS namespace of its own")
if shutil.which("unshare") is None:
    t.skip_all("unshare is missing (util-linux)")

env = smtest.Env()
hosts = os.path.join(env.dir, "hosts")
with open(hosts, "w") as f:
    f.write("127.0.0.1 localhost\n127.0.1.1 web1.shop.example web1\n")
SAFEMAIL = os.path.abspath(smtest.SAFEMAIL)
INSIDE = ('mount --bind "$0" /etc/hosts && hostname web1 && '
          'exec "$@"')


def on_web1(*args):
    return env.run_program(["unshare", "-m", "-u", "sh", "-c", INSIDE, hosts,
                            SAFEMAIL] + list(args))


probe = subprocess.run(["unshare", "-m", "-u", "sh", "-c",
                        INSIDE, hosts, "hostname", "-f"],
                       capture_output=True, text=True)
t.ok(probe.returncode == 0 and probe.stdout.strip() == "web1.shop.example",
     "inside: hostname -f is web1.shop.example", probe)
fqdn = probe.stdout.strip()

r = on_web1("-bv", "--", "root@web1")
t.ok(r.rc == 0 and r.out == smtest.envelope("shop@store.example.com",
                                            "admin@example.com"),
     "root@$(hostname): the root alias", r)
r = on_web1("-bv", "--", "root@" + fqdn, "ROOT@WEB1")
t.ok(r.rc == 0 and r.out == smtest.envelope("shop@store.example.com",
                                            "admin@example.com"),
     "root@$(hostname -f) and ROOT@WEB1: the root alias, once", r)
r = on_web1("-bv", "--", "bob@web1")
t.ok(r.rc == 0 and r.out == smtest.envelope("shop@store.example.com",
                                            "bob@store.example.com"),
     "another name at this host: qualified with [mail] domain", r)
r = on_web1("-bv", "--", "user@otherhost")
t.ok(r.rc == 64 and "without a dot" in r.err and r.out == "",
     "user@otherhost (dotless, not ours): refused (64)", r)
r = on_web1("-bv", "--", "a@shop.example")
t.ok(r.rc == 0 and r.out == smtest.envelope("shop@store.example.com",
                                            "a@shop.example"),
     "the host's parent domain is not this host: sent as it is", r)
r = env.run_program(["unshare", "-m", "-u", "sh", "-c", INSIDE, hosts,
                     SAFEMAIL, "-bv", "-t"],
                    stdin=b"To: root@web1\nSubject: x\n\nbody\n")
t.ok(r.rc == 0 and r.out == smtest.envelope("shop@store.example.com",
                                            "admin@example.com"),
     "-t with To: root@web1: the root alias too", r)
t.done()
