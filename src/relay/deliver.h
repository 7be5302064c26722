/* deliver.h - the back end's sending side: one relay session that carries
 * one message (a submission) or many (a queue run), and the log line of
 * each. Its input is the narrow line DESIGN.md draws: an envelope and a
 * normalized message file (a later issue moves it into its own setgid
 * process). */
#ifndef SAFEMAIL_DELIVER_H
#define SAFEMAIL_DELIVER_H

#include <stdbool.h>

#include "conf.h"
#include "fail.h"
#include "smtpc.h"

/* One message as the back end sees it. */
struct outgoing {
	const char *qid;
	unsigned uid;            /* who submitted it, for the log */
	bool null_sender;
	const char *sender;
	size_t nrcpt;
	const char *(*rcpt)(const void *ctx, size_t i);
	const void *rcpt_ctx;
	int fd;                  /* the normalized message, read from 0 */
	unsigned long long size;
	bool eight_bit;          /* BODY=8BITMIME when offered */
	bool eight_bit_headers;  /* SMTPUTF8 when offered */
	const char *dsn_notify;  /* or NULL */
	const char *dsn_ret;
	const char *dsn_envid;
	double started;          /* CLOCK_MONOTONIC seconds, for "delay" */
};

/* outgoing_from_env - everything but the recipients (m->nrcpt, m->rcpt,
 * m->rcpt_ctx), from a spool envelope. */
struct spool_env;
void outgoing_from_env(struct outgoing *m, const struct spool_env *e,
    int fd, double started);

struct outbound;

/* outbound_new - no connection yet: the first message opens it. */
struct outbound *outbound_new(const struct conf *c, bool verbose);

/* outbound_send - 0 when every recipient has it; else f (kind from the
 * reply code). res->rcpt must hold m->nrcpt replies; for a failed session
 * res->stage is STAGE_IO and *session_failed is set. Logs the outcome. */
int outbound_send(struct outbound *ob, const struct outgoing *m,
    struct smtp_result *res, bool *session_failed, struct failure *f);

/* outbound_set_pace_wait - the most a message waits for its turn under
 * a relay section's rate (pace.h; PACE_WAIT_SYNC_MS unless set) */
void outbound_set_pace_wait(struct outbound *ob, long long ms);

/* outbound_token_refused - the last session could not be opened because
 * the OAuth2 token endpoint refused the request (the admin must act) */
bool outbound_token_refused(const struct outbound *ob);

/* outbound_free - QUIT and close. */
void outbound_free(struct outbound *ob);


#endif
