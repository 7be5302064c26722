"""container_examples - the Kubernetes example (contrib/kubernetes/
shop.yaml) is a valid Deployment, meets the Restricted Pod Security
Standard, and says what contrib/compose/compose.yaml says (which
tests/integ/container.py runs): the same images, command, users,
mounts and security options (issue 28).

The schema: the Kubernetes API's, as the npm package kubernetes-models
compiles it (types, required fields, enumerations; it lets unknown
fields pass, so the fields that matter are also checked by name here).
Installed with the machine's npm into a cache under /var/tmp, a pinned
version; without node and npm that part is skipped."""
# debian: python3-yaml nodejs
import json
import os
import re
import shutil
import subprocess
import tempfile

import smtest

t = smtest.Tap()
try:
    import yaml
except ImportError:
    t.skip_all("python3-yaml is missing (scripts/deps.sh installs it)")

TOP = os.path.abspath(smtest.TOP_SRCDIR)
with open(os.path.join(TOP, "contrib", "compose", "compose.yaml")) as f:
    compose = yaml.safe_load(f)
with open(os.path.join(TOP, "contrib", "kubernetes", "shop.yaml")) as f:
    docs = [d for d in yaml.safe_load_all(f) if d]
with open(os.path.join(TOP, "contrib", "container", "Containerfile")) as f:
    containerfile = f.read()

# ---- the schema ----
MODELS = "kubernetes-models@5.1.0"
CACHE = "/var/tmp/safemail-test-npm-" + MODELS.replace("@", "-")
CHECK = r"""
import { readFileSync } from "node:fs";
const docs = JSON.parse(readFileSync(0, "utf8"));
let bad = 0;
for (const d of docs) {
  const [group, version] = d.apiVersion.includes("/")
    ? d.apiVersion.split("/") : [null, d.apiVersion];
  const path = (group ? group + "/" : "") + version + "/" + d.kind;
  try {
    const mod = await import("kubernetes-models/" + path);
    new mod[d.kind](d).validate();
    console.log("valid " + d.kind + " " + d.metadata.name);
  } catch (e) {
    bad++;
    console.log("invalid " + d.kind + ": " + e.message);
  }
}
process.exit(bad ? 1 : 0);
"""


