/* sender.c - the Set Return Path policy (pure)
 *
 * no: the caller's -f is ignored, the envelope sender is default_sender.
 * yes: the caller's -f is honoured only if it is one valid mailbox in the
 *      strict grammar and matches allowed_senders; an invalid -f is refused,
 *      never repaired. Without -f the From: header is used under the same
 *      rules, falling back to default_sender.
 * specified: always return_path_email.
 * Whatever the policy, a -f that carries the marks of argument injection
 * (a leading '-', whitespace, control bytes) or a ';' is refused. Quotes
 * and shell metacharacters are refused under yes only; under no and
 * specified the -f is not used, so such a value, like any other invalid
 * one, is ignored and reported so that it can be logged. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sender.h"
#include "text.h"

/* sender_pattern_match - iterative glob with '*' only */
bool
sender_pattern_match(const char *pattern, const char *addr)
{
	const char *p = pattern;
	const char *a = addr;
	const char *star = NULL;
	const char *mark = NULL;

	while (*a) {
		if (*p == '*') {
			star = p++;
			mark = a;
		} else if (*p != '\0' && text_fold(*p) == text_fold(*a)) {
			p++;
			a++;
		} else if (star != NULL) {
			p = star + 1;
			a = ++mark;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static bool
allowed(const struct conf *c, const char *addr)
{
	if (c->nallowed == 0)
		return true;
	for (size_t i = 0; i < c->nallowed; i++)
		if (sender_pattern_match(c->allowed_senders[i], addr))
			return true;
	return false;
}

/* A leading '-', whitespace or a control byte: only argument injection
 * puts them in a -f value (the published exploits need them to reach a
 * second option), so they are refused under every policy. So is ';',
 * the shell's command separator, which no unquoted mailbox holds:
 * PHP's mail() hands it on escaped, literally, from an attempted command
 * injection (notes/security.md 1.3; corpus A32). */
static bool
injected(const char *v)
{
	if (v[0] == '-')
		return true;
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (c <= ' ' || c == 0x7f || c == ';')
			return true;
	}
	return false;
}

/* Shell metacharacters and quotes (PHP's escapeshellcmd() set): no
 * mailbox return_path = yes takes holds them. Under no and specified
 * the -f is not used, so they cost the message nothing: Magento's
 * -f'<From>' and Symfony's -f'<sender>' carry whatever the shop's From
 * address is (o'brien@..., "test"@..., PHP's -f\<\>). */
static bool
shell_marked(const char *v)
{
	static const char shell[] = "#&;`|*?~<>^()[]{}$\\\"'";
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
		v++;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++)
		if (strchr(shell, v[i]) != NULL)
			return true;
	return false;
}

/* The fallback sender: default_sender, else login@domain. */
static int
default_sender(const struct conf *c, const struct sender_input *in,
    struct sender_decision *d, struct failure *f)
{
	if (c->default_sender[0] != '\0') {
		memcpy(d->addr, c->default_sender, strlen(c->default_sender) + 1);
		d->source = SENDER_DEFAULT;
		return 0;
	}
	if (c->domain[0] == '\0' || in->login == NULL ||
	    addr_qualify(in->login, c->domain, ADDR_PROFILE_SENDER, d->addr) !=
		ADDR_OK) {
		fail_set(f, FAIL_CONFIG,
		    "no envelope sender: set [mail] default_sender (or domain, "
		    "to use the caller's login)");
		return -1;
	}
	d->source = SENDER_LOGIN;
	return 0;
}

enum parsed { PARSED_NULL, PARSED_OK, PARSED_BAD };

/* Parse a -f value: "<>" and "" are the null sender, one pair of angle
 * brackets is stripped, a bare name is qualified with domain. */
static enum parsed
parse_option(const struct conf *c, const char *v, char out[ADDR_BUFSZ],
    const char **why)
{
	size_t n = strlen(v);
	enum addr_status st;

	if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
		v++;
		n -= 2;
	}
	if (n == 0)
		return PARSED_NULL;
	st = addr_check(v, n, ADDR_PROFILE_SENDER, out);
	if (st == ADDR_BARE) {
		if (c->domain[0] == '\0') {
			*why = "has no domain and [mail] domain is not set";
			return PARSED_BAD;
		}
		st = addr_qualify(out, c->domain, ADDR_PROFILE_SENDER, out);
	}
	if (st != ADDR_OK) {
		*why = addr_strerror(st);
		return PARSED_BAD;
	}
	return PARSED_OK;
}

struct one_addr {
	char spec[ADDR_BUFSZ + 1];
	size_t len;
	int count;
};

static int
take_one(void *ctx, const char *spec, size_t len, size_t end)
{
	(void)end;
	struct one_addr *o = ctx;

	if (++o->count == 1 && len <= ADDR_BUFSZ) {
		memcpy(o->spec, spec, len);
		o->spec[len] = '\0';
		o->len = len;
	}
	return 0;
}

