// SPDX-License-Identifier: MIT
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void spawn_opts_init(struct spawn_opts *o, const char *const *argv)
{
	memset(o, 0, sizeof(*o));
	o->argv = argv;
	o->fd_in = o->fd_out = o->fd_err = SPAWN_INHERIT;
	o->cgroup_fd = -1;
}

static void child_fail(int errpipe, int err)
{
	(void)!write(errpipe, &err, sizeof(err));
	_exit(127);
}

static int setup_fd(int want, int target)
{
	int fd = want;

	if (want == SPAWN_INHERIT)
		return 0;
	if (want == SPAWN_NULL) {
		fd = open("/dev/null", O_RDWR | O_NOCTTY);
		if (fd < 0)
			return -errno;
	}
	if (fd == target) {
		/* dup2 would keep O_CLOEXEC: clear it instead */
		int fl = fcntl(fd, F_GETFD);

		return fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0 ? -errno : 0;
	}
	if (dup2(fd, target) < 0)
		return -errno;
	return 0;
}

static void child_exec(const struct spawn_opts *o, int errpipe)
{
	sigset_t all;
	int r;

	/* Signals blocked or ignored by us must not stay so in the child. */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	if (o->new_session)
		setsid();
	if (o->die_with_parent)
		prctl(PR_SET_PDEATHSIG, SIGTERM);
	for (size_t i = 0; o->cgroup_procs && o->cgroup_procs[i]; i++) {
		r = write_string_file(o->cgroup_procs[i], "0");
		if (r < 0)
			child_fail(errpipe, -r);
	}
	/* Order matters: a requested fd may sit on 0..2 already. */
	int want[3] = { o->fd_in, o->fd_out, o->fd_err };
	for (int t = 0; t < 3; t++)
		if (want[t] >= 0 && want[t] <= 2 && want[t] != t)
			want[t] = fcntl(want[t], F_DUPFD_CLOEXEC, 3);
	for (int t = 0; t < 3; t++)
		if ((r = setup_fd(want[t], t)) < 0)
			child_fail(errpipe, -r);
	/*
	 * Nothing but 0..2 crosses the exec: a lock we hold must not live on
	 * in the program, and fds the caller inherited from its own parent
	 * (bats keeps several) are not the program's either. dash cannot
	 * even name an fd above 9: mmdebstrap's `cat >&11` failed under bats.
	 */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		long max = sysconf(_SC_OPEN_MAX);

		for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536);
		     fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	execvp(o->argv[0], (char *const *)o->argv);
	child_fail(errpipe, errno);
}

static pid_t do_clone(const struct spawn_opts *o)
{
	if (o->cgroup_fd >= 0) {
		struct clone_args args;

		memset(&args, 0, sizeof(args));
		args.flags = CLONE_INTO_CGROUP;
		args.exit_signal = SIGCHLD;
		args.cgroup = (uint64_t)o->cgroup_fd;
		return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	}
	return fork();
}

int spawn(const struct spawn_opts *o, pid_t *ret_pid)
{
	int p[2], err = 0;
	ssize_t n;
	pid_t pid;

	if (!o->argv || !o->argv[0])
		return -EINVAL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = do_clone(o);
	if (pid < 0) {
		err = errno;
		close(p[0]);
		close(p[1]);
		return -err;
	}
	if (pid == 0) {
		close(p[0]);
		child_exec(o, p[1]);
	}
	close(p[1]);
	do
		n = read(p[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == sizeof(err)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -err;
	}
	*ret_pid = pid;
	return 0;
}

int spawn_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

int spawn_collect(int fd, pid_t pid, size_t max, int64_t deadline_ns,
		  const volatile sig_atomic_t *stop, char **ret_out,
		  int *ret_exit)
{
	size_t cap = 0, len = 0;
	char *buf = NULL;
	int r = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char chunk[4096];
		ssize_t n;

		if (stop && *stop)
			r = -EINTR;
		else if (deadline_ns && now_monotonic_ns() >= deadline_ns)
			r = -ETIMEDOUT;
		else if ((deadline_ns || stop) && poll(&pfd, 1, 100) <= 0)
			continue;
		n = r ? -1 : read(fd, chunk, sizeof(chunk));
		if (n < 0 && !r && errno == EINTR)
			continue;
		if (n == 0)
			break;
		if (n > 0 && len < max) {
			size_t k =
				(size_t)n < max - len ? (size_t)n : max - len;
			char *nb =
				len + k >= cap ?
					realloc(buf, cap = 2 * (len + k) + 1) :
					buf;

			if (!nb) {
				r = -ENOMEM;
			} else {
				buf = nb;
				memcpy(buf + len, chunk, k);
				len += k;
			}
		}
		if (n < 0 && !r)
			r = -errno;
		if (r) {
			kill(pid, SIGKILL);
			break;
		}
	}
	close(fd);
	*ret_exit = spawn_wait(pid);
	if (!r && !buf && !(buf = malloc(1)))
		r = -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret_out = buf;
	return 0;
}

int spawn_capture(const char *const *argv, bool merge_stderr, size_t max,
		  char **ret_out, int *ret_exit)
{
	struct spawn_opts o;
	int p[2], r;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	spawn_opts_init(&o, argv);
	o.fd_in = SPAWN_NULL;
	o.fd_out = p[1];
	if (merge_stderr)
		o.fd_err = p[1];
	r = spawn(&o, &pid);
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		return r;
	}
	return spawn_collect(p[0], pid, max, 0, NULL, ret_out, ret_exit);
}

int spawn_run(const char *const *argv, const char *hint, struct error *err)
{
	_cleanup_free_ char *out = NULL;
	int r, ex;

	r = spawn_capture(argv, true, 1 << 16, &out, &ex);
	if (r == -ENOENT && hint)
		return err_fail(err, r, "%s: %s (install %s)", argv[0],
				strerror(-r), hint);
	if (r < 0)
		return err_fail(err, r, "%s: %s", argv[0], strerror(-r));
	if (ex != 0) {
		out[strcspn(out, "\n")] = '\0';
		return err_fail(err, -EIO, "%s exited with %d: %s", argv[0], ex,
				out);
	}
	return 0;
}
