/* SPDX-License-Identifier: MIT */
/*
 * What daxlab asks systemd (PID 1) over D-Bus (sd-bus of libsystemd): a
 * transient scope with Delegate=yes for a lab's cgroups, a unit's state
 * and cgroup, whether a cgroup belongs to a delegated unit. Each call
 * opens its own connection and closes it (sd-bus connections do not
 * survive a fork): as root the manager's own socket
 * /run/systemd/private (a host without a D-Bus daemon), else the system
 * bus. Nothing here writes a cgroup: that is lib/cgroup.c.
 */
#ifndef DAXLAB_SYSTEMD_H
#define DAXLAB_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "util.h"

/* sd_booted(): dir (default /run/systemd/system) is a folder. */
bool sysd_booted(const char *dir);

/*
 * The lab's scope unit, from its state_dir: "/run/daxlab" gives
 * "daxlab-run-daxlab.scope". '/' becomes '-'; a path with characters
 * other than [A-Za-z0-9_.], empty components or more than 96 of them
 * gets '_' for each such character, is cut, and ends in "-" and 8 hex
 * digits of a hash of the whole path, so two state folders never share a
 * name. Allocated.
 */
char *sysd_lab_unit(const char *state_dir);

struct sysd_unit {
	bool exists; /* loaded in the manager */
	char *id; /* "x.scope" */
	char *active; /* ActiveState: "active", "deactivating", ... */
	char *cgroup; /* ControlGroup, relative ("system.slice/x.scope"),
			  * NULL when it has none */
	bool delegate; /* Delegate= */
};

void sysd_unit_free(struct sysd_unit *u);

/*
 * The unit called name: GetUnit, then ActiveState, ControlGroup and
 * Delegate. A unit that is not loaded: ret->exists false, 0.
 */
int sysd_unit_get(const char *name, struct sysd_unit *ret, struct error *err);

/*
 * The unit whose cgroup holds cgroup (relative to the hierarchy's root,
 * "" for the root): GetUnitByControlGroup, then as sysd_unit_get().
 */
int sysd_unit_by_cgroup(const char *cgroup, struct sysd_unit *ret,
			struct error *err);

/*
 * StartTransientUnit(name, "fail") of a scope in slice with Delegate=yes,
 * CollectMode=inactive-or-failed and PIDs = [pid], then waits (up to
 * timeout_ms) for its job to finish. -EEXIST: a unit of that name is
 * loaded already.
 */
int sysd_scope_start(const char *name, const char *slice,
		     const char *description, pid_t pid, unsigned timeout_ms,
		     struct error *err);

/* Waits until no unit called name is loaded: 0, or -ETIMEDOUT. */
int sysd_unit_wait_gone(const char *name, unsigned timeout_ms,
			struct error *err);

/* StopUnit(name, "fail") and ResetFailedUnit(name). */
int sysd_unit_stop(const char *name, struct error *err);

#endif
