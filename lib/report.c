// SPDX-License-Identifier: MIT
/*
 * Loading a results folder and writing its report: report.html with
 * inline CSS and SVG charts, and summary.txt.
 */
#include "report.h"
#include "statedir.h"
#include "array.h"
#include "report_priv.h"
#include "csvread.h"
#include "fiojob.h"
#include "fioresult.h"
#include "svg.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#define MIB (1024.0 * 1024.0)

static const char *const kind_names[] = {
	[SRC_HOST] = "host",	       [SRC_VIRTIOFSD] = "virtiofsd",
	[SRC_VM_CGROUP] = "vm-cgroup", [SRC_GUEST] = "guest",
	[SRC_OTHER] = "other",
};

const char *report_kind_name(enum source_kind k)
{
	return (unsigned)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "other";
}

int64_t report_pagecache(const struct report_series *s, size_t i)
{
	/* v1 root: its own file is next to nothing, the tree's is there */
	if (s->kind == SRC_HOST && s->has_hfile)
		return s->hfile[i];
	return s->file[i] - (s->has_shmem ? s->shmem[i] : 0);
}

int report_warn(struct report_run *r, const char *fmt, ...)
{
	char **nw;
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return -ENOMEM;
	nw = ARRAY_PUSH(r->warnings, r->n_warnings);
	if (!nw) {
		free(s);
		return -ENOMEM;
	}
	*nw = s;
	return 0;
}

/* --- the VMs and the sources --- */

/* The VM with that id (or name); NULL when none. */
static struct report_vm *find_vm(struct report_run *r, const char *key,
				 bool by_name)
{
	for (size_t i = 0; i < r->n_vms; i++)
		if (strcmp(by_name ? r->vms[i].name : r->vms[i].id, key) == 0)
			return &r->vms[i];
	return NULL;
}

static struct report_vm *add_vm(struct report_run *r, const char *id)
{
	struct report_vm *v = find_vm(r, id, false);

	if (v)
		return v;
	if (r->n_vms == ARRAY_SIZE(r->vms) || strlen(id) >= sizeof(v->id))
		return NULL;
	v = &r->vms[r->n_vms++];
	memset(v, 0, sizeof(*v));
	strcpy(v->id, id);
	snprintf(v->name, sizeof(v->name), "vm%s", id);
	return v;
}

/* The run's VMs (listed in the provenance) and their names. */
static void load_vms(struct report_run *r)
{
	for (size_t i = 0; i < r->prov.n_vms; i++) {
		const struct prov_vm *pv = &r->prov.vms[i];
		struct report_vm *v;

		if (!pv->listed)
			continue;
		v = add_vm(r, pv->id);
		if (v && pv->name)
			snprintf(v->name, sizeof(v->name), "%s", pv->name);
	}
}

/*
 * "source.NAME = host | virtiofsd | vm-cgroup ID | guest ID" in the
 * provenance; without it, the names daxlab run gives: host, virtiofsd,
 * NAME-cg and NAME of each VM.
 */
static void classify(struct report_run *r, struct report_series *s)
{
	const struct prov_source *ps =
		provenance_find_source(&r->prov, s->source);
	struct report_vm *vm;
	size_t len;

	if (ps && ps->kind) {
		for (size_t k = 0; k < ARRAY_SIZE(kind_names); k++)
			if (strcmp(ps->kind, kind_names[k]) == 0)
				s->kind = (enum source_kind)k;
		if ((s->kind == SRC_VM_CGROUP || s->kind == SRC_GUEST) &&
		    ps->vm && *ps->vm) {
			add_vm(r, ps->vm);
			s->vm = strdup(ps->vm);
		}
		return;
	}
	s->kind = SRC_OTHER;
	for (int k = SRC_HOST; k <= SRC_VIRTIOFSD; k++)
		if (strcmp(s->source, kind_names[k]) == 0) {
			s->kind = (enum source_kind)k;
			return;
		}
	len = strlen(s->source);
	if (len > 3 && strcmp(s->source + len - 3, "-cg") == 0) {
		char name[65];

		snprintf(name, sizeof(name), "%.*s", (int)(len - 3), s->source);
		vm = find_vm(r, name, true);
		s->kind = SRC_VM_CGROUP;
		if (vm)
			s->vm = strdup(vm->id);
		else if (str_has_prefix(name, "vm") && name[2])
			s->vm = strdup(name + 2);
		if (s->vm)
			add_vm(r, s->vm);
		return;
	}
	vm = find_vm(r, s->source, true);
	if (!vm && str_has_prefix(s->source, "vm") && s->source[2] &&
	    isdigit((unsigned char)s->source[2]))
		vm = add_vm(r, s->source + 2);
	if (vm) {
		s->kind = SRC_GUEST;
		s->vm = strdup(vm->id);
	}
}

/* --- the stats CSV --- */

struct csvload_ctx {
	struct report_run *r;
	struct report_series *last; /* cache for the common case */
	struct csvread *cr;
	int id_file, id_shmem, id_hfile;
};

static struct report_series *get_series(struct csvload_ctx *x, const char *src,
					const char *node)
{
	struct report_run *r = x->r;
	struct report_series *s;

	if (x->last && strcmp(x->last->source, src) == 0 &&
	    strcmp(x->last->node, node) == 0)
		return x->last;
	s = (struct report_series *)report_find_series(r, src, node);
	if (s)
		return x->last = s;
	s = ARRAY_PUSH(r->series, r->n_series);
	if (!s)
		return NULL;
	s->source = strdup(src);
	s->node = strdup(node);
	if (!s->source || !s->node) {
		free(s->source);
		free(s->node);
		r->n_series--;
		return NULL;
	}
	x->last = NULL;
	return s;
}

static int series_point(struct report_series *s, int64_t t)
{
	int64_t **cols[] = { &s->t_ms, &s->file, &s->shmem, &s->hfile };
	size_t cap = s->n < s->cap ? s->cap : s->cap ? s->cap * 2 : 64;

	if (s->n && s->t_ms[s->n - 1] == t)
		return 0;
	/* a point carries the last values until the tick gives new ones */
	for (size_t k = 0; k < ARRAY_SIZE(cols); k++) {
		int64_t *a = *cols[k];

		if (cap != s->cap) {
			a = realloc(a, cap * sizeof(*a));
			if (!a)
				return -ENOMEM;
			*cols[k] = a;
		}
		a[s->n] = s->n ? a[s->n - 1] : 0;
	}
	s->cap = cap;
	s->t_ms[s->n++] = t;
	return 0;
}

static int on_row(const struct csv_row *row, void *ud)
{
	struct csvload_ctx *x = ud;
	struct report_run *r = x->r;
	struct report_series *s;
	int stat = (int)row->stat;

	s = get_series(x, csvread_name(x->cr, CSV_SOURCE, row->source),
		       csvread_name(x->cr, CSV_NODE, row->node));
	if (!s || series_point(s, row->elapsed_ms) < 0)
		return -ENOMEM;
	if (stat == x->id_file) {
		s->file[s->n - 1] = row->value;
	} else if (stat == x->id_hfile) {
		s->hfile[s->n - 1] = row->value;
		s->has_hfile = true;
	} else if (stat == x->id_shmem) {
		s->shmem[s->n - 1] = row->value;
		s->has_shmem = true;
	}
	if (row->elapsed_ms > r->duration_ms)
		r->duration_ms = row->elapsed_ms;
	return 0;
}

