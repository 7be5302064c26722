"""cmdline - the command line through the real binary: modes, program
names, recipients, aliases, refusals, exit codes and their log lines."""
import os
import smtest

t = smtest.Tap()
env = smtest.Env()
E = smtest.envelope
SHOP = "shop@store.example.com"

# Program names: mailq and newaliases need no configuration at all.
r = env.run([], argv0="mailq", config=False)
t.ok(r.rc == 0 and r.out == "Mail queue is empty\n" and r.err == "",
     "mailq by name: empty queue, exit 0", r)
r = env.run(["-bp"], config=False)
t.ok(r.rc == 0 and r.out == "Mail queue is empty\n", "-bp", r)
r = env.run([], argv0="/usr/bin/newaliases", config=False)
t.ok(r.rc == 0 and r.out == "" and r.err == "", "newaliases by name", r)
r = env.run(["-bi"], config=False)
t.ok(r.rc == 0 and r.err == "", "-bi: nothing to rebuild", r)

# -bv prints the decided envelope and nothing else.
r = env.run(["-bv", "a@example.org"])
t.ok(r.rc == 0 and r.out == E(SHOP, "a@example.org") and r.err == "",
     "-bv prints MAIL FROM and RCPT TO, stderr silent", r)
r = env.run(["-bv", "ops@example.com,second@example.org"])
t.ok(r.out == E(SHOP, "ops@example.com", "second@example.org"),
     "one operand holding a comma list (cron MAILTO)", r)
r = env.run(["-bv", "Ops Team <ops@example.com>, \"Doe, J\" <jd@x.org>"])
t.ok(r.out == E(SHOP, "ops@example.com", "jd@x.org"),
     "display names and quoted commas", r)
r = env.run(["-bv", "root"])
t.ok(r.out == E(SHOP, "admin@example.com"), "root goes through [aliases]", r)
r = env.run(["-bv", "www-data"])
t.ok(r.out == E(SHOP, "www-data@store.example.com"),
     "a bare name without alias is qualified with domain", r)
r = env.run(["-bv", "A@Example.ORG", "a@example.org", "root",
             "admin@example.com"])
t.ok(r.out == E(SHOP, "A@example.org", "admin@example.com"),
     "duplicates removed (domain case folded)", r)
r = env.run(["-bv", "-t", "-i", "extra@example.org"],
            stdin=b"To: a@x.org,\n b@y.org\nCc: C <c@z.org>\nBcc: d@w.org\n"
                  b"Subject: s\n\nbody\nTo: not@header.org\n")
t.ok(r.out == E(SHOP, "extra@example.org", "a@x.org", "b@y.org", "c@z.org",
                "d@w.org"),
     "-t: argv and To/Cc/Bcc (folded) united; body not read as headers", r)
r = env.run(["-bv", "-t"], stdin=b"To: a@x.org\nResent-To: r@x.org\n"
                                  b"Resent-Bcc: rb@x.org\n\n")
t.ok(r.out == E(SHOP, "r@x.org", "rb@x.org"),
     "-t: Resent-* fields take priority", r)
r = env.run(["-bv", "-t"], stdin=b"From root  Mon Jan 1 00:00:00 2026\n"
                                  b"To: a@x.org\n\n")
t.ok(r.out == E(SHOP, "a@x.org"), "-t: a leading mbox From line skipped", r)

# Exit codes and the refusal log line.
r = env.run(["-bv", "-t"], stdin=b"Subject: nobody\n\nbody\n")
t.ok(r.rc == 64 and r.err == "safemail: no recipients\n",
     "no recipients: 64 with a message", r)
r = env.run(["-bv", "-t", "-i", "-X", "/var/www/html/x.php"])
t.ok(r.rc == 64 and "-X" in r.err and len(r.err.splitlines()) == 1,
     "-X: 64, one line naming the option", r)
uid = os.getuid()
t.ok(len(r.logs) == 1 and r.logs[0].startswith("<20>safemail[") and
     ("refused: uid=%d user=" % uid) in r.logs[0] and
     "ppid=%d parent=python3" % os.getpid() in r.logs[0] and
     "-X" in r.logs[0],
     "one warning at LOG_MAIL with uid, user, parent pid and name", r)
r = env.run(["-C/tmp/evil.cf", "-t"])
t.ok(r.rc == 77 and "-C" in r.err, "-C: 77 (EX_NOPERM)", r)
r = env.run(["-C/tmp/evil.cf", "-t"], config=False,
            env={"SAFEMAIL_CONFIG": "/nonexistent"})
t.ok(r.rc == 77, "-C is refused before any configuration is read", r)
r = env.run(["-bv", "-t", "-Y"])
t.ok(r.rc == 64 and "-Y" in r.err and "unknown option" in r.err,
     "unknown option: 64, named", r)
r = env.run(["-bv", "-i", "rcpt@example.com", "-X/tmp/x"])
t.ok(r.rc == 64 and "-X/tmp/x" in r.err and "RCPT" not in r.out,
     "an option after an operand is a bad recipient, not an option", r)
r = env.run(["-bv", "--", "-oQ/tmp/@example.com"])
t.ok(r.rc == 64 and "begins with '-'" in r.err,
     "-- then a dash recipient: refused", r)
