// SPDX-License-Identifier: MIT
/*
 * The report's parts that come from residency.csv over time: the closure
 * of each source's page cache (how much of it the file sets explain),
 * how many times each set's bytes are cached at the end, per node, and a
 * stacked chart per set of its bytes by place over time. See report.h.
 */
#include "report.h"
#include "array.h"
#include "report_priv.h"
#include "residency.h"
#include "svg.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024.0 * 1024.0)

/* ---- the rows ---- */

static const char *fld(const struct rs_series *s, const struct rs_row *row,
		       enum rs_field f)
{
	return rs_name(s, row->f[f]);
}

/*
 * r->rs_end: the rows of each place (the host, each guest) at its own
 * last sample, in the file's order. A guest that missed the last samples
 * (it answers within a deadline) counts with its last answer, and the
 * report says from when: dropped, its copies would go from the copies
 * table and the closure while the sets table guessed them.
 */
static int end_rows(struct report_run *r)
{
	const struct rs_series *s = r->rs;
	struct place_last {
		uint32_t where;
		int64_t t_ms;
	};
	/* no more places than names */
	_cleanup_free_ struct place_last *last =
		calloc(s->n_names + 1, sizeof(*last));
	size_t n_last = 0, n = 0;
	int64_t end = s->rows[s->n - 1].t_ms;

	r->rs_end = calloc(s->n, sizeof(*r->rs_end));
	if (!last || !r->rs_end)
		return -ENOMEM;
	for (size_t i = s->n; i-- > 0;) {
		const struct rs_row *row = &s->rows[i];
		size_t k = 0;

		while (k < n_last && last[k].where != row->f[RS_WHERE])
			k++;
		if (k == n_last)
			last[n_last++] =
				(struct place_last){ .where = row->f[RS_WHERE],
						     .t_ms = row->t_ms };
		if (row->t_ms == last[k].t_ms)
			r->rs_end[n++] = *row;
	}
	/* back in the file's order */
	for (size_t i = 0; i < n / 2; i++) {
		struct rs_row t = r->rs_end[i];

		r->rs_end[i] = r->rs_end[n - 1 - i];
		r->rs_end[n - 1 - i] = t;
	}
	r->n_rs_end = n;
	for (size_t k = n_last; k-- > 0;)
		if (last[k].t_ms != end &&
		    report_warn(r,
				"%s did not answer the last residency samples: "
				"its copies are as it measured them at %.1f s, "
				"not at the end (%.1f s)",
				rs_name(s, last[k].where),
				(double)last[k].t_ms / 1000,
				(double)end / 1000) < 0)
			return -ENOMEM;
	return 0;
}

/* Whether a row has field f = v. */
static bool has_field(const struct rs_series *s, enum rs_field f, const char *v)
{
	int64_t id = rs_lookup(s, v);

	if (id < 0)
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (s->rows[i].f[f] == (uint32_t)id)
			return true;
	return false;
}

static int set_index(const struct report_run *r, const char *set)
{
	for (size_t i = 0; i < r->n_rs_sets; i++)
		if (strcmp(r->rs_sets[i], set) == 0)
			return (int)i;
	return -1;
}

static void add_set(struct report_run *r, const char *set)
{
	if (set_index(r, set) >= 0 || r->n_rs_sets == REPORT_MAX_SETS ||
	    strlen(set) >= sizeof(r->rs_sets[0]))
		return;
	strcpy(r->rs_sets[r->n_rs_sets++], set);
}

/* shared first, then the private sets in the order of the VMs, then others */
static void collect_sets(struct report_run *r)
{
	const struct rs_series *s = r->rs;
	char name[80];

	if (has_field(s, RS_SET, "shared"))
		add_set(r, "shared");
	for (size_t v = 0; v < r->n_vms; v++) {
		snprintf(name, sizeof(name), "private-%s", r->vms[v].id);
		if (has_field(s, RS_SET, name))
			add_set(r, name);
	}
	for (size_t i = 0; i < s->n; i++)
		add_set(r, fld(s, &s->rows[i], RS_SET));
}

/* A guest's host node ("N0"), from the VM's node in the provenance. */
static void guest_node(const struct report_run *r, const char *where,
		       char *buf, size_t len)
{
	snprintf(buf, len, "?");
	for (size_t v = 0; v < r->n_vms; v++) {
		const struct prov_vm *pv;

		if (strcmp(r->vms[v].name, where))
			continue;
		pv = provenance_find_vm(&r->prov, r->vms[v].id);
		if (pv && pv->node >= 0 && pv->node < 4096)
			snprintf(buf, len, "N%lld", pv->node);
	}
}

