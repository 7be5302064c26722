/* confpolicy.c - the policy the gate hands the front end (pure)
 *
 * The front end runs as the caller and cannot read /etc/safemail.ini, so
 * the gate sends it what it needs of it. That text is written here from
 * the parsed configuration, key by key, in one canonical form: it is never
 * the file's lines, edited. Only the keys on the allow-list below and the
 * [aliases] travel: whatever else the file holds (the password, the OAuth2
 * secrets, the username, the relays, [queue], [limits], [smtp.NAME],
 * [relay_by_sender], a key added later) stays with the back end, however
 * it was written. The front end reads the text with conf_parse, as the
 * gate read the file; tests/unit/test_confpolicy.c checks that every value
 * comes back the same. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confpriv.h"
#include "limits.h"
#include "strbuf.h"
#include "text.h"

/* What src/front (and sender.c, which it calls) reads of struct conf,
 * grouped by section. Only keys of a type written below may be added. */
const enum key_id conf_policy_keys[] = {
	K_DISABLE,
	K_ASYNC,
	K_RETURN_PATH,
	K_RETURN_PATH_EMAIL,
	K_DEFAULT_SENDER,
	K_ALLOWED_SENDERS,
	K_DOMAIN,
	K_ALLOW_NULL_SENDER,
	K_MAX_RECIPIENTS,
	K_MAX_MESSAGE_SIZE,
	K_LONG_LINES,
	K_BS_IDLE_TIMEOUT,
	K_HEADER_FROM,
	K_HELO_NAME, /* [smtp]: the front end's name for this host */
};
const size_t conf_policy_nkeys =
    sizeof(conf_policy_keys) / sizeof(conf_policy_keys[0]);

/* A value inih hands back exactly as written after "key = ": no space at
 * either end (trimmed), no ';' first or after a space (a comment), no
 * control byte (refused), within the value limit. Every value the reader
 * accepts for the keys above is one; this is the check that says so. */
static bool
value_round_trips(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > CONF_VALUE_MAX || v[0] == ';' || v[0] == ' ' ||
	    v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch < 0x20 || ch == 0x7f)
			return false;
		if (ch == ';' && i > 0 && (v[i - 1] == ' ' || v[i - 1] == '\t'))
			return false;
	}
	return true;
}

/* An alias name read back as the same key: no delimiter, nothing that
 * makes the line a comment or a section, no space. */
static bool
key_round_trips(const char *k)
{
	if (k[0] == '\0' || strchr(";#[", k[0]) != NULL)
		return false;
	for (const char *p = k; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch <= 0x20 || ch == 0x7f || ch == '=' || ch == ':')
			return false;
	}
	return true;
}

struct policy_out {
	struct strbuf b;
	struct failure *f;
	bool failed;
};

static void
refuse(struct policy_out *o, const char *key)
{
	if (!o->failed)
		fail_set(o->f, FAIL_CONFIG, "%s: its value cannot be handed to "
					    "the front end as it is",
		    key);
	o->failed = true;
}

/* "key = value", or "key=value" where the spaces would pass the line
 * limit (a long [aliases] line: the value is never longer than the
 * file's, see alias_value). */
static void
put_line(struct policy_out *o, const char *key, const char *v)
{
	bool spaced;

	if (!key_round_trips(key) || !value_round_trips(v)) {
		refuse(o, key);
		return;
	}
	spaced = strlen(key) + strlen(v) + 3 <= CONF_LINE_MAX;
	strbuf_put(&o->b, key, strlen(key));
	strbuf_put(&o->b, spaced ? " = " : "=", spaced ? 3 : 1);
	strbuf_put(&o->b, v, strlen(v));
	strbuf_put(&o->b, "\n", 1);
}

/* allowed_senders: the patterns, as parse_patterns splits them again */
static void
patterns_value(const struct conf *c, struct strbuf *v)
{
	for (size_t i = 0; i < c->nallowed; i++) {
		if (i > 0)
			strbuf_put(v, ",", 1);
		strbuf_put(v, c->allowed_senders[i],
		    strlen(c->allowed_senders[i]));
	}
}

/* One key of the allow-list, from where the table says it is kept; an
 * empty text is left out (the default is empty). */
