/* SPDX-License-Identifier: MIT */
/*
 * Where a lab's cgroups go, and what must happen first:
 *
 *   no systemd, or cgroup v1   below the root or [lab] cgroup_parent, as
 *                              daxlab always did (CGPLACE_ROOT, _PARENT)
 *   systemd, v2, no parent     the lab's transient scope, asked of systemd
 *                              with Delegate=yes (CGPLACE_SCOPE):
 *                              system.slice/daxlab-<state_dir>.scope
 *   systemd, v2, a parent      cgroup_parent, if systemd delegated it or a
 *                              cgroup above it; refused otherwise
 *
 * On v2 a cgroup that holds processes cannot enable controllers for its
 * children, so the processes of the scope or of cgroup_parent (daxlab
 * itself, the shell of a `systemd-run --scope`) are moved into its leaf
 * child CGPLACE_LEAF first; the VM and virtiofsd cgroups are made beside
 * that leaf. A scope ends when nothing runs in it any more: systemd then
 * removes it and its cgroup (CollectMode=inactive-or-failed).
 *
 * Nothing here prints: steps go to the note callback; every cgroup write
 * is lib/cgroup.c's, every question to systemd lib/systemd.c's.
 */
#ifndef DAXLAB_CGPLACE_H
#define DAXLAB_CGPLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"
#include "util.h"

#define CGPLACE_LEAF "supervisor"
#define CGPLACE_SLICE "system.slice"

enum cgplace_mode {
	CGPLACE_ROOT, /* no cgroup_parent, no systemd (or v1) */
	CGPLACE_PARENT, /* [lab] cgroup_parent */
	CGPLACE_SCOPE, /* the lab's transient scope */
};

/*
 * Hands the printf text to the callback cb(ud, kind, text) when cb is set;
 * nothing when out of memory. cgplace's notes and vm.c's reports.
 */
#define CALLBACK_PRINTF(cb, ud, kind, ...)                                    \
	do {                                                                  \
		if (cb) {                                                     \
			_cleanup_free_ char *s_ = strdup_printf(__VA_ARGS__); \
                                                                              \
			if (s_)                                               \
				(cb)(ud, kind, s_);                           \
		}                                                             \
	} while (0)

enum cgplace_note {
	CGPLACE_NOTE_STEP, /* "systemd: started daxlab-x.scope" */
	CGPLACE_NOTE_DRY, /* a dry run: what a start would do */
	CGPLACE_NOTE_WARN, /* processes of others moved into the leaf */
};

struct cgplace {
	enum cgplace_mode mode;
	bool systemd; /* systemd runs the host, and cgroups are v2 */
	bool no_bus; /* never ask systemd (tests) */
	char *unit; /* SCOPE: "daxlab-run-daxlab.scope" */
	char *parent; /* where the lab's cgroups go, relative */
	char *delegated; /* systemd: the delegated cgroup at or above it */
	char *how; /* how that was found: "trusted.delegate", ... */
	bool scope_exists; /* SCOPE: the unit was loaded at cgplace_init() */
	char *scope_state; /* its ActiveState */
	bool parent_busy; /* parent (or a level above it that daxlab may
			    * write) holds processes: a start moves them */
	char *refused; /* why a start would be refused, or NULL */
	void (*note)(void *ud, enum cgplace_note kind, const char *msg);
	void *ud;
};

/*
 * The mode from the facts: a cgroup_parent given, else the transient
 * scope when systemd runs a v2 host, else the root.
 */
enum cgplace_mode cgplace_decide(enum cg_version v, bool systemd,
				 const char *cgroup_parent);

/*
 * Decides, looks (reads only: the cgroup tree, the unit over D-Bus), and
 * places cg there (cg_ctx_place()). p->refused says why a start would be
 * refused: a parent systemd manages and did not delegate, a controller
 * missing, a level with processes, a systemd that cannot be asked.
 * systemd: sd_booted(); state_dir names the scope.
 */
int cgplace_init(struct cgplace *p, struct cg_ctx *cg, bool systemd,
		 const char *cgroup_parent, const char *state_dir);
void cgplace_done(struct cgplace *p);

/*
 * Before the first cgroup of a start (under the lab's cgroups lock): the
 * scope is started (or joined: this daxlab moves into its leaf, which
 * keeps it alive until the VM runs), the processes of the parent are moved
 * into the leaf. cg->dry_run: only says what it would do. description: the
 * scope's Description=.
 */
int cgplace_prepare(struct cgplace *p, struct cg_ctx *cg,
		    const char *description, struct error *err);

/*
 * After the lab's cgroups were removed (under the lab's cgroups lock):
 * removes the leaf when empty; a scope with nothing left running in it
 * ends by itself: waits until systemd dropped the unit (and stops it
 * after 5 s). cg->dry_run: only says what it would do.
 */
int cgplace_release(struct cgplace *p, struct cg_ctx *cg, struct error *err);

/*
 * One line for the provenance and messages: "transient scope
 * daxlab-x.scope (Delegate=yes)", "cgroup_parent a/b (delegated: ...)",
 * "root". Allocated.
 */
char *cgplace_describe(const struct cgplace *p);

#endif
