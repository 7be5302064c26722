"""config - every kind of configuration error through the binary: the
exact "FILE:LINE: key: what is wrong" line and exit 78; the file's owner
and modes checked on the open descriptor; the override refused when set-ID."""
import os
import shutil
import subprocess
import time
import smtest

t = smtest.Tap()
GOOD = smtest.config_text()

CASES = [
    ("unknown section", "[mail]\n[relay]\nhost = x\n",
     "2: [relay]: unknown section (expected [mail], [smtp], [smtp.NAME], "
     "[queue], [relay_by_sender], [limits] or [aliases])"),
    ("unknown key", "[smtp]\nhots = relay.example.net\n",
     "2: hots: unknown key in [smtp]"),
    ("key in the wrong section", "[mail]\nport = 25\n",
     "2: port: unknown key in [mail]"),
    ("duplicate key", "[smtp]\nport = 25\nport = 2525\n",
     "3: port: duplicate key (first set on line 2)"),
    ("over-long line (inih would split it)",
     "[smtp]\npassword = " + "A" * 1100 + "host=evil.example\n",
     "2: password: line longer than 1024 bytes"),
    ("NUL byte", "[smtp]\nhost = relay\0.example.net\n", "2: host: NUL byte"),
    ("stray BOM", "[mail]\n\ufeffdomain = example.com\n",
     "2: domain: byte-order mark inside the file"),
    ("continuation line", "[smtp]\nhost = a.example\n  port = 25\n",
     "3: port: indented line (continuation lines are not supported)"),
    ("bad boolean", "[mail]\nasync = sometimes\n",
     "2: async: expects yes or no"),
    ("bad enum", "[smtp]\nssl = starttls\n",
     "2: ssl: expects none, tls or ssl"),
    ("bad port", "[smtp]\nport = 0x19\n",
     "2: port: expects a port number from 1 to 65535"),
    ("bad address", "[mail]\ndefault_sender = shop@localhost\n",
     "2: default_sender: the address has a domain without a dot"),
    ("bad TLS version", "[smtp]\ntls_min_version = 1.1\n",
     "2: tls_min_version: expects 1.2 or 1.3"),
    ("auth without password", "[smtp]\nauth = plain\nusername = u\n",
     "2: auth: needs username and password (or password_file)"),
    ("not key = value", "[mail]\nthis is not a setting\n",
     "2: expected 'key = value', a [section] or a comment"),
]

env = smtest.Env()
for name, text, want in CASES:
    env.write_config(text.encode("utf-8"))
    r = env.run(["-bv", "a@x.org"])
    line = "safemail: %s:%s\n" % (env.config, want)
    t.ok(r.rc == 78 and r.err == line and r.out == "",
         "%s: exit 78 and the exact line" % name, "want %r\n%r" % (line, r))
    t.ok(any(want in l for l in r.logs), "%s: logged" % name, r)

# A sending invocation starts the relay client early (safemail-gate
# serve -s): a bad file is still reported once, by the gate.
env.write_config("[mail]\nbogus = 1\n")
r = env.run(["a@x.org"], b"Subject: x\n\nx\n")
time.sleep(0.3)  # the relay client, had it spoken, would have by now
t.ok(r.rc == 78 and r.err == "safemail: %s:2: bogus: unknown key in "
     "[mail]\n" % env.config and
     len([l for l in r.logs if "bogus" in l]) == 1,
     "sending with a bad file: exit 78, one line, one log line", r)

env.write_config(GOOD)
r = env.run(["-bv", "a@x.org"])
t.ok(r.rc == 0, "the base configuration is valid", r)

# Modes and ownership, checked with fstat on the open file.
secret = GOOD.replace("[smtp]\n", "[smtp]\nauth = plain\nusername = shop\n"
                      "password = s3cret\nallow_plaintext_auth = yes\n")
env.write_config(secret, 0o604)
r = env.run(["-bv", "a@x.org"])
t.ok(r.rc == 78 and "password: the file is readable by others" in r.err and
     "s3cret" not in r.err + r.out + r.log_text(),
     "a password in a world-readable file: refused, never shown", r)
env.write_config(secret, 0o640)
r = env.run(["-bv", "a@x.org"])
t.ok(r.rc == 0, "the same file at 0640: accepted", r)
env.write_config(GOOD, 0o604)
r = env.run(["-bv", "a@x.org"])
t.ok(r.rc == 0, "world-readable without a password: accepted", r)
env.write_config(GOOD, 0o620)
r = env.run(["-bv", "a@x.org"])
t.ok(r.rc == 78 and "writable by group or others (mode 0620)" in r.err,
     "group-writable: refused", r)
env.write_config(GOOD, 0o602)
r = env.run(["-bv", "a@x.org"])
t.ok(r.rc == 78 and "writable by group or others" in r.err,
     "world-writable: refused", r)
env.write_config(GOOD)
link = os.path.join(env.dir, "link.ini")
os.symlink(env.config, link)
r = env.run(["-bv", "a@x.org"], config=False, env={"SAFEMAIL_CONFIG": link})
t.ok(r.rc == 78 and "symbolic link" in r.err, "a symlink: refused", r)
r = env.run(["-bv", "a@x.org"], config=False,
            env={"SAFEMAIL_CONFIG": env.dir})
t.ok(r.rc == 78 and "not a regular file" in r.err, "a directory: refused", r)

if os.getuid() != 0:
    for _ in range(3):
        print("ok - # SKIP ownership and set-ID checks need root")
        t.n += 1
    t.done()

# Owned by someone else (neither root nor the caller).
os.chown(env.config, 65534, 65534)
r = env.run(["-bv", "a@x.org"])
t.ok(r.rc == 78 and "owned by uid 65534, not root" in r.err,
     "owned by another user: refused", r)
os.chown(env.config, 0, 0)

# A set-ID process never honours SAFEMAIL_CONFIG: the gate (the program
# that reads the configuration) copied set-ID, started by nobody's front
# end with SAFEMAIL_CONFIG pointing at an attacker's file, must read the
# built-in path instead.
evil = os.path.join(env.dir, "evil.ini")
with open(evil, "w") as f:
    f.write("[mail]\ndefault_sender = evil@evil.example\n")
os.chmod(env.dir, 0o755)
os.chmod(evil, 0o644)
libexec = os.path.join(env.dir, "libexec")
os.mkdir(libexec)
os.chmod(libexec, 0o755)
shutil.copy(smtest.GATE, os.path.join(libexec, "safemail-gate"))
os.chmod(os.path.join(libexec, "safemail-gate"), 0o4755)
p = subprocess.run(
    ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
     smtest.SAFEMAIL, "-bv", "a@x.org"],
    env={"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": evil,
         "SAFEMAIL_LIBEXEC": libexec, "ASAN_OPTIONS": "detect_leaks=0"},
    stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
err = p.stderr.decode()
t.ok(p.returncode == 78 and "evil.ini" not in err and
     "safemail.ini" in err and b"evil" not in p.stdout,
     "set-ID gate: SAFEMAIL_CONFIG ignored",
     "rc=%d err=%r out=%r" % (p.returncode, err, p.stdout))
p = subprocess.run(
    ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
     smtest.SAFEMAIL, "-bv", "a@x.org"],
    env={"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": evil,
         "SAFEMAIL_LIBEXEC": smtest.LIBEXEC},
    stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
t.ok(p.returncode == 0 and b"MAIL FROM:<evil@evil.example>" in p.stdout,
     "not set-ID: the override is honoured (the test hook)",
     "rc=%d err=%r" % (p.returncode, p.stderr))
t.done()