/* The file, shmem and hierarchical_file series of stats.csv (csvread). */
static int load_csv(struct report_run *r, const char *path, struct error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct csvload_ctx x = { .r = r };
	struct stat st;
	int k;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!st.st_size)
		return -ENODATA; /* a monitor that never wrote its header */
	k = csvread_new(path, fd, 0, (uint64_t)st.st_size, &x.cr);
	if (k < 0)
		return k;
	x.id_file = csvread_want(x.cr, "file");
	x.id_shmem = csvread_want(x.cr, "shmem");
	x.id_hfile = csvread_want(x.cr, "hierarchical_file");
	if (x.id_file < 0 || x.id_shmem < 0 || x.id_hfile < 0) {
		csvread_free(x.cr);
		return -ENOMEM;
	}
	k = csvread_run(x.cr, on_row, &x);
	if (k < 0 && *csvread_error(x.cr))
		err_set(err, "%s", csvread_error(x.cr));
	/* a running run's monitor is writing it */
	if (k >= 0 && csvread_partial_line(x.cr) &&
	    r->status != RESULTS_RUNNING) {
		k = report_warn(
			r,
			"stats.csv ends in the middle of line %llu: the monitor was cut short",
			(unsigned long long)csvread_partial_line(x.cr));
		if (k == 0)
			r->stats_cut = r->warnings[r->n_warnings - 1];
	}
	csvread_free(x.cr);
	return k;
}

const struct report_series *report_find_series(const struct report_run *r,
					       const char *source,
					       const char *node)
{
	for (size_t i = 0; i < r->n_series; i++)
		if (strcmp(r->series[i].source, source) == 0 &&
		    strcmp(r->series[i].node, node) == 0)
			return &r->series[i];
	return NULL;
}

bool report_growth(const struct report_run *r, const char *source, int64_t *ret)
{
	const struct report_series *s = report_find_series(r, source, "total");

	if (!s || !s->n)
		return false;
	*ret = report_pagecache(s, s->n - 1) - report_pagecache(s, 0);
	return true;
}

/* --- accounting --- */

int report_cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static void set_split(struct report_set *s, size_t n_vms)
{
	uint64_t c[17];
	size_t n = 0;

	c[n++] = s->host;
	for (size_t i = 0; i < n_vms && i < 16; i++)
		c[n++] = s->guest[i];
	qsort(c, n, sizeof(c[0]), report_cmp_desc);
	s->cached = c[0];
	s->twice = n > 1 ? c[1] : 0;
	s->once = s->cached - s->twice;
	s->extra = 0;
	for (size_t i = 1; i < n; i++)
		s->extra += c[i];
}

struct report_set *report_find_set(struct report_run *r, bool shared,
				   const char *vm)
{
	for (size_t i = 0; i < r->n_sets; i++)
		if (r->sets[i].shared == shared &&
		    strcmp(r->sets[i].vm, vm) == 0)
			return &r->sets[i];
	return NULL;
}

static struct report_set *add_set(struct report_run *r, bool shared,
				  const char *vm)
{
	struct report_set *s = report_find_set(r, shared, vm);

	if (s)
		return s;
	s = ARRAY_PUSH(r->sets, r->n_sets);
	if (!s)
		return NULL;
	s->shared = shared;
	snprintf(s->vm, sizeof(s->vm), "%s", vm);
	/* the shared set's vm is "" */
	snprintf(s->name, sizeof(s->name), "%s%s",
		 shared ? "shared" : "private vm ", vm);
	return s;
}

/* Every private share of vm was mounted with DAX there (one at least). */
static bool private_dax(const struct provenance *p, const char *vm)
{
	bool any = false;

	for (size_t i = 0; i < p->n_shares; i++) {
		const struct prov_share *s = &p->shares[i];

		/* a private share's data lives per VM */
		if (!s->n_places || !s->places[0].vm)
			continue;
		for (size_t j = 0; j < s->n_mounts; j++) {
			if (!s->mounts[j].vm || strcmp(s->mounts[j].vm, vm))
				continue;
			if (s->mounts[j].dax != PROV_YES)
				return false;
			any = true;
		}
	}
	return any;
}

static int account(struct report_run *r)
{
	struct report_set *shared;

	/* host copies from residency.csv; the image wins for the shared set */
	for (size_t i = 0; i < r->n_res; i++) {
		const struct residency_row *row = &r->res[i];
		bool is_shared = strcmp(row->set, "shared") == 0;
		bool image = strcmp(row->via, "image") == 0;
		struct report_set *s;

		if (strcmp(row->node, "total") != 0)
			continue;
		s = add_set(r, is_shared, is_shared ? "" : row->vm);
		if (!s)
			return -ENOMEM;
		/* the files give the size, the image one when they do not */
		if (!image || !s->size)
			s->size = row->size;
		if (image || strcmp(s->host_via, "image") != 0) {
			s->host = row->resident;
			snprintf(s->host_via, sizeof(s->host_via), "%s",
				 row->via);
		}
		if (!is_shared)
			add_vm(r, row->vm);
	}
	shared = report_find_set(r, true, "");

	/*
	 * guest copies: the growth of its page cache (stats.csv), private
	 * set first, where the guest has a series; what it measured inside
	 * wins, with or without one
	 */
	for (size_t v = 0; v < r->n_vms && v < 16; v++) {
		struct report_vm *vm = &r->vms[v];
		struct report_set *priv = report_find_set(r, false, vm->id);
		const struct prov_vm *pv = provenance_find_vm(&r->prov, vm->id);
		bool dax = pv && pv->shared_dax == PROV_YES;
		bool pdax = private_dax(&r->prov, vm->id);
		uint64_t growth = 0, to_priv = 0;

		if (vm->have_guest && vm->guest_last > vm->guest_first)
			growth = (uint64_t)(vm->guest_last - vm->guest_first);
		/* under DAX the guest caches none of it */
		if (priv && !pdax)
			to_priv = growth < priv->size ? growth : priv->size;
		if (priv) {
			priv->guest[v] = to_priv;
			priv->dax[v] = pdax;
		}
		if (shared) {
			uint64_t rest = growth - to_priv;

			shared->dax[v] = dax;
			if (!dax)
				shared->guest[v] = rest < shared->size ?
							   rest :
							   shared->size;
		}
		/* measured inside the guest, where it was (residency.csv) */
		for (size_t i = 0; i < r->n_sets; i++) {
			struct report_set *s = &r->sets[i];
			uint64_t b;

			if ((s->shared || strcmp(s->vm, vm->id) == 0) &&
			    report_residency_guest(r, s->shared, vm->id,
						   vm->name, &b))
				s->guest[v] = b;
		}
	}
	for (size_t i = 0; i < r->n_sets; i++) {
		struct report_set *s = &r->sets[i];

		/* an image holds metadata too: no more than the set's size */
		if (s->size && s->host > s->size)
			s->host = s->size;
		set_split(s, r->n_vms);
	}
	return 0;
}

/* --- fio --- */

