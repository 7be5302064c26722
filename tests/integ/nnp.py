"""nnp - under no_new_privs the set-ID bit is inert (systemd's
NoNewPrivileges=, Docker's no-new-privileges, Kubernetes'
allowPrivilegeEscalation: false): the gate then runs without its group
and cannot read the configuration. It says so in one line naming
no_new_privs, with 75 (the caller keeps its message), instead of a
puzzling "cannot open: Permission denied" and 78 (issue 27, point 4, for
the set-ID path; the submission service is still to come). On an
installed copy with the real modes, as the web user."""
# debian: python3-aiosmtpd
import instcopy
import smtest

t = smtest.Tap()
c = instcopy.install(t)
MSG = b"To: a@example.org\nSubject: nnp\n\nbody\n"

sent, logs = len(c.relay.transactions), len(c.LOGS)
rc, out, err = c.as_web(["setpriv", "--no-new-privs", c.SENDMAIL, "-t",
                         "-i"], MSG)
lines = err.decode(errors="replace").strip().splitlines()
t.ok(rc == 75 and len(lines) == 1 and "no_new_privs" in lines[0] and
     "set-ID" in lines[0] and len(c.relay.transactions) == sent,
     "the web user under no_new_privs: 75, one line naming no_new_privs, "
     "nothing sent", (rc, err))
got = c.logs_until(logs, "no_new_privs is set") if c.own_devlog else ""
t.ok(not c.own_devlog or "no_new_privs is set" in got,
     "and a log line says so", got)

rc, out, err = c.as_web(["setpriv", "--no-new-privs", c.MAILQ])
t.ok(rc == 75 and b"no_new_privs" in err,
     "mailq under no_new_privs: the same line, 75", (rc, err))

rc, out, err = c.as_web([c.SENDMAIL, "-t", "-i"], MSG)
t.ok(rc == 0 and err == b"" and len(c.relay.transactions) == sent + 1,
     "without no_new_privs the set-ID gate delivers", (rc, err))

rc, out, err = c.as_root(["setpriv", "--no-new-privs", c.SENDMAIL, "-t",
                          "-i"], MSG)
t.ok(rc == 0 and err == b"" and len(c.relay.transactions) == sent + 2,
     "root under no_new_privs still sends (it reads the configuration "
     "without the group)", (rc, err))
t.done()
