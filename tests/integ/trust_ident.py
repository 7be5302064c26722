"""trust_ident - identifiers and trace fields come from the gate, and mailq
shows a user their own mail (issue 26, points 3 and 6), on an installed
copy with the real modes.

The web user speaks the gate's protocol itself (smprobe.talk_to_gate):

1. an envelope with an id of its choosing: the message is sent and queued
   under an id the gate made (the log lines, the relay client's, the
   spool's file names), the caller's id only logged as the trace id; an id
   of another user's queued message changes nothing of it;
2. a decoy first trace field, "Received: by decoy (...)", above a forged
   one of this host and uid 0: refused (65), nothing sent;
3. two X-PHP-Originating-Script fields, or a malformed one above one of
   uid 0, with script_uid_must_match = yes: refused (77); without it the
   message goes, and the spool keeps no script;
4. mailq: root's queued message is not shown to the web user, who sees
   its own (with its uid); root and the queue user see both, each with
   the uid that submitted it;
5. a caller with another host name (UTS namespace) gets a gate of its
   own, which checks the trace field against that name (no gate stays
   after its message since issue 27).
"""
# debian: python3-aiosmtpd
import os
import re
import socket
import time

import instcopy
import smprobe
import smtest

t = smtest.Tap()
c = instcopy.install(t)
HOST = socket.gethostname()
WEB_UID = c.WEB.pw_uid
Q = os.path.join(c.SPOOL, "q")
BODY = "From: x@example.org\r\nSubject: ident\r\n\r\nbody\r\n"


def traced(rest, uid=WEB_UID, host=HOST):
    return "Received: by %s (safemail, from userid %d)\r\n%s" % (host, uid,
                                                                 rest)


def gate(cases):
    return smprobe.talk_to_gate(c.GATE, c.WEB, cases,
                                instcopy.SECRET)["results"]


def queued_ids():
    return set(n[:-4] for n in os.listdir(Q) if n.endswith(".env"))


def env_fields(qid):
    with open(os.path.join(Q, qid + ".env")) as f:
        text = f.read()
    return dict((ln.split(" ", 1) + [""])[:2] for ln in text.splitlines())


def wait_sent(n, timeout=20):
    deadline = time.time() + timeout
    while len(c.relay.transactions) < n and time.time() < deadline:
        time.sleep(0.1)
    return c.relay.transactions


def logged(pattern, since):
    return [ln for ln in c.LOGS[since:] if re.search(pattern, ln)]


# ---- 1. the queue id is the gate's ----
CHOSEN = "ABCDEF012345"
sent = len(c.relay.transactions)
logs = len(c.LOGS)
res = gate([["chosen id, sent now", "id=" + CHOSEN, True, traced(BODY)]])
got = wait_sent(sent + 1)[sent:]
time.sleep(0.5)
t.ok(res.get("chosen id, sent now", [None])[0] == 0 and len(got) == 1,
     "a caller-chosen id, sent now: delivered (exit 0)", (res, len(got)))
if c.own_devlog:
    # this uid's only: other tests' back ends may log to /dev/log too
    sent_lines = logged(r"uid=%d .*status=sent" % WEB_UID, logs)
    traces = logged(r"^.*: ([0-9A-F]{12}): uid=%d trace id %s"
                    % (WEB_UID, CHOSEN), logs)
    ours = re.search(r": ([0-9A-F]{12}): uid=", traces[0]).group(1) \
        if traces else None
    t.ok(not logged(CHOSEN + r": ", logs) and len(sent_lines) == 1 and
         ours is not None and ours != CHOSEN and
         (": %s: uid=%d " % (ours, WEB_UID)) in sent_lines[0],
         "sent now: the relay client's log line names the gate's id, the "
         "caller's appears only as the trace id", c.LOGS[logs:])

before = queued_ids()
logs = len(c.LOGS)
res = gate([["chosen id, queued", "request=Qx-;id=" + CHOSEN, True,
             traced(BODY)]])
