/* sandbox_relay.c - the relay client's sandbox policy, in one place.
 *
 * The relay client parses what a remote party sends (the relay's replies,
 * TLS through OpenSSL, the token endpoint's JSON through json-c) and
 * holds the relay's secrets and the whole spool. Once set up, it locks
 * itself down (src/lib/sandbox.c), before the first byte from the gate,
 * the spool or the network:
 *
 *   no_new_privs;
 *   Landlock: the spool's areas, the system CA directory when it is the
 *     trust store, a client certificate and key, /dev/null; TCP connect
 *     only to the relays' and the token endpoints' ports, no bind; no
 *     signals to and no abstract sockets of processes outside;
 *   seccomp: the list below; any other call kills the process.
 *
 * What the set-up does first, so that nothing is loaded lazily later:
 *   - the configuration and the secrets are read (relaymain.c);
 *   - curl_global_init (OpenSSL and openssl.cnf);
 *   - every name the client may connect to (each relay of [smtp] and of
 *     each [smtp.NAME], failover ones included, and each OAuth2 token
 *     endpoint) is resolved now, with the system's resolver, and given
 *     to libcurl with CURLOPT_RESOLVE for every connection: libcurl never
 *     resolves (no resolver thread, no /etc/hosts, no NSS, no netlink, no
 *     UDP to a name server). A name that does not resolve then fails
 *     its connection later as one that does not resolve. The client the
 *     service keeps (standby stay) lives 5 minutes at most: a changed
 *     DNS record reaches the next one;
 *   - tls_ca_file is read into memory (CURLOPT_CAINFO_BLOB); the system
 *     store stays the hashed directory /etc/ssl/certs, read per issuer
 *     (loading the whole bundle costs 45 ms a client), which Landlock
 *     opens for reading only;
 *   - who called (log lines) and the queue user's uid (the owner of an
 *     area a queue run made) are looked up; the time zone is not (some
 *     0.1 ms a client): /etc/localtime stays readable, for syslog's
 *     time stamps (certificate times are UTC).
 *
 * safemail-relay check stays unsandboxed: run by an admin, it reads the
 * configuration's files to report on them; it prints this policy. */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "area.h"
#include "caller.h"
#include "log.h"
#include "sandbox.h"
#include "sandbox_relay.h"

/* ---- the seccomp allow-list ---- */

/* socket(2)'s type without SOCK_NONBLOCK and SOCK_CLOEXEC */
#define SOCK_TYPE_MASK 0xf

