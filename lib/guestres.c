// SPDX-License-Identifier: MIT
/* The file sets' page cache inside the guests; see guestres.h. */
#include "guestres.h"
#include "array.h"
#include "residency.h"
#include "sshchan.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#define RECONNECT_NS (5 * (int64_t)1000000000)

struct gres_file {
	char *path; /* in the guest */
	size_t part; /* index into parts */
};

struct gres {
	char *where;
	struct sshchan *ch;
	char *helper;
	struct gres_file *files; /* n of them */
	size_t n;
	char **parts; /* "set\0part" pairs, interned, n_parts of them */
	size_t n_parts;
	bool command_set;
	bool asked;
	uint64_t asked_seq;
	bool answered;
	int64_t last_connect_ns;
	bool connected_once;
};

struct gres *gres_new(const char *where, const char *ssh_host,
		      const char *ssh_config, const char *helper)
{
	struct gres *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->where = strdup(where);
	g->helper = strdup(helper);
	g->ch = sshchan_new(ssh_host, ssh_config);
	if (!g->where || !g->helper || !g->ch) {
		gres_free(g);
		return NULL;
	}
	return g;
}

void gres_free(struct gres *g)
{
	if (!g)
		return;
	sshchan_free(g->ch);
	for (size_t i = 0; i < g->n; i++)
		free(g->files[i].path);
	for (size_t i = 0; i < g->n_parts; i++)
		free(g->parts[i]);
	free(g->files);
	free(g->parts);
	free(g->helper);
	free(g->where);
	free(g);
}

const char *gres_where(const struct gres *g)
{
	return g->where;
}

const char *gres_last_error(const struct gres *g)
{
	return g->ch->last_error;
}

/* The "set\0part" key's index, added when new. */
static int part_index(struct gres *g, const char *set, const char *part,
		      size_t *ret)
{
	size_t ls = strlen(set), lp = strlen(part);
	_cleanup_free_ char *key = NULL;
	char **v;

	for (size_t i = 0; i < g->n_parts; i++)
		if (!strcmp(g->parts[i], set) &&
		    !strcmp(g->parts[i] + ls + 1, part)) {
			*ret = i;
			return 0;
		}
	key = malloc(ls + lp + 2);
	v = key ? ARRAY_PUSH(g->parts, g->n_parts) : NULL;
	if (!v)
		return -ENOMEM;
	memcpy(key, set, ls + 1);
	memcpy(key + ls + 1, part, lp + 1);
	*v = TAKE_PTR(key);
	*ret = g->n_parts - 1;
	return 0;
}

int gres_add_file(struct gres *g, const char *guest_path, const char *set,
		  const char *part)
{
	_cleanup_free_ char *path = NULL;
	struct gres_file *f;
	size_t k;
	int r;

	if (g->command_set || !rs_name_ok(set) || !rs_name_ok(part))
		return -EINVAL;
	r = part_index(g, set, part, &k);
	if (r < 0)
		return r;
	path = strdup(guest_path);
	f = path ? ARRAY_PUSH(g->files, g->n) : NULL;
	if (!f)
		return -ENOMEM;
	*f = (struct gres_file){ TAKE_PTR(path), k };
	return 0;
}

/* helper -- PATH...: the request every sample sends. */
static int set_command(struct gres *g)
{
	_cleanup_free_ const char **argv = calloc(g->n + 3, sizeof(*argv));
	int r;

	if (!argv)
		return -ENOMEM;
	argv[0] = g->helper;
	argv[1] = "--";
	for (size_t i = 0; i < g->n; i++)
		argv[i + 2] = g->files[i].path;
	r = sshchan_set_command(g->ch, argv);
	if (r == 0)
		g->command_set = true;
	return r;
}

size_t gres_ask(struct gres *const *gv, size_t n, uint64_t seq, int64_t now_ns)
{
	size_t asked = 0;

	for (size_t i = 0; i < n; i++) {
		struct gres *g = gv[i];

		g->asked = false;
		g->answered = false;
		if (!g->n)
			continue;
		if (!g->command_set && set_command(g) < 0)
			continue;
		if (g->ch->state == SSHCHAN_DOWN &&
		    (!g->connected_once ||
		     now_ns - g->last_connect_ns >= RECONNECT_NS)) {
			g->connected_once = true;
			g->last_connect_ns = now_ns;
			sshchan_connect(g->ch);
			continue;
		}
		if (g->ch->state != SSHCHAN_READY || g->ch->busy)
			continue;
		if (sshchan_request(g->ch, seq, now_ns) < 0)
			continue;
		g->asked = true;
		g->asked_seq = seq;
		asked++;
	}
	return asked;
}

enum until { UNTIL_ANSWERED, UNTIL_READY, UNTIL_STOP };

static bool done(struct gres *const *gv, size_t n, enum until u, uint64_t seq,
		 const volatile int *stop)
{
	for (size_t i = 0; i < n; i++) {
		const struct gres *g = gv[i];

		/* a connection that went down answers nothing more */
		if (u == UNTIL_ANSWERED && g->asked && g->asked_seq == seq &&
		    !g->answered && g->ch->state != SSHCHAN_DOWN)
			return false;
		/* a guest ssh gave up on counts as done: it is said why */
		if (u == UNTIL_READY && g->n &&
		    g->ch->state == SSHCHAN_CONNECTING)
			return false;
	}
	return u != UNTIL_STOP || *stop;
}

