/* startup.c - process hygiene before anything else runs
 *
 * mailutils starts sendmail with fds 1 and 2 closed: without /dev/null on
 * them the next file we open would become stderr (notes/clients.md 2.12).
 * Inherited fds could leak to children; the caller's environment could
 * steer libraries (SSLKEYLOGFILE, all_proxy: notes/security.md 5.2). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <nss.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_CLOSE_RANGE
#include <linux/close_range.h>
#endif

#include "fail.h"
#include "limits.h"
#include "spoolfmt.h"
#include "startup.h"
#include "text.h"

#ifndef SAFEMAIL_CONFIG_PATH
#define SAFEMAIL_CONFIG_PATH "/etc/safemail.ini"
#endif
#ifndef SAFEMAIL_SPOOL_DIR
#define SAFEMAIL_SPOOL_DIR "/var/spool/safemail"
#endif

extern char **environ;

static int
open_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		int nfd = open("/dev/null", O_RDWR);

		if (nfd != fd) {
			if (nfd >= 0)
				close(nfd);
			return -1;
		}
	}
	return 0;
}

static void
close_other_fds(int first)
{
#ifdef HAVE_CLOSE_RANGE
	if (close_range((unsigned)first, ~0U, 0) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = first; fd < max; fd++)
		(void)close(fd);
}

static void
take_override(const char *name, char *out, size_t outsz)
{
	const char *v = getenv(name);

	out[0] = '\0';
	if (v != NULL && !text_copy(out, outsz, v, strlen(v)))
		out[0] = '\0';
}

/* startup_harden - see startup.h */
int
startup_harden(struct startup *st, int keep_fds)
{
	struct rlimit none = {0, 0};

	memset(st, 0, sizeof(*st));
	if (open_std_fds() != 0)
		return -1;
	close_other_fds(3 + keep_fds);
	umask(077);
#ifdef SAFEMAIL_STATIC_PROGRAMS
	/* Statically linked, glibc would load the NSS modules of
	 * nsswitch.conf into us, and libnss_systemd crashes there on a uid
	 * the files do not name (a container's arbitrary uid): exit 139,
	 * the message lost. Users and groups come from /etc/passwd and
	 * /etc/group only (--disable-static-programs for LDAP, sssd). */
	(void)__nss_configure_lookup("passwd", "files");
	(void)__nss_configure_lookup("group", "files");
#endif
	st->secure = getauxval(AT_SECURE) != 0;
	if (!st->secure) {
		take_override("SAFEMAIL_CONFIG", st->config_path,
		    sizeof(st->config_path));
		take_override("SAFEMAIL_LOG_SOCKET", st->log_socket,
		    sizeof(st->log_socket));
		take_override("SAFEMAIL_SPOOL", st->spool_path,
		    sizeof(st->spool_path));
		take_override("SAFEMAIL_LIBEXEC", st->libexec_dir,
		    sizeof(st->libexec_dir));
		take_override("SAFEMAIL_QUEUE_USER", st->queue_user,
		    sizeof(st->queue_user));
		take_override("SAFEMAIL_TEST_NOW", st->test_now,
		    sizeof(st->test_now));
		take_override("SAFEMAIL_SUBMIT_SOCKET", st->submit_socket,
		    sizeof(st->submit_socket));
		take_override("SAFEMAIL_SANDBOX_TEST", st->sandbox_test,
		    sizeof(st->sandbox_test));
	}
	/* clearenv() only drops the pointers: wipe the strings too, so that
	 * nothing the caller passed stays readable in /proc/PID/environ. */
	for (char **e = environ; e != NULL && *e != NULL; e++)
		explicit_bzero(*e, strlen(*e));
	if (clearenv() != 0 || setenv("PATH", "/usr/bin:/bin", 1) != 0)
		return -1;
	if (setrlimit(RLIMIT_CORE, &none) != 0)
		return -1;
	/* A caller's low RLIMIT_FSIZE must make a write fail (and the
	 * submission with it), not kill us halfway through a spool file. */
	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
		return -1;
	/* Every program here waits for the children it starts (the front
	 * end for its gate, the gate for its relay client): a SIGCHLD the
	 * caller ignores would reap them unseen and make waitpid fail. */
	if (signal(SIGCHLD, SIG_DFL) == SIG_ERR)
		return -1;
	/* Not dumpable: no core, and a process of the same user can neither
	 * ptrace it nor read its /proc/PID/mem or environ (the relay password
	 * lives in the back end's memory). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -1;
	if (chdir("/") != 0)
		return -1;
	return 0;
}

/* The limits a back end raises its soft limit of to the hard one: the
 * caller could do the same; below it, the caller chooses where a write
 * fails (RLIMIT_FSIZE), when the process dies (RLIMIT_CPU: SIGXCPU) or
 * what cannot be opened or allocated. RLIMIT_STACK is left alone: an
 * unlimited stack gives the relay client it starts the legacy,
 * less random memory layout. */
static const int raised[] = {RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_CPU,
    RLIMIT_AS, RLIMIT_DATA, RLIMIT_NPROC};

/* Only SIG_IGN survives an exec (a handler does not): every signal the
 * caller ignored gets its default back. Handlers installed since (the
 * sanitizers') stay. glibc's own signals refuse sigaction: skipped. */
static void
unignore_signals(void)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	(void)sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction now;

		if (sig == SIGKILL || sig == SIGSTOP ||
		    sigaction(sig, NULL, &now) != 0)
			continue;
		if ((now.sa_flags & SA_SIGINFO) == 0 &&
		    now.sa_handler == SIG_IGN)
			(void)sigaction(sig, &dfl, NULL);
	}
}

