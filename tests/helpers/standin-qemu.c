// SPDX-License-Identifier: MIT
/*
 * A stand-in for qemu-system-x86_64, for tests of `daxlab vm` where no
 * real guest can run (inside the virtual NUMA host of vm_numa.bats).
 *
 * It takes qemu's command line as `daxlab vm start` writes it and ignores
 * all of it but:
 *   -m SIZE[,...]              anonymous memory to touch (default 64M)
 *   -chardev socket,id=qmp,path=P,...    answers QMP there
 *   -chardev socket,...,logfile=L,...     the console log: gets DAXLAB-READY
 *   -standin-file PATH         write the page-cache part to PATH
 *                              (default: standin.data next to the QMP socket)
 *   -standin-file-size SIZE    how much to write there (default 32M)
 *
 * Order: prints its command line on stdout, opens the QMP socket, touches the anonymous memory, writes the
 * file (fsync, so its pages are clean page cache), then prints
 * "standin-qemu: ready ..." on stdout and DAXLAB-READY to the console log.
 * Then it sleeps, answering QMP ({"return": {}} to everything), until
 * system_powerdown, quit, SIGTERM or SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "standin-qemu: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* "64M", "1G", "512" (MiB, as qemu's -m takes it), up to a ','. */
static uint64_t parse_size(const char *s, uint64_t unit)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s) {
		fprintf(stderr, "standin-qemu: bad size '%s'\n", s);
		exit(2);
	}
	switch (*end) {
	case 'k':
	case 'K':
		return v << 10;
	case 'm':
	case 'M':
		return v << 20;
	case 'g':
	case 'G':
		return v << 30;
	case 'b':
	case 'B':
		return v;
	default:
		return v * unit;
	}
}

/* The value of key= in a qemu option string "a=1,key=v,c". Allocated. */
static char *opt_value(const char *opts, const char *key)
{
	size_t klen = strlen(key);
	const char *p = opts;

	while (p && *p) {
		size_t len = strcspn(p, ",");

		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=')
			return strndup(p + klen + 1, len - klen - 1);
		p += len;
		if (*p == ',')
			p++;
	}
	return NULL;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("write");
		buf += n;
		len -= (size_t)n;
	}
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "standin-qemu: socket path too long: %s\n",
			path);
		exit(2);
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 4) < 0)
		die(path);
	return fd;
}

/*
 * One QMP client: greeting, then {"return": {}} per command. The command
 * that asks us to go (system_powerdown, quit), or NULL.
 */
static const char *serve_qmp(int fd)
{
	static const char greeting[] =
		"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, "
		"\"minor\": 2, \"major\": 7}, \"package\": \"standin\"}, "
		"\"capabilities\": []}}\r\n";
	char buf[4096];
	size_t fill = 0;
	const char *bye = NULL;

	write_all(fd, greeting, sizeof(greeting) - 1);
	while (!stop && !bye) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		char *nl;

		if (poll(&p, 1, 10000) <= 0)
			break;
		n = read(fd, buf + fill, sizeof(buf) - 1 - fill);
		if (n <= 0)
			break;
		fill += (size_t)n;
		buf[fill] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			if (strstr(buf, "\"execute\"")) {
				static const char ok[] = "{\"return\": {}}\r\n";

				write_all(fd, ok, sizeof(ok) - 1);
				if (strstr(buf, "system_powerdown"))
					bye = "QMP system_powerdown";
				else if (strstr(buf, "\"quit\""))
					bye = "QMP quit";
			}
			fill -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, fill + 1);
		}
		if (fill == sizeof(buf) - 1)
			break;
	}
	return bye;
}

int main(int argc, char **argv)
{
	uint64_t anon = 64ULL << 20, file_size = 32ULL << 20;
	char *qmp = NULL, *console = NULL, *file = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	const char *why = NULL;
	char *mem, *chunk;
	int lfd, fd;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			break;
		if (!strcmp(argv[i], "-m")) {
			anon = parse_size(v, 1ULL << 20);
		} else if (!strcmp(argv[i], "-chardev")) {
			char *id = opt_value(v, "id");
			char *log = opt_value(v, "logfile");

			if (id && !strcmp(id, "qmp")) {
				free(qmp);
				qmp = opt_value(v, "path");
			}
			if (log) {
				free(console);
				console = log;
			}
			free(id);
		} else if (!strcmp(argv[i], "-standin-file")) {
			free(file);
			file = strdup(v);
		} else if (!strcmp(argv[i], "-standin-file-size")) {
			file_size = parse_size(v, 1);
		} else {
			continue;
		}
		i++;
	}
	if (!qmp) {
		fprintf(stderr,
			"standin-qemu: no -chardev socket,id=qmp,path=\n");
		return 2;
	}
	if (!file) {
		char *slash = strrchr(qmp, '/');

		if (asprintf(&file, "%.*s/standin.data",
			     slash ? (int)(slash - qmp) : 1,
			     slash ? qmp : ".") < 0)
			die("asprintf");
	}
	/* the command line as daxlab ran it, for tests to check */
	printf("standin-qemu: argv:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	fflush(stdout);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	lfd = listen_unix(qmp);

	/* anonymous memory, every page written */
	mem = mmap(NULL, anon, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	for (uint64_t off = 0; off < anon; off += 4096)
		mem[off] = (char)(off >> 12 | 1);

	/* page cache: the file written and synced, its pages stay cached */
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die(file);
	chunk = malloc(1 << 20);
	if (!chunk)
		die("malloc");
	memset(chunk, 0x5a, 1 << 20);
	for (uint64_t done = 0; done < file_size;) {
		size_t n = file_size - done < (1 << 20) ? file_size - done :
							  (1 << 20);

		write_all(fd, chunk, n);
		done += n;
	}
	if (fsync(fd) < 0)
		die("fsync");
	close(fd);
	free(chunk);

	printf("standin-qemu: ready: pid %d, anon %llu MiB, file %s %llu MiB\n",
	       (int)getpid(), (unsigned long long)(anon >> 20), file,
	       (unsigned long long)(file_size >> 20));
	fflush(stdout);
	if (console) {
		int cfd = open(console,
			       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (cfd < 0)
			die(console);
		write_all(cfd, "DAXLAB-READY\r\n", 14);
		close(cfd);
	}

	while (!stop) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int cfd;

		if (poll(&p, 1, -1) < 0)
			continue; /* EINTR: a signal, stop is set */
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		why = serve_qmp(cfd);
		if (why)
			stop = 1;
		close(cfd);
	}
	if (!why)
		why = stop_signal == SIGTERM ? "SIGTERM" : "SIGINT";
	/* the memory stays touched until here */
	mem[0] ^= 1;
	munmap(mem, anon);
	close(lfd);
	unlink(qmp);
	printf("standin-qemu: exiting (%s)\n", why);
	free(qmp);
	free(console);
	free(file);
	return 0;
}
