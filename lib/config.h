/* SPDX-License-Identifier: MIT */
/*
 * The lab's INI configuration (man daxlab.ini(5)): [lab],
 * [virtiofsd], [share NAME], [vm ID] and [workload].
 *
 * config_load() parses and validates one file; every error names the file,
 * the line, the key and the value. Relative paths (state_dir, image_dir,
 * guest_dir, image, kernel, initrd, ssh_key, source, qemu, path) are
 * resolved against the directory of the config file. Values are kept as parsed; "%i" in a
 * share's source is expanded per VM by config_share_source().
 *
 * This API is consumed by other parts (fio, files, guest, run): fields are
 * only ever added, never renamed or removed.
 */
#ifndef DAXLAB_CONFIG_H
#define DAXLAB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util.h"

enum lab_accel {
	LAB_ACCEL_AUTO, /* KVM when it works, else TCG with a warning */
	LAB_ACCEL_KVM,
	LAB_ACCEL_TCG,
};

enum share_backend {
	SHARE_BACKEND_VIRTIOFS,    /* virtiofsd + vhost-user-fs-pci */
	SHARE_BACKEND_VIRTIO_PMEM, /* ext4 image of source on virtio-pmem */
};

enum virtiofsd_style {
	VIRTIOFSD_STYLE_AUTO, /* probe `--help` */
	VIRTIOFSD_STYLE_C,    /* --socket-path=S -o source=DIR -o cache=X */
	VIRTIOFSD_STYLE_RUST, /* --socket-path S --shared-dir DIR --cache X */
};

enum vm_net {
	VM_NET_USER, /* qemu user mode, restrict=on, hostfwd on 127.0.0.1 */
	VM_NET_TAP,  /* -netdev bridge,br=BRIDGE (qemu-bridge-helper) */
	VM_NET_NONE,
};

/* Where a process group runs: its cgroup and the NUMA binding. */
struct cg_binding {
	char *cgroup;        /* one name, valid_name(); below [lab] cgroup_parent */
	int node;            /* NUMA node, -1 when not set */
	char *cpus;          /* cpulist ("0-3,8"), NULL: the node's cpus */
	char *mems;          /* nodelist, NULL: the node itself */
	uint64_t memory_max; /* bytes, 0: no limit */
};

/*
 * The tiny guest's folder (vmlinuz, initrd.img, id_ed25519) when neither
 * [lab] guest_dir nor `daxlab guest build --output` names one. The one
 * place this path is written.
 */
#define DAXLAB_DEFAULT_IMAGE_DIR "/var/lib/daxlab"
#define DAXLAB_DEFAULT_GUEST_DIR DAXLAB_DEFAULT_IMAGE_DIR "/guest"

struct lab_section {
	char *state_dir;     /* default /run/daxlab */
	char *image_dir;     /* default /var/lib/daxlab: never tmpfs */
	enum lab_accel accel; /* default auto */
	char *qemu;          /* qemu binary, default qemu-system-x86_64 */
	char *cgroup_parent; /* delegated cgroup (relative), "" = root */
	char *cgroup_version; /* "auto" (default), "v1" or "v2" */
	char *guest_dir;     /* tiny guest; default DAXLAB_DEFAULT_GUEST_DIR */
	char *ssh_key;       /* default guest_dir/id_ed25519 */
	unsigned boot_timeout; /* seconds to DAXLAB-READY + ssh, default 300 */
	unsigned stop_timeout; /* seconds per stop stage, default 30 */
};

struct virtiofsd_section {
	char *path;                 /* NULL: searched in the usual places */
	enum virtiofsd_style style; /* default auto */
	struct cg_binding cg;       /* cgroup default "virtiofsd" */
	char *cache;                /* always | auto | never (default always) */
	char *sandbox;              /* namespace | chroot | none, or NULL */
	unsigned thread_pool_size;  /* 0: virtiofsd's default */
	char **extra_args;          /* NULL-terminated, split on spaces */
	size_t n_extra_args;
};

struct share_config {
	char *name;   /* the section's NAME, valid_name() */
	char *tag;    /* virtio-fs tag; default NAME */
	char *source; /* host folder; may hold %i (the VM's id) */
	char *mount;  /* mount point in the guest, absolute */
	char *options; /* guest mount options, comma-separated, or NULL */
	enum share_backend backend;  /* default virtiofs */
	uint64_t dax_window;         /* bytes, 0: none (needs cache-size) */
	unsigned queue_size;         /* vhost-user-fs queue-size, default 1024 */
	uint64_t image_size;         /* virtio-pmem image, 0: from source */
	bool shared;                 /* source has no %i: one for all VMs */
	unsigned line;               /* where the section starts */
};

