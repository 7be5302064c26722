"""smtprelay - a scripted test relay on aiosmtpd (Debian's python3-aiosmtpd),
listening on 127.0.0.1 on a port of its own, in a thread of the test.

It records every byte each connection sent (after TLS) and every
transaction (envelope with parameters, and the message as received), and
can be told to answer a command with any reply, drop the connection, stall,
offer or refuse STARTTLS (with a test CA made by TestCA), speak implicit
TLS, and require AUTH PLAIN / LOGIN.

Script keys: "greeting", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT"
(or "RCPT:<substring of the address>"), "DATA", "EOD" (the reply after
the message). Values: a reply line ("451 4.3.0 try later"), "drop"
(close the connection), "stall" (never answer), "delay:SECONDS" (answer
as usual, that much later, as Dovecot does with AUTH after failed
logins), for "DATA" "354-then-stall" (accept DATA, then never read or
answer), for "STARTTLS" "220-then-stall" (say go ahead, then never read:
a TLS handshake that never ends).
"""
# debian: python3-aiosmtpd openssl
import asyncio
import logging
import os
import ssl
import subprocess
import tempfile
import threading
import time

from aiosmtpd.smtp import SMTP, AuthResult

# The relay's own tracebacks (a client that gives up on a bad certificate)
# are expected; the tests read the relay's records instead.
logging.getLogger("mail.log").setLevel(logging.CRITICAL)
logging.getLogger("asyncio").setLevel(logging.CRITICAL)


