"""corpus - every row of ../shared/corpus/payloads.tsv through the real
binary.

argv rows run with -bv prepended (unless they choose their own -b mode);
rows that give -f run under each of the three Set Return Path policies.
Body, header and fullname rows are delivered to the scripted relay, which
must see exactly one clean message (or none, when refused). Sender rows
holding a NUL byte cannot come through execve and belong to the -bs
dialogue (issue 5)."""
import email
import email.policy

import smtest
import smtprelay

MSG = (b"From: shop@store.example.com\nTo: customer@example.org\n"
       b"Subject: corpus\n\nbody\n")
POLICY_SENDER = {"no": "shop@store.example.com",
                 "specified": "bounce@store.example.com"}

t = smtest.Tap()
rows = smtest.corpus_rows()
if rows is None:
    t.skip_all("../shared/corpus/payloads.tsv not found")


def gives_sender(args):
    return any(a.startswith(b"-f") or a.startswith(b"-r") for a in args)


def expected_rcpts(args):
    """The recipients a user expects: operands (aliases applied) and, with
    -t, the To: of MSG."""
    rcpts = []
    i = 0
    with_values = b"frFBNRVLh"
    while i < len(args):
        a = args[i]
        if a == b"--":
            i += 1
            break
        if not a.startswith(b"-") or a == b"-":
            break
        if a[1:2] in [bytes([c]) for c in with_values] and len(a) == 2:
            i += 1
        i += 1
    header = any(a.startswith(b"-") and not a.startswith(b"--") and
                 b"t" in a[1:] and a[1:2] in b"tivnmUG" for a in args[:i])
    for op in args[i:]:
        for r in op.decode().split(","):
            rcpts.append("admin@example.com" if r == "root" else r)
    if header:
        rcpts.append("customer@example.org")
    return rcpts


def sender_value(args):
    for i, a in enumerate(args):
        if a[:2] in (b"-f", b"-r"):
            return (a[2:] or args[i + 1]).decode()
    return None


def injected(v):
    """What safemail refuses whatever the policy (man page, -f): a leading
    '-', whitespace, control bytes, a ';'. Quotes and other shell
    characters are refused under yes only (issue 15)."""
    return v.startswith("-") or any(
        ord(c) <= 32 or ord(c) == 127 or c == ";" for c in v)


def clean(data):
    """Every line ends in CRLF; no bare CR or LF, no NUL, none over 998."""
    if not data.endswith(b"\r\n") or b"\0" in data:
        return False
    return all(b"\r" not in l and b"\n" not in l and len(l) <= 998
               for l in data[:-2].split(b"\r\n"))


def deliver(args, stdin, extra_mail=""):
    relay = smtprelay.Relay()
    env = smtest.Env(smtest.relay_config(relay.port, mail=extra_mail))
    r = env.run(args, stdin=stdin)
    relay.stop()
    return relay, r


def check_delivered(relay, r, what, sender="shop@store.example.com",
                    rcpts=("customer@example.org",)):
    """Exactly one clean message with the policy's envelope."""
    tx = relay.transactions
    t.ok(r.rc == 0 and len(tx) == 1 and r.err == "",
         what + ": delivered, exactly one message", r)
    if len(tx) != 1:
        return None
    t.ok(clean(tx[0].data), what + ": clean bytes at the relay", tx[0].data)
    t.ok(tx[0].mail_from == sender and tx[0].rcpt_tos == list(rcpts),
         what + ": the envelope as the policy decided", tx[0])
    return tx[0]


def check_not_sent(relay, r, what):
    t.ok(r.rc != 0 and relay.transactions == [] and
         b"MAIL FROM" not in relay.wire(),
         what + ": refused, nothing reached the relay", r)
    t.ok(len(r.err.splitlines()) == 1 and any("uid=" in l for l in r.logs),
         what + ": one line on stderr, logged with the uid", r)


def check_refused(r, what):
    t.ok(r.rc != 0, what + ": refused with a non-zero exit", r)
    t.ok("RCPT TO" not in r.out, what + ": no envelope printed", r)
    lines = r.err.splitlines()
    t.ok(len(lines) == 1 and lines[0].startswith("safemail: "),
         what + ": one line on stderr", r)
    t.ok(any("uid=" in l and "user=" in l and "ppid=" in l and
             "parent=" in l for l in r.logs),
         what + ": logged with the caller's uid, user and parent", r)


