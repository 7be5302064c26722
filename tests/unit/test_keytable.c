/* test_keytable.c - the key table (src/lib/confkeys.c) and safemail.ini(5)
 * cannot drift: every key the page documents in a section is in the
 * table with that section, and every key of the table is documented
 * with its type (yes | no, its exact choices, an address, a path) and
 * its bounds (numbers "MIN to MAX" or "up to MAX", durations in words,
 * texts "at most MAX bytes"). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confpriv.h"
#include "tap.h"

static char *page;

/* the page's text, whole */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL)
		return NULL;
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
	}
	(void)fclose(f);
	return buf;
}

/* The ".It Cm NAME No = ..." line of a key, or NULL */
static const char *
item(const char *name)
{
	char want[96];
	const char *p = page;

	(void)snprintf(want, sizeof(want), "\n.It Cm %s No = ", name);
	p = strstr(p, want);
	return p != NULL ? p + 1 : NULL;
}

/* The entry's text: from its .It line to the next .It, .El or .Ss; an
 * item with no text of its own shares the next one's (".It a / .It b /
 * text"), as mdoc shows it */
static char *
entry(const char *it)
{
	const char *end = it;
	char *out;
	size_t n;

	for (;;) {
		const char *nl = strchr(end, '\n');
		const char *next;

		if (nl == NULL) {
			end += strlen(end);
			break;
		}
		next = nl + 1;
		if (strncmp(next, ".It ", 4) == 0 || strncmp(next, ".El", 3) == 0 ||
		    strncmp(next, ".Ss ", 4) == 0) {
			if (end == it && strncmp(next, ".It ", 4) == 0) {
				end = next; /* no text yet: the next item's */
				continue;
			}
			end = nl;
			break;
		}
		end = next;
	}
	n = (size_t)(end - it);
	out = malloc(n + 1);
	memcpy(out, it, n);
	out[n] = '\0';
	/* mdoc lines into one text, case folded */
	for (size_t i = 0; i < n; i++)
		out[i] = out[i] == '\n' ? ' ' : (char)tolower((unsigned char)out[i]);
	return out;
}

/* The section the item is in: the last .Ss before it */
static enum section
section_of(const char *it)
{
	static const struct {
		const char *ss;
		enum section sec;
	} ss[] = {{".Ss The [mail] section", SEC_MAIL},
	    {".Ss The [smtp] section", SEC_SMTP},
	    {".Ss The [queue] section", SEC_QUEUE},
	    {".Ss The [limits] section", SEC_LIMITS},
	    {".Ss The [gate] section", SEC_GATE}};
	enum section found = SEC_NONE;
	const char *best = NULL;

	for (size_t i = 0; i < sizeof(ss) / sizeof(*ss); i++) {
		const char *p = page, *q;

		while ((q = strstr(p, ss[i].ss)) != NULL && q < it) {
			if (best == NULL || q > best) {
				best = q;
				found = ss[i].sec;
			}
			p = q + 1;
		}
	}
	/* a later .Ss (OAuth2, relay sections) without keys of its own
	 * does not count: keys are documented in their section's list */
	return found;
}

static bool
has(const char *text, const char *what)
{
	return strstr(text, what) != NULL;
}

/* 2592000 -> "30 days", 1 -> "1 second" */
static void
words(unsigned long long s, char *out, size_t sz)
{
	static const struct {
		unsigned long long secs;
		const char *unit;
	} u[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};

	for (size_t i = 0; i < sizeof(u) / sizeof(*u); i++)
		if (s % u[i].secs == 0) {
			(void)snprintf(out, sz, "%llu %s%s", s / u[i].secs, u[i].unit,
			    s / u[i].secs == 1 ? "" : "s");
			return;
		}
}