class TestCA:
    """A private CA and certificates for 127.0.0.1 / localhost (good),
    for another name (wrong_host), and one signed by nobody we trust."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="safemail-ca-")
        d = self.dir
        self.ca = os.path.join(d, "ca.pem")
        self._run("req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                  "-subj", "/CN=safemail test CA", "-keyout",
                  os.path.join(d, "ca.key"), "-out", self.ca)
        self.good = self._leaf("good", "DNS:localhost,IP:127.0.0.1",
                               "/CN=localhost")
        self.wrong_host = self._leaf("wrong", "DNS:wrong.example",
                                     "/CN=wrong.example")
        self.untrusted = self._selfsigned("untrusted")
        self.client = self._leaf("client", "DNS:client.test", "/CN=client")

    def pin(self, which):
        """curl's sha256//BASE64 pin of a certificate's public key."""
        pub = subprocess.run(["openssl", "x509", "-in", which[0], "-noout",
                              "-pubkey"], check=True,
                             stdout=subprocess.PIPE).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"],
                             input=pub, check=True,
                             stdout=subprocess.PIPE).stdout
        import base64
        import hashlib
        return "sha256//" + base64.b64encode(
            hashlib.sha256(der).digest()).decode()

    def _run(self, *args):
        subprocess.run(["openssl"] + list(args), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _leaf(self, name, san, subj):
        d = self.dir
        key = os.path.join(d, name + ".key")
        csr = os.path.join(d, name + ".csr")
        crt = os.path.join(d, name + ".pem")
        ext = os.path.join(d, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\n" % san)
        self._run("req", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-nodes", "-subj", subj,
                  "-keyout", key, "-out", csr)
        self._run("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey",
                  os.path.join(d, "ca.key"), "-CAcreateserial", "-days", "2",
                  "-extfile", ext, "-out", crt)
        return (crt, key)

    def _selfsigned(self, name):
        d = self.dir
        key = os.path.join(d, name + ".key")
        crt = os.path.join(d, name + ".pem")
        self._run("req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                  "-subj", "/CN=localhost", "-addext",
                  "subjectAltName=DNS:localhost,IP:127.0.0.1",
                  "-keyout", key, "-out", crt)
        return (crt, key)

    def server_context(self, which):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*which)
        return ctx


class Transaction:
    def __init__(self, env):
        self.at = time.monotonic()  # when the message was taken
        self.mail_from = env.mail_from
        self.mail_options = list(env.mail_options)
        self.rcpt_tos = list(env.rcpt_tos)
        self.rcpt_options = [list(o) for o in env.rcpt_options]
        self.data = bytes(env.original_content or b"")

    def __repr__(self):
        return "<%s %r %r %r %r>" % (self.mail_from, self.mail_options,
                                     self.rcpt_tos, self.rcpt_options,
                                     self.data[:200])


class _Handler:
    def __init__(self, relay):
        self.relay = relay

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        self.relay.ehlo_names.append(hostname)
        r = self.relay
        out = [x for x in responses
               if not any(x[4:].upper().startswith(d) for d in r.ehlo_drop)]
        for extra in r.ehlo_add:
            out.insert(len(out) - 1, "250-" + extra)
        return out

    async def handle_DATA(self, server, session, envelope):
        refuse = self.relay.script.get("EOD")
        if refuse is not None:
            self.relay.refused.append(Transaction(envelope))
            return refuse  # a refused message is not held
        self.relay.transactions.append(Transaction(envelope))
        n = len(self.relay.transactions)
        return "250 2.0.0 Ok: queued as Q%05d" % n


class _ScriptedSMTP(SMTP):
    def __init__(self, handler, relay, **kw):
        super().__init__(handler, **kw)
        self.relay = relay
        self.raw = bytearray()
        relay.raw.append(self.raw)
        relay.sessions.append(self)
        self._greeted = False

    def data_received(self, data):
        self.raw += data
        super().data_received(data)

    async def push(self, status):
        if not self._greeted:
            self._greeted = True
            g = self.relay.script.get("greeting")
            if g is not None and g.startswith("delay:"):
                await asyncio.sleep(float(g[6:]))
                g = None
            if g == "drop":
                self.transport.close()
                return
            if g is not None:
                await super().push(g)
                if g[:1] in ("4", "5"):
                    self.transport.close()
                return
        await super().push(status)

    async def _scripted(self, verb, arg):
        s = self.relay.script
        rule = None
        if verb == "RCPT":
            for k, v in s.items():
                if k.startswith("RCPT:") and k[5:] in (arg or ""):
                    rule = v
        if rule is None:
            rule = s.get(verb)
        if rule is None:
            return False
        if rule.startswith("delay:"):
            await asyncio.sleep(float(rule[6:]))
            return False
        if rule == "drop":
            self.transport.close()
            return True
        if rule == "stall":
            await asyncio.sleep(3600)
            return True
        if rule in ("354-then-stall", "220-then-stall"):
            await super().push("354 End data with <CR><LF>.<CR><LF>"
                               if rule[0] == "3" else "220 2.0.0 go ahead")
            self.transport.pause_reading()
            await asyncio.sleep(3600)
            return True
        await super().push(rule)
        return True

    def _take_dsn(self, arg, keywords, record):
        """aiosmtpd knows no DSN: when the relay offers it, take the DSN
        parameters out of the command and keep them for the test."""
        if "DSN" not in self.relay.ehlo_add or not arg:
            return arg
        words = arg.split(" ")
        dsn = [w for w in words if w.upper().startswith(keywords)]
        record.append(dsn)
        return " ".join(w for w in words if w not in dsn)

    async def smtp_MAIL(self, arg):
        if not await self._scripted("MAIL", arg):
            await super().smtp_MAIL(self._take_dsn(
                arg, ("RET=", "ENVID="), self.relay.dsn_mail))

    async def smtp_RCPT(self, arg):
        if not await self._scripted("RCPT", arg):
            await super().smtp_RCPT(self._take_dsn(
                arg, ("NOTIFY=", "ORCPT="), self.relay.dsn_rcpt))

    async def smtp_DATA(self, arg):
        if not await self._scripted("DATA", arg):
            await super().smtp_DATA(arg)

    async def smtp_STARTTLS(self, arg):
        if not await self._scripted("STARTTLS", arg):
            await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg):
        if not await self._scripted("AUTH", arg):
            await super().smtp_AUTH(arg)


class _OAuthSMTP(_ScriptedSMTP):
    """AUTH XOAUTH2 (Google's and Microsoft's) and OAUTHBEARER (RFC
    7628): a bearer token from relay.valid_tokens for relay.oauth_user
    is accepted; any other is refused as Gmail does, with a 334 carrying
    the base64 JSON error, then 535 after the client's empty reply
    (XOAUTH2) or its \\x01 (OAUTHBEARER), as Dovecot does; the line the
    client sent after the challenge is kept in relay.oauth_answers (b""
    when it hung up instead)."""

    async def _oauth(self, mech, args):
        import base64
        import json
        relay = self.relay
        if len(args) > 1:
            blob = base64.b64decode(args[1])
        else:
            blob = await self.challenge_auth("")
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=False)
        fields = blob.split(b"\x01")
        user = token = None
        for f in fields:
            if f.startswith(b"user="):
                user = f[5:].decode()
            if f.startswith(b"n,a="):
                user = f[4:].rstrip(b",").decode()
            if f.startswith(b"auth=Bearer "):
                token = f[12:].decode()
        relay.oauth_seen.append((mech, user, token))
        if user == relay.oauth_user and token in relay.valid_tokens:
            return AuthResult(success=True, handled=False)
        err = base64.b64encode(json.dumps(
            {"status": "401", "schemes": "bearer",
             "scope": "https://mail.google.com/"}).encode()).decode()
        await self.push("334 " + err)
        relay.oauth_answers.append(await self._reader.readline())
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Username and Password not "
                          "accepted")

    async def auth_XOAUTH2(self, _, args):
        return await self._oauth("XOAUTH2", args)

    async def auth_OAUTHBEARER(self, _, args):
        return await self._oauth("OAUTHBEARER", args)


class Relay:
    """tls: None, "starttls" or "implicit"; cert: a TestCA pair;
    auth: (user, password) to require AUTH; oauth: (user, [tokens]) to
    offer XOAUTH2 and OAUTHBEARER (valid_tokens may be changed later);
    ehlo_drop / ehlo_add: EHLO keywords to hide or add (e.g. "STARTTLS",
    "AUTH"; "DSN")."""

    def __init__(self, tls=None, cert=None, auth=None, script=None,
                 ehlo_drop=(), ehlo_add=(), auth_require_tls=True,
                 client_ca=None, smtputf8=False, auth_line_limit=None,
                 oauth=None):
        self.script = dict(script or {})
        self.oauth_user, self.valid_tokens = oauth or (None, [])
        self.oauth_seen = []
        self.oauth_answers = []
        self.auth_line_limit = auth_line_limit
        self.ehlo_drop = [d.upper() for d in ehlo_drop]
        self.ehlo_add = list(ehlo_add)
        self.transactions = []
        self.sessions = []
        self.refused = []
        self.raw = []
        self.ehlo_names = []
        self.auth_seen = []
        self.dsn_mail = []
        self.dsn_rcpt = []
        self._loop = asyncio.new_event_loop()
        handler = _Handler(self)
        ctx = None
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*cert)
            if client_ca is not None:
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(client_ca)
        kw = {"hostname": "relay.test", "ident": "test relay",
              "enable_SMTPUTF8": smtputf8}
        if tls == "starttls":
            kw["tls_context"] = ctx
        if auth is not None:
            def authenticator(server, session, envelope, mechanism, data):
                self.auth_seen.append(mechanism)
                ok = (data.login.decode(), data.password.decode()) == auth
                return AuthResult(success=ok, handled=False)
            kw["authenticator"] = authenticator
            kw["auth_require_tls"] = auth_require_tls
        elif oauth is not None:
            kw["auth_require_tls"] = auth_require_tls
        else:
            kw["auth_require_tls"] = False

        # AUTH lines as long as an OAuth2 token or a long secret: the
        # reader's limit is the class's line_length_limit
        base = _OAuthSMTP if oauth is not None else _ScriptedSMTP
        cls = base if not auth_line_limit else type(
            "_LongLineSMTP", (base,),
            {"line_length_limit": auth_line_limit})

        def factory():
            return cls(handler, self, loop=self._loop, **kw)

        async def start():
            return await self._loop.create_server(
                factory, "127.0.0.1", 0,
                ssl=ctx if tls == "implicit" else None)

        self._server = self._loop.run_until_complete(start())
        self.port = self._server.sockets[0].getsockname()[1]
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        daemon=True)
        self._thread.start()

    def stop(self):
        def _stop():
            self._server.close()
            self._loop.stop()
        self._loop.call_soon_threadsafe(_stop)
        self._thread.join(5)

    def hang_up(self, text="421 4.4.2 idle too long"):
        """Say text on every open connection and close it, as a relay
        does with an idle client."""
        def _hang_up():
            for s in self.sessions:
                if s.transport is not None and not s.transport.is_closing():
                    s.transport.write((text + "\r\n").encode())
                    s.transport.close()
        self._loop.call_soon_threadsafe(_hang_up)

    def wire(self):
        """Every byte every connection sent, joined."""
        return b"".join(bytes(r) for r in self.raw)


def closed_port():
    """A loopback port nobody listens on."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