/* fio rows by VM (the run's order), then as fio gave them. */
static int fio_rank(struct report_run *r, const char *vm)
{
	const struct report_vm *v = find_vm(r, vm, true);

	return v ? (int)(v - r->vms) : (int)r->n_vms;
}

static void sort_fio(struct report_run *r)
{
	/* insertion sort: a few dozen rows, and it is stable */
	for (size_t i = 1; i < r->n_fio; i++) {
		struct report_fio x = r->fio[i];
		int k = fio_rank(r, x.vm);
		size_t j = i;

		while (j > 0 && fio_rank(r, r->fio[j - 1].vm) > k) {
			r->fio[j] = r->fio[j - 1];
			j--;
		}
		r->fio[j] = x;
	}
}

static void load_fio(struct report_run *r)
{
	_cleanup_free_ char *path = strdup_printf("%s/fio.json", r->dir);
	_cleanup_free_ char *jpath = strdup_printf("%s/fio.job", r->dir);
	_cleanup_free_ char *text = NULL, *job = NULL;
	struct fiojob_section sec[32];
	int nsec = 0;
	unsigned wsum = 0;
	struct fio_result *fr = NULL;
	int ret;

	if (!path || !jpath)
		return;
	ret = read_full_file(path, 256u << 20, &text, NULL);
	if (ret < 0) {
		report_warn(r, "no fio results (fio.json: %s)", strerror(-ret));
		return;
	}
	if (fioresult_parse(text, &fr) < 0) {
		report_warn(r, "fio.json holds no fio results");
		return;
	}
	if (read_full_file(jpath, 1u << 20, &job, NULL) == 0) {
		nsec = fiojob_parse_flows(job, sec, ARRAY_SIZE(sec));
		for (int i = 0; i < nsec; i++)
			wsum += sec[i].flow;
	}
	r->fio = calloc(fr->n, sizeof(*r->fio));
	if (!r->fio) {
		fioresult_free(fr);
		return;
	}
	for (size_t i = 0; i < fr->n; i++) {
		const struct fio_jobres *j = &fr->jobs[i];
		struct report_fio *o = &r->fio[r->n_fio++];
		uint64_t host_ios = fioresult_host_ios(fr, j->host);
		const char *port = strrchr(j->host, ':');
		char hname[128], id[65]; /* valid_name() */

		snprintf(hname, sizeof(hname), "%.*s",
			 port ? (int)(port - j->host) : (int)strlen(j->host),
			 j->host);
		snprintf(o->vm, sizeof(o->vm), "%s", j->host);
		if (!statedir_fio_sock_vm(j->host, id, sizeof(id)))
			id[0] = '\0';
		/*
		 * The VM whose fio.sock this is; in a run of an older daxlab,
		 * whose fio port or name
		 */
		for (size_t v = 0; v < r->n_vms; v++) {
			const struct prov_vm *pv =
				provenance_find_vm(&r->prov, r->vms[v].id);
			char p[32] = "";

			if (pv && pv->fio_port != PROV_UNSET)
				snprintf(p, sizeof(p), "%lld", pv->fio_port);
			if (!strcmp(id, r->vms[v].id) ||
			    (port && *p && strcmp(p, port + 1) == 0) ||
			    strcmp(r->vms[v].name, hname) == 0) {
				snprintf(o->vm, sizeof(o->vm), "%s",
					 r->vms[v].name);
				break;
			}
		}
		snprintf(o->job, sizeof(o->job), "%s", j->name);
		o->ios = j->ios;
		o->bytes = j->read_bytes;
		o->iops = j->iops;
		o->mean_ns = j->mean_ns;
		o->p50_ns = j->p50_ns;
		o->p99_ns = j->p99_ns;
		o->achieved_pct =
			host_ios ? 100.0 * (double)j->ios / (double)host_ios :
				   0;
		o->asked_pct = -1;
		for (int s = 0; s < nsec && wsum; s++)
			if (strcmp(sec[s].name, j->name) == 0)
				o->asked_pct = 100.0 * sec[s].flow / wsum;
	}
	fioresult_free(fr);
	sort_fio(r);
}

/* --- loading --- */

static int load_residency(struct report_run *r, struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("%s/residency-end.csv", r->dir);
	_cleanup_free_ char *text = NULL;
	int ret;

	if (!path)
		return -ENOMEM;
	ret = read_full_file(path, 16u << 20, &text, NULL);
	if (ret == -ENOENT) {
		/* results folders before residency over time */
		free(path);
		path = strdup_printf("%s/residency.csv", r->dir);
		if (!path)
			return -ENOMEM;
		ret = read_full_file(path, 16u << 20, &text, NULL);
		/* today's residency.csv is the time series, not this table */
		if (ret == 0 && !str_has_prefix(text, RESIDENCY_HEADER "\n"))
			ret = -ENOENT;
	}
	if (ret < 0)
		return report_warn(r,
				   "no host residency of the file sets "
				   "(residency-end.csv: %s)",
				   strerror(-ret));
	return residency_parse(path, text, &r->res, &r->n_res, err);
}

static void vm_values(struct report_run *r)
{
	for (size_t i = 0; i < r->n_series; i++) {
		struct report_series *s = &r->series[i];
		struct report_vm *vm;

		if (!s->vm || s->kind != SRC_GUEST ||
		    strcmp(s->node, "total") != 0 || !s->n)
			continue;
		vm = find_vm(r, s->vm, false);
		if (!vm)
			continue;
		vm->have_guest = true;
		vm->guest_first = report_pagecache(s, 0);
		vm->guest_last = report_pagecache(s, s->n - 1);
	}
}

