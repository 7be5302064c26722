"""demo-send - the main job, end to end: start a local test relay on
127.0.0.1 (aiosmtpd, the suite's scripted relay), point a copy of
examples/safemail.ini at it, send examples/message.txt the way PHP mail()
would, and show what the relay received. Then a cron-style call, and the
CVE-2016-10033 payload refused. Usage: demo-send.py SAFEMAIL TOP_SRCDIR"""
import os
import subprocess
import sys
import tempfile

safemail, top = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(top, "tests", "integ"))
import smtprelay  # noqa: E402

relay = smtprelay.Relay()
work = tempfile.mkdtemp(prefix="safemail-demo-")
config = os.path.join(work, "safemail.ini")
with open(os.path.join(top, "examples", "safemail.ini")) as f:
    text = f.read().replace("port = 2525", "port = %d" % relay.port)
with open(config, "w") as f:
    f.write(text)
os.chmod(config, 0o600)
env = {"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": config,
       "SAFEMAIL_LIBEXEC": os.path.dirname(safemail),
       "SAFEMAIL_QUEUE_USER": "root"}


def run(title, args, stdin=b""):
    print("== " + title)
    before = len(relay.transactions)
    p = subprocess.run(["sendmail"] + args, executable=safemail, input=stdin,
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sys.stdout.write(p.stdout.decode())
    sys.stdout.write(p.stderr.decode())
    print("exit status %d" % p.returncode)
    for tx in relay.transactions[before:]:
        print("-- the relay (127.0.0.1:%d) received:" % relay.port)
        print("MAIL FROM:<%s> %s" % (tx.mail_from, " ".join(tx.mail_options)))
        for r in tx.rcpt_tos:
            print("RCPT TO:<%s>" % r)
        print("DATA")
        print(tx.data.decode("utf-8", "replace").replace("\r\n", "\n"), end="")
        print(".")
    if len(relay.transactions) == before:
        print("-- the relay received nothing")
    print()


with open(os.path.join(top, "examples", "message.txt"), "rb") as f:
    message = f.read()
run("PHP mail(): sendmail -t -i -fbounce@store.example.com "
    "< examples/message.txt", ["-t", "-i", "-fbounce@store.example.com"],
    message)
run("cron: sendmail -FCronDaemon -i -B8BITMIME -oem root",
    ["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"],
    b"From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@web1> backup\n"
    b"\nbackup done\n")
run("PHP mail() carrying the CVE-2016-10033 sender (as PHP splits it)",
    ["-t", "-i", "-fattacker\\", "-oQ/tmp/", "-X/var/www/cache/phpcode.php",
     'some"@email.com'], message)
relay.stop()
