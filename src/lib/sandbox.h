/* sandbox.h - the lock-down shared by the programs that face the network
 * and the caller (the relay client, the gate): PR_SET_NO_NEW_PRIVS, then
 * Landlock (raw syscalls, the highest ABI the kernel offers), then a
 * seccomp allow-list through libseccomp. Each program writes its policy
 * as tables (see src/relay/sandbox_relay.c) and applies it with one call,
 * after all its set-up and before the first byte of hostile input. */
#ifndef SAFEMAIL_SANDBOX_H
#define SAFEMAIL_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fail.h"

/* Landlock rights on a path, the whole tree below it when a directory.
 * Everything not granted is denied (for the rights the ABI handles). */
#define SANDBOX_FS_READ 0x01u   /* read files, list directories */
#define SANDBOX_FS_WRITE 0x02u  /* write (and, ABI 3, truncate) files */
#define SANDBOX_FS_CREATE 0x04u /* make, remove, link and rename files
				 * (links, fifos and sockets too) */
#define SANDBOX_FS_MKDIR 0x08u  /* make and remove directories */
#define SANDBOX_FS_EXEC 0x10u   /* execute files */

struct sandbox_path {
	const char *path; /* missing on this host: skipped */
	unsigned rights;  /* SANDBOX_FS_* */
};

/* One seccomp rule: the call, by libseccomp's name (a name this
 * architecture lacks, e.g. "open" on arm64, is skipped), allowed or
 * answered with an errno, when each of its nargs conditions holds:
 * (argument[index] & mask) == value. Rules of one call add up (or). */
struct sandbox_arg {
	unsigned index;
	uint64_t mask;
	uint64_t value;
};
struct sandbox_call {
	const char *name;
	int err; /* 0: allowed; else the call fails with this errno */
	unsigned nargs;
	struct sandbox_arg arg[2];
};
#define SANDBOX_ALLOW(n) {n, 0, 0, {{0, 0, 0}, {0, 0, 0}}}
#define SANDBOX_ERRNO(n, e) {n, e, 0, {{0, 0, 0}, {0, 0, 0}}}
/* allowed when argument i is v */
#define SANDBOX_ALLOW_ARG(n, i, v) {n, 0, 1, {{i, UINT64_MAX, v}, {0, 0, 0}}}
/* allowed when argument i has none of the bits of m */
#define SANDBOX_ALLOW_NOT_BITS(n, i, m) {n, 0, 1, {{i, m, 0}, {0, 0, 0}}}
/* allowed when argument i has all the bits of m */
#define SANDBOX_ALLOW_BITS(n, i, m) {n, 0, 1, {{i, m, m}, {0, 0, 0}}}
/* allowed when argument i is v and argument j has, of the bits of m,
 * those of w */
#define SANDBOX_ALLOW_ARG_BITS(n, i, v, j, m, w)                               \
	{n, 0, 2, {{i, UINT64_MAX, v}, {j, m, w}}}
/* answered with errno e when argument i is v */
#define SANDBOX_ERRNO_ARG(n, e, i, v) {n, e, 1, {{i, UINT64_MAX, v}, {0, 0, 0}}}

struct sandbox_calls {
	const struct sandbox_call *v;
	size_t n;
};
#define SANDBOX_TABLE(t) {t, sizeof(t) / sizeof((t)[0])}
#define SANDBOX_MAX_TABLES 4
#define SANDBOX_MAX_PATHS 24
#define SANDBOX_MAX_PORTS 16

/* Test builds' modes (SAFEMAIL_SANDBOX_TEST, an override a set-ID or
 * service process never takes from its caller: startup.h). */
enum sandbox_test {
	SANDBOX_TEST_NONE = 0, /* production: a call outside the list kills */
	SANDBOX_TEST_TRAP,     /* the call is named (stderr, log), exit 70 */
	SANDBOX_TEST_PROBE     /* TRAP, and the self-test after lock-down */
};
enum sandbox_test sandbox_test_mode(const char *override);

/* A policy's seccomp filter as a BPF program (sandbox_compile), and the
 * fingerprint of what it was built from (sandbox_fingerprint). */
struct sandbox_bpf {
	void *insns; /* struct sock_filter[], len bytes */
	size_t len;
	unsigned calls;
	uint64_t fingerprint;
};

/* The filters built with the programs (src/tools/sandbox-bpf.c writes
 * them at build time, from the same tables through sandbox_compile):
 * sandbox_apply loads the one whose fingerprint is its policy's with
 * seccomp(2), some 0.3 ms less than building it with libseccomp; none
 * matches (a cross build, a changed table): it builds its own. */
struct sandbox_prebuilt {
	uint64_t fingerprint;
	const void *insns; /* struct sock_filter[], len bytes */
	size_t len;
	unsigned calls;
	const char *what; /* the policy and mode, for people reading */
};

/* sandbox_prebuilt_list - the filters built with this program, *n of
 * them: the generated file's, or none (src/lib/sandbox_none.c: the
 * generator, the tests, cross builds). */
const struct sandbox_prebuilt *sandbox_prebuilt_list(size_t *n);

