// SPDX-License-Identifier: MIT
#include "cgplace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "systemd.h"
#include "util.h"

#define SCOPE_JOB_MS 10000
#define SCOPE_GONE_MS 5000

#define note(p, k, ...) CALLBACK_PRINTF((p)->note, (p)->ud, k, __VA_ARGS__)

enum cgplace_mode cgplace_decide(enum cg_version v, bool systemd,
				 const char *cgroup_parent)
{
	if (cgroup_parent && *cgroup_parent)
		return CGPLACE_PARENT;
	if (v == CG_V2 && systemd)
		return CGPLACE_SCOPE;
	return CGPLACE_ROOT;
}

void cgplace_done(struct cgplace *p)
{
	free(p->unit);
	free(p->parent);
	free(p->delegated);
	free(p->how);
	free(p->scope_state);
	free(p->refused);
	p->unit = p->parent = p->delegated = p->how = NULL;
	p->scope_state = p->refused = NULL;
}

__attribute__((format(printf, 2, 3))) static int
refuse(struct cgplace *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	free(p->refused);
	p->refused = NULL;
	va_start(ap, fmt);
	r = vasprintf(&p->refused, fmt, ap);
	va_end(ap);
	if (r < 0) {
		p->refused = NULL;
		return -ENOMEM;
	}
	return 0;
}

#define DELEGATE_HINT                                                         \
	"Leave cgroup_parent unset, and daxlab asks systemd for a transient " \
	"scope with Delegate=yes; or delegate a cgroup (systemd-run --scope " \
	"-p Delegate=yes --unit NAME ..., or a unit with Delegate=yes) and "  \
	"set cgroup_parent to it (system.slice/NAME.scope)"

/*
 * systemd, cgroup_parent: the delegated cgroup at or above it, from the
 * xattr systemd sets, else from the Delegate= of the unit that owns it.
 */
static int find_delegation(struct cgplace *p, struct cg_ctx *cg)
{
	_cleanup_free_ char *near = NULL, *dir = NULL;
	struct sysd_unit u = { 0 };
	struct error err = { 0 };
	bool unreadable = false;
	int r;

	r = cg_find_delegated(cg, p->parent, &p->delegated, &unreadable);
	if (r < 0)
		return r;
	if (p->delegated) {
		p->how = strdup_printf("systemd's delegate xattr on %s/%s",
				       cg->root, p->delegated);
		return p->how ? 0 : -ENOMEM;
	}
	near = cg_nearest_existing(cg, p->parent);
	if (!near)
		return -ENOMEM;
	dir = cg_path_at(cg, near, NULL);
	if (!dir)
		return -ENOMEM;
	if (!p->no_bus) {
		r = sysd_unit_by_cgroup(near, &u, &err);
		if (r == -ENOMEM)
			return r;
		if (r == 0 && u.exists && u.delegate && u.cgroup && *u.cgroup) {
			p->delegated = strdup(u.cgroup);
			p->how = strdup_printf("%s has Delegate=yes", u.id);
			sysd_unit_free(&u);
			return p->delegated && p->how ? 0 : -ENOMEM;
		}
	}
	r = refuse(
		p,
		"[lab] cgroup_parent = %s: %s%s%s is managed by systemd, which delegated neither it nor a cgroup above it (no trusted.delegate%s%s%s%s): daxlab writes no cgroup there. " DELEGATE_HINT,
		p->parent,
		strcmp(near, p->parent) ? "it does not exist, and " : "", dir,
		strcmp(near, p->parent) ? ", the nearest that does," : "",
		unreadable ? " readable" : "",
		p->no_bus ? "" :
		u.exists  ? "; it belongs to " :
			    "; systemd could not say whose it is: ",
		p->no_bus ? "" :
		u.exists  ? u.id :
			    err.msg,
		p->no_bus || !u.exists ? "" : ", which has Delegate=no");
	sysd_unit_free(&u);
	return r;
}

/*
 * The processes daxlab moves into a leaf: those of cgroup_parent and, under
 * systemd, of every level between it and the cgroup systemd delegated (all
 * of it is the user's); without systemd only cgroup_parent's.
 */
static const char *movable_top(const struct cgplace *p)
{
	if (p->mode == CGPLACE_ROOT)
		return NULL;
	return p->delegated ? p->delegated : p->parent;
}

