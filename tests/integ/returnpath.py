"""returnpath - the caller's -f under each Set Return Path policy, as real
callers pass it (issue 15, point 1).

Under no and specified the -f is not used, so a value holding quotes,
brackets, a backslash or shell characters (the shop's own From address,
which Magento up to 2.4.7 and Symfony Mailer append as -f'<address>') is
ignored with a log line and the message is delivered with the policy's
sender; under yes it is refused as before. A leading '-', whitespace, a
control byte or a ';' is refused under every policy. Through the real
callers: PHP mail() with Laminas's -f'<From>' (Magento 2.3-2.4.7) and
Symfony Mailer's sendmail transport in -t mode (-i -f'<sender>' -- rcpt)
deliver under all three policies."""
# debian: php-cli php-symfony-mailer
import os
import shutil

import smtest
import smtprelay

t = smtest.Tap()
POLICY_SENDER = {"no": "shop@store.example.com",
                 "specified": "bounce@store.example.com"}
MSG = (b"From: Shop <shop@example.com>\nTo: customer@example.org\n"
       b"Subject: order\n\nbody\n")
relay = smtprelay.Relay()
ENVS = {pol: smtest.Env(smtest.relay_config(relay.port, pol))
        for pol in ("no", "specified", "yes")}


def send(pol, args, stdin=MSG):
    """One call under pol: the result and the transactions it made."""
    before = len(relay.transactions)
    r = ENVS[pol].run(args, stdin=stdin)
    return r, relay.transactions[before:]


# ---- values a real From address holds, and PHP's own mangling
SHOP_VALUES = ["o'brien@example.ie", '"test"@iana.org', "test@[192.0.2.1]",
               "\\<\\>", "a|b&c$d`e@example.com"]
for v in SHOP_VALUES:
    for pol in ("no", "specified"):
        r, sent = send(pol, ["-t", "-i", "-f" + v])
        t.ok(r.rc == 0 and r.err == "" and len(sent) == 1 and
             sent[0].mail_from == POLICY_SENDER[pol] and
             sent[0].rcpt_tos == ["customer@example.org"],
             "return_path = %s, -f%s: delivered with the policy's sender"
             % (pol, v), (r, sent))
        t.ok(any("ignored -f" in ln and "uid=" in ln for ln in r.logs),
             "return_path = %s, -f%s: the ignored -f is logged" % (pol, v),
             r.logs)
    r, sent = send("yes", ["-t", "-i", "-f" + v])
    t.ok(r.rc == 64 and sent == [] and len(r.err.splitlines()) == 1 and
         "refused" in r.err,
         "return_path = yes, -f%s: refused (64), nothing sent" % v, (r, sent))

# ---- the marks of argument injection: refused under every policy
INJECTED = ["a@b.c -X/var/www/x.php", "a@b.c\t-oQ/tmp", "a@b.c\x01",
            "a@b.c;id>/tmp/pwn"]
for v in INJECTED:
    for pol in ("no", "specified", "yes"):
        r, sent = send(pol, ["-t", "-i", "-f" + v])
        t.ok(r.rc == 64 and sent == [] and len(r.err.splitlines()) == 1 and
             any("uid=" in ln for ln in r.logs),
             "return_path = %s, -f%r: refused (64), nothing sent, logged"
             % (pol, v), (r, sent))
for pol in ("no", "specified", "yes"):
    r, sent = send(pol, ["-t", "-i", "-f", "-X/var/www/x.php"])
    t.ok(r.rc == 64 and sent == [],
         "return_path = %s, -f -X...: refused (64)" % pol, (r, sent))

# ---- the real callers
php = shutil.which("php")
autoload = "/usr/share/php/Symfony/Component/Mailer/autoload.php"
SENDMAIL = os.path.abspath(smtest.SAFEMAIL)
if php is None or not os.path.exists(autoload):
    t.ok(False, "php-cli and php-symfony-mailer are installed "
         "(scripts/deps.sh)")
else:
    # Laminas\Mail\Transport\Sendmail (Magento 2.3-2.4.7): mail() with
    # -f'<From>' as the fifth parameter, whatever Set Return Path says
    LAMINAS = r"""<?php
$from = $argv[1];
$ok = mail('customer@example.org', 'order', "body\n",
           "From: Shop <$from>", "-f'" . $from . "'");
echo $ok ? "sent\n" : "failed\n";
"""
    # Symfony Mailer's sendmail transport in -t mode (Magento 2.4.8 with
    # php.ini's sendmail_path): -t removed, -f'<sender>' and -- rcpts added
    SYMFONY = r"""<?php
require '%s';
require '/usr/share/php/Symfony/Component/Mime/autoload.php';
use Symfony\Component\Mailer\Mailer;
use Symfony\Component\Mailer\Transport\SendmailTransport;
use Symfony\Component\Mime\Email;
$mailer = new Mailer(new SendmailTransport('%s -t -i'));
$m = (new Email())->from($argv[1])->to('customer@example.org')
    ->subject('order')->text("body");
try { $mailer->send($m); echo "sent\n"; }
catch (\Throwable $e) { echo "failed: " . $e->getMessage() . "\n"; }
""" % (autoload, SENDMAIL)
    for name, code in (("laminas", LAMINAS), ("symfony", SYMFONY)):
        for pol, env in ENVS.items():
            path = os.path.join(env.dir, name + ".php")
            with open(path, "w") as f:
                f.write(code)
            for sender in ("shop@example.com", "o'brien@example.ie"):
                if pol == "yes" and "'" in sender:
                    continue  # under yes such a -f is refused, as before
                before = len(relay.transactions)
                r = env.run_program(
                    [php, "-d", "sendmail_path=%s -t -i" % SENDMAIL, path,
                     sender])
                sent = relay.transactions[before:]
                want = sender if pol == "yes" else POLICY_SENDER[pol]
                t.ok(r.out.strip() == "sent" and len(sent) == 1 and
                     sent[0].mail_from == want and
                     sent[0].rcpt_tos == ["customer@example.org"],
                     "%s, return_path = %s, From %s: delivered, envelope "
                     "sender %s" % (name, pol, sender, want), (r, sent))
relay.stop()
t.done()
