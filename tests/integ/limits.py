"""limits - [limits] (issue 17): per-caller limits counted by the gate.
A burst above the hourly limit: the first N sent, the rest deferred (75,
nothing kept), held (queued held, 0) or refused (77) as the rule says;
the counts survive new processes and parallel submissions (no over- or
under-count); a new hour (time injected, not slept) starts again; a held
message is sent after --release and removed by --delete; the notice
reaches limit_notify once per rule and period; PHP's
X-PHP-Originating-Script is in the log line and mailq; --stats and
--stats --json. (Another user unaffected, and a caller that cannot raise
its limits: tests/integ/installed.py, with the real privilege split.)"""
# debian: php-cli
import json
import os
import shutil
import tempfile
import threading

import smtest
import smtprelay

t = smtest.Tap()
MSG = b"To: a@example.org\nSubject: limits\n\nbody\n"
HOUR = 1796547600  # a clock hour: 2026-12-07 09:00 UTC, as the test says
relay = smtprelay.Relay()


def case(rule, extra=""):
    spool = tempfile.mkdtemp(prefix="safemail-limits-")
    os.chmod(spool, 0o750)
    env = smtest.Env(smtest.relay_config(relay.port, smtp="linger = 0")
                     .replace("[aliases]", "[limits]\n%s\n%s\n[aliases]"
                              % (rule, extra)))
    return env, spool


def run(env, spool, args=("-t", "-i"), at=HOUR + 60, stdin=MSG, **kw):
    e = {"SAFEMAIL_SPOOL": spool, "SAFEMAIL_TEST_NOW": str(at)}
    return env.run(list(args), stdin=stdin, env=e, **kw)


def queued(spool):
    q = os.path.join(spool, "q")
    return sorted(n[:-4] for n in os.listdir(q) if n.endswith(".env")) \
        if os.path.isdir(q) else []


def sent():
    return len(relay.transactions)


# 1. defer: the first 3 of 5 sent, the rest 75 and not kept
env, spool = case("uid.0 = 3/hour, 10/day")
base = sent()
rs = [run(env, spool) for _ in range(5)]
t.ok([r.rc for r in rs] == [0, 0, 0, 75, 75] and sent() == base + 3 and
     queued(spool) == [] and
     "over the limit of uid.0 (3 messages an hour): try again later"
     in rs[3].err and rs[3].err.count("\n") == 1,
     "defer: 3/hour, a burst of 5 by 5 processes: 3 sent, 2 get 75 with "
     "one line, nothing kept", [(r.rc, r.err) for r in rs])
t.ok(any("over the limit of uid.0 (3 messages an hour): defer" in l
         for l in rs[4].logs), "and a log line says which rule", rs[4].logs)
r = run(env, spool, at=HOUR + 3600 + 5)
t.ok(r.rc == 0 and sent() == base + 4,
     "the next clock hour (time injected): sent again", r)
r = run(env, spool, at=HOUR + 3600 + 6)
r2 = run(env, spool, at=HOUR + 3600 + 7)
r3 = run(env, spool, at=HOUR + 3600 + 8)
t.ok(r.rc == 0 and r2.rc == 0 and r3.rc == 75 and sent() == base + 6,
     "the new hour has its own 3; the day counts all 6", (r3.rc, r3.err))

# 2. recipients: per message and per hour
env, spool = case("default = 5 rcpt/hour, 3 rcpt/message, refuse")
base = sent()
r1 = run(env, spool, args=["a@example.org", "b@example.org",
                           "c@example.org", "d@example.org"])
r2 = run(env, spool, args=["a@example.org", "b@example.org"])
r3 = run(env, spool, args=["a@example.org", "b@example.org",
                           "c@example.org", "d@example.org"][:3])
r4 = run(env, spool, args=["e@example.org", "f@example.org"])
t.ok(r1.rc == 77 and "3 recipients a message" in r1.err and
     r2.rc == 0 and r3.rc == 0 and r4.rc == 77 and
     "5 recipients an hour" in r4.err and sent() == base + 2,
     "refuse: 4 recipients in one message over 3 rcpt/message (77); 2 + 3 "
     "recipients pass 5 rcpt/hour, 2 more are refused (77)",
     [(r.rc, r.err) for r in (r1, r2, r3, r4)])

