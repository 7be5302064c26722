/* bs.h - the -bs dialogue: SMTP on standard input and output, as Symfony
 * Mailer, Laravel, Drupal and Nextcloud speak it (pure: bytes in, reply
 * lines out through hooks; the policy and the delivery are the hooks').
 *
 * Greeting 220; HELO and EHLO (8BITMIME, PIPELINING, ENHANCEDSTATUSCODES,
 * SIZE when a limit is set); MAIL, RCPT, DATA (354, ended only by
 * CRLF.CRLF, dot-unstuffed: a bare LF "." line is content), RSET, NOOP,
 * QUIT 221, VRFY 252, HELP 214; 500/501/503 for the rest. Command lines
 * are at most 512 octets; too many errors end the session with 421. */
#ifndef SAFEMAIL_BS_H
#define SAFEMAIL_BS_H

#include <stdbool.h>
#include <stddef.h>

#define BS_COMMAND_MAX 512 /* RFC 5321 4.5.3.1.4, with its CRLF */
#define BS_REPLY_MAX 600
#define BS_ERRORS_MAX 10

struct bs_hooks {
	void *ctx;
	/* one reply line, without CRLF */
	int (*reply)(void *ctx, const char *line);
	/* MAIL FROM / RCPT TO path (without <>) and the parameters; write
	 * the reply (2xx to accept) into reply. */
	void (*mail)(void *ctx, const char *path, const char *params,
	    char *reply, size_t rsz);
	void (*rcpt)(void *ctx, const char *path, const char *params,
	    char *reply, size_t rsz);
	/* DATA accepted: get ready for the message; a reply other than 354
	 * refuses it. */
	void (*data_begin)(void *ctx, char *reply, size_t rsz);
	/* message bytes, dot-unstuffed, line ends as they came */
	void (*data_bytes)(void *ctx, const char *p, size_t n);
	/* the end of the data: deliver, and the final reply */
	void (*data_end)(void *ctx, char *reply, size_t rsz);
	/* the transaction is over or abandoned (RSET, HELO, EOF) */
	void (*reset)(void *ctx);
	/* a command refused as garbage or out of order: for the log */
	void (*mistake)(void *ctx, const char *reply);
};

enum bs_state { BS_START, BS_READY, BS_MAIL, BS_RCPT, BS_DATA, BS_DONE };

struct bs {
	struct bs_hooks h;
	char host[256];
	unsigned long long size_max; /* SIZE to advertise; 0: none */
	enum bs_state state;
	char line[BS_COMMAND_MAX + 1];
	size_t len;
	bool too_long;  /* discarding the rest of an over-long line */
	unsigned errors;
	/* DATA: how much of "\r\n.\r\n" has been matched */
	int eod;
	bool line_start;
};

void bs_init(struct bs *s, const struct bs_hooks *h,
    unsigned long long size_max, const char *greeting_host);

/* bs_push - bytes from standard input; false once the session is over
 * (QUIT, or 421 after too many errors). */
bool bs_push(struct bs *s, const char *p, size_t n);

/* bs_idle - the input went quiet for too long: 421, the session ends. */
void bs_idle(struct bs *s);

/* bs_eof - standard input ended: an unfinished transaction is dropped
 * (nothing of it is sent). */
void bs_eof(struct bs *s);

#endif
