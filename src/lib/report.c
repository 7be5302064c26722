/* report.c - failures to exit codes, stderr and the log */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "limits.h"
#include "log.h"
#include "report.h"
#include "text.h"

static const struct {
	enum fail_kind kind;
	int code;
} exit_codes[] = {
	{FAIL_NONE, EX_OK},
	{FAIL_USAGE, EX_USAGE},
	{FAIL_CONFIG_OVERRIDE, EX_NOPERM},
	{FAIL_SENDER_DENIED, EX_NOPERM},
	{FAIL_NOPERM, EX_NOPERM},
	{FAIL_NOUSER, EX_NOUSER},
	{FAIL_DATA, EX_DATAERR},
	{FAIL_NOINPUT, EX_NOINPUT},
	{FAIL_CONFIG, EX_CONFIG},
	{FAIL_UNAVAILABLE, EX_UNAVAILABLE},
	{FAIL_OSERR, EX_OSERR},
	{FAIL_IOERR, EX_IOERR},
	{FAIL_SOFTWARE, EX_SOFTWARE},
	{FAIL_TEMP, EX_TEMPFAIL},
};

int
exit_code(enum fail_kind kind)
{
	for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
		if (exit_codes[i].kind == kind)
			return exit_codes[i].code;
	return EX_SOFTWARE;
}

int
report_line(const struct failure *f)
{
	char shown[600];

	text_show(shown, sizeof(shown), f->msg, strlen(f->msg), sizeof(f->msg));
	(void)fprintf(stderr, "safemail: %s\n", shown);
	return exit_code(f->kind);
}

void
report_caller(int prio, const struct caller *who, const char *kind,
    const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_emit(prio, "%s: uid=%u user=%s ppid=%ld parent=%s: %s", kind,
	    (unsigned)who->uid, who->user, (long)who->ppid, who->parent, msg);
}

int
report(const struct caller *who, const struct failure *f, bool refusal)
{
	report_caller(refusal ? LOG_WARNING : LOG_ERR, who,
	    refusal ? "refused" : "error", "%s", f->msg);
	return report_line(f);
}

int
report_by_hand(const char *program)
{
	struct failure f;

	fail_set(&f, FAIL_USAGE, "%s is started by safemail, not by hand",
	    program);
	return report(caller_self(), &f, true);
}
