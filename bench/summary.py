"""summary - issue 7's targets from the output of bench/run.sh (sync.sh,
queue.sh and rss.sh, in one file): one table, measured against the goal.
Usage: summary.py OUTPUT"""
import re
import sys

text = open(sys.argv[1], encoding="utf-8", errors="replace").read()


def section(title):
    """The table rows after the first line starting with title."""
    rows, on = {}, False
    for line in text.splitlines():
        if line.startswith(title):
            on = True
            continue
        if on and line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0] not in ("program", "run") and \
                    not cells[0].startswith("---"):
                rows.setdefault(cells[0], []).append(cells[1:])
        elif on and rows:
            break
    return rows


def ratio_to(rows, name):
    """safemail's time over name's: the inverse of name's 'x safemail'."""
    try:
        return 1.0 / float(rows[name][0][-1])
    except (KeyError, ValueError, ZeroDivisionError):
        return None


def floor_ratio(rows, name):
    try:
        return float(rows[name][0][-2])
    except (KeyError, ValueError):
        return None


def median_ratio(rows, a, b):
    """a's median time over b's (for rows that are not the first
    safemail row, which the 'x safemail' column is relative to)."""
    try:
        return float(rows[a][0][0].split()[0]) / float(
            rows[b][0][0].split()[0])
    except (KeyError, ValueError, ZeroDivisionError, IndexError):
        return None


def number(pattern):
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None


plain = section("plain 1 KiB")
tls = section("STARTTLS 1 KiB")
async_ = section("async submission")
refused = section("refused invocation")
enqueue = section("Enqueue latency")
flush = section("Flushing 1000")
rows = []


def add(target, value, goal, met):
    rows.append((target, value, goal,
                 "?" if met is None else ("yes" if met else "no")))


def le(v, limit):
    return None if v is None else v <= limit


def fmt(v, unit="x"):
    return "n/a" if v is None else "%.2f%s" % (v, unit)


# "warm": the default (linger): the relay client the previous round left
# sends; "cold": linger = 0, every call loads libcurl (the first call
# after an idle spell)
COLD = "safemail, linger = 0"
for target, rows_of, ref, limit in (
        ("1. sync plain vs minimal libcurl sender", plain,
         "curlsend (libcurl)", 1.1),
        ("1. sync plain vs msmtp", plain, "msmtp", 0.2),
        ("2. STARTTLS vs libcurl sender (CA dir)", tls, "curlsend, CApath",
         1.1),
        ("2. STARTTLS vs msmtp", tls, "msmtp", 0.2)):
    for label, r in (("warm", ratio_to(rows_of, ref)),
                     ("cold", median_ratio(rows_of, COLD, ref))):
        add("%s, %s" % (target, label), fmt(r), "<= %gx" % limit,
            le(r, limit))
for label, name in (("warm", "safemail -odq"),
                    ("cold", "safemail -odq, linger = 0")):
    r = floor_ratio(async_, name)
    add("3. async vs write+fsync+rename floor, %s" % label, fmt(r),
        "<= 1.5x", le(r, 1.5))
for peer in ("dma", "postfix"):
    try:
        v = float(enqueue[peer][0][-1])  # the peer's time / safemail's
    except (KeyError, ValueError):
        v = None
    add("3. enqueue: %s's time / safemail's" % peer, fmt(v), "> 1x",
        None if v is None else v > 1.0)
try:
    rates = [float(x[1]) for x in flush["safemail"]]
    conns = [int(x[2]) for x in flush["safemail"]]
    add("4. flush 1000: msg/s (slowest round)", "%d" % min(rates),
        ">= 3000", min(rates) >= 3000)
    add("4. flush 1000: relay connections", "%d" % max(conns), "<= 8",
        max(conns) <= 8)
except (KeyError, ValueError):
    add("4. flush 1000", "n/a", ">= 3000 msg/s, <= 8 connections", None)
r = number(r"50 MiB: safemail / curlsend time, median of rounds: ([0-9.]+)")
add("5. 50 MiB vs libcurl sender", fmt(r), "<= 1.3x", le(r, 1.3))
d = number(r"difference: (-?[0-9.]+) MiB")
add("5. peak RSS, 50 MiB minus 1 KiB", fmt(d, " MiB"), "<= 2 MiB",
    None if d is None else abs(d) <= 2)
r = floor_ratio(refused, "safemail -X")
add("6. refused call vs a process start", fmt(r), "~1x (<= 1.1x)",
    le(r, 1.1))

print("\nissue 7 targets, this run")
print("| target | measured | goal | met |")
print("|---|---|---|---|")
for row in rows:
    print("| %s | %s | %s | %s |" % row)