static const struct sandbox_call relay_calls[] = {
    /* glibc >= 2.34 tries clone3 first and falls back to clone */
    SANDBOX_ERRNO("clone3", ENOSYS),
    /* glibc >= 2.35 registers each thread with the kernel */
    SANDBOX_ALLOW("rseq"), SANDBOX_ALLOW("set_robust_list"),
    /* reading and writing what is open: the gate's memfds and socket,
     * spool files, <spool>/run's state (written in place: pwrite), the
     * relay's socket, stderr */
    SANDBOX_ALLOW("read"), SANDBOX_ALLOW("pread64"), SANDBOX_ALLOW("write"),
    SANDBOX_ALLOW("pwrite64"), SANDBOX_ALLOW("writev"), SANDBOX_ALLOW("lseek"),
    SANDBOX_ALLOW("close"), SANDBOX_ALLOW("fcntl"), SANDBOX_ALLOW("dup"),
    SANDBOX_ALLOW("dup2"), SANDBOX_ALLOW("dup3"),
    SANDBOX_ALLOW("fsync"), SANDBOX_ALLOW("fdatasync"),
    SANDBOX_ALLOW("ftruncate"), SANDBOX_ALLOW("flock"),
    /* the spool and <spool>/run (Landlock decides which paths): files
     * made, renamed, linked (an O_TMPFILE through /proc/self/fd), given
     * their mode and group, and removed; an area made; the queue
     * listed; the free space checked; the kept client's stat of the
     * configuration (a change ends it) */
    SANDBOX_ALLOW("openat"), SANDBOX_ALLOW("newfstatat"),
    SANDBOX_ALLOW("fstatfs"), SANDBOX_ALLOW("getdents64"),
    SANDBOX_ALLOW("renameat"), SANDBOX_ALLOW("renameat2"),
    SANDBOX_ALLOW("linkat"), SANDBOX_ALLOW("unlinkat"),
    SANDBOX_ALLOW("mkdirat"), SANDBOX_ALLOW("fchmod"),
    SANDBOX_ALLOW("fchown"),
    /* memory; never executable memory: nothing is loaded any more */
    SANDBOX_ALLOW("brk"), SANDBOX_ALLOW_NOT_BITS("mmap", 2, PROT_EXEC),
    SANDBOX_ALLOW_NOT_BITS("mprotect", 2, PROT_EXEC),
    SANDBOX_ALLOW("munmap"), SANDBOX_ALLOW("mremap"),
    SANDBOX_ALLOW("madvise"),
    /* time, waits, the pace's sleeps */
    SANDBOX_ALLOW("clock_gettime"), SANDBOX_ALLOW("gettimeofday"),
    SANDBOX_ALLOW("time"), SANDBOX_ALLOW("nanosleep"),
    SANDBOX_ALLOW("clock_nanosleep"), SANDBOX_ALLOW("poll"),
    SANDBOX_ALLOW("ppoll"),
    /* sockets: TCP (IPv4, IPv6: stream sockets, not UDP) to the relay
     * and the token endpoint, Unix for syslog and the gate; any other
     * family or type kills */
    SANDBOX_ALLOW_ARG_BITS("socket", 0, AF_INET, 1, SOCK_TYPE_MASK,
	SOCK_STREAM),
    SANDBOX_ALLOW_ARG_BITS("socket", 0, AF_INET6, 1, SOCK_TYPE_MASK,
	SOCK_STREAM),
    SANDBOX_ALLOW_ARG("socket", 0, AF_UNIX),
    SANDBOX_ALLOW_ARG("socketpair", 0, AF_UNIX),
    SANDBOX_ALLOW("connect"), SANDBOX_ALLOW("getsockopt"),
    SANDBOX_ALLOW("setsockopt"), SANDBOX_ALLOW("getsockname"),
    SANDBOX_ALLOW("getpeername"), SANDBOX_ALLOW("sendto"),
    SANDBOX_ALLOW("recvfrom"), SANDBOX_ALLOW("sendmsg"),
    SANDBOX_ALLOW("recvmsg"), SANDBOX_ALLOW("shutdown"),
    /* OpenSSL's entropy (it falls back to /dev/urandom, which Landlock
     * refuses) */
    SANDBOX_ALLOW("getrandom"),
    /* signals: our own handlers, SIGPIPE ignored */
    SANDBOX_ALLOW("rt_sigaction"), SANDBOX_ALLOW("rt_sigprocmask"),
    SANDBOX_ALLOW("rt_sigreturn"), SANDBOX_ALLOW("restart_syscall"),
    /* who we are (log lines, the spool's owners), and the end */
    SANDBOX_ALLOW("getpid"), SANDBOX_ALLOW("gettid"),
    SANDBOX_ALLOW("getppid"), SANDBOX_ALLOW("getuid"),
    SANDBOX_ALLOW("geteuid"), SANDBOX_ALLOW("getgid"),
    SANDBOX_ALLOW("getegid"), SANDBOX_ALLOW("uname"),
    SANDBOX_ALLOW("exit"), SANDBOX_ALLOW("exit_group"),
    /* threads, no processes: libcurl's resolver would start one per
     * name, but with every name resolved before (CURLOPT_RESOLVE) it
     * starts none, nor does OpenSSL here */
    SANDBOX_ALLOW_BITS("clone", 0, CLONE_THREAD), SANDBOX_ALLOW("futex"),
};

