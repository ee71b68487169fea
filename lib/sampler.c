// SPDX-License-Identifier: MIT
#include "sampler.h"
#include "array.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>

#define BACKOFF_MIN_NS (250 * 1000000LL)
#define BACKOFF_MAX_NS (30 * 1000000000LL)
#define FILE_MAX (16u << 20)

int sampler_init(struct sampler *s, uint64_t interval_ms,
		 const char *ssh_config, sampler_event_fn fn, void *ud)
{
	long ps = sysconf(_SC_PAGESIZE);

	memset(s, 0, sizeof(*s));
	if (interval_ms == 0 || interval_ms > 24ULL * 3600 * 1000)
		return -EINVAL;
	s->interval_ns = (int64_t)interval_ms * 1000000;
	s->stall_ns = s->interval_ns * 20;
	if (s->stall_ns < 10 * 1000000000LL)
		s->stall_ns = 10 * 1000000000LL;
	s->local_page_size = ps > 0 ? (uint64_t)ps : 4096;
	s->event = fn;
	s->event_ud = ud;
	if (ssh_config) {
		s->ssh_config = strdup(ssh_config);
		if (!s->ssh_config)
			return -ENOMEM;
	}
	return 0;
}

void sampler_free(struct sampler *s)
{
	for (size_t i = 0; i < s->n_src; i++) {
		struct sampler_source *src = &s->src[i];

		if (src->fd >= 0)
			close(src->fd);
		free(src->name);
		free(src->path);
		free(src->buf);
		numastat_free(&src->ns);
	}
	for (size_t i = 0; i < s->n_hosts; i++)
		sshchan_free(s->hosts[i].ch);
	free(s->src);
	free(s->hosts);
	free(s->ssh_config);
	memset(s, 0, sizeof(*s));
}

static struct sampler_host *find_host(struct sampler *s, const char *host)
{
	struct sampler_host *nh;
	struct sshchan *ch;

	for (size_t i = 0; i < s->n_hosts; i++)
		if (strcmp(s->hosts[i].ch->host, host) == 0)
			return &s->hosts[i];
	ch = sshchan_new(host, s->ssh_config);
	if (!ch)
		return NULL;
	nh = ARRAY_PUSH(s->hosts, s->n_hosts);
	if (!nh) {
		sshchan_free(ch);
		return NULL;
	}
	nh->ch = ch;
	nh->backoff_ns = BACKOFF_MIN_NS;
	return nh;
}

int sampler_add(struct sampler *s, const struct source_spec *spec)
{
	struct sampler_source *src;
	int r;

	src = ARRAY_PUSH(s->src, s->n_src);
	if (!src)
		return -ENOMEM;
	src->fd = -1;
	src->status = -ENODATA;
	numastat_init(&src->ns);
	src->name = strdup(spec->name);
	src->path = strdup(spec->path);
	r = src->name && src->path ? 0 : -ENOMEM;
	if (r == 0 && spec->remote) {
		struct sampler_host *h = find_host(s, spec->host);

		r = h ? sshchan_add_path(h->ch, spec->path) : -ENOMEM;
		if (r >= 0) {
			src->ch = h->ch;
			src->path_idx = (size_t)r;
		}
	}
	if (r < 0) {
		free(src->name);
		free(src->path);
		s->n_src--;
		return r;
	}
	return 0;
}

static void emit(struct sampler *s, enum sampler_event_type type,
		 const struct sampler_source *src, const struct sampler_host *h,
		 int64_t gap_ms, uint64_t gap_ticks, int prev_status)
{
	struct sampler_event ev = {
		.type = type,
		.source = src,
		.host = h,
		.gap_ms = gap_ms,
		.gap_ticks = gap_ticks,
		.prev_status = prev_status,
	};

	if (s->event)
		s->event(&ev, s->event_ud);
}

/* ---- local files ---- */

