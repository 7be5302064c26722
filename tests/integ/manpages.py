"""manpages - mandoc -Tlint is silent on both pages, and every option and
configuration key is documented."""
# debian: bsd-mailx
import os
import re
import subprocess
import smtest

t = smtest.Tap()
man = os.path.join(smtest.TOP_SRCDIR, "man")
src = os.path.join(smtest.TOP_SRCDIR, "src")
mandoc = os.environ.get("MANDOC") or "/usr/bin/mandoc"
if not os.path.exists(mandoc):
    t.skip_all("mandoc is not installed")

pages = {}
for page in ("safemail.8", "safemail.ini.5"):
    path = os.path.join(man, page)
    # From man/, so that mandoc finds the pages that refer to each other.
    p = subprocess.run([mandoc, "-Tlint", "-W", "all", page], cwd=man,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    t.ok(p.returncode == 0 and p.stdout == b"",
         "mandoc -Tlint %s reports nothing" % page, p.stdout.decode())
    with open(path) as f:
        pages[page] = f.read()

# Every key of conf.c's table, and the three sections.
with open(os.path.join(src, "lib", "confkeys.c")) as f:
    conf_c = f.read()
keys = re.findall(r'\[K_[A-Z0-9_]+\] =\s*[A-Z]+\("([a-z0-9_]+)"', conf_c)
t.ok(len(keys) >= 18, "found the key table (%d keys)" % len(keys))
for k in keys + ["mail", "smtp", "aliases"]:
    t.ok(re.search(r"^\.It Cm %s\b" % re.escape(k), pages["safemail.ini.5"],
                   re.M) is not None,
         "safemail.ini.5 documents %s" % k)

# Every option letter argv.c knows (accepted, ignored or refused).
OPTIONS = ["t", "i", "v", "n", "m", "U", "G", "f", "r", "F", "B", "N", "R",
           "V", "h", "L", "o", "b", "q", "C", "X", "D", "d", "O", "M", "A",
           "Q", "p"]
for o in OPTIONS:
    t.ok(re.search(r"^\.It .*Fl (\\&)?%s" % o, pages["safemail.8"], re.M)
         is not None, "safemail.8 documents -%s" % o)
for word in ("EXIT STATUS", "SECURITY", "DIAGNOSTICS", "FILES",
             "ENVIRONMENT"):
    t.ok(".Sh " + word in pages["safemail.8"],
         "safemail.8 has a %s section" % word)
for code in ("64", "65", "67", "69", "70", "71", "74", "77", "78"):
    t.ok(re.search(r"^\.It %s\b" % code, pages["safemail.8"], re.M)
         is not None, "exit status %s documented" % code)
t.done()