/* A queue run of [queue] connections > 1: one worker process each
 * (queue.c), waited for. Still no execve. */
static const struct sandbox_call queue_calls[] = {
    SANDBOX_ALLOW("clone"), SANDBOX_ALLOW("fork"), SANDBOX_ALLOW("wait4"),
};

void
relay_sandbox_calls(struct sandbox_policy *pol, bool queue)
{
	pol->tables[pol->ntables++] =
	    (struct sandbox_calls)SANDBOX_TABLE(relay_calls);
	if (queue)
		pol->tables[pol->ntables++] =
		    (struct sandbox_calls)SANDBOX_TABLE(queue_calls);
}

/* ---- the names, resolved before the lock-down ---- */

#define PIN_MAX 64
static struct pin {
	char host[ADDR_BUFSZ];
	unsigned port;
	bool ok;
	char why[ADDR_BUFSZ + 100];
} pins[PIN_MAX];
static size_t npins;
static struct curl_slist *resolve_list;
static bool pinning; /* the sandbox is on: curl resolves nothing */

static struct pin *
pin_find(const char *host, unsigned port)
{
	for (size_t i = 0; i < npins; i++)
		if (pins[i].port == port && strcmp(pins[i].host, host) == 0)
			return &pins[i];
	return NULL;
}

/* "host:port:addr,[addr6],..." for CURLOPT_RESOLVE */
static void
pin_entry(struct pin *p, const struct addrinfo *res)
{
	char line[ADDR_BUFSZ + 16 + 8 * (INET6_ADDRSTRLEN + 3)];
	size_t n = (size_t)snprintf(line, sizeof(line), "%s:%u:", p->host,
	    p->port);
	int added = 0;

	for (const struct addrinfo *a = res; a != NULL && added < 8;
	     a = a->ai_next) {
		char ip[INET6_ADDRSTRLEN];

		if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
		    getnameinfo(a->ai_addr, a->ai_addrlen, ip, sizeof(ip),
			NULL, 0, NI_NUMERICHOST) != 0)
			continue;
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    a->ai_family == AF_INET6 ? "%s[%s]" : "%s%s",
		    added > 0 ? "," : "", ip);
		added++;
	}
	if (added == 0) {
		(void)snprintf(p->why, sizeof(p->why), "no address for %s",
		    p->host);
		return;
	}
	struct curl_slist *l = curl_slist_append(resolve_list, line);

	if (l == NULL) {
		(void)snprintf(p->why, sizeof(p->why), "out of memory");
		return;
	}
	resolve_list = l;
	p->ok = true;
}

static void
pin(const char *host, unsigned port)
{
	struct addrinfo hints, *res = NULL;
	struct pin *p;
	int rc;

	if (host[0] == '\0' || port == 0 || pin_find(host, port) != NULL ||
	    npins >= PIN_MAX)
		return;
	p = &pins[npins++];
	memset(p, 0, sizeof(*p));
	(void)snprintf(p->host, sizeof(p->host), "%s", host);
	p->port = port;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		(void)snprintf(p->why, sizeof(p->why),
		    "Could not resolve host: %s (%s)", host,
		    gai_strerror(rc));
		return;
	}
	pin_entry(p, res);
	freeaddrinfo(res);
}

/* the token endpoint's host and port, from its URL: resolved, or its
 * port added to pol */
