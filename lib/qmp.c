// SPDX-License-Identifier: MIT
#include "qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

/* Reads one line (a QMP message) into buf; skips event lines. */
static int read_reply(int fd, char *buf, size_t len, size_t *have,
		      int64_t deadline_ns, char **ret_line)
{
	for (;;) {
		char *nl = memchr(buf, '\n', *have);

		if (nl) {
			size_t l = (size_t)(nl - buf) + 1;
			char *line = strndup(buf, l - 1);

			memmove(buf, buf + l, *have - l);
			*have -= l;
			if (!line)
				return -ENOMEM;
			if (strstr(line, "\"event\"")) {
				free(line);
				continue;
			}
			*ret_line = line;
			return 0;
		}
		if (*have + 1 >= len)
			return -E2BIG;
		int64_t left = (deadline_ns - now_monotonic_ns()) / 1000000;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (left <= 0)
			return -ETIMEDOUT;
		int r = poll(&p, 1, (int)left);

		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		ssize_t n = read(fd, buf + *have, len - *have - 1);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		if (n > 0)
			*have += (size_t)n;
	}
}

int qmp_execute(const char *path, const char *command, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = now_monotonic_ns() + (int64_t)timeout_ms * 1000000;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *line = NULL;
	char buf[65536];
	size_t have = 0;
	struct stat st;
	_cleanup_free_ char *cmd =
		strdup_printf("{\"execute\":\"%s\"}\n", command);
	const char *const say[] = { NULL,
				    "{\"execute\":\"qmp_capabilities\"}\n",
				    cmd };
	const char *const want[] = { "\"QMP\"", "\"return\"", NULL };
	int r;

	if (!cmd)
		return -ENOMEM;
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	/* the greeting; qmp_capabilities and its reply; then the command */
	for (size_t i = 0; i < ARRAY_SIZE(say); i++) {
		free(line);
		line = NULL;
		if (say[i] && (r = write_all(fd, say[i], strlen(say[i]))) < 0)
			return r;
		r = read_reply(fd, buf, sizeof(buf), &have, deadline, &line);
		if (r < 0)
			return r;
		if (want[i] && !strstr(line, want[i]))
			return -EPROTO;
	}
	return strstr(line, "\"return\"") ? 0 : -EREMOTEIO;
}