new = sorted(queued_ids() - before)
t.ok(res.get("chosen id, queued", [None])[0] == 0 and len(new) == 1 and
     new[0] != CHOSEN and env_fields(new[0]).get("id") == new[0],
     "a caller-chosen id, queued: the spool's files and envelope carry the "
     "gate's id, not %s" % CHOSEN, (res, new))
if c.own_devlog:
    t.ok(any(("%s: uid=%d " % (new[0] if new else "?", WEB_UID)) in ln and
             "status=queued" in ln for ln in c.LOGS[logs:]) and
         not logged(CHOSEN + r": ", logs),
         "queued: the log line names the gate's id", c.LOGS[logs:])

# The id of root's queued message: root's message is left as it was.
before = queued_ids()
rc, out, err = c.as_root([c.SENDMAIL, "-odq", "-i", "root-rcpt@example.org"],
                         stdin=b"Subject: root's\n\nroot's mail\n")
root_ids = sorted(queued_ids() - before)
root_id = root_ids[0] if root_ids else None
root_env = env_fields(root_id) if root_id else {}
before = queued_ids()
res = gate([["root's id, queued", "request=Qx-;id=%s" % root_id, True,
             traced(BODY)]])
web_ids = sorted(queued_ids() - before)
t.ok(rc == 0 and root_id is not None and
     res.get("root's id, queued", [None])[0] == 0 and len(web_ids) == 1 and
     web_ids[0] != root_id and env_fields(root_id) == root_env and
     env_fields(web_ids[0]).get("uid") == str(WEB_UID),
     "the id of root's queued message: the web user's is queued under "
     "another id, root's envelope untouched", (rc, err, res, web_ids))

# -bs: "queued as" names the spool's id (the gate's).
before = queued_ids()
rc, out, err = c.as_web([c.SENDMAIL, "-bs", "-odq"], stdin=(
    b"EHLO web\r\nMAIL FROM:<shop@store.example.com>\r\n"
    b"RCPT TO:<bs@example.org>\r\nDATA\r\nSubject: bs\r\n\r\nhi\r\n.\r\n"
    b"QUIT\r\n"))
m = re.search(rb"250 2\.0\.0 Ok: queued as ([0-9A-F]{12})", out)
bs_new = sorted(queued_ids() - before)
t.ok(m is not None and bs_new == [m.group(1).decode()],
     "-bs: 'queued as' names the id the spool holds the message under",
     (out, err, bs_new))

# ---- 2. the first trace field names this host ----
sent = len(c.relay.transactions)
logs = len(c.LOGS)
before = queued_ids()
decoy = traced(traced(BODY, uid=0), host="decoy")
res = gate([["decoy first, sent now", "", True, decoy],
            ["decoy first, queued", "request=Qx-", True, decoy]])
time.sleep(0.5)
t.ok(res.get("decoy first, sent now", [None])[0] == 65 and
     res.get("decoy first, queued", [None])[0] == 65 and
     len(c.relay.transactions) == sent and queued_ids() == before,
     "'Received: by decoy' first, a forged one of this host and uid 0 "
     "below: refused (65), nothing sent or queued", res)
if c.own_devlog:
    t.ok(len(logged(r"trace field names the host decoy, not this host",
                    logs)) == 2,
         "each refusal logged, naming the host", c.LOGS[logs:])

# ---- 3. X-PHP-Originating-Script: one, well-formed ----
SCRIPT = "X-PHP-Originating-Script: %d:shop.php\r\n" % WEB_UID
ROOTS = "X-PHP-Originating-Script: 0:/root/x.php\r\n"
TWO = traced(SCRIPT + ROOTS + BODY)
BAD_FIRST = traced("X-PHP-Originating-Script: shop.php\r\n" + ROOTS + BODY)
c.write_conf(extra="\n[limits]\nscript_uid_must_match = yes\n")
sent = len(c.relay.transactions)
logs = len(c.LOGS)
before = queued_ids()
res = gate([["two scripts", "", True, TWO],
            ["malformed, then uid 0", "", True, BAD_FIRST],
            ["two scripts, queued", "request=Qx-", True, TWO],
            ["one script, the caller's", "", True, traced(SCRIPT + BODY)]])