# 3. hold, the notice once per rule and period, --release, --delete
env, spool = case("default = 2/hour, hold",
                  "limit_notify = postmaster@example.com")
base = sent()
rs = [run(env, spool) for _ in range(5)]
held = queued(spool)
t.ok([r.rc for r in rs] == [0] * 5 and all(r.err == "" for r in rs) and
     sent() == base + 2 and len(held) == 4,
     "hold: 2 sent, 3 held and one notice queued, exit 0, stderr silent",
     ([r.rc for r in rs], held))
mq = env.run(["-bp"], env={"SAFEMAIL_SPOOL": spool})
t.ok(mq.out.count("held: over the limit of default (2 messages an hour)")
     == 3 and mq.out.count("!") >= 3,
     "mailq shows the held ones and why", mq.out)
r = run(env, spool, args=["-q"])
notices = [x for x in relay.transactions[base + 2:]
           if x.rcpt_tos == ["postmaster@example.com"]]
t.ok(r.rc == 0 and len(notices) == 1 and notices[0].mail_from == "<>" and
     b"uid 0 (root)" in notices[0].data and
     b"over its rule default of [limits]" in notices[0].data and
     b"2 messages an hour" in notices[0].data and len(queued(spool)) == 3,
     "the queue run sends one notice to limit_notify (null sender), and "
     "not the held messages", [(x.rcpt_tos, x.mail_from, x.data[:900])
                               for x in relay.transactions[base + 2:]])
rs = [run(env, spool) for _ in range(2)]
run(env, spool, args=["-q"])
notices2 = [x for x in relay.transactions[base + 2:]
            if x.rcpt_tos == ["postmaster@example.com"]]
t.ok(len(notices2) == 1 and len(queued(spool)) == 5,
     "more over the limit in the same hour: held, no second notice",
     len(notices2))
rs = [run(env, spool, at=HOUR + 3600 + 1) for _ in range(3)]
run(env, spool, args=["-q"])
notices3 = [x for x in relay.transactions[base + 2:]
            if x.rcpt_tos == ["postmaster@example.com"]]
t.ok(len(notices3) == 2, "the next hour over the limit again: its one "
     "notice", len(notices3))
ids = queued(spool)
before = sent()
r1 = env.run(["--release", ids[0]], argv0="safemail",
             env={"SAFEMAIL_SPOOL": spool})
r2 = env.run(["--delete", ids[1]], argv0="safemail",
             env={"SAFEMAIL_SPOOL": spool})
rq = run(env, spool, args=["-q"])
t.ok(r1.rc == 0 and r2.rc == 0 and rq.rc == 0 and sent() == before + 1 and
     ids[0] not in queued(spool) and ids[1] not in queued(spool) and
     len(queued(spool)) == len(ids) - 2,
     "--release: the held message is sent by the queue run; --delete: "
     "gone; the others stay held", (r1, r2, queued(spool)))

# 4. parallel callers: no over-count, no under-count (an Env each: its
# log socket is its own)
env, spool = case("uid.0 = 10/hour")
base = sent()
results = []


def one():
    mine = smtest.Env(open(env.config).read())
    results.append(run(mine, spool).rc)


threads = [threading.Thread(target=one) for _ in range(24)]
for th in threads:
    th.start()
for th in threads:
    th.join()
t.ok(sorted(results) == [0] * 10 + [75] * 14 and sent() == base + 10,
     "24 parallel callers, 10/hour: exactly 10 sent, 14 deferred",
     sorted(results))
st = env.run(["--stats", "--json"], argv0="safemail",
             env={"SAFEMAIL_SPOOL": spool, "SAFEMAIL_TEST_NOW": str(HOUR + 60)})
try:
    j = json.loads(st.out)
except ValueError:
    j = {}
me = [c for c in j.get("callers", []) if c.get("uid") == 0]
t.ok(st.rc == 0 and j.get("hour_start") == HOUR and len(me) == 1 and
     me[0]["hour"] == {"messages": 10, "recipients": 10} and
     me[0]["rule"] == "uid.0" and
     me[0]["limits"]["messages_per_hour"] == 10 and
     me[0]["limits"]["over"] == "defer",
     "--stats --json: this hour's counts, the rule and its limits", st.out)
