/* lockdown.c - what one lock-down costs a process, the kernel's part
 * (bench/sandbox.py): a child forked and ended, with nothing, with the
 * gate's whole lock-down (sandbox_apply: no_new_privs, Landlock with the
 * gate's rules, its seccomp filter as the program carries it), with the
 * seccomp filter alone, and with a one-instruction filter (what any
 * filter costs, whatever its length). Interleaved, ROUNDS x N forks each;
 * prints the median microseconds a fork of each kind. Built against the
 * bench build's libraries: the gate's own list and filter.
 * Usage: lockdown SPOOL ROUNDS N */
#include "config.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "sandbox_gate.h"

enum kind { NOTHING, WHOLE, FILTER, ONE_INSN, KINDS };
static const char *const names[KINDS] = {"fork and exit",
    "the gate's lock-down", "its seccomp filter alone",
    "a one-instruction filter"};

static struct sandbox_policy gate;

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int
load(const struct sock_filter *insns, size_t n)
{
	struct sock_fprog prog = {(unsigned short)n,
	    (struct sock_filter *)(uintptr_t)insns};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_TSYNC, &prog);
}

static void
lock_down(enum kind k)
{
	static const struct sock_filter allow[1] = {
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	const struct sandbox_prebuilt *b = sandbox_prebuilt_find(&gate);
	struct sandbox_state s;
	struct failure f;

	switch (k) {
	case WHOLE:
		if (sandbox_apply(&gate, &s, &f) != 0)
			_exit(3);
		break;
	case FILTER:
		if (b == NULL || load(b->insns, b->len / sizeof(*allow)) != 0)
			_exit(3);
		break;
	case ONE_INSN:
		if (load(allow, 1) != 0)
			_exit(3);
		break;
	default:
		break;
	}
	_exit(0);
}

static double
forks(enum kind k, int n)
{
	double start = now_us();

	for (int i = 0; i < n; i++) {
		int ws = 0;
		pid_t pid = fork();

		if (pid == 0)
			lock_down(k);
		if (pid < 0 || waitpid(pid, &ws, 0) != pid || ws != 0) {
			fprintf(stderr, "lockdown: %s failed\n", names[k]);
			exit(1);
		}
	}
	return (now_us() - start) / n;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 21;
	int n = argc > 3 ? atoi(argv[3]) : 200;
	double *t[KINDS];

	if (argc < 2 || rounds < 1 || n < 1)
		return 2;
	memset(&gate, 0, sizeof(gate));
	gate.program = "safemail-gate";
	gate_sandbox_calls(&gate);
	/* the gate's Landlock rules (sandbox_gate.c) */
	(void)sandbox_add_path(&gate, argv[1],
	    SANDBOX_FS_READ | SANDBOX_FS_WRITE | SANDBOX_FS_CREATE |
		SANDBOX_FS_MKDIR);
	(void)sandbox_add_path(&gate, "/dev/null",
	    SANDBOX_FS_READ | SANDBOX_FS_WRITE);
	(void)sandbox_add_path(&gate, "/etc/localtime", SANDBOX_FS_READ);
	gate.restrict_tcp = true;
	gate.scope_signals = true;
	gate.scope_abstract_unix = true;
	if (sandbox_prebuilt_find(&gate) == NULL) {
		fprintf(stderr, "lockdown: no filter built with the program\n");
		return 1;
	}
	for (int k = 0; k < KINDS; k++)
		t[k] = calloc((size_t)rounds, sizeof(double));
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < KINDS; k++)
			t[(k + r) % KINDS][r] = forks((enum kind)((k + r) % KINDS),
			    n);
	for (int k = 0; k < KINDS; k++) {
		qsort(t[k], (size_t)rounds, sizeof(double), by_value);
		printf("%s\t%.1f\n", names[k], t[k][rounds / 2]);
	}
	return 0;
}