def validator():
    """The directory with kubernetes-models installed, or None (with the
    reason) when this machine has no node and npm."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None, "node or npm is missing"
    marker = os.path.join(CACHE, "node_modules", "kubernetes-models",
                          "package.json")
    if not os.path.exists(marker):
        tmp = tempfile.mkdtemp(prefix="npm-", dir="/var/tmp")
        p = subprocess.run(["npm", "install", "--no-save",
                            "--no-package-lock", "--no-audit", "--no-fund",
                            "--silent", "--prefix", tmp, MODELS],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=300)
        if p.returncode != 0:
            shutil.rmtree(tmp, True)
            return None, "npm install %s failed: %s" % (
                MODELS, p.stdout.decode(errors="replace")[-500:])
        if os.path.exists(CACHE):
            shutil.rmtree(CACHE, True)
        os.rename(tmp, CACHE)
    with open(os.path.join(CACHE, "check.mjs"), "w") as f:
        f.write(CHECK)
    return CACHE, None


def validate(objs):
    p = subprocess.run(["node", os.path.join(CACHE, "check.mjs")],
                       input=json.dumps(objs).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120, cwd=CACHE)
    return p.returncode, p.stdout.decode(errors="replace")


where, why = validator()
if where is None and shutil.which("npm") is None:
    t.n += 1
    print("ok %d # SKIP the Kubernetes schema: %s" % (t.n, why))
elif where is None:
    t.ok(False, "the Kubernetes schema: " + why)
else:
    rc, out = validate(docs)
    t.ok(rc == 0, "contrib/kubernetes/shop.yaml is valid against the "
         "Kubernetes API's schema (%s)" % MODELS, out)
    broken = json.loads(json.dumps(docs))
    spec = broken[0]["spec"]["template"]["spec"]
    spec["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = \
        "no"
    del spec["initContainers"][1]["name"]
    rc, out = validate(broken)
    t.ok(rc != 0 and "allowPrivilegeEscalation must be boolean" in out and
         "required property name" in out,
         "(and the check finds a wrong type and a missing field)", out)

# ---- the Restricted Pod Security Standard ----
dep = [d for d in docs if d["kind"] == "Deployment"][0]
pod = dep["spec"]["template"]["spec"]
psc = pod.get("securityContext", {})
inits = pod.get("initContainers", [])
containers = inits + pod["containers"]
ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir",
                   "ephemeral", "persistentVolumeClaim", "projected",
                   "secret"}


def restricted(c):
    """What Restricted says of one container, given the pod's context:
    the list of what it breaks."""
    sc = c.get("securityContext", {})
    why = []
    if sc.get("allowPrivilegeEscalation") is not False:
        why.append("allowPrivilegeEscalation is not false")
    if sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is not True:
        why.append("runAsNonRoot is not true")
    if sc.get("runAsUser", psc.get("runAsUser")) == 0:
        why.append("runAsUser 0")
    if "ALL" not in sc.get("capabilities", {}).get("drop", []):
        why.append("capabilities.drop lacks ALL")
    if set(sc.get("capabilities", {}).get("add", [])) - {
            "NET_BIND_SERVICE"}:
        why.append("adds capabilities")
    seccomp = sc.get("seccompProfile", psc.get("seccompProfile", {}))
    if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
        why.append("seccompProfile is not RuntimeDefault or Localhost")
    if sc.get("privileged"):
        why.append("privileged")
    if any(p.get("hostPort") for p in c.get("ports", [])):
        why.append("hostPort")
    return why


for c in containers:
    t.ok(not restricted(c), "Restricted: container %s (runAsNonRoot, "
         "allowPrivilegeEscalation false, capabilities drop ALL, seccomp "
         "RuntimeDefault)" % c["name"], restricted(c))
t.ok(not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")) and
     all(set(v) - {"name"} <= ALLOWED_VOLUMES for v in pod["volumes"]),
     "Restricted: no host namespaces, only the allowed volume types",
     pod["volumes"])

# ---- the native sidecar, the Secret in it only ----
by_name = {c["name"]: c for c in containers}
side, app = by_name.get("safemail"), by_name.get("app")
t.ok(side in inits and side.get("restartPolicy") == "Always" and
     app in pod["containers"],
     "safemail is a native sidecar (an init container with restartPolicy: "
     "Always), app a container", sorted(by_name))
vols = {v["name"]: v for v in pod["volumes"]}


def mounts(c):
    return {m["mountPath"]: m for m in c.get("volumeMounts", [])}


secret_vols = {n for n, v in vols.items() if "secret" in v}
t.ok(secret_vols and all(
    (m["name"] in secret_vols) == (c is side)
    for c in containers for m in mounts(c).values()
    if m["name"] in secret_vols) and
    not any(m["name"] in secret_vols for m in mounts(app).values()),
     "the Secret is mounted in the sidecar only", secret_vols)
ini = mounts(side).get("/etc/safemail.ini", {})
mode = vols.get(ini.get("name"), {}).get("secret", {}).get("defaultMode")
t.ok(ini.get("subPath") == "safemail.ini" and ini.get("readOnly") and
     mode is not None and mode & 0o227 == 0 and
     psc.get("fsGroup") == 990,
     "the configuration: the Secret's file itself (subPath: no symbolic "
     "link), read-only, mode %s, group 990 (fsGroup): what the sidecar "
     "accepts" % (oct(mode) if mode is not None else None), (ini, mode))
run = [mounts(c).get("/run/safemail", {}).get("name") for c in (side, app)]
t.ok(run[0] is not None and run[0] == run[1] and
     "emptyDir" in vols.get(run[0], {}),
     "the sidecar and the app share an emptyDir at /run/safemail", run)

# ---- the same as compose.yaml and the image ----
services = compose["services"]
cmd = json.loads(re.search(r"^CMD (\[.*\])$", containerfile, re.M).group(1))
t.ok(side.get("args") == cmd and "command" not in side and
     "command" not in services["safemail"],
     "the sidecar's command is the image's: %s" % " ".join(cmd),
     (side.get("args"), cmd))
for c, name in ((side, "safemail"), (app, "app")):
    s = services[name]
    sc = c["securityContext"]
    user = "%s:%s" % (sc.get("runAsUser"), sc.get("runAsGroup"))
    compose_mounts = {v.split(":", 1)[1] for v in s.get("volumes", [])} | {
        x["target"] for x in s.get("secrets", [])}
    same = {
        "image": (c["image"], s["image"]),
        "user": (user, s.get("user")),
        "read-only root": (sc.get("readOnlyRootFilesystem"),
                           s.get("read_only")),
        "no new privileges": (sc.get("allowPrivilegeEscalation") is False,
                              "no-new-privileges:true" in
                              s.get("security_opt", [])),
        "capabilities": (sc["capabilities"]["drop"], s.get("cap_drop")),
        "mounts": (set(mounts(c)), compose_mounts),
    }
    differ = {k: v for k, v in same.items() if v[0] != v[1]}
    t.ok(not differ, "%s in Kubernetes as in compose.yaml: %s"
         % (name, ", ".join(same)), differ)
gid = re.search(r"^ARG SAFEMAIL_GID=(\d+)$", containerfile, re.M)
t.ok(gid and int(gid.group(1)) == psc.get("fsGroup") and
     services["safemail"]["user"] == "%s:%s" % (gid.group(1), gid.group(1)),
     "the image's safemail uid and gid (990) are the ones both examples "
     "name", gid and gid.group(1))

# ---- the README's steps name these files and this line ----
with open(os.path.join(TOP, "README.md")) as f:
    readme = f.read()
with open(os.path.join(TOP, "contrib", "compose", "app",
                       "Containerfile")) as f:
    app_file = f.read()
copy = re.search(r"^COPY --from=safemail \S+ \S+$", app_file, re.M)
t.ok(copy and copy.group(0) in readme and
     "contrib/compose/compose.yaml" in readme and
     "contrib/kubernetes/shop.yaml" in readme and
     "contrib/container/Containerfile" in readme,
     "README.md's \"In containers\" has the app image's COPY --from= line "
     "and names the three examples", copy and copy.group(0))
t.done()
