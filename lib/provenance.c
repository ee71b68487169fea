// SPDX-License-Identifier: MIT
/* The provenance of a run; see provenance.h. */
#include "provenance.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "build-config.h"
#include "cgplace.h"
#include "cgroup.h"
#include "config.h"
#include "hostmm.h"
#include "qemu.h"
#include "statedir.h"
#include "topology.h"
#include "util.h"
#include "vm.h"

#define TRY(x)                     \
	do {                       \
		int r_ = (x);      \
		if (r_ < 0)        \
			return r_; \
	} while (0)

/* --- the fields: one table for provenance.txt and provenance.json --- */

enum ftype {
	F_STR, /* char * */
	F_INT, /* long long, PROV_UNSET */
	F_CGV, /* long long, "v2" in the text */
	F_DBL, /* double, NAN; "%.1f" */
	F_YN, /* enum prov_yesno */
	F_BOOL, /* bool; provenance.json only */
	F_UINT, /* unsigned; provenance.json only */
};

struct field {
	/* provenance.txt (after "vm.ID." for a VM's); NULL: not there */
	const char *key;
	const char *json; /* provenance.json; "a.b" is member b of object a */
	enum ftype t;
	size_t off;
};

#define P(m) offsetof(struct provenance, m)
#define V(m) offsetof(struct prov_vm, m)
#define S(m) offsetof(struct prov_share, m)
#define PL(m) offsetof(struct prov_share_place, m)
#define M(m) offsetof(struct prov_share_mount, m)
#define SRC(m) offsetof(struct prov_source, m)
#define N(m) offsetof(struct prov_node, m)

/* a field of the same name in provenance.txt and provenance.json */
#define FIELD(name, type, off)        \
	{                             \
		name, name, type, off \
	}

/* In the order of provenance.txt, section by section. */
static const struct field run_fields[] = {
	FIELD("name", F_STR, P(name)),
	FIELD("slurm.job", F_STR, P(slurm_job)),
	FIELD("slurm.array", F_STR, P(slurm_array)),
	FIELD("slurm.node", F_STR, P(slurm_node)),
	FIELD("started", F_STR, P(started)),
};

static const struct field config_fields[] = {
	FIELD("config", F_STR, P(config)),
	FIELD("state_dir", F_STR, P(state_dir)),
	FIELD("image_dir", F_STR, P(image_dir)),
	FIELD("sweep", F_STR, P(sweep)),
	FIELD("workload.size", F_STR, P(workload_size)),
	FIELD("workload.file_size", F_STR, P(workload_file_size)),
	FIELD("workload.private_ratio", F_INT, P(workload_private_ratio)),
	FIELD("workload.access_ratio", F_INT, P(workload_access_ratio)),
	FIELD("workload.hot_ratio", F_INT, P(workload_hot_ratio)),
	FIELD("workload.hot_access_ratio", F_INT, P(workload_hot_access_ratio)),
	FIELD("workload.rw", F_STR, P(workload_rw)),
	FIELD("workload.bs", F_STR, P(workload_bs)),
	FIELD("workload.runtime", F_INT, P(workload_runtime)),
	FIELD("workload.ioengine", F_STR, P(workload_ioengine)),
	FIELD("start_state", F_STR, P(start_state)),
	FIELD("monitor.tail_ms", F_INT, P(monitor_tail_ms)),
	FIELD("monitor.interval_ms", F_INT, P(monitor_interval_ms)),
};

/* after the VMs and "vms" */
static const struct field virtiofsd_fields[] = {
	FIELD("virtiofsd.cgroup", F_STR, P(virtiofsd_cgroup)),
	FIELD("virtiofsd.cache", F_STR, P(virtiofsd_cache)),
};

/* after the shares and the nodes */
static const struct field topology_fields[] = {
	FIELD("topology.nodes", F_INT, P(topology_nodes)),
};

static const struct field host_fields[] = {
	FIELD("daxlab", F_STR, P(daxlab)),
	FIELD("kernel", F_STR, P(kernel)),
	FIELD("host", F_STR, P(host)),
	FIELD("qemu", F_STR, P(qemu)),
	{ "virtiofsd", "virtiofsd.summary", F_STR, P(virtiofsd) },
	FIELD("virtiofsd.path", F_STR, P(virtiofsd_path)),
	FIELD("virtiofsd.version", F_STR, P(virtiofsd_version)),
	FIELD("virtiofsd.style", F_STR, P(virtiofsd_style)),
	FIELD("fio", F_STR, P(fio)),
	{ "accel", "accel.used", F_STR, P(accel) },
	FIELD("accel.asked", F_STR, P(accel_asked)),
	FIELD("accel.why", F_STR, P(accel_why)),
	{ "cgroup", "cgroup.version", F_CGV, P(cgroup_version) },
	FIELD("cgroup.placement", F_STR, P(cgroup_placement)),
	FIELD("cgroup.parent", F_STR, P(cgroup_parent)),
	FIELD("mm.reclaim", F_STR, P(mm_reclaim)),
	FIELD("mm.numa_balancing", F_INT, P(mm_numa_balancing)),
	FIELD("mm.zone_reclaim_mode", F_INT, P(mm_zone_reclaim_mode)),
};

static const struct field end_fields[] = {
	FIELD("finished", F_STR, P(finished)),
	FIELD("duration_s", F_DBL, P(duration_s)),
};

/*
 * The records of the arrays below: each one's first member is its name
 * (or id), the first field.
 */

/* "vm.ID.KEY": the configuration, then (VM_FIO on) what the run learnt */
enum { VM_FIO = 9 };
static const struct field vm_fields[] = {
	{ NULL, "id", F_STR, V(id) },
	{ NULL, "listed", F_BOOL, V(listed) },
	FIELD("name", F_STR, V(name)),
	FIELD("cgroup", F_STR, V(cgroup)),
	FIELD("node", F_INT, V(node)),
	FIELD("vcpus", F_INT, V(vcpus)),
	FIELD("memory", F_STR, V(memory)),
	FIELD("fio_port", F_INT, V(fio_port)),
	FIELD("ssh_port", F_INT, V(ssh_port)),
	[VM_FIO] = FIELD("fio", F_STR, V(fio)),
	FIELD("shared_dax", F_YN, V(shared_dax)),
};

