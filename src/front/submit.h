/* submit.h - from the caller's input to what the back end needs
 * (DESIGN.md: "an envelope and a normalized message file"): the message
 * read from standard input through msg.c, the envelope decided by the
 * Set Return Path policy and the recipients' rules, the header fields
 * added. */
#ifndef SAFEMAIL_SUBMIT_H
#define SAFEMAIL_SUBMIT_H

#include <stdbool.h>
#include <time.h>

#include "argv.h"
#include "caller.h"
#include "conf.h"
#include "envelope.h"
#include "fail.h"
#include "msgfile.h"
#include "spoolfmt.h"

#define QID_LEN 12

struct submission {
	char qid[QID_LEN + 1];
	time_t when;
	double started; /* CLOCK_MONOTONIC seconds, for the log's delay */
	struct envelope env;
	struct msgfile *file; /* NULL when nothing is kept (-bv) */
	unsigned long long size;
	bool eight_bit;       /* 8-bit bytes anywhere: BODY=8BITMIME */
	bool eight_bit_headers; /* SMTPUTF8 when the relay offers it */
};

/* submit_message - read the message (unless -bv needs no header),
 * decide the envelope, and for delivery write the normalized message to
 * a sealed memory file (msgfile.h). Logs the policy's warnings. */
int submit_message(const struct request *req, const struct conf *c,
    const struct caller *who, struct submission *s, struct failure *f);

void submission_free(struct submission *s);

/* submission_async - async = yes, -odq or -odb, and not -odi */
bool submission_async(const struct conf *c, const struct request *req);

/* submission_hand_over - the envelope (sealed in a memfd) and the
 * message to the gate: queued when async, else sent; verdict: -bs, the
 * gate replies with an SMTP line (handoff_reply) instead of ending. */
struct handoff;
int submission_hand_over(struct handoff *h, const struct submission *s,
    const struct request *req, const struct conf *c,
    const struct spool_env *e, bool verdict, struct failure *f);

/* submission_discard - disable = yes: the message's one log line */
void submission_discard(const struct submission *s, unsigned uid);

/* -bs: the envelope is already in s->env (MAIL, RCPT); the message is
 * pushed as the dialogue receives it (dot-unstuffed) and goes through the
 * same pipeline as standard input's: the same checks, the same fields. */
struct submit_stream;
struct submit_stream *submit_stream_begin(const struct request *req,
    const struct conf *c, const struct caller *who, struct submission *s,
    struct failure *f);
int submit_stream_push(struct submit_stream *ss, const char *p, size_t n,
    struct failure *f);
int submit_stream_end(struct submit_stream *ss, struct failure *f);
void submit_stream_free(struct submit_stream *ss);

/* submission_envelope - the envelope as the back end and the spool take
 * it (spoolfmt.h): every recipient pending, the -N/-R/-V and -B requests
 * kept. e->rcpt is malloc'd (spool_env_free). */
int submission_envelope(const struct submission *s, const struct request *req,
    unsigned uid, struct spool_env *e, struct failure *f);

#endif
