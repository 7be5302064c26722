"""relaybysender - [relay_by_sender] and [smtp.NAME] (issue 16, relay by
sender): the envelope sender the policy chose picks the relay section,
with its own host and credentials; everything else takes [smtp]. The
caller cannot choose beyond the sender the policy allows: not with -f the
policy ignores or refuses, not with a From: header, not in -bs. A queue
run sends each message by its own section."""
import os
import tempfile

import smtest
import smtprelay

t = smtest.Tap()
A_AUTH = ("store-user", "store-Pw-1")
B_AUTH = ("brandb-user", "brandb-Pw-2")
a = smtprelay.Relay(auth=A_AUTH, auth_require_tls=False)
b = smtprelay.Relay(auth=B_AUTH, auth_require_tls=False)


def conf(policy, b_port=None):
    return smtest.relay_config(a.port, policy=policy, mail=(
        "allowed_senders = *@store.example.com, *@brand-b.example"),
        smtp=("auth = plain\nusername = %s\npassword = %s\n"
              "allow_plaintext_auth = yes\n" % A_AUTH)).replace(
        "[aliases]",
        "[smtp.brand-b]\nhost = 127.0.0.1\nport = %d\nauth = login\n"
        "username = %s\npassword = %s\nallow_plaintext_auth = yes\n"
        "connect_timeout = 5\ncommand_timeout = 3\n"
        "[relay_by_sender]\n*@brand-b.example = brand-b\n"
        "[queue]\nretry = 1s\n[aliases]"
        % ((b_port or b.port,) + B_AUTH))


spool = tempfile.mkdtemp(prefix="safemail-route-")
os.chmod(spool, 0o750)
e = {"SAFEMAIL_SPOOL": spool}
env = smtest.Env(conf("yes"))
MSG = b"To: a@example.org\nSubject: route\n\nbody\n"
SECRETS = [A_AUTH[1], B_AUTH[1]]


def shown(r):
    return any(s in r.out + r.err + r.log_text() for s in SECRETS)


def counts():
    return len(a.transactions), len(b.transactions)


r = env.run(["-t", "-i", "-foffers@brand-b.example"], stdin=MSG, env=e)
t.ok(r.rc == 0 and r.err == "" and counts() == (0, 1) and
     b.transactions[0].mail_from == "offers@brand-b.example" and
     b.auth_seen == ["LOGIN"] and a.auth_seen == [] and not shown(r),
     "return_path = yes, -f offers@brand-b.example: sent through "
     "[smtp.brand-b] with its own credentials (AUTH LOGIN as brandb-user)",
     (r, counts(), b.auth_seen))
t.ok(any("route=brand-b" in l and "relay=127.0.0.1:%d" % b.port in l
         for l in r.logs), "the log line names the section and its relay",
     r.logs)
r = env.run(["-t", "-i", "-fshop@store.example.com"], stdin=MSG, env=e)
t.ok(r.rc == 0 and counts() == (1, 1) and a.auth_seen == ["PLAIN"] and
     a.transactions[0].mail_from == "shop@store.example.com",
     "-f shop@store.example.com: the default [smtp], its credentials", r)

# The caller has only the sender the policy allows.
r = env.run(["-t", "-i", "-fboss@brand-b.example.evil"], stdin=MSG, env=e)
t.ok(r.rc != 0 and counts() == (1, 1),
     "return_path = yes, a sender outside allowed_senders: refused, "
     "nothing sent by either relay", r)
env.write_config(conf("no"))
r = env.run(["-t", "-i"], stdin=b"From: Brand B <offers@brand-b.example>\n"
            b"To: a@example.org\nSubject: forged\n\nbody\n", env=e)
t.ok(r.rc == 0 and counts() == (2, 1) and
     a.transactions[-1].mail_from == "shop@store.example.com",
     "return_path = no: a From: header of brand-b does not choose its "
     "relay either", r)
r = env.run(["-t", "-i", "-foffers@brand-b.example"], stdin=MSG, env=e)
t.ok(r.rc == 0 and counts() == (3, 1) and
     a.transactions[-1].mail_from == "shop@store.example.com",
     "return_path = no: -f offers@brand-b.example is ignored, and so is "
     "its relay (the default sender takes [smtp])", r)
r = env.run(["-bs"], stdin=b"EHLO c\r\nMAIL FROM:<offers@brand-b.example>\r\n"
            b"RCPT TO:<a@example.org>\r\nDATA\r\nSubject: bs\r\n\r\nx\r\n"
            b".\r\nQUIT\r\n", env=e)
t.ok(counts() == (4, 1) and
     a.transactions[-1].mail_from == "shop@store.example.com",
     "-bs under return_path = no: MAIL FROM brand-b does not choose its "
     "relay", r)

# --check tries every section
r = env.run(["--check"], argv0="safemail", env=e)
t.ok(r.rc == 0 and "[smtp.brand-b]: connecting to 127.0.0.1:%d" % b.port
     in r.out and r.out.count("authentication: AUTH") == 2 and
     "*@brand-b.example = brand-b" in r.out and
     "OK: the relays are ready" in r.out and not shown(r),
     "--check connects to each section with its credentials, masked", r)

# A section's relay away: kept, and the queue sends it by that section.
dead = smtprelay.closed_port()
env.write_config(conf("yes", b_port=dead))
r = env.run(["-t", "-i", "-foffers@brand-b.example"], stdin=MSG, env=e)
r2 = env.run(["-t", "-i", "-fshop@store.example.com"], stdin=MSG, env=e)
q = [n for n in os.listdir(os.path.join(spool, "q")) if n.endswith(".env")]
t.ok(r.rc == 0 and r2.rc == 0 and len(q) == 1 and counts() == (5, 1),
     "[smtp.brand-b]'s relay down: its message is queued, the store's "
     "is sent by [smtp]", (r, q))
env.write_config(conf("yes"))
r = env.run(["-q"], env=e)
q = [n for n in os.listdir(os.path.join(spool, "q")) if n.endswith(".env")]
t.ok(r.rc == 0 and counts() == (5, 2) and q == [] and
     b.transactions[-1].mail_from == "offers@brand-b.example",
     "the queue run sends it through [smtp.brand-b], once", (r, counts()))

# The front end never gets a section's password.
env.write_config(conf("yes"))
r = env.run(["-bv", "a@example.org"], env=e)
t.ok(r.rc == 0 and not shown(r), "-bv: no password in the output", r)
a.stop()
b.stop()
t.done()