/* "share.NAME.KEY"; its mounts are the text's VM by VM */
static const struct field share_fields[] = {
	{ NULL, "name", F_STR, S(name) },
	FIELD("backend", F_STR, S(backend)),
	FIELD("source", F_STR, S(source)),
	FIELD("mount", F_STR, S(mount)),
	FIELD("options", F_STR, S(options)),
};

/* provenance.txt's "share.NAME.{image,image_fs,source_fs}[.vmID]" by hand */
static const struct field place_fields[] = {
	{ NULL, "vm", F_STR, PL(vm) },
	{ NULL, "pmem", F_BOOL, PL(pmem) },
	{ NULL, "image", F_STR, PL(image) },
	{ NULL, "fs", F_STR, PL(fs) },
};

/* "share.NAME.vm.ID.KEY" */
static const struct field mount_fields[] = {
	{ NULL, "vm", F_STR, M(vm) },
	FIELD("mount", F_STR, M(mount)),
	FIELD("dax", F_YN, M(dax)),
};

/* provenance.txt's "topology.node.ID.cpus" by hand */
static const struct field node_fields[] = {
	{ NULL, "id", F_UINT, N(id) },
	{ NULL, "cpus", F_STR, N(cpus) },
};

/* provenance.txt's "memcg.NAME" and "source.NAME" by hand */
static const struct field source_fields[] = {
	{ NULL, "name", F_STR, SRC(name) },
	{ NULL, "kind", F_STR, SRC(kind) },
	{ NULL, "vm", F_STR, SRC(vm) },
	{ NULL, "memcg", F_STR, SRC(memcg) },
};

/*
 * An array of records: the pointer at off and the count at n of the
 * struct it is in, and provenance.json's array json of objects.
 */
struct array {
	const char *json;
	size_t off;
	size_t n;
	size_t sz;
	const struct field *f;
	size_t nf;
	/* "WHERE: an element without its name or id"; NULL: name optional */
	const char *where;
	const struct array *sub[2]; /* arrays in each record */
};

/* json, where, the struct, its array and count, the records' fields */
#define ARRAY(j, w, type, arr, count, fields)                        \
	.json = j, .where = w, .off = offsetof(type, arr),           \
	.n = offsetof(type, count), .sz = sizeof(*((type *)0)->arr), \
	.f = fields, .nf = ARRAY_SIZE(fields)

static const struct array places_array = { ARRAY(
	"places", NULL, struct prov_share, places, n_places, place_fields) };

static const struct array mounts_array = { ARRAY("mounts", "shares.mounts",
						 struct prov_share, mounts,
						 n_mounts, mount_fields) };

static const struct array vms_array = { ARRAY("vms", "vms", struct provenance,
					      vms, n_vms, vm_fields) };

static const struct array shares_array = {
	ARRAY("shares", "shares", struct provenance, shares, n_shares,
	      share_fields),
	.sub = { &places_array, &mounts_array },
};

/* appended, not looked up, in provenance.json */
static const struct array nodes_array = { ARRAY("topology.node", NULL,
						struct provenance, nodes,
						n_nodes, node_fields) };

static const struct array sources_array = { ARRAY("sources", "sources",
						  struct provenance, sources,
						  n_sources, source_fields) };

/* The top level in the order of provenance.json: fields, or an array */
#define FIELDS(fields) .f = fields, .n = ARRAY_SIZE(fields)
static const struct {
	const struct field *f;
	size_t n;
	const struct array *a;
} top[] = {
	{ FIELDS(run_fields) },	 { FIELDS(config_fields) },
	{ .a = &vms_array },	 { FIELDS(virtiofsd_fields) },
	{ .a = &shares_array },	 { FIELDS(topology_fields) },
	{ .a = &nodes_array },	 { FIELDS(host_fields) },
	{ .a = &sources_array }, { FIELDS(end_fields) },
};

static const char *const yesno_names[] = {
	[PROV_YN_UNSET] = NULL,
	[PROV_NO] = "no",
	[PROV_YES] = "yes",
	[PROV_UNKNOWN] = "unknown",
};

static int yesno_parse(const char *s, enum prov_yesno *ret)
{
	for (size_t i = 1; i < ARRAY_SIZE(yesno_names); i++)
		if (strcmp(s, yesno_names[i]) == 0) {
			*ret = (enum prov_yesno)i;
			return 0;
		}
	return -EINVAL;
}

#define AT(base, f, type) ((type *)((char *)(base) + (f)->off))
#define CAT(base, f, type) ((const type *)((const char *)(base) + (f)->off))

static bool field_is_set(const void *base, const struct field *f)
{
	switch (f->t) {
	case F_STR:
		return *CAT(base, f, char *) != NULL;
	case F_INT:
	case F_CGV:
		return *CAT(base, f, long long) != PROV_UNSET;
	case F_DBL:
		return !isnan(*CAT(base, f, double));
	case F_YN:
		return *CAT(base, f, enum prov_yesno) != PROV_YN_UNSET;
	case F_BOOL:
	case F_UINT:
		return true;
	}
	return false;
}

/* The value as provenance.txt has it, allocated; NULL: unset or no memory */
static char *field_text(const void *base, const struct field *f)
{
	if (!field_is_set(base, f))
		return NULL;
	switch (f->t) {
	case F_STR:
		return strdup(*CAT(base, f, char *));
	case F_INT:
		return strdup_printf("%lld", *CAT(base, f, long long));
	case F_CGV:
		return strdup_printf("v%lld", *CAT(base, f, long long));
	case F_DBL:
		return strdup_printf("%.1f", *CAT(base, f, double));
	case F_YN:
		return strdup(yesno_names[*CAT(base, f, enum prov_yesno)]);
	case F_BOOL:
	case F_UINT:
		break;
	}
	return NULL;
}

