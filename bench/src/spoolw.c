/* spoolw - the floor of an async submission: a process that reads
 * standard input and writes it durably (write, fsync, rename, fsync the
 * directory) into DIR. With -e, as a spool that keeps the envelope in a
 * file of its own (safemail's q/: NAME.msg and NAME.env): a second,
 * small file written, fsync'd and renamed before the directory's fsync,
 * three fsyncs in all. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int
put(const char *dir, const char *name, const char *buf, size_t n)
{
	char tmp[4096], dst[4096];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/tmp.%s.%d", dir, name, (int)getpid());
	snprintf(dst, sizeof(dst), "%s/%s.%d", dir, name, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, buf, n) != (ssize_t)n || fsync(fd) != 0 ||
	    close(fd) != 0 || rename(tmp, dst) != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	static const char env[] = "safemail-spool 1\nid 0123456789AB\n"
				  "uid 0\nsender b@example.com\n"
				  "rcpt a@example.org\n";
	ssize_t n = read(0, buf, sizeof(buf));
	int envelope = argc > 2 && strcmp(argv[1], "-e") == 0;
	const char *dir = argv[argc - 1];
	int d;

	if (argc < 2 || n < 0)
		return 2;
	if (put(dir, "msg", buf, (size_t)n) != 0 ||
	    (envelope && put(dir, "env", env, sizeof(env) - 1) != 0))
		return 1;
	d = open(dir, O_RDONLY | O_DIRECTORY);
	return d < 0 || fsync(d) != 0 ? 1 : 0;
}
