// SPDX-License-Identifier: MIT
/*
 * Starting and stopping a set of VMs in parallel (lib/fleet.h): a child
 * per member, its message back through a pipe read once it ended.
 */
#include "fleet.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct kid {
	pid_t pid; /* 0: none, or reaped */
	int fd; /* the read end of its message pipe */
	int code; /* its exit code, 128 + N after signal N */
	char msg[FLEET_MSG_MAX];
};

/* Runs fn(i) in a child in its own process group; -errno if it cannot. */
static int fork_one(const struct fleet *f, size_t i, bool start, struct kid *k)
{
	pid_t parent = getpid();
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	k->pid = fork();
	if (k->pid == 0) {
		char msg[FLEET_MSG_MAX] = "";
		int r = 1;

		close(p[0]);
		setpgid(0, 0);
		/* a caller killed outright: the start undoes itself */
		if (!start || (prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 &&
			       getppid() == parent))
			r = (start ? f->start : f->stop)(f->ud, i, msg,
							 sizeof(msg));
		(void)write_all(p[1], msg, strnlen(msg, sizeof(msg)));
		fflush(NULL);
		_exit(r < 0 ? 1 : 0);
	}
	close(p[1]);
	if (k->pid < 0) {
		k->pid = 0;
		close(p[0]);
		return -errno;
	}
	setpgid(k->pid, k->pid); /* in both: whichever runs first */
	k->fd = p[0];
	return 0;
}

/* Reaps k if it ended, and reads its message; true when it did. */
static bool reap(struct kid *k)
{
	size_t n = 0;
	ssize_t r;
	int st;
	pid_t w = waitpid(k->pid, &st, WNOHANG);

	if (w == 0 || (w < 0 && errno == EINTR))
		return false;
	k->code = w < 0		? 255 :
		  WIFEXITED(st) ? WEXITSTATUS(st) :
				  128 + WTERMSIG(st);
	while (n + 1 < sizeof(k->msg) &&
	       ((r = read(k->fd, k->msg + n, sizeof(k->msg) - 1 - n)) > 0 ||
		(r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	k->msg[n] = '\0';
	close(k->fd);
	k->pid = 0;
	return true;
}

/* Member i's start or stop ended with k->code: its state, and the event. */
static void ended(const struct fleet *f, size_t i, bool start, struct kid *k,
		  enum fleet_state *state)
{
	bool ok = k->code == 0;

	if (!start)
		state[i] = ok ? FLEET_DOWN : FLEET_STOP_FAILED;
	else if (ok || k->code < 128)
		state[i] = ok ? FLEET_UP : FLEET_FAILED;
	else if (!k->msg[0]) /* killed half-way: stays FLEET_STARTING */
		snprintf(k->msg, sizeof(k->msg), "its start ended on signal %d",
			 k->code - 128);
	f->event(f->ud, i,
		 start ? (ok ? FLEET_EV_UP : FLEET_EV_FAILED) :
			 (ok ? FLEET_EV_STOPPED : FLEET_EV_STOP_FAILED),
		 k->msg);
}

/*
 * Waits for every child. Starts only: once *interrupted, SIGTERM to the
 * ones still running, and FLEET_GRACE_MS later SIGKILL to their groups.
 */
static void wait_all(const struct fleet *f, bool start, struct kid *kids,
		     size_t left, enum fleet_state *state)
{
	int64_t kill_at = INT64_MAX;

	while (left) {
		struct timespec nap = { 0, 50 * 1000000 };

		for (size_t i = 0; i < f->n; i++)
			if (kids[i].pid > 0 && reap(&kids[i])) {
				left--;
				ended(f, i, start, &kids[i], state);
			}
		if (left && start && kill_at == INT64_MAX && f->interrupted &&
		    *f->interrupted) {
			kill_at = now_monotonic_ns() / 1000000 + FLEET_GRACE_MS;
			for (size_t i = 0; i < f->n; i++)
				if (kids[i].pid > 0)
					kill(kids[i].pid, SIGTERM);
		}
		/* a rollback first, then no mercy */
		for (size_t i = 0; i < f->n; i++)
			if (kids[i].pid > 0 &&
			    now_monotonic_ns() / 1000000 >= kill_at)
				kill(-kids[i].pid, SIGKILL);
		if (left)
			nanosleep(&nap, NULL);
	}
}

/*
 * Stops the members up or left half-way. A failed start undid what it
 * did: what runs under its name now (a VM already running, or being
 * started by another daxlab) is not ours to stop.
 */
static int stop_all(const struct fleet *f, enum fleet_state *state)
{
	struct kid *kids = calloc(f->n ? f->n : 1, sizeof(*kids));
	size_t left = 0;
	int ret = 0;

	if (!kids)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++) {
		if (state[i] == FLEET_DOWN || state[i] == FLEET_FAILED)
			continue;
		if (fork_one(f, i, false, &kids[i]) == 0) {
			left++;
			continue;
		}
		/* no child: here, then */
		kids[i].code =
			f->stop(f->ud, i, kids[i].msg, sizeof(kids[i].msg)) < 0;
		ended(f, i, false, &kids[i], state);
	}
	wait_all(f, false, kids, left, state);
	for (size_t i = 0; i < f->n; i++)
		if (state[i] == FLEET_STOP_FAILED)
			ret = -EIO;
	free(kids);
	return ret;
}

int fleet_stop(const struct fleet *f, enum fleet_state *state)
{
	return stop_all(f, state);
}

int fleet_start(const struct fleet *f, enum fleet_state *state)
{
	struct kid *kids;
	size_t left = 0;
	bool failed = false;
	int r = 0;

	if (f->n > FLEET_MAX)
		return -E2BIG;
	kids = calloc(f->n ? f->n : 1, sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++)
		state[i] = FLEET_DOWN;
	for (size_t i = 0; i < f->n && r == 0; i++) {
		if (f->interrupted && *f->interrupted)
			break;
		state[i] = FLEET_STARTING;
		f->event(f->ud, i, FLEET_EV_STARTING, "");
		r = fork_one(f, i, true, &kids[i]);
		if (r == 0) {
			left++;
			continue;
		}
		snprintf(kids[i].msg, sizeof(kids[i].msg), "fork: %s",
			 strerror(-r));
		kids[i].code = 1;
		ended(f, i, true, &kids[i], state);
	}
	wait_all(f, true, kids, left, state);
	for (size_t i = 0; i < f->n; i++)
		failed |=
			state[i] == FLEET_FAILED || state[i] == FLEET_STARTING;
	free(kids);
	if (f->interrupted && *f->interrupted)
		r = -EINTR;
	else if (failed)
		r = -EIO;
	else
		return 0;
	/* all or nothing: the ones up, and what a killed start left */
	for (size_t i = 0; i < f->n; i++)
		if (state[i] == FLEET_UP || state[i] == FLEET_STARTING)
			f->event(f->ud, i, FLEET_EV_ROLLBACK, "");
	stop_all(f, state);
	return r;
}