static int parse_ll(const char *s, long long *ret)
{
	int64_t v;

	if (parse_s64(s, &v) < 0 || v == PROV_UNSET)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* -EINVAL: not a value of the field's type (kept as an unknown key) */
static int field_from_text(void *base, const struct field *f, const char *s)
{
	char *end;
	double d;

	switch (f->t) {
	case F_STR:
		return provenance_set(AT(base, f, char *), "%s", s);
	case F_INT:
		return parse_ll(s, AT(base, f, long long));
	case F_CGV:
		if (s[0] != 'v')
			return -EINVAL;
		return parse_ll(s + 1, AT(base, f, long long));
	case F_DBL:
		errno = 0;
		d = strtod(s, &end);
		if (!*s || *end || errno || isnan(d))
			return -EINVAL;
		*AT(base, f, double) = d;
		return 0;
	case F_YN:
		return yesno_parse(s, AT(base, f, enum prov_yesno));
	case F_BOOL:
	case F_UINT:
		break;
	}
	return -EINVAL;
}

/* The fields of provenance.txt in f[0..n), "PREFIXKEY = value" */
static int kv_add_fields(struct kvlist *l, const void *base,
			 const struct field *f, size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *v = field_text(base, &f[i]);
		char key[256];

		if (!f[i].key || !field_is_set(base, &f[i]))
			continue;
		if (!v)
			return -ENOMEM;
		snprintf(key, sizeof(key), "%s%s", prefix, f[i].key);
		TRY(kv_set(l, key, "%s", v));
	}
	return 0;
}

/* The field of f[0..n) with key in provenance.txt; NULL: none */
static const struct field *find_key(const struct field *f, size_t n,
				    const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].key && strcmp(key, f[i].key) == 0)
			return &f[i];
	return NULL;
}

static const struct field *find_top(const char *key)
{
	const struct field *f = NULL;

	for (size_t t = 0; t < ARRAY_SIZE(top) && !f; t++)
		f = find_key(top[t].f, top[t].n, key);
	return f;
}

const char *provenance_yesno_name(enum prov_yesno v)
{
	return (unsigned)v < ARRAY_SIZE(yesno_names) ? yesno_names[v] : NULL;
}

char *provenance_get(const struct provenance *p, const char *key)
{
	const struct field *f = find_top(key);

	return f ? field_text(p, f) : NULL;
}

/* --- the struct --- */

/* The numbers of f[0..n) not known */
static void init_fields(void *base, const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].t == F_INT || f[i].t == F_CGV)
			*AT(base, &f[i], long long) = PROV_UNSET;
		else if (f[i].t == F_DBL)
			*AT(base, &f[i], double) = NAN;
}

void provenance_init(struct provenance *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t t = 0; t < ARRAY_SIZE(top); t++)
		init_fields(p, top[t].f, top[t].n);
}

/* The array a in base, its records' first element (copied) and count */
static char *records(const void *base, const struct array *a, size_t **n)
{
	char *e;

	memcpy(&e, (const char *)base + a->off, sizeof(e));
	*n = (size_t *)((char *)base + a->n);
	return e;
}

static void free_fields(void *base, const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].t == F_STR)
			free(*AT(base, &f[i], char *));
}

static void free_records(void *base, const struct array *a)
{
	size_t *n;
	char *e = records(base, a, &n);

	for (size_t i = 0; i < *n; i++) {
		free_fields(e + i * a->sz, a->f, a->nf);
		for (size_t k = 0; k < ARRAY_SIZE(a->sub) && a->sub[k]; k++)
			free_records(e + i * a->sz, a->sub[k]);
	}
	free(e);
}

void provenance_free(struct provenance *p)
{
	if (!p)
		return;
	for (size_t t = 0; t < ARRAY_SIZE(top); t++) {
		free_fields(p, top[t].f, top[t].n);
		if (top[t].a)
			free_records(p, top[t].a);
	}
	kv_free(&p->extra);
	provenance_init(p);
}

int provenance_set(char **field, const char *fmt, ...)
{
	char *v;
	va_list ap;

	va_start(ap, fmt);
	v = strdup_vprintf_line(fmt, ap);
	va_end(ap);
	if (!v)
		return -ENOMEM;
	free(*field);
	*field = v;
	return 0;
}

