/* test_explain.c - the sentence for each reply admins search the web for
 * (explain.c's table), and none for the others */
#include "config.h"

#include <stdio.h>

#include "explain.h"
#include "tap.h"

/* the sentence contains want (NULL: there is none) */
static void
says(const char *reply, enum explain_auth auth, const char *want)
{
	const char *s = explain_reply(reply, auth);

	if (want == NULL) {
		ok(s == NULL, "no sentence for \"%s\"", reply);
		if (s != NULL)
			printf("#   got: %s\n", s);
		return;
	}
	ok(s != NULL && strstr(s, want) != NULL, "\"%s\": \"%s\"", reply,
	    want);
	if (s == NULL || strstr(s, want) == NULL)
		printf("#   got: %s\n", s != NULL ? s : "(null)");
}

int
main(void)
{
	const enum explain_auth pw = EXPLAIN_PASSWORD, tok = EXPLAIN_OAUTH2;

	/* Microsoft 365 */
	says("550 5.7.30 Basic authentication is not supported for Client "
	     "Submission.",
	    pw, "this relay no longer takes passwords: set auth = xoauth2 "
		"(safemail.ini(5), OAuth2)");
	says("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication "
	     "is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled",
	    pw, "enable Authenticated SMTP for the mailbox");
	says("535 5.7.139 Authentication unsuccessful, user is locked by your "
	     "organization's security defaults policy. Contact your "
	     "administrator.",
	    pw, "security defaults refuse passwords");
	says("535 5.7.139 Authentication unsuccessful, basic authentication is "
	     "disabled. [AM0PR02CA0004.eurprd02.prod.outlook.com]",
	    pw, "no longer takes passwords");
	says("535 5.7.139 Authentication unsuccessful, the user credentials were "
	     "incorrect.",
	    pw, "check username and password");
	says("535 5.7.139 Authentication unsuccessful, the request did not meet "
	     "the criteria to be authenticated successfully.",
	    pw, "Conditional Access");
	says("554 5.2.252 SendAsDenied; shop@contoso.com not allowed to send as "
	     "sales@contoso.com; STOREDRV.Submission.Exception:"
	     "SendAsDeniedException.MapiExceptionSendAsDenied",
	    pw, "Send As");
	says("550 5.7.60 SMTP; Client does not have permissions to send as this "
	     "sender",
	    tok, "default_sender");
	/* Gmail, as the session sees it (the last line) and as a
	 * transaction does (the lines joined) */
	says("534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor "
	     "a1-20020a.1 - gsmtp",
	    pw, "app password");
	says("534 5.7.9 Application-specific password required. Learn more at "
	     "5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor",
	    pw, "app password");
	says("535 5.7.8  https://support.google.com/mail/?p=BadCredentials "
	     "d2e1a72fcca58-7 - gsmtp",
	    pw, "Google refused the username or password");
	says("535 5.7.8 Username and Password not accepted. For more "
	     "information, go to",
	    tok, "Google refused the access token");
	says("535 5.7.8 username and password NOT ACCEPTED.", pw,
	    "Google refused"); /* any case */
	/* the SES / ESP family */
	says("554 Message rejected: Email address is not verified. The "
	     "following identities failed the check in region US-EAST-1: "
	     "shop@example.com",
	    pw, "verified");
	says("550 The from address does not match a verified Sender Identity. "
	     "Mail cannot be sent until this error is resolved.",
	    pw, "default_sender");

	/* what is not one of them */
	says("535 5.7.8 Authentication credentials invalid", pw, NULL);
	says("550 5.1.1 <bad@example.org>: Recipient address rejected", pw,
	    NULL);
	says("250 2.0.0 Ok: queued; SendAsDenied", pw, NULL); /* a success */
	says("535 5.7.1390 Authentication unsuccessful", pw, NULL);
	says("535 5.7.13 Authentication unsuccessful", pw, NULL);
	says("534 5.7.9.1 x", pw, NULL);
	says("421 4.7.0 Try again later", pw, NULL);
	says("", pw, NULL);
	says("55", pw, NULL);
	says("550", pw, NULL);
	says("5505.7.30 x", pw, NULL);
	says("550 x 5.7.30", pw, NULL); /* not where the status code goes */
	ok(explain_reply(NULL, pw) == NULL, "no reply: no sentence");

	/* explain_add: the hint at the end, whole, also after a long line */
	{
		struct failure f = {FAIL_CONFIG, "relay r:587: authentication "
						 "failed"};

		ok(explain_add(&f, "550 5.7.30 Basic authentication is not "
				   "supported",
			   pw) &&
		    strcmp(f.msg, "relay r:587: authentication failed; hint: "
				  "this relay no longer takes passwords: set "
				  "auth = xoauth2 (safemail.ini(5), OAuth2)") ==
			0,
		    "explain_add: \"; hint: \" and the sentence");
		printf("# %s\n", f.msg);
		ok(!explain_add(&f, "550 5.1.1 nobody", pw),
		    "explain_add: nothing for an unknown reply");
		memset(f.msg, 'x', sizeof(f.msg) - 1);
		f.msg[sizeof(f.msg) - 1] = '\0';
		ok(explain_add(&f, "554 5.2.252 SendAsDenied", pw) &&
		    strlen(f.msg) == sizeof(f.msg) - 1 &&
		    strstr(f.msg, "x...; hint: Microsoft 365 lets") != NULL &&
		    strstr(f.msg, "or grant the mailbox Send As") != NULL,
		    "explain_add: a full message is cut to keep the hint whole");
	}
	return done_testing();
}