struct vm_config {
	char *id;        /* the section's ID, valid_name() ("0", "1", ...) */
	char *name;      /* guest host name and ssh alias, default "vm" ID */
	struct cg_binding cg; /* cgroup default "virtual-vm" ID */
	unsigned vcpus;  /* default 1 */
	uint64_t memory; /* bytes, default 512M */
	char *image;     /* boot disk, or NULL */
	char *kernel;    /* NULL: guest_dir/vmlinuz when no image */
	char *initrd;    /* NULL: guest_dir/initrd.img when no image */
	char *append;    /* extra kernel command line words, or NULL */
	char *ssh;       /* user@host for ssh, default root@NAME */
	enum vm_net net; /* default user */
	char *bridge;    /* net = tap */
	unsigned ssh_port; /* host port forwarded to guest 22 */
	char **shares;   /* share names, NULL-terminated; default all */
	size_t n_shares;
	char **qemu_args; /* extra qemu arguments, NULL-terminated */
	size_t n_qemu_args;
	unsigned line;
	/*
	 * image VMs boot from a qcow2 overlay of image in image_dir/vm-ID,
	 * made at start and removed at stop; keep_disk keeps it.
	 */
	bool keep_disk;
	char *seed; /* a NoCloud seed of one's own; NULL: made at start */
};

struct workload_config {
	uint64_t size;             /* bytes one VM reads, default 1G */
	uint64_t file_size;        /* bytes per file, default 16M */
	unsigned private_ratio;    /* %, default 25 */
	unsigned access_ratio;     /* %, default 75 */
	unsigned hot_ratio;        /* %, default 20 */
	unsigned hot_access_ratio; /* %, default 80 */
	char *rw;                  /* fio rw=, default randread */
	char *bs;                  /* fio bs= as written, default 4k */
	uint64_t bs_bytes;
	unsigned runtime;          /* seconds, default 60 */
	char *ioengine;            /* psync (default) | mmap | ... */
	uint64_t residency_interval_ms; /* daxlab run, default 1000; 0: none */
};

struct lab_config {
	char *path; /* the file read, absolute */
	char *dir;  /* its directory */
	struct lab_section lab;
	struct virtiofsd_section virtiofsd;
	struct share_config *shares;
	size_t n_shares;
	struct vm_config *vms;
	size_t n_vms;
	struct workload_config workload;
	bool has_workload; /* a [workload] section was present */
};

/*
 * Parses path. On error returns -errno (-EINVAL for a bad file, -ENOENT
 * for a missing one) and fills err with "FILE:LINE: key 'K': bad value
 * 'V': why".
 */
int config_load(const char *path, struct lab_config **ret, struct error *err);
/*
 * The same of text (len bytes), the file's content as the caller read it:
 * errors name path, relative paths are against its folder. A caller that
 * keeps what it parsed (a run's config.ini) reads the file once.
 */
#define CONFIG_MAX_SIZE (4u << 20)
int config_load_text(const char *path, const char *text, size_t len,
		     struct lab_config **ret, struct error *err);
void config_free(struct lab_config *c);

/*
 * The config path to use, in *ret: explicit (--config) if not NULL, else
 * $DAXLAB_CONFIG, else ./daxlab.ini if it exists, else
 * /etc/daxlab/daxlab.ini; a static or the caller's string. 0, or -EPERM
 * (*ret set, err says why) for a ./daxlab.ini that is a link, is owned by
 * another user than this one (or than $SUDO_UID) or is writable by every
 * user: it names the programs daxlab runs as root.
 */
int config_find(const char *explicit_path, const char **ret, struct error *err);

const struct vm_config *config_find_vm(const struct lab_config *c,
				       const char *id);
const struct share_config *config_find_share(const struct lab_config *c,
					     const char *name);
/* Whether vm mounts share (its `shares =` list, or all when unset). */
bool config_vm_has_share(const struct vm_config *vm,
			 const struct share_config *share);
/* The share's source folder for this VM, "%i" expanded. Allocated. */
char *config_share_source(const struct share_config *share,
			  const struct vm_config *vm);
/* The ssh identity file: ssh_key, or guest_dir/id_ed25519. Allocated. */
char *config_ssh_key(const struct lab_config *c);

/*
 * Sets one [workload] key from its text, checked as the INI parser checks
 * it (the parser and `run --sweep` both use this). -EINVAL with err
 * "key 'K': bad value 'V': expected ...", -ENOKEY for a key that is not
 * a [workload] key, -ENOMEM.
 */
int config_workload_set(struct workload_config *w, const char *key,
			const char *v, struct error *err);

const char *config_accel_name(enum lab_accel a);
const char *config_backend_name(enum share_backend b);

#endif
