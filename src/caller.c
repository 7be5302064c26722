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
	c->uid = getuid();
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
	/* identified again on first use, as the first time */
	bound_parent = parent;
	identified = false;
}
