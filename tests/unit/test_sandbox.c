/* test_sandbox.c - the sandbox primitive (src/lib/sandbox.c): the
 * policy's room, the --check line for each kernel a program may meet, and
 * a lock-down in a child: what it forbids fails, what it grants works,
 * and a call outside the list kills the process with SIGSYS. Linked, as
 * the programs are, with the filters built with them (Makefile.am): each
 * program's is there for each mode, byte for byte the one its tables give
 * now, and a changed table matches none (its filter is built at run
 * time). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "sandbox_gate.h"
#include "sandbox_relay.h"
#include "tap.h"

static const struct sandbox_call few[] = {
    SANDBOX_ALLOW("read"), SANDBOX_ALLOW("write"), SANDBOX_ALLOW("openat"),
    SANDBOX_ALLOW("close"), SANDBOX_ALLOW("exit_group"),
    /* libseccomp's release after the load may give memory back */
    SANDBOX_ALLOW("brk"), SANDBOX_ALLOW("munmap"), SANDBOX_ALLOW("madvise"),
    SANDBOX_ALLOW("no_such_call_here"), /* skipped, not counted */
};

static void
policy(struct sandbox_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->program = "test";
	p->tables[p->ntables++] = (struct sandbox_calls)SANDBOX_TABLE(few);
}

static void
describe_lines(void)
{
	struct sandbox_policy p;
	struct sandbox_state s;
	char line[1024];

	policy(&p);
	ok(sandbox_add_path(&p, "/var/spool/safemail",
	       SANDBOX_FS_READ | SANDBOX_FS_WRITE | SANDBOX_FS_CREATE) == 0 &&
		sandbox_add_path(&p, "/etc/ssl/certs", SANDBOX_FS_READ) == 0,
	    "paths added");
	ok(sandbox_add_path(&p, "relative", SANDBOX_FS_READ) == -1,
	    "a relative path is refused");
	p.restrict_tcp = true;
	ok(sandbox_add_port(&p, 587) == 0 && sandbox_add_port(&p, 587) == 0 &&
		p.nports == 1 && sandbox_add_port(&p, 0) == -1 &&
		sandbox_add_port(&p, 65536) == -1,
	    "ports: once each, 1-65535");

	{
		struct sandbox_policy full;
		struct sandbox_state st;
		struct failure f = {FAIL_NONE, ""};
		int added = 0;

		policy(&full);
		for (int i = 0; i < SANDBOX_MAX_PATHS + 1; i++)
			added += sandbox_add_path(&full, "/tmp", 0) == 0;
		ok(added == SANDBOX_MAX_PATHS && full.overflow &&
			sandbox_apply(&full, &st, &f) == -1 &&
			f.kind == FAIL_SOFTWARE && !st.seccomp,
		    "a policy past its room is refused, nothing applied: %s",
		    f.msg);
	}

	memset(&s, 0, sizeof(s));
	s.off = true;
	sandbox_describe(&p, &s, line, sizeof(line));
	is_str(line, "off (sandbox = no): nothing enforced", "off");

	memset(&s, 0, sizeof(s));
	s.nnp = s.seccomp = true;
	s.calls = 5;
	(void)snprintf(s.landlock_why, sizeof(s.landlock_why),
	    "not offered by this kernel (Function not implemented)");
	sandbox_describe(&p, &s, line, sizeof(line));
	is_str(line,
	    "NoNewPrivs yes; seccomp yes (5 rules, built at run time; any "
	    "other call kills the process); Landlock: not offered by this "
	    "kernel (Function not implemented)",
	    "no Landlock: seccomp alone, and why");
	s.prebuilt = true;

	s.landlock = true;
	s.landlock_abi = 2;
	sandbox_describe(&p, &s, line, sizeof(line));
	is_str(line,
	    "NoNewPrivs yes; seccomp yes (5 rules, built with the program; "
	    "any other call kills the process); Landlock ABI 2: "
	    "/var/spool/safemail read,write,create, /etc/ssl/certs read",
	    "ABI 2 (Debian 12's kernel): paths only, no TCP rules");

	s.landlock_abi = 7;
	p.scope_signals = true;
	sandbox_describe(&p, &s, line, sizeof(line));
	is_str(line,
	    "NoNewPrivs yes; seccomp yes (5 rules, built with the program; "
	    "any other call kills the process); Landlock ABI 7: "
	    "/var/spool/safemail read,write,create, /etc/ssl/certs read; TCP: "
	    "no bind, connect to port 587; scoped: signals",
	    "ABI 7: paths, TCP ports, scopes");

	sandbox_plan(&p, &s);
	ok(s.nnp && s.seccomp && s.calls == 8 && !s.off && !s.prebuilt,
	    "the plan counts the calls this architecture has (%u); no filter "
	    "was built with the program for this policy",
	    s.calls);
	p.off = true;
	sandbox_plan(&p, &s);
	ok(s.off && !s.seccomp, "the plan of a policy that is off: off");
}

/* In a child: lock down to few[] and the directory dir, then try.
 * Its exit code says what happened. */
