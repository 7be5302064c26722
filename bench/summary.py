"""summary - issue 7's and issue 27's targets from the output of
bench/run.sh (sync.sh, queue.sh and rss.sh, in one file): one table each,
measured against the goal. Issue 7's "warm" is now the submission
service's warm call, its "cold" the set-ID path (no service).
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
            if cells[0] not in ("program", "run", "row") and \
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


# "warm": through the service, back to back: the relay client the
# previous round left sends; "cold": the set-ID path (no service), every
# call starts the gate and loads libcurl
COLD = "safemail, set-ID path (no service)"
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
for label, name in (("warm", "safemail -odq, service"),
                    ("cold", "safemail -odq, set-ID path")):
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


# ---- issue 27: the submission service ----
def per_round(title):
    """(row, reference) -> the median of per-round ratios printed under
    'per-round ratios, TITLE'"""
    out = {}
    for name, cells in section("per-round ratios, " + title).items():
        for c in cells:
            try:
                out[(name, c[0])] = float(c[1])
            except (IndexError, ValueError):
                pass
    return out


rows = []
plain_r = per_round("plain 1 KiB")
tls_r = per_round("STARTTLS 1 KiB")
m = re.search(r"^per-round ratios, (after [0-9.]+ s idle, 1 KiB)", text,
              re.M)
idle_title = m.group(1) if m else "after"
idle_r = per_round(idle_title)
idle_row = "safemail, service, %s" % idle_title.split(",")[0]
async_r = per_round("async submission")
WARM = "safemail, service, warm"
ACT = "safemail, service, socket activation"


def goal(label, table, row, ref, limit):
    v = table.get((row, ref))
    add(label, fmt(v), "<= %gx" % limit if limit else "(none)",
        le(v, limit) if limit else None)


for path, table, curl in (("plain", plain_r, "curlsend (libcurl)"),
                          ("STARTTLS", tls_r, "curlsend, CA file")):
    goal("sync %s, warm vs curlsend" % path, table, WARM, curl, 1.0)
    goal("sync %s, warm vs msmtp" % path, table, WARM, "msmtp", 0.1)
    if path == "plain":
        goal("sync plain, %s vs curlsend" % idle_title.split(",")[0],
             idle_r, idle_row, "curlsend (libcurl)", 1.0)
        goal("sync plain, %s vs msmtp" % idle_title.split(",")[0], idle_r,
             idle_row, "msmtp", 0.1)
    else:
        goal("sync STARTTLS, %s vs curlsend" % idle_title.split(",")[0],
             idle_r, idle_row + ", STARTTLS", "curlsend, CA file, STARTTLS",
             1.0)
        goal("sync STARTTLS, %s vs msmtp" % idle_title.split(",")[0],
             idle_r, idle_row + ", STARTTLS", "msmtp, STARTTLS", 0.1)
    goal("sync %s, socket activation vs curlsend" % path, table, ACT, curl,
         1.5)
    goal("sync %s, socket activation vs msmtp (not a goal: the "
         "exception)" % path, table, ACT, "msmtp", None)
    goal("sync %s, set-ID path (fallback, cold) vs curlsend (no goal)" % path,
         table, COLD, curl, None)
goal("-odq through the service vs the spool-write floor", async_r,
     "safemail -odq, service", "spoolw (floor)", 1.2)
goal("-odq through the service vs spoolw -e (the format's 3 fsyncs)",
     async_r, "safemail -odq, service", "spoolw -e (message + envelope)",
     None)
par = section("100 callers at once")
for name in ("safemail, service", "curlsend (libcurl)", "msmtp"):
    try:
        c = par[name][0]
        add("100 callers from 10 uids: %s msg/s; p50 / p99 ms" % name,
            "%s; %s / %s" % (c[0].split()[0], c[1], c[2]), "(report)", None)
    except (KeyError, IndexError):
        pass
burst = section("per-burst ratios, 100 callers")
for ref in ("curlsend (libcurl)", "msmtp"):
    try:
        v = float(burst["safemail, service"][[c[0] for c in burst[
            "safemail, service"]].index(ref)][1])
    except (KeyError, ValueError, IndexError):
        v = None
    add("100 callers: safemail's msg/s over %s's" % ref, fmt(v),
        "(report)", None)
print("\nissue 27 targets, this run")
print("| target | measured | goal | met |")
print("|---|---|---|---|")
for row in rows:
    print("| %s | %s | %s | %s |" % row)
