"""bs - sendmail -bs: the real Symfony Mailer (Debian's php-symfony-mailer,
its sendmail transport pointed at the built binary) and transcripts of
the dialogue against the scripted relay: pipelining, bare LF and lone dots
inside DATA, dot-stuffing, long lines, garbage and out-of-order commands,
a hostile MAIL FROM from the corpus, EOF inside DATA, the idle timeout."""
# debian: php-cli php-symfony-mailer
import os
import shutil
import time

import smtest
import smtprelay

t = smtest.Tap()
SHOP = "shop@store.example.com"


def session(dialogue, relay_kw=None, mail="", args=("-bs",), timeout=30):
    relay = smtprelay.Relay(**(relay_kw or {}))
    env = smtest.Env(smtest.relay_config(relay.port, mail=mail))
    r = env.run(list(args), stdin=dialogue, timeout=timeout)
    relay.stop()
    return relay, r, [l for l in r.out.split("\r\n") if l]


def codes(lines):
    """The code of each complete reply (multi-line replies count once)."""
    return [l[:3] for l in lines if len(l) < 4 or l[3] != "-"]


# ---- the real Symfony Mailer ----
php = shutil.which("php")
autoload = "/usr/share/php/Symfony/Component/Mailer/autoload.php"
if php is None or not os.path.exists(autoload):
    t.ok(False, "php-cli and php-symfony-mailer are installed "
         "(scripts/deps.sh)")
else:
    relay = smtprelay.Relay(script={"RCPT:refused@": "550 5.1.1 "
                                    "<refused@example.org>: no mailbox"})
    env = smtest.Env(smtest.relay_config(relay.port))
    script = os.path.join(env.dir, "symfony.php")
    with open(script, "w") as f:
        f.write(r"""<?php
require '%s';
require '/usr/share/php/Symfony/Component/Mime/autoload.php';
use Symfony\Component\Mailer\Mailer;
use Symfony\Component\Mailer\Transport;
use Symfony\Component\Mime\Email;
$transport = Transport::fromDsn('sendmail://default?command=' .
    urlencode('%s -bs -i'));
$mailer = new Mailer($transport);
$send = function ($to, $bcc, $subject) use ($mailer) {
    $m = (new Email())->from('shop@store.example.com')->to($to)
        ->subject($subject)->text("Hello.\n.\nBye.");
    if ($bcc) $m->bcc($bcc);
    try { $mailer->send($m); echo "sent $subject\n"; }
    catch (\Throwable $e) { echo "failed $subject: " . $e->getMessage() . "\n"; }
};
$send('one@example.org', 'hidden@example.org', 'first');
$send('two@example.org', null, 'second');
$send('refused@example.org', null, 'third');
$send('four@example.org', null, 'fourth');
""" % (autoload, os.path.abspath(smtest.SAFEMAIL)))
    r = env.run_program([php, script])
    relay.stop()
    subjects = [x.data.split(b"Subject: ")[1].split(b"\r\n")[0]
                for x in relay.transactions]
    t.ok(r.rc == 0 and "sent first" in r.out and "sent second" in r.out,
         "Symfony Mailer sends two messages through -bs", r)
    first = relay.transactions[0] if relay.transactions else None
    t.ok(first is not None and sorted(first.rcpt_tos) == [
        "hidden@example.org", "one@example.org"] and
         first.mail_from == SHOP and b"Bcc" not in first.data.split(
             b"\r\n\r\n")[0] and b"hidden@" not in first.data,
         "the relay got the first with its envelope (Bcc a recipient) and "
         "no Bcc header", first)
    t.ok(len(relay.transactions) >= 2 and
         relay.transactions[1].rcpt_tos == ["two@example.org"] and
         b"\r\n.\r\n" not in relay.transactions[1].data.replace(
             b"Hello.\r\n.\r\nBye.", b""),
         "the second, in the same process, with its own envelope",
         relay.transactions)
    t.ok("failed third" in r.out and "550" in r.out.split("failed third")[1]
         .split("\n")[0],
         "a recipient the relay refuses: Symfony throws with the relay's "
         "code (550)", r.out)
    t.ok("sent fourth" in r.out and subjects == [b"first", b"second",
                                                   b"fourth"],
         "the next message in the same process still goes through",
         (r.out, subjects))

# ---- transcripts ----
HELO = b"EHLO client.example\r\n"
MAIL = b"MAIL FROM:<" + SHOP.encode() + b">\r\n"