int report_load(const char *dir, struct report_run **ret, struct error *err)
{
	struct report_run *r;
	_cleanup_free_ char *csv = NULL, *copy = NULL;
	struct error perr = { 0 };
	struct stat sb;
	int st, pst;
	char *base;

	if (stat(dir, &sb) < 0)
		return err_fail(err, -errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return err_fail(err, -ENOTDIR, "%s: not a results folder", dir);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->dir = strdup(dir);
	copy = strdup(dir);
	if (!r->dir || !copy)
		goto oom;
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	base = strrchr(copy, '/');
	r->name = strdup(base ? base + 1 : copy);
	csv = strdup_printf("%s/stats.csv", dir);
	if (!r->name || !csv)
		goto oom;

	st = results_get_status(dir, &r->status, &r->reason);
	pst = provenance_read(dir, &r->prov, &perr);
	if (st == -ENOENT && pst == -ENOENT) {
		err_set(err,
			"%s: not a results folder (no status, no "
			"provenance.txt)",
			dir);
		st = -ENOENT;
		goto fail;
	}
	if (st < 0)
		report_warn(r, "status: %s", strerror(-st));
	if (pst == -ENOENT)
		report_warn(r, "provenance.txt: %s", strerror(-pst));
	else if (pst < 0)
		report_warn(r, "%s", perr.msg);
	if (r->prov.mm_reclaim && strcmp(r->prov.mm_reclaim, "none") != 0)
		report_warn(
			r,
			"the host's kernel paged out or moved memory on its own during this run (%s): the residency figures count that",
			r->prov.mm_reclaim);
	load_vms(r);

	st = load_csv(r, csv, err);
	if (st == -EBADMSG)
		goto fail;
	if (st == -ENOMEM)
		goto oom;
	if (st < 0) {
		if (report_warn(r, "no stats (stats.csv: %s)", strerror(-st)) <
		    0)
			goto oom;
		r->stats_cut = r->warnings[r->n_warnings - 1];
	}
	for (size_t i = 0; i < r->n_series; i++)
		classify(r, &r->series[i]);
	vm_values(r);

	st = load_residency(r, err);
	if (st == -EBADMSG)
		goto fail;
	load_fio(r);
	st = report_residency_load(r, err);
	if (st == -EBADMSG)
		goto fail;
	if (st < 0 || account(r) < 0 || report_residency_copies(r) < 0)
		goto oom;
	*ret = r;
	return 0;
oom:
	st = -ENOMEM;
fail:
	report_run_free(r);
	return st;
}

void report_run_free(struct report_run *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_series; i++) {
		struct report_series *s = &r->series[i];

		free(s->source);
		free(s->node);
		free(s->vm);
		free(s->t_ms);
		free(s->file);
		free(s->shmem);
		free(s->hfile);
	}
	free(r->series);
	for (size_t i = 0; i < r->n_warnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	provenance_free(&r->prov);
	free(r->res);
	free(r->sets);
	free(r->fio);
	report_residency_free(r);
	free(r->dir);
	free(r->name);
	free(r->reason);
	free(r);
}

/* --- writing: helpers --- */

/* The nodes the series of a run have, N0, N1, ... then total. */
static size_t run_nodes(const struct report_run *r, const char **ret,
			size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_series; i++) {
		const char *node = r->series[i].node;
		bool seen = false;

		if (strcmp(node, "total") == 0)
			continue;
		for (size_t j = 0; j < n; j++)
			if (strcmp(ret[j], node) == 0)
				seen = true;
		if (!seen && n + 1 < max)
			ret[n++] = node;
	}
	ret[n++] = "total";
	return n;
}

/* The sources of a run in file order, one entry each. */
static size_t run_sources(const struct report_run *r,
			  const struct report_series **ret, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_series && n < max; i++) {
		bool seen = false;

		for (size_t j = 0; j < n; j++)
			if (strcmp(ret[j]->source, r->series[i].source) == 0)
				seen = true;
		if (!seen)
			ret[n++] = &r->series[i];
	}
	return n;
}

/*
 * svg_color()'s eight and two more: not svg_color() itself, whose
 * ninth colour (in `stats compare --plot`) is its first again.
 */
static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
	"#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
};

const char *report_color(size_t i)
{
	return palette[i % ARRAY_SIZE(palette)];
}

/* An inline <svg> chart W x H with its title, for the report's CSS. */
static void chart_begin(FILE *f, const char *cls, double w, double h,
			const char *title, double title_x)
{
	fprintf(f,
		"<svg class=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
		"viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" "
		"role=\"img\"><title>",
		cls, w, h, w, h);
	svg_escape_html(f, title);
	fprintf(f, "</title>\n<text x=\"%.0f\" y=\"18\" class=\"ct\">",
		title_x);
	svg_html(f, NULL, title, "</text>\n");
}

/* An axis from 0: max rounded up to a step for about 5 ticks. */
static double axis_max(double max, double *ret_step)
{
	if (max <= 0)
		max = 1;
	*ret_step = svg_nice_step(max, 5);
	return ceil(max / *ret_step) * *ret_step;
}

/* A grid line or tick of class cls, and its label v at (tx, ty). */
static void tick(FILE *f, const char *cls, double x1, double x2, double y1,
		 double y2, const char *label_cls, double tx, double ty,
		 double v)
{
	fprintf(f,
		"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		"class=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
		"class=\"%s\">%g</text>\n",
		x1, x2, y1, y2, cls, tx, ty, label_cls, v);
}

/* A chart of MiB over time (s) up to its axes (report_priv.h). */
void report_time_chart(FILE *f, const char *cls, const char *title, double W,
		       double H, double L, double T, double pw, double ph,
		       double *xmax, double *ymax)
{
	double xstep, ystep;

	*xmax = axis_max(*xmax, &xstep);
	*ymax = axis_max(*ymax, &ystep);
	chart_begin(f, cls, W, H, title, L);
	for (double y = 0; y <= *ymax + ystep / 2; y += ystep) {
		double py = T + ph - y / *ymax * ph;

		tick(f, "grid", L, L + pw, py, py, "yl", L - 6, py + 4, y);
	}
	for (double x = 0; x <= *xmax + xstep / 2; x += xstep) {
		double px = L + x / *xmax * pw;

		tick(f, "tick", px, px, T + ph, T + ph + 4, "xl", px,
		     T + ph + 16, x);
	}
	fprintf(f,
		"<text x=\"%.1f\" y=\"%.1f\" class=\"xl\">time (s)</text>"
		"<text x=\"14\" y=\"%.1f\" class=\"al\" "
		"transform=\"rotate(-90 14 %.1f)\">MiB</text>\n",
		L + pw / 2, H - 6, T + ph / 2, T + ph / 2);
}

/*
 * A line chart of page cache (MiB) over time (s): one path per series.
 * Not svg_write(): the report's charts are inline, styled by its CSS.
 */
static void svg_lines(FILE *f, const char *title,
		      const struct report_series *const *ser, size_t n)
{
	const double W = 720, H = 300, L = 64, R = 160, T = 28, B = 40;
	double pw = W - L - R, ph = H - T - B;
	double xmax = 0, ymax = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ser[i]->n; j++) {
			double x = (double)ser[i]->t_ms[j] / 1000.0;
			double y = (double)report_pagecache(ser[i], j) / MIB;

			if (x > xmax)
				xmax = x;
			if (y > ymax)
				ymax = y;
		}
	report_time_chart(f, "chart", title, W, H, L, T, pw, ph, &xmax, &ymax);
	fprintf(f,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		"class=\"frame\"/>\n",
		L, T, pw, ph);
	for (size_t i = 0; i < n; i++) {
		const char *col = report_color(i);

		svg_html(f, "<path class=\"series\" data-source=\"",
			 ser[i]->source, "\" data-node=\"");
		svg_escape_html(f, ser[i]->node);
		fprintf(f, "\" stroke=\"%s\" d=\"", col);
		for (size_t j = 0; j < ser[i]->n; j++) {
			double x = (double)ser[i]->t_ms[j] / 1000.0;
			double y = (double)report_pagecache(ser[i], j) / MIB;

			if (y < 0)
				y = 0;
			fprintf(f, "%s%.1f %.1f", j ? " L" : "M",
				L + x / xmax * pw, T + ph - y / ymax * ph);
		}
		fprintf(f, "\"/>\n");
		fprintf(f,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" "
			"height=\"4\" fill=\"%s\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" class=\"lg\">",
			L + pw + 10, T + 10 + i * 18.0, col, L + pw + 26,
			T + 15 + i * 18.0);
		svg_html(f, NULL, ser[i]->source, "</text>\n");
	}
	fprintf(f, "</svg>\n");
}