/* startup_backend - see startup.h */
int
startup_backend(void)
{
	sigset_t none;

	unignore_signals();
	if (sigemptyset(&none) != 0 ||
	    sigprocmask(SIG_SETMASK, &none, NULL) != 0)
		return -1;
	/* ours again, deliberately: a write past a limit fails (EFBIG)
	 * and is seen, it does not kill us between two writes */
	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
		return -1;
	/* each of raised, one limit at a time */
	for (size_t i = 0; i < sizeof(raised) / sizeof(raised[0]); i++) {
		struct rlimit l;

		if (getrlimit(raised[i], &l) == 0 && l.rlim_cur != l.rlim_max) {
			l.rlim_cur = l.rlim_max;
			(void)setrlimit(raised[i], &l);
		}
	}
	return 0;
}

unsigned long long
startup_file_size_need(unsigned long max_message_size)
{
	return (unsigned long long)(max_message_size != 0
		       ? max_message_size
		       : CONF_MESSAGE_SIZE_CEILING) +
	    SPOOL_ENV_MAX;
}

/* startup_limits_enough - see startup.h */
int
startup_limits_enough(unsigned long long file_size, struct failure *f)
{
	struct rlimit fsize, nofile;

	if (getrlimit(RLIMIT_FSIZE, &fsize) == 0 &&
	    fsize.rlim_cur != RLIM_INFINITY && fsize.rlim_cur < file_size) {
		fail_set(f, FAIL_TEMP, "the file size limit (RLIMIT_FSIZE, "
				       "ulimit -f) of %llu bytes is below the "
				       "%llu a spool file may need "
				       "(max_message_size and its envelope): "
				       "raise the hard limit",
		    (unsigned long long)fsize.rlim_cur, file_size);
		return -1;
	}
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
	    nofile.rlim_cur != RLIM_INFINITY &&
	    nofile.rlim_cur < STARTUP_NOFILE_NEED) {
		fail_set(f, FAIL_TEMP, "the open files limit (RLIMIT_NOFILE, "
				       "ulimit -n) of %llu is below the %d "
				       "needed: raise the hard limit",
		    (unsigned long long)nofile.rlim_cur, STARTUP_NOFILE_NEED);
		return -1;
	}
	return 0;
}

const char *
startup_config_path(const struct startup *st)
{
	return st->config_path[0] != '\0' ? st->config_path
					   : SAFEMAIL_CONFIG_PATH;
}

const char *
startup_spool_path(const struct startup *st)
{
	return st->spool_path[0] != '\0' ? st->spool_path : SAFEMAIL_SPOOL_DIR;
}

#ifndef SAFEMAIL_SUBMIT_SOCKET
#define SAFEMAIL_SUBMIT_SOCKET "/run/safemail/submit"
#endif

const char *
startup_submit_socket(const struct startup *st)
{
	return st->submit_socket[0] != '\0' ? st->submit_socket
					    : SAFEMAIL_SUBMIT_SOCKET;
}

#ifndef SAFEMAIL_QUEUE_USER
#define SAFEMAIL_QUEUE_USER "safemail"
#endif

const char *
startup_queue_user(const struct startup *st)
{
	return st->queue_user[0] != '\0' ? st->queue_user : SAFEMAIL_QUEUE_USER;
}

#ifdef SAFEMAIL_SANITIZER_LOG
/* Sanitizer builds: every report into a file (see configure.ac), so that
 * one from a process without a caller is not lost. Not in a set-ID or
 * installed program: --enable-sanitizers is for the tests. */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *
__asan_default_options(void)
{
	return "log_path=" SAFEMAIL_SANITIZER_LOG "/asan";
}

const char *
__ubsan_default_options(void)
{
	return "print_stacktrace=1:log_path=" SAFEMAIL_SANITIZER_LOG "/ubsan";
}
#endif
