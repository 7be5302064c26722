"""license - the tree's LICENSE is the ISC licence debian/copyright names,
with its copyright line and its text word for word, and make dist ships
it (issue 30, point 7)."""
# debian: make
import os
import re
import subprocess

import smtest

t = smtest.Tap()
TOP = os.path.abspath(smtest.TOP_SRCDIR)
BUILD = os.path.abspath(os.environ.get("top_builddir", "."))
ISC_GRANT = ("Permission to use, copy, modify, and/or distribute this "
             "software for any purpose with or without fee is hereby "
             "granted, provided that the above copyright notice and this "
             "permission notice appear in all copies.")
ISC_DISCLAIMER = ('THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS '
                  "ALL WARRANTIES WITH REGARD TO THIS SOFTWARE")


def words(text):
    return " ".join(text.split())


path = os.path.join(TOP, "LICENSE")
t.ok(os.path.isfile(path), "the tree has a top-level LICENSE", path)
lic = open(path).read() if os.path.isfile(path) else ""
t.ok(ISC_GRANT in words(lic) and ISC_DISCLAIMER in words(lic),
     "LICENSE is the ISC licence (its grant and its disclaimer)", lic[:400])

# debian/copyright (DEP-5): the licence of Files: *, its standalone
# "License: ISC" paragraph (lines indented by one space, " ." an empty
# line) and the copyright line. Not in a dist tarball, which has no
# debian/: there only the checks above and below run.
copyright_path = os.path.join(TOP, "debian", "copyright")
if os.path.isfile(copyright_path):
    dep5 = open(copyright_path).read()
    files = re.search(r"^Files: \*\n(?:\S.*\n)*", dep5, re.M)
    stanza = files.group(0) if files else ""
    holder = re.search(r"^Copyright: (.+)$", stanza, re.M)
    t.ok(re.search(r"^License: ISC$", stanza, re.M) is not None and holder,
         "debian/copyright: Files: * is ISC, with a copyright line", stanza)
    para = re.search(r"^License: ISC\n((?: .*\n?)+)", dep5[files.end():]
                     if files else dep5, re.M)
    text = ""
    if para:
        text = "\n".join("" if ln == " ." else ln[1:]
                         for ln in para.group(1).rstrip("\n").split("\n"))
    expect = "Copyright %s\n\n%s\n" % (holder.group(1) if holder else "?",
                                       text)
    t.ok(para is not None and lic == expect,
         "LICENSE is debian/copyright's copyright line and ISC text, "
         "exactly", "expected:\n%s\ngot:\n%s" % (expect, lic))

# make dist: DISTFILES (DIST_COMMON and EXTRA_DIST) of the configured tree
env = {k: v for k, v in os.environ.items()
       if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
p = subprocess.run(["make", "-s", "-C", BUILD, "-f", "Makefile", "-f", "-",
                    "safemail-print-distfiles"],
                   input="safemail-print-distfiles:\n"
                   "\t@printf '%s\\n' $(DISTFILES)\n",
                   capture_output=True, text=True, env=env)
dist = p.stdout.split()
t.ok(p.returncode == 0 and "LICENSE" in dist,
     "make dist ships LICENSE (in DISTFILES)",
     (p.returncode, p.stderr[-400:], dist[:20]))
t.done()
