// SPDX-License-Identifier: MIT
#include "fioprobe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"
#include "util.h"

int fioprobe_job(char **ret_path)
{
	static const char job[] = "[daxlab-probe]\nioengine=null\nsize=4k\n"
				  "rw=read\nbs=4k\n";
	char path[] = "/tmp/daxlab-probe.XXXXXX";
	int fd = mkstemp(path), r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, job, sizeof(job) - 1);
	close(fd);
	if (r == 0 && !(*ret_path = strdup(path)))
		r = -ENOMEM;
	if (r < 0)
		unlink(path);
	return r;
}

bool fioprobe_answers(const char *fio, const char *host, const char *job)
{
	_cleanup_free_ char *arg = strdup_printf("--client=%s", host);
	_cleanup_free_ char *out = NULL;
	const char *argv[] = { fio, "--output-format=json", arg, job, NULL };
	int status = -1;

	if (!arg || spawn_capture(argv, false, 1u << 20, &out, &status) < 0)
		return false;
	return status == 0 && strstr(out, "\"client_stats\"") &&
	       strstr(out, "\"daxlab-probe\"");
}