/* From: under return_path = yes; false (with a reason) when unusable. */
static bool
from_header(const struct conf *c, const char *value, char out[ADDR_BUFSZ],
    const char **why)
{
	struct one_addr o;
	const char *err;

	memset(&o, 0, sizeof(o));
	if (addr_list_parse(value, strlen(value), take_one, &o, &err) !=
	    ALIST_OK) {
		*why = err;
		return false;
	}
	if (o.count != 1 || o.len > ADDR_MAX) {
		*why = "does not hold exactly one address";
		return false;
	}
	if (parse_option(c, o.spec, out, why) != PARSED_OK) {
		if (o.len == 0)
			*why = "is empty";
		return false;
	}
	if (!allowed(c, out)) {
		*why = "does not match allowed_senders";
		return false;
	}
	return true;
}

static void
warn_ignored(struct sender_decision *d, const struct sender_input *in,
    const char *why)
{
	char shown[160];

	text_show(shown, sizeof(shown), in->option, strlen(in->option), 100);
	(void)snprintf(d->warning, sizeof(d->warning),
	    "ignored -%c '%s': it %s", in->option_letter, shown, why);
}

/* sender_decide - see sender.h */
int
sender_decide(const struct conf *c, const struct sender_input *in,
    struct sender_decision *d, struct failure *f)
{
	char addr[ADDR_BUFSZ];
	const char *why = NULL;
	enum parsed p = PARSED_BAD;

	memset(d, 0, sizeof(*d));
	f->kind = FAIL_NONE;
	if (in->option != NULL) {
		bool marked = shell_marked(in->option);

		if (injected(in->option) ||
		    (marked && c->return_path == RETURN_PATH_YES)) {
			char shown[160];

			text_show(shown, sizeof(shown), in->option,
			    strlen(in->option), 100);
			fail_set(f, FAIL_USAGE,
			    "sender -%c '%s' refused: it holds characters that "
			    "only argument or command injection puts there",
			    in->option_letter, shown);
			return -1;
		}
		if (marked)
			why = "holds quotes, brackets or shell characters";
		else
			p = parse_option(c, in->option, addr, &why);
	}

	switch (c->return_path) {
	case RETURN_PATH_SPECIFIED:
		if (p == PARSED_BAD && in->option != NULL)
			warn_ignored(d, in, why);
		memcpy(d->addr, c->return_path_email,
		    strlen(c->return_path_email) + 1);
		d->source = SENDER_SPECIFIED;
		return 0;
	case RETURN_PATH_NO:
		if (p == PARSED_BAD && in->option != NULL)
			warn_ignored(d, in, why);
		return default_sender(c, in, d, f);
	case RETURN_PATH_YES:
		break;
	}

	if (in->option != NULL) {
		char shown[160];

		text_show(shown, sizeof(shown), in->option, strlen(in->option),
		    100);
		if (p == PARSED_BAD) {
			fail_set(f, FAIL_USAGE, "sender -%c '%s' refused: it %s",
			    in->option_letter, shown, why);
			return -1;
		}
		if (p == PARSED_NULL) {
			if (c->allow_null_sender) {
				d->addr[0] = '\0';
				d->source = SENDER_NULL;
				return 0;
			}
			warn_ignored(d, in,
			    "is the null sender and allow_null_sender is no");
			return default_sender(c, in, d, f);
		}
		if (!allowed(c, addr)) {
			fail_set(f, FAIL_SENDER_DENIED,
			    "sender -%c '%s' refused: it does not match "
			    "allowed_senders",
			    in->option_letter, shown);
			return -1;
		}
		memcpy(d->addr, addr, strlen(addr) + 1);
		d->source = SENDER_OPTION;
		return 0;
	}
	if (in->header_from != NULL) {
		if (from_header(c, in->header_from, addr, &why)) {
			memcpy(d->addr, addr, strlen(addr) + 1);
			d->source = SENDER_HEADER;
			return 0;
		}
		(void)snprintf(d->warning, sizeof(d->warning),
		    "From: header not used as sender: it %s", why);
	}
	return default_sender(c, in, d, f);
}

bool
sender_permitted(const struct conf *c, const char *sender, bool null_sender,
    const char *login)
{
	struct sender_input in;
	struct sender_decision d;
	struct failure f = {FAIL_NONE, ""};

	memset(&in, 0, sizeof(in));
	in.option = null_sender ? "<>" : sender;
	in.option_letter = 'f';
	in.login = login;
	if (sender_decide(c, &in, &d, &f) != 0)
		return false;
	if (null_sender)
		return d.source == SENDER_NULL;
	return d.source != SENDER_NULL && strcmp(d.addr, sender) == 0;
}

const char *
sender_source_name(enum sender_source s)
{
	switch (s) {
	case SENDER_OPTION:
		return "option";
	case SENDER_HEADER:
		return "header";
	case SENDER_DEFAULT:
		return "default_sender";
	case SENDER_LOGIN:
		return "login";
	case SENDER_SPECIFIED:
		return "return_path_email";
	case SENDER_NULL:
		return "null";
	}
	return "?";
}
