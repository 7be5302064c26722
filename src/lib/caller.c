/* caller.c - who is calling us, for the log */
#include "config.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "caller.h"
#include "text.h"

/* The service's caller (caller_serve_peer): who the kernel says */
static bool peer_known;
static uid_t peer_uid;

/* everything here is informational; failures give "?" */
static void
identify(struct caller *c, pid_t parent)
{
	struct passwd pw;
	struct passwd *found = NULL;
	char pwbuf[4096];
	char path[64];
	char comm[64];
	ssize_t n = -1;
	int fd;

	memset(c, 0, sizeof(*c));
	c->uid = peer_known ? peer_uid : getuid();
	if (getpwuid_r(c->uid, &pw, pwbuf, sizeof(pwbuf), &found) == 0 &&
	    found != NULL)
		text_show(c->user, sizeof(c->user), pw.pw_name,
		    strlen(pw.pw_name), 32);
	else
		memcpy(c->user, "?", 2);

	c->ppid = parent;
	(void)snprintf(path, sizeof(path), "/proc/%ld/comm", (long)c->ppid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, comm, sizeof(comm) - 1);
		close(fd);
	}
	if (n > 0) {
		while (n > 0 && (comm[n - 1] == '\n' || comm[n - 1] == '\0'))
			n--;
		text_show(c->parent, sizeof(c->parent), comm, (size_t)n, 32);
	}
	if (c->parent[0] == '\0')
		memcpy(c->parent, "?", 2);
	/* the service's caller names its own program (its comm is its to
	 * set, its pid may be reused): shown as its word */
	if (peer_known) {
		size_t len = strlen(c->parent);

		(void)snprintf(c->parent + len, sizeof(c->parent) - len,
		    " (claimed)");
	}
}

static void
read_link(pid_t pid, const char *what, char *out, size_t outsz)
{
	char path[64], target[512];
	ssize_t n;

	(void)snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, what);
	n = readlink(path, target, sizeof(target));
	if (n <= 0 || (size_t)n >= sizeof(target))
		(void)snprintf(out, outsz, "?");
	else
		text_show(out, outsz, target, (size_t)n, 200);
}

void
caller_origin(pid_t child, char *buf, size_t sz)
{
	char path[64], stat[512], exe[256], cwd[256];
	struct caller parent;
	const char *close_paren;
	long ppid = 0;
	ssize_t n = -1;
	gid_t egid = getegid();
	bool swap = egid != getgid();
	int fd;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)child);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, stat, sizeof(stat) - 1);
		(void)close(fd);
	}
	/* "PID (COMM) S PPID ...": after the last ')' the state, the ppid */
	if (n > 0) {
		stat[n] = '\0';
		close_paren = strrchr(stat, ')');
		if (close_paren != NULL && close_paren[1] == ' ' &&
		    close_paren[2] != '\0' && close_paren[3] == ' ') {
			unsigned long v;
			char digits[16];
			size_t k = 0;

			for (const char *p = close_paren + 4;
			     *p >= '0' && *p <= '9' && k < sizeof(digits) - 1; p++)
				digits[k++] = *p;
			digits[k] = '\0';
			if (text_parse_uint(digits, 4194304, &v))
				ppid = (long)v;
		}
	}
	if (ppid <= 0) {
		(void)snprintf(buf, sz, "?");
		return;
	}
	identify(&parent, (pid_t)ppid);
	if (swap && setegid(getgid()) != 0) {
		(void)snprintf(exe, sizeof(exe), "?");
		(void)snprintf(cwd, sizeof(cwd), "?");
	} else {
		read_link((pid_t)ppid, "exe", exe, sizeof(exe));
		read_link((pid_t)ppid, "cwd", cwd, sizeof(cwd));
		/* the group back before anything else: the gate's work
		 * needs it */
		if (swap && setegid(egid) != 0)
			_exit(71);
	}
	(void)snprintf(buf, sz, "%s (pid %ld, %s, cwd %s)", parent.parent, ppid,
	    exe, cwd);
}

void
caller_identify(struct caller *c)
{
	identify(c, getppid());
}

/* local_host_name - see caller.h */
void
local_host_name(const char *configured, char *buf, size_t sz)
{
	char host[256];

	if (configured != NULL && configured[0] != '\0') {
		(void)snprintf(buf, sz, "%s", configured);
		return;
	}
	if (gethostname(host, sizeof(host)) == 0 &&
	    memchr(host, '\0', sizeof(host)) != NULL &&
	    addr_check_hostname(host, strlen(host))) {
		(void)snprintf(buf, sz, "%s", host);
		return;
	}
	(void)snprintf(buf, sz, "localhost");
}

static struct caller self;
static bool identified;
static pid_t bound_parent; /* caller_rebind; 0: the real parent */

const struct caller *
caller_self(void)
{
	if (!identified)
		identify(&self, bound_parent != 0 ? bound_parent : getppid());
	identified = true;
	return &self;
}

void
caller_rebind(pid_t parent)
{
	/* identified again on first use, as the first time; the same
	 * parent again keeps what is known (a sandboxed relay client can
	 * no longer read /etc/passwd or /proc) */
	if (identified && parent == bound_parent)
		return;
	bound_parent = parent;
	identified = false;
}

void
caller_serve_peer(uid_t uid, pid_t pid)
{
	peer_known = true;
	peer_uid = uid;
	caller_rebind(pid > 0 ? pid : -1);
	identified = false; /* another uid, whatever the parent */
}