/* Horizontal stacked bars: cached once / twice or more, per set. */
static void svg_sets(FILE *f, const char *title, const struct report_set *sets,
		     size_t n)
{
	const double W = 720, L = 200, R = 30, T = 28, BH = 22, GAP = 10;
	double H = T + (double)n * (BH + GAP) + 44, pw = W - L - R;
	double max = 0, step;

	for (size_t i = 0; i < n; i++) {
		double v = (double)(sets[i].once + 2 * sets[i].twice) / MIB;

		if (v > max)
			max = v;
	}
	max = axis_max(max, &step);
	chart_begin(f, "chart bars", W, H, title, 10);
	for (double x = 0; x <= max + step / 2; x += step) {
		double px = L + x / max * pw;

		tick(f, "grid", px, px, T, H - 36, "xl", px, H - 22, x);
	}
	fprintf(f,
		"<text x=\"%.1f\" y=\"%.1f\" class=\"xl\">MiB in page "
		"caches (a byte cached twice counts twice)</text>\n",
		L + pw / 2, H - 6);
	for (size_t i = 0; i < n; i++) {
		const struct report_set *s = &sets[i];
		double y = T + (double)i * (BH + GAP);
		double w1 = (double)s->once / MIB / max * pw;
		double w2 = (double)(2 * s->twice) / MIB / max * pw;

		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"yl\">", L - 6,
			y + BH / 2 + 4);
		svg_escape_html(f, s->name);
		fprintf(f,
			"</text><rect class=\"bar once\" data-set=\"%s\" "
			"x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\">"
			"<title>cached once: %.1f MiB</title></rect>"
			"<rect class=\"bar twice\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.1f\" height=\"%.0f\"><title>cached twice or "
			"more: %.1f MiB (x2)</title></rect>\n",
			s->shared ? "shared" : "private", L, y, w1, BH,
			(double)s->once / MIB, L + w1, y, w2, BH,
			(double)s->twice / MIB);
	}
	fprintf(f,
		"<rect x=\"%.1f\" y=\"6\" width=\"12\" height=\"12\" "
		"class=\"once\"/><text x=\"%.1f\" y=\"16\" class=\"lg\">once"
		"</text><rect x=\"%.1f\" y=\"6\" width=\"12\" height=\"12\" "
		"class=\"twice\"/><text x=\"%.1f\" y=\"16\" class=\"lg\">"
		"twice</text>\n</svg>\n",
		W - 190, W - 174, W - 120, W - 104);
}

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;"
	"max-width:1100px}\n"
	"h1{font-size:22px}h2{font-size:18px;margin-top:28px;"
	"border-bottom:1px solid #ddd}h3{font-size:15px}\n"
	"table{border-collapse:collapse;margin:8px 0}\n"
	"th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\n"
	"th{background:#f3f3f3}td.l,th.l{text-align:left}\n"
	".status{padding:6px 10px;display:inline-block;border-radius:4px}\n"
	".complete{background:#dfd}.incomplete,.running,.unknown"
	"{background:#ffd}.failed{background:#fdd}\n"
	".warn{color:#a40}\n"
	"svg.chart{display:block;margin:10px 0;background:#fff}\n"
	"svg .grid{stroke:#eee}svg .tick{stroke:#999}"
	"svg .frame{fill:none;stroke:#999}\n"
	"svg .series{fill:none;stroke-width:2}\n"
	"svg text{font:11px system-ui,sans-serif;fill:#333}"
	"svg .ct{font-size:13px;font-weight:bold}\n"
	"svg .yl{text-anchor:end}svg .xl{text-anchor:middle}"
	"svg .al{text-anchor:middle}\n"
	"svg .once{fill:#2ca02c}svg .twice{fill:#d62728}\n"
	"svg .layer{stroke:#fff;stroke-width:0.5;fill-opacity:0.85}\n"
	"tr.warn td{color:#a40}\n"
	"code{background:#f5f5f5;padding:0 3px}\n"
	".headline{font-weight:bold;margin:4px 0}\n";

static const char *status_text(const struct report_run *r, char *buf,
			       size_t len)
{
	snprintf(buf, len, "%s%s%s", results_status_name(r->status),
		 r->reason ? ": " : "", r->reason ? r->reason : "");
	return buf;
}

/*
 * The cached, once and twice of a run's shared (or private) sets added
 * up in sum; how many sets there are.
 */
static size_t set_sums(const struct report_run *r, bool shared,
		       struct report_set *sum)
{
	size_t n = 0;

	memset(sum, 0, sizeof(*sum));
	sum->shared = shared;
	for (size_t i = 0; i < r->n_sets; i++) {
		const struct report_set *s = &r->sets[i];

		if (s->shared != shared)
			continue;
		sum->cached += s->cached;
		sum->once += s->once;
		sum->twice += s->twice;
		n++;
	}
	return n;
}

/* One line per kind of set: cached, once, twice (MiB). */
static void headline(FILE *f, const struct report_run *r, const char *pre,
		     const char *post)
{
	for (int sh = 1; sh >= 0; sh--) {
		struct report_set t;
		size_t n = set_sums(r, sh, &t);

		if (!n)
			continue;
		fprintf(f,
			"%s%s set%s: %.1f MiB of the data cached, %.1f MiB "
			"cached once, %.1f MiB cached twice or more.%s",
			pre, sh ? "Shared" : "Private", n > 1 ? "s" : "",
			(double)t.cached / MIB, (double)t.once / MIB,
			(double)t.twice / MIB, post);
	}
}

/* --- tables in HTML and text --- */

/* The first cell of a row: HTML (w 0), or text w wide. */
static void row_start(FILE *f, int w, const char *label)
{
	if (w) {
		fprintf(f, "%-*s", w, label);
		return;
	}
	svg_html(f, "<tr><td class=\"l\">", label, "</td>");
}

/* A cell of text, w wide (0: HTML); none is "-" in text, empty in HTML. */
static void text_cell(FILE *f, int w, const char *v)
{
	if (w) {
		fprintf(f, " %*s", w, v ? v : "-");
		return;
	}
	svg_html(f, "<td>", v ? v : "", "</td>");
}

/* A cell of a figure (%.1f), w wide (0: HTML); none is "-" or empty. */
static void num_cell(FILE *f, int w, bool have, double v)
{
	if (w && have)
		fprintf(f, " %*.1f", w, v);
	else if (w)
		fprintf(f, " %*s", w, "-");
	else if (have)
		fprintf(f, "<td>%.1f</td>", v);
	else
		fprintf(f, "<td></td>");
}

