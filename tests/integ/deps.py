"""deps - every Debian package a test needs is installed by the README's
command (issue 15, point 4).

Each test file names its packages on a line "# debian: PKG ...", and
scripts/deps.sh installs the union of those lines. This test finds what
each file really uses (the programs it looks up with shutil.which or
runs as the head of an argv list, the /usr paths it names, the modules it
imports), asks dpkg which package each belongs to, and fails when that
package is neither declared by the file (or a dependency of one it
declares), nor among the build packages of deps.sh, nor Essential or
Priority required (present on every Debian system). A package installed
by hand on this machine is found here, not hidden."""
import glob
import importlib.util
import os
import re
import shutil
import subprocess

import smtest

t = smtest.Tap()
if shutil.which("dpkg-query") is None:
    t.skip_all("not a Debian system (dpkg-query)")
HERE = os.path.join(os.path.abspath(smtest.TOP_SRCDIR), "tests", "integ")
TOP = os.path.abspath(smtest.TOP_SRCDIR)
# names of safemail itself that tests use as argv0, never a dependency
OWN = {"sendmail", "mailq", "newaliases", "safemail", "/usr/sbin/sendmail",
       "/usr/lib/sendmail", "/usr/bin/newaliases", "/usr/bin/mailq"}


def deps_sh(var):
    out = subprocess.run(["bash", "-c", '. scripts/deps.sh; echo "$%s"' % var],
                         cwd=TOP, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


BUILD = deps_sh("SAFEMAIL_PACKAGES")
TESTS = deps_sh("SAFEMAIL_TEST_PACKAGES")

# installed packages: their dependencies, and which ones every system has
graph, baseline = {}, set()
q = subprocess.run(["dpkg-query", "-W", "-f",
                    "${Package}\t${Essential}\t${Priority}\t${Depends}, "
                    "${Pre-Depends}\t${Provides}\t${db:Status-Status}\n"],
                   capture_output=True, text=True, check=True).stdout
provided = {}
for line in q.splitlines():
    name, essential, prio, depends, provides, status = line.split("\t")
    if status != "installed":
        continue
    alts = [re.findall(r"([a-z0-9][a-z0-9+.-]+)", d.split("(")[0])
            for d in depends.split(",")]
    graph[name] = [a for alt in alts for a in alt]
    for p in re.findall(r"([a-z0-9][a-z0-9+.-]+)", re.sub(r"\([^)]*\)", "",
                                                           provides)):
        provided.setdefault(p, set()).add(name)
    if essential == "yes" or prio == "required":
        baseline.add(name)


def closure(roots):
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        for real in [p] + sorted(provided.get(p, ())):
            if real in seen:
                continue
            seen.add(real)
            todo.extend(graph.get(real, ()))
    return seen


def owner(path):
    """The package that ships path (usrmerge: /usr/bin is also /bin)."""
    tries = [path]
    for usr, root in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"),
                      ("/usr/lib/", "/lib/")):
        if path.startswith(usr):
            tries.append(root + path[len(usr):])
    for p in tries:
        r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].split(",")[0].strip()
    return None


PAT_WHICH = re.compile(r'shutil\.which\(\s*"([^"]+)"')
PAT_TOOLS = re.compile(r'for tool in \(([^)]*)\)')
PAT_HEAD = re.compile(r'\[\s*"(/?[A-Za-z][\w./+-]*)"\s*,')
PAT_ABS = re.compile(r'"(/usr/[^"\s%]*[^"\s%/])"')
PAT_IMPORT = re.compile(r"^(?:from|import) ([A-Za-z_]\w*)", re.M)
PAT_DECL = re.compile(r"^# debian: (.*)$", re.M)

declared_all = set()
for path in sorted(glob.glob(os.path.join(HERE, "*.py"))):
    name = os.path.basename(path)
    with open(path) as f:
        src = f.read()
    declared = set(" ".join(PAT_DECL.findall(src)).split())
    declared_all |= declared
    required = set(PAT_WHICH.findall(src))
    for m in PAT_TOOLS.findall(src):
        required |= set(re.findall(r'"([^"]+)"', m))
    used = {}
    for n in (required | set(PAT_HEAD.findall(src))) - OWN:
        p = n if n.startswith("/") else shutil.which(n)
        if p and os.path.exists(p) and not os.path.realpath(p).startswith(
                ("/work", TOP, "/tmp", "/var/tmp")):
            used[n] = os.path.realpath(p)
        elif n in required:
            used[n] = None  # a tool the file needs and this machine lacks
    for a in set(PAT_ABS.findall(src)) - OWN:
        if os.path.exists(a):
            used[a] = os.path.realpath(a)
    for mod in set(PAT_IMPORT.findall(src)):
        spec = importlib.util.find_spec(mod)
        origin = spec.origin if spec else None
        if origin and origin.startswith("/usr/"):
            used["import " + mod] = origin
    ok = closure(declared | BUILD) | baseline
    bad = []
    for what, real in sorted(used.items()):
        pkg = owner(real) if real else None
        if pkg is None or pkg not in ok:
            bad.append("%s -> %s" % (what, pkg or "no installed package"))
    t.ok(not bad, "%s: every package it uses is declared (declares: %s)"
         % (name, " ".join(sorted(declared)) or "-"), bad)

t.ok(declared_all <= TESTS,
     "scripts/deps.sh installs every package a test declares",
     sorted(declared_all - TESTS))
missing = [p for p in sorted(declared_all | BUILD)
           if subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}",
                              p], capture_output=True,
                             text=True).stdout != "installed"]
t.ok(not missing, "and each of them is installed here", missing)
t.done()
