"""smprobe - what an unprivileged user can learn about a running safemail
process (tests/integ/installed.py): /proc, ptrace, gdb; and a client that
talks to the set-ID gate directly, past the front end."""
# debian: gdb
import json
import os
import subprocess
import time


def _stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    ppid = int(s[s.rindex(")") + 2:].split()[1])
    return comm, ppid


def _pids():
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


def wait_child(ppid, comm, ready, timeout=15):
    """A child of ppid named comm, once ready() holds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for pid in _pids():
            s = _stat(pid)
            if s and s[1] == ppid and s[0] == comm and ready():
                return pid
        time.sleep(0.05)
    return None


def wait_descendant(root, comm, ready, timeout=15):
    """root itself or any process below it named comm, once ready()."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        tree = {}
        for pid in _pids():
            s = _stat(pid)
            if s:
                tree[pid] = s
        for pid, (name, _) in tree.items():
            p = pid
            while p in tree and p != root:
                p = tree[p][1]
            if p == root and name == comm and ready():
                return pid
        time.sleep(0.05)
    return None


def _ids(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return [int(x) for x in line.split()[1:]]
    except OSError:
        return None  # it ended meanwhile
    return None


def abstract_owned():
    """Abstract @safemail socket names held by a safemail program, as
    (comm, name): only those count (installed.py and linger.py, running
    at the same time, bind root's old one on purpose, as attackers)."""
    inodes = {}
    with open("/proc/net/unix") as f:
        for ln in f:
            w = ln.split()
            if len(w) >= 8 and w[7].startswith("@safemail"):
                inodes["socket:[%s]" % w[6]] = w[7]
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            links = [os.readlink("/proc/%s/fd/%s" % (pid, fd))
                     for fd in os.listdir("/proc/%s/fd" % pid)]
            with open("/proc/%s/comm" % pid) as f:
                comm = f.read().strip()
        except OSError:
            continue
        found += [(comm, inodes[ln]) for ln in links
                  if ln in inodes and comm.startswith("safemail")]
    return found


def uids(pid):
    """Real, effective, saved and file-system uid."""
    return _ids(pid, "Uid")


def gids(pid):
    """Real, effective, saved and file-system gid."""
    return _ids(pid, "Gid")


PROBE = r"""
import ctypes, json, sys
pid = int(sys.argv[1])
r = {}
for name in ("environ", "mem"):
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            f.read(1)
        r[name] = "readable"
    except OSError as e:
        r[name] = "denied" if e.errno in (1, 13) else "error %d" % e.errno
libc = ctypes.CDLL(None, use_errno=True)
rc = libc.ptrace(16, pid, None, None)  # PTRACE_ATTACH
r["ptrace"] = "attached" if rc == 0 else "denied"
if rc == 0:
    libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
print(json.dumps(r))
"""


def probe(pid, web):
    """What the web user (a pwd entry) gets from process pid."""
    as_web = ["setpriv", "--reuid=%d" % web.pw_uid,
              "--regid=%d" % web.pw_gid, "--clear-groups"]
    out = subprocess.run(as_web + ["/usr/bin/python3", "-c", PROBE,
                                   str(pid)], stdout=subprocess.PIPE,
                         text=True, timeout=30).stdout
    try:
        r = json.loads(out)
    except ValueError:
        r = {"environ": "?", "mem": "?", "ptrace": "?", "raw": out}
    g = subprocess.run(as_web + ["gdb", "-nx", "-batch", "-p", str(pid),
                                 "-ex", "info registers"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60, env={"PATH": "/usr/bin:/bin",
                                                   "HOME": "/nonexistent"})
    r["gdb"] = g.stdout
    try:
        with open("/proc/%d/limits" % pid) as f:
            core = [ln for ln in f if ln.startswith("Max core file size")]
        r["core_limit"] = core[0].split()[4] if core else "?"
    except OSError:
        r["core_limit"] = "?"
    return r


# The web user's client for the gate: the protocol of src/lib/handoff.c, the
# envelope format of src/lib/spoolfmt.h.
CLIENT = r"""
import fcntl, json, os, socket, sys, time
gate, cases = sys.argv[1], json.loads(sys.argv[2])
SEALS = (fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW |
         fcntl.F_SEAL_WRITE)


def memfile(data, seal):
    fd = os.memfd_create("t", os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    if seal:
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
    os.lseek(fd, 0, 0)
    return fd


out = {"results": {}}
for case in cases:
    name, change, sealed = case[:3]
    raw = case[3] if len(case) > 3 else None
    nrcpt = case[4] if len(case) > 4 else 1
    if gate.startswith("socket:"):
        # the submission service: the hello, the policy, our stderr
        pid = None
        a = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        a.connect(gate[7:])
        a.send(b"HE-a claim")
        policy = a.recv(70000)
        socket.send_fds(a, [b"E"], [2])
    else:
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            os.dup2(b.fileno(), 3, inheritable=True)
            os.execve(gate, ["safemail-gate", "serve"],
                      {"PATH": "/usr/bin:/bin"})
        b.close()
        policy = a.recv(70000)
    out["policy_has_secret"] = sys.argv[3].encode() in policy
    out["policy_head"] = policy[:400].decode("utf-8", "replace")
    if raw is None:
        msg = (b"Received: by %s (safemail, from userid %d)\r\n"
               b"From: x@example.org\r\nSubject: direct\r\n\r\nbody\r\n"
               % (socket.gethostname().encode(), os.getuid()))
    else:
        msg = raw.encode("latin-1")
    fields = {"uid": str(os.getuid()), "sender": "shop@store.example.com",
              "created": str(int(time.time())), "attempts": "0",
              "next": "0", "flags": "", "request": "Sx-",
              "id": "0123456789AB"}
    for pair in filter(None, change.split(";")):
        k, v = pair.split("=", 1)
        fields[k] = v
    env = ("safemail-spool 1\nid %s\ncreated %s\nuid %s\n"
           "sender %s\nsize %d\nattempts %s\nnext %s\nflags%s\n%s"
           "end\n" % (
               fields["id"], fields["created"], fields["uid"],
               fields["sender"], len(msg),
               fields["attempts"], fields["next"],
               " " + fields["flags"] if fields["flags"] else "",
               "".join("rcpt pending r%d@example.org\n" % i
                       for i in range(nrcpt))))
    e = memfile(env.encode(), True)
    m = memfile(msg, sealed)
    socket.send_fds(a, [fields["request"].encode() + b"0.000000"], [e, m])
    os.close(e)
    os.close(m)
    # the service says the exit code on the socket; the set-ID gate
    # by its exit status
    a.shutdown(socket.SHUT_WR)
    said = a.recv(2)
    if len(said) == 2 and said[:1] == b"D":
        code = said[1]
    elif pid is None:
        code = None
    else:
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
    a.close()
    out["results"][name] = [code, "", ""]
print(json.dumps(out))
"""


def talk_to_gate(gate, web, cases, secret):
    """gate: the set-ID gate's path, or "socket:PATH", the submission
    service's. cases: (name, "field=value;..." to forge (id, uid, sender, created,
    attempts, next, flags; request: "Sx-" sends now, "Qx-" queues) or "",
    seal the message
    [, the message (latin-1 text; None: a well-formed one with the trace
    field the front end writes) [, how many recipients]]).
    Returns {"results": {name: [exit code, "", ""]}, "policy_has_secret",
    "policy_head"}."""
    as_web = ["setpriv", "--reuid=%d" % web.pw_uid,
              "--regid=%d" % web.pw_gid, "--clear-groups"]
    p = subprocess.run(as_web + ["/usr/bin/python3", "-c", CLIENT, gate,
                                 json.dumps(cases), secret],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120, cwd="/")
    try:
        return json.loads(p.stdout)
    except ValueError:
        return {"results": {"client": [None, p.stdout, p.stderr]},
                "policy_has_secret": None}
