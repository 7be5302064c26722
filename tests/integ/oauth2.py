"""oauth2 - auth = xoauth2 / oauthbearer (issue 16, OAuth2): the relay
client gets an access token from the token endpoint itself (HTTPS, the
test CA), with the client-credentials grant (Microsoft 365) or the
refresh-token grant (Gmail), keeps it in <spool>/run until shortly before
it expires, reuses it across messages and processes, asks for a new one
once when the relay refuses a cached one, and says which step failed. A
refusal by the endpoint (invalid_client) keeps the message (exit 75) for
the queue; the token and the secrets appear in no output or log line."""
import base64
import os
import stat
import tempfile

import smtest
import smtprelay
import tokenserver

t = smtest.Tap()
USER = "shop@example.com"
SECRET = "cs~" + "S3cr3t" * 8
REFRESH = "1//0refresh-" + "r" * 300
TOK_A = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + "A" * 2400 + ".sigA"
TOK_B = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + "B" * 2400 + ".sigB"
TOK_C = "ya29.a0AfB_" + "C" * 200
MSG = b"To: a@example.org\nSubject: oauth2\n\nbody\n"

ca = smtprelay.TestCA()
ts = tokenserver.TokenServer(ca.good, tokens=[TOK_A, TOK_B, TOK_C])
relay = smtprelay.Relay(tls="starttls", cert=ca.good, oauth=(USER, [TOK_A]),
                        auth_line_limit=16384)


def conf(extra, mech="xoauth2", url=None, cid="cid-0001"):
    return smtest.relay_config(relay.port, smtp=(
        "linger = 0\nssl = tls\ntls_ca_file = %s\nauth = %s\n"
        "username = %s\n"
        "oauth2_token_url = %s\noauth2_client_id = %s\n%s\n"
        % (ca.ca, mech, USER, url or ts.url, cid, extra))).replace(
        "[aliases]", "[queue]\nretry = 1s\n[aliases]")


def case(extra, **kw):
    spool = tempfile.mkdtemp(prefix="safemail-oauth2-")
    os.chmod(spool, 0o750)
    return smtest.Env(conf(extra, **kw)), {"SAFEMAIL_SPOOL": spool}, spool


def queued(spool):
    q = os.path.join(spool, "q")
    return sorted(n for n in os.listdir(q) if n.endswith(".env")) \
        if os.path.isdir(q) else []


SECRETS = [SECRET, REFRESH, TOK_A, TOK_B, TOK_C]


def leaks(r):
    """Any secret, or its start, in stdout, stderr or a log line."""
    text = r.out + r.err + r.log_text()
    return [s[:12] + "..." for s in SECRETS
            if s in text or s[:40] in text or
            base64.b64encode(s.encode())[:40].decode() in text]


CC = ("oauth2_client_secret = %s\n"
      "oauth2_scope = https://outlook.office365.com/.default" % SECRET)

# 1. client credentials: one token for three processes
env, e, spool = case(CC)
rs = [env.run(["-t", "-i"], stdin=MSG, env=e) for _ in range(3)]
form = ts.requests[0] if ts.requests else {}
t.ok(all(r.rc == 0 and r.err == "" for r in rs) and
     len(relay.transactions) == 3 and len(ts.requests) == 1 and
     [s[2] for s in relay.oauth_seen] == [TOK_A] * 3 and
     all(s[:2] == ("XOAUTH2", USER) for s in relay.oauth_seen),
     "client credentials: three messages by three processes, one token "
     "request, the token reused from the cache for each AUTH XOAUTH2",
     (rs[-1], len(ts.requests), [s[2][:20] for s in relay.oauth_seen]))
t.ok(form.get("grant_type") == "client_credentials" and
     form.get("client_id") == "cid-0001" and
     form.get("client_secret") == SECRET and
     form.get("scope") == "https://outlook.office365.com/.default" and
     form.get("_content_type") == "application/x-www-form-urlencoded" and
     "refresh_token" not in form,
     "the request is the client-credentials grant's form (RFC 6749 4.4)",
     form)
run = os.path.join(spool, "run")
names = [n for n in os.listdir(run) if n.startswith("oauth2-")] \
    if os.path.isdir(run) else []
