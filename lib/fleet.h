/* SPDX-License-Identifier: MIT */
/*
 * Starting and stopping a set of VMs in parallel: the one policy of
 * daxlab vm start all, vm stop all and run. Each start or stop runs in a
 * child of its own, so that boots and power-off timeouts overlap.
 *
 * A start is all or nothing. Every start runs to its end (up, or failed
 * and undone by itself); when one failed, the ones that came up are
 * stopped again. Once *interrupted is set, the starts still running get
 * SIGTERM (the caller's handler makes them give up and undo, see
 * vm_env.interrupted) and FLEET_GRACE_MS later SIGKILL to their process
 * group; then the ones up or killed half-way are stopped. At most
 * FLEET_MAX start together: enough for a lab host, and the limit that
 * daxlab states. A stop stops every member, whatever the others do, and
 * is not interrupted.
 *
 * The child is in its own process group (a ^C is the caller's to act on,
 * and a SIGKILL to the group ends what the start runs too) and keeps the
 * caller's signal handlers; a start also gets SIGTERM if the caller dies.
 * What the function writes to msg comes to the event callback, which runs
 * in the caller's process as things happen: nothing here prints.
 */
#ifndef DAXLAB_FLEET_H
#define DAXLAB_FLEET_H

#include <signal.h>
#include <stddef.h>

#define FLEET_MAX 16
#define FLEET_GRACE_MS 8000
#define FLEET_MSG_MAX 4096

enum fleet_state {
	FLEET_DOWN = 0, /* not started, or stopped */
	FLEET_STARTING, /* its start was begun (maybe left half-way) */
	FLEET_UP, /* its start succeeded */
	FLEET_FAILED, /* its start failed (and undid what it did) */
	FLEET_STOP_FAILED, /* its stop failed */
};

enum fleet_event {
	FLEET_EV_STARTING, /* its start is about to be forked */
	FLEET_EV_UP,
	FLEET_EV_FAILED, /* msg: why its start failed, or "" */
	FLEET_EV_ROLLBACK, /* it is about to be stopped again */
	FLEET_EV_STOPPED, /* msg: the stop's note, or "" */
	FLEET_EV_STOP_FAILED, /* msg: why, or "" */
};

struct fleet {
	size_t n;
	/*
	 * Start or stop member i: 0, or < 0 with msg filled. start runs in
	 * a child; stop too, unless fork fails.
	 */
	int (*start)(void *ud, size_t i, char *msg, size_t len);
	int (*stop)(void *ud, size_t i, char *msg, size_t len);
	/* called with state[i] already the new one */
	void (*event)(void *ud, size_t i, enum fleet_event ev, const char *msg);
	void *ud;
	const volatile sig_atomic_t *interrupted; /* the caller's, or NULL */
};

/*
 * Starts the n members; state[i] says how each ended: FLEET_UP,
 * FLEET_FAILED, FLEET_DOWN (not started, or stopped again) or
 * FLEET_STOP_FAILED. 0 when all are up, else -EINTR, -EIO (a start
 * failed), or -E2BIG (more than FLEET_MAX: nothing started).
 */
int fleet_start(const struct fleet *f, enum fleet_state *state);

/*
 * Stops the members whose state is not FLEET_DOWN or FLEET_FAILED (a
 * failed start undid itself; what runs under that name is another's);
 * each becomes FLEET_DOWN or FLEET_STOP_FAILED. 0, or -EIO when a stop
 * failed.
 */
int fleet_stop(const struct fleet *f, enum fleet_state *state);

#endif