/* The page cache of each source at the end: HTML (w 0), or text. */
static void end_state(FILE *f, const struct report_run *r, int w)
{
	const char *nodes[64];
	const struct report_series *src[64];
	size_t nn = run_nodes(r, nodes, ARRAY_SIZE(nodes));
	size_t ns = run_sources(r, src, ARRAY_SIZE(src));

	if (w && !ns)
		return;
	if (w) {
		fprintf(f, "\npage cache (file - shmem) at the end, MiB\n");
		fprintf(f, "%-16s %-10s", "source", "kind");
		for (size_t j = 0; j < nn; j++)
			fprintf(f, " %10s", nodes[j]);
		fprintf(f, " %10s\n", "growth");
	} else {
		fprintf(f,
			"<h3>Page cache (file - shmem) at the end, MiB</h3>\n"
			"<table class=\"endstate\"><tr><th class=\"l\">source"
			"</th><th class=\"l\">kind</th>");
		for (size_t j = 0; j < nn; j++)
			fprintf(f, "<th>%s</th>", nodes[j]);
		fprintf(f, "<th>growth (total)</th></tr>\n");
	}
	for (size_t i = 0; i < ns; i++) {
		const char *kind = report_kind_name(src[i]->kind);
		int64_t g = 0;
		bool have;

		if (w) {
			fprintf(f, "%-16s %-10s", src[i]->source, kind);
		} else {
			row_start(f, 0, src[i]->source);
			fprintf(f, "<td class=\"l\">%s</td>", kind);
		}
		/* each node at the last tick, then the growth */
		for (size_t j = 0; j < nn; j++) {
			const struct report_series *s =
				report_find_series(r, src[i]->source, nodes[j]);

			have = s && s->n;
			g = have ? report_pagecache(s, s->n - 1) : 0;
			num_cell(f, w, have, (double)g / MIB);
		}
		have = report_growth(r, src[i]->source, &g);
		num_cell(f, w, have, (double)g / MIB);
		fputs(w ? "\n" : "</tr>\n", f);
	}
	if (!w)
		fprintf(f, "</table>\n");
}

/* --- HTML of one run --- */

static void html_charts(FILE *f, const struct report_run *r)
{
	/* the whole host (root), the host's cgroups, the guests */
	static const char *const what[] = {
		"Whole host (root cgroup, file - shmem)",
		"Host page cache: virtiofsd and VM cgroups (file - shmem)",
		"Guest page cache (file - shmem)",
	};
	const char *nodes[64];
	size_t nn = run_nodes(r, nodes, ARRAY_SIZE(nodes));

	/* total first; per node when there is more than one */
	for (size_t k = nn; k-- > 0;) {
		const struct report_series *ser[3][64];
		size_t ns[3] = { 0 };
		char title[160];

		if (k != nn - 1 && nn <= 2)
			break;
		for (size_t i = 0; i < r->n_series; i++) {
			const struct report_series *s = &r->series[i];
			size_t g = 1; /* a full root group: to the host's */

			if (strcmp(s->node, nodes[k]) != 0)
				continue;
			if (s->kind == SRC_GUEST)
				g = 2;
			else if (s->kind == SRC_HOST && ns[0] < 64)
				g = 0;
			if (ns[g] < 64)
				ser[g][ns[g]++] = s;
		}
		for (size_t g = 0; g < ARRAY_SIZE(what); g++) {
			if (!ns[g])
				continue;
			snprintf(title, sizeof(title), "%s, node %s", what[g],
				 nodes[k]);
			svg_lines(f, title, ser[g], ns[g]);
		}
	}
}

/* The copies of each file set: HTML (w 0), or text. */
static void sets_table(FILE *f, const struct report_run *r, int w)
{
	if (!r->n_sets)
		return;
	if (w) {
		fprintf(f, "\nfile sets, MiB (cached = largest copy, twice = "
			   "second largest, once = cached - twice)\n");
		fprintf(f, "%-18s %10s %10s", "set", "size", "host");
		for (size_t v = 0; v < r->n_vms; v++)
			fprintf(f, " %10.10s", r->vms[v].name);
		fprintf(f, " %10s %10s %10s %10s\n", "cached", "once", "twice",
			"extra");
	} else {
		fprintf(f,
			"<h3>The data set: cached once, cached twice</h3>\n");
		svg_sets(f, "Bytes of each file set in page caches at the end",
			 r->sets, r->n_sets);
		fprintf(f, "<table class=\"sets\"><tr><th class=\"l\">set</th>"
			   "<th>size</th><th>host copy</th>");
		for (size_t v = 0; v < r->n_vms; v++)
			svg_html(f, "<th>", r->vms[v].name, " copy</th>");
		fprintf(f, "<th>cached</th><th>once</th><th>twice or more</th>"
			   "<th>extra</th></tr>\n");
	}
	for (size_t i = 0; i < r->n_sets; i++) {
		const struct report_set *s = &r->sets[i];
		const uint64_t last[] = { s->cached, s->once, s->twice,
					  s->extra };

		if (w)
			fprintf(f, "%-18s", s->name);
		else
			row_start(f, 0, s->name);
		num_cell(f, w, true, (double)s->size / MIB);
		if (w)
			num_cell(f, w, true, (double)s->host / MIB);
		else
			fprintf(f, "<td>%.1f (%s)</td>", (double)s->host / MIB,
				s->host_via);
		for (size_t v = 0; v < r->n_vms; v++) {
			bool mine =
				s->shared || strcmp(s->vm, r->vms[v].id) == 0;

			if (!mine) {
				text_cell(f, w, NULL);
			} else if (s->dax[v] && w) {
				/* what the guest cached all the same, too */
				char b[32] = "dax";

				if (s->guest[v])
					snprintf(b, sizeof(b), "dax %.1f",
						 (double)s->guest[v] / MIB);
				text_cell(f, w, b);
			} else if (s->dax[v]) {
				fprintf(f, "<td>DAX: %.1f</td>",
					(double)s->guest[v] / MIB);
			} else {
				num_cell(f, w, true, (double)s->guest[v] / MIB);
			}
		}
		for (size_t k = 0; k < ARRAY_SIZE(last); k++)
			num_cell(f, w, true, (double)last[k] / MIB);
		fputs(w ? "\n" : "</tr>\n", f);
	}
	if (!w)
		fprintf(f,
			"</table>\n<p>MiB. A guest's copy is what the guest "
			"measured inside (residency.csv) where it did; else the "
			"growth of its "
			"page cache during the run, given to its private set "
			"first; a guest that mounts the shared set with DAX "
			"keeps no copy of it. Cached = the largest copy; twice "
			"or more = the second largest; once = cached - twice. "
			"See daxlab-report(1).</p>\n");
}

