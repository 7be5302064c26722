/* sandbox_gate.c - the gate's sandbox policy, in one place.
 *
 * The gate parses every byte a caller sends (the hello, the requests,
 * the envelope and the message in their memfds). Once the caller is
 * identified, the configuration read and the policy sent (gatemain.c:
 * the front end reads the message meanwhile), and before the first
 * request, it locks itself down (src/lib/sandbox.c):
 *
 *   the spawner first (spawner.h): seccomp and Landlock pass through
 *     execve, so relay clients are started from then on by a process
 *     that is not locked down and runs nothing but safemail-relay: the
 *     set-ID gate forks it before the lock-down, the service's listener
 *     when its connection first needs one;
 *   no_new_privs;
 *   Landlock: the spool (its areas and <spool>/run), /dev/null and,
 *     to read, /etc/localtime (syslog's time stamps, loaded when first
 *     needed); no other file (not the configuration, not /etc/passwd), no execute
 *     right at all; no TCP; no signals to and no abstract sockets of
 *     processes outside;
 *   seccomp: the list below; any other call kills the process: no
 *     execve, no fork, no socket but AF_UNIX (syslog, the test log, a
 *     relay client's socketpair), no ptrace, no process_vm_*.
 *
 * What is looked up first, so that nothing needs a file later: who the
 * caller is and its groups (caller.c; the [limits] and submit_groups
 * groups by name: gatemain.c), the queue user, the program that called
 * (set-ID: /proc). A configuration that changes during a
 * session cannot be read again: the session's next message is refused
 * with a temporary failure (the next connection reads it). */
#include "config.h"

#include <errno.h>
#include <linux/sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <syslog.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "sandbox_gate.h"
#include "spawner.h"

/* ---- the seccomp allow-list ---- */

static const struct sandbox_call gate_calls[] = {
    /* glibc >= 2.34 tries clone3 first; the gate starts no thread */
    SANDBOX_ERRNO("clone3", ENOSYS), SANDBOX_ALLOW("rseq"),
    SANDBOX_ALLOW("set_robust_list"),
    /* what is open: the caller's socket and memfds, spool files, the
     * caller's stderr, the log */
    SANDBOX_ALLOW("read"), SANDBOX_ALLOW("readv"), SANDBOX_ALLOW("pread64"),
    SANDBOX_ALLOW("write"), SANDBOX_ALLOW("writev"),
    SANDBOX_ALLOW("pwrite64"), SANDBOX_ALLOW("lseek"),
    SANDBOX_ALLOW("close"), SANDBOX_ALLOW("fcntl"), SANDBOX_ALLOW("dup"),
    SANDBOX_ALLOW("dup2"), SANDBOX_ALLOW("dup3"), SANDBOX_ALLOW("fsync"),
    SANDBOX_ALLOW("fdatasync"), SANDBOX_ALLOW("ftruncate"),
    SANDBOX_ALLOW("flock"),
    /* memory files: a message queued, a relay client's lines for the
     * caller; -bs: the verdict's pipe from its relay client */
    SANDBOX_ALLOW("memfd_create"), SANDBOX_ALLOW("pipe2"),
    /* the spool and <spool>/run (Landlock decides which paths): files
     * made, linked in (an O_TMPFILE through /proc/self/fd), renamed,
     * removed; the queue counted; the free space checked */
    SANDBOX_ALLOW("openat"), SANDBOX_ALLOW("open"),
    SANDBOX_ALLOW("newfstatat"), SANDBOX_ALLOW("fstat"),
    SANDBOX_ALLOW("stat"), SANDBOX_ALLOW("lstat"), SANDBOX_ALLOW("statx"),
    SANDBOX_ALLOW("fstatfs"), SANDBOX_ALLOW("statfs"),
    SANDBOX_ALLOW("getdents64"), SANDBOX_ALLOW("renameat"),
    SANDBOX_ALLOW("renameat2"), SANDBOX_ALLOW("rename"),
    SANDBOX_ALLOW("linkat"), SANDBOX_ALLOW("link"),
    SANDBOX_ALLOW("unlinkat"), SANDBOX_ALLOW("unlink"),
    SANDBOX_ALLOW("mkdirat"), SANDBOX_ALLOW("mkdir"),
    SANDBOX_ALLOW("fchmod"), SANDBOX_ALLOW("fchown"),
    SANDBOX_ALLOW("utimensat"), SANDBOX_ALLOW("umask"),
    /* memory; never executable: nothing is loaded any more */
    SANDBOX_ALLOW("brk"), SANDBOX_ALLOW_NOT_BITS("mmap", 2, PROT_EXEC),
    SANDBOX_ALLOW_NOT_BITS("mprotect", 2, PROT_EXEC),
    SANDBOX_ALLOW("munmap"), SANDBOX_ALLOW("mremap"),
    SANDBOX_ALLOW("madvise"),
    /* time, waits, the watchdog */
    SANDBOX_ALLOW("clock_gettime"), SANDBOX_ALLOW("gettimeofday"),
    SANDBOX_ALLOW("time"), SANDBOX_ALLOW("nanosleep"),
    SANDBOX_ALLOW("clock_nanosleep"), SANDBOX_ALLOW("poll"),
    SANDBOX_ALLOW("ppoll"), SANDBOX_ALLOW("alarm"),
    SANDBOX_ALLOW("setitimer"),
    /* Unix sockets only: the caller's, syslog, the service's log, a
     * relay client's socketpair; anything else kills */
    SANDBOX_ALLOW_ARG("socket", 0, AF_UNIX),
    SANDBOX_ALLOW_ARG("socketpair", 0, AF_UNIX),
    SANDBOX_ALLOW("connect"), SANDBOX_ALLOW("getsockopt"),
    SANDBOX_ALLOW("setsockopt"), SANDBOX_ALLOW("getsockname"),
    SANDBOX_ALLOW("getpeername"), SANDBOX_ALLOW("sendto"),
    SANDBOX_ALLOW("recvfrom"), SANDBOX_ALLOW("sendmsg"),
    SANDBOX_ALLOW("recvmsg"), SANDBOX_ALLOW("shutdown"),
    /* queue ids */
    SANDBOX_ALLOW("getrandom"),
    /* stdio asks whether a stream is a terminal */
    SANDBOX_ALLOW_ARG("ioctl", 1, TCGETS),
    /* signals: its own handlers and mask */
    SANDBOX_ALLOW("rt_sigaction"), SANDBOX_ALLOW("rt_sigprocmask"),
    SANDBOX_ALLOW("rt_sigreturn"), SANDBOX_ALLOW("restart_syscall"),
    /* the relay client started before the lock-down, its own child */
    SANDBOX_ALLOW("wait4"), SANDBOX_ALLOW("waitid"),
    /* who it is, its limits read (never set), and the end */
    SANDBOX_ALLOW("getpid"), SANDBOX_ALLOW("gettid"),
    SANDBOX_ALLOW("getppid"), SANDBOX_ALLOW("getuid"),
    SANDBOX_ALLOW("geteuid"), SANDBOX_ALLOW("getgid"),
    SANDBOX_ALLOW("getegid"), SANDBOX_ALLOW("getgroups"),
    SANDBOX_ALLOW("getresuid"), SANDBOX_ALLOW("getresgid"),
    SANDBOX_ALLOW("uname"), SANDBOX_ALLOW("getrlimit"),
    SANDBOX_ALLOW_ARG("prlimit64", 2, 0), SANDBOX_ALLOW("futex"),
    SANDBOX_ALLOW("exit"), SANDBOX_ALLOW("exit_group"),
};