static int __attribute__((unused))
child(const char *dir, const char *granted, int what)
{
	pid_t pid = fork();
	int ws = 0;

	if (pid == 0) {
		struct sandbox_policy p;
		struct sandbox_state s;
		struct failure f = {FAIL_NONE, ""};
		int fd;

		policy(&p);
		(void)sandbox_add_path(&p, dir, SANDBOX_FS_READ);
		if (sandbox_apply(&p, &s, &f) != 0 || !s.seccomp || !s.nnp ||
		    s.prebuilt)
			_exit(10);
		switch (what) {
		case 0: /* the granted file */
			fd = open(granted, O_RDONLY);
			_exit(fd >= 0 ? 0 : 11);
		case 1: /* a file outside: Landlock (when offered) */
			if (!s.landlock)
				_exit(0);
			fd = open("/etc/passwd", O_RDONLY);
			_exit(fd >= 0 ? 12 : errno == EACCES ? 0 : 13);
		default: /* a call outside the list */
			(void)socket(AF_INET, SOCK_STREAM, 0);
			_exit(14);
		}
	}
	if (pid < 0 || waitpid(pid, &ws, 0) != pid)
		return -1;
	return WIFSIGNALED(ws) ? 1000 + WTERMSIG(ws) : WEXITSTATUS(ws);
}

static void __attribute__((unused))
lock_down(void)
{
	char dir[] = "/tmp/test_sandbox.XXXXXX", file[64];
	int fd;

	if (mkdtemp(dir) == NULL)
		return;
	(void)snprintf(file, sizeof(file), "%s/granted", dir);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		(void)close(fd);
	ok(child(dir, file, 0) == 0, "locked down: the granted file opens");
	ok(child(dir, file, 1) == 0,
	    "locked down: /etc/passwd does not (EACCES), where Landlock is "
	    "offered");
	ok(child(dir, file, 2) == 1000 + SIGSYS,
	    "locked down: a call outside the list kills the process (SIGSYS)");
	(void)unlink(file);
	(void)rmdir(dir);
}

/* ---- the filters built with the programs ---- */

#ifdef SAFEMAIL_PREBUILT_FILTERS
/* the policies the programs lock down with (src/tools/sandbox-bpf.c) */
enum which { GATE, RELAY, RELAY_QUEUE };
static const char *const which_name[] = {"the gate", "the relay client",
    "a queue run's relay client"};

static void
program_policy(enum which w, enum sandbox_test test,
    struct sandbox_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->program = which_name[w];
	p->test = test;
	if (w == GATE)
		gate_sandbox_calls(p);
	else
		relay_sandbox_calls(p, w == RELAY_QUEUE);
}

/* the filter built with the program for w and test is the one its
 * tables build now */
static void
prebuilt_matches(enum which w, enum sandbox_test test, const char *mode)
{
	struct sandbox_policy p;
	struct sandbox_bpf b;
	const struct sandbox_prebuilt *pb;

	program_policy(w, test, &p);
	pb = sandbox_prebuilt_find(&p);
	if (sandbox_compile(&p, &b) != 0) {
		ok(0, "%s, %s: the filter builds", which_name[w], mode);
		return;
	}
	ok(pb != NULL && pb->fingerprint == b.fingerprint &&
		pb->len == b.len && memcmp(pb->insns, b.insns, b.len) == 0 &&
		pb->calls == b.calls,
	    "%s, %s: the filter built with the programs is there, byte for "
	    "byte the one its tables build now (%zu instructions, %u rules)",
	    which_name[w], mode, b.len / sizeof(struct sock_filter), b.calls);
	free(b.insns);
}

/* p with its first table changed by change: matches no filter built
 * with the programs */
static void
changed_matches_none(const char *what, void (*change)(struct sandbox_call *,
					   size_t *))
{
	struct sandbox_policy p;
	struct sandbox_call *v;
	size_t n;

	program_policy(GATE, SANDBOX_TEST_NONE, &p);
	n = p.tables[0].n;
	v = calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return;
	memcpy(v, p.tables[0].v, n * sizeof(*v));
	change(v, &n);
	p.tables[0].v = v;
	p.tables[0].n = n;
	ok(sandbox_prebuilt_find(&p) == NULL,
	    "the gate's table with %s: no filter built with the programs "
	    "matches",
	    what);
	free(v);
}

static void
add_call(struct sandbox_call *v, size_t *n)
{
	v[(*n)++] = (struct sandbox_call)SANDBOX_ALLOW("ptrace");
}

static void
change_errno(struct sandbox_call *v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i].err != 0) {
			v[i].err = EPERM;
			return;
		}
}

static void
change_arg(struct sandbox_call *v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i].nargs > 0) {
			v[i].arg[0].value ^= 1;
			return;
		}
}

/* In a child: lock down by the gate's policy (kill), or with one call
 * added; whether the filter was built with the program, and a call
 * outside the list */
