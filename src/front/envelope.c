/* envelope.c - recipients: parse, alias, qualify, check, de-duplicate (pure)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "text.h"

void
envelope_init(struct envelope *e, size_t max)
{
	memset(e, 0, sizeof(*e));
	e->max = max;
}

void
envelope_free(struct envelope *e)
{
	free(e->rcpt);
	envelope_init(e, e->max);
}

static int
add_one(struct envelope *e, const char *addr, enum fail_kind bad_kind,
    struct failure *f)
{
	for (size_t i = 0; i < e->nrcpt; i++)
		if (text_ieq(e->rcpt[i], addr))
			return 0;
	if (e->nrcpt >= e->max) {
		fail_set(f, bad_kind, "too many recipients (max_recipients is %zu)",
		    e->max);
		return -1;
	}
	if (e->nrcpt == e->cap) {
		size_t cap = e->cap == 0 ? 8 : e->cap * 2;
		void *grown;

		if (cap > e->max)
			cap = e->max;
		grown = realloc(e->rcpt, cap * sizeof(*e->rcpt));
		if (grown == NULL) {
			fail_set(f, FAIL_OSERR, "out of memory");
			return -1;
		}
		e->rcpt = grown;
		e->cap = cap;
	}
	memcpy(e->rcpt[e->nrcpt++], addr, strlen(addr) + 1);
	return 0;
}

/* The length of the local part when spec is local@NAME for one of this
 * machine's own names (conf.h: local_names), else 0. */
static size_t
local_at_this_host(const struct conf *c, const char *spec, size_t len)
{
	const char *at = memrchr(spec, '@', len);

	if (at == NULL || at == spec)
		return 0;
	for (size_t i = 0; i < c->nlocal_names; i++)
		if (text_ieqn(at + 1, len - (size_t)(at + 1 - spec),
			c->local_names[i]))
			return (size_t)(at - spec);
	return 0;
}

struct add_ctx {
	struct envelope *e;
	const struct conf *c;
	const char *where;
	enum fail_kind bad_kind;
	struct failure *f;
};

static int
add_spec(void *ctx, const char *spec, size_t len, size_t end)
{
	(void)end;
	struct add_ctx *ac = ctx;
	char addr[ADDR_BUFSZ];
	char shown[96];
	enum addr_status st;
	const struct alias *a;
	size_t local;

	st = addr_check(spec, len, ADDR_PROFILE_RECIPIENT, addr);
	text_show(shown, sizeof(shown), spec, len, 64);
	/* root@web1, root@web1.example.com: this machine's own name makes
	 * a local name, as a bare one (aliases, then domain) */
	if ((st == ADDR_OK || st == ADDR_SINGLE_LABEL) &&
	    (local = local_at_this_host(ac->c, spec, len)) > 0)
		st = addr_check(spec, local, ADDR_PROFILE_RECIPIENT, addr);
	if (st == ADDR_OK)
		return add_one(ac->e, addr, ac->bad_kind, ac->f);
	if (st != ADDR_BARE) {
		fail_set(ac->f, ac->bad_kind, "%s '%s' %s", ac->where, shown,
		    addr_strerror(st));
		return -1;
	}
	/* A bare name: [aliases] first, then the configured domain. */
	a = conf_find_alias(ac->c, addr);
	if (a != NULL) {
		for (size_t i = 0; i < a->naddrs; i++)
			if (add_one(ac->e, a->addrs[i], ac->bad_kind, ac->f) != 0)
				return -1;
		return 0;
	}
	if (ac->c->domain[0] == '\0') {
		fail_set(ac->f, FAIL_NOUSER,
		    "%s '%s' has no domain, no alias in [aliases] and [mail] "
		    "domain is not set",
		    ac->where, shown);
		return -1;
	}
	st = addr_qualify(addr, ac->c->domain, ADDR_PROFILE_RECIPIENT, addr);
	if (st != ADDR_OK) {
		fail_set(ac->f, ac->bad_kind, "%s '%s' %s once qualified",
		    ac->where, shown, addr_strerror(st));
		return -1;
	}
	return add_one(ac->e, addr, ac->bad_kind, ac->f);
}

/* envelope_add_list - see envelope.h */
int
envelope_add_list(struct envelope *e, const struct conf *c, const char *s,
    size_t len, const char *where, enum fail_kind bad_kind, struct failure *f)
{
	struct add_ctx ac = {e, c, where, bad_kind, f};
	const char *err;
	char shown[96];

	f->kind = FAIL_NONE;
	switch (addr_list_parse(s, len, add_spec, &ac, &err)) {
	case ALIST_OK:
		return 0;
	case ALIST_STOPPED:
		return -1;
	case ALIST_SYNTAX:
		break;
	}
	text_show(shown, sizeof(shown), s, len, 64);
	fail_set(f, bad_kind, "%s '%s': %s", where, shown, err);
	return -1;
}
