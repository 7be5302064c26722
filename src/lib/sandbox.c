/* sandbox.c - no_new_privs, Landlock and seccomp from a declarative policy
 * (sandbox.h). Landlock through raw syscalls (Debian 12 has no library;
 * its headers know ABI 2 at most, the rest is defined here), the ABI
 * asked for at run time and the highest one used; seccomp through
 * libseccomp, an allow-list that kills the process on anything else
 * (OpenSSH's sandbox-seccomp-filter.c is the model). libseccomp builds
 * each program's filters at build time (src/tools/sandbox-bpf.c); a
 * process loads the one whose fingerprint is its policy's with
 * seccomp(2), and builds its own only when none is (a cross build, a
 * table changed since). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

/* ---- Landlock: what <linux/landlock.h> of Linux 6.1 lacks ---- */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#define SB_NET_BIND_TCP (1ULL << 0)    /* ABI 4 */
#define SB_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */
#define SB_RULE_NET_PORT 2             /* ABI 4 */
#define SB_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define SB_SCOPE_SIGNAL (1ULL << 1)        /* ABI 6 */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

/* the newest ruleset attribute; an older kernel takes it while the
 * fields it does not know are zero */
struct sb_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};
struct sb_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

/* the rights of files (as opposed to directories) */
#define SB_FILE_RIGHTS                                                         \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |          \
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |       \
	    LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* every file system right the kernel's ABI knows */
static uint64_t
handled_fs(int abi)
{
	uint64_t h = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */

	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return h;
}

static uint64_t
landlock_rights(unsigned rights)
{
	uint64_t r = 0;

	if (rights & SANDBOX_FS_READ)
		r |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	if (rights & SANDBOX_FS_WRITE)
		r |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
	/* a rename of a link, a fifo or a socket (a stray file moved
	 * aside) needs the right to make one */
	if (rights & SANDBOX_FS_CREATE)
		r |= LANDLOCK_ACCESS_FS_MAKE_REG |
		    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_REFER |
		    LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_MAKE_FIFO |
		    LANDLOCK_ACCESS_FS_MAKE_SOCK;
	if (rights & SANDBOX_FS_MKDIR)
		r |= LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR;
	if (rights & SANDBOX_FS_EXEC)
		r |= LANDLOCK_ACCESS_FS_EXECUTE;
	return r;
}

static bool
policy_creates(const struct sandbox_policy *p)
{
	for (size_t i = 0; i < p->npaths; i++)
		if (p->paths[i].rights & SANDBOX_FS_CREATE)
			return true;
	return false;
}

/* Landlock usable for p? 0, or why not in why. */
static int
landlock_usable(const struct sandbox_policy *p, int *abi, char *why,
    size_t whysz)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);

	*abi = 0;
	if (v < 0) {
		(void)snprintf(why, whysz, "not offered by this kernel (%s)",
		    strerror(errno));
		return -1;
	}
	*abi = (int)v;
	/* ABI 1 refuses every rename between directories, which the
	 * spool's moves are */
	if (*abi < 2 && policy_creates(p)) {
		(void)snprintf(why, whysz, "ABI 1 only, which cannot allow "
					   "the spool's renames");
		return -1;
	}
	return 0;
}

