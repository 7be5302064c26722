"""layout - the set-ID program's code is what src/README says it is
(issue 19, point 2): the built safemail-gate holds no function of
src/front (the message parser, the command line, -bs) or src/relay (the
SMTP client, OAuth2), no libcurl, OpenSSL or json-c symbol, and needs
none of those libraries; the front end holds nothing of src/relay and
needs no libcurl either; the relay client holds the sandbox (issue 29:
src/lib/sandbox.c, libseccomp) and the front end, which runs as its
caller and locks nothing down, neither. Read off the built programs with
nm and readelf, so a link that pulls in the wrong code fails here."""
# debian: binutils
import os
import subprocess

import smtest

t = smtest.Tap()
B = os.path.abspath(os.environ.get("top_builddir", "."))


def defined(path):
    """The global functions and data an object, archive or program
    defines."""
    out = subprocess.run(["nm", "--defined-only", "-g", path],
                         capture_output=True, text=True).stdout
    return {w[2] for w in (ln.split() for ln in out.splitlines())
            if len(w) == 3 and w[1] in "TDBRtdbr"}


def needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True,
                         text=True).stdout
    return [ln.split("[")[1].rstrip("]") for ln in out.splitlines()
            if "(NEEDED)" in ln]


front = defined(os.path.join(B, "src", "front", "libfront.a"))
relay = defined(os.path.join(B, "src", "relay", "librelay.a"))
gate_lib = defined(os.path.join(B, "src", "gate", "libgate.a"))
t.ok(len(front) > 20 and len(relay) > 20 and "argv_parse" in front and
     "smtp_transaction" in relay and "relay_open" in relay,
     "the libraries of src/front and src/relay define their functions",
     (len(front), len(relay)))
GATE = os.path.join(B, "src", "safemail-gate")
gate = defined(GATE)
t.ok("main" in gate and "limitstate_admit" in gate and
     "gatecheck_message" in gate,
     "the gate defines its own code and what it uses of src/lib",
     len(gate))
t.ok(not (gate & front),
     "the gate holds no function of src/front (no message parser, no "
     "command line, no -bs)", sorted(gate & front)[:20])
t.ok(not (gate & relay),
     "the gate holds no function of src/relay (no SMTP client, no OAuth2)",
     sorted(gate & relay)[:20])
foreign = sorted(s for s in gate if s.startswith(
    ("curl_", "Curl_", "SSL_", "EVP_", "json_", "X509_")))
libs = needed(GATE)
t.ok(not foreign and not any(lib.startswith(("libcurl", "libssl",
                                               "libcrypto", "libjson-c"))
                             for lib in libs),
     "the gate holds and needs no libcurl, OpenSSL or json-c",
     (foreign[:10], libs))
FRONT = os.path.join(B, "src", "safemail")
fe = defined(FRONT)
t.ok("main" in fe and not (fe & relay) and not (fe & gate_lib) and
     not any(lib.startswith(("libcurl", "libssl", "libcrypto"))
             for lib in needed(FRONT)),
     "the front end holds nothing of src/relay or src/gate and needs no "
     "libcurl or OpenSSL", sorted(fe & relay)[:10])
RELAY = os.path.join(B, "src", "safemail-relay")
rl = defined(RELAY)
t.ok("sandbox_apply" in rl and "relay_lockdown" in rl and
     ("seccomp_init" in rl or
      any(lib.startswith("libseccomp") for lib in needed(RELAY))),
     "the relay client holds the sandbox and links libseccomp",
     needed(RELAY))
t.ok(not any(s.startswith(("sandbox_", "seccomp_")) for s in fe) and
     not any(lib.startswith("libseccomp") for lib in needed(FRONT)),
     "the front end holds no sandbox code and needs no libseccomp",
     sorted(s for s in fe if s.startswith(("sandbox_", "seccomp_"))))
t.done()
