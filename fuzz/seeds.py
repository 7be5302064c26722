"""seeds - write the seed corpus of each fuzz target into DIR/<target>/:
every row of ../shared/corpus/payloads.tsv where it fits (argv rows for
the command line, sender rows for addresses and MAIL FROM, header and body
rows for the message pipeline), plus a valid example of each input.
Usage: seeds.py TOP_SRCDIR DIR"""
import hashlib
import os
import sys

top, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(top, "tests", "integ"))
import smtest  # noqa: E402


def put(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


MSG = (b"From: Shop <shop@store.example.com>\nTo: a@example.org, root\n"
       b"Cc: \"B, x\" <b@example.org>\nBcc: c@example.org\n"
       b"Subject: =?UTF-8?Q?caf=C3=A9?=\n\n.line\r\nbody\n")
for row in smtest.corpus_rows() or []:
    v = smtest.unescape(row["value"])
    if row["kind"] == "argv":
        put("fuzz_argv", v)
    elif row["kind"] in ("sender", "fullname"):
        put("fuzz_addr", v)
        put("fuzz_bs", b"\x05EHLO c\r\nMAIL FROM:<" + v + b">\r\nQUIT\r\n")
    elif row["kind"] == "header":
        put("fuzz_msg", b"From: a@x.org\n" + v + b"\nSubject: s\n\nbody\n")
        put("fuzz_addr", v.split(b":", 1)[-1])
    elif row["kind"] == "body":
        put("fuzz_msg", v)
put("fuzz_argv", b"-t\0-i\0-fshop@store.example.com\0--\0a@example.org")
put("fuzz_addr", b"Name <a@example.org>, group: b@x.org, (c) root;")
put("fuzz_msg", MSG)
with open(os.path.join(top, "examples", "safemail.ini"), "rb") as f:
    put("fuzz_conf", f.read())
put("fuzz_conf", b"[smtp]\nhost = relay.example\nport = 587\nssl = tls\n"
    b"auth = plain\nusername = u\npassword = p ; c\n[queue]\n"
    b"retry = 1m 5m\n[aliases]\nroot = a@x.org, b\n")
put("fuzz_bs", b"\x03EHLO c\r\nMAIL FROM:<a@x.org> SIZE=10\r\n"
    b"RCPT TO:<b@x.org>\r\nDATA\r\nSubject: x\r\n\r\n..dot\r\nbare\n.\n"
    b"x\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n")
put("fuzz_spoolfmt", b"safemail-spool 1\nid 0123456789AB\ncreated 1\n"
    b"uid 33\nsender a@x.org\nsize 10\nattempts 1\nnext 5\n"
    b"flags 8bit,held\nnotify SUCCESS\nret HDRS\nenvid x+2B\n"
    b"error 451 later\nrcpt pending b@x.org\nrcpt sent c@x.org\n"
    b"rcpt failed d@x.org 550 no\nend\n")
put("fuzz_spoolfmt", b"Qvd12126.016860")
put("fuzz_spoolfmt", b"Sx-0.000000")
put("fuzz_smtpc", b"\x01250 ok\r\n250-a\r\n250 b\r\n250 ok\r\n354 go\r\n"
    b"250 2.0.0 queued\r\n")
put("fuzz_smtpc", b"\x00553 5.1.8 no\r\n")
# fuzz_gatecheck: a first byte choosing the uid (1: 33), then a message
TRACED = (b"Received: by web1 (safemail, from userid 33)\r\n\tid "
          b"0123456789AB; Mon, 7 Dec 2026 03:00:00 +0000\r\n")
put("fuzz_gatecheck", b"\x01" + TRACED + b"From: a@x.org\r\nSubject: s\r\n"
    b"\r\n.line\r\nbody\r\n")
put("fuzz_gatecheck", b"\x01" + TRACED + b"Received: by web1 (safemail, "
    b"from userid 0)\r\n\r\nx\r\n")
put("fuzz_gatecheck", b"\x01" + TRACED + b"\r\na\r.\r\nb\n\x00\r\n")
# fuzz_oauth2: a first byte choosing the HTTP status (0: 200, 2: 401)
put("fuzz_oauth2", b"\x00{\"token_type\":\"Bearer\",\"expires_in\":3599,"
    b"\"access_token\":\"eyJ0.a-b_c.d\"}")
put("fuzz_oauth2", b"\x02{\"error\":\"invalid_client\",\"error_description\":"
    b"\"AADSTS7000215: Invalid client secret\\r\\nTrace ID: 1\"}")
put("fuzz_oauth2", b"\x00safemail-oauth2 1\nexpires 5000\ntoken eyJ.t\n")