static void
check_key(const struct conf_key *k)
{
	const char *it = item(k->name);
	char *text, line[512], want[256];
	const char *nl;

	ok(it != NULL, "%s: documented as .It Cm %s No = ...", k->name,
	    k->name);
	if (it == NULL)
		return;
	nl = strchr(it, '\n');
	(void)snprintf(line, sizeof(line), "%.*s",
	    (int)(nl != NULL ? nl - it : (long)strlen(it)), it);
	ok(section_of(it) == k->sec, "  %s: in the section of the table (%s)",
	    k->name, conf_section_names[k->sec]);
	text = entry(it);
	switch (k->type) {
	case KT_BOOL:
		ok(has(line, "No = Cm yes | no"), "  %s: yes | no", k->name);
		break;
	case KT_ENUM:
	case KT_FLAG: {
		size_t o = 0;

		o += (size_t)snprintf(want, sizeof(want), "No = Cm ");
		for (size_t i = 0; k->choices[i] != NULL; i++)
			o += (size_t)snprintf(want + o, sizeof(want) - o, "%s%s",
			    i > 0 ? " | " : "", k->choices[i]);
		ok(strstr(line, want) != NULL &&
			strlen(strstr(line, want)) == strlen(want),
		    "  %s: exactly the choices of the table (%s)", k->name,
		    want + 8);
		break;
	}
	case KT_UINT:
	case KT_ULONG:
	case KT_ULLONG:
		if (k->min == 0) {
			char alt[64];

			(void)snprintf(want, sizeof(want), "0 to %llu", k->max);
			(void)snprintf(alt, sizeof(alt), "up to %llu", k->max);
			ok(has(text, want) || has(text, alt),
			    "  %s: bounds %s", k->name, want);
		} else {
			(void)snprintf(want, sizeof(want), "%llu to %llu", k->min,
			    k->max);
			ok(has(text, want), "  %s: bounds %s", k->name, want);
		}
		break;
	case KT_DURATION: {
		char lo[48], hi[48];

		words(k->min, lo, sizeof(lo));
		words(k->max, hi, sizeof(hi));
		(void)snprintf(want, sizeof(want), "%s to %s", lo, hi);
		ok(has(line, "Ar duration") && has(text, want),
		    "  %s: a duration, bounds %s", k->name, want);
		break;
	}
	case KT_ADDRESS:
		ok(has(line, "No = Ar address"), "  %s: an address", k->name);
		break;
	case KT_PATH:
		ok(has(line, "No = Ar path"), "  %s: a path", k->name);
		break;
	case KT_SECRET:
	case KT_TEXT:
	case KT_TEXT_SP:
		(void)snprintf(want, sizeof(want), "at most %llu bytes", k->max);
		ok(has(text, want), "  %s: %s", k->name, want);
		break;
	case KT_CUSTOM:
		ok(k->parse != NULL, "  %s: a parser of its own", k->name);
		break;
	}
	free(text);
}

int
main(void)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	size_t documented = 0;

	(void)snprintf(path, sizeof(path), "%s/man/safemail.ini.5",
	    top != NULL ? top : ".");
	page = slurp(path);
	ok(page != NULL, "read %s", path);
	if (page == NULL)
		return done_testing();
	for (int id = 0; id < K_COUNT; id++)
		check_key(&conf_keys[id]);
	/* and the other way: each key the page lists is a key of the table */
	for (const char *p = page; (p = strstr(p, "\n.It Cm ")) != NULL; p++) {
		char name[64];
		size_t n = 0;
		bool known = false;
		const char *q = p + 8;

		while (q[n] != '\0' && q[n] != ' ' && q[n] != '\n' &&
		    n < sizeof(name) - 1)
			n++;
		if (strncmp(q + n, " No = ", 6) != 0)
			continue; /* a section name, an action: not a key */
		memcpy(name, q, n);
		name[n] = '\0';
		documented++;
		for (int id = 0; id < K_COUNT; id++)
			known |= strcmp(conf_keys[id].name, name) == 0;
		ok(known, "the page's %s is a key of the table", name);
	}
	ok(documented == K_COUNT, "the page documents %zu keys, the table has "
				  "%d", documented, K_COUNT);
	free(page);
	return done_testing();
}
