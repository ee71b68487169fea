/* SPDX-License-Identifier: MIT */
#ifndef DAXLAB_PROVENANCE_H
#define DAXLAB_PROVENANCE_H

/*
 * The provenance of a run: what ran, where, with which versions and which
 * configuration, and what the guests said about their shares. Written in
 * one place (provenance_write: provenance.json, and provenance.txt, its
 * "key = value" text for people and old readers) and read in one place
 * (provenance_read: provenance.json, else provenance.txt of older results
 * folders).
 *
 * Strings are allocated or NULL (not known, not written); numbers are
 * PROV_UNSET when not known.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "results.h"
#include "util.h"

struct lab_config;
struct vm_env;

#define PROV_UNSET (-1LL - 0x7fffffffffffffffLL)

enum prov_yesno {
	PROV_YN_UNSET = 0,
	PROV_NO,
	PROV_YES,
	PROV_UNKNOWN, /* the guest said nothing */
};

struct prov_vm {
	char *id;
	bool listed; /* in "vms" */
	char *name;
	char *cgroup;
	long long node;
	long long vcpus;
	char *memory; /* as configured, "512.00 MiB" */
	long long fio_port;
	long long ssh_port;
	char *fio; /* fio in the guest: its version, or why not checked */
	enum prov_yesno shared_dax; /* every shared set mounted with DAX */
};

/* Where a share's data lives on the host: once, or per VM (vm). */
struct prov_share_place {
	char *vm; /* NULL: the one for all VMs */
	bool pmem; /* image and image_fs; else source_fs */
	char *image; /* the virtio-pmem image */
	char *fs; /* the file system under it */
};

/* What a guest said about the share's mount. */
struct prov_share_mount {
	char *vm;
	char *mount; /* "ok FSTYPE OPTIONS", "failed: ...", "unknown (...)" */
	enum prov_yesno dax;
};

struct prov_share {
	char *name;
	char *backend;
	char *source;
	char *mount;
	char *options;
	struct prov_share_place *places;
	size_t n_places;
	struct prov_share_mount *mounts;
	size_t n_mounts;
};

/* A source of stats.csv: kind "host", "virtiofsd", "vm-cgroup", "guest". */
struct prov_source {
	char *name;
	char *kind;
	char *vm; /* vm-cgroup and guest */
	char *memcg; /* a host cgroup, below the hierarchy's root */
};

struct prov_node {
	unsigned id;
	char *cpus;
};

struct provenance {
	char *name;
	char *slurm_job;
	char *slurm_array;
	char *slurm_node;
	char *started;

	char *config;
	char *state_dir;
	char *image_dir;
	char *sweep;
	char *workload_size;
	char *workload_file_size;
	long long workload_private_ratio;
	long long workload_access_ratio;
	long long workload_hot_ratio;
	long long workload_hot_access_ratio;
	char *workload_rw;
	char *workload_bs;
	long long workload_runtime;
	char *workload_ioengine;
	char *start_state;
	long long monitor_tail_ms;
	long long monitor_interval_ms;

	struct prov_vm *vms;
	size_t n_vms;
	char *virtiofsd_cgroup;
	char *virtiofsd_cache;
	struct prov_share *shares;
	size_t n_shares;

	struct prov_node *nodes;
	size_t n_nodes;
	long long topology_nodes;

	char *daxlab;
	char *kernel;
	char *host;
	char *qemu;
	char *virtiofsd; /* "VERSION (PATH)" */
	char *virtiofsd_path;
	char *virtiofsd_version;
	char *virtiofsd_style;
	char *fio;
	char *accel;
	char *accel_asked;
	char *accel_why;
	long long cgroup_version;
	char *cgroup_placement;
	char *cgroup_parent;
	/* what the host's kernel does to page cache on its own (hostmm.h) */
	char *mm_reclaim; /* "none", or the DAMON schemes */
	long long mm_numa_balancing;
	long long mm_zone_reclaim_mode;

	struct prov_source *sources;
	size_t n_sources;

	char *finished;
	double duration_s; /* NAN: not known */

	struct kvlist extra; /* keys of older files not known here */
};

/* An empty provenance (every field not known). */
void provenance_init(struct provenance *p);
void provenance_free(struct provenance *p);

/* Replaces *field with a formatted copy (newlines become spaces). */
int provenance_set(char **field, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The record of VM id or share name, added if missing; NULL: no memory. */
struct prov_vm *provenance_vm(struct provenance *p, const char *id);
struct prov_share *provenance_share(struct provenance *p, const char *name);
struct prov_source *provenance_source(struct provenance *p, const char *name);
/*
 * The value of a key of provenance.txt that is not a VM's, a share's, a
 * node's or a source's ("workload.size", "sweep"), as the text has it,
 * allocated; NULL: not known (or no memory).
 */
char *provenance_get(const struct provenance *p, const char *key);
/* "yes", "no", "unknown"; NULL for PROV_YN_UNSET */
const char *provenance_yesno_name(enum prov_yesno v);
/* Lookups that add nothing; NULL when absent. */
const struct prov_vm *provenance_find_vm(const struct provenance *p,
					 const char *id);
const struct prov_source *provenance_find_source(const struct provenance *p,
						 const char *name);
/* What the guest of vm said about share's mount (dax: yes, no, unknown). */
int provenance_share_mount(struct provenance *p, const char *share,
			   const char *vm, const char *mount,
			   enum prov_yesno dax);

/* The run's name, start time (now) and Slurm job (from the environment). */
int provenance_add_start(struct provenance *p, const char *name);
/* The end time (now) and the duration since t0_ns (now_monotonic_ns). */
int provenance_add_end(struct provenance *p, long long t0_ns);
/*
 * The configuration as used: paths, the sweep point (or NULL), the
 * workload, the VMs, virtiofsd's cgroup and cache, the shares and the file
 * systems under their data.
 */
int provenance_add_config(struct provenance *p, const struct lab_config *c,
			  const char *point, bool warm, uint64_t tail_ms,
			  unsigned interval_ms);
/* The NUMA nodes and their cpus below root ("/sys/devices/system"). */
int provenance_add_topology(struct provenance *p, const char *root);
/* Versions (daxlab, kernel, qemu, virtiofsd, fio), accel and cgroups. */
int provenance_add_host(struct provenance *p, const struct lab_config *c,
			const struct vm_env *env);

/*
 * The "key = value" list of provenance.txt, in its order; the same text
 * older versions wrote. provenance_format_txt() is that text, allocated.
 */
int provenance_to_kv(const struct provenance *p, struct kvlist *ret);
char *provenance_format_txt(const struct provenance *p);
/* provenance.json, allocated. */
char *provenance_format_json(const struct provenance *p);

/* Writes dir/provenance.json and dir/provenance.txt. */
int provenance_write(const char *dir, const struct provenance *p);

/*
 * Parses text of provenance.json or provenance.txt into an initialized p;
 * a malformed text is -EBADMSG with "PATH: what" in err (path names the
 * file in messages only).
 */
int provenance_parse_json(const char *text, const char *path,
			  struct provenance *p, struct error *err);
int provenance_parse_txt(const char *text, const char *path,
			 struct provenance *p, struct error *err);
/*
 * Reads dir/provenance.json, else dir/provenance.txt, into *p (initialized
 * here; free it with provenance_free even on error). -ENOENT: neither
 * exists; -EBADMSG: malformed, with the file's path in err.
 */
int provenance_read(const char *dir, struct provenance *p, struct error *err);

#endif