static void
put_key(struct policy_out *o, const struct conf *c, enum key_id id)
{
	const struct conf_key *k = &conf_keys[id];
	const char *at = (const char *)c + k->off;
	char num[32];
	struct strbuf list = {NULL, 0, 0, false};
	const char *v = NULL;

	switch (k->type) {
	case KT_BOOL:
		v = *(const bool *)(const void *)at ? "yes" : "no";
		break;
	case KT_FLAG:
		v = k->choices[*(const bool *)(const void *)at ? 1 : 0];
		break;
	case KT_ENUM:
		v = k->choices[*(const int *)(const void *)at];
		break;
	case KT_UINT:
		(void)snprintf(num, sizeof(num), "%u",
		    *(const unsigned *)(const void *)at);
		v = num;
		break;
	case KT_ULONG:
		(void)snprintf(num, sizeof(num), "%lu",
		    *(const unsigned long *)(const void *)at);
		v = num;
		break;
	case KT_ULLONG:
		(void)snprintf(num, sizeof(num), "%llu",
		    *(const unsigned long long *)(const void *)at);
		v = num;
		break;
	case KT_ADDRESS:
		v = at;
		break;
	case KT_CUSTOM:
		if (id == K_DOMAIN)
			v = c->domain;
		else if (id == K_HELO_NAME)
			v = c->helo_name;
		else if (id == K_ALLOWED_SENDERS) {
			patterns_value(c, &list);
			v = list.failed ? NULL : list.p != NULL ? list.p : "";
		}
		break;
	default:
		/* paths, secrets, texts: never written, whatever the list says */
		break;
	}
	if (v == NULL)
		refuse(o, k->name);
	else if (v[0] != '\0')
		put_line(o, k->name, v);
	free(list.p);
}

/* An alias's addresses, each as short as it was written or shorter: an
 * address at the domain goes back bare (the front end qualifies it again
 * to the same address), "Name <a@b>" was kept as a@b, commas alone. */
static void
alias_value(const struct conf *c, const struct alias *a, struct strbuf *v)
{
	size_t dlen = strlen(c->domain);

	for (size_t i = 0; i < a->naddrs; i++) {
		const char *addr = a->addrs[i];
		size_t n = strlen(addr);
		char local[ADDR_BUFSZ], bare[ADDR_BUFSZ], again[ADDR_BUFSZ];

		if (i > 0)
			strbuf_put(v, ",", 1);
		if (dlen > 0 && n > dlen + 1 && addr[n - dlen - 1] == '@' &&
		    strcmp(addr + n - dlen, c->domain) == 0 &&
		    text_copy(local, sizeof(local), addr, n - dlen - 1) &&
		    addr_check(local, strlen(local), ADDR_PROFILE_RECIPIENT,
			bare) == ADDR_BARE &&
		    strcmp(bare, local) == 0 &&
		    addr_qualify(bare, c->domain, ADDR_PROFILE_RECIPIENT,
			again) == ADDR_OK &&
		    strcmp(again, addr) == 0)
			strbuf_put(v, local, strlen(local));
		else
			strbuf_put(v, addr, n);
	}
}

static void
put_aliases(struct policy_out *o, const struct conf *c)
{
	if (c->naliases == 0)
		return;
	strbuf_put(&o->b, "[aliases]\n", 10);
	for (size_t i = 0; i < c->naliases && !o->failed; i++) {
		struct strbuf v = {NULL, 0, 0, false};

		alias_value(c, &c->aliases[i], &v);
		if (v.failed || v.p == NULL)
			refuse(o, c->aliases[i].name);
		else
			put_line(o, c->aliases[i].name, v.p);
		free(v.p);
	}
}

/* conf_policy_text - see conf.h */
int
conf_policy_text(const struct conf *c, size_t max, char **out, size_t *len,
    struct failure *f)
{
	static const char head[] = "; safemail-gate's policy for the front "
				   "end\n";
	struct policy_out o = {{NULL, 0, 0, false}, f, false};
	enum section sec = SEC_NONE;
	char *text;

	strbuf_put(&o.b, head, sizeof(head) - 1);
	for (size_t i = 0; i < conf_policy_nkeys && !o.failed; i++) {
		const struct conf_key *k = &conf_keys[conf_policy_keys[i]];

		if (k->sec != sec) {
			sec = k->sec;
			strbuf_putf(&o.b, "[%s]\n", conf_section_names[sec]);
		}
		put_key(&o, c, conf_policy_keys[i]);
	}
	if (!o.failed)
		put_aliases(&o, c);
	text = strbuf_take(&o.b, len);
	if (o.failed) {
		free(text);
		return -1;
	}
	if (text == NULL) {
		fail_set(f, FAIL_OSERR, "%s", "the policy: out of memory");
		return -1;
	}
	if (*len > max) {
		fail_set(f, FAIL_CONFIG,
		    "the policy for the front end would be %zu bytes, more "
		    "than %zu: fewer or shorter [aliases]",
		    *len, max);
		free(text);
		return -1;
	}
	*out = text;
	return 0;
}