static int
child_program(bool changed)
{
	pid_t pid = fork();
	int ws = 0;

	if (pid == 0) {
		static const struct sandbox_call extra[] = {
		    SANDBOX_ALLOW("ptrace")};
		struct sandbox_policy p;
		struct sandbox_state s;
		struct failure f = {FAIL_NONE, ""};

		program_policy(GATE, SANDBOX_TEST_NONE, &p);
		if (changed)
			p.tables[p.ntables++] =
			    (struct sandbox_calls)SANDBOX_TABLE(extra);
		if (sandbox_apply(&p, &s, &f) != 0 || !s.seccomp)
			_exit(10);
		if (s.prebuilt == changed)
			_exit(11);
		(void)socket(AF_INET, SOCK_STREAM, 0);
		_exit(12);
	}
	if (pid < 0 || waitpid(pid, &ws, 0) != pid)
		return -1;
	return WIFSIGNALED(ws) ? 1000 + WTERMSIG(ws) : WEXITSTATUS(ws);
}

static void
prebuilt(void)
{
	struct sandbox_policy p, trap;
	struct sandbox_state s;
	size_t n = 99;

	(void)sandbox_prebuilt_list(&n);
	ok(n == 6, "6 filters built with the programs: 3 policies, 2 modes "
		   "(%zu)",
	    n);
	for (enum which w = GATE; w <= RELAY_QUEUE; w++) {
		prebuilt_matches(w, SANDBOX_TEST_NONE, "production (kill)");
		prebuilt_matches(w, SANDBOX_TEST_TRAP, "test builds (trap)");
	}
	program_policy(RELAY, SANDBOX_TEST_PROBE, &p);
	program_policy(RELAY, SANDBOX_TEST_TRAP, &trap);
	ok(sandbox_prebuilt_find(&p) != NULL &&
		sandbox_prebuilt_find(&p) == sandbox_prebuilt_find(&trap),
	    "probe mode loads the trap mode's filter");
	changed_matches_none("one call added", add_call);
	changed_matches_none("one errno changed", change_errno);
	changed_matches_none("one argument changed", change_arg);
	program_policy(GATE, SANDBOX_TEST_NONE, &p);
	sandbox_plan(&p, &s);
	ok(s.prebuilt, "--check's plan: the gate's filter came with it");
	ok(child_program(false) == 1000 + SIGSYS,
	    "locked down by the gate's policy: the filter built with the "
	    "program is loaded, and a call outside its list kills");
	ok(child_program(true) == 1000 + SIGSYS,
	    "a policy with a call added: built at run time, and a call "
	    "outside its list kills");
}

#else
/* a cross build (configure.ac): no filter came with the programs */
static void
prebuilt(void)
{
	struct sandbox_policy p;
	struct sandbox_state s;
	size_t n = 99;

	(void)sandbox_prebuilt_list(&n);
	memset(&p, 0, sizeof(p));
	gate_sandbox_calls(&p);
	sandbox_plan(&p, &s);
	ok(n == 0 && !s.prebuilt,
	    "a cross build: no filter came with the programs; each is built "
	    "at run time");
}
#endif

/* sandbox_add_file: a regular file only, after its links (the time
 * zone: a directory bind-mounted there would grant a tree, a loop turn
 * Landlock off) */
static void
files_only(void)
{
	char dir[] = "/tmp/safemail-addfile-XXXXXX";
	char file[64], link_to[64], loop[64], sub[64];
	struct sandbox_policy p;
	int fd;

	if (mkdtemp(dir) == NULL)
		return;
	(void)snprintf(file, sizeof(file), "%s/file", dir);
	(void)snprintf(link_to, sizeof(link_to), "%s/link", dir);
	(void)snprintf(loop, sizeof(loop), "%s/loop", dir);
	(void)snprintf(sub, sizeof(sub), "%s/sub", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		(void)close(fd);
	if (symlink(file, link_to) != 0 || symlink(loop, loop) != 0 ||
	    mkdir(sub, 0700) != 0) {
		ok(0, "the files of sandbox_add_file's test made");
		return;
	}
	policy(&p);
	ok(sandbox_add_file(&p, file, SANDBOX_FS_READ) == 0 &&
		sandbox_add_file(&p, link_to, SANDBOX_FS_READ) == 0 &&
		p.npaths == 2,
	    "a regular file, and a link to one: added");
	ok(sandbox_add_file(&p, sub, SANDBOX_FS_READ) == -1 &&
		sandbox_add_file(&p, loop, SANDBOX_FS_READ) == -1 &&
		sandbox_add_file(&p, "/nonexistent/x", SANDBOX_FS_READ) == -1 &&
		p.npaths == 2,
	    "a directory, a link loop, a missing file: not added");
	(void)unlink(file);
	(void)unlink(link_to);
	(void)unlink(loop);
	(void)rmdir(sub);
	(void)rmdir(dir);
}

int
main(void)
{
	describe_lines();
	files_only();
	prebuilt();
#ifndef SAFEMAIL_SANITIZER_LOG
	/* (a sanitizer build's runtime needs calls few[] does not allow) */
	lock_down();
#endif
	return done_testing();
}
