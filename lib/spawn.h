/* SPDX-License-Identifier: MIT */
/*
 * Starting programs: always from an argument array, never through a shell.
 */
#ifndef DAXLAB_SPAWN_H
#define DAXLAB_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SPAWN_INHERIT (-2) /* keep the parent's fd */
#define SPAWN_NULL (-1)    /* /dev/null */

struct spawn_opts {
	const char *const *argv; /* argv[0] is looked up in PATH */
	int fd_in, fd_out, fd_err; /* an fd, SPAWN_INHERIT or SPAWN_NULL */
	/*
	 * cgroup v2: an O_DIRECTORY fd of the cgroup the child starts in
	 * (clone3 with CLONE_INTO_CGROUP), or -1.
	 */
	int cgroup_fd;
	/*
	 * cgroup v1: cgroup.procs files the child writes itself into before
	 * exec (fork, attach, exec). NULL-terminated, or NULL.
	 */
	const char *const *cgroup_procs;
	bool new_session; /* setsid(): not killed by the terminal's ^C */
	bool die_with_parent; /* PR_SET_PDEATHSIG SIGTERM */
};

/* Initialises opts with all fds inherited and no cgroup. */
void spawn_opts_init(struct spawn_opts *o, const char *const *argv);

/*
 * Starts the program. Returns 0 and the pid once exec succeeded; a failed
 * exec or cgroup attach is returned as -errno (-ENOENT: not found), and
 * the child is reaped.
 */
int spawn(const struct spawn_opts *o, pid_t *ret_pid);

/* Waits for pid; returns its exit code, or 128 + signal. */
int spawn_wait(pid_t pid);

/*
 * Reads fd (a pipe from child pid) to its end, keeping the first max
 * bytes and draining the rest so the child can end, then closes fd and
 * reaps pid (*ret_exit as spawn_wait()). With a deadline (ns of
 * now_monotonic_ns(); 0: none) or a stop flag, the child is killed when
 * it passes or the flag is set: -ETIMEDOUT, -EINTR. *ret_out is
 * allocated and NUL-terminated.
 */
int spawn_collect(int fd, pid_t pid, size_t max, int64_t deadline_ns,
		  const volatile sig_atomic_t *stop, char **ret_out,
		  int *ret_exit);

/*
 * Runs argv to completion with stdin from /dev/null, collecting up to max
 * bytes of stdout (stderr too when merge_stderr). *ret_out is allocated
 * and NUL-terminated. Returns -errno on failure to start, else 0 with
 * *ret_exit set.
 */
int spawn_capture(const char *const *argv, bool merge_stderr, size_t max,
		  char **ret_out, int *ret_exit);

struct error;
/*
 * Runs argv to completion for its exit status only. -errno when it does
 * not start (err: "PROG: why", then " (install HINT)" for -ENOENT when
 * hint is not NULL); -EIO when it fails, err then saying "PROG exited
 * with CODE: " and the first line of its output.
 */
int spawn_run(const char *const *argv, const char *hint, struct error *err);

#endif
