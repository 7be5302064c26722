"""gateclient - a caller that speaks the gate's protocol itself (as
smprobe.talk_to_gate does) and starts safemail-gate with the resource
limits and signal state it chooses: the message is in its sealed memfd
before the limits are lowered, so that a tiny RLIMIT_FSIZE reaches the
gate and the relay client, not the caller's own writes (issue 26). Used
by tests/integ/statefiles.py (the build) and trust_state.py (an
installed copy, as the web user)."""
# debian: python3
import json
import subprocess

# Runs as its own python3 process (as the web user for an installed copy).
CLIENT = r"""
import fcntl, json, os, resource, signal, socket, sys, time
a = json.loads(sys.argv[1])
SEALS = (fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW |
         fcntl.F_SEAL_WRITE)


def memfile(data):
    fd = os.memfd_create("t", os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
    os.lseek(fd, 0, 0)
    return fd


msg = (b"Received: by %s (safemail, from userid %d)\r\n"
       b"From: x@example.org\r\nSubject: limits\r\n\r\nbody\r\n"
       % (socket.gethostname().encode(), os.getuid()))
env = ("safemail-spool 1\nid 0123456789AB\ncreated %d\nuid %d\n"
       "sender %s\nsize %d\nattempts 0\nnext 0\nflags\n"
       "rcpt pending %s\nend\n" % (int(time.time()), os.getuid(),
                                  a["sender"], len(msg), a["rcpt"]))
e, m = memfile(env.encode()), memfile(msg)
s, g = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
pid = os.fork()
if pid == 0:
    if a.get("fsize"):
        resource.setrlimit(resource.RLIMIT_FSIZE, tuple(a["fsize"]))
    if a.get("nofile"):
        resource.setrlimit(resource.RLIMIT_NOFILE, tuple(a["nofile"]))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if a.get("sigchld_ign"):
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    os.dup2(g.fileno(), 3, inheritable=True)
    os.execve(a["gate"], ["safemail-gate", "serve"], a["env"])
g.close()
policy = s.recv(70000)
said = b""
try:
    socket.send_fds(s, [a.get("request", "Sx-").encode() + b"0.000000"],
                    [e, m])
    s.shutdown(socket.SHUT_WR)
    said = s.recv(2)
except OSError:
    pass  # a gate that refused at start is gone: its exit status says
os.close(e)
os.close(m)
if len(said) == 2 and said[:1] == b"D":
    code = said[1]
else:
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
print(json.dumps({"code": code, "policy": len(policy)}))
"""


def submit(gate, sender, rcpt, env, fsize=None, nofile=None,
           sigchld_ign=False, request="Sx-", wrap=(), timeout=60):
    """One message to rcpt through the gate at path gate, started with
    env, RLIMIT_FSIZE fsize ((soft, hard) or None), SIGXFSZ ignored.
    wrap: a command around python3 (setpriv to the web user).
    Returns (gate's exit code or None, the client's stderr)."""
    args = {"gate": gate, "sender": sender, "rcpt": rcpt, "env": env,
            "fsize": fsize, "nofile": nofile, "sigchld_ign": sigchld_ign,
            "request": request}
    p = subprocess.run(list(wrap) + ["/usr/bin/python3", "-c", CLIENT,
                                     json.dumps(args)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, cwd="/")
    try:
        return json.loads(p.stdout)["code"], p.stderr
    except (ValueError, KeyError):
        return None, p.stdout + p.stderr
