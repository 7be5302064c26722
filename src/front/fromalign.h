/* fromalign.h - [mail] header_from = envelope: the From: field names the
 * envelope sender (pure) */
#ifndef SAFEMAIL_FROMALIGN_H
#define SAFEMAIL_FROMALIGN_H

#include "fail.h"
#include "msg.h"

/* from_align - from the headers_done hook, once the envelope is decided;
 * sender is the envelope sender (never the null sender: the caller keeps
 * the From: as it is then).
 * - One From: field naming one mailbox that is already sender (ASCII case
 *   aside) stays byte for byte.
 * - Otherwise the first From: becomes "From: NAME <sender>", NAME the
 *   display name of its first mailbox as written (encoded words, quotes
 *   and 8-bit text kept; none: "From: sender"), folded at whitespace so
 *   that no line passes 78 octets where a word allows it; later From:
 *   fields are dropped. When the message has no Reply-To:, one is added
 *   with the original From: fields (those that parse and name an
 *   address), their lines as the caller wrote them.
 * - Every Sender: is dropped: the From: now names the one author.
 * A message without From: (the caller adds one from the envelope) only
 * loses its Sender:. Fails (FAIL_DATA) only when a field would get a line
 * longer than 998 octets, which folding at whitespace avoids for every
 * field the parser accepted but a pathological run of white space. */
int from_align(struct msg *m, const char *sender, struct failure *f);

#endif
