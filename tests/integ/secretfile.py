"""secretfile - [smtp] password_file: the relay password in a file of its
own (issue 16, secrets outside the INI), so that the INI can be edited and
versioned without it. The file is checked on its open descriptor as the
INI is and never readable by others; its one line may be longer than the
INI's line limit; the secret never appears in any output or log line."""
import os

import smtest
import smtprelay

t = smtest.Tap()
USER = "smuser"
SECRET = "S3cret-" + "x" * 1100  # past the INI's 1024-byte line limit
relay = smtprelay.Relay(auth=(USER, SECRET), auth_require_tls=False,
                        auth_line_limit=8192)
env = smtest.Env()
path = os.path.join(env.dir, "relay.secret")


def conf(extra):
    return smtest.relay_config(relay.port).replace(
        "[smtp]\n", "[smtp]\nauth = plain\nusername = %s\n"
        "allow_plaintext_auth = yes\n%s\n" % (USER, extra))


def secret_file(text, mode=0o640):
    if os.path.lexists(path):
        os.unlink(path)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def shown(r):
    return SECRET in r.out + r.err + r.log_text() or SECRET[:40] in r.err


MSG = b"To: a@example.org\nSubject: secret\n\nbody\n"
env.write_config(conf("password_file = " + path))
secret_file(SECRET + "\n")
r = env.run(["-t", "-i"], stdin=MSG)
t.ok(r.rc == 0 and r.err == "" and len(relay.transactions) == 1 and
     relay.auth_seen and not shown(r),
     "password_file 0640, one line of %d bytes: AUTH accepted, delivered, "
     "the secret in no output or log line" % len(SECRET), r)
secret_file(SECRET + "\r\n")
r = env.run(["-t", "-i"], stdin=MSG)
t.ok(r.rc == 0 and len(relay.transactions) == 2,
     "a CRLF line end is not part of the secret", r)

r = env.run(["--check"], argv0="safemail")
t.ok(r.rc == 0 and "password = ******** (read from password_file" in r.out
     and "password_file = " + path in r.out and not shown(r),
     "--check: names the file, masks the secret, proves AUTH", r)

sent = len(relay.transactions)
for name, text, mode, want in [
        ("readable by others", SECRET, 0o644, "unreadable by others"),
        ("group-writable", SECRET, 0o660, "writable by its owner only"),
        ("empty", "", 0o640, "is empty"),
        ("two lines", SECRET + "\nsecond\n", 0o640, "must hold one line")]:
    secret_file(text, mode)
    r = env.run(["-t", "-i"], stdin=MSG)
    t.ok(r.rc != 0 and want in r.err + r.log_text() and
         len(relay.transactions) == sent and not shown(r),
         "password_file %s: refused (%s), nothing sent, the secret not "
         "shown" % (name, want), r)
secret_file(SECRET)
link = path + ".link"
if os.path.lexists(link):
    os.unlink(link)
os.symlink(path, link)
env.write_config(conf("password_file = " + link))
r = env.run(["-t", "-i"], stdin=MSG)
t.ok(r.rc != 0 and "symbolic link" in r.err + r.log_text() and
     len(relay.transactions) == sent, "a symbolic link: refused", r)
env.write_config(conf("password_file = relay.secret"))
r = env.run(["-bv", "a@example.org"])
t.ok(r.rc == 78 and "password_file: expects an absolute file name" in r.err,
     "a relative name: refused (78)", r)
env.write_config(conf("password = other\npassword_file = " + path))
r = env.run(["-bv", "a@example.org"])
t.ok(r.rc == 78 and "password_file: password is set too" in r.err,
     "password and password_file together: refused (78)", r)
if os.getuid() == 0:
    env.write_config(conf("password_file = " + path))
    secret_file(SECRET)
    os.chown(path, 65534, 65534)
    r = env.run(["-t", "-i"], stdin=MSG)
    t.ok(r.rc != 0 and "must be owned by root" in r.err + r.log_text() and
         len(relay.transactions) == sent,
         "owned by another user: refused", r)
else:
    t.ok(True, "# SKIP ownership needs root")
relay.stop()
t.done()
