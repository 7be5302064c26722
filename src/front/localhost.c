/* localhost.c - this machine's own names (see localhost.h) */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "localhost.h"
#include "text.h"

void
localhost_add(struct conf *c, const char *name, size_t len)
{
	size_t max = sizeof(c->local_names) / sizeof(c->local_names[0]);

	if (len > 0 && name[len - 1] == '.')
		len--; /* the root's dot */
	if (len == 0 || len >= ADDR_BUFSZ || c->nlocal_names >= max ||
	    !addr_check_hostname(name, len))
		return;
	for (size_t i = 0; i < c->nlocal_names; i++)
		if (text_ieqn(name, len, c->local_names[i]))
			return;
	for (size_t i = 0; i < len; i++)
		c->local_names[c->nlocal_names][i] = text_fold(name[i]);
	c->local_names[c->nlocal_names][len] = '\0';
	c->nlocal_names++;
}

/* The next whitespace-separated field of [*p, end) */
static size_t
field(const char **p, const char *end, const char **start)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	*start = *p;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	return (size_t)(*p - *start);
}

bool
localhost_fqdn_from_hosts(const char *text, size_t len, const char *host,
    char out[ADDR_BUFSZ])
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		const char *hash = memchr(p, '#', (size_t)(eol - p));
		const char *stop = hash != NULL ? hash : eol;
		const char *first = NULL, *name;
		size_t first_len = 0, n;

		(void)field(&p, stop, &name); /* the address */
		while ((n = field(&p, stop, &name)) > 0) {
			if (first == NULL) {
				first = name;
				first_len = n;
			}
			if (text_ieqn(name, n, host)) {
				if (first_len >= ADDR_BUFSZ ||
				    memchr(first, '.', first_len) == NULL ||
				    text_ieqn(first, first_len, host))
					return false;
				memcpy(out, first, first_len);
				out[first_len] = '\0';
				return true;
			}
		}
		p = eol + (nl != NULL);
	}
	return false;
}

/* The start of a small file (at most sz - 1 bytes) */
static size_t
read_start(const char *path, char *buf, size_t sz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t got = 0;

	if (fd < 0)
		return 0;
	while (got < sz - 1) {
		ssize_t n = read(fd, buf + got, sz - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	(void)close(fd);
	buf[got] = '\0';
	return got;
}

void
localhost_learn(struct conf *c)
{
	char host[256], fqdn[ADDR_BUFSZ], text[16384];
	size_t n;

	c->nlocal_names = 0;
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		localhost_add(c, host, strlen(host));
		n = read_start("/etc/hosts", text, sizeof(text));
		if (localhost_fqdn_from_hosts(text, n, host, fqdn))
			localhost_add(c, fqdn, strlen(fqdn));
	}
	(void)read_start("/etc/mailname", text, 256);
	localhost_add(c, text, strcspn(text, "\r\n"));
}
