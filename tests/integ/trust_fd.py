"""trust_fd - the back end sends and stores exactly the bytes it checked
(issue 26, point 1), on an installed copy with the real modes.

The web user speaks the gate's protocol itself (tests/integ/
attack_splice.c), keeps its descriptor of the sealed message memfd and
moves the file offset it would share with the back end back to the start
whenever a reader got past 100 000 octets. The gate and the relay client
read the message through open file descriptions of their own, at
explicit offsets, so that the relay receives, and the spool holds,
exactly the checked message: the attacker never even sees the offset
move."""
# debian: python3-aiosmtpd
import os
import socket
import time

import instcopy
import smtest

t = smtest.Tap()
c = instcopy.install(t)
HOST = socket.gethostname()

# A message the gate accepts (the trace field the front end writes, lines
# of CRLF), of 2 MB: many reads, time for the attacker to interleave.
head = (b"Received: by %s (safemail, from userid %d)\r\n"
        b"From: shop@store.example.com\r\nTo: r0@example.org\r\n"
        b"Subject: splice\r\n\r\n" % (HOST.encode(), c.WEB.pw_uid))
body = b"".join(b"line %07d of the checked message\r\n" % i
                for i in range(60000))
MSG = head + body
msgfile = os.path.join(c.W, "splice.eml")
with open(msgfile, "wb") as f:
    f.write(MSG)
os.chmod(msgfile, 0o644)
with open(os.path.join(smtest.TOP_SRCDIR, "tests", "integ",
                       "attack_splice.c")) as f:
    tool = c.compile_web_tool("attack_splice", f.read())


def attack(mode):
    rc, out, err = c.as_web([tool, c.GATE, mode, HOST, msgfile], timeout=120)
    words = out.decode().split()
    if rc != 0 or len(words) != 4:
        return None, None, (rc, out, err)
    return int(words[1]), int(words[3]), (rc, out, err)


# Sent now: the relay client reads the message.
sent = len(c.relay.transactions)
rewinds, code, diag = attack("S")
deadline = time.time() + 20
while len(c.relay.transactions) == sent and time.time() < deadline:
    time.sleep(0.1)
got = c.relay.transactions[sent:]
data = got[0].data if got else b""
t.ok(code == 0 and len(got) == 1,
     "send now: the attacker's message is delivered once (exit 0)",
     (diag, len(got)))
t.ok(data.replace(b"\r\n", b"\n") == MSG.replace(b"\r\n", b"\n"),
     "send now: the relay received exactly the checked message, though "
     "the attacker moved its shared offset (%d octets, relay got %d)"
     % (len(MSG), len(data)), (rewinds, data[:200]))
t.ok(rewinds == 0,
     "send now: the attacker never saw the back end's offset move "
     "(it reads through its own open file description)", rewinds)

# Queued: the gate copies the message into the spool.
q = os.path.join(c.SPOOL, "q")
before = set(os.listdir(q))
rewinds, code, diag = attack("Q")
new = sorted(n for n in set(os.listdir(q)) - before if n.endswith(".msg"))
stored = b""
if new:
    with open(os.path.join(q, new[0]), "rb") as f:
        stored = f.read()
t.ok(code == 0 and len(new) == 1, "queue: the attacker's message is queued "
     "(exit 0)", (diag, new))
t.ok(stored == MSG, "queue: the spool's copy is exactly the checked message "
     "(%d octets, stored %d)" % (len(MSG), len(stored)), rewinds)
t.ok(rewinds == 0, "queue: the attacker never saw the gate's offset move",
     rewinds)
t.done()
