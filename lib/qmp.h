/* SPDX-License-Identifier: MIT */
/*
 * A minimal QMP client: connect to qemu's control socket, negotiate
 * capabilities, run one command.
 */
#ifndef DAXLAB_QMP_H
#define DAXLAB_QMP_H

/*
 * Runs {"execute": command} on the QMP unix socket at path and waits up to
 * timeout_ms for the reply. The socket must be a socket, not a symlink.
 * Returns 0 for a "return" reply, -EREMOTEIO for an "error" reply, -errno
 * else.
 */
int qmp_execute(const char *path, const char *command, int timeout_ms);

#endif