/* ---- closure ---- */

/*
 * The cgroup a host source stands for: memcg.SOURCE from the run, else
 * the configured name (matched as the last component of a row's path).
 */
static bool source_cgroup(const struct report_run *r,
			  const struct report_series *s, char *buf, size_t len,
			  bool *ret_by_name)
{
	const struct prov_source *ps =
		provenance_find_source(&r->prov, s->source);
	const char *v = NULL;

	*ret_by_name = false;
	if (ps && ps->memcg && *ps->memcg) {
		snprintf(buf, len, "%s", ps->memcg);
		return true;
	}
	if (s->kind == SRC_VIRTIOFSD) {
		v = r->prov.virtiofsd_cgroup;
	} else if (s->vm) {
		const struct prov_vm *pv = provenance_find_vm(&r->prov, s->vm);

		v = pv ? pv->cgroup : NULL;
	}
	if (!v || !*v)
		return false;
	snprintf(buf, len, "%s", v);
	*ret_by_name = true;
	return true;
}

static bool cgroup_matches(const char *cg, const char *want, bool by_name)
{
	const char *last;

	if (!by_name)
		return rs_cgroup_within(cg, want);
	last = strrchr(cg, '/');
	return last && strcmp(last + 1, want) == 0;
}

static int closure_of(struct report_run *r, const struct report_series *ser,
		      struct report_closure *c)
{
	const struct rs_series *s = r->rs;
	bool by_name = false, total = !strcmp(ser->node, "total");
	/*
	 * the host's root and a guest hold every page of their place, those
	 * whose cgroup could not be read ("?") or was gone too
	 */
	bool whole = ser->kind == SRC_HOST || ser->kind == SRC_GUEST;
	double tol;

	memset(c, 0, sizeof(*c));
	snprintf(c->source, sizeof(c->source), "%s", ser->source);
	snprintf(c->node, sizeof(c->node), "%s", ser->node);
	c->kind = ser->kind;
	snprintf(c->where, sizeof(c->where), "host");
	snprintf(c->cgroup, sizeof(c->cgroup), "/");
	switch (ser->kind) {
	case SRC_HOST:
		break;
	case SRC_VIRTIOFSD:
	case SRC_VM_CGROUP:
		if (!source_cgroup(r, ser, c->cgroup, sizeof(c->cgroup),
				   &by_name))
			return 0;
		break;
	case SRC_GUEST: {
		const char *name = NULL; /* its VM's */

		for (size_t v = 0; ser->vm && !name && v < r->n_vms; v++)
			if (!strcmp(r->vms[v].id, ser->vm))
				name = r->vms[v].name;
		if (!name || !has_field(s, RS_WHERE, name))
			return 0; /* not measured inside */
		snprintf(c->where, sizeof(c->where), "%s", name);
		break;
	}
	default:
		return 0;
	}
	c->pagecache = report_pagecache(ser, ser->n - 1);
	for (size_t i = 0; i < r->n_rs_end; i++) {
		const struct rs_row *row = &r->rs_end[i];
		int k;

		if (strcmp(fld(s, row, RS_WHERE), c->where) ||
		    (!whole && !cgroup_matches(fld(s, row, RS_CGROUP),
					       c->cgroup, by_name)) ||
		    (!total && strcmp(fld(s, row, RS_NODE), c->node)))
			continue;
		c->explained += row->bytes;
		k = set_index(r, fld(s, row, RS_SET));
		if (k >= 0)
			c->by_set[k] += row->bytes;
	}
	c->other = c->pagecache - (int64_t)c->explained;
	tol = REPORT_CLOSURE_TOL * (double)(c->pagecache > 0 ? c->pagecache : 0) +
	      REPORT_CLOSURE_SLACK;
	c->adds_up = (double)c->explained <= (double)c->pagecache + tol;
	return 1;
}