/* The levels and controllers a start needs: refused when it would fail. */
static int check_levels(struct cgplace *p, struct cg_ctx *cg)
{
	struct error err = { 0 };
	int r;

	if (cg->version != CG_V2 || p->refused)
		return 0;
	r = cg_check_levels(cg, movable_top(p), &p->parent_busy, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return refuse(p, "%s", err.msg);
	return 0;
}

/* Before the scope exists: cpuset and memory must be at the root. */
static int check_root_controllers(struct cgplace *p, struct cg_ctx *cg)
{
	_cleanup_free_ char *path = cg_path_at(cg, "", "cgroup.controllers");
	_cleanup_free_ char *have = NULL;
	char miss[64];
	int r;

	if (!path)
		return -ENOMEM;
	r = read_full_file(path, 4096, &have, NULL);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return refuse(p, "cannot read %s: %s", path, strerror(-r));
	cg_missing_controllers(str_trim(have), miss, sizeof(miss));
	if (*miss)
		return refuse(
			p,
			"%s is not in %s ('%s'): the kernel lacks it, and systemd cannot delegate it to the lab's scope %s",
			miss, path, have, p->unit);
	return 0;
}

static int init_scope(struct cgplace *p, struct cg_ctx *cg,
		      const char *state_dir)
{
	struct sysd_unit u = { 0 };
	struct error err = { 0 };
	int r;

	p->unit = sysd_lab_unit(state_dir);
	if (!p->unit)
		return -ENOMEM;
	if (!p->no_bus) {
		r = sysd_unit_get(p->unit, &u, &err);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			refuse(p,
			       "cgroups under systemd need a transient scope with Delegate=yes (daxlab asks systemd for %s), but %s. Run daxlab as root on the host, or delegate a cgroup yourself and set [lab] cgroup_parent to it",
			       p->unit, err.msg);
	}
	if (u.exists) {
		p->scope_exists = true;
		p->scope_state = strdup(u.active ? u.active : "?");
		if (u.cgroup && *u.cgroup)
			p->parent = strdup(u.cgroup);
		if (!u.delegate)
			refuse(p,
			       "systemd has a unit %s, the name of this lab's scope, without Delegate=yes: daxlab writes no cgroup in it (stop it: systemctl stop %s)",
			       p->unit, p->unit);
	}
	sysd_unit_free(&u);
	if (!p->parent)
		p->parent = strdup_printf("%s/%s", CGPLACE_SLICE, p->unit);
	if (!p->parent || (p->scope_exists && !p->scope_state))
		return -ENOMEM;
	p->delegated = strdup(p->parent);
	if (!p->delegated)
		return -ENOMEM;
	r = cg_ctx_place(cg, p->parent, p->delegated);
	if (r < 0)
		return r;
	if (p->scope_exists)
		return check_levels(p, cg);
	/* a scope not made yet gets what the root has to give */
	return check_root_controllers(p, cg);
}

int cgplace_init(struct cgplace *p, struct cg_ctx *cg, bool systemd,
		 const char *cgroup_parent, const char *state_dir)
{
	int r;

	/* zeroed, but for what the caller set before */
	*p = (struct cgplace){ .no_bus = p->no_bus,
			       .note = p->note,
			       .ud = p->ud };
	p->systemd = systemd && cg->version == CG_V2;
	p->mode = cgplace_decide(cg->version, systemd, cgroup_parent);
	if (p->mode == CGPLACE_SCOPE)
		return init_scope(p, cg, state_dir);
	p->parent = strdup(p->mode == CGPLACE_PARENT ? cgroup_parent : "");
	if (!p->parent)
		return -ENOMEM;
	if (p->systemd) {
		r = find_delegation(p, cg);
		if (r < 0)
			return r;
	}
	r = cg_ctx_place(cg, p->parent, p->delegated);
	if (r < 0)
		return r;
	return check_levels(p, cg);
}

/* "12 (bash), 34 (daxlab)" */
static char *describe_pids(const pid_t *pids, size_t n)
{
	char *s = strdup("");

	for (size_t i = 0; s && i < n; i++) {
		char path[64], *t;
		_cleanup_free_ char *comm = NULL;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pids[i]);
		if (read_full_file(path, 256, &comm, NULL) == 0)
			str_trim(comm);
		t = strdup_printf("%s%s%d (%s)", s, i ? ", " : "", (int)pids[i],
				  comm ? comm : "?");
		free(s);
		s = t;
	}
	return s;
}

/*
 * A process of daxlab (a run, its guard, a start): it runs the program this
 * one runs. Moving another's is worth a warning.
 */
static bool same_program(pid_t pid)
{
	char path[64], a[4096], b[4096];
	ssize_t na, nb;

	if (pid == getpid())
		return true;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	na = readlink(path, a, sizeof(a));
	nb = readlink("/proc/self/exe", b, sizeof(b));
	return na > 0 && na == nb && !memcmp(a, b, (size_t)na);
}

/*
 * The processes of one level into its leaf; then this daxlab, when
 * also_self and it was not among them (it joins a scope from outside).
 */
