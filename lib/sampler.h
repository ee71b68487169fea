/* SPDX-License-Identifier: MIT */
/*
 * Fixed-rate sampling of memory.numa_stat sources, local and remote.
 *
 * Ticks fall on absolute deadlines, t0 + k * interval on CLOCK_MONOTONIC
 * (clock_nanosleep TIMER_ABSTIME), so there is no drift. A tick that
 * starts late is taken once; ticks whose time passed meanwhile are counted
 * as missed and skipped, never fired in a burst.
 *
 * A tick: requests go out to every remote host first (one line each), then
 * local files are read (opened once, pread at offset 0 each tick), then the
 * remote answers are collected until 3/4 of an interval after the tick
 * began. A host that has not answered by then gives no rows for that tick
 * and does not hold up the others. A lost connection is re-opened with
 * backoff (0.25 s doubling to 30 s).
 *
 * Nothing prints: what happens to sources and hosts is told through the
 * event callback.
 */
#ifndef DAXLAB_SAMPLER_H
#define DAXLAB_SAMPLER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numastat.h"
#include "source.h"
#include "sshchan.h"

struct sampler_source {
	char *name;
	char *path;
	struct sshchan *ch; /* remote: its host's channel, else NULL */
	size_t path_idx; /* remote: index in ch */
	bool check_unlinked; /* local regular file: gone when unlinked */

	int fd; /* local, -1 when not open */
	char *buf;
	size_t cap;

	/* the last read */
	int status; /* 0: ns holds it; else -errno (-ENOENT: gone, ...) */
	char err[192];
	struct numastat ns;

	/* ticks with rows, read empty, failed */
	uint64_t ok_ticks, empty_ticks, failed_ticks;
	uint64_t gap_ticks; /* failed ticks in a row, so far */
};

struct sampler_host {
	struct sshchan *ch;
	bool asked; /* a request for this tick is out */
	int64_t next_try_ns; /* when DOWN: next reconnect */
	int64_t backoff_ns;
	int64_t down_since_ns;
	uint64_t gap_ticks;
	bool was_up;
	bool late; /* not answering in time now */
	bool late_reported; /* SAMPLER_HOST_LATE is sent once a run */
	uint64_t late_ticks;
	uint64_t replies;
	int64_t rtt_sum_ns, rtt_max_ns;
};

enum sampler_event_type {
	SAMPLER_SOURCE_FAILED, /* source: status, err */
	SAMPLER_SOURCE_BACK, /* source: rows again after gap_ticks */
	SAMPLER_HOST_DOWN, /* host: ch->last_error */
	SAMPLER_HOST_UP, /* host: (re)connected; gap_ms, gap_ticks */
	SAMPLER_HOST_LATE, /* host: no answer in time (first time only) */
};

struct sampler_event {
	enum sampler_event_type type;
	const struct sampler_source *source;
	const struct sampler_host *host;
	int prev_status; /* SOURCE_BACK: the status of the gap */
	int64_t gap_ms;
	uint64_t gap_ticks;
};

#define SAMPLER_LATE_BUCKETS 2001 /* the last one: 100 ms or more */
#define SAMPLER_LATE_BUCKET_NS 50000

typedef void (*sampler_event_fn)(const struct sampler_event *ev, void *ud);

struct sampler {
	struct sampler_source *src;
	size_t n_src;
	struct sampler_host *hosts;
	size_t n_hosts;
	char *ssh_config;
	uint64_t local_page_size;

	int64_t interval_ns;
	int64_t t0_ns; /* tick 0's deadline */
	uint64_t k; /* the tick being taken or next */
	bool started;
	uint64_t ticks; /* ticks taken */
	uint64_t missed; /* ticks skipped because we were late */
	int64_t epoch_ms; /* real time the current tick began */
	int64_t stall_ns; /* an answer out longer: reconnect */

	sampler_event_fn event;
	void *event_ud;
	/* how late ticks started: 50 us buckets up to 100 ms, then max */
	uint32_t late_hist[SAMPLER_LATE_BUCKETS];
	int64_t late_max_ns; /* the longest, skipped ticks included */

	/* when set and *stop becomes true, waiting for answers ends early */
	volatile sig_atomic_t *stop;
};

/* interval_ms > 0. ssh_config: passed as ssh -F, or NULL. */
int sampler_init(struct sampler *s, uint64_t interval_ms,
		 const char *ssh_config, sampler_event_fn fn, void *ud);
void sampler_free(struct sampler *s);

/* Adds a source (copied). Remote sources of one host share a connection. */
int sampler_add(struct sampler *s, const struct source_spec *spec);

/*
 * Reads every source once without writing anything: opens the local files,
 * connects to every host and reads its paths, waiting up to timeout_ms.
 * Afterwards each source's status tells whether it is there. No events.
 */
int sampler_probe(struct sampler *s, int64_t timeout_ms);

/*
 * Waits for the next tick's deadline. The first call also asks the
 * scheduler for timely wakeups for the whole process: SCHED_FIFO 1 where
 * allowed (root), else a 100 us EEVDF slice; timer slack 1 ns; children
 * reset to the default policy. Returns 0 when it is time (s->k and
 * s->missed updated), 1 when *stop became set first.
 */
int sampler_wait(struct sampler *s, volatile sig_atomic_t *stop);

/* Takes tick s->k: every source's status and ns are updated. */
void sampler_tick(struct sampler *s);

/* Lateness of tick starts, in ns: the q-quantile (0..1), by 50 us. */
int64_t sampler_lateness_ns(const struct sampler *s, double q);

static inline uint64_t sampler_elapsed_ms(const struct sampler *s)
{
	return s->k * (uint64_t)(s->interval_ns / 1000000);
}

#endif