static int compute_closure(struct report_run *r)
{
	r->closure = calloc(r->n_series ? r->n_series : 1, sizeof(*r->closure));
	if (!r->closure)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_series; i++) {
		struct report_closure *c = &r->closure[r->n_closure];

		if (!r->series[i].n || closure_of(r, &r->series[i], c) <= 0)
			continue;
		r->n_closure++;
		if (!c->adds_up &&
		    report_warn(r,
				"closure of %s %s does not add up: the file "
				"sets' %.1f MiB charged to %s%s%s exceed its "
				"page cache (file - shmem) of %.1f MiB by more "
				"than %.0f%% + %.0f MiB",
				c->source, c->node, (double)c->explained / MIB,
				c->where, strcmp(c->where, "host") ? "" : " ",
				strcmp(c->where, "host") ? "" : c->cgroup,
				(double)c->pagecache / MIB,
				REPORT_CLOSURE_TOL * 100,
				REPORT_CLOSURE_SLACK / MIB) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- copies ---- */

enum { PLACE_FILES, PLACE_IMAGE, PLACE_GUEST };

struct place {
	int kind;
	uint32_t where; /* guests */
	char node[16]; /* a guest's host node */
};

/* The places that hold a set at the last sample: host files, image, guests. */
static size_t places_of(const struct report_run *r, const char *set,
			struct place *p, size_t max)
{
	const struct rs_series *s = r->rs;
	size_t n = 0;

	p[n++] = (struct place){ .kind = PLACE_FILES };
	p[n++] = (struct place){ .kind = PLACE_IMAGE };
	for (size_t i = 0; i < r->n_rs_end; i++) {
		const struct rs_row *row = &r->rs_end[i];
		bool seen = false;

		if (strcmp(fld(s, row, RS_SET), set) ||
		    !strcmp(fld(s, row, RS_WHERE), "host"))
			continue;
		for (size_t k = 2; k < n; k++)
			seen |= p[k].where == row->f[RS_WHERE];
		if (seen || n == max)
			continue;
		p[n] = (struct place){ .kind = PLACE_GUEST,
				       .where = row->f[RS_WHERE] };
		guest_node(r, fld(s, row, RS_WHERE), p[n].node,
			   sizeof(p[n].node));
		n++;
	}
	return n;
}

/* The bytes of a set in place p on node ("all": anywhere). */
static uint64_t place_bytes(const struct report_run *r, const char *set,
			    const struct place *p, const char *node)
{
	const struct rs_series *s = r->rs;
	bool all = !strcmp(node, "all");
	uint64_t b = 0;

	if (p->kind == PLACE_GUEST && !all && strcmp(p->node, node))
		return 0;
	for (size_t i = 0; i < r->n_rs_end; i++) {
		const struct rs_row *row = &r->rs_end[i];
		bool host = !strcmp(fld(s, row, RS_WHERE), "host");
		bool image = !strcmp(fld(s, row, RS_PART), "image");

		if (strcmp(fld(s, row, RS_SET), set))
			continue;
		if (p->kind == PLACE_GUEST ? row->f[RS_WHERE] != p->where :
		    !host || image != (p->kind == PLACE_IMAGE))
			continue;
		if (p->kind != PLACE_GUEST && !all &&
		    strcmp(fld(s, row, RS_NODE), node))
			continue;
		b += row->bytes;
	}
	return b;
}

/* The host nodes of the last sample (N0, N1, ... in order), guests' too. */
static size_t copy_nodes(const struct report_run *r, char (*nodes)[16],
			 size_t max)
{
	const struct rs_series *s = r->rs;
	size_t n = 0;

	for (size_t i = 0; i < r->n_rs_end; i++) {
		const struct rs_row *row = &r->rs_end[i];
		char g[16];
		const char *node = g;
		bool seen = false;

		if (!row->bytes)
			continue;
		if (!strcmp(fld(s, row, RS_WHERE), "host"))
			node = fld(s, row, RS_NODE);
		else
			guest_node(r, fld(s, row, RS_WHERE), g, sizeof(g));
		for (size_t k = 0; k < n; k++)
			seen |= !strcmp(nodes[k], node);
		if (!seen && n < max && strlen(node) < sizeof(nodes[0]))
			strcpy(nodes[n++], node);
	}
	/* N0 < N1 < N10, then ? */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			const char *a = nodes[j - 1], *b = nodes[j];
			bool swap = a[0] == 'N' && b[0] == 'N' ?
					    atoi(a + 1) > atoi(b + 1) :
					    a[0] != 'N' && b[0] == 'N';
			char t[16];

			if (!swap)
				break;
			memcpy(t, nodes[j], sizeof(t));
			memcpy(nodes[j], nodes[j - 1], sizeof(t));
			memcpy(nodes[j - 1], t, sizeof(t));
		}
	return n;
}

/*
 * The size of a set of residency.csv ("shared", "private-ID") as the sets
 * table has it; 0 when unknown (a SET:image-rest).
 */
static uint64_t set_size(struct report_run *r, const char *set)
{
	const struct report_set *s =
		!strcmp(set, "shared")		? report_find_set(r, true, "") :
		str_has_prefix(set, "private-") ? report_find_set(r, false, set + 8) :
						  NULL;

	return s ? s->size : 0;
}

int report_residency_copies(struct report_run *r)
{
	if (!r->rs || !r->rs->n)
		return 0;
	char nodes[64][16];
	size_t nn = copy_nodes(r, nodes, 63);

	strcpy(nodes[nn++], "all");
	r->copies = calloc(r->n_rs_sets * nn + 1, sizeof(*r->copies));
	if (!r->copies)
		return -ENOMEM;
	for (size_t k = 0; k < r->n_rs_sets; k++) {
		struct place p[REPORT_MAX_SETS + 2];
		size_t np = places_of(r, r->rs_sets[k], p, ARRAY_SIZE(p));
		uint64_t size = set_size(r, r->rs_sets[k]);

		for (size_t j = 0; j < nn; j++) {
			struct report_copies *c = &r->copies[r->n_copies];
			uint64_t v[ARRAY_SIZE(p)];

			memset(c, 0, sizeof(*c));
			snprintf(c->set, sizeof(c->set), "%s", r->rs_sets[k]);
			snprintf(c->node, sizeof(c->node), "%s", nodes[j]);
			for (size_t i = 0; i < np; i++) {
				v[i] = place_bytes(r, c->set, &p[i], c->node);
				if (p[i].kind == PLACE_IMAGE && size &&
				    v[i] > size)
					v[i] = size;
			}
			qsort(v, np, sizeof(v[0]), report_cmp_desc);
			c->cached = np ? v[0] : 0;
			for (size_t i = 0; i < np && v[i]; i++) {
				c->times[i] = v[i] - (i + 1 < np ? v[i + 1] : 0);
				c->n_places++;
			}
			/* a node where the set is not: no row */
			if (c->cached || !strcmp(c->node, "all"))
				r->n_copies++;
		}
	}
	return 0;
}

/* ---- loading ---- */

int report_residency_load(struct report_run *r, struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("%s/residency.csv", r->dir);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int ret;

	if (!path)
		return -ENOMEM;
	ret = read_full_file(path, 1u << 30, &text, &len);
	if (ret < 0)
		return report_warn(
			r,
			"no residency over time (residency.csv: %s): "
			"no closure, no charts per set",
			strerror(-ret));
	/* results folders from before residency over time */
	if (str_has_prefix(text, RESIDENCY_HEADER "\n") ||
	    str_has_prefix(text, RESIDENCY_HEADER "\r\n"))
		return 0;
	r->rs = calloc(1, sizeof(*r->rs));
	if (!r->rs)
		return -ENOMEM;
	rs_init(r->rs);
	ret = rs_parse(r->rs, path, text, len, err);
	if (ret < 0) {
		report_residency_free(r);
		return ret;
	}
	if (!r->rs->n)
		return report_warn(r, "residency.csv has no samples");
	collect_sets(r);
	if (end_rows(r) < 0 || compute_closure(r) < 0)
		return -ENOMEM;
	return 0;
}

void report_residency_free(struct report_run *r)
{
	if (r->rs)
		rs_free(r->rs);
	free(r->rs);
	free(r->rs_end);
	free(r->closure);
	free(r->copies);
	r->rs = NULL;
	r->rs_end = NULL;
	r->closure = NULL;
	r->copies = NULL;
	r->n_rs_end = r->n_closure = r->n_copies = r->n_rs_sets = 0;
}

bool report_residency_guest(const struct report_run *r, bool shared,
			    const char *vm_id, const char *vm_name,
			    uint64_t *ret)
{
	const struct rs_series *s = r->rs;
	char set[80];
	uint64_t b = 0;
	bool answered = false;

	if (!s || !s->n || !has_field(s, RS_WHERE, vm_name))
		return false;
	snprintf(set, sizeof(set), shared ? "shared" : "private-%s", vm_id);
	for (size_t i = 0; i < r->n_rs_end; i++) {
		const struct rs_row *row = &r->rs_end[i];

		if (strcmp(fld(s, row, RS_WHERE), vm_name))
			continue;
		/* rows of the guest at its last sample: it answered */
		answered = true;
		if (!strcmp(fld(s, row, RS_SET), set))
			b += row->bytes;
	}
	*ret = b;
	return answered;
}

/* ---- closure.csv ---- */

/* NaN without page cache to explain: no share of it, an empty cell */
static double pct(uint64_t part, int64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : NAN;
}

int report_write_closure_csv(FILE *f, const struct report_run *r)
{
	fprintf(f, "%s\n", REPORT_CLOSURE_HEADER);
	for (size_t i = 0; i < r->n_closure; i++) {
		const struct report_closure *c = &r->closure[i];
		char by[REPORT_MAX_SETS * 128] = ""; /* SET=BYTES;... fits */
		char share[32] = "";
		double s = pct(c->explained, c->pagecache);

		for (size_t k = 0; k < r->n_rs_sets; k++)
			if (c->by_set[k])
				str_appendf(by, sizeof(by), ";", "%s=%llu",
					    r->rs_sets[k],
					    (unsigned long long)c->by_set[k]);
		if (!isnan(s))
			snprintf(share, sizeof(share), "%.1f", s);
		fprintf(f, "%s,%s,%s,%s,%s,%lld,%llu,%lld,%s,%s,%s\n",
			c->source, report_kind_name(c->kind), c->where,
			c->cgroup, c->node, (long long)c->pagecache,
			(unsigned long long)c->explained, (long long)c->other,
			share, c->adds_up ? "yes" : "no", by);
	}
	return ferror(f) ? -EIO : 0;
}

int report_save_closure(const struct report_run *r)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if (!r->n_closure)
		return 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	ret = report_write_closure_csv(f, r);
	if (fclose(f) != 0 && ret == 0)
		ret = -EIO;
	return ret < 0 ? ret : results_write(r->dir, "closure.csv", buf);
}