cache = [os.path.join(run, n) for n in names]
mode = [stat.S_IMODE(os.stat(p).st_mode) for p in cache]
held = open(cache[0]).read() if cache else ""
t.ok(len(cache) == 1 and names[0].startswith("oauth2-") and
     mode == [0o660] and stat.S_IMODE(os.stat(run).st_mode) == 0o770 and
     TOK_A in held and SECRET not in held,
     "the cache: one file (a process that stays keeps its socket there "
     "too) in <spool>/run, 0660 in a 0770 directory, the "
     "token and no secret", (names, [oct(m) for m in mode]))
t.ok(not any(leaks(r) for r in rs), "no token or secret in any output or "
     "log line", [leaks(r) for r in rs])

# 2. the relay refuses the cached token (revoked): a new one, once
relay.valid_tokens[:] = [TOK_B]
r = env.run(["-t", "-i"], stdin=MSG, env=e)
t.ok(r.rc == 0 and r.err == "" and len(relay.transactions) == 4 and
     len(ts.requests) == 2 and
     [s[2] for s in relay.oauth_seen[-2:]] == [TOK_A, TOK_B] and
     not leaks(r),
     "a cached token the relay refuses (334, then 535): a fresh one is "
     "fetched and the message sent", (r, relay.oauth_seen[-2:]))
r = env.run(["-t", "-i"], stdin=MSG, env=e)
t.ok(r.rc == 0 and len(ts.requests) == 2 and
     relay.oauth_seen[-1][2] == TOK_B and TOK_B in open(cache[0]).read(),
     "the fresh token replaced the refused one in the cache", r)

# 2b. a cached token is used only until a minute before it expires
import time
env2, e2, spool2 = case(CC, cid="cid-0004")
relay.valid_tokens[:] = [TOK_B, TOK_C]
ts.expires_in = 62
n = len(ts.requests)
r = env2.run(["-t", "-i"], stdin=MSG, env=e2)
r2 = env2.run(["-t", "-i"], stdin=MSG, env=e2)
t.ok(r.rc == 0 and r2.rc == 0 and len(ts.requests) == n + 1,
     "expires_in 62: cached, the next message uses it", (r, r2))
time.sleep(2.2)
r = env2.run(["-t", "-i"], stdin=MSG, env=e2)
t.ok(r.rc == 0 and len(ts.requests) == n + 2,
     "two seconds later it is within a minute of expiring: a new one is "
     "fetched before any relay refuses it", r)
ts.expires_in = 3600

# 3. -v: the dialogue with the AUTH line hidden, the OAuth2 steps named
r = env.run(["-v", "-t", "-i"], stdin=MSG, env=e)
# (a token this long goes after a 334, not as an initial response:
# RFC 4954's 512-byte line)
t.ok(r.rc == 0 and ">>> AUTH XOAUTH2\n<<< 334 \n>>> [credentials hidden]\n"
     in r.err and "* OAuth2: a cached access token" in r.err and
     not leaks(r),
     "-v shows the OAuth2 steps and hides the token", r.err[-600:])

# 4. --check fetches a token (not the cache's) and proves AUTH with it
relay.valid_tokens[:] = [TOK_B, TOK_C]
n = len(ts.requests)
r = env.run(["--check"], argv0="safemail", env=e)
t.ok(r.rc == 0 and len(ts.requests) == n + 1 and
     "OAuth2: an access token fetched from the token endpoint" in r.out and
     "authentication: AUTH XOAUTH2 accepted (235)" in r.out and
     "oauth2_client_secret = ******** (set, not shown)" in r.out and
     "oauth2 grant = client_credentials" in r.out and not leaks(r),
     "--check: a fresh token from the endpoint, AUTH XOAUTH2 accepted, "
     "the secret masked", r)

# 5. the relay refuses a fresh token too: said, and not tried again
relay.valid_tokens[:] = []
n = len(ts.requests)
r = env.run(["-t", "-i"], stdin=MSG, env=e)
t.ok(r.rc == 78 and len(ts.requests) == n + 1 and
     "the relay refused the access token" in r.err and
     '"status":"401"' in r.err.replace(" ", "") and
     "fresh from https://127.0.0.1" in r.err and not leaks(r),
     "a fresh token refused too: one new request, the relay's decoded "
     "error named, 78", r)
relay.valid_tokens[:] = [TOK_B, TOK_C]

