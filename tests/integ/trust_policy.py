"""trust_policy - secrets never travel as configuration text (issue 26,
point 2), on an installed copy with the real modes.

The gate used to send every caller the configuration file's text with the
secret lines edited, looking only for '='. inih splits at ':' too, so
"password: SECRET" went out whole, "password : a=b" gave away "a", and
the OAuth2 secrets and the [smtp.NAME] sections fared the same. Now the
gate writes the policy from what it parsed, only the keys the front end
reads. For each spelling below, the web user

1. talks to the set-ID gate itself (smprobe.talk_to_gate) and reads the
   policy it is sent: no secret in it;
2. runs the front end as PHP would (sendmail -t -i; -bv where the relay's
   token endpoint is not there): the front end still works with the
   policy it gets, the message reaches the relay with the password read
   from the file, and the secret is in no output and no log line.
"""
# debian: python3-aiosmtpd
import instcopy
import smprobe
import smtest
import smtprelay

t = smtest.Tap()
c = instcopy.install(t)
USER = instcopy.USER
MSG = b"To: a@example.org\nSubject: policy\n\nbody\n"

# Each secret a distinct string; where the file's line holds an '=', the
# part before it is what the old redaction left in the text.
PW_COLON = "PwColon-4f7e-never-shown"
PW_EQ_HEAD = "PwEqHead-91c2-never-shown"
PW_EQ = PW_EQ_HEAD + "=tail-part"
CS_COLON = "ClientSecretColon-77aa"
RT_EQ_HEAD = "RefreshHead-5b1d"
ROUTE_PW = "RoutePw-c3d9-never-shown"

relay_eq = smtprelay.Relay(auth=(USER, PW_EQ), auth_require_tls=False)
relay_route = smtprelay.Relay(auth=(USER, ROUTE_PW), auth_require_tls=False)

OAUTH = ("auth = %s\nusername = shop@store.example.com\n"
         "oauth2_token_url = https://127.0.0.1:9/token\n"
         "oauth2_client_id = cid-0001\n")


def conf(port, smtp, extra=""):
    return ("[mail]\ndomain = store.example.com\n"
            "default_sender = shop@store.example.com\nreturn_path = no\n"
            "[smtp]\nhost = 127.0.0.1\nport = %d\nconnect_timeout = 5\n"
            "command_timeout = 3\nlinger = 0\n%s\n%s\n%s"
            % (port, instcopy.PLAIN, smtp, extra))


# (what, configuration, the secret that must not travel, how the front end
#  is run: the relay that must receive the message, or None for -bv)
CASES = [
    ("password: SECRET",
     conf(c.relay.port, "auth = plain\nusername = %s\npassword: %s"
          % (USER, instcopy.SECRET)), instcopy.SECRET, c.relay),
    ("password:SECRET (no spaces), another secret",
     conf(c.relay.port, "auth = login\nusername = %s\npassword:%s"
          % (USER, instcopy.SECRET)), instcopy.SECRET, c.relay),
    ("password : a=SECRET",
     conf(relay_eq.port, "auth = plain\nusername = %s\npassword : %s"
          % (USER, PW_EQ)), PW_EQ_HEAD, relay_eq),
    ("oauth2_client_secret: SECRET",
     conf(c.relay.port, OAUTH % "xoauth2" +
          "oauth2_client_secret: " + CS_COLON), CS_COLON, None),
    ("oauth2_refresh_token : a=SECRET",
     conf(c.relay.port, OAUTH % "oauthbearer" +
          "oauth2_refresh_token : %s=rest" % RT_EQ_HEAD), RT_EQ_HEAD, None),
    ("password: SECRET in [smtp.NAME], the route taken",
     conf(c.relay.port, "auth = plain\nusername = %s\npassword = %s"
          % (USER, instcopy.SECRET),
          "[smtp.brand]\nhost = 127.0.0.1\nport = %d\n%s\n"
          "auth = login\nusername = %s\npassword: %s\n"
          "[relay_by_sender]\n*@store.example.com = brand\n"
          % (relay_route.port, instcopy.PLAIN, USER, ROUTE_PW)),
     ROUTE_PW, relay_route),
]

for what, text, secret, relay in CASES:
    c.write_conf(text=text)
    logs = len(c.LOGS)
    direct = smprobe.talk_to_gate(c.GATE, c.WEB,
                                  [["policy only", "", False]], secret)
    t.ok(direct.get("policy_has_secret") is False,
         "%s: the policy the gate sends the web user does not hold it"
         % what, direct.get("policy_head") or direct)
    if relay is None:
        rc, out, err = c.as_web([c.SENDMAIL, "-bv", "-t"], stdin=MSG)
        t.ok(rc == 0 and b"MAIL FROM:<shop@store.example.com>" in out and
             b"RCPT TO:<a@example.org>" in out,
             "%s: the front end works with the policy (-bv: the envelope)"
             % what, (rc, out, err))
    else:
        sent = len(relay.transactions)
        rc, out, err = c.as_web([c.SENDMAIL, "-t", "-i"], stdin=MSG)
        t.ok(rc == 0 and len(relay.transactions) == sent + 1 and
             relay.transactions[-1].mail_from == "shop@store.example.com",
             "%s: the front end works with the policy: sendmail -t -i "
             "delivers, the relay client authenticated with the file's "
             "password" % what, (rc, err, relay.transactions[sent:]))
    seen = out + err + c.logs_since(logs).encode()
    t.ok(secret.encode() not in seen,
         "%s: in no output or log line" % what, seen[-300:])

# What the front end is sent is what it reads, and nothing of the relays.
c.write_conf(text=CASES[0][1])
for word in (USER, "127.0.0.1", "password"):
    direct = smprobe.talk_to_gate(c.GATE, c.WEB,
                                  [["policy only", "", False]], word)
    t.ok(direct.get("policy_has_secret") is False,
         "the policy names no relay, username or password key (%s)" % word,
         direct.get("policy_head") or direct)
t.done()