struct sandbox_policy {
	const char *program; /* for the log and --check */
	bool off;            /* [mail] sandbox = off: nothing is applied */
	enum sandbox_test test;
	/* seccomp: every call not in these tables kills the process */
	struct sandbox_calls tables[SANDBOX_MAX_TABLES];
	size_t ntables;
	/* Landlock: file access beyond these paths is denied */
	struct sandbox_path paths[SANDBOX_MAX_PATHS];
	size_t npaths;
	/* Landlock ABI >= 4: TCP connect only to these ports; no bind */
	bool restrict_tcp;
	uint16_t tcp_ports[SANDBOX_MAX_PORTS];
	size_t nports;
	/* Landlock ABI >= 6: no signals to, no abstract Unix sockets of,
	 * processes outside the domain */
	bool scope_signals;
	bool scope_abstract_unix;
	bool overflow; /* set by sandbox_add_*: more than the room */
};

/* Add a path (rights SANDBOX_FS_*, an absolute path) or a TCP port
 * (1-65535) to a policy; -1 when it is not one; past the room
 * (SANDBOX_MAX_*) also p->overflow, which sandbox_apply then refuses. */
int sandbox_add_path(struct sandbox_policy *p, const char *path,
    unsigned rights);
int sandbox_add_port(struct sandbox_policy *p, unsigned port);
/* sandbox_add_file - a path added only when it is a regular file now
 * (after symbolic links): -1 when it is not */
int sandbox_add_file(struct sandbox_policy *p, const char *path,
    unsigned rights);

/* What was done (sandbox_apply), or what would be (sandbox_plan). */
struct sandbox_state {
	bool off;        /* sandbox = off */
	bool nnp;        /* PR_SET_NO_NEW_PRIVS */
	bool seccomp;    /* the filter is installed */
	unsigned calls;  /* rules in it (calls allowed or answered) */
	bool prebuilt;   /* the filter came with the program (its
			  * fingerprint matched): not built at run time */
	int landlock_abi; /* 0: the kernel offers none */
	bool landlock;   /* the domain is enforced */
	char landlock_why[160]; /* when not: why */
	bool overflow; /* kept for compatibility: see sandbox_policy */
};

/* sandbox_apply - lock the process down by p: no_new_privs, Landlock
 * (when the kernel offers it; else one log line and on), seccomp. After
 * it the process can do only what p allows, for the rest of its life,
 * and so can every child. -1 with f set (FAIL_TEMP: 75) when no_new_privs
 * or seccomp cannot be set up; the caller reports it and exits. p->off:
 * nothing is done, out says so, 0. */
int sandbox_apply(const struct sandbox_policy *p, struct sandbox_state *out,
    struct failure *f);

/* sandbox_compile - p's seccomp filter as a BPF program, built by the
 * code sandbox_apply builds it with, and p's fingerprint; -1 when it
 * cannot be built. The generator of the prebuilt filters uses it. */
int sandbox_compile(const struct sandbox_policy *p, struct sandbox_bpf *out);

/* sandbox_fingerprint - 64-bit FNV-1a over what p's filter is built
 * from: the default action (test mode or not), every table's entries,
 * the sanitizer builds' own table. */
uint64_t sandbox_fingerprint(const struct sandbox_policy *p);

/* sandbox_prebuilt_find - the filter built with the program for p, or
 * NULL */
const struct sandbox_prebuilt *sandbox_prebuilt_find(
    const struct sandbox_policy *p);

/* sandbox_plan - what sandbox_apply would enforce on this kernel,
 * without applying anything (--check). */
void sandbox_plan(const struct sandbox_policy *p, struct sandbox_state *out);

/* sandbox_describe - one line for --check, e.g.
 *   "NoNewPrivs yes; seccomp yes (131 rules, built with the program;
 *    any other call kills the process);
 *    Landlock ABI 7: /var/spool/safemail/q read,write,create, ...;
 *    TCP connect 587"
 * or "... Landlock: not offered by this kernel (...)", or
 * "off (sandbox = no): nothing enforced". */
void sandbox_describe(const struct sandbox_policy *p,
    const struct sandbox_state *s, char *out, size_t outsz);

/* sandbox_print_check - safemail --check's line for p's program, what
 * sandbox_plan finds on this kernel:
 *   "sandbox of PROGRAM: " and sandbox_describe's line, then "; " and
 *   note when there is one and the sandbox is on. */
void sandbox_print_check(const struct sandbox_policy *p, const char *note,
    FILE *out);

/* sandbox_self_test - test builds (p->test == SANDBOX_TEST_PROBE), right
 * after sandbox_apply: tries what the policy forbids (opening /etc/passwd
 * and forbidden_file, execve of /bin/true, a netlink and a packet socket,
 * ptrace and process_vm_readv) and, as the positive controls, opening
 * granted_file and /etc/localtime for reading; one log line each:
 *   "sandbox self-test: PROGRAM: PROBE: refused (HOW)" or
 *   "sandbox self-test: PROGRAM: PROBE: allowed (RESULT)",
 * after one saying where the filter this process loaded came from:
 *   "sandbox self-test: PROGRAM: seccomp filter: built with the program"
 *   (or "built at run time").
 * Nothing is left changed. A no-op outside SANDBOX_TEST_PROBE. */
void sandbox_self_test(const struct sandbox_policy *p,
    const char *forbidden_file, const char *granted_file);

#endif
