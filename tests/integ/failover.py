"""failover - [smtp] host as a list (issue 16, failover): the relays are
tried in order when one cannot be reached or used before MAIL FROM
(connection refused, a 421 greeting, TLS that fails), and the message is
delivered exactly once, the log line naming the relay that took it; a
temporary reply to the transaction itself is no reason to try another
relay (that could send it twice): the message is deferred; with every
relay away it is kept and the queue delivers it once later."""
import os
import tempfile

import smtest
import smtprelay

t = smtest.Tap()
MSG = b"To: a@example.org\nSubject: failover\n\nbody\n"


def config(hosts, extra=""):
    return smtest.relay_config(1).replace(
        "host = 127.0.0.1\nport = 1\n",
        "host = %s\nport = 1\n%s\n" % (", ".join(hosts), extra)).replace(
        "[aliases]", "[queue]\nretry = 1s\n[aliases]")


def case(hosts, extra=""):
    spool = tempfile.mkdtemp(prefix="safemail-failover-")
    os.chmod(spool, 0o750)
    return smtest.Env(config(hosts, extra)), {"SAFEMAIL_SPOOL": spool}, spool


def queued(spool):
    q = os.path.join(spool, "q")
    return sorted(n for n in os.listdir(q) if n.endswith(".env")) \
        if os.path.isdir(q) else []


dead = smtprelay.closed_port()
b = smtprelay.Relay()
env, e, spool = case(["127.0.0.1:%d" % dead, "127.0.0.1:%d" % b.port])
r = env.run(["-t", "-i"], stdin=MSG, env=e)
t.ok(r.rc == 0 and r.err == "" and len(b.transactions) == 1 and
     queued(spool) == [],
     "first relay refuses the connection: the second takes the message", r)
t.ok(any("relay=127.0.0.1:%d" % b.port in ln and "status=sent" in ln
         for ln in r.logs) and
     any("relay 127.0.0.1:%d cannot be used" % dead in ln for ln in r.logs),
     "the log names the relay given up and the one that took it", r.logs)
r = env.run(["--check"], argv0="safemail", env=e)
t.ok(r.rc == 0 and "host = 127.0.0.1:%d, 127.0.0.1:%d" % (dead, b.port)
     in r.out and "cannot be used" in r.out,
     "--check lists the relays and shows the failover", r)

a = smtprelay.Relay(script={"greeting": "421 4.3.2 too busy"})
env, e, spool = case(["127.0.0.1:%d" % a.port, "127.0.0.1:%d" % b.port])
before = len(b.transactions)
r = env.run(["-t", "-i"], stdin=MSG, env=e)
t.ok(r.rc == 0 and a.transactions == [] and
     len(b.transactions) == before + 1,
     "a 421 greeting: the second relay takes it, exactly one delivery", r)

ca = smtprelay.TestCA()
plain = smtprelay.Relay()  # no STARTTLS: fails ssl = tls
tls = smtprelay.Relay(tls="starttls", cert=ca.good)
env, e, spool = case(["127.0.0.1:%d" % plain.port, "127.0.0.1:%d" % tls.port],
                     "ssl = tls\ntls_ca_file = %s" % ca.ca)
r = env.run(["-t", "-i"], stdin=MSG, env=e)
t.ok(r.rc == 0 and plain.transactions == [] and len(tls.transactions) == 1,
     "TLS that fails on the first (no STARTTLS): the second, with TLS, "
     "takes it", r)

later = smtprelay.Relay(script={"RCPT": "451 4.3.0 try later"})
other = smtprelay.Relay()
env, e, spool = case(["127.0.0.1:%d" % later.port,
                      "127.0.0.1:%d" % other.port])
r = env.run(["-t", "-i"], stdin=MSG, env=e)
t.ok(r.rc == 0 and other.transactions == [] and len(queued(spool)) == 1,
     "a 451 to the transaction: deferred and kept, never tried on the "
     "second relay (no second copy)", (r, other.transactions))

dead2 = smtprelay.closed_port()
env, e, spool = case(["127.0.0.1:%d" % dead, "127.0.0.1:%d" % dead2])
r = env.run(["-t", "-i"], stdin=MSG, env=e)
t.ok(r.rc == 0 and len(queued(spool)) == 1,
     "every relay away: the message is kept (exit 0)", r)
back = smtprelay.Relay()
env.write_config(config(["127.0.0.1:%d" % dead, "127.0.0.1:%d" % back.port]))
r = env.run(["-q"], env=e)
env.run(["-q"], env=e)
t.ok(r.rc == 0 and len(back.transactions) == 1 and queued(spool) == [],
     "and the queue delivers it once when a relay of the list is back", r)
for relay in (b, a, plain, tls, later, other, back):
    relay.stop()
t.done()