static bool same_name(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * The record of array a in base named name (NULL: the one without a
 * name), added (numbers not known, name copied) if missing when add;
 * NULL: absent, or no memory.
 */
static void *record(void *base, const struct array *a, const char *name,
		    bool add)
{
	size_t *n;
	char *e = records(base, a, &n), *c = NULL, *k;

	for (size_t i = 0; i < *n; i++, e += a->sz) {
		memcpy(&k, e, sizeof(k));
		if (same_name(k, name))
			return e;
	}
	if (!add || (name && !(c = strdup(name))))
		return NULL;
	e = array_push((char *)base + a->off, n, a->sz);
	if (!e) {
		free(c);
		return NULL;
	}
	init_fields(e, a->f, a->nf);
	memcpy(e, &c, sizeof(c));
	return e;
}

/* (the lookups change nothing of p) */
const struct prov_vm *provenance_find_vm(const struct provenance *p,
					 const char *id)
{
	return record((struct provenance *)p, &vms_array, id, false);
}

struct prov_vm *provenance_vm(struct provenance *p, const char *id)
{
	return record(p, &vms_array, id, true);
}

struct prov_share *provenance_share(struct provenance *p, const char *name)
{
	return record(p, &shares_array, name, true);
}

const struct prov_source *provenance_find_source(const struct provenance *p,
						 const char *name)
{
	return record((struct provenance *)p, &sources_array, name, false);
}

struct prov_source *provenance_source(struct provenance *p, const char *name)
{
	return record(p, &sources_array, name, true);
}

static struct prov_share_mount *
share_mount(struct provenance *p, struct prov_share *s, const char *vm)
{
	/* its VM has a record: the mounts are listed VM by VM */
	return provenance_vm(p, vm) ? record(s, &mounts_array, vm, true) : NULL;
}

/* The record of node id, added if missing; NULL: no memory */
static struct prov_node *node(struct provenance *p, unsigned id)
{
	struct prov_node *n;

	for (size_t i = 0; i < p->n_nodes; i++)
		if (p->nodes[i].id == id)
			return &p->nodes[i];
	n = ARRAY_PUSH(p->nodes, p->n_nodes);
	if (n)
		n->id = id;
	return n;
}

int provenance_share_mount(struct provenance *p, const char *share,
			   const char *vm, const char *mount,
			   enum prov_yesno dax)
{
	struct prov_share *s = provenance_share(p, share);
	struct prov_share_mount *m = s ? share_mount(p, s, vm) : NULL;

	if (!m)
		return -ENOMEM;
	m->dax = dax;
	return provenance_set(&m->mount, "%s", mount);
}

/* --- what is filled in from the host and the configuration --- */

static int utc_now(char **field)
{
	time_t now = time(NULL);
	struct tm tm;
	char ts[64];

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return provenance_set(field, "%s", ts);
}

int provenance_add_start(struct provenance *p, const char *name)
{
	const char *job = getenv("SLURM_JOB_ID");

	TRY(provenance_set(&p->name, "%s", name));
	/* a run of a Slurm job array (daxlab run --slurm) says which */
	if (job) {
		const char *aj = getenv("SLURM_ARRAY_JOB_ID");
		const char *at = getenv("SLURM_ARRAY_TASK_ID");
		const char *node = getenv("SLURMD_NODENAME");

		TRY(provenance_set(&p->slurm_job, "%s", job));
		if (aj && at)
			TRY(provenance_set(&p->slurm_array, "%s_%s", aj, at));
		TRY(provenance_set(&p->slurm_node, "%s", node ? node : "?"));
	}
	return utc_now(&p->started);
}

int provenance_add_end(struct provenance *p, long long t0_ns)
{
	p->duration_s = (double)(now_monotonic_ns() - t0_ns) / 1e9;
	return utc_now(&p->finished);
}

/*
 * The file system under what the guests read of share s: the virtio-pmem
 * image (image_dir) or the virtiofs source, per VM where it differs.
 */
static int add_share_fs(const struct lab_config *c,
			const struct share_config *s, struct prov_share *ps)
{
	bool pmem = s->backend == SHARE_BACKEND_VIRTIO_PMEM;

	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = &c->vms[i];
		_cleanup_free_ char *path = NULL;
		struct prov_share_place *pl;
		char type[96];
		bool memory;

		if (!config_vm_has_share(vm, s))
			continue;
		path = pmem ? statedir_pmem_image(c, vm, s) :
			      config_share_source(s, vm);
		if (!path)
			return 0;
		pl = record(ps, &places_array, s->shared ? NULL : vm->id, true);
		if (!pl)
			return -ENOMEM;
		pl->pmem = pmem;
		if (pmem)
			TRY(provenance_set(&pl->image, "%s", path));
		if (statedir_fs_type(path, type, sizeof(type), &memory) < 0)
			snprintf(type, sizeof(type), "unknown");
		TRY(provenance_set(&pl->fs, "%s", type));
		if (s->shared)
			break;
	}
	return 0;
}

int provenance_add_config(struct provenance *p, const struct lab_config *c,
			  const char *point, bool warm, uint64_t tail_ms,
			  unsigned interval_ms)
{
	const struct workload_config *w = &c->workload;
	char b[32];

	TRY(provenance_set(&p->config, "%s", c->path));
	TRY(provenance_set(&p->state_dir, "%s", c->lab.state_dir));
	TRY(provenance_set(&p->image_dir, "%s", c->lab.image_dir));
	if (point)
		TRY(provenance_set(&p->sweep, "%s", point));
	TRY(provenance_set(&p->workload_size, "%s",
			   format_bytes(w->size, b, sizeof(b))));
	TRY(provenance_set(&p->workload_file_size, "%s",
			   format_bytes(w->file_size, b, sizeof(b))));
	p->workload_private_ratio = w->private_ratio;
	p->workload_access_ratio = w->access_ratio;
	p->workload_hot_ratio = w->hot_ratio;
	p->workload_hot_access_ratio = w->hot_access_ratio;
	TRY(provenance_set(&p->workload_rw, "%s", w->rw ? w->rw : ""));
	TRY(provenance_set(&p->workload_bs, "%s", w->bs ? w->bs : ""));
	p->workload_runtime = w->runtime;
	TRY(provenance_set(&p->workload_ioengine, "%s",
			   w->ioengine ? w->ioengine : ""));
	TRY(provenance_set(&p->start_state, "%s", warm ? "warm" : "cold"));
	p->monitor_tail_ms = (long long)tail_ms;
	p->monitor_interval_ms = interval_ms;
	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = &c->vms[i];
		struct prov_vm *v = provenance_vm(p, vm->id);

		if (!v)
			return -ENOMEM;
		v->listed = true;
		TRY(provenance_set(&v->name, "%s", vm->name));
		TRY(provenance_set(&v->cgroup, "%s", vm->cg.cgroup));
		v->node = vm->cg.node;
		v->vcpus = vm->vcpus;
		TRY(provenance_set(&v->memory, "%s",
				   format_bytes(vm->memory, b, sizeof(b))));
		v->ssh_port = vm->ssh_port;
	}
	TRY(provenance_set(&p->virtiofsd_cgroup, "%s", c->virtiofsd.cg.cgroup));
	TRY(provenance_set(&p->virtiofsd_cache, "%s",
			   c->virtiofsd.cache ? c->virtiofsd.cache : ""));
	for (size_t i = 0; i < c->n_shares; i++) {
		const struct share_config *s = &c->shares[i];
		struct prov_share *ps = provenance_share(p, s->name);

		if (!ps)
			return -ENOMEM;
		TRY(provenance_set(&ps->backend, "%s",
				   config_backend_name(s->backend)));
		TRY(provenance_set(&ps->source, "%s", s->source));
		TRY(provenance_set(&ps->mount, "%s", s->mount));
		TRY(provenance_set(&ps->options, "%s",
				   s->options ? s->options : ""));
		TRY(add_share_fs(c, s, ps));
	}
	return 0;
}

int provenance_add_topology(struct provenance *p, const char *root)
{
	struct topology t;
	unsigned nodes = 0;

	if (topology_load(root, &t) < 0)
		return 0; /* none known: nothing said */
	for (unsigned i = 0; i < 256; i++) {
		_cleanup_free_ char *cpus = NULL;
		struct prov_node *n;

		if (!cpu_bits_test(&t.nodes, i))
			continue;
		nodes++;
		cpus = cpulist_format(&t.node_cpus[i]);
		n = node(p, i);
		if (!n)
			return -ENOMEM;
		TRY(provenance_set(&n->cpus, "%s", cpus ? cpus : ""));
	}
	p->topology_nodes = nodes;
	return 0;
}

