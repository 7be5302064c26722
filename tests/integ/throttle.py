"""throttle - an ESP that throttles (SES "454 Throttling failure", Gmail
"421 4.7.0 Try again later", Microsoft 365's 4.7.x) defers the message:
kept in the queue, retried on the schedule, never bounced early, and sent
once when the relay takes it again (issue 16, throttling: the part about
421/451/454; the rate key is not built yet)."""
import os
import tempfile

import smtest
import smtprelay

t = smtest.Tap()
MSG = b"From: shop@store.example.com\nTo: a@example.org\nSubject: t\n\nbody\n"
REPLIES = [("MAIL", "454 4.7.0 Throttling failure: Maximum sending rate "
            "exceeded."),
           ("RCPT", "421 4.7.0 Try again later, closing connection."),
           ("DATA", "451 4.7.500 Server busy. Please try again later.")]
for verb, reply in REPLIES:
    relay = smtprelay.Relay(script={verb: reply})
    spool = tempfile.mkdtemp(prefix="safemail-throttle-")
    os.chmod(spool, 0o750)
    env = smtest.Env(smtest.relay_config(relay.port).replace(
        "[aliases]", "[queue]\nretry = 1s\n[aliases]"))
    e = {"SAFEMAIL_SPOOL": spool}
    q = os.path.join(spool, "q")
    r = env.run(["-t", "-i"], stdin=MSG, env=e)
    kept = [n for n in os.listdir(q) if n.endswith(".env")] \
        if os.path.isdir(q) else []
    t.ok(r.rc == 0 and r.err == "" and len(kept) == 1 and
         any("status=deferred" in ln and reply[:3] in ln for ln in r.logs),
         "%s answered %s: deferred, kept, exit 0" % (verb, reply[:9]), r)
    r = env.run(["-q"], env=e)
    bounces = [x for x in relay.transactions if x.mail_from in ("", "<>")]
    t.ok(r.rc == 0 and bounces == [] and
         [n for n in os.listdir(q) if n.endswith(".env")] == kept,
         "%s: still throttled at the next run: kept, no bounce" % verb,
         relay.transactions)
    del relay.script[verb]
    r = env.run(["-q"], env=e)
    t.ok(r.rc == 0 and len(relay.transactions) == 1 and
         relay.transactions[0].mail_from == "shop@store.example.com" and
         not [n for n in os.listdir(q) if n.endswith(".env")],
         "%s: once the relay takes mail again, sent once" % verb,
         relay.transactions)
    relay.stop()
t.done()
