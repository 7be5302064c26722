"""tokenserver - a scripted OAuth2 token endpoint (RFC 6749 section 5) over
HTTPS with the test CA, on 127.0.0.1 on a port of its own, in a thread of
the test.

It records every request (the form fields, decoded) and answers by
script: "ok" issues the next token of `tokens` (expires_in from
`expires_in`), a (status, body) pair answers that, "stall" never answers.
"""
# debian: openssl
import http.server
import json
import ssl
import threading
import time
import urllib.parse


class TokenServer:
    def __init__(self, cert, tokens=("tok-1",), expires_in=3600):
        self.tokens = list(tokens)
        self.expires_in = expires_in
        self.script = []      # answers to give first, in order
        self.requests = []    # the decoded form of every request
        self.raw = []         # every request body as sent
        self.issued = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                server.raw.append(body)
                form = dict(urllib.parse.parse_qsl(body.decode()))
                form["_path"] = self.path
                form["_content_type"] = self.headers.get("Content-Type")
                server.requests.append(form)
                what = server.script.pop(0) if server.script else "ok"
                if what == "stall":
                    time.sleep(30)
                    return
                if what == "ok":
                    tok = server.tokens.pop(0) if len(server.tokens) > 1 \
                        else server.tokens[0]
                    server.issued.append(tok)
                    status, answer = 200, {"token_type": "Bearer",
                                           "expires_in": server.expires_in,
                                           "access_token": tok}
                else:
                    status, answer = what
                data = (answer if isinstance(answer, bytes)
                        else json.dumps(answer).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*cert)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = "https://127.0.0.1:%d/tenant/oauth2/v2.0/token" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