# Pipelined: every command in one write, replies in order.
relay, r, lines = session(
    HELO + MAIL + b"RCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
    b"DATA\r\nSubject: p\r\n\r\nbody\r\n.\r\n" + MAIL +
    b"RCPT TO:<c@example.org>\r\nDATA\r\nSubject: q\r\n\r\nx\r\n.\r\n"
    b"QUIT\r\n")
t.ok(codes(lines) == ["220", "250", "250", "250", "250", "354", "250",
                      "250", "250", "354", "250", "221"],
     "pipelined commands: replies in order", lines)
t.ok(any(l == "250-PIPELINING" for l in lines) and
     any(l.startswith("250 ") for l in lines[1:6]),
     "EHLO advertises PIPELINING", lines)
t.ok([x.rcpt_tos for x in relay.transactions] ==
     [["a@example.org", "b@example.org"], ["c@example.org"]],
     "two transactions, each with its envelope", relay.transactions)

# Bare LF, lone dots and dot-stuffing inside DATA.
relay, r, lines = session(
    b"HELO c\r\n" + MAIL + b"RCPT TO:<a@example.org>\r\nDATA\r\n"
    b"Subject: dots\r\n\r\n..stuffed\r\nbare\n.\nstill content\r\n"
    b"x\r.\r\ny\r\n.\r\nQUIT\r\n")
t.ok(codes(lines)[-2:] == ["554", "221"] and relay.transactions == [],
     "a bare CR inside DATA: refused after the data, nothing sent", lines)
relay, r, lines = session(
    b"HELO c\r\n" + MAIL + b"RCPT TO:<a@example.org>\r\nDATA\r\n"
    b"Subject: dots\r\n\r\n..stuffed\r\nbare\n.\nstill content\r\n"
    b"....three\r\n.\r\nQUIT\r\n")
body = relay.transactions[0].data.split(b"\r\n\r\n", 1)[1] \
    if relay.transactions else b""
t.ok(body == b".stuffed\r\nbare\r\n.\r\nstill content\r\n...three\r\n",
     "dot-unstuffed; a bare-LF '.' line is content, never an end; CRLF "
     "made", body)
t.ok(b"\r\n..\r\nstill content" in relay.wire(),
     "and that '.' line is stuffed again on the way to the relay",
     relay.wire()[-200:])

# An over-long line: split as on the command line (or refused).
relay, r, lines = session(
    b"HELO c\r\n" + MAIL + b"RCPT TO:<a@example.org>\r\nDATA\r\n"
    b"Subject: long\r\n\r\n" + b"z" * 3000 + b"\r\n.\r\nQUIT\r\n")
body = relay.transactions[0].data.split(b"\r\n\r\n", 1)[1] \
    if relay.transactions else b""
t.ok(codes(lines)[-2:] == ["250", "221"] and
     max(len(l) for l in body.split(b"\r\n")) <= 998 and
     body.replace(b"\r\n", b"") == b"z" * 3000,
     "a 3000-octet line is split into lines of at most 998", lines)
relay, r, lines = session(
    b"HELO c\r\n" + MAIL + b"RCPT TO:<a@example.org>\r\nDATA\r\n"
    b"Subject: long\r\n\r\n" + b"z" * 3000 + b"\r\n.\r\nQUIT\r\n",
    mail="long_lines = refuse")
t.ok(codes(lines)[-2:] == ["554", "221"] and relay.transactions == [],
     "long_lines = refuse: 554 after the data", lines)

# max_message_size: SIZE= too large is refused at MAIL, data too large
# after its end.
relay, r, lines = session(
    b"EHLO c\r\nMAIL FROM:<" + SHOP.encode() + b"> SIZE=5000\r\n" + MAIL +
    b"RCPT TO:<a@example.org>\r\nDATA\r\nSubject: big\r\n\r\n" +
    b"y" * 3000 + b"\r\n.\r\nQUIT\r\n", mail="max_message_size = 2000")
t.ok(codes(lines) == ["220", "250", "552", "250", "250", "354", "552",
                      "221"] and relay.transactions == [] and
     any(l == "250-SIZE 2000" for l in lines),
     "max_message_size: SIZE advertised; 552 at MAIL and after the data",
     lines)

# Garbage and commands out of order.
relay, r, lines = session(
    b"MAIL FROM:<a@example.org>\r\nHELO c\r\nRCPT TO:<a@example.org>\r\n"
    b"DATA\r\nWHAT is this\r\n" + b"x" * 600 + b"\r\n" + MAIL + MAIL +
    b"DATA\r\nMAIL FROM:bad syntax <\r\nVRFY root\r\nHELP\r\nRSET\r\n"
    b"NOOP\r\nQUIT\r\n")