/* ---- the stacked chart of a set ---- */

#define MAX_LAYERS 10

struct layer {
	char label[200];
	bool guest;
	uint32_t where, cgroup, node;
	bool image;
	double *y; /* MiB per sample */
	double peak;
};

static int cmp_layer(const void *a, const void *b)
{
	const struct layer *x = a, *y = b;

	return x->peak < y->peak ? 1 : x->peak > y->peak ? -1 : 0;
}

/* Whether a guest has more than one node among the set's rows. */
static bool guest_nodes(const struct rs_series *s, uint32_t where)
{
	int64_t first = -1;

	for (size_t i = 0; i < s->n; i++) {
		const struct rs_row *row = &s->rows[i];

		if (row->f[RS_WHERE] != where || !row->bytes)
			continue;
		if (first < 0)
			first = row->f[RS_NODE];
		else if (first != row->f[RS_NODE])
			return true;
	}
	return false;
}

static struct layer *find_layer(struct layer *l, size_t n,
				const struct layer *k)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].guest == k->guest && l[i].where == k->where &&
		    l[i].node == k->node &&
		    (k->guest || (l[i].cgroup == k->cgroup &&
				  l[i].image == k->image)))
			return &l[i];
	return NULL;
}

static void free_layers(struct layer *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].y);
	free(l);
}