void
gate_sandbox_calls(struct sandbox_policy *p)
{
	p->tables[p->ntables++] =
	    (struct sandbox_calls)SANDBOX_TABLE(gate_calls);
}

static void
gate_policy(const struct conf *c, const struct startup *st,
    const char *spool_path, struct sandbox_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->program = "safemail-gate";
	p->off = !c->sandbox;
	p->test = sandbox_test_mode(st != NULL ? st->sandbox_test : NULL);
	gate_sandbox_calls(p);
	(void)sandbox_add_path(p, spool_path,
	    SANDBOX_FS_READ | SANDBOX_FS_WRITE | SANDBOX_FS_CREATE |
		SANDBOX_FS_MKDIR);
	(void)sandbox_add_path(p, "/dev/null",
	    SANDBOX_FS_READ | SANDBOX_FS_WRITE);
	/* the time zone, read when syslog first stamps a line */
	(void)sandbox_add_file(p, "/etc/localtime", SANDBOX_FS_READ);
	p->restrict_tcp = true; /* no port: no TCP at all */
	p->scope_signals = true;
	p->scope_abstract_unix = true;
}

static bool locked;

bool
gate_locked(void)
{
	return locked;
}

/* The lock-down, with the spawner first when the gate will start relay
 * clients (relay_clients: the listener's when listener_channel >= 0,
 * else one forked now). 0, or -1 with f set. */
static int
lock_down(const struct conf *c, const struct startup *st, bool relay_clients,
    int listener_channel, const char *conf_path, const char *spool_path,
    struct failure *f)
{
	struct sandbox_policy p;
	struct sandbox_state s;

	gate_policy(c, st, spool_path, &p);
	if (p.off) {
		/* the negative control of the tests' self-test */
		sandbox_self_test(&p, conf_path, spool_path);
		return 0;
	}
	if (relay_clients) {
		if (listener_channel >= 0)
			spawner_via(listener_channel);
		else if (spawner_start(st, f) != 0)
			return -1;
	}
	if (sandbox_apply(&p, &s, f) != 0) {
		log_emit(LOG_ERR, "sandbox: safemail-gate cannot lock itself "
				  "down: %s",
		    f->msg);
		return -1;
	}
	locked = true;
	sandbox_self_test(&p, conf_path, spool_path);
	return 0;
}

int
gate_lockdown(const struct conf *c, const struct startup *st,
    int listener_channel, const char *conf_path, const char *spool_path,
    struct failure *f)
{
	return lock_down(c, st, true, listener_channel, conf_path, spool_path,
	    f);
}

int
gate_lockdown_listing(const struct conf *c, const struct startup *st,
    const char *conf_path, const char *spool_path, struct failure *f)
{
	return lock_down(c, st, false, -1, conf_path, spool_path, f);
}

void
gate_sandbox_print(const struct conf *c, const char *spool_path, FILE *out)
{
	struct sandbox_policy p;

	gate_policy(c, NULL, spool_path, &p);
	sandbox_print_check(&p,
	    "execve none (relay clients through its spawner)", out);
}
