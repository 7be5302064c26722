"""sidecar - what the submission service needs to run as a container's
sidecar (issue 28), on this build (as root, queue user root): [mail]
log = stderr puts every per-message line (the service's, its relay
client's, its queue runs') on the service's standard error and none on
the caller's; -q runs the queue in the service, at the start and every
interval; a front end in another UTS namespace (an app container with a
host name of its own) is served, and writes the service's host name; a
front end with no gate beside it and no socket says so in one line, 75."""
# debian: python3-aiosmtpd util-linux
import atexit
import os
import re
import socket
import stat
import subprocess
import threading
import time

import smtest
import smtprelay

t = smtest.Tap()
if os.geteuid() != 0:
    t.skip_all("needs root (unshare --uts)")
GATE = os.path.join(smtest.LIBEXEC, "safemail-gate")


def msg(subject):
    return ("To: a@example.org\nSubject: %s\n\nbody\n" % subject).encode()


relay = smtprelay.Relay()
env = smtest.Env(smtest.relay_config(relay.port, mail="log = stderr\n"))
spool = os.path.join(env.dir, "spool")
os.mkdir(spool, 0o750)
sock = os.path.join(env.dir, "run", "submit")
service_env = {"PATH": "/usr/bin:/bin", "SAFEMAIL_CONFIG": env.config,
               "SAFEMAIL_LIBEXEC": smtest.LIBEXEC,
               "SAFEMAIL_QUEUE_USER": "root", "SAFEMAIL_SPOOL": spool,
               "SAFEMAIL_SUBMIT_SOCKET": sock}
for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
    if k in os.environ:
        service_env[k] = os.environ[k]
# no SAFEMAIL_LOG_SOCKET: the lines go where the file says
proc = subprocess.Popen([GATE, "listen", "-q", "2", sock], env=service_env,
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE)
atexit.register(lambda: proc.poll() is None and proc.kill())
err_lines = []


def read_stderr():
    for line in proc.stderr:
        err_lines.append(line.decode("utf-8", "replace"))


threading.Thread(target=read_stderr, daemon=True).start()
for _ in range(200):
    if os.path.exists(sock) or proc.poll() is not None:
        break
    time.sleep(0.025)


def service_err(wait_for=None, timeout=10):
    end = time.time() + timeout
    while True:
        text = "".join(err_lines)
        if wait_for is None or re.search(wait_for, text) or \
                time.time() > end:
            return text
        time.sleep(0.05)


def send(args, stdin, extra=None, **kw):
    e = {"SAFEMAIL_SPOOL": spool, "SAFEMAIL_SUBMIT_SOCKET": sock,
         "SAFEMAIL_LOG_SOCKET": ""}
    e.update(extra or {})
    return env.run(args, stdin=stdin, env=e, **kw)


# ---- log = stderr: the service's standard error, never the caller's ----
r = send(["-t", "-i"], msg("to the log"))
text = service_err(r"status=sent")
t.ok(r.rc == 0 and r.err == "" and len(relay.transactions) == 1,
     "sent through the service; nothing on the caller's stderr", r)
listener = proc.pid
gate_line = re.search(r"safemail\[(\d+)\]: \S+: uid=0 trace id ", text)
sent_line = re.search(r"safemail\[(\d+)\]: \S+: uid=0 from=<\S+> nrcpt=1 .*"
                      r"status=sent", text)
t.ok(gate_line and sent_line and
     "the submission service listens on %s" % sock in text,
     "the listener's, its connection's and its relay client's lines are "
     "on the service's stderr", text)
t.ok(sent_line and int(sent_line.group(1)) != listener and
     gate_line and int(gate_line.group(1)) != listener,
     "lines of other processes than the listener came through its log "
     "socket", text)
logsock = os.path.join(spool, "run", "log")
st = os.stat(logsock)
t.ok(stat.S_ISSOCK(st.st_mode) and st.st_mode & 0o077 == 0,
     "the log socket is the service user's alone (the set-ID path's "
     "processes, which run as their caller, cannot write to it)",
     oct(st.st_mode))

# ---- -q: the service runs the queue itself ----
text = service_err(r"queue run: ")
t.ok(re.search(r"queue run: \d+ messages", text),
     "-q: a queue run at the start, logged on the service's stderr", text)
r = send(["-odq", "-t", "-i"], msg("queued, for the service's run"))
q = os.path.join(spool, "q")
queued = [n for n in os.listdir(q) if n.endswith(".msg")]
t.ok(r.rc == 0 and len(queued) == 1, "-odq: queued", r)
deadline = time.time() + 15
while time.time() < deadline and not any(
        b"queued, for the service's run" in x.data
        for x in relay.transactions):
    time.sleep(0.2)
t.ok(any(b"queued, for the service's run" in x.data
         for x in relay.transactions) and
     not [n for n in os.listdir(q) if n.endswith(".msg")],
     "-q 2: the next queue run delivered it, no cron needed",
     len(relay.transactions))

# ---- a front end in an app container: a host name of its own ----
n = len(relay.transactions)
r = env.run_program(
    ["unshare", "--uts", "sh", "-c",
     "hostname app-container-7f3e && exec \"$0\" -t -i", smtest.SAFEMAIL],
    stdin=msg("from another UTS namespace"),
    env={"SAFEMAIL_SPOOL": spool, "SAFEMAIL_SUBMIT_SOCKET": sock,
         "SAFEMAIL_LOG_SOCKET": ""})
data = relay.transactions[-1].data if len(relay.transactions) > n else b""
here = socket.gethostname()
t.ok(r.rc == 0 and b"from another UTS namespace" in data,
     "a front end with another host name (UTS namespace) is served", r)
t.ok(("by %s (safemail" % here).encode() in data and
     b"app-container-7f3e" not in data,
     "its trace field names the service's host, which it was sent",
     data[:400])

# ---- the front end alone: no socket, no gate ----
proc.terminate()
proc.wait(timeout=10)
time.sleep(0.2)
ended = service_err(r"service ends")
t.ok("the submission service ends" in ended and
     not os.path.exists(logsock),
     "stopped: the log socket is removed with it", ended[-300:])
r = send(["-t", "-i"], msg("nobody there"),
         extra={"SAFEMAIL_LIBEXEC": "/nonexistent"})
lines = r.err.strip().split("\n")
t.ok(r.rc == 75 and len(lines) == 1 and sock in lines[0] and
     "no safemail-gate here" in lines[0],
     "no service and no gate (an app container): one line naming the "
     "socket, exit 75", r)
t.done()