/*
 * A guest that did not answer in time has no rows at a sample (not "none
 * resident"): its layers there are drawn between its neighbouring
 * samples (held at either end), not dropped to 0.
 */
static void fill_unanswered(const struct rs_series *s, struct layer *l,
			    size_t n, const int64_t *t, size_t nt)
{
	_cleanup_free_ bool *seen = calloc(nt ? nt : 1, sizeof(*seen));

	for (size_t i = 0; seen && i < n; i++) {
		size_t k = 0, prev = SIZE_MAX;

		if (!l[i].guest)
			continue;
		memset(seen, 0, nt * sizeof(*seen));
		for (size_t r = 0; r < s->n; r++) {
			while (k < nt && t[k] < s->rows[r].t_ms)
				k++;
			if (k < nt && s->rows[r].f[RS_WHERE] == l[i].where)
				seen[k] = true;
		}
		for (size_t j = 0; j < nt; j++) {
			size_t next = j;

			if (seen[j]) {
				prev = j;
				continue;
			}
			while (next < nt && !seen[next])
				next++;
			if (prev == SIZE_MAX && next == nt)
				break; /* never answered: nothing to draw */
			if (prev == SIZE_MAX)
				l[i].y[j] = l[i].y[next];
			else if (next == nt)
				l[i].y[j] = l[i].y[prev];
			else
				l[i].y[j] = l[i].y[prev] +
					    (l[i].y[next] - l[i].y[prev]) *
						    (double)(t[j] - t[prev]) /
						    (double)(t[next] - t[prev]);
		}
	}
}

/*
 * The set's layers (host cgroup x node, image apart; a guest, per node
 * when it has several) with their MiB at each sample, biggest first; the
 * ones past MAX_LAYERS summed into the last. 0 with none, or -ENOMEM.
 */