static void pump(struct gres *const *gv, size_t n, enum until u, uint64_t seq,
		 int64_t deadline_ns, const volatile int *stop)
{
	for (;;) {
		struct pollfd pfd[64];
		size_t np = 0;
		int64_t now = now_monotonic_ns(), left;

		if (done(gv, n, u, seq, stop) || now >= deadline_ns)
			return;
		for (size_t i = 0; i < n && np + 2 <= 64; i++)
			np += sshchan_pollfds(gv[i]->ch, pfd + np);
		left = (deadline_ns - now) / 1000000 + 1;
		if (left > 100)
			left = 100;
		poll(np ? pfd : NULL, np, (int)left);
		now = now_monotonic_ns();
		for (size_t i = 0; i < n; i++) {
			struct gres *g = gv[i];
			int ev = sshchan_process(g->ch, now);

			if ((ev & SSHCHAN_EV_REPLY) && g->asked &&
			    g->ch->seq == g->asked_seq)
				g->answered = true;
		}
	}
}

size_t gres_wait(struct gres *const *gv, size_t n, uint64_t seq,
		 int64_t deadline_ns)
{
	size_t answered = 0;

	pump(gv, n, UNTIL_ANSWERED, seq, deadline_ns, NULL);
	for (size_t i = 0; i < n; i++)
		answered += gres_answered(gv[i], seq);
	return answered;
}

void gres_idle(struct gres *const *gv, size_t n, int64_t deadline_ns,
	       const volatile int *stop)
{
	pump(gv, n, stop ? UNTIL_STOP : UNTIL_READY, 0, deadline_ns, stop);
}

bool gres_answered(const struct gres *g, uint64_t seq)
{
	return g->asked && g->asked_seq == seq && g->answered &&
	       g->ch->replied && g->ch->seq == seq;
}

/* ---- the answer, summed per part, node and cgroup ---- */

struct acc_row {
	size_t part;
	char node[16];
	char *cgroup;
	uint64_t bytes;
};

struct acc {
	const struct gres *g;
	struct acc_row *rows;
	size_t n, cap;
	bool *read_ok; /* per file: an F line came */
	int first_failed; /* the first E line's file, or -1 */
	int first_err;
};

static int on_resident(void *ud, size_t index, const char *node,
		       const char *cgroup, uint64_t bytes)
{
	struct acc *a = ud;
	size_t part = a->g->files[index].part;

	for (size_t i = 0; i < a->n; i++) {
		struct acc_row *r = &a->rows[i];

		if (r->part == part && !strcmp(r->node, node) &&
		    !strcmp(r->cgroup, cgroup)) {
			r->bytes += bytes;
			return 0;
		}
	}
	if (ARRAY_RESERVE(a->rows, a->n, a->cap, 16) < 0)
		return -ENOMEM;
	a->rows[a->n].part = part;
	snprintf(a->rows[a->n].node, sizeof(a->rows[a->n].node), "%s", node);
	a->rows[a->n].cgroup = strdup(cgroup);
	if (!a->rows[a->n].cgroup)
		return -ENOMEM;
	a->rows[a->n++].bytes = bytes;
	return 0;
}

static void on_failed(void *ud, size_t index, int err)
{
	struct acc *a = ud;

	if (a->first_failed < 0) {
		a->first_failed = (int)index;
		a->first_err = err;
	}
}

static void on_file(void *ud, size_t index)
{
	struct acc *a = ud;

	a->read_ok[index] = true;
}

int gres_rows(const struct gres *g, gres_row_fn fn, void *ud, char *missing,
	      size_t missing_len, struct error *err)
{
	const char *text;
	size_t len;
	int rc, r;

	r = sshchan_command_result(g->ch, &text, &len, &rc);
	if (r < 0)
		return r;
	return gres_rows_text(g, text, len, rc, fn, ud, missing, missing_len,
			      err);
}

int gres_rows_text(const struct gres *g, const char *text, size_t len, int rc,
		   gres_row_fn fn, void *ud, char *missing, size_t missing_len,
		   struct error *err)
{
	struct acc a = { .g = g, .first_failed = -1 };
	struct rs_helper_cb cb = { .ud = &a,
				   .resident = on_resident,
				   .failed = on_failed,
				   .file = on_file };
	int r;

	if (err)
		err->msg[0] = '\0';
	if (missing_len)
		missing[0] = '\0';
	if (rc != 0)
		return err_fail(err, -EPROTO, "%s exited with %d: %.*s",
				g->helper, rc,
				(int)strcspn(text, "\n") < (int)len ?
					(int)strcspn(text, "\n") :
					(int)len,
				text);
	a.read_ok = calloc(g->n ? g->n : 1, sizeof(*a.read_ok));
	if (!a.read_ok)
		return -ENOMEM;
	r = rs_helper_parse(text, len, g->n, &cb, missing, missing_len, err);
	if (r == 0) {
		for (size_t p = 0; p < g->n_parts; p++) {
			const char *set = g->parts[p];
			const char *part = set + strlen(set) + 1;
			bool any_file = false, any_row = false;

			for (size_t i = 0; i < g->n; i++)
				any_file |=
					g->files[i].part == p && a.read_ok[i];
			if (!any_file)
				continue;
			for (size_t i = 0; i < a.n; i++) {
				if (a.rows[i].part != p)
					continue;
				fn(ud, set, part, a.rows[i].node,
				   a.rows[i].cgroup, a.rows[i].bytes);
				any_row = true;
			}
			if (!any_row)
				fn(ud, set, part, "-", "-", 0);
		}
		if (a.first_failed >= 0)
			err_set(err, "%s: %s", g->files[a.first_failed].path,
				strerror(a.first_err));
	}
	for (size_t i = 0; i < a.n; i++)
		free(a.rows[i].cgroup);
	free(a.rows);
	free(a.read_ok);
	return r;
}
