/* sender.h - the Set Return Path policy: who the envelope sender is (pure) */
#ifndef SAFEMAIL_SENDER_H
#define SAFEMAIL_SENDER_H

#include <stdbool.h>

#include "addr.h"
#include "conf.h"
#include "fail.h"

struct sender_input {
	const char *option;      /* the -f/-r value, NULL when not given */
	char option_letter;      /* 'f' or 'r' */
	const char *header_from; /* the From: header value, NULL if none */
	const char *login;       /* the caller's login name */
};

enum sender_source {
	SENDER_OPTION,    /* the caller's -f (return_path = yes) */
	SENDER_HEADER,    /* the From: header (return_path = yes, no -f) */
	SENDER_DEFAULT,   /* default_sender */
	SENDER_LOGIN,     /* the caller's login qualified with domain */
	SENDER_SPECIFIED, /* return_path_email */
	SENDER_NULL       /* the null sender <> */
};

struct sender_decision {
	enum sender_source source;
	char addr[ADDR_BUFSZ]; /* "" for the null sender */
	/* Set when the caller's -f or From: was hostile or not usable and was
	 * ignored: the warning an admin must see in the log. */
	char warning[320];
};

/* sender_decide - apply return_path to the caller's -f and From: header.
 * Fails (FAIL_USAGE, FAIL_SENDER_DENIED, FAIL_CONFIG) only when
 * return_path = yes refuses the -f, or when no sender can be formed. */
int sender_decide(const struct conf *c, const struct sender_input *in,
    struct sender_decision *d, struct failure *f);

/* sender_permitted - could the policy have chosen this envelope sender
 * for this caller? The back end asks it of every envelope it is handed:
 * a caller who talks to the gate directly, past the front end, still
 * gets no other sender than the policy's. */
bool sender_permitted(const struct conf *c, const char *sender,
    bool null_sender, const char *login);

/* sender_pattern_match - '*' matches any run of characters, ASCII case
 * folded; exported for the tests. */
bool sender_pattern_match(const char *pattern, const char *addr);

const char *sender_source_name(enum sender_source s);

#endif