static int level_to_leaf(struct cgplace *p, struct cg_ctx *cg, const char *rel,
			 bool also_self, struct error *err)
{
	_cleanup_free_ pid_t *moved = NULL;
	_cleanup_free_ char *who = NULL;
	size_t n = 0;
	bool others = false, self_in = false;
	pid_t self = getpid();
	int r;

	r = cg_move_to_leaf(cg, rel, CGPLACE_LEAF, 0, &moved, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		others |= !same_program(moved[i]);
		self_in |= moved[i] == self;
	}
	if (n && !(who = describe_pids(moved, n)))
		return -ENOMEM;
	if (n && cg->dry_run)
		note(p, CGPLACE_NOTE_DRY,
		     "move %s from %s/%s into its leaf %s (cgroup v2 lets no cgroup with processes enable controllers for its children)",
		     who, cg->root, rel, CGPLACE_LEAF);
	else if (n)
		note(p, others ? CGPLACE_NOTE_WARN : CGPLACE_NOTE_STEP,
		     "moved %s from %s/%s into %s/%s/%s: cgroup v2 lets no cgroup with processes enable controllers for its children",
		     who, cg->root, rel, cg->root, rel, CGPLACE_LEAF);
	if (!also_self || self_in)
		return 0;
	r = cg_move_to_leaf(cg, rel, CGPLACE_LEAF, self, NULL, NULL, err);
	if (r < 0)
		return r;
	note(p, cg->dry_run ? CGPLACE_NOTE_DRY : CGPLACE_NOTE_STEP,
	     "%s this daxlab (pid %d) into %s/%s/%s: while it is there, the scope cannot end",
	     cg->dry_run ? "move" : "moved", (int)self, cg->root, rel,
	     CGPLACE_LEAF);
	return 0;
}

/*
 * From the top movable level down to parent, the processes of each into
 * its leaf; this daxlab (when also_self) into parent's leaf.
 */
static int to_leaf(struct cgplace *p, struct cg_ctx *cg, bool also_self,
		   struct error *err)
{
	_cleanup_free_ char *cur = strdup(movable_top(p));
	int r;

	if (!cur)
		return -ENOMEM;
	for (;;) {
		_cleanup_free_ char *dir = cg_path_at(cg, cur, NULL);
		bool last = !strcmp(cur, p->parent);
		struct stat st;
		char *n;

		if (!dir)
			return -ENOMEM;
		/* levels still to be made hold nothing (a dry run's scope) */
		if (stat(dir, &st) < 0 && !(last && also_self))
			return 0;
		r = level_to_leaf(p, cg, cur, last && also_self, err);
		if (r < 0 || last)
			return r;
		n = cg_next_level(cur, p->parent);
		if (!n)
			return -ENOMEM;
		free(cur);
		cur = n;
	}
}

static int set_parent(struct cgplace *p, struct cg_ctx *cg, const char *rel)
{
	free(p->parent);
	free(p->delegated);
	p->parent = strdup(rel);
	p->delegated = strdup(rel);
	if (!p->parent || !p->delegated)
		return -ENOMEM;
	return cg_ctx_place(cg, p->parent, p->delegated);
}

/* The scope is loaded but not in use: wait for it to go, or stop it. */
static int scope_gone(struct cgplace *p, struct error *err)
{
	int r = sysd_unit_wait_gone(p->unit, SCOPE_GONE_MS, err);

	if (r != -ETIMEDOUT)
		return r;
	r = sysd_unit_stop(p->unit, err);
	if (r < 0)
		return r;
	return sysd_unit_wait_gone(p->unit, SCOPE_GONE_MS, err);
}

