/* SPDX-License-Identifier: MIT */
/*
 * The life cycle of a VM: validate, cgroups, virtiofsd, qemu, readiness;
 * stop, status, and the state directory that ties them together:
 *
 *   <state_dir>/              0700
 *   <state_dir>/ssh_config    Host NAME entries for every VM of the config
 *   <state_dir>/vm-ID.lock    flock()ed by whoever starts or stops vm ID
 *   <state_dir>/vm-ID/        qemu.pid, qemu.log, qmp.sock, console.sock,
 *                             console.log, virtiofsd-SHARE.{pid,sock,log}
 *
 * and the virtio-pmem images in <image_dir> (lib/statedir.h).
 *
 * Nothing here prints: progress, dry-run lines and warnings go to the
 * report callback; failures come back as -errno with env->err filled.
 */
#ifndef DAXLAB_VM_H
#define DAXLAB_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgplace.h"
#include "cgroup.h"
#include "config.h"
#include "topology.h"
#include "util.h"

enum vm_report {
	VM_REPORT_STEP, /* progress: "starting virtiofsd for share x" */
	VM_REPORT_DRY,  /* --dry-run: a cgroup write or a command */
	VM_REPORT_WARN, /* e.g. KVM unusable, falling back to TCG */
};

struct vm_env {
	const struct lab_config *c;
	struct cg_ctx cg;
	bool cg_ok;      /* cgroups found (always true when starting) */
	struct cgplace place; /* where the lab's cgroups go (cg_ok) */
	bool dry_run;
	bool no_probe;   /* cmdline: assume kvm, C virtiofsd, cache-size */
	const char *accel;
	/* why that accel: "auto: vmx in /proc/cpuinfo, /dev/kvm creates VMs" */
	char accel_why[512];
	bool have_cache_size;
	char *virtiofsd;
	enum virtiofsd_style style;
	/* virtiofsd's --version, first line (NULL without probing) */
	char *virtiofsd_version;
	bool style_probed; /* style from its --help/--version, not [virtiofsd] */
	bool resolved;
	struct topology topo;
	const char *cgroup_root; /* default /sys/fs/cgroup */
	const char *systemd_dir; /* sd_booted(): default /run/systemd/system */
	void (*report)(void *ud, enum vm_report kind, const char *msg);
	void *ud;
	struct error err;
	int64_t started_ms; /* vm_env_init(): images newer were built now */
	/*
	 * The caller's flag (set by its signal handler), or NULL: once set,
	 * a running vm_start() gives up at its next wait and undoes what it
	 * did.
	 */
	const volatile sig_atomic_t *interrupted;
	/*
	 * daxlab-resident on the host, copied into an image VM once it is
	 * ready (the tiny guest carries its own); NULL: not copied.
	 */
	const char *resident;
	/*
	 * Set by vm_start() once it began qemu anew: from then on the
	 * VM's console.log is this start's, also when the start failed.
	 */
	bool console_ours;
	/* stop --dry-run: the virtiofsds it said it stops */
	pid_t *dry_stopped;
	size_t n_dry_stopped;
};

/*
 * Sets up env for c. dry_run: show, do not do. Keeps the caller's
 * cgroup_root, systemd_dir, report, ud, interrupted and resident.
 */
int vm_env_init(struct vm_env *e, const struct lab_config *c, bool dry_run,
		bool no_probe);
void vm_env_done(struct vm_env *e);

/*
 * The probes (accel, virtiofsd and its style, qemu's cache-size; assumed
 * with no_probe) and the NUMA topology, once per env (lib/vmplan.h).
 */
int vm_env_resolve(struct vm_env *e);


/*
 * The virtiofsd argument lists (one per virtiofs share; *ret_fsd
 * NULL-terminated list of argv) and the qemu argument list, as vm_start()
 * would run them. Probes qemu and virtiofsd unless no_probe.
 */
int vm_cmdlines(struct vm_env *e, const struct vm_config *vm,
		char ****ret_fsd, char ***ret_qemu);
void vm_cmdlines_free(char ***fsd, char **qemu);

/*
 * Checks everything vm_start() would need, starting nothing: the config
 * against the topology, files, programs, capabilities.
 */
int vm_check(struct vm_env *e, const struct vm_config *vm);