int provenance_add_host(struct provenance *p, const struct lab_config *c,
			const struct vm_env *env)
{
	const char *qv[] = { c->lab.qemu, "--version", NULL };
	const char *fv[] = { "fio", "--version", NULL };
	_cleanup_free_ char *q = results_tool_version(qv);
	_cleanup_free_ char *fio = results_tool_version(fv);
	_cleanup_free_ char *mm = NULL;
	struct utsname u;
	char host[256] = "";

	TRY(provenance_set(&p->daxlab, "%s", DAXLAB_VERSION));
	if (uname(&u) == 0)
		TRY(provenance_set(&p->kernel, "%s %s %s %s", u.sysname,
				   u.release, u.version, u.machine));
	gethostname(host, sizeof(host) - 1);
	TRY(provenance_set(&p->host, "%s", host));
	TRY(provenance_set(&p->qemu, "%s", q ? q : "unknown"));
	if (env->virtiofsd) {
		const char *v = env->virtiofsd_version ?
					env->virtiofsd_version :
					"unknown";

		TRY(provenance_set(&p->virtiofsd, "%s (%s)", v,
				   env->virtiofsd));
		TRY(provenance_set(&p->virtiofsd_path, "%s", env->virtiofsd));
		TRY(provenance_set(&p->virtiofsd_version, "%s", v));
		TRY(provenance_set(&p->virtiofsd_style, "%s (%s)",
				   virtiofsd_style_name(env->style),
				   env->style_probed ?
					   "from its --help and --version" :
					   "[virtiofsd] style"));
	}
	TRY(provenance_set(&p->fio, "%s", fio ? fio : "unknown"));
	TRY(hostmm_reclaim("", &mm));
	TRY(provenance_set(&p->mm_reclaim, "%s", mm ? mm : "none"));
	p->mm_numa_balancing = hostmm_sysctl("", "kernel/numa_balancing");
	p->mm_zone_reclaim_mode = hostmm_sysctl("", "vm/zone_reclaim_mode");
	if (p->mm_numa_balancing < 0)
		p->mm_numa_balancing = PROV_UNSET;
	if (p->mm_zone_reclaim_mode < 0)
		p->mm_zone_reclaim_mode = PROV_UNSET;
	TRY(provenance_set(&p->accel, "%s",
			   env->accel ? env->accel : "unknown"));
	TRY(provenance_set(&p->accel_asked, "%s",
			   config_accel_name(c->lab.accel)));
	if (env->accel_why[0])
		TRY(provenance_set(&p->accel_why, "%s", env->accel_why));
	if (env->cg_ok) {
		_cleanup_free_ char *where = cgplace_describe(&env->place);
		_cleanup_free_ char *dir =
			cg_path(&env->cg, "cpuset", NULL, NULL);

		p->cgroup_version = (long long)env->cg.version;
		TRY(provenance_set(&p->cgroup_placement, "%s",
				   where ? where : "?"));
		TRY(provenance_set(&p->cgroup_parent, "%s", dir ? dir : "?"));
	}
	return 0;
}

/* --- provenance.txt --- */

/* The fields of a VM's in vm_fields[from..to), "vm.ID.KEY" */
static int kv_vm_fields(struct kvlist *l, const struct prov_vm *v, size_t from,
			size_t to)
{
	char prefix[256];

	snprintf(prefix, sizeof(prefix), "vm.%s.", v->id);
	return kv_add_fields(l, v, &vm_fields[from], to - from, prefix);
}

static int kv_share(struct kvlist *l, const struct prov_share *s)
{
	char key[256];

	snprintf(key, sizeof(key), "share.%s.", s->name);
	TRY(kv_add_fields(l, s, share_fields, ARRAY_SIZE(share_fields), key));
	for (size_t i = 0; i < s->n_places; i++) {
		const struct prov_share_place *pl = &s->places[i];
		char sfx[96] = "";

		if (pl->vm)
			snprintf(sfx, sizeof(sfx), ".vm%s", pl->vm);
		if (pl->pmem && pl->image) {
			snprintf(key, sizeof(key), "share.%s.image%s", s->name,
				 sfx);
			TRY(kv_set(l, key, "%s", pl->image));
		}
		if (pl->fs) {
			snprintf(key, sizeof(key), "share.%s.%s_fs%s", s->name,
				 pl->pmem ? "image" : "source", sfx);
			TRY(kv_set(l, key, "%s", pl->fs));
		}
	}
	return 0;
}