static int set_layers(const struct rs_series *s, const char *set,
		      const int64_t *t, size_t nt, struct layer **ret,
		      size_t *ret_n)
{
	struct layer *l = NULL;
	size_t n = 0, k = 0;
	int64_t set_id = rs_lookup(s, set);

	*ret = NULL;
	*ret_n = 0;
	for (size_t i = 0; i < s->n && set_id >= 0; i++) {
		const struct rs_row *row = &s->rows[i];
		struct layer key = { 0 }, *x;

		while (k < nt && t[k] < row->t_ms)
			k++;
		if (row->f[RS_SET] != (uint32_t)set_id || !row->bytes)
			continue;
		key.guest = strcmp(fld(s, row, RS_WHERE), "host") != 0;
		key.where = row->f[RS_WHERE];
		key.node = row->f[RS_NODE];
		key.cgroup = row->f[RS_CGROUP];
		key.image = !strcmp(fld(s, row, RS_PART), "image");
		x = find_layer(l, n, &key);
		if (!x) {
			x = ARRAY_PUSH(l, n);
			if (!x)
				goto oom;
			*x = key;
			x->y = calloc(nt, sizeof(double));
			if (!x->y)
				goto oom;
			if (key.guest)
				snprintf(x->label, sizeof(x->label),
					 guest_nodes(s, key.where) ?
						 "%s (guest) %s" :
						 "%s (guest)",
					 fld(s, row, RS_WHERE),
					 fld(s, row, RS_NODE));
			else
				snprintf(x->label, sizeof(x->label),
					 "host %s %s%s", fld(s, row, RS_CGROUP),
					 fld(s, row, RS_NODE),
					 key.image ? " (image)" : "");
		}
		x->y[k] += (double)row->bytes / MIB;
		if (x->y[k] > x->peak)
			x->peak = x->y[k];
	}
	fill_unanswered(s, l, n, t, nt);
	if (n > 1) /* none: l is NULL, which qsort may not be given */
		qsort(l, n, sizeof(*l), cmp_layer);
	if (n > MAX_LAYERS) {
		struct layer *rest = &l[MAX_LAYERS - 1];

		snprintf(rest->label, sizeof(rest->label), "%zu more places",
			 n - MAX_LAYERS + 1);
		for (size_t i = MAX_LAYERS; i < n; i++) {
			for (size_t j = 0; j < nt; j++)
				rest->y[j] += l[i].y[j];
			free(l[i].y);
		}
		n = MAX_LAYERS;
	}
	*ret = l;
	*ret_n = n;
	return 0;
oom:
	free_layers(l, n);
	return -ENOMEM;
}

/* The distinct elapsed_ms of the series. */
static int64_t *sample_times(const struct rs_series *s, size_t *ret_n)
{
	int64_t *t = malloc((s->n_samples ? s->n_samples : 1) * sizeof(*t));
	size_t n = 0;

	if (!t)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (!n || t[n - 1] != s->rows[i].t_ms)
			t[n++] = s->rows[i].t_ms;
	*ret_n = n;
	return t;
}

static void stacked_chart(FILE *f, const char *title, const char *set,
			  const struct layer *l, size_t nl, const int64_t *t,
			  size_t nt)
{
	const double W = 720, L = 64, R = 250, T = 28, B = 40;
	double H = 300, pw = W - L - R, ph, xmax, ymax = 0;
	double *base = calloc(nt, sizeof(double));

	if (!base)
		return;
	if (T + 12 + (double)nl * 18 + B > H)
		H = T + 12 + (double)nl * 18 + B;
	ph = H - T - B;
	for (size_t j = 0; j < nt; j++) {
		double sum = 0;

		for (size_t i = 0; i < nl; i++)
			sum += l[i].y[j];
		if (sum > ymax)
			ymax = sum;
	}
	xmax = (double)t[nt - 1] / 1000.0;
	report_time_chart(f, "chart stacked", title, W, H, L, T, pw, ph, &xmax,
			  &ymax);
	for (size_t i = 0; i < nl; i++) {
		const char *col = report_color(i);

		svg_html(f, "<path class=\"layer\" data-set=\"", set,
			 "\" data-place=\"");
		svg_escape_html(f, l[i].label);
		fprintf(f, "\" fill=\"%s\" d=\"", col);
		/* the top edge forward, the bottom edge back */
		for (size_t j = 0; j < nt; j++) {
			double x = L + (double)t[j] / 1000.0 / xmax * pw;
			double y = T + ph - (base[j] + l[i].y[j]) / ymax * ph;

			fprintf(f, "%s%.1f %.1f", j ? " L" : "M", x, y);
			if (nt == 1)
				fprintf(f, " L%.1f %.1f", L + pw, y);
		}
		for (size_t j = nt; j-- > 0;) {
			double x = L + (double)t[j] / 1000.0 / xmax * pw;
			double y = T + ph - base[j] / ymax * ph;

			if (nt == 1)
				fprintf(f, " L%.1f %.1f", L + pw, y);
			fprintf(f, " L%.1f %.1f", x, y);
		}
		svg_html(f, " Z\"><title>", l[i].label, NULL);
		fprintf(f, ": %.1f MiB at the end</title></path>\n",
			l[i].y[nt - 1]);
		for (size_t j = 0; j < nt; j++)
			base[j] += l[i].y[j];
		fprintf(f,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" "
			"height=\"10\" fill=\"%s\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" class=\"lg\">",
			L + pw + 10, T + 6 + (double)i * 18, col, L + pw + 26,
			T + 15 + (double)i * 18);
		svg_html(f, NULL, l[i].label, "</text>\n");
	}
	fprintf(f,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		"class=\"frame\"/>\n</svg>\n",
		L, T, pw, ph);
	free(base);
}