/* Start the lab's scope, or join it: this daxlab ends up in its leaf. */
static int scope_prepare(struct cgplace *p, struct cg_ctx *cg,
			 const char *description, struct error *err)
{
	struct sysd_unit u = { 0 };
	bool busy;
	int r;

	for (int attempt = 0;; attempt++) {
		bool live;

		r = sysd_unit_get(p->unit, &u, err);
		if (r < 0)
			return r;
		live = u.exists && u.active && !strcmp(u.active, "active") &&
		       u.cgroup && *u.cgroup;
		if (live) {
			r = set_parent(p, cg, u.cgroup);
			if (r < 0)
				goto out;
			live = cg_populated_at(cg, p->parent) == 1;
		}
		if (live && !u.delegate) {
			r = err_fail(
				err, -EPERM,
				"systemd has a unit %s, the name of this lab's scope, without Delegate=yes: daxlab writes no cgroup in it (stop it: systemctl stop %s)",
				p->unit, p->unit);
			goto out;
		}
		if (live) {
			/* in its leaf, this daxlab keeps the scope alive */
			r = to_leaf(p, cg, true, err);
			if (r < 0)
				goto out;
			sysd_unit_free(&u);
			r = sysd_unit_get(p->unit, &u, err);
			if (r < 0)
				return r;
			if (u.exists && u.active &&
			    !strcmp(u.active, "active")) {
				note(p, CGPLACE_NOTE_STEP,
				     "systemd: the lab's scope %s is active: the lab's cgroups go in %s/%s",
				     p->unit, cg->root, p->parent);
				break;
			}
			r = err_fail(
				err, -EAGAIN,
				"systemd was ending the scope %s (%s) as daxlab joined it: start again",
				p->unit, u.active ? u.active : "gone");
			goto out;
		}
		if (u.exists) {
			note(p, CGPLACE_NOTE_STEP,
			     "systemd: waiting for %s (%s, nothing runs in it) to end",
			     p->unit, u.active ? u.active : "?");
			r = scope_gone(p, err);
			if (r < 0)
				goto out;
		}
		sysd_unit_free(&u);
		r = sysd_scope_start(p->unit, CGPLACE_SLICE, description,
				     getpid(), SCOPE_JOB_MS, err);
		if (r == -EEXIST && attempt == 0)
			continue;
		if (r < 0)
			return r;
		r = sysd_unit_get(p->unit, &u, err);
		if (r < 0)
			return r;
		if (!u.exists || !u.cgroup || !*u.cgroup || !u.delegate) {
			r = err_fail(err, -EIO, "systemd started %s, but it %s",
				     p->unit,
				     !u.exists	 ? "is gone at once" :
				     !u.delegate ? "has Delegate=no" :
						   "has no cgroup");
			goto out;
		}
		r = set_parent(p, cg, u.cgroup);
		if (r < 0)
			goto out;
		note(p, CGPLACE_NOTE_STEP,
		     "systemd: started the transient scope %s (Delegate=yes): the lab's cgroups go in %s/%s",
		     p->unit, cg->root, p->parent);
		/* the scope holds this daxlab: into the leaf with it */
		r = to_leaf(p, cg, true, err);
		if (r < 0)
			goto out;
		break;
	}
	r = cg_check_levels(cg, movable_top(p), &busy, err);
out:
	sysd_unit_free(&u);
	return r;
}

int cgplace_prepare(struct cgplace *p, struct cg_ctx *cg,
		    const char *description, struct error *err)
{
	if (p->refused)
		return err_fail(err, -EPERM, "%s", p->refused);
	if (cg->version != CG_V2 || p->mode == CGPLACE_ROOT)
		return 0;
	if (p->mode == CGPLACE_PARENT)
		return to_leaf(p, cg, false, err);
	if (cg->dry_run) {
		if (p->scope_exists && !strcmp(p->scope_state, "active")) {
			note(p, CGPLACE_NOTE_DRY,
			     "systemd: the lab's scope %s is active: join it, this daxlab in %s/%s/%s",
			     p->unit, cg->root, p->parent, CGPLACE_LEAF);
		} else {
			note(p, CGPLACE_NOTE_DRY,
			     "systemd: StartTransientUnit %s (Slice=%s, Delegate=yes, PIDs=%d: this daxlab), and wait for its job",
			     p->unit, CGPLACE_SLICE, (int)getpid());
			if (p->scope_exists)
				note(p, CGPLACE_NOTE_DRY,
				     "(after %s, %s now, has ended)", p->unit,
				     p->scope_state);
		}
		return to_leaf(p, cg, true, err);
	}
	if (p->no_bus)
		return err_fail(
			err, -EOPNOTSUPP,
			"a transient scope needs systemd, and this daxlab may not ask it");
	return scope_prepare(p, cg, description, err);
}

int cgplace_release(struct cgplace *p, struct cg_ctx *cg, struct error *err)
{
	int r;

	if (cg->version != CG_V2 || p->mode == CGPLACE_ROOT || !p->parent)
		return 0;
	r = cg_remove_leaf(cg, p->parent, CGPLACE_LEAF);
	if (r < 0 && r != -EBUSY)
		return err_fail(err, r, "cannot remove %s/%s/%s: %s", cg->root,
				p->parent, CGPLACE_LEAF, strerror(-r));
	if (p->mode != CGPLACE_SCOPE)
		return 0;
	if (cg->dry_run) {
		note(p, CGPLACE_NOTE_DRY,
		     "systemd: %s ends by itself once nothing runs in it: wait until it is gone",
		     p->unit);
		return 0;
	}
	if (p->no_bus)
		return 0;
	r = cg_populated_at(cg, p->parent);
	if (r == 1)
		return 0; /* another VM, or a daxlab, runs in it */
	return scope_gone(p, err);
}

char *cgplace_describe(const struct cgplace *p)
{
	switch (p->mode) {
	case CGPLACE_SCOPE:
		return strdup_printf("transient scope %s (Delegate=yes)",
				     p->unit);
	case CGPLACE_PARENT:
		if (p->systemd)
			return strdup_printf("cgroup_parent %s (delegated: %s)",
					     p->parent, p->how ? p->how : "?");
		return strdup_printf("cgroup_parent %s", p->parent);
	default:
		return strdup("root");
	}
}