st = env.run(["--stats"], argv0="safemail",
             env={"SAFEMAIL_SPOOL": spool, "SAFEMAIL_TEST_NOW": str(HOUR + 60)})
t.ok(st.rc == 0 and st.out.splitlines()[0].split() ==
     ["UID", "USER", "RULE", "MSG/HOUR", "RCPT/HOUR", "MSG/DAY", "RCPT/DAY"]
     and st.out.splitlines()[1].split() ==
     ["0", "root", "uid.0", "10", "10", "10", "10"],
     "--stats: the same as a table", st.out)
st = env.run(["--stats"], argv0="safemail",
             env={"SAFEMAIL_SPOOL": spool,
                  "SAFEMAIL_TEST_NOW": str(HOUR + 86400)})
t.ok(st.rc == 0 and st.out.splitlines()[1].split()[3:] == ["0"] * 4,
     "--stats a day later: the periods are over, the counts 0", st.out)

# 5. PHP mail() with mail.add_x_header: the script in the log and mailq
php = shutil.which("php")
env, spool = case("uid.0 = 1/hour, hold")
d = tempfile.mkdtemp(prefix="safemail-php-")
script = os.path.join(d, "checkout.php")
with open(script, "w") as f:
    f.write("<?php exit(mail('a@example.org', 'php', 'body', "
            "'From: shop@store.example.com') ? 0 : 1);\n")
rs = [env.run_program([php, "-d", "mail.add_x_header=On", "-d",
                       "sendmail_path=%s -t -i" % smtest.SAFEMAIL, script],
                      env={"SAFEMAIL_SPOOL": spool,
                           "SAFEMAIL_TEST_NOW": str(HOUR + 60)})
      for _ in range(2)]
mq = env.run(["-bp"], env={"SAFEMAIL_SPOOL": spool})
t.ok(php is not None and [r.rc for r in rs] == [0, 0] and
     any("script=0:checkout.php from sh (pid " in l and
         ", cwd %s)" % os.getcwd() in l for l in rs[0].logs) and
     any("script=0:checkout.php" in l and "over the limit" in l
         for l in rs[1].logs) and "(script 0:checkout.php)" in mq.out and
     "(from sh (pid " in mq.out and ", cwd %s)" % os.getcwd() in mq.out,
     "PHP mail() with mail.add_x_header = On: the script (PHP gives its "
     "file name), the calling program and its directory in the log lines "
     "and in mailq's detail of the held message",
     ([r.logs for r in rs], mq.out))

# 6. the script header must name the caller (script_uid_must_match)
env, spool = case("uid.0 = 100/hour", "script_uid_must_match = yes")
r = run(env, spool, stdin=b"X-PHP-Originating-Script: 33:/var/www/x.php\n"
        b"To: a@example.org\nSubject: s\n\nbody\n")
r2 = run(env, spool, stdin=b"X-PHP-Originating-Script: 0:/root/x.php\n"
         b"To: a@example.org\nSubject: s\n\nbody\n")
t.ok(r.rc == 77 and "names uid 33, not the caller's (0)" in r.err and
     any("X-PHP-Originating-Script names uid 33" in l for l in r.logs) and
     r2.rc == 0,
     "script_uid_must_match: a header naming another uid is refused (77) "
     "and logged; the caller's own passes", (r, r2.rc))

# 7. configuration
for rule, want in [
        ("user.www-data = 20/hours", "expects unlimited, or limits"),
        ("user.www-data = 20/hour, 30/hour", "expects unlimited, or limits"),
        ("person.x = 20/hour", "a rule is default, user.NAME"),
        ("default = 0/hour", "expects unlimited, or limits")]:
    env, spool = case(rule)
    r = run(env, spool, args=["-bv", "a@example.org"])
    t.ok(r.rc == 78 and want in r.err, "[limits] %s: refused (78)" % rule,
         r)
env, spool = case("default = 1/hour\nuser.root = unlimited")
rs = [run(env, spool) for _ in range(3)]
t.ok([r.rc for r in rs] == [0, 0, 0],
     "user.root = unlimited: the user's rule wins over default", rs[-1])
relay.stop()
t.done()