static void html_residency(FILE *f, const struct report_run *r)
{
	if (!r->n_res)
		return;
	fprintf(f, "<h3>Host page cache of the file sets at the end "
		   "(mincore)</h3>\n<table class=\"residency\"><tr>"
		   "<th class=\"l\">set</th><th class=\"l\">vm</th>"
		   "<th class=\"l\">via</th><th class=\"l\">node</th>"
		   "<th>resident MiB</th><th>size MiB</th></tr>\n");
	for (size_t i = 0; i < r->n_res; i++) {
		const struct residency_row *x = &r->res[i];
		bool total = strcmp(x->node, "total") == 0;

		fprintf(f, "<tr><td class=\"l\">%s</td><td class=\"l\">",
			x->set);
		svg_escape_html(f, x->vm);
		fprintf(f,
			"</td><td class=\"l\">%s</td><td class=\"l\">%s</td>",
			x->via, x->node);
		num_cell(f, 0, true, (double)x->resident / MIB);
		num_cell(f, 0, total, (double)x->size / MIB);
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");
}

static void html_fio(FILE *f, const struct report_run *r)
{
	if (!r->n_fio)
		return;
	fprintf(f, "<h3>fio</h3>\n<table class=\"fio\"><tr>"
		   "<th class=\"l\">vm</th><th class=\"l\">job</th>"
		   "<th>asked %%</th><th>achieved %%</th><th>I/Os</th>"
		   "<th>IOPS</th><th>MiB read</th><th>mean &micro;s</th>"
		   "<th>p50 &micro;s</th><th>p99 &micro;s</th></tr>\n");
	for (size_t i = 0; i < r->n_fio; i++) {
		const struct report_fio *x = &r->fio[i];

		row_start(f, 0, x->vm);
		svg_html(f, "<td class=\"l\">", x->job, "</td>");
		num_cell(f, 0, x->asked_pct >= 0, x->asked_pct);
		fprintf(f,
			"<td>%.1f</td><td>%" PRIu64 "</td><td>%.0f</td>"
			"<td>%.1f</td><td>%.1f</td><td>%.1f</td><td>%.1f</td>"
			"</tr>\n",
			x->achieved_pct, x->ios, x->iops,
			(double)x->bytes / MIB, x->mean_ns / 1000,
			x->p50_ns / 1000, x->p99_ns / 1000);
	}
	fprintf(f, "</table>\n");
}

static void html_provenance(FILE *f, const struct report_run *r)
{
	struct kvlist l = { 0 };

	if (provenance_to_kv(&r->prov, &l) < 0 || !l.n) {
		kv_free(&l);
		return;
	}
	fprintf(f, "<details><summary>Provenance</summary>\n"
		   "<table class=\"provenance\">\n");
	for (size_t i = 0; i < l.n; i++) {
		row_start(f, 0, l.v[i].key);
		svg_html(f, "<td class=\"l\">", l.v[i].value, "</td></tr>\n");
	}
	fprintf(f, "</table></details>\n");
	kv_free(&l);
}

static void html_run(FILE *f, const struct report_run *r)
{
	char b[512];

	svg_html(f, "<section class=\"run\" id=\"run-", r->name, "\">\n<h2>");
	svg_escape_html(f, r->name);
	fprintf(f, "</h2>\n<p><span class=\"status %s\">",
		results_status_name(r->status));
	svg_html(f, NULL, status_text(r, b, sizeof(b)), "</span></p>\n");
	for (size_t i = 0; i < r->n_vms; i++) {
		const struct prov_vm *v =
			provenance_find_vm(&r->prov, r->vms[i].id);

		if (v && v->shared_dax && v->shared_dax != PROV_YES) {
			fprintf(f,
				"<p class=\"warn\">A shared set did not have "
				"DAX in every guest: see the provenance.</p>\n");
			break;
		}
	}
	for (size_t i = 0; i < r->n_warnings; i++)
		svg_html(f, "<p class=\"warn\">", r->warnings[i], "</p>\n");
	headline(f, r, "<p class=\"headline\">", "</p>\n");
	sets_table(f, r, 0);
	end_state(f, r, 0);
	html_charts(f, r);
	report_residency_write(f, r, true);
	html_residency(f, r);
	html_fio(f, r);
	html_provenance(f, r);
	fprintf(f, "</section>\n");
}

/* --- comparison of several runs --- */

/* A short name for a run: its sweep point, else its name without time. */
static const char *run_label(const struct report_run *r)
{
	const char *sw = r->prov.sweep;
	const char *n = r->name;

	if (sw && *sw)
		return sw;
	/* YYYYmmdd-HHMMSS- */
	if (strlen(n) > 16 && n[8] == '-' && n[15] == '-' &&
	    isdigit((unsigned char)n[0]))
		return n + 16;
	return n;
}

/* The workload keys that differ between runs, for column headings. */
static bool differs(struct report_run *const *runs, size_t n, const char *key)
{
	_cleanup_free_ char *a = provenance_get(&runs[0]->prov, key);

	for (size_t i = 1; i < n; i++) {
		_cleanup_free_ char *b = provenance_get(&runs[i]->prov, key);

		if ((!a) != (!b) || (a && strcmp(a, b) != 0))
			return true;
	}
	return false;
}

struct metric {
	char label[96];
	const char *source; /* a growth row's source, in full; else NULL */
	double v[64];
	bool have[64];
};

static size_t comparison(struct report_run *const *runs, size_t n,
			 struct metric *m, size_t max)
{
	size_t nm = 0;

	memset(m, 0, max * sizeof(*m));
	/* page cache growth per source (union of names) */
	for (size_t i = 0; i < n && i < 64; i++) {
		const struct report_series *src[64];
		size_t ns = run_sources(runs[i], src, 64);

		for (size_t s = 0; s < ns && nm < max; s++) {
			struct metric *x = &m[nm];
			size_t k = 0;

			while (k < nm && strcmp(m[k].source, src[s]->source))
				k++;
			if (k < nm)
				continue;
			x->source = src[s]->source;
			for (size_t j = 0; j < n && j < 64; j++) {
				int64_t g;

				x->have[j] =
					report_growth(runs[j], x->source, &g);
				x->v[j] = x->have[j] ? (double)g / MIB : 0;
			}
			nm++;
		}
	}
	/* sets */
	static const char *const what[] = { "cached", "once", "twice" };
	for (int shared = 1; shared >= 0; shared--)
		for (size_t w = 0; w < 3 && nm < max; w++) {
			struct metric *x = &m[nm];

			snprintf(x->label, sizeof(x->label),
				 "%s sets: %s (MiB)",
				 shared ? "shared" : "private", what[w]);
			for (size_t i = 0; i < n && i < 64; i++) {
				struct report_set t;

				x->have[i] = set_sums(runs[i], shared, &t) > 0;
				x->v[i] = (double)(w == 0 ? t.cached :
						   w == 1 ? t.once :
							    t.twice) /
					  MIB;
			}
			nm++;
		}
	if (nm < max) {
		struct metric *x = &m[nm];

		snprintf(x->label, sizeof(x->label), "fio IOPS, all VMs");
		for (size_t i = 0; i < n && i < 64; i++)
			for (size_t j = 0; j < runs[i]->n_fio; j++) {
				x->v[i] += runs[i]->fio[j].iops;
				x->have[i] = true;
			}
		nm++;
	}
	return nm;
}

static const char *const workload_keys[] = {
	"workload.size",
	"workload.private_ratio",
	"workload.access_ratio",
	"workload.hot_ratio",
	"workload.hot_access_ratio",
	"workload.ioengine",
	"workload.rw",
	"workload.bs",
	"sweep",
};

static char *metric_label(const struct metric *m)
{
	return m->source ?
		       strdup_printf("page cache growth %s (MiB)", m->source) :
		       strdup(m->label);
}

static void widen(int *w, const char *s)
{
	int len = s ? (int)strlen(s) : 0;

	if (len > *w)
		*w = len;
}

/*
 * The text table's widths, nothing cut: lw, the widest row label; w, the
 * widest run label or value, at least 14 (a figure).
 */
static void side_by_side_widths(struct report_run *const *runs, size_t n,
				const struct metric *m, size_t nm, int *lw,
				int *w)
{
	*lw = (int)strlen("status");
	*w = 14;
	for (size_t i = 0; i < n; i++) {
		widen(w, run_label(runs[i]));
		widen(w, results_status_name(runs[i]->status));
	}
	for (size_t k = 0; k < ARRAY_SIZE(workload_keys); k++) {
		if (!differs(runs, n, workload_keys[k]))
			continue;
		widen(lw, workload_keys[k]);
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *v = provenance_get(
				&runs[i]->prov, workload_keys[k]);

			widen(w, v);
		}
	}
	for (size_t k = 0; k < nm; k++) {
		_cleanup_free_ char *l = metric_label(&m[k]);

		widen(lw, l);
	}
}

