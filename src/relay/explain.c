/* explain.c - one sentence for the relay replies admins search the web
 * for (pure; see explain.h). To add one: a row in known[] (the first row
 * that matches wins, so a row with text goes before the same code's row
 * without), a case in tests/unit/test_explain.c, and a line in the table
 * of safemail.ini(5), "Relay replies explained". */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "explain.h"
#include "text.h"

enum only {
	ANY_AUTH,
	ONLY_PASSWORD,
	ONLY_OAUTH2
};

#define TEXTS_MAX 3

struct known {
	int code;             /* the reply code, 0: any 4xx or 5xx */
	const char *status;   /* the enhanced status code, NULL: any */
	const char *text[TEXTS_MAX]; /* one of these in the reply (any
				      * case), none given: any text */
	enum only only;
	const char *sentence;
};

#define NO_PASSWORDS                                                        \
	"this relay no longer takes passwords: set auth = xoauth2 "        \
	"(safemail.ini(5), OAuth2)"
#define SEND_AS                                                             \
	"Microsoft 365 lets the mailbox of username send only as itself "  \
	"or as an address it has Send As rights on: make the envelope "    \
	"sender and From: such an address (default_sender, return_path, "  \
	"header_from = envelope; safemail.ini(5)), or grant the mailbox "  \
	"Send As"
#define UNVERIFIED                                                          \
	"the provider sends only from identities verified with it (Amazon " \
	"SES, SendGrid and the like): verify this sender's address or "    \
	"domain there, or make the envelope sender and From: a verified "  \
	"address (default_sender, return_path, header_from = envelope; "   \
	"safemail.ini(5))"

static const struct known known[] = {
    /* Microsoft 365 */
    {535, "5.7.139", {"credentials were incorrect"}, ANY_AUTH,
	"Microsoft 365 refused the username or password: check username "
	"and password (safemail.ini(5))"},
    {535, "5.7.139", {"SmtpClientAuthentication is disabled"}, ANY_AUTH,
	"SMTP AUTH is turned off in Microsoft 365 for this mailbox or the "
	"whole tenant: enable Authenticated SMTP for the mailbox (Microsoft "
	"365 admin center, the user's Mail tab, Manage email apps)"},
    {535, "5.7.139", {"security defaults"}, ANY_AUTH,
	"Microsoft 365's security defaults refuse passwords for SMTP AUTH: "
	"set auth = xoauth2 (safemail.ini(5), OAuth2)"},
    {535, "5.7.139", {"basic authentication is disabled"}, ANY_AUTH,
	NO_PASSWORDS},
    {535, "5.7.139", {NULL}, ANY_AUTH,
	"Microsoft 365 refuses SMTP AUTH for this mailbox (turned off for "
	"it or the tenant, security defaults, or a Conditional Access "
	"policy): enable Authenticated SMTP for the mailbox and use auth = "
	"xoauth2 (safemail.ini(5), OAuth2)"},
    {0, "5.7.30", {NULL}, ANY_AUTH, NO_PASSWORDS},
    {0, "5.2.252", {NULL}, ANY_AUTH, SEND_AS},
    {0, NULL, {"SendAsDenied"}, ANY_AUTH, SEND_AS},
    {0, "5.7.60", {NULL}, ANY_AUTH, SEND_AS},
    /* Gmail and Google Workspace */
    {534, "5.7.9", {NULL}, ANY_AUTH,
	"Google wants an app password for this account (2-Step "
	"Verification is on): create one and set it as password or "
	"password_file, or use auth = xoauth2 (safemail.ini(5), OAuth2)"},
    {535, "5.7.8", {"Username and Password not accepted", "BadCredentials"},
	ONLY_OAUTH2,
	"Google refused the access token: username must be the account "
	"the token was granted for, with oauth2_scope "
	"https://mail.google.com/ (safemail.ini(5), OAuth2)"},
    {535, "5.7.8", {"Username and Password not accepted", "BadCredentials"},
	ONLY_PASSWORD,
	"Google refused the username or password: check username and "
	"password (with 2-Step Verification on, an app password), or use "
	"auth = xoauth2 (safemail.ini(5), OAuth2)"},
    /* Amazon SES and the other sending services */
    {0, NULL, {"Email address is not verified", "Domain is not verified"},
	ANY_AUTH, UNVERIFIED},
    {0, NULL, {"does not match a verified Sender Identity"}, ANY_AUTH,
	UNVERIFIED},
};

/* needle anywhere in hay, ASCII case ignored */
static bool
contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++) {
		size_t i = 0;

		while (i < n && hay[i] != '\0' &&
		    text_fold(hay[i]) == text_fold(needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "5.7.139" after the reply code (RFC 3463: class.subject.detail), or
 * "" when the reply has none */
static void
enhanced_status(const char *reply, char *out, size_t sz)
{
	const char *p = reply + 4;
	size_t n = 0, dots = 0;

	out[0] = '\0';
	while (*p == ' ')
		p++;
	if (p[0] != '2' && p[0] != '4' && p[0] != '5')
		return;
	for (; is_digit(p[n]) || p[n] == '.'; n++)
		if (p[n] == '.')
			dots++;
	if (dots != 2 || p[n - 1] == '.' || n >= sz ||
	    (p[n] != '\0' && p[n] != ' '))
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

static bool
matches(const struct known *k, int code, const char *status,
    const char *reply, enum explain_auth auth)
{
	bool texts = k->text[0] == NULL;

	if ((k->code != 0 && k->code != code) ||
	    (k->status != NULL && strcmp(k->status, status) != 0) ||
	    (k->only == ONLY_PASSWORD && auth != EXPLAIN_PASSWORD) ||
	    (k->only == ONLY_OAUTH2 && auth != EXPLAIN_OAUTH2))
		return false;
	for (size_t i = 0; i < TEXTS_MAX && k->text[i] != NULL; i++)
		texts |= contains(reply, k->text[i]);
	return texts;
}

const char *
explain_reply(const char *reply, enum explain_auth auth)
{
	char status[16];
	int code;

	if (reply == NULL || !is_digit(reply[0]) || !is_digit(reply[1]) ||
	    !is_digit(reply[2]) || (reply[3] != ' ' && reply[3] != '-' &&
				       reply[3] != '\0'))
		return NULL;
	code = (reply[0] - '0') * 100 + (reply[1] - '0') * 10 +
	    (reply[2] - '0');
	if (code < 400 || code > 599)
		return NULL;
	if (reply[3] == '\0')
		status[0] = '\0';
	else
		enhanced_status(reply, status, sizeof(status));
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (matches(&known[i], code, status, reply, auth))
			return known[i].sentence;
	return NULL;
}

bool
explain_add(struct failure *f, const char *reply, enum explain_auth auth)
{
	static const char sep[] = "; hint: ";
	const char *s = explain_reply(reply, auth);
	size_t have, room;

	if (s == NULL)
		return false;
	have = strlen(f->msg);
	room = sizeof(f->msg) - 1 - strlen(sep) - strlen(s);
	if (have > room) {
		/* the sentences are far shorter than f->msg: room > 3 */
		have = room - 3;
		while (have > 0 && ((unsigned char)f->msg[have] & 0xc0) == 0x80)
			have--; /* not within a UTF-8 character */
		memcpy(f->msg + have, "...", 3);
		have += 3;
	}
	(void)snprintf(f->msg + have, sizeof(f->msg) - have, "%s%s", sep, s);
	return true;
}
