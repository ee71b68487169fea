/* SPDX-License-Identifier: MIT */
/*
 * The fio server of a config VM, reached through ssh. The server runs as
 * root in the guest and runs any job it is sent (a job can run commands),
 * so it listens on the guest's 127.0.0.1:8765 only, and for as long as a
 * fio client needs it, `ssh -L` forwards state_dir/vm-ID/fio.sock to it.
 * The socket is in the VM's 0700 folder: only root reaches the server. A
 * port forwarded to it on the host's loopback would let any local user
 * in; on a bridge, anyone there.
 */
#ifndef DAXLAB_FIOFWD_H
#define DAXLAB_FIOFWD_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

struct lab_config;
struct vm_config;

struct fiofwd {
	pid_t pid; /* ssh -N -L, or 0 */
	char *sock; /* state_dir/vm-ID/fio.sock */
	ino_t ino; /* of the socket that ssh made: only that one is removed */
	int lock; /* vm-ID/fio.lock, held while the forward is up; or -1 */
};

/* "sock:state_dir/vm-ID/fio.sock": a VM's word in a fio host list. */
char *fiofwd_client(const struct lab_config *c, const struct vm_config *vm);

/*
 * Starts the forwards of n VMs (ssh, with the lab's ssh_config) and waits
 * until each socket answers, until deadline_ns (now_monotonic_ns()) or
 * interrupted. A VM whose folder others can write, whose forward another
 * fio run holds (-EBUSY), or whose qemu (an older daxlab's) forwards a
 * host port to its fio server (-EPERM) is refused. On failure (err naming
 * the VM, with ssh's words) nothing is left running.
 */
int fiofwd_start(const struct lab_config *c, const struct vm_config *const *vms,
		 size_t n, struct fiofwd *fw, int64_t deadline_ns,
		 const volatile sig_atomic_t *interrupted, struct error *err);

/* Ends the forwards and removes their sockets; fw[i] zeroed. */
void fiofwd_stop(struct fiofwd *fw, size_t n);

#endif
