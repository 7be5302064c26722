/* clock.h - the monotonic clock, for timeouts, lifetimes and the delay a
 * log line gives (never the time of day) */
#ifndef SAFEMAIL_CLOCK_H
#define SAFEMAIL_CLOCK_H

/* CLOCK_MONOTONIC in seconds, and in milliseconds */
double clock_seconds(void);
long long clock_ms(void);

#endif