for row in rows:
    rid, kind, exp = row["id"], row["kind"], row["expected"]
    value = smtest.unescape(row["value"])
    if kind == "argv":
        args = value.split(b"\0")
        own_mode = any(a.startswith(b"-b") for a in args)
        full = args if own_mode else [b"-bv"] + args
        policies = ["no", "yes", "specified"] if gives_sender(args) else ["no"]
        for pol in policies:
            env = smtest.Env(smtest.config_text(pol))
            r = env.run([a.decode("utf-8", "surrogateescape") for a in full],
                        stdin=MSG)
            what = "%s [%s] %s" % (rid, pol, row["source"][:50])
            if exp == "refuse":
                check_refused(r, what)
                continue
            t.ok(r.rc == 0, what + ": accepted", r)
            if own_mode:
                t.ok(r.out == "Mail queue is empty\n", what + ": output", r)
                continue
            f = sender_value(args)
            if pol == "yes":
                sender = f if f is not None else "shop@store.example.com"
            else:
                sender = POLICY_SENDER[pol]
            want = smtest.envelope(sender, *expected_rcpts(args))
            t.ok(r.out == want, what + ": envelope", "want %r\n%r" % (want, r))
            if exp == "sanitize" and b"-L" in args:
                t.ok(any("ignored option -L" in l for l in r.logs),
                     what + ": the ignored -L is logged", r)
    elif kind == "sender":
        if b"\0" in value:
            # A NUL cannot pass execve: the way in is MAIL FROM in -bs.
            for pol in ("yes", "no", "specified"):
                relay = smtprelay.Relay()
                env = smtest.Env(smtest.relay_config(relay.port, pol))
                r = env.run(["-bs"], stdin=b"HELO c\r\nMAIL FROM:<" + value +
                            b">\r\nRCPT TO:<customer@example.org>\r\n"
                            b"DATA\r\nSubject: x\r\n\r\nx\r\n.\r\nQUIT\r\n")
                relay.stop()
                replies = [l[:3] for l in r.out.split("\r\n") if l]
                t.ok(len(replies) > 2 and replies[2] in ("500", "553") and
                     relay.transactions == [] and
                     any("refused: uid=" in l for l in r.logs),
                     "%s [%s] -bs MAIL FROM with a NUL: refused, logged, "
                     "nothing sent" % (rid, pol), r)
            continue
        v = value.decode("utf-8", "surrogateescape")
        for pol in ("yes", "no", "specified"):
            env = smtest.Env(smtest.config_text(pol))
            r = env.run(["-bv", "-f", v, "customer@example.org"])
            what = "%s [%s] -f %s" % (rid, pol, row["source"][:40])
            if injected(v):
                check_refused(r, what + " (marks of injection: every policy)")
                continue
            if pol != "yes":
                t.ok(r.rc == 0 and r.out == smtest.envelope(
                    POLICY_SENDER[pol], "customer@example.org"),
                    what + ": ignored, policy sender used", r)
                if exp == "refuse":
                    t.ok(any("ignored -f" in l and "uid=" in l
                             for l in r.logs),
                         what + ": the hostile -f is logged", r)
                continue
            if exp == "refuse":
                check_refused(r, what)
            elif exp == "accept":
                local, _, dom = v.partition("@")
                t.ok(r.rc == 0 and r.out == smtest.envelope(
                    local + "@" + dom.lower(), "customer@example.org"),
                    what + ": honoured", r)
            elif exp == "sanitize":
                if v == "<>":
                    t.ok(r.rc == 0 and r.out == smtest.envelope(
                        "shop@store.example.com", "customer@example.org"),
                        what + ": null sender -> default_sender", r)
                    env.write_config(smtest.config_text(
                        "yes", "allow_null_sender = yes"))
                    r = env.run(["-bv", "-f", v, "customer@example.org"])
                    t.ok(r.rc == 0 and r.out == smtest.envelope(
                        "", "customer@example.org"),
                        what + ": null sender with allow_null_sender", r)
                else:
                    t.ok(r.rc == 0 and r.out == smtest.envelope(
                        v.strip("<>"), "customer@example.org"),
                        what + ": brackets stripped", r)
            else:  # refuse|sanitize: refused, or clean ASCII
                t.ok(r.rc != 0 or (r.out.isascii() and
                                   r.out.startswith("MAIL FROM:<")),
                     what + ": refused or made ASCII", r)
    elif kind == "fullname":
        v = value.decode("utf-8", "surrogateescape")
        env = smtest.Env()
        r = env.run(["-bv", "-F", v, "customer@example.org"])
        what = "%s -F %s" % (rid, row["source"][:40])
        if exp == "refuse":
            check_refused(r, what)
        elif exp == "refuse|sanitize":
            t.ok(r.rc != 0 or r.out == smtest.envelope(
                "shop@store.example.com", "customer@example.org"),
                what + ": refused or accepted cleanly", r)
        else:
            t.ok(r.rc == 0 and r.out == smtest.envelope(
                "shop@store.example.com", "customer@example.org"),
                what + ": accepted", r)
        relay, r = deliver(["-F", v, "customer@example.org"],
                           b"Subject: corpus\n\nbody\n")
        if exp == "refuse" or (exp == "refuse|sanitize" and r.rc != 0):
            check_not_sent(relay, r, what + " delivered")
        else:
            tx = check_delivered(relay, r, what + " delivered")
            if tx is not None:
                frm = email.message_from_bytes(
                    tx.data, policy=email.policy.default)["From"]
                t.ok(frm.addresses[0].display_name == v and
                     frm.addresses[0].addr_spec == "shop@store.example.com",
                     what + ": the From: display name decodes back", frm)
    elif kind == "header":
        msg = (b"From: shop@store.example.com\nTo: customer@example.org\n" +
               value + b"\nSubject: corpus\n\nbody\n")
        env = smtest.Env()
        r = env.run(["-bv", "-t", "-i"], stdin=msg)
        what = "%s header %s" % (rid, row["source"][:40])
        ok_env = smtest.envelope("shop@store.example.com",
                                 "customer@example.org")
        if exp == "refuse":
            t.ok(r.rc != 0 and "RCPT" not in r.out, what + ": refused", r)
        elif exp == "refuse|sanitize":
            t.ok(r.rc != 0 or r.out == ok_env, what + ": refused or clean", r)
        else:
            t.ok(r.rc == 0 and r.out == ok_env, what + ": envelope", r)
        relay, r = deliver(["-t", "-i"], msg)
        if exp == "refuse" or (exp == "refuse|sanitize" and r.rc != 0):
            check_not_sent(relay, r, what + " delivered")
            continue
        tx = check_delivered(relay, r, what + " delivered")
        if tx is not None and value.startswith(b"NotAHeader"):
            t.ok(tx.data.split(b"\r\n\r\n", 1)[1].startswith(value),
                 what + ": the line starts the body, after an empty line",
                 tx.data)
    elif kind == "body":
        # Each body row as -t -i (the corpus's rule) and as -t alone.
        for args in (["-t", "-i"], ["-t"]):
            what = "%s %s %s" % (rid, " ".join(args), row["source"][:40])
            relay, r = deliver(args, value)
            if exp == "refuse" or (exp == "refuse|sanitize" and r.rc != 0):
                check_not_sent(relay, r, what)
                continue
            tx = check_delivered(relay, r, what)
            if tx is None:
                continue
            body = tx.data.split(b"\r\n\r\n", 1)[1]
            given = value.split(b"\r\n\r\n", 1)[1]
            want = given.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            if not want.endswith(b"\r\n"):
                want += b"\r\n"
            if "-i" not in args and b"\r\n.\r\n" in b"\r\n" + want:
                want = (b"\r\n" + want).split(b"\r\n.\r\n")[0][2:] + \
                    b"\r\n"
            if exp == "accept" or b"\r" not in given.replace(b"\r\n", b""):
                if max(len(l) for l in want.split(b"\r\n")) <= 998:
                    t.ok(body == want,
                         what + ": the body, line endings made CRLF", body)
    else:
        print("ok - %s # SKIP unknown kind %s" % (rid, kind))
        t.n += 1
t.done()