static void
pin_url(const char *url, struct sandbox_policy *pol, bool resolve)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;

	if (u != NULL && url != NULL &&
	    curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
		CURLUE_OK) {
		unsigned p = (unsigned)strtoul(port, NULL, 10);

		if (resolve)
			pin(host, p);
		if (pol != NULL)
			(void)sandbox_add_port(pol, p);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/* every relay of c (failover ones too), and its token endpoint */
static void
pin_conf(const struct conf *c, struct sandbox_policy *pol, bool resolve)
{
	for (size_t i = 0; i < c->nrelays; i++) {
		unsigned port = conf_relay_port(c, i);

		if (resolve)
			pin(c->relays[i].host, port);
		if (pol != NULL)
			(void)sandbox_add_port(pol, port);
	}
	if (conf_is_oauth2(c))
		pin_url(c->oauth2.token_url, pol, resolve);
}

int
relay_pin_name(void *curl, const char *host, unsigned port, char *why,
    size_t whysz)
{
	const struct pin *p;

	if (!pinning)
		return 0;
	p = pin_find(host, port);
	if (p == NULL || !p->ok) {
		(void)snprintf(why, whysz, "%s",
		    p != NULL ? p->why
			      : "not resolved before the sandbox (a name "
				"the configuration does not name)");
		return -1;
	}
	return curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve_list) ==
		CURLE_OK
	    ? 0
	    : -1;
}

int
relay_pin_url(void *curl, const char *url, char *why, size_t whysz)
{
	CURLU *u;
	char *host = NULL, *port = NULL;
	int rc = -1;

	if (!pinning)
		return 0;
	(void)snprintf(why, whysz, "the token endpoint's URL: not parsed");
	u = curl_url();
	if (u != NULL && url != NULL &&
	    curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
		CURLUE_OK)
		rc = relay_pin_name(curl, host,
		    (unsigned)strtoul(port, NULL, 10), why, whysz);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* ---- CA files, read into memory ---- */

#define BLOB_MAX 8
#define CA_FILE_MAX (4u << 20)
static struct {
	char *path;
	struct curl_blob blob;
} blobs[BLOB_MAX];
static size_t nblobs;

const void *
relay_ca_blob(const char *path)
{
	for (size_t i = 0; path != NULL && i < nblobs; i++)
		if (strcmp(blobs[i].path, path) == 0)
			return &blobs[i].blob;
	return NULL;
}

/* A CA file the policy cannot read into memory is left to curl, which
 * then fails to read it: the failure is the one a missing file gives. */
static void
load_ca_file(const char *path)
{
	struct stat s;
	char *data;
	ssize_t got = 0;
	int fd;

	if (path == NULL || relay_ca_blob(path) != NULL || nblobs >= BLOB_MAX)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &s) != 0 || !S_ISREG(s.st_mode) ||
	    s.st_size <= 0 || (size_t)s.st_size > CA_FILE_MAX ||
	    (data = malloc((size_t)s.st_size)) == NULL) {
		if (fd >= 0)
			(void)close(fd);
		return;
	}
	while ((size_t)got < (size_t)s.st_size) {
		ssize_t n = read(fd, data + got, (size_t)s.st_size - (size_t)got);

		if (n <= 0)
			break;
		got += n;
	}
	(void)close(fd);
	if ((size_t)got != (size_t)s.st_size ||
	    (blobs[nblobs].path = strdup(path)) == NULL) {
		free(data);
		return;
	}
	blobs[nblobs].blob.data = data;
	blobs[nblobs].blob.len = (size_t)got;
	blobs[nblobs].blob.flags = CURL_BLOB_NOCOPY;
	nblobs++;
}

/* ---- the policy ---- */

#define SYSTEM_CA_DIR "/etc/ssl/certs"

static char spool_dir[4200];

/* Landlock's paths for c: the spool (its areas, which one made after the
 * lock-down is under too: a rule names a directory that exists), the
 * trust store, the client certificate and key, /dev/null (the kept
 * client's stderr between messages) */
