/* spoolw - the floor of an async submission: a process that reads
 * standard input and writes it durably (write, fsync, rename, fsync the
 * directory) into DIR. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	char tmp[4096], dst[4096];
	ssize_t n = read(0, buf, sizeof(buf));
	int fd, dir;

	if (argc < 2 || n < 0)
		return 2;
	snprintf(tmp, sizeof(tmp), "%s/tmp.%d", argv[1], (int)getpid());
	snprintf(dst, sizeof(dst), "%s/msg.%d", argv[1], (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || fsync(fd) != 0 ||
	    close(fd) != 0 || rename(tmp, dst) != 0)
		return 1;
	dir = open(argv[1], O_RDONLY | O_DIRECTORY);
	return dir < 0 || fsync(dir) != 0 ? 1 : 0;
}