static int local_open(struct sampler_source *src)
{
	struct stat st;
	struct statfs sf;
	_cleanup_close_ int fd =
		open(src->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		/* a cgroup directory: its memory.numa_stat */
		int f = openat(fd, "memory.numa_stat",
			       O_RDONLY | O_CLOEXEC | O_NOCTTY);

		if (f < 0)
			return -errno;
		close(fd);
		fd = f;
	}
	/*
	 * cgroupfs, sysfs and procfs files fail once removed; a regular file
	 * still reads after unlink, so check its link count each time.
	 */
	src->check_unlinked = true;
	if (fstatfs(fd, &sf) == 0 &&
	    (sf.f_type == CGROUP_SUPER_MAGIC ||
	     sf.f_type == CGROUP2_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC ||
	     sf.f_type == PROC_SUPER_MAGIC))
		src->check_unlinked = false;
	src->fd = TAKE_FD(fd);
	return 0;
}

static void local_close(struct sampler_source *src)
{
	if (src->fd >= 0)
		close(src->fd);
	src->fd = -1;
}

static int pread_whole(struct sampler_source *src, size_t *ret_len)
{
	size_t len = 0;

	for (;;) {
		ssize_t n;

		if (src->cap - len < 4096) {
			size_t ncap = src->cap ? src->cap * 2 : 16384;
			char *nb;

			if (ncap > FILE_MAX)
				return -EFBIG;
			nb = realloc(src->buf, ncap);
			if (!nb)
				return -ENOMEM;
			src->buf = nb;
			src->cap = ncap;
		}
		n = pread(src->fd, src->buf + len, src->cap - len, (off_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len += (size_t)n;
		/*
		 * A short read is the end: regular files and cgroupfs (one
		 * seq_file record, handed out as far as the buffer allows)
		 * both say so. It saves a syscall per source and tick.
		 */
		if (n == 0 || len < src->cap)
			break;
	}
	if (src->check_unlinked) {
		struct stat st;

		if (fstat(src->fd, &st) < 0)
			return -errno;
		if (st.st_nlink == 0)
			return -ENOENT;
	}
	*ret_len = len;
	return 0;
}

__attribute__((format(printf, 3, 4))) static void
set_status(struct sampler_source *src, int status, const char *fmt, ...)
{
	va_list ap;

	src->status = status;
	if (!fmt) {
		src->err[0] = '\0';
		return;
	}
	va_start(ap, fmt);
	vsnprintf(src->err, sizeof(src->err), fmt, ap);
	va_end(ap);
}

static void parse_into(struct sampler_source *src, const char *text, size_t len,
		       uint64_t page_size, const char *where)
{
	struct error err = { 0 };
	int r = numastat_parse(&src->ns, text, len, page_size, &err);

	if (r < 0)
		set_status(src, r, "%s: %s", where,
			   err.msg[0] ? err.msg : strerror(-r));
	else
		set_status(src, 0, NULL);
}

static void local_read(struct sampler_source *src, uint64_t page_size)
{
	size_t len;
	int r = -EBADF;

	if (src->fd >= 0)
		r = pread_whole(src, &len);
	if (r < 0) {
		/* gone, or recreated under the same name: open again */
		local_close(src);
		r = local_open(src);
		if (r == 0)
			r = pread_whole(src, &len);
		if (r < 0) {
			struct stat st;
			/* a cgroup folder: the file it lacks */
			bool dir = stat(src->path, &st) == 0 &&
				   S_ISDIR(st.st_mode);

			local_close(src);
			set_status(src, r, "cannot read %s%s: %s", src->path,
				   dir ? "/memory.numa_stat" : "",
				   strerror(-r));
			return;
		}
	}
	parse_into(src, src->buf, len, page_size, src->path);
}

/* ---- remote hosts ---- */

static void host_down(struct sampler *s, struct sampler_host *h, int64_t now,
		      bool report)
{
	h->asked = false;
	h->next_try_ns = now + h->backoff_ns;
	h->backoff_ns *= 2;
	if (h->backoff_ns > BACKOFF_MAX_NS)
		h->backoff_ns = BACKOFF_MAX_NS;
	if (h->was_up || !h->down_since_ns) {
		h->down_since_ns = now;
		h->gap_ticks = 0;
	}
	h->was_up = false;
	if (report)
		emit(s, SAMPLER_HOST_DOWN, NULL, h, 0, 0, 0);
}

static void host_ready(struct sampler *s, struct sampler_host *h, int64_t now,
		       bool report)
{
	h->backoff_ns = BACKOFF_MIN_NS;
	if (h->down_since_ns && report)
		emit(s, SAMPLER_HOST_UP, NULL, h,
		     (now - h->down_since_ns) / 1000000, h->gap_ticks, 0);
	h->down_since_ns = 0;
	h->gap_ticks = 0;
	h->was_up = true;
}

static void ask(struct sampler *s, struct sampler_host *h, uint64_t seq,
		int64_t now, bool report)
{
	int r = sshchan_request(h->ch, seq, now);

	if (r == 0)
		h->asked = true;
	else if (r == -EPIPE)
		host_down(s, h, now, report);
}

/* Handles what sshchan_process() saw. */
static void host_events(struct sampler *s, struct sampler_host *h, int ev,
			uint64_t seq, int64_t now, bool report)
{
	if (ev & SSHCHAN_EV_READY) {
		host_ready(s, h, now, report);
		ask(s, h, seq, now, report);
	}
	if (ev & SSHCHAN_EV_REPLY) {
		if (h->ch->seq == seq) {
			h->replies++;
			h->rtt_sum_ns += h->ch->last_rtt_ns;
			if (h->ch->last_rtt_ns > h->rtt_max_ns)
				h->rtt_max_ns = h->ch->last_rtt_ns;
		}
	}
	if (ev & SSHCHAN_EV_DOWN)
		host_down(s, h, now, report);
}

static bool host_pending(const struct sampler_host *h, uint64_t seq,
			 bool probing)
{
	if (h->ch->state == SSHCHAN_CONNECTING)
		return probing;
	return h->asked && h->ch->busy && h->ch->seq == seq;
}

/* Polls the hosts until every answer for seq is in or the deadline. */
static void collect(struct sampler *s, uint64_t seq, int64_t deadline,
		    bool probing)
{
	struct pollfd pfd[2 * s->n_hosts + 1];
	size_t owner[2 * s->n_hosts + 1];

	if (s->n_hosts == 0)
		return;
	for (;;) {
		size_t n = 0;
		bool pending = false;
		int64_t now = now_monotonic_ns(), left = deadline - now;
		struct timespec ts;
		int r;

		for (size_t i = 0; i < s->n_hosts; i++) {
			size_t m;

			if (host_pending(&s->hosts[i], seq, probing))
				pending = true;
			m = sshchan_pollfds(s->hosts[i].ch, pfd + n);
			for (size_t j = 0; j < m; j++)
				owner[n + j] = i;
			n += m;
		}
		if (!pending || left <= 0 || (s->stop && *s->stop))
			return;
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		r = ppoll(pfd, n, &ts, NULL);
		if (r < 0 && errno != EINTR)
			return;
		if (r <= 0)
			continue;
		now = now_monotonic_ns();
		for (size_t i = 0; i < n; i++) {
			struct sampler_host *h = &s->hosts[owner[i]];

			if (!pfd[i].revents)
				continue;
			/* both fds of a host: process it once */
			if (i + 1 < n && owner[i + 1] == owner[i])
				pfd[i + 1].revents = 0;
			host_events(s, h, sshchan_process(h->ch, now), seq, now,
				    !probing);
		}
	}
}

static void remote_results(struct sampler *s, bool report)
{
	for (size_t i = 0; i < s->n_src; i++) {
		struct sampler_source *src = &s->src[i];
		struct sshchan *ch = src->ch;
		const char *text;
		size_t len;
		char where[512];
		int r;

		if (!ch)
			continue;
		snprintf(where, sizeof(where), "%s:%s", ch->host, src->path);
		if (ch->replied && ch->seq == s->k) {
			r = sshchan_result(ch, src->path_idx, &text, &len);
			if (r < 0)
				set_status(src, r, "cannot read %s", where);
			else
				parse_into(src, text, len, ch->page_size,
					   where);
		} else if (ch->state == SSHCHAN_READY) {
			set_status(src, -ETIMEDOUT, "no answer from %s in time",
				   ch->host);
		} else {
			set_status(src, -ENOTCONN, "not connected to %s: %s",
				   ch->host,
				   ch->last_error[0] ? ch->last_error :
						       "connecting");
		}
	}
	for (size_t i = 0; i < s->n_hosts; i++) {
		struct sampler_host *h = &s->hosts[i];

		if (h->ch->replied && h->ch->seq == s->k) {
			h->late = false;
			continue;
		}
		h->gap_ticks++;
		if (h->ch->state == SSHCHAN_READY && report) {
			h->late = true;
			h->late_ticks++;
			if (!h->late_reported) {
				h->late_reported = true;
				emit(s, SAMPLER_HOST_LATE, NULL, h, 0, 0, 0);
			}
		}
	}
}

/* Before a tick: reconnect what is due, drop stalled connections. */
static void service_hosts(struct sampler *s, int64_t now, bool report)
{
	for (size_t i = 0; i < s->n_hosts; i++) {
		struct sampler_host *h = &s->hosts[i];
		struct sshchan *ch = h->ch;

		h->asked = false;
		if (ch->state != SSHCHAN_DOWN)
			host_events(s, h, sshchan_process(ch, now), s->k, now,
				    report);
		if (ch->state == SSHCHAN_READY && ch->busy &&
		    now - ch->sent_ns > s->stall_ns) {
			char why[64];

			snprintf(why, sizeof(why), "no answer for %lld s",
				 (long long)((now - ch->sent_ns) / 1000000000));
			sshchan_close(ch, why);
			host_down(s, h, now, report);
		}
		if (ch->state == SSHCHAN_DOWN && now >= h->next_try_ns) {
			if (sshchan_connect(ch) < 0)
				host_down(s, h, now, false);
		}
		if (ch->state == SSHCHAN_READY && !ch->busy)
			ask(s, h, s->k, now, report);
	}
}

static void read_all(struct sampler *s, int64_t now, int64_t deadline,
		     bool probing)
{
	if (s->n_hosts)
		service_hosts(s, now, !probing);
	for (size_t i = 0; i < s->n_src; i++)
		if (!s->src[i].ch)
			local_read(&s->src[i], s->local_page_size);
	if (s->n_hosts) {
		collect(s, s->k, deadline, probing);
		remote_results(s, !probing);
	}
}

int sampler_probe(struct sampler *s, int64_t timeout_ms)
{
	int64_t now = now_monotonic_ns();

	for (size_t i = 0; i < s->n_hosts; i++)
		s->hosts[i].next_try_ns = now;
	s->k = 0;
	read_all(s, now, now + timeout_ms * 1000000, true);
	for (size_t i = 0; i < s->n_hosts; i++) {
		struct sampler_host *h = &s->hosts[i];

		/* a connection that is still not up is dropped and retried */
		if (h->ch->state == SSHCHAN_CONNECTING) {
			sshchan_close(h->ch, "timed out connecting");
			host_down(s, h, now_monotonic_ns(), false);
		}
		if (h->ch->state == SSHCHAN_DOWN)
			h->down_since_ns = now;
	}
	return 0;
}

static void record_lateness(struct sampler *s, int64_t late)
{
	size_t b;

	if (late < 0)
		late = 0;
	b = (size_t)(late / SAMPLER_LATE_BUCKET_NS);
	if (b >= SAMPLER_LATE_BUCKETS)
		b = SAMPLER_LATE_BUCKETS - 1;
	s->late_hist[b]++;
	if (late > s->late_max_ns)
		s->late_max_ns = late;
}

/* struct sched_attr of sched_setattr(2); glibc 2.36 has no wrapper */
struct sampler_sched_attr {
	uint32_t size;
	uint32_t policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime;
	uint64_t deadline;
	uint64_t period;
};

#define SAMPLER_SCHED_RESET_ON_FORK 0x01
#define SAMPLER_SLICE_NS (100 * 1000ULL)

/*
 * Ticks start on time even with every core busy: the lowest real-time
 * priority (SCHED_FIFO 1) where allowed, else a short EEVDF slice so the
 * wakeup preempts a busy task; no timer slack. Children (ssh) start with
 * the default policy again. Failures leave the defaults: no error.
 */
static void ask_for_timely_wakeups(void)
{
	struct sampler_sched_attr a = { .size = sizeof(a),
					.policy = SCHED_FIFO,
					.flags = SAMPLER_SCHED_RESET_ON_FORK,
					.priority = 1 };

	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	if (syscall(SYS_sched_setattr, 0, &a, 0U) == 0)
		return;
	a = (struct sampler_sched_attr){ .size = sizeof(a),
					 .policy = SCHED_OTHER,
					 .flags = SAMPLER_SCHED_RESET_ON_FORK,
					 .runtime = SAMPLER_SLICE_NS };
	syscall(SYS_sched_setattr, 0, &a, 0U);
}

int sampler_wait(struct sampler *s, volatile sig_atomic_t *stop)
{
	int64_t due, now;

	if (!s->started) {
		s->started = true;
		ask_for_timely_wakeups();
		s->t0_ns = now_monotonic_ns();
		s->k = 0;
		if (*stop)
			return 1;
		record_lateness(s, 0);
		return 0;
	}
	s->k++;
	due = s->t0_ns + (int64_t)s->k * s->interval_ns;
	while (!*stop) {
		struct timespec ts = { due / 1000000000, due % 1000000000 };
		int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL);

		if (r == 0)
			break;
		if (r != EINTR)
			return -r;
	}
	if (*stop)
		return 1;
	now = now_monotonic_ns();
	if (now >= due + s->interval_ns) {
		/* late by a whole interval or more: skip to the latest due */
		uint64_t k = (uint64_t)((now - s->t0_ns) / s->interval_ns);

		/* the max tells the longest stall, skipped ticks included */
		if (now - due > s->late_max_ns)
			s->late_max_ns = now - due;
		s->missed += k - s->k;
		s->k = k;
		due = s->t0_ns + (int64_t)k * s->interval_ns;
	}
	record_lateness(s, now - due);
	return 0;
}

int64_t sampler_lateness_ns(const struct sampler *s, double q)
{
	uint64_t total = 0, want, seen = 0;

	for (size_t i = 0; i < SAMPLER_LATE_BUCKETS; i++)
		total += s->late_hist[i];
	if (total == 0)
		return 0;
	want = (uint64_t)((double)total * q + 0.999999);
	if (want == 0)
		want = 1;
	for (size_t i = 0; i + 1 < SAMPLER_LATE_BUCKETS; i++) {
		seen += s->late_hist[i];
		if (seen >= want) {
			int64_t top = (int64_t)(i + 1) * SAMPLER_LATE_BUCKET_NS;

			return top < s->late_max_ns ? top : s->late_max_ns;
		}
	}
	return s->late_max_ns;
}

void sampler_tick(struct sampler *s)
{
	int old[s->n_src ? s->n_src : 1];
	int64_t start = now_monotonic_ns();

	s->epoch_ms = now_realtime_ms();
	for (size_t i = 0; i < s->n_src; i++)
		old[i] = s->src[i].status;
	read_all(s, start, start + s->interval_ns * 3 / 4, false);
	s->ticks++;
	for (size_t i = 0; i < s->n_src; i++) {
		struct sampler_source *src = &s->src[i];

		if (src->status == 0) {
			/* a read of nothing (a file rewritten): no rows */
			if (src->ns.n_stats)
				src->ok_ticks++;
			else
				src->empty_ticks++;
			if (old[i] != 0)
				emit(s, SAMPLER_SOURCE_BACK, src, NULL, 0,
				     src->gap_ticks, old[i]);
			src->gap_ticks = 0;
		} else {
			src->failed_ticks++;
			src->gap_ticks++;
			if (old[i] != src->status)
				emit(s, SAMPLER_SOURCE_FAILED, src, NULL, 0, 0,
				     0);
		}
	}
}