int provenance_to_kv(const struct provenance *p, struct kvlist *l)
{
	_cleanup_free_ char *ids = NULL;
	char key[256];

	TRY(kv_add_fields(l, p, run_fields, ARRAY_SIZE(run_fields), ""));
	TRY(kv_add_fields(l, p, config_fields, ARRAY_SIZE(config_fields), ""));
	for (size_t i = 0; i < p->n_vms; i++)
		TRY(kv_vm_fields(l, &p->vms[i], 0, VM_FIO));
	for (size_t i = 0; i < p->n_vms; i++) {
		char *n;

		if (!p->vms[i].listed)
			continue;
		n = strdup_printf("%s%s%s", ids ? ids : "", ids ? " " : "",
				  p->vms[i].id);
		if (!n)
			return -ENOMEM;
		free(ids);
		ids = n;
	}
	if (ids)
		TRY(kv_set(l, "vms", "%s", ids));
	TRY(kv_add_fields(l, p, virtiofsd_fields, ARRAY_SIZE(virtiofsd_fields),
			  ""));
	for (size_t i = 0; i < p->n_shares; i++)
		TRY(kv_share(l, &p->shares[i]));
	for (size_t i = 0; i < p->n_nodes; i++) {
		snprintf(key, sizeof(key), "topology.node.%u.cpus",
			 p->nodes[i].id);
		TRY(kv_set(l, key, "%s", p->nodes[i].cpus));
	}
	TRY(kv_add_fields(l, p, topology_fields, ARRAY_SIZE(topology_fields),
			  ""));
	TRY(kv_add_fields(l, p, host_fields, ARRAY_SIZE(host_fields), ""));
	for (size_t i = 0; i < p->n_vms; i++)
		TRY(kv_vm_fields(l, &p->vms[i], VM_FIO, VM_FIO + 1));
	/* the guests' mounts, VM by VM */
	for (size_t i = 0; i < p->n_vms; i++) {
		const struct prov_vm *v = &p->vms[i];

		for (size_t s = 0; s < p->n_shares; s++) {
			const struct prov_share *sh = &p->shares[s];

			for (size_t k = 0; k < sh->n_mounts; k++) {
				const struct prov_share_mount *m =
					&sh->mounts[k];

				if (strcmp(m->vm, v->id))
					continue;
				snprintf(key, sizeof(key), "share.%s.vm.%s.",
					 sh->name, v->id);
				TRY(kv_add_fields(l, m, mount_fields,
						  ARRAY_SIZE(mount_fields),
						  key));
			}
		}
		TRY(kv_vm_fields(l, v, VM_FIO + 1, ARRAY_SIZE(vm_fields)));
	}
	for (size_t i = 0; i < p->n_sources; i++) {
		const struct prov_source *s = &p->sources[i];

		snprintf(key, sizeof(key), "memcg.%s", s->name);
		if (s->memcg)
			TRY(kv_set(l, key, "%s", s->memcg));
	}
	for (size_t i = 0; i < p->n_sources; i++) {
		const struct prov_source *s = &p->sources[i];

		snprintf(key, sizeof(key), "source.%s", s->name);
		if (s->kind)
			TRY(kv_set(l, key, "%s%s%s", s->kind, s->vm ? " " : "",
				   s->vm ? s->vm : ""));
	}
	TRY(kv_add_fields(l, p, end_fields, ARRAY_SIZE(end_fields), ""));
	for (size_t i = 0; i < p->extra.n; i++)
		TRY(kv_set(l, p->extra.v[i].key, "%s", p->extra.v[i].value));
	return 0;
}

char *provenance_format_txt(const struct provenance *p)
{
	struct kvlist l = { 0 };
	char *text = NULL;

	if (provenance_to_kv(p, &l) == 0)
		text = kv_format(&l);
	kv_free(&l);
	return text;
}

/*
 * The "KEY" of "ID.KEY" at s, the ID (up to the last '.', or the first when
 * first) copied into id; NULL: no ID, or one too long.
 */
static const char *split_id(const char *s, char id[128], bool first)
{
	const char *dot = first ? strchr(s, '.') : strrchr(s, '.');

	if (!dot || dot == s || (size_t)(dot - s) >= 128)
		return NULL;
	snprintf(id, 128, "%.*s", (int)(dot - s), s);
	return dot + 1;
}

/* One "key = value" of provenance.txt into p. */
static int set_key(struct provenance *p, const char *key, const char *value)
{
	const struct field *f = find_top(key);
	const char *rest, *dot;
	char id[128];

	if (f)
		return field_from_text(p, f, value);
	if (strcmp(key, "vms") == 0) {
		_cleanup_free_ char *copy = strdup(value);
		char *save = NULL;

		if (!copy)
			return -ENOMEM;
		for (char *w = strtok_r(copy, " \t", &save); w;
		     w = strtok_r(NULL, " \t", &save)) {
			struct prov_vm *v = provenance_vm(p, w);

			if (!v)
				return -ENOMEM;
			v->listed = true;
		}
		return 0;
	}
	if (str_has_prefix(key, "vm.")) {
		struct prov_vm *v;

		rest = split_id(key + 3, id, false);
		f = rest ? find_key(vm_fields, ARRAY_SIZE(vm_fields), rest) :
			   NULL;
		if (!f)
			return -EINVAL;
		v = provenance_vm(p, id);
		return v ? field_from_text(v, f, value) : -ENOMEM;
	}
	if (str_has_prefix(key, "topology.node.") &&
	    str_has_suffix(key, ".cpus")) {
		struct prov_node *pn;
		uint64_t n;

		snprintf(id, sizeof(id), "%.*s",
			 (int)(strlen(key) - strlen("topology.node.") -
			       strlen(".cpus")),
			 key + strlen("topology.node."));
		if (parse_u64(id, &n) < 0 || n > 4095)
			return -EINVAL;
		pn = node(p, (unsigned)n);
		return pn ? provenance_set(&pn->cpus, "%s", value) : -ENOMEM;
	}
	if (str_has_prefix(key, "memcg.") && key[6]) {
		struct prov_source *s = provenance_source(p, key + 6);

		return s ? provenance_set(&s->memcg, "%s", value) : -ENOMEM;
	}
	if (str_has_prefix(key, "source.") && key[7]) {
		struct prov_source *s = provenance_source(p, key + 7);
		char kind[64] = "", vm[128] = "";
		int n = sscanf(value, "%63s %127s", kind, vm);

		if (!s)
			return -ENOMEM;
		if (n < 1)
			return -EINVAL;
		TRY(provenance_set(&s->kind, "%s", kind));
		free(s->vm);
		s->vm = NULL;
		if (n == 2)
			TRY(provenance_set(&s->vm, "%s", vm));
		return 0;
	}
	if (str_has_prefix(key, "share.")) {
		struct prov_share *s;
		struct prov_share_place *pl;
		char name[128], kind[128];
		const char *vm = NULL;
		bool image, sfs;

		rest = split_id(key + 6, name, true);
		if (!rest)
			return -EINVAL;
		s = provenance_share(p, name);
		if (!s)
			return -ENOMEM;
		f = find_key(share_fields, ARRAY_SIZE(share_fields), rest);
		if (f)
			return field_from_text(s, f, value);
		if (str_has_prefix(rest, "vm.")) {
			/* share.NAME.vm.ID.mount, share.NAME.vm.ID.dax */
			struct prov_share_mount *m;

			rest = split_id(rest + 3, id, false);
			f = rest ? find_key(mount_fields,
					    ARRAY_SIZE(mount_fields), rest) :
				   NULL;
			if (!f)
				return -EINVAL;
			m = share_mount(p, s, id);
			return m ? field_from_text(m, f, value) : -ENOMEM;
		}
		/* share.NAME.{image,image_fs,source_fs}[.vmID] */
		dot = split_id(rest, kind, true);
		if (!dot)
			snprintf(kind, sizeof(kind), "%s", rest);
		else if (str_has_prefix(dot, "vm") && dot[2] &&
			 strlen(dot + 2) < sizeof(id))
			vm = dot + 2;
		else
			return -EINVAL;
		image = !strcmp(kind, "image");
		sfs = !strcmp(kind, "source_fs");
		if (!image && !sfs && strcmp(kind, "image_fs"))
			return -EINVAL;
		pl = record(s, &places_array, vm, true);
		if (!pl)
			return -ENOMEM;
		pl->pmem = !sfs;
		return provenance_set(image ? &pl->image : &pl->fs, "%s",
				      value);
	}
	return -EINVAL;
}