/*
 * Where the lab's cgroups go (lib/cgplace.h): a start would be refused
 * (a cgroup_parent systemd did not delegate, a controller missing, a
 * systemd that cannot be asked, a cgroup named like the leaf). Part of
 * vm_check().
 */
int vm_check_place(struct vm_env *e);

/*
 * Starts vm and returns when it is ready (DAXLAB-READY on the console for
 * a kernel boot, then ssh answers), or after timeout_s. On failure all that
 * was done is undone and e->err says which step failed and why.
 */
int vm_start(struct vm_env *e, const struct vm_config *vm,
	     unsigned timeout_s);

/* How a qemu that is gone ended, as far as daxlab can tell. */
enum vm_end {
	VM_END_UNKNOWN = 0, /* no exit status (not our child), no evidence */
	VM_END_OOM,         /* oom_kill counted in the VM's memory cgroup */
	VM_END_SIGNAL,      /* a signal: its wait status, or qemu's log */
	VM_END_EXIT,        /* exited with a status (its wait status) */
	VM_END_POWEROFF,    /* the guest powered off or rebooted (console) */
};

struct vm_end_info {
	enum vm_end how;
	pid_t pid;          /* the qemu that ended, 0 if not known */
	int sig;            /* the signal that ended it, 0 if not known */
	int code;           /* VM_END_EXIT: its exit status */
	uint64_t oom_kills; /* oom_kill of the VM's memory cgroup */
	/* "killed by the OOM killer (SIGKILL; oom_kill 1 in FILE; ...)" */
	char what[768];
};

struct vm_stop_info {
	bool was_running;    /* qemu was alive: powered down or killed */
	bool died;           /* qemu had ended before: its pid file was stale */
	bool stale;          /* something was left of a VM not running */
	struct vm_end_info end; /* died: how qemu ended */
	/* stale: what was removed or stopped, "qemu.pid, qmp.sock, ..." */
	char removed[1536];
};

/*
 * Stops vm: QMP system_powerdown, QMP quit, SIGTERM, SIGKILL; virtiofsd
 * stopped; cgroups removed; sockets and pid files removed (logs kept).
 * Also cleans the stale state of a VM whose qemu died or whose daxlab was
 * killed; ret says which, how qemu ended and what was removed. A qemu
 * that had died (anything but a guest power-off) is also reported, with
 * how it ended, through VM_REPORT_WARN.
 */
int vm_stop_report(struct vm_env *e, const struct vm_config *vm,
		   struct vm_stop_info *ret);

struct vm_status {
	bool running;       /* qemu alive */
	bool stale;         /* pid files or cgroups left, qemu gone */
	bool foreign_cgroup; /* not running; its cgroup holds processes its
			      * start did not make it for: a stop leaves them */
	bool qemu_died;     /* qemu.pid left by a qemu that is gone */
	struct vm_end_info end; /* qemu_died: how it ended */
	bool oom_known;     /* oom_kills was read from the VM's cgroup */
	uint64_t oom_kills;
	pid_t qemu_pid;
	size_t n_fsd;
	const char **fsd_share; /* share name per virtiofsd, the config's */
	pid_t *fsd_pid;     /* 0: not running */
	char *cgroup;       /* the VM's cgroup path (cpuset on v1) */
	char *cg_cpus;      /* effective, or NULL */
	char *cg_mems;
	pid_t *cg_pids;
	size_t n_cg_pids;
	char *numa_stat;    /* memory.numa_stat text, or NULL */
	char *fsd_cgroup;
	char *fsd_cpus, *fsd_mems;
	char *fsd_numa_stat;
};

int vm_status(struct vm_env *e, const struct vm_config *vm,
	      struct vm_status *ret);
void vm_status_free(struct vm_status *s);

/*
 * After VMs were stopped: virtiofsd's shared cgroup is removed once empty
 * (a virtiofsd still exiting is waited for, up to 2 s, not one of another
 * VM), the leaf of cgroup_parent or of the lab's transient scope too, and
 * a scope with nothing left in it waited for until systemd dropped it
 * (lib/cgplace.h); under cgroups.lock. vm_stop_report() does it for one VM;
 * whoever stops several at once calls it again when all are stopped. A
 * failure is reported as a VM_REPORT_WARN (the VMs are stopped all the
 * same).
 */
int vm_cgroups_release(struct vm_env *e);

/* pid in a pid file, if that process is still the one recorded. */
int vm_read_pidfile(const char *path, pid_t *ret);

#endif