static void html_set_charts(FILE *f, const struct report_run *r)
{
	size_t nt = 0;
	_cleanup_free_ int64_t *t = sample_times(r->rs, &nt);

	if (!nt && t)
		return;
	fprintf(f, "<h3>Where each set's bytes sat over time</h3>\n"
		   "<p>Resident bytes of each file set (residency.csv, a "
		   "sample every %s): on the host per memory cgroup and "
		   "NUMA node its pages are charged to and sit on, and "
		   "inside each guest as the guest measured them (a guest "
		   "that did not answer a sample in time is drawn there "
		   "between its neighbouring samples).</p>\n",
		   nt > 1 ? "residency_interval" : "run");
	for (size_t k = 0; k < r->n_rs_sets; k++) {
		size_t nl = 0;
		struct layer *l = NULL;
		char title[160];
		int e;

		snprintf(title, sizeof(title), "Set %s: resident bytes by place",
			 r->rs_sets[k]);
		e = t ? set_layers(r->rs, r->rs_sets[k], t, nt, &l, &nl) :
			-ENOMEM;
		if (!e && nl) {
			stacked_chart(f, title, r->rs_sets[k], l, nl, t, nt);
		} else {
			svg_html(f, "<p>Set ", r->rs_sets[k], NULL);
			fprintf(f, ": %s.</p>\n",
				e ? "its chart is left out (out of memory)" :
				    "nothing resident in any sample");
		}
		free_layers(l, nl);
	}
}

/* ---- tables ---- */

/* The copies of each set per node: HTML, or text. */
static void copies(FILE *f, const struct report_run *r, bool html)
{
	size_t mp = 2; /* the most places of a row, 2 at least */
	int sw = 14; /* the set column: its longest name */
	char b[32];

	if (!r->n_copies)
		return;
	for (size_t i = 0; i < r->n_copies; i++) {
		if (r->copies[i].n_places > mp)
			mp = r->copies[i].n_places;
		if ((int)strlen(r->copies[i].set) > sw)
			sw = (int)strlen(r->copies[i].set);
	}
	if (html)
		fprintf(f, "<h3>Cached once, twice, n times: each set at the "
			   "end, per node</h3>\n<table class=\"copies\"><tr>"
			   "<th class=\"l\">set</th><th class=\"l\">node</th>"
			   "<th>copies</th><th>cached</th>");
	else
		fprintf(f,
			"\ncopies at the end, MiB (per host node; all: "
			"anywhere)\n%-*s %-5s %6s %10s",
			sw, "set", "node", "copies", "cached");
	for (size_t k = 0; k < mp; k++) {
		snprintf(b, sizeof(b), "%zu times", k + 1);
		fprintf(f, html ? "<th>%s</th>" : " %10s",
			k == 0 ? "once" :
			k == 1 ? "twice" :
				 b);
	}
	fputs(html ? "</tr>\n" : "\n", f);
	for (size_t i = 0; i < r->n_copies; i++) {
		const struct report_copies *c = &r->copies[i];

		if (html) {
			svg_html(f, "<tr><td class=\"l\">", c->set,
				 "</td><td class=\"l\">");
			svg_escape_html(f, c->node);
			fprintf(f, "</td><td>%zu</td><td>%.1f</td>",
				c->n_places, (double)c->cached / MIB);
		} else {
			fprintf(f, "%-*s %-5s %6zu %10.1f", sw, c->set, c->node,
				c->n_places, (double)c->cached / MIB);
		}
		for (size_t k = 0; k < mp; k++)
			fprintf(f, html ? "<td>%.1f</td>" : " %10.1f",
				(double)c->times[k] / MIB);
		fputs(html ? "</tr>\n" : "\n", f);
	}
	if (html)
		fprintf(f,
			"</table>\n<p>MiB at the last sample of residency.csv. "
			"The places that can hold a copy: the host's files, the "
			"host's virtio-pmem image and each guest; a guest's copy "
			"is on its VM's node. With the copies sorted c1 &ge; c2 "
			"&ge; ..., a smaller copy is taken to be part of each "
			"larger one (a guest reads through the host's cache): "
			"cached = c1, cached k times = ck - c(k+1). Node "
			"<em>all</em>: the copies wherever they sit.</p>\n");
}

