// SPDX-License-Identifier: MIT
/*
 * A stand-in for qemu in vm_numa_v2.bats: takes qemu's command line as
 * daxlab builds it, opens the QMP socket, allocates and touches 64 MiB of
 * anonymous memory and writes 32 MiB to a file next to the socket (page
 * cache, shmem on tmpfs), says DAXLAB-READY in the console log, and exits
 * when QMP asks it to power down or quit. Built static, run in a guest.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <fcntl.h>

/* The value of key= in a qemu option list, up to the next ','. */
static char *opt_value(const char *list, const char *key)
{
	const char *p = strstr(list, key);
	size_t n;
	char *r;

	if (!p)
		return NULL;
	p += strlen(key);
	n = strcspn(p, ",");
	r = malloc(n + 1);
	memcpy(r, p, n);
	r[n] = 0;
	return r;
}

int main(int argc, char **argv)
{
	char *qmp = NULL, *console = NULL, *data;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t anon = 64 << 20, file = 32 << 20;
	char *mem, buf[4096];
	int s, fd;

	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "-chardev"))
			continue;
		if (strstr(argv[i + 1], "id=qmp,"))
			qmp = opt_value(argv[i + 1], "path=");
		if (strstr(argv[i + 1], "id=ser0,"))
			console = opt_value(argv[i + 1], "logfile=");
	}
	if (!qmp || !console) {
		fprintf(stderr, "standin: no QMP socket or console log\n");
		return 2;
	}
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", qmp);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 4)) {
		perror("standin: QMP socket");
		return 2;
	}

	mem = malloc(anon);
	memset(mem, 0x5a, anon);
	data = malloc(strlen(qmp) + 16);
	sprintf(data, "%s.data", qmp);
	fd = open(data, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	memset(buf, 0xa5, sizeof(buf));
	for (size_t done = 0; done < file; done += sizeof(buf))
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return 3;
	close(fd);

	fd = open(console, O_WRONLY | O_CREAT | O_APPEND, 0600);
	dprintf(fd, "standin: %zu MiB anon, %zu MiB file\nDAXLAB-READY\n",
		anon >> 20, file >> 20);
	close(fd);

	for (;;) {
		int c = accept(s, NULL, NULL);
		FILE *f;
		char line[1024];

		if (c < 0)
			continue;
		f = fdopen(c, "r+");
		fprintf(f, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\n");
		fflush(f);
		while (fgets(line, sizeof(line), f)) {
			fprintf(f, "{\"return\": {}}\n");
			fflush(f);
			if (strstr(line, "system_powerdown") ||
			    strstr(line, "\"quit\"")) {
				unlink(data);
				unlink(qmp);
				return 0;
			}
		}
		fclose(f);
	}
}
