// SPDX-License-Identifier: MIT
/*
 * Floors and meters for bench/monitor.sh; self-contained, built with cc.
 *
 *   monitor_floor read N FILE...   open/read/close every FILE N times; prints
 *                                  the CPU (user+sys) ns per file read
 *   monitor_floor tick N MS FILE...  the same, one round per tick on
 *                                  absolute deadlines MS apart, as a
 *                                  bare sampler sleeps between ticks
 *   monitor_floor sleep N MS       the wakeup alone: sleeps to N absolute
 *                                  deadlines MS apart and does nothing
 *                                  else; prints the CPU ns per tick, the
 *                                  part of a sampler's tick that every
 *                                  periodic sampler pays on this machine
 *   monitor_floor cpu CMD ARG...   runs CMD; prints its CPU ns (with the
 *                                  children it waited for) and wall ns
 *   monitor_floor rusage FILE CMD ARG...  runs CMD; writes its peak RSS
 *                                  (KiB), user and system CPU (s) to FILE,
 *                                  as /usr/bin/time -f '%M %U %S' does
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long tv_ns(struct timeval tv)
{
	return tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
}

static int floor_read(int n, long ms, int nf, char **files)
{
	static char buf[65536];
	long long t0 = ns(CLOCK_PROCESS_CPUTIME_ID), t;
	long long bytes = 0, start = ns(CLOCK_MONOTONIC);

	for (int i = 0; i < n; i++) {
		if (ms > 0) {
			long long due = start + i * ms * 1000000LL;
			struct timespec ts = { due / 1000000000LL,
					       due % 1000000000LL };

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL);
		}
		for (int f = 0; f < nf; f++) {
			int fd = open(files[f], O_RDONLY | O_CLOEXEC);
			ssize_t r;

			if (fd < 0) {
				perror(files[f]);
				return 1;
			}
			while ((r = read(fd, buf, sizeof(buf))) > 0)
				bytes += r;
			close(fd);
		}
	}
	t = ns(CLOCK_PROCESS_CPUTIME_ID) - t0;
	if (nf == 0) {
		/* sleep: per tick */
		printf("%lld\n", t / n);
		return 0;
	}
	printf("%lld\n", t / ((long long)n * nf));
	return bytes > 0 ? 0 : 1;
}

static int cpu(char **argv)
{
	long long w0 = ns(CLOCK_MONOTONIC);
	struct rusage ru;
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0)
		return 1;
	printf("%lld %lld\n", tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime),
	       ns(CLOCK_MONOTONIC) - w0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int rusage_to(const char *file, char **argv)
{
	struct rusage ru;
	int st;
	FILE *f;
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0)
		return 1;
	f = fopen(file, "w");
	if (!f)
		return 1;
	fprintf(f, "%ld %.2f %.2f\n", ru.ru_maxrss,
		(double)tv_ns(ru.ru_utime) / 1e9,
		(double)tv_ns(ru.ru_stime) / 1e9);
	if (fclose(f) != 0)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "read") == 0 && atoi(argv[2]) > 0)
		return floor_read(atoi(argv[2]), 0, argc - 3, argv + 3);
	if (argc >= 5 && strcmp(argv[1], "tick") == 0 && atoi(argv[2]) > 0)
		return floor_read(atoi(argv[2]), atol(argv[3]), argc - 4,
				  argv + 4);
	if (argc == 4 && strcmp(argv[1], "sleep") == 0 && atoi(argv[2]) > 0)
		return floor_read(atoi(argv[2]), atol(argv[3]), 0, NULL);
	if (argc >= 3 && strcmp(argv[1], "cpu") == 0)
		return cpu(argv + 2);
	if (argc >= 4 && strcmp(argv[1], "rusage") == 0)
		return rusage_to(argv[2], argv + 3);
	fprintf(stderr,
		"usage: monitor_floor read N FILE... | tick N MS FILE... | "
		"sleep N MS | cpu CMD... | rusage FILE CMD...\n");
	return 2;
}
