"""interop - real callers through safemail to a real MTA: PHP mail() (with
and without the fifth parameter), PHPMailer isSendmail(), bsd-mailx and a
cron-style call reach a private Postfix over verified STARTTLS, and the
test reads what Postfix delivered."""
# debian: bsd-mailx php-cli libphp-phpmailer
import os
import shutil
import uuid

import pfrelay
import smtest
import smtprelay

t = smtest.Tap()
why = pfrelay.available()
if why is not None:
    t.skip_all(why)

ca = smtprelay.TestCA()
pf = pfrelay.Postfix(ca.good[0], ca.good[1], smtprelay.closed_port())
SM = os.path.abspath(smtest.SAFEMAIL)
TLS = "ssl = tls\ntls_ca_file = %s" % ca.ca


def env_for(policy="no"):
    return smtest.Env(smtest.relay_config(pf.port, policy, smtp=TLS))


def token():
    return "T" + uuid.uuid4().hex[:12]


def check(what, r, tok, sender, rcpt, body_has=None):
    t.ok(r.rc == 0 and r.err == "", what + ": the caller succeeded", r)
    m = pf.wait_for(tok, rcpt)
    t.ok(m is not None, what + ": Postfix delivered it", pf.log()[-1500:])
    if m is None:
        return None
    t.ok(m["Return-Path"] == "<%s>" % sender and
         m["Delivered-To"] == rcpt,
         what + ": the envelope Postfix saw", str(m)[:600])
    t.ok("with ESMTPS" in str(m.get_all("Received")),
         what + ": over STARTTLS", m.get_all("Received"))
    if body_has is not None:
        t.ok(body_has in m.get_payload(decode=True).decode("utf-8", "replace"),
             what + ": the body arrived", m.get_payload()[:300])
    return m


try:
    php = shutil.which("php")
    # ---- PHP mail(), sendmail_path set to the built binary ----
    if php is None:
        t.ok(False, "php-cli is installed (scripts/deps.sh)")
    else:
        for fifth in (False, True):
            tok = token()
            e = env_for("yes")
            code = ("$ok = mail('customer@example.org', 'php %s', "
                    "\"line one\\n.\\nline three\\n\", "
                    "'From: Shop <shop@store.example.com>'%s); "
                    "exit($ok ? 0 : 1);" %
                    (tok, ", '-fbounce@store.example.com'" if fifth else ""))
            r = e.run_program([php, "-d", "sendmail_path=%s -t -i" % SM,
                               "-r", code])
            m = check("PHP mail()%s" % (" with -f" if fifth else ""), r, tok,
                      "bounce@store.example.com" if fifth
                      else "shop@store.example.com",
                      "customer@example.org", "line one\n.\nline three")
            if m is not None:
                t.ok(m["Message-ID"] and m["Date"] and
                     m["From"] == "Shop <shop@store.example.com>",
                     "PHP mail(): Date and Message-ID added, From kept",
                     str(m)[:600])

    # ---- PHPMailer isSendmail() ----
    autoload = "/usr/share/php/libphp-phpmailer/autoload.php"
    if php is None or not os.path.exists(autoload):
        t.ok(False, "libphp-phpmailer is installed (scripts/deps.sh)")
    else:
        tok = token()
        script = """<?php
require '%s';
$m = new PHPMailer\\PHPMailer\\PHPMailer(true);
$m->isSendmail();
$m->Sendmail = '%s';
$m->setFrom('shop@store.example.com', 'Shop');
$m->addAddress('customer@example.org');
$m->addBCC('hidden@example.com');
$m->Subject = 'phpmailer %s';
$m->Body = "Hello from PHPMailer\\r\\n.\\r\\nend";
$m->send();
""" % (autoload, SM, tok)
        e = env_for("yes")
        path = os.path.join(e.dir, "pm.php")
        with open(path, "w") as f:
            f.write(script)
        r = e.run_program([php, path])
        m = check("PHPMailer isSendmail()", r, tok, "shop@store.example.com",
                  "customer@example.org", "Hello from PHPMailer")
        t.ok(m is not None and "Bcc" not in m,
             "PHPMailer: the Bcc header is gone", str(m)[:600])
        hidden = pf.wait_for(tok, "hidden@example.com")
        t.ok(hidden is not None and "Bcc" not in hidden and
             "hidden@" not in str(hidden).split("\n\n")[0].split(
                 "Delivered-To")[1].split("\n", 1)[1],
             "PHPMailer: the Bcc recipient got it, without a Bcc header",
             str(hidden)[:600])

    # ---- bsd-mailx ----
    mailx = shutil.which("bsd-mailx") or shutil.which("mailx")
    if mailx is None:
        t.ok(False, "bsd-mailx is installed (scripts/deps.sh)")
    else:
        tok = token()
        e = env_for()
        rc = os.path.join(e.dir, "mailrc")
        with open(rc, "w") as f:
            f.write("set sendmail=%s\n" % SM)
        r = e.run_program([mailx, "-s", "mailx %s" % tok,
                           "customer@example.org"],
                          stdin=b"sent with mailx\n",
                          env={"MAILRC": rc, "HOME": e.dir})
        check("bsd-mailx", r, tok, "shop@store.example.com",
              "customer@example.org", "sent with mailx")

    # ---- cron: -FCronDaemon -i -B8BITMIME -oem root ----
    tok = token()
    e = env_for()
    msg = ("From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@web1> "
           "backup %s\nMIME-Version: 1.0\nContent-Type: text/plain; "
           "charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
           "backup done: 3 files, café\n" % tok).encode()
    r = e.run(["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"],
              stdin=msg)
    m = check("cron", r, tok, "shop@store.example.com", "admin@example.com",
              "backup done: 3 files, café")
    t.ok(m is not None and m["To"] == "root@store.example.com" and
         m["From"] == "root@store.example.com (Cron Daemon)",
         "cron: bare root qualified in To: and From:", str(m)[:600])
finally:
    pf.stop()
t.done()
