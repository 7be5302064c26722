"""clients - the argv of every client in notes/clients.md is accepted, and
-bv shows the recipients a user would expect."""
import smtest

t = smtest.Tap()
SHOP = "shop@store.example.com"
MSG = (b"From: App <app@example.com>\nTo: Customer <customer@example.org>\n"
       b"Cc: cc@example.org\nBcc: hidden@example.org\nSubject: hi\n\nbody\n")
HDR = ["customer@example.org", "cc@example.org", "hidden@example.org"]

# (client, argv after the program name, argv0, expected recipients)
CASES = [
    ("PHP mail() default", ["-t", "-i"], "sendmail", HDR),
    ("PHP mail() with 5th parameter", ["-t", "-i", "-fbounce@example.com"],
     "sendmail", HDR),
    ("PHPMailer isSendmail (Debian PHP)", ["-t", "-i", "-oi", "-t"],
     "sendmail", HDR),
    ("PHPMailer isSendmail with sender",
     ["-t", "-i", "-oi", "-fbounce@example.com", "-t"], "sendmail", HDR),
    ("PHPMailer upstream", ["-oi", "-fbounce@example.com", "-t"], "sendmail",
     HDR),
    ("Laminas / Magento 2.3-2.4.7",
     ["-t", "-i", "-fshop@example.com"], "sendmail", HDR),
    ("Laminas with -R hdrs",
     ["-t", "-i", "-R", "hdrs", "-fralph@example.com"], "sendmail", HDR),
    ("Symfony -t mode / Magento 2.4.8",
     ["-i", "-fapp@example.com", "--", "a@x.org", "b@y.org"], "sendmail",
     ["a@x.org", "b@y.org"]),
    ("PEAR Mail_sendmail", ["-i", "-ffrom@example.com", "--", "a@x.org"],
     "sendmail", ["a@x.org"]),
    ("Debian cron", ["-FCronDaemon", "-i", "-B8BITMIME", "-oem",
                     "ops@example.com,second@example.org"], "sendmail",
     ["ops@example.com", "second@example.org"]),
    ("Debian cron to root", ["-FCronDaemon", "-i", "-B8BITMIME", "-oem",
                             "root"], "sendmail", ["admin@example.com"]),
    ("cronie", ["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f",
                "root"], "sendmail", HDR),
    ("bcron", ["-FCronDaemon", "-i", "-odi", "-oem", "-t"], "sendmail", HDR),
    ("systemd-cron", ["-i", "-B8BITMIME", "root"], "sendmail",
     ["admin@example.com"]),
    ("anacron", ["-FAnacron", "-odi", "root"], "sendmail",
     ["admin@example.com"]),
    ("at", ["-i", "www-data"], "sendmail", ["www-data@store.example.com"]),
    ("bsd-mailx", ["-i", "-t"], "sendmail", HDR),
    ("bsd-mailx -r", ["-i", "-t", "-f", "me@example.com"], "sendmail", HDR),
    ("s-nail", ["-i", "-F", "Name Surname", "-f", "me@example.com", "--",
                "a@x.org", "c@z.org"], "sendmail", ["a@x.org", "c@z.org"]),
    ("GNU mailutils", ["-oi", "-f", "root@host.example.com", "-t"],
     "sendmail", HDR),
    ("mutt", ["-oem", "-oi", "-B8BITMIME", "-f", "me@example.com", "-N",
              "failure,delay", "-R", "hdrs", "-V", "envid42", "--",
              "a@x.org"], "sendmail", ["a@x.org"]),
    ("git send-email", ["-f", "dev@example.com", "-i", "a@x.org",
                        "list@lists.example.org"], "sendmail",
     ["a@x.org", "list@lists.example.org"]),
    ("logwatch / mdadm / sudo / debsecan", ["-t"], "sendmail", HDR),
    ("unattended-upgrades / apt-listchanges / python", ["-oi", "-t"],
     "sendmail", HDR),
    ("fail2ban", ["-f", "fail2ban", "root"], "sendmail",
     ["admin@example.com"]),
    ("logcheck (mime-construct)", ["-oi", "logcheck"], "sendmail",
     ["logcheck@store.example.com"]),
    ("Ruby mail / ActionMailer", ["-i", "-f", "from@example.com", "--",
                                  "a@x.org"], "sendmail", ["a@x.org"]),
    ("Rails < 5", ["-i", "-t", "-f", "from@example.com", "--", "a@x.org"],
     "sendmail", ["a@x.org"] + HDR),
    ("Perl Email::Sender", ["-i", "-f", "from@example.com", "--", "a@x.org"],
     "sendmail", ["a@x.org"]),
    ("MIME::Lite", ["-t", "-oi", "-oem", "-ffrom@example.com"],
     "/usr/lib/sendmail", HDR),
    ("django-sendmail-backend", ["a@x.org"], "sendmail", ["a@x.org"]),
    ("nodemailer", ["-i", "-f", "from@example.com", "a@x.org"], "sendmail",
     ["a@x.org"]),
    ("Gitea", ["-f", "from@example.com", "-i", "--", "a@x.org"], "sendmail",
     ["a@x.org"]),
    ("go-mail", ["-oi", "-t"], "sendmail", HDR),
    ("Dovecot", ["-i", "-f", "<>", "--", "a@x.org"], "sendmail",
     ["a@x.org"]),
    ("Dovecot via /usr/sbin/sendmail", ["-i", "-f", "bounce@example.com",
                                        "--", "a@x.org"],
     "/usr/sbin/sendmail", ["a@x.org"]),
]

env = smtest.Env()
for name, args, argv0, rcpts in CASES:
    r = env.run(["-bv"] + args, stdin=MSG, argv0=argv0)
    want = smtest.envelope(SHOP, *rcpts)
    t.ok(r.rc == 0 and r.out == want and r.err == "",
         "%s: %s" % (name, " ".join(args)), "want %r\n%r" % (want, r))

# The -bs clients (Symfony, Laravel): the dialogue is in bs.py.
for args in (["-bs"], ["-bs", "-i"]):
    r = env.run(args, stdin=b"QUIT\r\n")
    t.ok(r.rc == 0 and r.out.startswith("220 ") and r.err == "",
         "%s is a known mode, not a refused option" % " ".join(args), r)
t.done()