static void
add_paths(struct sandbox_policy *pol, const struct conf *c,
    const char *spool_path)
{
	bool system_ca = false;

	(void)snprintf(spool_dir, sizeof(spool_dir), "%s", spool_path);
	(void)sandbox_add_path(pol, spool_dir,
	    SANDBOX_FS_READ | SANDBOX_FS_WRITE | SANDBOX_FS_CREATE |
		SANDBOX_FS_MKDIR);
	for (size_t r = 0; r <= c->nroutes; r++) {
		const struct conf *rc = r == 0 ? c : c->routes[r - 1];

		if (rc->tls_ca_file == NULL)
			system_ca = true;
		if (rc->tls_client_cert != NULL)
			(void)sandbox_add_path(pol, rc->tls_client_cert,
			    SANDBOX_FS_READ);
		if (rc->tls_client_key != NULL)
			(void)sandbox_add_path(pol, rc->tls_client_key,
			    SANDBOX_FS_READ);
	}
	if (system_ca) {
		/* the hashed names are links into these */
		(void)sandbox_add_path(pol, SYSTEM_CA_DIR, SANDBOX_FS_READ);
		(void)sandbox_add_path(pol, "/usr/share/ca-certificates",
		    SANDBOX_FS_READ);
		(void)sandbox_add_path(pol, "/usr/local/share/ca-certificates",
		    SANDBOX_FS_READ);
	}
	(void)sandbox_add_path(pol, "/dev/null", SANDBOX_FS_WRITE);
	/* the time zone, read when syslog first stamps a line */
	(void)sandbox_add_file(pol, "/etc/localtime", SANDBOX_FS_READ);
}

static void
build_policy(struct sandbox_policy *pol, const struct conf *c,
    const char *mode, const char *spool_path, enum sandbox_test test)
{
	memset(pol, 0, sizeof(*pol));
	pol->program = "safemail-relay";
	pol->off = !c->sandbox;
	pol->test = test;
	relay_sandbox_calls(pol, strcmp(mode, "queue") == 0);
	add_paths(pol, c, spool_path);
	pol->restrict_tcp = true;
	for (size_t r = 0; r <= c->nroutes; r++)
		pin_conf(r == 0 ? c : c->routes[r - 1], pol, false);
	pol->scope_signals = true;
	pol->scope_abstract_unix = true;
}

/* the set-up the lock-down needs first */
static int
set_up(const struct conf *c, struct failure *f)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fail_set(f, FAIL_TEMP, "cannot initialise libcurl");
		return -1;
	}
	for (size_t r = 0; r <= c->nroutes; r++) {
		const struct conf *rc = r == 0 ? c : c->routes[r - 1];

		pin_conf(rc, NULL, true);
		load_ca_file(rc->tls_ca_file);
	}
	/* user names are looked up now: /etc/passwd is closed after */
	(void)caller_self();
	(void)area_queue_uid(); /* the owner an area made by a queue run has */
	return 0;
}

int
relay_lockdown(const struct conf *c, const struct startup *st,
    const char *mode, const char *conf_path, const char *spool_path,
    struct failure *f)
{
	struct sandbox_policy pol;
	struct sandbox_state s;
	char granted[4200];

	build_policy(&pol, c, mode, spool_path,
	    sandbox_test_mode(st->sandbox_test));
	/* the self-test's control: a spool area it may read */
	(void)snprintf(granted, sizeof(granted), "%s/q", spool_path);
	if (pol.off) {
		sandbox_self_test(&pol, conf_path, granted);
		return 0;
	}
	if (set_up(c, f) != 0)
		return -1;
	if (sandbox_apply(&pol, &s, f) != 0) {
		size_t n = strlen(f->msg);

		(void)snprintf(f->msg + n, sizeof(f->msg) - n,
		    " (the relay client does not run without its sandbox; "
		    "sandbox = no in safemail.ini only to debug)");
		return -1;
	}
	pinning = true;
	sandbox_self_test(&pol, conf_path, granted);
	return 0;
}

void
relay_sandbox_print(const struct conf *c, const char *spool_path, FILE *out)
{
	struct sandbox_policy pol;

	build_policy(&pol, c, "deliver", spool_path, SANDBOX_TEST_NONE);
	sandbox_print_check(&pol, NULL, out);
}