static int
add_path_rule(int rs, const struct sandbox_path *sp, uint64_t handled,
    char *why, size_t whysz)
{
	struct landlock_path_beneath_attr pb;
	struct stat s;
	int fd = open(sp->path, O_PATH | O_CLOEXEC);

	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0; /* not on this host: nothing to grant */
	if (fd < 0 || fstat(fd, &s) != 0) {
		(void)snprintf(why, whysz, "%s: %s", sp->path, strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return -1;
	}
	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = fd;
	pb.allowed_access = landlock_rights(sp->rights) & handled;
	if (!S_ISDIR(s.st_mode))
		pb.allowed_access &= SB_FILE_RIGHTS;
	if (pb.allowed_access != 0 &&
	    syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb,
		0) != 0) {
		(void)snprintf(why, whysz, "adding %s: %s", sp->path,
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	return 0;
}

static int
add_port_rules(int rs, const struct sandbox_policy *p, char *why,
    size_t whysz)
{
	for (size_t i = 0; i < p->nports; i++) {
		struct sb_net_port_attr np = {SB_NET_CONNECT_TCP,
		    p->tcp_ports[i]};

		if (syscall(SYS_landlock_add_rule, rs, SB_RULE_NET_PORT, &np,
			0) != 0) {
			(void)snprintf(why, whysz, "adding port %u: %s",
			    (unsigned)p->tcp_ports[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void
ruleset_attr(const struct sandbox_policy *p, int abi,
    struct sb_ruleset_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->handled_access_fs = handled_fs(abi);
	if (abi >= 4 && p->restrict_tcp)
		a->handled_access_net = SB_NET_BIND_TCP | SB_NET_CONNECT_TCP;
	if (abi >= 6 && p->scope_abstract_unix)
		a->scoped |= SB_SCOPE_ABSTRACT_UNIX;
	if (abi >= 6 && p->scope_signals)
		a->scoped |= SB_SCOPE_SIGNAL;
}

/* The Landlock domain, or why not (s->landlock_why); never fatal. */
static void
apply_landlock(const struct sandbox_policy *p, struct sandbox_state *s)
{
	struct sb_ruleset_attr a;
	int rs, rc = 0;

	if (landlock_usable(p, &s->landlock_abi, s->landlock_why,
		sizeof(s->landlock_why)) != 0)
		return;
	ruleset_attr(p, s->landlock_abi, &a);
	rs = (int)syscall(SYS_landlock_create_ruleset, &a, sizeof(a), 0);
	if (rs < 0) {
		(void)snprintf(s->landlock_why, sizeof(s->landlock_why),
		    "cannot create a ruleset (%s)", strerror(errno));
		return;
	}
	for (size_t i = 0; rc == 0 && i < p->npaths; i++)
		rc = add_path_rule(rs, &p->paths[i], a.handled_access_fs,
		    s->landlock_why, sizeof(s->landlock_why));
#ifdef SAFEMAIL_SANITIZER_LOG
	/* sanitizer builds: /proc (LeakSanitizer's task list, the maps)
	 * and the reports' directory */
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		static const struct sandbox_path san[] = {
		    {"/proc", SANDBOX_FS_READ},
		    {SAFEMAIL_SANITIZER_LOG,
			SANDBOX_FS_READ | SANDBOX_FS_WRITE | SANDBOX_FS_CREATE}};

		rc = add_path_rule(rs, &san[i], a.handled_access_fs,
		    s->landlock_why, sizeof(s->landlock_why));
	}
#endif
	if (rc == 0 && a.handled_access_net != 0)
		rc = add_port_rules(rs, p, s->landlock_why,
		    sizeof(s->landlock_why));
	if (rc == 0 && syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
		(void)snprintf(s->landlock_why, sizeof(s->landlock_why),
		    "cannot restrict the process (%s)", strerror(errno));
		rc = -1;
	}
	(void)close(rs);
	s->landlock = rc == 0;
}

/* ---- seccomp ---- */

#ifdef SAFEMAIL_SANITIZER_LOG
/* Sanitizer builds only (the tests'): what ASan, UBSan and LeakSanitizer
 * do at a report and at exit: map shadow memory, read /proc/self/maps,
 * write the report file, and LeakSanitizer's tracer (a clone that
 * ptraces the process and waits). */
static const struct sandbox_call sanitizer_calls[] = {
    SANDBOX_ALLOW("mmap"), SANDBOX_ALLOW("munmap"), SANDBOX_ALLOW("mprotect"),
    SANDBOX_ALLOW("madvise"), SANDBOX_ALLOW("mremap"),
    SANDBOX_ALLOW("open"), SANDBOX_ALLOW("openat"), SANDBOX_ALLOW("close"),
    SANDBOX_ALLOW("read"), SANDBOX_ALLOW("pread64"), SANDBOX_ALLOW("write"),
    SANDBOX_ALLOW("lseek"), SANDBOX_ALLOW("getdents"),
    SANDBOX_ALLOW("readlink"), SANDBOX_ALLOW("readlinkat"),
    SANDBOX_ALLOW("getdents64"), SANDBOX_ALLOW("newfstatat"),
    SANDBOX_ALLOW("fstat"), SANDBOX_ALLOW("stat"), SANDBOX_ALLOW("lstat"),
    SANDBOX_ALLOW("getpid"), SANDBOX_ALLOW("gettid"), SANDBOX_ALLOW("getppid"),
    SANDBOX_ALLOW("sched_yield"), SANDBOX_ALLOW("sched_getaffinity"),
    SANDBOX_ALLOW("sigaltstack"), SANDBOX_ALLOW("rt_sigaction"),
    SANDBOX_ALLOW("rt_sigprocmask"), SANDBOX_ALLOW("prctl"),
    SANDBOX_ALLOW("clone"), SANDBOX_ALLOW("wait4"),
    /* the tracer's requests only: the self-test's PTRACE_SEIZE still
     * fails */
    SANDBOX_ALLOW_ARG("ptrace", 0, PTRACE_ATTACH),
    SANDBOX_ALLOW_ARG("ptrace", 0, PTRACE_DETACH),
    SANDBOX_ALLOW_ARG("ptrace", 0, PTRACE_GETREGS),
    SANDBOX_ALLOW_ARG("ptrace", 0, PTRACE_GETFPREGS),
    SANDBOX_ALLOW_ARG("ptrace", 0, PTRACE_GETREGSET),
    SANDBOX_ALLOW_ARG("ptrace", 0, PTRACE_PEEKUSER),
    SANDBOX_ALLOW_ARG("ptrace", 0, PTRACE_CONT),
    SANDBOX_ALLOW("waitid"), SANDBOX_ALLOW("futex"),
    SANDBOX_ALLOW("exit"), SANDBOX_ALLOW("exit_group"),
    SANDBOX_ALLOW("tgkill"), SANDBOX_ALLOW("kill"), SANDBOX_ALLOW("pipe2"),
    SANDBOX_ALLOW("getrlimit"), SANDBOX_ALLOW("prlimit64"),
    SANDBOX_ALLOW("setrlimit"), SANDBOX_ALLOW("unlink"),
    SANDBOX_ALLOW("sysinfo"), SANDBOX_ALLOW("uname"),
};
#endif

static int
add_call(scmp_filter_ctx ctx, const struct sandbox_call *c, unsigned *count,
    struct failure *f)
{
	struct scmp_arg_cmp cmp[2];
	int nr = seccomp_syscall_resolve_name(c->name);
	int rc;

	if (nr == __NR_SCMP_ERROR || nr < 0)
		return 0; /* not a call of this architecture */
	for (unsigned i = 0; i < c->nargs && i < 2; i++) {
		cmp[i].arg = c->arg[i].index;
		cmp[i].op = c->arg[i].mask == UINT64_MAX ? SCMP_CMP_EQ
							 : SCMP_CMP_MASKED_EQ;
		cmp[i].datum_a = c->arg[i].mask;
		cmp[i].datum_b = c->arg[i].value;
		if (cmp[i].op == SCMP_CMP_EQ)
			cmp[i].datum_a = c->arg[i].value;
	}
	rc = seccomp_rule_add_array(ctx,
	    c->err != 0 ? SCMP_ACT_ERRNO((uint32_t)c->err) : SCMP_ACT_ALLOW,
	    nr, c->nargs < 2 ? c->nargs : 2, cmp);
	if (rc != 0) {
		fail_set(f, FAIL_TEMP, "cannot add %s to the seccomp filter: "
				       "%s",
		    c->name, strerror(-rc));
		return -1;
	}
	(*count)++;
	return 0;
}

static int
add_table(scmp_filter_ctx ctx, const struct sandbox_call *v, size_t n,
    unsigned *count, struct failure *f)
{
	for (size_t i = 0; i < n; i++)
		if (add_call(ctx, &v[i], count, f) != 0)
			return -1;
	return 0;
}

/* Test builds: the call a trap names, and the self-test's way back. */
static const char *trap_program = "safemail";
static volatile sig_atomic_t probing;
static sigjmp_buf probe_env;

static void
on_sigsys(int sig, siginfo_t *info, void *ctx)
{
	char line[200];
	char *name;
	int n;

	(void)sig;
	(void)ctx;
	if (probing)
		siglongjmp(probe_env, 1);
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
	    info->si_syscall);
	n = snprintf(line, sizeof(line),
	    "sandbox: %s made the system call %s (%d), which its seccomp "
	    "policy does not allow",
	    trap_program, name != NULL ? name : "?", info->si_syscall);
	if (n > 0) {
		char out[220];
		int m = snprintf(out, sizeof(out), "safemail: %s\n", line);

		if (m > 0 && write(2, out, (size_t)m < sizeof(out)
					       ? (size_t)m
					       : sizeof(out) - 1) < 0)
			m = 0; /* nowhere to say it: the log still has it */
		log_emit(LOG_ERR, "%s", line);
	}
	_exit(70);
}

/* p's filter in a libseccomp context, or NULL with f set */
static scmp_filter_ctx
build_filter(const struct sandbox_policy *p, unsigned *calls,
    struct failure *f)
{
	uint32_t dflt = p->test != SANDBOX_TEST_NONE ? SCMP_ACT_TRAP
						     : SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx = seccomp_init(dflt);
	int rc = 0;

	if (ctx == NULL) {
		fail_set(f, FAIL_TEMP, "cannot set up the seccomp filter");
		return NULL;
	}
	/* a binary tree of the calls: fewer instructions per call, and
	 * built faster than the default list (a relay client builds its
	 * filter for every message on the set-ID path) */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
		SCMP_ACT_KILL_PROCESS) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) != 0) {
		fail_set(f, FAIL_TEMP, "cannot set up the seccomp filter");
		rc = -1;
	}
	for (size_t t = 0; rc == 0 && t < p->ntables; t++)
		rc = add_table(ctx, p->tables[t].v, p->tables[t].n, calls, f);
#ifdef SAFEMAIL_SANITIZER_LOG
	if (rc == 0)
		rc = add_table(ctx, sanitizer_calls,
		    sizeof(sanitizer_calls) / sizeof(sanitizer_calls[0]), calls,
		    f);
#endif
	if (rc != 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

int
sandbox_compile(const struct sandbox_policy *p, struct sandbox_bpf *out)
{
	struct failure f = {FAIL_NONE, ""};
	scmp_filter_ctx ctx;
	int fd = -1, rc = -1;
	off_t len;

	memset(out, 0, sizeof(*out));
	out->fingerprint = sandbox_fingerprint(p);
	if ((ctx = build_filter(p, &out->calls, &f)) == NULL)
		return -1;
	fd = memfd_create("safemail-bpf", MFD_CLOEXEC);
	if (fd >= 0 && seccomp_export_bpf(ctx, fd) == 0 &&
	    (len = lseek(fd, 0, SEEK_END)) > 0 &&
	    len % (off_t)sizeof(struct sock_filter) == 0 &&
	    len / (off_t)sizeof(struct sock_filter) <= BPF_MAXINSNS &&
	    (out->insns = malloc((size_t)len)) != NULL &&
	    pread(fd, out->insns, (size_t)len, 0) == (ssize_t)len) {
		out->len = (size_t)len;
		rc = 0;
	}
	if (rc != 0) {
		free(out->insns);
		out->insns = NULL;
	}
	if (fd >= 0)
		(void)close(fd);
	seccomp_release(ctx);
	return rc;
}

/* ---- the filters built with the program ---- */

/* FNV-1a, 64 bits: the fingerprint's hash */
#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

static uint64_t
fnv_bytes(uint64_t h, const void *data, size_t n)
{
	const unsigned char *b = data;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

/* a number as 8 bytes, low first: the same on every compiler */
static uint64_t
fnv_u64(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		h = (h ^ ((v >> (8 * i)) & 0xff)) * FNV_PRIME;
	return h;
}

/* a table's entries, each field as build_filter reads it */
static uint64_t
fnv_table(uint64_t h, const struct sandbox_call *v, size_t n)
{
	h = fnv_u64(h, n);
	for (size_t i = 0; i < n; i++) {
		h = fnv_bytes(h, v[i].name, strlen(v[i].name) + 1);
		h = fnv_u64(h, (uint64_t)(int64_t)v[i].err);
		h = fnv_u64(h, v[i].nargs);
		for (unsigned a = 0; a < v[i].nargs && a < 2; a++) {
			h = fnv_u64(h, v[i].arg[a].index);
			h = fnv_u64(h, v[i].arg[a].mask);
			h = fnv_u64(h, v[i].arg[a].value);
		}
	}
	return h;
}

uint64_t
sandbox_fingerprint(const struct sandbox_policy *p)
{
	/* the default action: trap (test builds' modes) or kill */
	uint64_t h = fnv_u64(FNV_OFFSET, p->test != SANDBOX_TEST_NONE);

	h = fnv_u64(h, p->ntables);
	for (size_t t = 0; t < p->ntables; t++)
		h = fnv_table(h, p->tables[t].v, p->tables[t].n);
#ifdef SAFEMAIL_SANITIZER_LOG
	h = fnv_table(h, sanitizer_calls,
	    sizeof(sanitizer_calls) / sizeof(sanitizer_calls[0]));
#endif
	return h;
}

const struct sandbox_prebuilt *
sandbox_prebuilt_find(const struct sandbox_policy *p)
{
	size_t n = 0;
	const struct sandbox_prebuilt *v = sandbox_prebuilt_list(&n);
	uint64_t fp = sandbox_fingerprint(p);

	for (size_t i = 0; i < n; i++)
		if (v[i].fingerprint == fp && v[i].len > 0 &&
		    v[i].len % sizeof(struct sock_filter) == 0 &&
		    v[i].len / sizeof(struct sock_filter) <= BPF_MAXINSNS)
			return &v[i];
	return NULL;
}

/* the filter built with the program, loaded as it is; -errno */
static int
load_prebuilt(const struct sandbox_prebuilt *b)
{
	struct sock_fprog prog;

	prog.len = (unsigned short)(b->len / sizeof(struct sock_filter));
	/* the kernel only reads it */
	prog.filter = (struct sock_filter *)(uintptr_t)b->insns;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		   SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0
	    ? 0
	    : -errno;
}

/* what this process loaded, for the self-test's line: 0 nothing, 1
 * the prebuilt filter, 2 one built at run time */
static int loaded_filter;

static int
apply_seccomp(const struct sandbox_policy *p, struct sandbox_state *s,
    struct failure *f)
{
	const struct sandbox_prebuilt *b = sandbox_prebuilt_find(p);
	scmp_filter_ctx ctx = NULL;
	int rc = 0;

	if (b != NULL)
		s->calls = b->calls;
	else if ((ctx = build_filter(p, &s->calls, f)) == NULL)
		return -1;
	if (p->test != SANDBOX_TEST_NONE) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO;
		(void)sigemptyset(&sa.sa_mask);
		trap_program = p->program;
		(void)sigaction(SIGSYS, &sa, NULL);
	}
	rc = b != NULL ? load_prebuilt(b) : seccomp_load(ctx);
	if (rc != 0) {
		fail_set(f, FAIL_TEMP, "cannot install the seccomp filter: %s",
		    strerror(-rc));
		rc = -1;
	}
	if (ctx != NULL)
		seccomp_release(ctx);
	s->seccomp = rc == 0;
	s->prebuilt = rc == 0 && b != NULL;
	if (rc == 0)
		loaded_filter = b != NULL ? 1 : 2;
	return rc;
}

/* ---- the policy ---- */

enum sandbox_test
sandbox_test_mode(const char *override)
{
	if (override == NULL)
		return SANDBOX_TEST_NONE;
	if (strcmp(override, "trap") == 0)
		return SANDBOX_TEST_TRAP;
	if (strcmp(override, "probe") == 0)
		return SANDBOX_TEST_PROBE;
	return SANDBOX_TEST_NONE;
}

int
sandbox_add_path(struct sandbox_policy *p, const char *path, unsigned rights)
{
	if (path == NULL || path[0] != '/')
		return -1;
	if (p->npaths >= SANDBOX_MAX_PATHS) {
		p->overflow = true;
		return -1;
	}
	p->paths[p->npaths].path = path;
	p->paths[p->npaths].rights = rights;
	p->npaths++;
	return 0;
}

int
sandbox_add_file(struct sandbox_policy *p, const char *path, unsigned rights)
{
	struct stat st;

	/* what it names now: a directory there (a bind mount of a missing
	 * host file makes one) would grant a tree, a loop turn Landlock off */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	return sandbox_add_path(p, path, rights);
}

int
sandbox_add_port(struct sandbox_policy *p, unsigned port)
{
	if (port == 0 || port > 65535)
		return -1;
	for (size_t i = 0; i < p->nports; i++)
		if (p->tcp_ports[i] == port)
			return 0;
	if (p->nports >= SANDBOX_MAX_PORTS) {
		p->overflow = true;
		return -1;
	}
	p->tcp_ports[p->nports++] = (uint16_t)port;
	return 0;
}

/* Lazy loads a locked-down process could no longer make. The time zone
 * (syslog's time stamps) is /etc/localtime, which each policy lets it
 * read when it first needs it (most processes never do: a load now cost
 * some 0.1 ms each); a TZ in the environment may name another file,
 * loaded now. */
static void
load_lazy_files(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (getenv("TZ") == NULL)
		return;
	tzset();
	(void)localtime_r(&now, &tm);
}

int
sandbox_apply(const struct sandbox_policy *p, struct sandbox_state *s,
    struct failure *f)
{
	memset(s, 0, sizeof(*s));
	if (p->off) {
		s->off = true;
		return 0;
	}
	if (p->overflow) {
		/* a rule left out would deny what the program needs */
		fail_set(f, FAIL_SOFTWARE, "the sandbox policy of %s has more "
					   "paths or ports than its room",
		    p->program);
		return -1;
	}
	load_lazy_files();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		fail_set(f, FAIL_TEMP, "cannot set no_new_privs: %s",
		    strerror(errno));
		return -1;
	}
	s->nnp = true;
	apply_landlock(p, s);
	if (!s->landlock)
		log_emit(LOG_WARNING, "sandbox: %s runs without Landlock: %s; "
				      "seccomp only",
		    p->program, s->landlock_why);
	return apply_seccomp(p, s, f);
}

void
sandbox_plan(const struct sandbox_policy *p, struct sandbox_state *s)
{
	memset(s, 0, sizeof(*s));
	if (p->off) {
		s->off = true;
		return;
	}
	s->nnp = true;
	s->seccomp = true;
	for (size_t t = 0; t < p->ntables; t++)
		for (size_t i = 0; i < p->tables[t].n; i++) {
			int nr = seccomp_syscall_resolve_name(
			    p->tables[t].v[i].name);

			if (nr != __NR_SCMP_ERROR && nr >= 0)
				s->calls++;
		}
	s->prebuilt = sandbox_prebuilt_find(p) != NULL;
	s->landlock = landlock_usable(p, &s->landlock_abi, s->landlock_why,
			  sizeof(s->landlock_why)) == 0;
}

/* ---- --check ---- */

struct sb_buf {
	char *p;
	size_t size, len;
};

__attribute__((format(printf, 2, 3))) static void
put(struct sb_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= b->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
	if (b->len >= b->size)
		b->len = b->size - 1;
}

static void
put_rights(struct sb_buf *b, unsigned r)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{SANDBOX_FS_READ, "read"}, {SANDBOX_FS_WRITE, "write"},
	    {SANDBOX_FS_CREATE, "create"}, {SANDBOX_FS_MKDIR, "mkdir"},
	    {SANDBOX_FS_EXEC, "execute"}};
	const char *sep = "";

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (r & names[i].bit) {
			put(b, "%s%s", sep, names[i].name);
			sep = ",";
		}
}

static void
describe_landlock(const struct sandbox_policy *p,
    const struct sandbox_state *s, struct sb_buf *b)
{
	if (!s->landlock) {
		put(b, "Landlock: %s", s->landlock_why[0] != '\0'
			? s->landlock_why
			: "not offered by this kernel");
		return;
	}
	put(b, "Landlock ABI %d:", s->landlock_abi);
	for (size_t i = 0; i < p->npaths; i++) {
		put(b, "%s %s ", i > 0 ? "," : "", p->paths[i].path);
		put_rights(b, p->paths[i].rights);
	}
	if (p->npaths == 0)
		put(b, " no file access");
	if (p->restrict_tcp && s->landlock_abi >= 4) {
		put(b, "; TCP: no bind, connect to port");
		for (size_t i = 0; i < p->nports; i++)
			put(b, "%s %u", i > 0 ? "," : "",
			    (unsigned)p->tcp_ports[i]);
		if (p->nports == 0)
			put(b, " none");
	}
	if ((p->scope_signals || p->scope_abstract_unix) &&
	    s->landlock_abi >= 6)
		put(b, "; scoped:%s%s", p->scope_signals ? " signals" : "",
		    p->scope_abstract_unix ? " abstract-sockets" : "");
}

void
sandbox_describe(const struct sandbox_policy *p,
    const struct sandbox_state *s, char *out, size_t outsz)
{
	struct sb_buf b = {out, outsz, 0};

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (s->off) {
		put(&b, "off (sandbox = no): nothing enforced");
		return;
	}
	put(&b, "NoNewPrivs %s; seccomp %s", s->nnp ? "yes" : "no",
	    s->seccomp ? "yes" : "no");
	if (s->seccomp)
		put(&b, " (%u rules, %s; any other call kills the process)",
		    s->calls,
		    s->prebuilt ? "built with the program" : "built at run time");
	put(&b, "; ");
	describe_landlock(p, s, &b);
}

void
sandbox_print_check(const struct sandbox_policy *p, const char *note,
    FILE *out)
{
	struct sandbox_state s;
	char line[2048];

	sandbox_plan(p, &s);
	sandbox_describe(p, &s, line, sizeof(line));
	(void)fprintf(out, "sandbox of %s: %s%s%s\n", p->program, line,
	    note != NULL && !s.off ? "; " : "",
	    note != NULL && !s.off ? note : "");
}

/* ---- the self-test (test builds) ---- */

/* Run one probe: 1 when seccomp refused it (the trap came), else 0 with
 * *rc and *err what the call returned. */
static int
probe(long (*fn)(const char *), const char *arg, long *rc, int *err)
{
	volatile int trapped = 0;

	if (sigsetjmp(probe_env, 1) != 0) {
		trapped = 1;
	} else {
		probing = 1;
		errno = 0;
		*rc = fn(arg);
		*err = errno;
	}
	probing = 0;
	return trapped;
}

static long
try_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		(void)close(fd);
	return fd;
}

