"""fromalign - [mail] header_from = envelope (issue 30, point 6): the From:
address the relay receives is the envelope sender the return_path policy
chose, the display name kept, the original From: in a Reply-To: when the
message had none, no Sender:. Through every way in (-t, operands, -bs, the
queue) and the real callers (PHP mail(), PHPMailer isSendmail(), Symfony
Mailer's sendmail transport in -t and -bs mode), each run once with
header_from = keep (today's message, unchanged) and once with envelope.
The gate checks every message again: a message it refused would not reach
the relay."""
# debian: php-cli libphp-phpmailer php-symfony-mailer python3-aiosmtpd
import os
import re
import shutil
import tempfile

import smtest
import smtprelay

t = smtest.Tap()
SHOP = "shop@store.example.com"        # default_sender: return_path = no
SALES = "sales@store.example.com"      # the shop's From:
CUSTOMER = "customer@example.org"
SM = os.path.abspath(smtest.SAFEMAIL)
MSG = ("From: Sales <%s>\nSender: Web <web@store.example.com>\n"
       "To: %s\nSubject: order 42\n\nbody\n" % (SALES, CUSTOMER)).encode()

relay = smtprelay.Relay()


def env_for(header_from, policy="no", mail=""):
    text = "header_from = %s\n%s" % (header_from, mail)
    return smtest.Env(smtest.relay_config(relay.port, policy, mail=text))


ENVS = {h: env_for(h) for h in ("keep", "envelope")}


def fields(data):
    """The header fields the relay got: [name, raw value with folds]."""
    out = []
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and out:
            out[-1][1] += b"\r\n" + line
        else:
            name, _, value = line.partition(b":")
            out.append([name.decode().lower(), value])
    return out


def values(data, name):
    return [v for n, v in fields(data) if n == name.lower()]


def unfold(v):
    return v.replace(b"\r\n", b"").strip()


def sent_by(fn):
    """fn() runs a caller; the result and the transactions it made."""
    before = len(relay.transactions)
    r = fn()
    return r, relay.transactions[before:]


def check_pair(what, keep, env, sender=SHOP, had_sender=True,
               had_reply_to=False):
    """keep/env: (result, transactions) of the same call under each mode."""
    (rk, k), (re_, e) = keep, env
    if not t.ok(len(k) == 1 and len(e) == 1,
                "%s: one message reaches the relay in each mode" % what,
                (rk, k, re_, e)):
        return
    k, e = k[0], e[0]
    orig = values(k.data, "From")
    t.ok(len(orig) == 1 and SALES.encode() in orig[0] and
         (not had_sender or len(values(k.data, "Sender")) == 1),
         "%s, header_from = keep: the From: and Sender: as the caller "
         "wrote them" % what, k.data[:600])
    new = values(e.data, "From")
    want = unfold(orig[0]).replace(SALES.encode(), sender.encode()) \
        if orig else None
    t.ok(len(new) == 1 and unfold(new[0]) == want,
         "%s, envelope: From: names %s, the display name as written"
         % (what, sender), (new, want))
    rt = values(e.data, "Reply-To")
    if had_reply_to:
        t.ok(rt == values(k.data, "Reply-To"),
             "%s, envelope: the caller's Reply-To: alone" % what, rt)
    else:
        t.ok(len(rt) == 1 and unfold(rt[0]) == unfold(orig[0]),
             "%s, envelope: Reply-To: holds the original From:" % what,
             (rt, orig))
    t.ok(values(e.data, "Sender") == [] and e.mail_from == sender and
         e.rcpt_tos == k.rcpt_tos,
         "%s, envelope: no Sender:, the envelope unchanged (%s)"
         % (what, sender), (e.mail_from, e.rcpt_tos, e.data[:600]))
    t.ok(max(len(ln) for ln in e.data.split(b"\r\n")) <= 998 and
         e.data.split(b"\r\n\r\n", 1)[1] == k.data.split(b"\r\n\r\n", 1)[1],
         "%s, envelope: no line over 998 octets, the body the same" % what)


def both(fn):
    return {h: sent_by(lambda: fn(ENVS[h])) for h in ("keep", "envelope")}


# ---- the command line: -t and operands ----
p = both(lambda env: env.run(["-t", "-i"], stdin=MSG))
check_pair("-t", p["keep"], p["envelope"])
p = both(lambda env: env.run(["-i", "--", CUSTOMER], stdin=MSG))
check_pair("operands", p["keep"], p["envelope"])

