/* SPDX-License-Identifier: MIT */
/*
 * fio's client and server must be the same version: a host's fio 3.39
 * against a guest's 3.33 ends in "fio exited with 1" and nothing more.
 * Here: the version of the host's fio, that of a guest's (over ssh, with
 * the lab's ssh_config, the way `daxlab vm ssh` reaches it), and the
 * message when they differ. Nothing here prints.
 */
#ifndef DAXLAB_FIOVER_H
#define DAXLAB_FIOVER_H

#include <stddef.h>

#include "config.h"
#include "util.h"

/*
 * The version in the output of `fio --version` ("fio-3.33"): the first
 * line that starts with "fio-", trimmed. -EINVAL when there is none.
 */
int fiover_parse(const char *out, char *ret, size_t len);

/*
 * The host's fio (a path, or a name looked up in PATH): its version in
 * ret. -ENOENT when there is no such program; err says what went wrong.
 */
int fiover_host(const char *fio, char *ret, size_t len, struct error *err);

/*
 * Compares vm's fio with the host's: 0 when they are the same version,
 * else -EPROTO and the message in err, naming the VM and both versions,
 * and what to do about it. fio: the host's binary, for the message.
 */
int fiover_compare(const struct vm_config *vm, const char *guest_version,
		   const char *fio, const char *host_version,
		   struct error *err);

/* One VM's answer, for fiover_check_vms(). */
struct fiover_vm {
	const struct vm_config *vm; /* in */
	char version[64]; /* the guest's version, "missing" or "unknown" */
	/*
	 * -ENOENT: the guest has no fio (its shell's 127); -EHOSTUNREACH:
	 * ssh failed (its last words in err); -EINVAL: fio answered
	 * something else; then what fiover_compare() returns
	 */
	int r;
	struct error err; /* r < 0: the message */
};

/*
 * Asks each of n VMs for its fio's version (`ssh -F ssh_config NAME fio
 * --version`) and compares it with the host's (fiover_compare()), their
 * ssh sessions side by side (one ssh into a TCG guest takes a second).
 */
void fiover_check_vms(const char *ssh_config, const char *fio,
		      const char *host_version, struct fiover_vm *v, size_t n);

#endif