static long
try_execve(const char *path)
{
	/* argv at an unmapped address: the kernel opens (and checks) the
	 * program first, then fails to read argv: EFAULT means execve was
	 * allowed, and nothing is replaced */
	char *const *bad = (char *const *)(uintptr_t)8;

	return syscall(SYS_execve, path, bad, NULL);
}

static long
try_socket(const char *family)
{
	int fd = socket(strcmp(family, "netlink") == 0 ? AF_NETLINK : AF_PACKET,
	    SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		(void)close(fd);
	return fd;
}

static long
try_ptrace(const char *unused)
{
	(void)unused;
	/* seizing oneself: the kernel says EPERM, seccomp traps */
	return syscall(SYS_ptrace, PTRACE_SEIZE, (long)getpid(), 0L, 0L);
}

static long
try_vm_read(const char *unused)
{
	char from[8] = "secret", to[8];
	struct iovec l = {to, sizeof(to)}, r = {from, sizeof(from)};

	(void)unused;
	return syscall(SYS_process_vm_readv, (long)getpid(), &l, 1L, &r, 1L,
	    0L);
}

static void
report_probe(const struct sandbox_policy *p, const char *what,
    long (*fn)(const char *), const char *arg)
{
	long rc = -1;
	int err = 0;

	if (probe(fn, arg, &rc, &err))
		log_emit(LOG_INFO, "sandbox self-test: %s: %s: refused "
				   "(seccomp)",
		    p->program, what);
	else if (rc >= 0)
		log_emit(LOG_INFO, "sandbox self-test: %s: %s: allowed "
				   "(succeeded)",
		    p->program, what);
	else if (err == EACCES)
		log_emit(LOG_INFO, "sandbox self-test: %s: %s: refused "
				   "(EACCES: Landlock or permissions)",
		    p->program, what);
	else
		log_emit(LOG_INFO, "sandbox self-test: %s: %s: allowed "
				   "(reached the kernel: %s)",
		    p->program, what, strerror(err));
}

void
sandbox_self_test(const struct sandbox_policy *p, const char *forbidden_file,
    const char *granted_file)
{
	char what[1100];

	if (p->test != SANDBOX_TEST_PROBE)
		return;
	if (loaded_filter != 0)
		log_emit(LOG_INFO, "sandbox self-test: %s: seccomp filter: %s",
		    p->program, loaded_filter == 1 ? "built with the program"
						   : "built at run time");
	report_probe(p, "open /etc/passwd", try_open, "/etc/passwd");
	(void)snprintf(what, sizeof(what), "open the configuration %s",
	    forbidden_file);
	report_probe(p, what, try_open, forbidden_file);
	report_probe(p, "execve /bin/true", try_execve, "/bin/true");
	report_probe(p, "socket AF_NETLINK", try_socket, "netlink");
	report_probe(p, "socket AF_PACKET", try_socket, "packet");
	report_probe(p, "ptrace", try_ptrace, NULL);
	report_probe(p, "process_vm_readv", try_vm_read, NULL);
	(void)snprintf(what, sizeof(what), "control: open %s", granted_file);
	report_probe(p, what, try_open, granted_file);
	/* read lazily, when syslog first stamps a line (load_lazy_files) */
	report_probe(p, "time zone: open /etc/localtime", try_open,
	    "/etc/localtime");
}
