/* limits.h - every size limit safemail enforces, named in one place */
#ifndef SAFEMAIL_LIMITS_H
#define SAFEMAIL_LIMITS_H

/* RFC 5321 4.5.3.1 and RFC 3696 errata: the envelope address limits. */
#define ADDR_LOCAL_MAX 64
#define ADDR_DOMAIN_MAX 253
#define ADDR_LABEL_MAX 63
#define ADDR_MAX 254

/* The -F full name: long enough for any real name, short enough to log. */
#define FULLNAME_MAX 256
/* The -V envelope id (RFC 3461 ENVID is at most 100 characters). */
#define ENVID_MAX 100

/* Nesting of RFC 5322 comments "(a (b))" before we give up. */
#define ADDR_COMMENT_DEPTH_MAX 16
/* Tokens in one address of an address list ("Name Name <a@b>"). */
#define ADDR_TOKENS_MAX 256

/* The configuration file: whole size and one line (without its newline). */
#define CONF_FILE_MAX (64 * 1024)
#define CONF_LINE_MAX 1024
#define CONF_ALIASES_MAX 1000
#define CONF_PATTERNS_MAX 100
/* [smtp.NAME] sections, and [relay_by_sender] lines */
#define CONF_ROUTES_MAX 8
#define CONF_ROUTE_NAME_MAX 32
/* [smtp] rate: messages a minute (one every 10 ms at most) */
#define CONF_RATE_CEILING 6000
#define CONF_VALUE_MAX 1000
/* Ceilings of max_message_size (bytes) and of every timeout (seconds). */
#define CONF_MESSAGE_SIZE_CEILING 2147483647UL
#define CONF_TIMEOUT_CEILING 3600
/* [smtp] linger: at most a minute of a loaded, idle relay client */
#define CONF_LINGER_CEILING 60
/* [gate] submit_users, submit_groups: names in each list, each name */
#define CONF_SUBMIT_NAMES_MAX 32
#define CONF_SUBMIT_NAME_MAX 32
/* The queue: retry durations, the longest age, parallel connections. */
#define CONF_RETRY_MAX 16
#define CONF_MAX_AGE_CEILING (30UL * 86400)
#define CONF_CONNECTIONS_MAX 8
/* Quotas: ceilings of max_queued_messages and of the byte counts. */
#define CONF_QUEUED_MESSAGES_CEILING 10000000UL
#define CONF_SPOOL_BYTES_CEILING (1UL << 50)
/* The defaults: max_message_size above what the common relays accept by
 * default (Gmail 25 MB, Microsoft 365 35 MB), so it refuses nothing they
 * would take and bounds what one submission can put in the spool; a
 * shop's queue of a day's mail per user; the room bounces need. */
#define CONF_DEFAULT_MESSAGE_SIZE (50UL * 1024 * 1024)
#define CONF_DEFAULT_QUEUED_MESSAGES 1000UL
#define CONF_DEFAULT_QUEUED_SIZE (1024ULL * 1024 * 1024)
#define CONF_DEFAULT_MIN_FREE (100ULL * 1024 * 1024)

/* Recipients of one message: the default and the ceiling of max_recipients. */
#define RCPT_DEFAULT_MAX 1000
#define RCPT_CEILING 100000

/* The header block of a message, and one (unfolded) header field. */
#define HEADER_BLOCK_MAX (1024 * 1024)
#define HEADER_FIELD_MAX (64 * 1024)
/* RFC 5322 2.1.1: a line is at most 998 octets without its CRLF. */
#define LINE_MAX_OCTETS 998

/* One syslog line. */
#define LOG_LINE_MAX 2048

/* A relay's reply as kept: the code and its lines joined (smtpc.h, and
 * the spool file's error and recipient lines, spoolfmt.h). */
#define SMTP_REPLY_TEXT 512

#endif
