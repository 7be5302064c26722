"""srcban - functions that invite overflows or shell injection do not
appear in src/ (STYLE.md: the curl checksrc list)."""
import os
import re
import smtest

t = smtest.Tap()
BANNED = ["strcpy", "strcat", "sprintf", "vsprintf", "gets", "strtok",
          "atoi", "atol", "sscanf", "system", "popen", "strncpy", "alloca"]
src = os.path.join(smtest.TOP_SRCDIR, "src")
for name in sorted(os.path.relpath(os.path.join(d, n), src)
                   for d, _, ns in os.walk(src) for n in ns):
    if not name.endswith((".c", ".h")):
        continue
    with open(os.path.join(src, name)) as f:
        text = f.read()
    # Drop comments and string literals before looking for calls.
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    found = [b for b in BANNED if re.search(r"\b%s\s*\(" % b, text)]
    t.ok(not found, "%s uses none of the banned functions" % name,
         ", ".join(found))
t.done()