got = wait_sent(sent + 1)[sent:]
time.sleep(0.5)
t.ok([res.get(n, [None])[0] for n in ("two scripts", "malformed, then uid 0",
                                      "two scripts, queued")] == [77] * 3 and
     queued_ids() == before,
     "script_uid_must_match = yes: two X-PHP-Originating-Script fields, or "
     "a malformed one above one of uid 0, refused (77), nothing queued", res)
t.ok(res.get("one script, the caller's", [None])[0] == 0 and len(got) == 1,
     "  one naming the caller passes, and only it is sent", (res, len(got)))
if c.own_devlog:
    t.ok(len(logged(r"more than one X-PHP-Originating-Script", logs)) >= 2
         and logged(r"X-PHP-Originating-Script that is not UID:FILE", logs),
         "  each refusal logged", c.LOGS[logs:])
c.write_conf()
before = queued_ids()
res = gate([["two scripts, no must_match", "request=Qx-", True, TWO]])
new = sorted(queued_ids() - before)
t.ok(res.get("two scripts, no must_match", [None])[0] == 0 and
     len(new) == 1 and env_fields(new[0]).get("script", "") == "",
     "without script_uid_must_match: queued, and the spool keeps no script "
     "(neither one is believed)", (res, new and env_fields(new[0])))

# ---- 4. mailq shows a user their own mail ----
web_id = web_ids[0] if web_ids else "?"
rc, out, err = c.as_web([c.MAILQ])
web_view = out.decode(errors="replace")
t.ok(rc == 0 and web_id in web_view and root_id is not None and
     root_id not in web_view and "root-rcpt@example.org" not in web_view,
     "mailq as the web user: its own message, not root's", web_view)
rows = dict((m.group(1), int(m.group(2))) for m in re.finditer(
    r"^([0-9A-F]{12})[ !#]\s+\d+ .{20} +(\d+)  ", web_view, re.M))
t.ok(rows and set(rows.values()) == {WEB_UID},
     "  every row the web user sees has its uid", rows)
rc, out, err = c.as_root([c.MAILQ])
root_view = out.decode(errors="replace")
rows = dict((m.group(1), int(m.group(2))) for m in re.finditer(
    r"^([0-9A-F]{12})[ !#]\s+\d+ .{20} +(\d+)  ", root_view, re.M))
t.ok(rc == 0 and rows.get(root_id) == 0 and rows.get(web_id) == WEB_UID and
     "--UID--" in root_view,
     "mailq as root: both, each with the uid that submitted it", root_view)
rc, out, err = c.as_root(["setpriv", "--reuid=%d" % c.QUEUE_UID,
                          "--regid=%d" % c.GID, "--clear-groups", c.MAILQ])
t.ok(rc == 0 and root_id in out.decode() and web_id in out.decode(),
     "mailq as the queue user: both", (rc, out, err))

# ---- 5. a caller in another UTS namespace (another host name) ----
# The gate checks the trace field against its own host name: the set-ID
# gate is the caller's own, started in its namespace, and no gate stays
# after its message to serve a caller of another name.
MSG = b"To: uts@example.org\nSubject: uts\n\nhi\n"


def staying_gates():
    found = []
    for pid in smprobe._pids():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if f.read().startswith(b"safemail-gate\0serve") and \
                        smprobe.uids(pid)[0] == WEB_UID:
                    found.append(pid)
        except (OSError, TypeError):
            continue
    return found


rc0, _, err0 = c.as_web([c.SENDMAIL, "-t", "-i"], MSG)
stayed = staying_gates()
sent = len(c.relay.transactions)
rc, out, err = c.as_web([c.SENDMAIL, "-t", "-i"], MSG, outer=[
    "unshare", "-u", "sh", "-c", 'hostname smtest-other && exec "$@"', "sh"])
got = wait_sent(sent + 1)[sent:]
t.ok(rc0 == 0 and not stayed and rc == 0 and len(got) == 1 and
     b"Received: by smtest-other (safemail" in got[0].data,
     "a caller with another host name (UTS namespace): no gate stayed "
     "after the last message; its own gate sends it with its name",
     (rc0, err0, stayed, rc, err, len(got)))
t.done()