/* The runs side by side: an HTML table, or text in columns. */
static void side_by_side(FILE *f, struct report_run *const *runs, size_t n,
			 bool text)
{
	static struct metric m[80];
	size_t nm = comparison(runs, n, m, ARRAY_SIZE(m));
	const char *end = text ? "\n" : "</tr>\n";
	int lw = 0, w = 0; /* 0: HTML */
	char b[512];

	if (text) {
		side_by_side_widths(runs, n, m, nm, &lw, &w);
		fprintf(f, "side by side\n%-*s", lw, "");
		for (size_t i = 0; i < n; i++)
			text_cell(f, w, run_label(runs[i]));
	} else {
		fprintf(f, "<h2>Side by side</h2>\n<table class=\"compare\">"
			   "<tr><th class=\"l\"></th>");
		for (size_t i = 0; i < n; i++) {
			svg_html(f, "<th><a href=\"#run-", runs[i]->name,
				 "\">");
			svg_html(f, NULL, runs[i]->name, "</a></th>");
		}
	}
	fputs(end, f);
	row_start(f, lw, "status");
	for (size_t i = 0; i < n; i++) {
		if (w) {
			text_cell(f, w, results_status_name(runs[i]->status));
			continue;
		}
		fprintf(f, "<td class=\"%s\">",
			results_status_name(runs[i]->status));
		svg_html(f, NULL, status_text(runs[i], b, sizeof(b)), "</td>");
	}
	fputs(end, f);
	for (size_t k = 0; k < ARRAY_SIZE(workload_keys); k++) {
		if (!differs(runs, n, workload_keys[k]))
			continue;
		row_start(f, lw, workload_keys[k]);
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *v = provenance_get(
				&runs[i]->prov, workload_keys[k]);

			text_cell(f, w, v);
		}
		fputs(end, f);
	}
	for (size_t k = 0; k < nm; k++) {
		_cleanup_free_ char *l = metric_label(&m[k]);

		row_start(f, lw, l ? l : m[k].label);
		for (size_t i = 0; i < n && i < 64; i++)
			num_cell(f, w, m[k].have[i], m[k].v[i]);
		fputs(end, f);
	}
	fputs(text ? "\n" : "</table>\n", f);
}

static void html_comparison(FILE *f, struct report_run *const *runs, size_t n)
{
	/* one bar per run and set kind, named after both */
	_cleanup_free_ struct report_set *sets = calloc(2 * n, sizeof(*sets));

	side_by_side(f, runs, n, false);
	if (!sets)
		return;
	for (size_t i = 0; i < n; i++)
		for (int sh = 0; sh < 2; sh++) {
			struct report_set *d = &sets[2 * i + sh];

			set_sums(runs[i], sh, d);
			snprintf(d->name, sizeof(d->name), "%.24s %s",
				 run_label(runs[i]), sh ? "shared" : "private");
		}
	svg_sets(f, "Cached once and twice, per run", sets, 2 * n);
}

int report_write_html(FILE *f, struct report_run *const *runs, size_t n,
		      const char *section)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		   "<meta charset=\"utf-8\">\n<title>daxlab report: ");
	if (n == 1)
		svg_escape_html(f, runs[0]->name);
	else
		fprintf(f, "%zu runs", n);
	fprintf(f,
		"</title>\n<style>\n%s</style></head><body>\n<h1>daxlab "
		"report</h1>\n<p>Where file data sat: host page cache per "
		"cgroup (virtiofsd, each VM's qemu) and each guest's page "
		"cache, as <code>file - shmem</code> of "
		"<code>memory.numa_stat</code>, per NUMA node and over "
		"time.</p>\n",
		css);
	if (section)
		fputs(section, f);
	if (n > 1)
		html_comparison(f, runs, n);
	for (size_t i = 0; i < n; i++)
		html_run(f, runs[i]);
	svg_html(f, "<p><small>daxlab ",
		 n && runs[0]->prov.daxlab ? runs[0]->prov.daxlab : "",
		 "</small></p>\n</body></html>\n");
	return ferror(f) ? -EIO : 0;
}

/* --- summary.txt --- */

static void txt_run(FILE *f, const struct report_run *r)
{
	char b[512];

	fprintf(f, "run %s\nstatus: %s\n", r->name,
		status_text(r, b, sizeof(b)));
	for (size_t i = 0; i < r->n_vms; i++) {
		const struct prov_vm *v =
			provenance_find_vm(&r->prov, r->vms[i].id);

		if (v && v->shared_dax)
			fprintf(f, "%s: shared set DAX: %s\n", r->vms[i].name,
				provenance_yesno_name(v->shared_dax));
	}
	for (size_t i = 0; i < r->n_warnings; i++)
		fprintf(f, "warning: %s\n", r->warnings[i]);
	headline(f, r, "", "\n");

	sets_table(f, r, 10);
	end_state(f, r, 10);
	report_residency_write(f, r, false);
	if (r->n_fio) {
		fprintf(f,
			"\nfio\n%-10s %-14s %8s %9s %10s %10s %10s %10s %10s\n",
			"vm", "job", "asked%", "achieved%", "IOPS", "MiB",
			"meanus", "p50us", "p99us");
		for (size_t i = 0; i < r->n_fio; i++) {
			const struct report_fio *x = &r->fio[i];

			fprintf(f, "%-10s %-14s", x->vm, x->job);
			num_cell(f, 8, x->asked_pct >= 0, x->asked_pct);
			fprintf(f,
				" %9.1f %10.0f %10.1f %10.1f %10.1f %10.1f\n",
				x->achieved_pct, x->iops,
				(double)x->bytes / MIB, x->mean_ns / 1000,
				x->p50_ns / 1000, x->p99_ns / 1000);
		}
	}
}

int report_write_summary(FILE *to, struct report_run *const *runs, size_t n,
			 const char *section)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	if (section) {
		fputs(section, f);
		if (n)
			fputc('\n', f);
	}
	if (n > 1)
		side_by_side(f, runs, n, true);
	for (size_t i = 0; i < n; i++) {
		if (i || n > 1)
			fputc('\n', f);
		txt_run(f, runs[i]);
	}
	if (!memstream_close(f, &text, true))
		return -ENOMEM;
	/* status reasons and warnings quote guests: read on a terminal */
	fputs(str_no_controls(text), to);
	return ferror(to) ? -EIO : 0;
}

int report_save(const char *path, struct report_run *const *runs, size_t n,
		bool html, const char *section, struct error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (!f)
		return err_fail(err, -ENOMEM, "out of memory");
	r = html ? report_write_html(f, runs, n, section) :
		   report_write_summary(f, runs, n, section);
	if (fclose(f) != 0 && r >= 0)
		r = -ENOMEM;
	if (r < 0)
		return err_fail(err, r, "cannot write %s: %s", path,
				strerror(-r));
	return write_file_atomic(path, text, len, 0644, err);
}
