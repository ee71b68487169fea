/* SPDX-License-Identifier: MIT */
/*
 * Asking fio what it is and whether a fio server answers: the version of
 * a fio binary (`fio --version`), and a client job on the null engine
 * sent to a server. fio's client and server must be the same version
 * (3.33 against 3.39 only says "fio exited with 1"), and qemu's hostfwd
 * accepts a connection before the guest's server listens, so a real
 * answer is the only proof that a server is there.
 */
#ifndef DAXLAB_FIOPROBE_H
#define DAXLAB_FIOPROBE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The first line of `fio --version` ("fio-3.33") into buf. -ENOENT when
 * fio is not there, -EIO when it says nothing that looks like a version.
 */
int fioprobe_version(const char *fio, char *buf, size_t len);

/*
 * Writes the probe job (one 4 KiB read on the null engine, job name
 * "daxlab-probe") to a new file under /tmp; *ret_path is allocated, the
 * caller unlinks it.
 */
int fioprobe_job(char **ret_path);

/* Whether the fio server at host ("HOST,PORT") runs job and answers. */
bool fioprobe_answers(const char *fio, const char *host, const char *job);

#endif