t.ok(codes(lines) == ["220", "503", "250", "503", "503", "500", "500",
                      "250", "503", "503", "503", "252", "214", "250",
                      "250", "221"] and
     sum("-bs: 50" in l for l in r.logs) == 8,
     "garbage and out-of-order commands: 500/501/503, the session goes on",
     lines)
relay, r, lines = session(b"HELO c\r\n" + b"BOGUS\r\n" * 12)
t.ok(codes(lines)[-1] == "421" and codes(lines).count("500") == 10,
     "ten errors: 421 and the session ends", lines)

# A hostile MAIL FROM from the corpus, under every policy.
rows = smtest.corpus_rows() or []
hostile = [smtest.unescape(x["value"]) for x in rows
           if x["kind"] == "sender" and x["expected"] == "refuse"]
for v in hostile[:8]:
    if b"\r" in v or b"\n" in v:
        continue
    relay, r, lines = session(b"HELO c\r\nMAIL FROM:<" + v + b">\r\n"
                              b"RCPT TO:<a@example.org>\r\nDATA\r\n"
                              b"Subject: x\r\n\r\nx\r\n.\r\nQUIT\r\n")
    sent = [x.mail_from for x in relay.transactions]
    refused = codes(lines)[2] in ("553", "500")
    t.ok(all(s == SHOP for s in sent) and (refused or sent == [SHOP]) and
         (not refused or any("refused: uid=" in l and "-bs" in l
                             for l in r.logs)),
         "corpus MAIL FROM %r: refused and logged, or the policy's sender"
         % v[:30], (lines, r.logs))
relay, r, lines = session(b"HELO c\r\nMAIL FROM:<-X/var/www/x.php>\r\n"
                          b"QUIT\r\n")
t.ok(codes(lines) == ["220", "250", "553", "221"] and
     any("refused" in l and "-bs MAIL FROM" in l for l in r.logs),
     "MAIL FROM with a leading '-': 553 and a refusal logged", lines)

# RCPT TO takes one address, not a list.
relay, r, lines = session(b"HELO c\r\n" + MAIL +
                          b"RCPT TO:<a@example.org,b@example.org>\r\n"
                          b"RCPT TO:<Name a@example.org>\r\nQUIT\r\n")
t.ok(codes(lines) == ["220", "250", "250", "501", "501", "221"],
     "RCPT TO with a list or a name: 501", lines)

# EOF in the middle of DATA: nothing sent.
relay, r, lines = session(b"HELO c\r\n" + MAIL +
                          b"RCPT TO:<a@example.org>\r\nDATA\r\n"
                          b"Subject: cut\r\n\r\nhalf a mess")
t.ok(codes(lines) == ["220", "250", "250", "250", "354"] and
     relay.transactions == [] and relay.raw == [],
     "EOF inside DATA: nothing is sent", (lines, relay.raw))

# The idle timeout.
relay = smtprelay.Relay()
env = smtest.Env(smtest.relay_config(relay.port, mail="bs_idle_timeout = 1"))
import subprocess  # noqa: E402
p = subprocess.Popen(["sendmail", "-bs"], executable=smtest.SAFEMAIL,
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     env={"SAFEMAIL_CONFIG": env.config,
                          "SAFEMAIL_QUEUE_USER": "root",
                          "SAFEMAIL_LIBEXEC": smtest.LIBEXEC,
                          "PATH": "/usr/bin:/bin"})
start = time.monotonic()
p.stdin.write(b"HELO c\r\n")
p.stdin.flush()
out = p.stdout.read()
took = time.monotonic() - start
p.wait(10)
relay.stop()
t.ok(out.endswith(b"421 4.4.2 Idle for too long, closing the session\r\n")
     and took < 5 and p.returncode == 0,
     "silence on standard input: 421 after bs_idle_timeout (%.1f s)" % took,
     out)

# Laravel's -bs -i, and -bs with async = yes: 250 once safely spooled.
relay, r, lines = session(b"HELO c\r\n" + MAIL + b"RCPT TO:<a@example.org>"
                          b"\r\nDATA\r\nSubject: x\r\n\r\nx\r\n.\r\nQUIT\r\n",
                          args=("-bs", "-i"))
t.ok(codes(lines) == ["220", "250", "250", "250", "354", "250", "221"] and
     len(relay.transactions) == 1, "-bs -i (Laravel)", lines)
t.done()
