/* SPDX-License-Identifier: MIT */
/*
 * One experiment of daxlab run (docs/architecture.md, "The data path of a
 * run"): a table of steps, each with its undo, driven by one loop.
 *
 * The loop (steps_run) runs the steps in order until one fails or the
 * caller's flag says a signal came (looked at before each step), then
 * runs the undos of the steps that ran, last first: the failed step's
 * too, since a step may fail half-way. An undo that fails is reported and
 * the undos before it still run. The undos run after a complete run as
 * well: they stop what the steps started (fio, the monitor, the VMs) and
 * remove the cgroups, so every experiment ends the same way.
 *
 * Nothing here prints or exits: progress, warnings and errors go to the
 * caller's say() callback; run.log, status and the other files of the
 * results folder are written here.
 */
#ifndef DAXLAB_EXPERIMENT_H
#define DAXLAB_EXPERIMENT_H

#include "config.h"
#include "fileset.h"
#include "fleet.h"
#include "provenance.h"
#include "sweep.h"
#include "vm.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "util.h"

/* ---- the driver ---- */

struct step {
	const char *name; /* announced before it runs; NULL: silent */
	/* 0, or < 0 with err filled (or left empty when said already) */
	int (*run)(void *ud, struct error *err);
	/* what run did, undone; NULL: nothing to undo */
	int (*undo)(void *ud, struct error *err);
};

enum step_event {
	STEP_EV_BEGIN, /* step i is about to run */
	STEP_EV_DONE,
	STEP_EV_FAILED, /* msg: its err, or "" */
	STEP_EV_INTERRUPTED, /* the flag was set before step i ran */
	STEP_EV_UNWIND, /* the undos begin; i: how many steps ran */
	STEP_EV_UNDO, /* the undo of step i is about to run */
	STEP_EV_UNDO_FAILED, /* msg: its err, or "" */
};

struct steps {
	const struct step *v;
	size_t n;
	/* may be NULL; i is an index of v (but see STEP_EV_UNWIND) */
	void (*event)(void *ud, size_t i, enum step_event ev, const char *msg);
	void *ud;
	const volatile sig_atomic_t *interrupted; /* the caller's, or NULL */
};

/*
 * Runs the steps, then the undos (see above). 0 when every step ran,
 * -EINTR when the flag stopped them, else the failed step's code.
 */
int steps_run(const struct steps *s);

/* ---- the experiment of daxlab run ---- */

enum experiment_say {
	/* a progress line: "[  12.3s] start VMs\n", in run.log already */
	EXPERIMENT_PROGRESS,
	EXPERIMENT_WARNING,
	EXPERIMENT_ERROR,
};

struct experiment_opts {
	const char *config; /* the lab's configuration file */
	/*
	 * Its content as the caller read (and checked) it, config_len bytes:
	 * what is parsed and kept as config.ini; NULL: read here, once.
	 */
	const char *config_text;
	size_t config_len;
	const char *base; /* a new results folder in base, ... */
	const char *folder; /* ... or exactly this one (a sweep's run) */
	const char *name;
	/* the sweep point: [workload] keys and their values */
	const char *const *keys;
	const char *const *vals;
	size_t n_keys;
	uint64_t tail_ms;
	unsigned interval_ms;
	bool warm;
	/* daxlab-resident, copied into image VMs (lib/vm.h), or NULL */
	const char *resident;
	/* the signal that came (SIGINT or SIGTERM), else 0 */
	const volatile sig_atomic_t *interrupted;
	void (*say)(void *ud, enum experiment_say kind, const char *msg);
	void *ud;
};

/* One experiment's state; everything its undos have to undo. */
struct experiment {
	struct experiment_opts o;
	struct lab_config *c;
	char *config_text; /* what c was parsed from, NUL-terminated */
	size_t config_len;
	char *dir; /* the results folder */
	const char *step;
	int64_t t0_ns;
	time_t t0_wall; /* consoles older than this are not ours */
	struct vm_env env;
	bool env_ok;
	/* FLEET_STARTING: vm_start called (maybe half-way); FLEET_UP: ready */
	enum fleet_state vm_state[FLEET_MAX];
	pid_t monitor;
	pid_t residency; /* the residency sampler (files residency --output) */
	pid_t fio;
	struct fileset_plan *plan;
	struct workload_cfgdata cfgdata;
	struct workload_spec spec;
	struct provenance prov;
	char reason[1024]; /* why it is not complete (the first cause) */
	bool failed; /* the measurement ran but is not valid (fio failed) */
	char *point; /* "private_ratio=25" or NULL */
	char vm_died[900]; /* "vm 1 had died: killed by ..." (teardown) */
	pid_t guard; /* the guard process (lib/experiment.c), or 0 */
	int guard_fd; /* its end of the socket pair, or -1 */
	/* the sweep point as used: o's, and access_ratio when it followed */
	const char *keys[SWEEP_MAX_KEYS + 1];
	const char *vals[SWEEP_MAX_KEYS + 1];
	size_t n_keys;
};

/*
 * The configuration with the sweep point applied, and a results folder
 * with status "running". err says why not (no folder was made then).
 */
int experiment_new(const struct experiment_opts *o, struct experiment **ret,
		   struct error *err);

/*
 * The steps and their undos, then the provenance's end and the status;
 * the guard ends. 0: complete; -1: x->failed or incomplete, x->reason.
 */
int experiment_run(struct experiment *x);

/* A progress line, to run.log and say(). */
void experiment_progress(struct experiment *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void experiment_free(struct experiment *x);

/* The [workload] key of a --sweep: "--sweep: ..." in err when bad. */
int experiment_set_workload(struct lab_config *c, const char *key,
			    const char *v, struct error *err);

#endif
