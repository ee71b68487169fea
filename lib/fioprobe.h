/* SPDX-License-Identifier: MIT */
/*
 * Whether a fio server answers: a client job on the null engine sent to
 * it. An ssh forward accepts a connection before the guest's server
 * listens, so a real answer is the only proof that a server is there.
 * (Versions: lib/fiover.h.)
 */
#ifndef DAXLAB_FIOPROBE_H
#define DAXLAB_FIOPROBE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Writes the probe job (one 4 KiB read on the null engine, job name
 * "daxlab-probe") to a new file under /tmp; *ret_path is allocated, the
 * caller unlinks it.
 */
int fioprobe_job(char **ret_path);

/*
 * Whether the fio server at host ("HOST,PORT", "sock:PATH") runs job and
 * answers.
 */
bool fioprobe_answers(const char *fio, const char *host, const char *job);

#endif