# ---- -bs: the envelope from MAIL FROM, the policy's sender all the same
BS = (b"EHLO client.example\r\nMAIL FROM:<" + SALES.encode() + b">\r\n"
      b"RCPT TO:<" + CUSTOMER.encode() + b">\r\nDATA\r\n" +
      MSG.replace(b"\n", b"\r\n") + b".\r\nQUIT\r\n")
p = both(lambda env: env.run(["-bs"], stdin=BS))
check_pair("-bs", p["keep"], p["envelope"])

# ---- the queue: the front end writes the aligned message before the gate
# queues it; a queue run sends those bytes ----
spool = tempfile.mkdtemp(prefix="safemail-spool-")
os.chmod(spool, 0o750)
qenv = {"SAFEMAIL_SPOOL": spool}
r, sent = sent_by(lambda: ENVS["envelope"].run(["-odq", "-t", "-i"],
                                               stdin=MSG, env=qenv))
msgs = [os.path.join(spool, "q", f) for f in
        os.listdir(os.path.join(spool, "q")) if f.endswith(".msg")] \
    if os.path.isdir(os.path.join(spool, "q")) else []
queued = open(msgs[0], "rb").read() if len(msgs) == 1 else b""
t.ok(r.rc == 0 and sent == [] and
     values(queued, "From") == [b" Sales <" + SHOP.encode() + b">"] and
     values(queued, "Reply-To") == [b" Sales <" + SALES.encode() + b">"] and
     values(queued, "Sender") == [],
     "-odq: the spooled message already holds the aligned From:",
     (r, msgs, queued[:600]))
r, sent = sent_by(lambda: ENVS["envelope"].run(["-q"], env=qenv))
t.ok(r.rc == 0 and len(sent) == 1 and sent[0].mail_from == SHOP and
     values(sent[0].data, "From") == [b" Sales <" + SHOP.encode() + b">"] and
     values(sent[0].data, "Reply-To") == [b" Sales <" + SALES.encode() +
                                          b">"] and
     values(sent[0].data, "Sender") == [],
     "-q: the queue run sends the aligned message", (r, sent))

# ---- the policy's sender, whichever it is ----
yes = {h: env_for(h, "yes") for h in ("keep", "envelope")}
p = {h: sent_by(lambda: yes[h].run(["-t", "-i", "-fbounce@store.example.com"],
                                   stdin=MSG)) for h in yes}
check_pair("return_path = yes, -f bounce@", p["keep"], p["envelope"],
           sender="bounce@store.example.com")
r, sent = sent_by(lambda: yes["envelope"].run(["-t", "-i"], stdin=MSG))
t.ok(r.rc == 0 and len(sent) == 1 and sent[0].mail_from == SALES and
     values(sent[0].data, "From") == [b" Sales <" + SALES.encode() + b">"] and
     values(sent[0].data, "Reply-To") == [] and
     values(sent[0].data, "Sender") == [],
     "return_path = yes, no -f: the From: is the envelope sender, left as "
     "written (no Reply-To:); its Sender: removed", (r, sent))
nulls = env_for("envelope", "yes", "allow_null_sender = yes\n")
r, sent = sent_by(lambda: nulls.run(["-t", "-i", "-f<>"], stdin=MSG))
t.ok(r.rc == 0 and len(sent) == 1 and sent[0].mail_from in ("", "<>") and
     values(sent[0].data, "From") == [b" Sales <" + SALES.encode() + b">"] and
     len(values(sent[0].data, "Sender")) == 1 and
     values(sent[0].data, "Reply-To") == [],
     "the null sender: the message is left as it is", (r, sent))

# ---- what the caller wrote: no From:, a list, a group, a folded name
r, sent = sent_by(lambda: ENVS["envelope"].run(
    ["-t", "-i", "-FShop Team"],
    stdin=b"Sender: web@store.example.com\nTo: " + CUSTOMER.encode() +
    b"\n\nbody\n"))
t.ok(r.rc == 0 and len(sent) == 1 and
     values(sent[0].data, "From") == [b" Shop Team <" + SHOP.encode() +
                                      b">"] and
     values(sent[0].data, "Sender") == [] and
     values(sent[0].data, "Reply-To") == [],
     "no From:: the one the front end adds (the envelope sender, -F); "
     "no Reply-To:, no Sender:", (r, sent))