# 6. invalid_client: the endpoint's description, the message kept (75)
env, e, spool = case(CC, cid="cid-0002")
ts.script = [(401, {"error": "invalid_client", "error_description":
                    "AADSTS7000215: Invalid client secret provided. Ensure "
                    "the secret being sent in the request is the client "
                    "secret value.\r\nTrace ID: 1f2e\r\nTimestamp: now"})]
sent = len(relay.transactions)
r = env.run(["-t", "-i"], stdin=MSG, env=e)
t.ok(r.rc == 75 and len(queued(spool)) == 1 and
     len(relay.transactions) == sent and
     "invalid_client: AADSTS7000215: Invalid client secret provided" in r.err
     and "refused the request" in r.err and "queued as" in r.err and
     "Trace ID" not in r.err and r.err.count("\n") == 1 and not leaks(r),
     "invalid_client: one line naming the endpoint's error and "
     "description, 75, the message kept in the queue", r)
t.ok(any("invalid_client" in l and "deferred" in l for l in r.logs),
     "and the log line says so", r.logs)
r = env.run(["-q"], env=e)
t.ok(r.rc == 0 and len(relay.transactions) == sent + 1 and
     queued(spool) == [],
     "once the endpoint gives a token, the queue delivers it, once", r)

# 7. the endpoint cannot be reached: kept, 0, the step named in the log
dead = smtprelay.closed_port()
env, e, spool = case(CC, url="https://127.0.0.1:%d/token" % dead)
r = env.run(["-t", "-i"], stdin=MSG, env=e)
t.ok(r.rc == 0 and r.err == "" and len(queued(spool)) == 1 and
     any("OAuth2 token endpoint https://127.0.0.1:%d/token is unavailable"
         % dead in l for l in r.logs),
     "the endpoint unreachable: queued like a relay that is down, the "
     "log line names the token step", r.logs)

# 8. an answer that is not a usable token is refused
env, e, spool = case(CC, cid="cid-0003")
n = len(relay.oauth_seen)
ts.script = [(200, {"token_type": "Bearer", "expires_in": 3600,
                    "access_token": "abc\u0001auth=Bearer x"})]
r = env.run(["-t", "-i"], stdin=MSG, env=e)
t.ok(r.rc == 0 and len(queued(spool)) == 1 and len(relay.oauth_seen) == n
     and any("no usable access_token" in l for l in r.logs),
     "a token with control bytes (an AUTH line injection) is not used", r)

# 9. refresh-token grant (Gmail), secrets in files, OAUTHBEARER
d = tempfile.mkdtemp(prefix="safemail-oauth2-secrets-")
files = {}
for name, value in (("client", SECRET), ("refresh", REFRESH)):
    files[name] = os.path.join(d, name)
    with open(files[name], "w") as f:
        f.write(value + "\n")
    os.chmod(files[name], 0o640)
env, e, spool = case("oauth2_client_secret_file = %s\n"
                     "oauth2_refresh_token_file = %s"
                     % (files["client"], files["refresh"]),
                     mech="oauthbearer")
n = len(ts.requests)
r = env.run(["-t", "-i"], stdin=MSG, env=e)
form = ts.requests[-1]
t.ok(r.rc == 0 and r.err == "" and len(ts.requests) == n + 1 and
     form.get("grant_type") == "refresh_token" and
     form.get("refresh_token") == REFRESH and
     form.get("client_secret") == SECRET and "scope" not in form and
     relay.oauth_seen[-1][0] == "OAUTHBEARER" and
     relay.oauth_seen[-1][1] == USER and not leaks(r),
     "refresh-token grant with both secrets in files, AUTH OAUTHBEARER",
     (r, form))
r = env.run(["--check"], argv0="safemail", env=e)
t.ok(r.rc == 0 and "AUTH OAUTHBEARER accepted (235)" in r.out and
     "oauth2_refresh_token = ******** (read from its _file" in r.out and
     "oauth2 grant = refresh_token" in r.out and not leaks(r),
     "--check with the refresh grant", r.out)

# 10. the shipped examples are valid configurations
for name in ("microsoft365.ini", "gmail.ini"):
    with open(os.path.join(smtest.TOP_SRCDIR, "examples", name)) as f:
        env = smtest.Env(f.read())
    r = env.run(["-bv", "root"])
    t.ok(r.rc == 0 and r.err == "", "examples/%s is a valid configuration"
         % name, r)

relay.stop()
ts.stop()
t.done()
