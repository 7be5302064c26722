/* tap.h - a tiny TAP producer for the unit tests (automake tap-driver) */
#ifndef SAFEMAIL_TAP_H
#define SAFEMAIL_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n;
static int tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

static void __attribute__((format(printf, 4, 5)))
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!pass)
		tap_failed++;
	char desc[1024];

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	/* One line per result; '#' would start a TAP directive. */
	for (char *p = desc; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '#')
			*p = '?';
	printf("%s %d - %s\n", pass ? "ok" : "not ok", tap_n, desc);
	if (!pass)
		printf("#   failed at %s:%d\n", file, line);
}

static int __attribute__((unused))
is_str(const char *got, const char *want, const char *what)
{
	int pass = got != NULL && want != NULL && strcmp(got, want) == 0;

	tap_ok(pass, __FILE__, __LINE__, "%s", what);
	if (!pass)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
	return pass;
}

static int __attribute__((unused))
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