ODD = [
    (b"From: Alice <a@example.net>, Bob <b@example.net>\n"
     b"Sender: web@store.example.com\n",
     b" Alice <" + SHOP.encode() + b">",
     b"Alice <a@example.net>, Bob <b@example.net>", "several mailboxes"),
    (b"From: Team: Alice <a@example.net>, b@example.net;\n",
     b" Alice <" + SHOP.encode() + b">",
     b"Team: Alice <a@example.net>, b@example.net;", "a group"),
    (b"From: =?UTF-8?Q?Gro=C3=9Fe_Firma_GmbH_und_Co?=\n"
     b" =?UTF-8?Q?_Kommanditgesellschaft?=\n <sales@store.example.com>\n",
     b" =?UTF-8?Q?Gro=C3=9Fe_Firma_GmbH_und_Co?=\r\n"
     b" =?UTF-8?Q?_Kommanditgesellschaft?= <" + SHOP.encode() + b">",
     b"=?UTF-8?Q?Gro=C3=9Fe_Firma_GmbH_und_Co?=\r\n"
     b" =?UTF-8?Q?_Kommanditgesellschaft?=\r\n <sales@store.example.com>",
     "a folded encoded-word name"),
    (b"From: \"" + b"n" * 974 + b"\" <a@example.net>\n",
     b" \"" + b"n" * 974 + b"\"\r\n <" + SHOP.encode() + b">",
     b"\r\n \"" + b"n" * 974 + b"\" <a@example.net>",
     "a From: line of 998 octets"),
]
for head, want_from, want_rt, what in ODD:
    r, sent = sent_by(lambda: ENVS["envelope"].run(
        ["-t", "-i"], stdin=head + b"To: " + CUSTOMER.encode() +
        b"\nSubject: s\n\nbody\n"))
    got = sent[0].data if len(sent) == 1 else b""
    t.ok(r.rc == 0 and values(got, "From") == [want_from] and
         [v.lstrip(b" ") if not v.startswith(b"\r\n") else v
          for v in values(got, "Reply-To")] == [want_rt] and
         values(got, "Sender") == [] and
         max(len(ln) for ln in got.split(b"\r\n")) <= 998,
         "%s: From: %r, Reply-To: as written, lines within 998 octets"
         % (what, want_from[:60]), (r, got[:1400]))

# ---- the real callers ----
php = shutil.which("php")
PM = "/usr/share/php/libphp-phpmailer/autoload.php"
SY = "/usr/share/php/Symfony/Component/Mailer/autoload.php"
if php is None:
    t.ok(False, "php-cli is installed (scripts/deps.sh)")
else:
    MAIL = r"""<?php
$ok = mail('%s', 'order 42', "body\n",
           "From: Sales <%s>\r\nSender: web@store.example.com");
exit($ok ? 0 : 1);
""" % (CUSTOMER, SALES)

    def php_run(code, ini=None):
        def run(env):
            path = os.path.join(env.dir, "caller.php")
            with open(path, "w") as f:
                f.write(code)
            argv = [php] + (["-d", "sendmail_path=" + ini] if ini else [])
            return env.run_program(argv + [path])
        return run

    p = both(php_run(MAIL, "%s -t -i" % SM))
    check_pair("PHP mail()", p["keep"], p["envelope"])
    if not os.path.exists(PM):
        t.ok(False, "libphp-phpmailer is installed (scripts/deps.sh)")
    else:
        PHPMAILER = r"""<?php
require '%s';
$m = new PHPMailer\PHPMailer\PHPMailer(true);
$m->isSendmail();
$m->Sendmail = '%s';
$m->setFrom('%s', 'Sales');
$m->addReplyTo('support@store.example.com', 'Support');
$m->addAddress('%s');
$m->Subject = 'order 42';
$m->Body = "body";
$m->send();
""" % (PM, SM, SALES, CUSTOMER)
        p = both(php_run(PHPMAILER))
        check_pair("PHPMailer isSendmail()", p["keep"], p["envelope"],
                   had_sender=False, had_reply_to=True)
    if not os.path.exists(SY):
        t.ok(False, "php-symfony-mailer is installed (scripts/deps.sh)")
    else:
        SYMFONY = r"""<?php
require '%s';
require '/usr/share/php/Symfony/Component/Mime/autoload.php';
use Symfony\Component\Mailer\Mailer;
use Symfony\Component\Mailer\Transport;
use Symfony\Component\Mime\Address;
use Symfony\Component\Mime\Email;
$mailer = new Mailer(Transport::fromDsn('sendmail://default?command=' .
    urlencode('%s %s')));
$m = (new Email())->from(new Address('%s', 'Jürgen Müller (Vertrieb)'))
    ->sender('web@store.example.com')->to('%s')
    ->subject('order 42')->text("body");
$mailer->send($m);
"""
        for mode in ("-t -i", "-bs -i"):
            p = both(php_run(SYMFONY % (SY, SM, mode, SALES, CUSTOMER)))
            check_pair("Symfony Mailer (%s)" % mode, p["keep"],
                       p["envelope"])
relay.stop()
t.done()
