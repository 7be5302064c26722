/* addr.h - envelope address grammar and RFC 5322 address lists (pure) */
#ifndef SAFEMAIL_ADDR_H
#define SAFEMAIL_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "limits.h"

enum addr_status {
	ADDR_OK = 0,        /* local@domain, valid */
	ADDR_BARE,          /* a valid local name without a domain ("root") */
	ADDR_EMPTY,
	ADDR_TOO_LONG,
	ADDR_LEADING_DASH,  /* can only come from argument injection */
	ADDR_BAD_LOCAL,     /* quotes, spaces, controls, other characters */
	ADDR_LOCAL_TOO_LONG,
	ADDR_BAD_DOMAIN,
	ADDR_DOMAIN_LITERAL,
	ADDR_SINGLE_LABEL,
	ADDR_NUMERIC_TLD,
	ADDR_NON_ASCII
};

/* Which local-part characters are allowed. The sender grammar is the strict
 * one of notes/security.md 4.2; recipients may also hold an apostrophe
 * (o'brien@), which no relay treats specially. */
enum addr_profile { ADDR_PROFILE_SENDER, ADDR_PROFILE_RECIPIENT };

/* Buffer size that holds any valid address and its NUL. */
#define ADDR_BUFSZ (ADDR_MAX + 1)

/* addr_check - validate [s, s+len) as one mailbox in the strict grammar.
 * On ADDR_OK and ADDR_BARE the normalised form (domain lower-cased) is
 * written to out (ADDR_BUFSZ bytes). */
enum addr_status addr_check(const char *s, size_t len, enum addr_profile prof,
    char out[ADDR_BUFSZ]);

/* addr_strerror - what is wrong, in a few words */
const char *addr_strerror(enum addr_status st);

/* addr_check_domain - validate a domain (two labels or more, letter in the
 * TLD); lower-cased into out. */
enum addr_status addr_check_domain(const char *s, size_t len,
    char out[ADDR_BUFSZ]);

/* addr_check_hostname - one or more LDH labels of 1 to 63 octets, no '-'
 * at either end of a label, at most 253 octets ("localhost", "10.0.0.1"). */
bool addr_check_hostname(const char *s, size_t len);

/* addr_qualify - "name" + "domain" -> "name@domain", checked again. */
enum addr_status addr_qualify(const char *bare, const char *domain,
    enum addr_profile prof, char out[ADDR_BUFSZ]);

/* Called with each addr-spec an address list names, reassembled without
 * comments or whitespace ("Name <a@b>" gives "a@b"); end is the offset in
 * the list just past the spec's last character (where "@domain" would go
 * to qualify a bare name). Return 0 to go on, nonzero to stop the parse. */
typedef int (*addr_list_cb)(void *ctx, const char *spec, size_t len,
    size_t end);

enum alist_status {
	ALIST_OK = 0,
	ALIST_SYNTAX,   /* see *errstr */
	ALIST_STOPPED   /* the callback asked to stop */
};

/* addr_list_parse - parse an RFC 5322 address-list (mailboxes, name-addr,
 * groups, comments, quoted strings; empty elements are skipped). Bytes
 * outside printable ASCII, SP and HTAB are syntax errors, except 8-bit
 * bytes in display names. */
enum alist_status addr_list_parse(const char *s, size_t len, addr_list_cb cb,
    void *ctx, const char **errstr);

#endif