int provenance_parse_txt(const char *text, const char *path,
			 struct provenance *p, struct error *err)
{
	struct kvlist l = { 0 };
	int pr = kv_parse(text, &l), r = 0;

	/* a line without '=' ends it: what came before is kept */
	for (size_t i = 0; i < l.n && r == 0; i++) {
		r = set_key(p, l.v[i].key, l.v[i].value);
		if (r == -EINVAL)
			r = kv_set(&p->extra, l.v[i].key, "%s", l.v[i].value);
	}
	kv_free(&l);
	if (r == 0 && pr == -EBADMSG)
		return err_fail(err, -EBADMSG, "%s: a line without '='", path);
	if (r == 0 && pr < 0)
		r = pr;
	if (r < 0)
		err_set(err, "%s: %s", path, strerror(-r));
	return r;
}

/* --- provenance.json --- */

/* v as member of o (NULL: no memory); v is put when it cannot be added */
static int json_put(json_object *o, const char *member, json_object *v)
{
	if (!o || !v || json_object_object_add(o, member, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* obj's member "a" of "a.b", created as an object when create */
static json_object *json_parent(json_object *o, const char *name,
				const char **member, bool create)
{
	const char *dot = strchr(name, '.');
	char head[64];
	json_object *sub;

	*member = name;
	if (!dot)
		return o;
	*member = dot + 1;
	snprintf(head, sizeof(head), "%.*s", (int)(dot - name), name);
	if (json_object_object_get_ex(o, head, &sub))
		return json_object_is_type(sub, json_type_object) ? sub : NULL;
	if (!create)
		return NULL;
	sub = json_object_new_object();
	return json_put(o, head, sub) < 0 ? NULL : sub;
}

static int json_add(json_object *o, const char *name, json_object *v)
{
	const char *member;
	json_object *parent = json_parent(o, name, &member, true);

	return json_put(parent, member, v);
}

static int json_add_field(json_object *o, const void *base,
			  const struct field *f)
{
	json_object *v = NULL;
	_cleanup_free_ char *text = NULL;

	if (!field_is_set(base, f))
		return 0;
	switch (f->t) {
	case F_STR:
		v = json_object_new_string(*CAT(base, f, char *));
		break;
	case F_INT:
	case F_CGV:
		v = json_object_new_int64(*CAT(base, f, long long));
		break;
	case F_DBL:
		text = field_text(base, f);
		if (!text)
			return -ENOMEM;
		v = json_object_new_double_s(*CAT(base, f, double), text);
		break;
	case F_YN:
		v = json_object_new_string(
			yesno_names[*CAT(base, f, enum prov_yesno)]);
		break;
	case F_BOOL:
		v = json_object_new_boolean(*CAT(base, f, bool));
		break;
	case F_UINT:
		v = json_object_new_int64(*CAT(base, f, unsigned));
		break;
	}
	return json_add(o, f->json, v);
}

static int json_add_fields(json_object *o, const void *base,
			   const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		TRY(json_add_field(o, base, &f[i]));
	return 0;
}

/* The array a of base's records, an object each */
static int json_add_records(json_object *o, const void *base,
			    const struct array *a)
{
	json_object *arr = json_object_new_array();
	size_t *n;
	const char *e = records(base, a, &n);

	TRY(json_add(o, a->json, arr));
	for (size_t i = 0; i < *n; i++, e += a->sz) {
		json_object *r = json_object_new_object();

		if (!r || json_object_array_add(arr, r) < 0) {
			json_object_put(r);
			return -ENOMEM;
		}
		TRY(json_add_fields(r, e, a->f, a->nf));
		for (size_t k = 0; k < ARRAY_SIZE(a->sub) && a->sub[k]; k++)
			TRY(json_add_records(r, e, a->sub[k]));
	}
	return 0;
}

static int json_build(json_object *o, const struct provenance *p)
{
	for (size_t t = 0; t < ARRAY_SIZE(top); t++) {
		TRY(json_add_fields(o, p, top[t].f, top[t].n));
		if (top[t].a)
			TRY(json_add_records(o, p, top[t].a));
	}
	if (p->extra.n) {
		json_object *e = json_object_new_object();

		TRY(json_add(o, "extra", e));
		/* not json_add(): the keys have dots of their own */
		for (size_t i = 0; i < p->extra.n; i++)
			TRY(json_put(
				e, p->extra.v[i].key,
				json_object_new_string(p->extra.v[i].value)));
	}
	return 0;
}

char *provenance_format_json(const struct provenance *p)
{
	json_object *o = json_object_new_object();
	char *text = NULL;

	if (o && json_build(o, p) == 0)
		text = strdup_printf(
			"%s\n",
			json_object_to_json_string_ext(
				o, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_SPACED |
					   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

/* A malformed provenance.json: the file, the member and what is wrong. */
struct jctx {
	const char *path;
	struct error *err;
	struct provenance *p;
};

static int jbad(struct jctx *c, const char *where, const char *what)
{
	return err_fail(c->err, -EBADMSG, "%s: %s: %s", c->path, where, what);
}

/* The member name of o ("a.b": b of a); NULL: absent */
static json_object *jget(json_object *o, const char *name)
{
	const char *member;
	json_object *parent = json_parent(o, name, &member, false);
	json_object *v = NULL;

	if (parent)
		json_object_object_get_ex(parent, member, &v);
	return v;
}

/* The string v, member name of its object, into *ret; NULL v: absent */
static int jstr(struct jctx *c, json_object *v, const char *name, char **ret)
{
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return jbad(c, name, "not a string");
	return provenance_set(ret, "%s", json_object_get_string(v));
}

static int jfield(struct jctx *c, json_object *o, void *base,
		  const struct field *f)
{
	json_object *v = jget(o, f->json);

	if (!v)
		return 0;
	switch (f->t) {
	case F_STR:
		return jstr(c, v, f->json, AT(base, f, char *));
	case F_INT:
	case F_CGV:
		if (!json_object_is_type(v, json_type_int))
			return jbad(c, f->json, "not an integer");
		*AT(base, f, long long) = json_object_get_int64(v);
		return 0;
	case F_DBL:
		if (!json_object_is_type(v, json_type_double) &&
		    !json_object_is_type(v, json_type_int))
			return jbad(c, f->json, "not a number");
		*AT(base, f, double) = json_object_get_double(v);
		return 0;
	case F_YN:
		if (!json_object_is_type(v, json_type_string) ||
		    yesno_parse(json_object_get_string(v),
				AT(base, f, enum prov_yesno)) < 0)
			return jbad(c, f->json,
				    "not \"yes\", \"no\" or \"unknown\"");
		return 0;
	case F_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return jbad(c, f->json, "not true or false");
		*AT(base, f, bool) = json_object_get_boolean(v);
		return 0;
	case F_UINT:
		break; /* a node's id, read by jrecords() */
	}
	return 0;
}

static int jfields(struct jctx *c, json_object *o, void *base,
		   const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		TRY(jfield(c, o, base, &f[i]));
	return 0;
}

/* The array a of o into base's records, its elements checked first */
static int jrecords(struct jctx *c, json_object *o, void *base,
		    const struct array *a)
{
	json_object *arr = jget(o, a->json);
	size_t len;

	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return jbad(c, a->json, "not an array");
	len = json_object_array_length(arr);
	for (size_t i = 0; i < len; i++)
		if (!json_object_is_type(json_object_array_get_idx(arr, i),
					 json_type_object))
			return jbad(c, a->json, "an element is not an object");
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		json_object *id = jget(e, a->f[0].json);
		_cleanup_free_ char *opt = NULL;
		size_t *n;
		void *r;

		if (a->f[0].t == F_UINT) {
			if (!id || !json_object_is_type(id, json_type_int) ||
			    json_object_get_int64(id) < 0 ||
			    json_object_get_int64(id) > 4095)
				return jbad(c, a->json,
					    "a node without its id");
			records(base, a, &n);
			r = array_push((char *)base + a->off, n, a->sz);
			if (r)
				*AT(r, &a->f[0], unsigned) =
					(unsigned)json_object_get_int64(id);
		} else if (!a->where) {
			TRY(jstr(c, id, a->f[0].json, &opt));
			r = record(base, a, opt, true);
		} else if (!id || !json_object_is_type(id, json_type_string) ||
			   !*json_object_get_string(id)) {
			return jbad(c, a->where,
				    "an element without its name or id");
		} else {
			const char *name = json_object_get_string(id);

			r = a == &mounts_array ? share_mount(c->p, base, name) :
						 record(base, a, name, true);
		}
		if (!r)
			return -ENOMEM;
		TRY(jfields(c, e, r, a->f + 1, a->nf - 1));
		for (size_t k = 0; k < ARRAY_SIZE(a->sub) && a->sub[k]; k++)
			TRY(jrecords(c, e, r, a->sub[k]));
	}
	return 0;
}

static int json_read(struct jctx *c, struct provenance *p, json_object *o)
{
	json_object *extra;

	if (!json_object_is_type(o, json_type_object))
		return jbad(c, "the top", "not an object");
	/* the fields first, then the arrays */
	for (size_t t = 0; t < ARRAY_SIZE(top); t++)
		TRY(jfields(c, o, p, top[t].f, top[t].n));
	for (size_t t = 0; t < ARRAY_SIZE(top); t++)
		if (top[t].a)
			TRY(jrecords(c, o, p, top[t].a));
	if (json_object_object_get_ex(o, "extra", &extra)) {
		if (!json_object_is_type(extra, json_type_object))
			return jbad(c, "extra", "not an object");
		json_object_object_foreach(extra, k, v)
		{
			if (!json_object_is_type(v, json_type_string))
				return jbad(c, "extra", "not a string");
			TRY(kv_set(&p->extra, k, "%s",
				   json_object_get_string(v)));
		}
	}
	return 0;
}

int provenance_parse_json(const char *text, const char *path,
			  struct provenance *p, struct error *err)
{
	struct jctx c = { path, err, p };
	enum json_tokener_error je;
	json_object *o = json_tokener_parse_verbose(text, &je);
	int r;

	if (!o)
		return err_fail(err, -EBADMSG, "%s: not JSON: %s", path,
				json_tokener_error_desc(je));
	r = json_read(&c, p, o);
	json_object_put(o);
	if (r < 0 && r != -EBADMSG)
		err_set(err, "%s: %s", path, strerror(-r));
	return r;
}

/* --- the files --- */

int provenance_write(const char *dir, const struct provenance *p)
{
	_cleanup_free_ char *json = provenance_format_json(p);
	_cleanup_free_ char *text = provenance_format_txt(p);

	if (!json || !text)
		return -ENOMEM;
	TRY(results_write(dir, "provenance.json", json));
	return results_write(dir, "provenance.txt", text);
}

int provenance_read(const char *dir, struct provenance *p, struct error *err)
{
	static const char *const names[] = { "provenance.json",
					     "provenance.txt" };

	provenance_init(p);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		_cleanup_free_ char *path =
			strdup_printf("%s/%s", dir, names[i]);
		_cleanup_free_ char *text = NULL;
		int r;

		if (!path)
			return -ENOMEM;
		r = read_full_file(path, 4u << 20, &text, NULL);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return err_fail(err, r, "%s: %s", path, strerror(-r));
		return i == 0 ? provenance_parse_json(text, path, p, err) :
				provenance_parse_txt(text, path, p, err);
	}
	return err_fail(err, -ENOENT,
			"%s: no provenance.json or provenance.txt", dir);
}