r = env.run(["-bv", "nobody"], config=False,
            env={"SAFEMAIL_CONFIG": env.config + ".nodomain"})
t.ok(r.rc == 78, "missing configuration file: 78", r)
nodomain = smtest.Env("[mail]\ndefault_sender = shop@store.example.com\n")
r = nodomain.run(["-bv", "operator"])
t.ok(r.rc == 67 and "operator" in r.err and "domain" in r.err,
     "a name that stays bare: 67 (EX_NOUSER), clear message", r)
r = env.run(["-bv", "user@localhost"])
t.ok(r.rc == 64 and "without a dot" in r.err, "invalid recipient: 64", r)
r = env.run(["-bv", "-t"], stdin=b"To: -X/tmp/x@example.com\n\n")
t.ok(r.rc == 65 and "begins with '-'" in r.err,
     "invalid header recipient: 65 (EX_DATAERR)", r)

# The sender policy through the binary (the corpus covers the hostile
# values; here the three policies side by side).
for pol, want in (("no", SHOP), ("specified", "bounce@store.example.com"),
                  ("yes", "seller@example.org")):
    e = smtest.Env(smtest.config_text(pol))
    r = e.run(["-bv", "-f", "seller@example.org", "a@x.org"])
    t.ok(r.rc == 0 and r.out == E(want, "a@x.org") and r.logs == [],
         "return_path=%s: a valid -f gives %s, nothing logged" % (pol, want),
         r)
e = smtest.Env(smtest.config_text("yes"))
r = e.run(["-bv", "-t"], stdin=b"From: \"Shop\" <orders@store.example.com>\n"
                               b"To: a@x.org\n\n")
t.ok(r.out == E("orders@store.example.com", "a@x.org"),
     "return_path=yes without -f: the From: header", r)
e = smtest.Env(smtest.config_text(
    "yes", "allowed_senders = *@store.example.com"))
r = e.run(["-bv", "-f", "ceo@victim.example", "a@x.org"])
t.ok(r.rc == 77 and "allowed_senders" in r.err and
     any("refused: uid=" in l for l in r.logs),
     "return_path=yes: -f outside allowed_senders: 77, logged", r)
r = e.run(["-bv", "-f", "news@store.example.com", "a@x.org"])
t.ok(r.rc == 0 and r.out == E("news@store.example.com", "a@x.org"),
     "return_path=yes: -f inside allowed_senders", r)
e = smtest.Env(smtest.config_text("no"))
r = e.run(["-bv", "-f", "alice@localhost", "a@x.org"])
t.ok(r.rc == 0 and r.out == E(SHOP, "a@x.org") and
     any(l.startswith("<20>") and "ignored -f 'alice@localhost'" in l
         for l in r.logs),
     "return_path=no: an invalid -f is ignored and logged as a warning", r)

# Modes not built yet say so plainly.
r = env.run(["-bs"], stdin=b"QUIT\r\n")
t.ok(r.rc == 0 and r.out.startswith("220 ") and
     r.out.endswith("221 2.0.0 Bye\r\n") and r.err == "",
     "-bs: greeting, QUIT, 221 (tests/integ/bs.py has the dialogue)", r)
# Delivery (tests/integ/delivery.py has the relay); here none listens.
r = env.run(["-t", "-i"], stdin=b"To: a@x.org\n\nbody\n")
t.ok(r.rc == 75 and r.err.startswith("safemail: relay 127.0.0.1:2525") and
     any("status=deferred" in l for l in r.logs),
     "delivery with no relay listening: 75, one line, logged deferred", r)

# The relay client missing (the gate starts it early, before the message
# is read): one line that names it, not two, and a failure exit.
import shutil  # noqa: E402
lonely = os.path.join(env.dir, "libexec-gate-only")
os.mkdir(lonely)
shutil.copy(smtest.GATE, lonely)
r = env.run(["-t", "-i"], stdin=b"To: a@x.org\n\nbody\n",
            env={"SAFEMAIL_LIBEXEC": lonely})
t.ok(r.rc == 71 and r.err.count("\n") == 1 and
     "cannot run %s/safemail-relay" % lonely in r.err,
     "no relay client to start: 71, one line naming it", r)

# A message refused after the gate started the relay client early: the
# client sees the socket close and ends; nothing is left running.
import time  # noqa: E402
own = os.path.join(env.dir, "libexec-own")
os.mkdir(own)
shutil.copy(smtest.GATE, own)
shutil.copy(smtest.RELAY, own)


def running_from(d):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink("/proc/%s/exe" % pid).startswith(d + "/"):
                found.append(pid)
        except OSError:
            pass
    return found


r = env.run(["-t", "-i"], stdin=b"To: a@x.org\n\nnul \0 here\n",
            env={"SAFEMAIL_LIBEXEC": own})
deadline = time.time() + 5
while running_from(own) and time.time() < deadline:
    time.sleep(0.05)
t.ok(r.rc == 65 and r.err.count("\n") == 1 and not running_from(own),
     "refused after the relay client was started: 65, one line, and no "
     "process of the back end left running", (r, running_from(own)))
t.done()
