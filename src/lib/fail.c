/* fail.c - fill in a struct failure (pure: formats into the struct) */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "fail.h"

/* fail_set - record a failure kind and its message, truncated if needed */
void
fail_set(struct failure *f, enum fail_kind kind, const char *fmt, ...)
{
	va_list ap;

	f->kind = kind;
	va_start(ap, fmt);
	(void)vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}