/* The closure of each source and node: HTML, or text. */
static void closure(FILE *f, const struct report_run *r, bool html)
{
	if (!r->n_closure)
		return;
	if (html)
		fprintf(f,
			"<h3>Closure: how much of each page cache the file sets "
			"explain</h3>\n<table class=\"closure\"><tr>"
			"<th class=\"l\">source</th><th class=\"l\">cgroup</th>"
			"<th class=\"l\">node</th><th>page cache</th>"
			"<th>file sets</th><th>other</th><th>explained %%</th>"
			"<th class=\"l\">by set</th><th class=\"l\">adds up</th>"
			"</tr>\n");
	else
		fprintf(f,
			"\nclosure: page cache explained by the file sets, "
			"MiB\n%-16s %-6s %10s %10s %10s %10s %s\n",
			"source", "node", "pagecache", "file sets", "other",
			"explained%", "adds up");
	for (size_t i = 0; i < r->n_closure; i++) {
		const struct report_closure *c = &r->closure[i];
		const double v[] = { (double)c->pagecache / MIB,
				     (double)c->explained / MIB,
				     (double)c->other / MIB,
				     pct(c->explained, c->pagecache) };
		bool first = true;

		if (html) {
			fprintf(f, "<tr%s><td class=\"l\">",
				c->adds_up ? "" : " class=\"warn\"");
			svg_html(f, NULL, c->source, "</td><td class=\"l\">");
			if (strcmp(c->where, "host")) {
				svg_escape_html(f, c->where);
				fputc(':', f);
			}
			svg_html(f, NULL, c->cgroup, "</td><td class=\"l\">");
			svg_html(f, NULL, c->node, "</td>");
		} else {
			fprintf(f, "%-16s %-6s", c->source, c->node);
		}
		for (size_t k = 0; k < ARRAY_SIZE(v); k++)
			if (isnan(v[k]))
				fprintf(f, html ? "<td>&ndash;</td>" : " %10s",
					"-");
			else
				fprintf(f, html ? "<td>%.1f</td>" : " %10.1f",
					v[k]);
		if (html)
			fprintf(f, "<td class=\"l\">");
		for (size_t k = 0; html && k < r->n_rs_sets; k++) {
			if (!c->by_set[k])
				continue;
			fprintf(f, "%s", first ? "" : ", ");
			svg_escape_html(f, r->rs_sets[k]);
			fprintf(f, " %.1f", (double)c->by_set[k] / MIB);
			first = false;
		}
		fprintf(f,
			html ? "</td><td class=\"l\">%s</td></tr>\n" : " %s\n",
			c->adds_up ? "yes" : "NO");
	}
	if (html)
		fprintf(f,
			"</table>\n<p>MiB. Page cache: <code>file - shmem</code> "
			"of the source at the last tick of stats.csv; file sets: "
			"the sets' resident bytes at the last sample of "
			"residency.csv charged to that cgroup or below it (a "
			"guest: measured inside it); other: the rest (logs, "
			"programs, other files). It does not add up when the "
			"sets exceed the page cache by more than %.0f%% + %.0f "
			"MiB (closure.csv).</p>\n",
			REPORT_CLOSURE_TOL * 100, REPORT_CLOSURE_SLACK / MIB);
}

void report_residency_write(FILE *f, const struct report_run *r, bool html)
{
	if (!r->rs || !r->rs->n)
		return;
	if (html)
		html_set_charts(f, r);
	copies(f, r, html);
	closure(f, r, html);
}
