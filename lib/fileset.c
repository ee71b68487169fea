// SPDX-License-Identifier: MIT
/*
 * The workload's file sets: plan, creation, manifest, residency, evict
 * and warm.
 */
#include "fileset.h"
#include "config.h"
#include "strv.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <numaif.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1u << 20) /* write and read unit: 1 MiB */

void workload_spec_init(struct workload_spec *w)
{
	*w = (struct workload_spec){
		.size = 1ull << 30,
		.file_size = 16ull << 20,
		.private_ratio = 25,
		.access_ratio = 75,
		.hot_ratio = 20,
		.hot_access_ratio = 80,
		.vms = 1,
	};
}

/* The numbers of [workload] that the spec holds too. */
static void spec_numbers(struct workload_spec *w,
			 const struct workload_config *c)
{
	w->size = c->size;
	w->file_size = c->file_size;
	w->private_ratio = c->private_ratio;
	w->access_ratio = c->access_ratio;
	w->hot_ratio = c->hot_ratio;
	w->hot_access_ratio = c->hot_access_ratio;
}

int workload_spec_set(struct workload_spec *w, const char *key,
		      const char *value, struct error *err)
{
	struct workload_config c = {
		.size = w->size,
		.file_size = w->file_size,
		.private_ratio = w->private_ratio,
		.access_ratio = w->access_ratio,
		.hot_ratio = w->hot_ratio,
		.hot_access_ratio = w->hot_access_ratio,
	};
	int r;

	if (!strcmp(key, "vms")) {
		if (parse_uint_range(value, 0, 1000000, &w->vms) < 0)
			return err_fail(
				err, -EINVAL,
				"key 'vms': bad value '%s': expected a whole number",
				value);
		return 0;
	}
	/* the numbers of [workload], checked as daxlab.ini's are */
	if (strcmp(key, "size") && strcmp(key, "file_size") &&
	    strcmp(key, "private_ratio") && strcmp(key, "access_ratio") &&
	    strcmp(key, "hot_ratio") && strcmp(key, "hot_access_ratio"))
		return err_fail(err, -EINVAL, "unknown key %s", key);
	r = config_workload_set(&c, key, value, err);
	if (r < 0)
		return r;
	spec_numbers(w, &c);
	return 0;
}

void workload_cfgdata_free(struct workload_cfgdata *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->ids ? d->ids[i] : NULL);
		free(d->dirs ? d->dirs[i] : NULL);
	}
	free(d->ids);
	free(d->dirs);
	*d = (struct workload_cfgdata){ 0 };
}

const struct share_config *fs_guest_open_drops(const struct lab_config *c)
{
	if (strcmp(c->virtiofsd.cache ? c->virtiofsd.cache : "", "auto"))
		return NULL;
	for (int i = 0; i < 2; i++) {
		const struct share_config *sh = fs_set_share(c, i == 0);

		if (sh && sh->backend == SHARE_BACKEND_VIRTIOFS)
			return sh;
	}
	return NULL;
}

bool fs_vm_mounts(const struct vm_config *vm, const struct share_config *sh)
{
	return vm->n_shares == 0 || config_vm_has_share(vm, sh);
}

const struct share_config *fs_set_share(const struct lab_config *c, bool shared)
{
	for (size_t i = 0; i < c->n_shares; i++)
		if (c->shares[i].shared == shared)
			return &c->shares[i];
	return NULL;
}

int workload_spec_from_config(const struct lab_config *c,
			      struct workload_spec *w,
			      struct workload_cfgdata *d, struct error *err)
{
	const struct share_config *shared = fs_set_share(c, true);
	const struct share_config *priv = fs_set_share(c, false);

	*d = (struct workload_cfgdata){ 0 };
	spec_numbers(w, &c->workload);
	if (shared) {
		w->shared_dir = shared->source;
		d->shared_mount = shared->mount;
	}
	if (!priv || !c->n_vms)
		return 0;
	d->private_mount = priv->mount;
	d->ids = calloc(c->n_vms, sizeof(char *));
	d->dirs = calloc(c->n_vms, sizeof(char *));
	if (!d->ids || !d->dirs)
		goto nomem;
	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = &c->vms[i];

		if (!fs_vm_mounts(vm, priv))
			continue;
		d->ids[d->n] = strdup(vm->id);
		d->dirs[d->n] = config_share_source(priv, vm);
		d->n++;
		if (!d->ids[d->n - 1] || !d->dirs[d->n - 1])
			goto nomem;
	}
	if (d->n) {
		w->vms = (unsigned)d->n;
		w->vm_ids = (const char *const *)d->ids;
		w->vm_private_dirs = (const char *const *)d->dirs;
	}
	return 0;
nomem:
	workload_cfgdata_free(d);
	return err_fail(err, -ENOMEM, "out of memory");
}

static const char *fs_set_name(enum fs_set s)
{
	return s == FS_SHARED ? "shared" : "private";
}

const char *fs_temp_name(enum fs_temp t)
{
	return t == FS_HOT ? "hot" : "cold";
}

const char *fs_group_name(unsigned g)
{
	static const char *const names[FS_GROUPS] = {
		"shared-hot", "shared-cold", "private-hot", "private-cold"
	};
	return g < FS_GROUPS ? names[g] : "?";
}

char *fileset_private_dir(const char *pattern, unsigned vm)
{
	char *out = strdup(""), *next;
	const char *at;

	while (out && (at = strstr(pattern, "%i"))) {
		next = strdup_printf("%s%.*s%u", out, (int)(at - pattern),
				     pattern, vm);
		free(out);
		out = next;
		pattern = at + 2;
	}
	next = out ? strdup_printf("%s%s", out, pattern) : NULL;
	free(out);
	return next;
}

char *fileset_file_name(unsigned g, unsigned i)
{
	return strdup_printf("%s-%04u.dat", fs_group_name(g), i);
}

/* Hot files of a set of n: round(n x ratio), at least one of each kind. */
static unsigned hot_count(unsigned n, unsigned hot_ratio)
{
	unsigned hot = (unsigned)(((uint64_t)n * hot_ratio + 50) / 100);

	if (hot_ratio > 0 && hot == 0 && n > 0)
		hot = 1;
	if (hot_ratio < 100 && hot == n && n > 1)
		hot = n - 1;
	return hot;
}

static int compute_counts(struct fileset_plan *p, struct error *err)
{
	const struct workload_spec *w = &p->spec;
	const struct {
		const char *name;
		unsigned v;
	} ratios[] = { { "private_ratio", w->private_ratio },
		       { "access_ratio", w->access_ratio },
		       { "hot_ratio", w->hot_ratio },
		       { "hot_access_ratio", w->hot_access_ratio } };
	unsigned n, n_priv, n_shared, set_share[2];
	char a[32], b[32];

	for (size_t i = 0; i < ARRAY_SIZE(ratios); i++)
		if (ratios[i].v > 100)
			return err_fail(err, -EINVAL, "%s %u is outside 0..100",
					ratios[i].name, ratios[i].v);
	if (w->file_size == 0)
		return err_fail(err, -EINVAL, "file_size 0 is too small");
	if (w->size == 0 || w->size % w->file_size)
		return err_fail(err, -EINVAL,
				"size %s does not divide into files of %s",
				format_bytes(w->size, a, sizeof(a)),
				format_bytes(w->file_size, b, sizeof(b)));
	if (w->size / w->file_size > 100000)
		return err_fail(
			err, -EINVAL,
			"size %s makes %llu files of %s (at most 100000)",
			format_bytes(w->size, a, sizeof(a)),
			(unsigned long long)(w->size / w->file_size),
			format_bytes(w->file_size, b, sizeof(b)));
	if (w->vms == 0 || w->vms > 1000)
		return err_fail(err, -EINVAL, "vms %u is outside 1..1000",
				w->vms);
	n = (unsigned)(w->size / w->file_size);
	n_priv = (unsigned)(((uint64_t)n * w->private_ratio + 50) / 100);
	n_shared = n - n_priv;

	set_share[FS_PRIVATE] = w->access_ratio;
	set_share[FS_SHARED] = 100 - w->access_ratio;
	for (int s = FS_SHARED; s <= FS_PRIVATE; s++) {
		unsigned ns = s == FS_SHARED ? n_shared : n_priv;
		unsigned hot = hot_count(ns, w->hot_ratio);
		unsigned gh = fs_group((enum fs_set)s, FS_HOT);
		unsigned gc = fs_group((enum fs_set)s, FS_COLD);

		p->count[gh] = hot;
		p->count[gc] = ns - hot;
		p->share[gh] = set_share[s] * w->hot_access_ratio;
		p->share[gc] = set_share[s] * (100 - w->hot_access_ratio);
		if (set_share[s] && ns == 0)
			return err_fail(
				err, -EINVAL,
				"%s set has no files (size %s, private_ratio %u) but gets %u%% of the I/O (access_ratio %u)",
				fs_set_name((enum fs_set)s),
				format_bytes(w->size, a, sizeof(a)),
				w->private_ratio, set_share[s],
				w->access_ratio);
		for (int t = FS_HOT; t <= FS_COLD; t++) {
			unsigned g = fs_group((enum fs_set)s, (enum fs_temp)t);

			if (p->share[g] && p->count[g] == 0)
				return err_fail(
					err, -EINVAL,
					"%s has no files (%u files in the set, hot_ratio %u) but gets I/O (hot_access_ratio %u)",
					fs_group_name(g), ns, w->hot_ratio,
					w->hot_access_ratio);
		}
	}
	for (unsigned g = 0; g < FS_GROUPS; g++) {
		/* round(1000 x share/10000), at least 1 when used */
		unsigned wt = (p->share[g] + 5) / 10;

		if (p->share[g] && wt == 0)
			wt = 1;
		p->weight[g] = wt;
	}
	return 0;
}

/* The files of groups g0 (hot) and g0 + 1 (cold) of a set in dir. */
static int add_files(struct fileset_plan *p, size_t *idx, unsigned g0,
		     const char *dir, int vm)
{
	for (unsigned g = g0; g < g0 + 2; g++)
		for (unsigned i = 0; i < p->count[g]; i++) {
			struct fs_file *f = &p->files[(*idx)++];
			_cleanup_free_ char *name = fileset_file_name(g, i);

			if (!name)
				return -ENOMEM;
			f->path = strdup_printf("%s/%s", dir, name);
			if (!f->path)
				return -ENOMEM;
			f->name = strrchr(f->path, '/') + 1;
			f->set = g / 2 ? FS_PRIVATE : FS_SHARED;
			f->temp = g % 2 ? FS_COLD : FS_HOT;
			f->vm = vm;
			f->vm_id = vm >= 0 ? p->vm_ids[vm] : NULL;
			f->size = p->spec.file_size;
		}
	return 0;
}

/* Frees n strings of v (not NULL-terminated) and v. */
static void free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void fileset_plan_free(struct fileset_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i].path);
	free(p->files);
	free_strv(p->vm_ids, p->spec.vms);
	free_strv(p->vm_dirs, p->spec.vms);
	free((char *)p->spec.shared_dir);
	free(p);
}

/* A folder of the what set: not empty, no ':', tab or newline. */
static int check_dir(const char *what, const char *s, struct error *err)
{
	if (strchr(s, ':') || strchr(s, '\n') || strchr(s, '\t') || !*s)
		return err_fail(
			err, -EINVAL,
			"%s folder '%s' is empty or holds ':', a tab or a newline",
			what, s);
	return 0;
}

/* Whether a and b name the same folder, but for trailing slashes. */
static bool same_dir(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && !memcmp(a, b, la);
}

/* VM ids and private folders, from the spec's lists or pattern. */
static int plan_vms(struct fileset_plan *p, const struct workload_spec *w,
		    struct error *err)
{
	p->vm_ids = calloc(w->vms, sizeof(char *));
	p->vm_dirs = calloc(w->vms, sizeof(char *));
	if (!p->vm_ids || !p->vm_dirs)
		return -ENOMEM;
	for (unsigned v = 0; v < w->vms; v++) {
		p->vm_ids[v] = w->vm_ids ? strdup(w->vm_ids[v]) :
					   strdup_printf("%u", w->first_vm + v);
		if (!p->vm_ids[v])
			return -ENOMEM;
		if (w->vm_private_dirs)
			p->vm_dirs[v] = strdup(w->vm_private_dirs[v]);
		else if (w->private_dir)
			p->vm_dirs[v] = fileset_private_dir(w->private_dir,
							    w->first_vm + v);
		else
			continue;
		if (!p->vm_dirs[v])
			return -ENOMEM;
		if (check_dir("private", p->vm_dirs[v], err) < 0)
			return -EINVAL;
	}
	/* the private files of two VMs have the same names */
	for (unsigned v = 0; v < w->vms; v++)
		for (unsigned u = 0; p->vm_dirs[v] && u < v; u++)
			if (p->vm_dirs[u] &&
			    same_dir(p->vm_dirs[u], p->vm_dirs[v]))
				return err_fail(
					err, -EINVAL,
					"vm %s and vm %s have the same private folder %s: each VM needs its own (%%i in --private-dir stands for the VM)",
					p->vm_ids[u], p->vm_ids[v],
					p->vm_dirs[v]);
	return 0;
}

int fileset_plan_new(const struct workload_spec *w, struct fileset_plan **ret,
		     struct error *err)
{
	struct fileset_plan *p;
	size_t n, idx = 0;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->spec = *w;
	p->spec.shared_dir = NULL;
	p->spec.private_dir = NULL;
	p->spec.vm_ids = NULL;
	p->spec.vm_private_dirs = NULL;
	r = compute_counts(p, err);
	if (r < 0)
		goto out;
	if (w->shared_dir && !(p->spec.shared_dir = strdup(w->shared_dir)))
		goto nomem;
	if (w->shared_dir && (r = check_dir("shared", w->shared_dir, err)) < 0)
		goto out;
	r = plan_vms(p, w, err);
	if (r < 0)
		goto out;

	n = 0;
	if (w->shared_dir)
		n += p->count[0] + p->count[1];
	for (unsigned v = 0; v < w->vms; v++)
		if (p->vm_dirs[v])
			n += p->count[2] + p->count[3];
	p->files = calloc(n ? n : 1, sizeof(*p->files));
	if (!p->files)
		goto nomem;
	p->n_files = n;
	if (w->shared_dir && (r = add_files(p, &idx, 0, w->shared_dir, -1)) < 0)
		goto out;
	for (unsigned v = 0; v < w->vms; v++)
		if (p->vm_dirs[v] &&
		    (r = add_files(p, &idx, 2, p->vm_dirs[v], (int)v)) < 0)
			goto out;
	*ret = p;
	return 0;
nomem:
	r = -ENOMEM;
out:
	if (r == -ENOMEM)
		err_fail(err, r, "out of memory");
	/* files not filled yet have NULL paths; free() copes */
	fileset_plan_free(p);
	return r;
}

int fs_select_parse(const char *s, struct fs_select *ret)
{
	static const struct {
		const char *name;
		unsigned mask;
	} sel[] = {
		{ "all", 0xf },		 { "shared", 0x3 },
		{ "private", 0xc },	 { "hot", 0x5 },
		{ "cold", 0xa },	 { "shared-hot", 0x1 },
		{ "shared-cold", 0x2 },	 { "private-hot", 0x4 },
		{ "private-cold", 0x8 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(sel); i++) {
		if (strcmp(s, sel[i].name))
			continue;
		for (unsigned g = 0; g < FS_GROUPS; g++)
			ret->group[g] = sel[i].mask & (1u << g);
		ret->vm = NULL;
		return 0;
	}
	return -EINVAL;
}

bool fs_select_match(const struct fs_select *sel, const struct fs_file *f)
{
	if (!sel->group[fs_group(f->set, f->temp)])
		return false;
	return !sel->vm || f->set == FS_SHARED || !strcmp(f->vm_id, sel->vm);
}

/* xoshiro256**, seeded with splitmix64. */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void fs_rng_seed(struct fs_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void fs_rng_fill(struct fs_rng *r, void *buf, size_t len)
{
	uint64_t s0 = r->s[0], s1 = r->s[1], s2 = r->s[2], s3 = r->s[3];
	unsigned char *b = buf;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t v = rotl(s1 * 5, 7) * 9, t = s1 << 17;

		s2 ^= s0;
		s3 ^= s1;
		s1 ^= s2;
		s0 ^= s3;
		s2 ^= t;
		s3 = rotl(s3, 45);
		memcpy(b + i, &v, 8);
	}
	if (i < len) {
		uint64_t v = rotl(s1 * 5, 7) * 9;

		memcpy(b + i, &v, len - i);
		s1 ^= s0; /* any change of state is enough for a tail */
	}
	r->s[0] = s0;
	r->s[1] = s1;
	r->s[2] = s2;
	r->s[3] = s3;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

char *fileset_default_manifest(const struct fileset_plan *p)
{
	const char *dir = p->spec.shared_dir;

	if (!dir)
		dir = p->spec.vms && p->vm_dirs[0] ? p->vm_dirs[0] : ".";
	return strdup_printf("%s/.daxlab-manifest", dir);
}

/* Appends the folders of the plan to *dirs (a strv), each once. */
static int plan_dirs(const struct fileset_plan *p, char ***dirs)
{
	for (size_t i = 0; i < p->n_files; i++) {
		const struct fs_file *f = &p->files[i];
		_cleanup_free_ char *dir =
			strndup(f->path, (size_t)(f->name - 1 - f->path));

		if (!dir ||
		    (!strv_contains(*dirs, dir) && strv_append(dirs, dir) < 0))
			return -ENOMEM;
	}
	return 0;
}

/* Creates dir if needed and proves it writable with a probe file. */
static int check_writable(const char *dir, struct error *err)
{
	_cleanup_free_ char *probe = NULL;
	int r, fd;

	r = mkdir_p(dir, 0755);
	if (r < 0)
		return err_fail(err, r, "cannot create folder %s: %s", dir,
				strerror(-r));
	probe = strdup_printf("%s/.daxlab-probe.%d", dir, (int)getpid());
	if (!probe)
		return -ENOMEM;
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_fail(err, -errno, "folder %s is not writable: %m",
				dir);
	close(fd);
	unlink(probe);
	return 0;
}

struct devspace {
	dev_t dev;
	const struct fs_file *file; /* first file to write on it */
	uint64_t need, freed, avail;
};

static bool file_ok(const struct fs_file *f, unsigned flags, struct stat *st,
		    bool *exists)
{
	/* lstat: a link (a guest's, in a folder it shares) is rewritten */
	*exists = lstat(f->path, st) == 0;
	if (!*exists || !S_ISREG(st->st_mode))
		return false;
	return !(flags & FILESET_FORCE) && (uint64_t)st->st_size == f->size;
}

static int check_space(const struct fileset_plan *p, unsigned flags,
		       struct error *err)
{
	_cleanup_free_ struct devspace *ds =
		calloc(p->n_files + 1, sizeof(*ds));
	size_t n = 0;
	char a[32], b[32];

	if (!ds)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_files; i++) {
		const struct fs_file *f = &p->files[i];
		_cleanup_free_ char *dir =
			strndup(f->path, (size_t)(f->name - 1 - f->path));
		struct stat st, dst;
		struct statvfs vfs;
		bool exists;
		size_t j;

		if (!dir)
			return -ENOMEM;
		if (file_ok(f, flags, &st, &exists))
			continue;
		if (stat(dir, &dst) < 0)
			return err_fail(err, -errno, "cannot stat %s: %m", dir);
		for (j = 0; j < n; j++)
			if (ds[j].dev == dst.st_dev)
				break;
		if (j == n) {
			if (statvfs(dir, &vfs) < 0)
				return err_fail(err, -errno,
						"cannot statvfs %s: %m", dir);
			ds[n].dev = dst.st_dev;
			ds[n].file = f;
			ds[n].avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
			n++;
		}
		ds[j].need += f->size;
		if (exists && S_ISREG(st.st_mode))
			ds[j].freed += (uint64_t)st.st_blocks * 512;
	}
	for (size_t j = 0; j < n; j++) {
		uint64_t have = ds[j].avail + ds[j].freed;

		if (ds[j].need > have)
			return err_fail(
				err, -ENOSPC,
				"the plan needs %s on the file system of %.*s, only %s free",
				format_bytes(ds[j].need, a, sizeof(a)),
				(int)(ds[j].file->name - 1 - ds[j].file->path),
				ds[j].file->path,
				format_bytes(have, b, sizeof(b)));
	}
	return 0;
}

static char *tmp_path(const char *path)
{
	return strdup_printf("%s.tmp", path);
}

/*
 * The data comes from a generator thread, a few 1 MiB buffers ahead of
 * the writer, so that making it costs no time on a two-core machine: the
 * writer copies into the page cache while the generator fills the next
 * buffer.
 */
#define NBUF 4

struct generator {
	const struct fileset_plan *p;
	const bool *todo;
	uint64_t salt;
	void *buf[NBUF];
	size_t len[NBUF];
	sem_t filled[NBUF], empty[NBUF];
	atomic_bool stop;
	pthread_t thread;
	bool running;
};

static void *generate(void *arg)
{
	struct generator *g = arg;
	size_t k = 0;

	for (size_t i = 0; i < g->p->n_files; i++) {
		const struct fs_file *f = &g->p->files[i];
		uint64_t left = f->size;
		struct fs_rng rng;

		if (!g->todo[i])
			continue;
		fs_rng_seed(&rng, hash_str(f->path) ^ g->salt);
		while (left) {
			size_t n = left < CHUNK ? (size_t)left : CHUNK;
			size_t b = k++ % NBUF;

			while (sem_wait(&g->empty[b]) < 0)
				;
			if (atomic_load(&g->stop))
				return NULL;
			fs_rng_fill(&rng, g->buf[b], n);
			g->len[b] = n;
			left -= n;
			sem_post(&g->filled[b]);
		}
	}
	return NULL;
}

static void generator_stop(struct generator *g)
{
	if (g->running) {
		atomic_store(&g->stop, true);
		for (int b = 0; b < NBUF; b++)
			sem_post(&g->empty[b]);
		pthread_join(g->thread, NULL);
		g->running = false;
	}
	for (int b = 0; b < NBUF; b++) {
		if (!g->buf[b])
			continue;
		free(g->buf[b]);
		g->buf[b] = NULL;
		sem_destroy(&g->filled[b]);
		sem_destroy(&g->empty[b]);
	}
}

static int generator_start(struct generator *g, const struct fileset_plan *p,
			   const bool *todo)
{
	*g = (struct generator){ .p = p, .todo = todo };
	g->salt = (uint64_t)now_realtime_ms();
	atomic_init(&g->stop, false);
	for (int b = 0; b < NBUF; b++) {
		if (posix_memalign(&g->buf[b], 4096, CHUNK)) {
			g->buf[b] = NULL;
			generator_stop(g);
			return -ENOMEM;
		}
		sem_init(&g->filled[b], 0, 0);
		sem_init(&g->empty[b], 0, 1);
	}
	if (pthread_create(&g->thread, NULL, generate, g)) {
		generator_stop(g);
		return -EAGAIN;
	}
	g->running = true;
	return 0;
}

/* Writes f as f.tmp with the generator's next buffers; writeback started. */
static int write_one(const struct fs_file *f, struct generator *g, size_t *k,
		     fileset_progress_fn progress, void *userdata,
		     uint64_t *done, uint64_t total, struct error *err)
{
	_cleanup_free_ char *tmp = tmp_path(f->path);
	_cleanup_close_ int fd = -1;
	uint64_t left = f->size, off = 0;
	int r;

	if (!tmp)
		return -ENOMEM;
	/*
	 * The old file goes first: the space check counted its blocks as
	 * free, and the set is incomplete anyway until the manifest says so.
	 */
	if (unlink(f->path) < 0 && errno != ENOENT)
		return err_fail(err, -errno, "cannot remove %s: %m", f->path);
	/*
	 * A new file, never through a link: a guest that mounts the folder
	 * read-write could have left f.tmp as a link to any host file.
	 */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return err_fail(err, -errno, "cannot remove %s: %m", tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return err_fail(err, -errno, "cannot create %s: %m", tmp);
	while (left) {
		size_t b = (*k)++ % NBUF, n;

		while (sem_wait(&g->filled[b]) < 0)
			;
		n = g->len[b];
		r = write_all(fd, g->buf[b], n);
		sem_post(&g->empty[b]);
		if (r < 0)
			return err_fail(err, r, "cannot write %s: %s", tmp,
					strerror(-r));
		off += n;
		left -= n;
		*done += n;
		/* keep writeback going behind us */
		if (off % (8 * CHUNK) == 0)
			sync_file_range(fd, (off64_t)(off - 8 * CHUNK),
					8 * CHUNK, SYNC_FILE_RANGE_WRITE);
		if (progress && !progress(userdata, *done, total))
			return err_fail(err, -EINTR,
					"interrupted while writing %s", tmp);
	}
	sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	return 0;
}

/* Data on disk, out of the page cache, under its final name. */
static int finish_one(const struct fs_file *f, bool written, struct error *err)
{
	_cleanup_free_ char *tmp = tmp_path(f->path);
	const char *path = written ? tmp : f->path;
	_cleanup_close_ int fd = -1;

	if (!tmp)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_fail(err, -errno, "cannot open %s: %m", path);
	if (fdatasync(fd) < 0)
		return err_fail(err, -errno, "cannot sync %s: %m", path);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (written && rename(tmp, f->path) < 0)
		return err_fail(err, -errno, "cannot rename %s: %m", tmp);
	return 0;
}

#define MANIFEST_HEADER "# daxlab files manifest 1"
#define MANIFEST_END "# complete"

/* Writes the manifest to path with write_file_atomic(). */
static int write_manifest(const struct fileset_plan *p, const char *path)
{
	const struct workload_spec *w = &p->spec;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	fprintf(f, MANIFEST_HEADER "\n");
	fprintf(f,
		"# size=%llu file_size=%llu private_ratio=%u access_ratio=%u hot_ratio=%u hot_access_ratio=%u vms=%u\n",
		(unsigned long long)w->size, (unsigned long long)w->file_size,
		w->private_ratio, w->access_ratio, w->hot_ratio,
		w->hot_access_ratio, w->vms);
	fprintf(f, "# set\ttemp\tvm\tsize\tpath\n");
	for (size_t i = 0; i < p->n_files; i++) {
		const struct fs_file *x = &p->files[i];
		const char *vm = x->vm_id ? x->vm_id : "-";

		fprintf(f, "%s\t%s\t%s\t%llu\t%s\n", fs_set_name(x->set),
			fs_temp_name(x->temp), vm, (unsigned long long)x->size,
			x->path);
	}
	fprintf(f, MANIFEST_END " files=%zu\n", p->n_files);
	if (fclose(f))
		return -ENOMEM;
	return write_file_atomic(path, text, len, 0644, NULL);
}

/* Whether name is a set file's (or its .tmp's): "shared-hot-0012.dat". */
static bool set_file_name(const char *name)
{
	for (unsigned g = 0; g < FS_GROUPS; g++) {
		const char *s = fs_group_name(g);
		size_t n = strlen(s), d = 0;

		if (strncmp(name, s, n) || name[n] != '-')
			continue;
		name += n + 1;
		while (isdigit((unsigned char)name[d]))
			d++;
		return d >= 4 && (!strcmp(name + d, ".dat") ||
				  !strcmp(name + d, ".dat.tmp"));
	}
	return false;
}

/* A file by what it is, not by the name a path gives it. */
struct file_id {
	dev_t dev;
	ino_t ino;
};

static int cmp_file_id(const void *x, const void *y)
{
	const struct file_id *a = x, *b = y;

	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	return a->ino < b->ino ? -1 : a->ino > b->ino;
}

/*
 * Removes the set files of dir that are none of the plan's (ids, sorted);
 * counts them in res.
 */
static int prune_dir(const char *dir, const struct file_id *ids, size_t n,
		     struct fileset_create_result *res, struct error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	if (!d)
		return errno == ENOENT ?
			       0 :
			       err_fail(err, -errno,
					"cannot read folder %s: %m", dir);
	while ((de = readdir(d))) {
		struct stat st;
		struct file_id id;

		if (!set_file_name(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		id = (struct file_id){ st.st_dev, st.st_ino };
		if (bsearch(&id, ids, n, sizeof(*ids), cmp_file_id))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			r = err_fail(err, -errno, "cannot remove %s/%s: %m",
				     dir, de->d_name);
			break;
		}
		res->removed++;
		if (S_ISREG(st.st_mode))
			res->bytes_removed += (uint64_t)st.st_size;
	}
	closedir(d);
	return r;
}

/*
 * Removes the set files in p's folders (a set with no files in p too)
 * that are none of p's files, whatever path names a folder (/d and /d/,
 * a link): an earlier layout's, of another size, file_size or ratio.
 * Left, they would be copied into every virtio-pmem image made of the
 * folder and be in the host's page cache, whatever this run asks. After
 * the plan's files are in place.
 */
static int prune(const struct fileset_plan *p,
		 struct fileset_create_result *res, struct error *err)
{
	_cleanup_free_ struct file_id *ids =
		calloc(p->n_files + 1, sizeof(*ids));
	_cleanup_free_ struct file_id *seen =
		calloc(p->spec.vms + 2, sizeof(*seen));
	size_t n = 0, n_seen = 0;
	int r;

	if (!ids || !seen)
		return err_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n_files; i++) {
		struct stat st;

		if (lstat(p->files[i].path, &st) < 0)
			return err_fail(err, -errno, "cannot stat %s: %m",
					p->files[i].path);
		ids[n++] = (struct file_id){ st.st_dev, st.st_ino };
	}
	qsort(ids, n, sizeof(*ids), cmp_file_id);
	for (unsigned v = 0; v <= p->spec.vms; v++) {
		const char *dir = v == p->spec.vms ? p->spec.shared_dir :
				  p->vm_dirs	   ? p->vm_dirs[v] :
						     NULL;
		struct stat st;
		struct file_id id;
		bool again = false;

		if (!dir || stat(dir, &st) < 0)
			continue;
		id = (struct file_id){ st.st_dev, st.st_ino };
		for (size_t k = 0; k < n_seen; k++)
			again |= !cmp_file_id(&seen[k], &id);
		if (again)
			continue;
		seen[n_seen++] = id;
		r = prune_dir(dir, ids, n, res, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int fileset_create(const struct fileset_plan *p, const char *manifest,
		   unsigned flags, fileset_progress_fn progress, void *userdata,
		   struct fileset_create_result *ret, struct error *err)
{
	_cleanup_free_ bool *todo = NULL;
	_cleanup_free_ char *mtmp = NULL;
	_cleanup_strv_ char **dirs = NULL;
	struct generator gen = { 0 }; /* generator_stop() copes */
	bool wrote = false;
	size_t k = 0;
	uint64_t total = 0, done = 0;
	struct fileset_create_result res = { 0 };
	int64_t t0;
	int r;

	todo = calloc(p->n_files + 1, sizeof(*todo));
	mtmp = strdup_printf("%s.tmp", manifest);
	if (!todo || !mtmp)
		return err_fail(err, -ENOMEM, "out of memory");
	r = plan_dirs(p, &dirs);
	if (r < 0)
		return err_fail(err, r, "out of memory");
	for (char **d = dirs; d && *d; d++) {
		r = check_writable(*d, err);
		if (r < 0)
			goto out;
	}
	r = check_space(p, flags, err);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < p->n_files; i++) {
		struct stat st;
		bool exists;

		todo[i] = !file_ok(&p->files[i], flags, &st, &exists);
		if (todo[i])
			total += p->files[i].size;
	}

	/* From here on the set is not complete until the manifest says so. */
	if ((unlink(manifest) < 0 && errno != ENOENT) ||
	    (unlink(mtmp) < 0 && errno != ENOENT)) {
		r = err_fail(err, -errno, "cannot remove %s: %m", manifest);
		goto out;
	}

	wrote = true;
	r = generator_start(&gen, p, todo);
	if (r < 0) {
		r = err_fail(err, r, "cannot start the data generator");
		goto out;
	}
	t0 = now_monotonic_ns();
	for (size_t i = 0; i < p->n_files; i++) {
		if (!todo[i])
			continue;
		r = write_one(&p->files[i], &gen, &k, progress, userdata, &done,
			      total, err);
		if (r < 0)
			goto out;
		res.written++;
		res.bytes_written += p->files[i].size;
	}
	generator_stop(&gen);
	for (size_t i = 0; i < p->n_files; i++) {
		r = finish_one(&p->files[i], todo[i], err);
		if (r < 0)
			goto out;
		if (!todo[i])
			res.kept++;
	}
	r = prune(p, &res, err);
	if (r < 0)
		goto out;
	for (char **d = dirs; d && *d; d++) {
		_cleanup_close_ int fd =
			open(*d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0)
			fsync(fd);
	}
	res.write_ns = now_monotonic_ns() - t0;

	r = write_manifest(p, manifest);
	if (r < 0) {
		r = err_fail(err, r, "cannot write manifest %s: %s", manifest,
			     strerror(-r));
		goto out;
	}
	if (ret)
		*ret = res;
	r = 0;
out:
	generator_stop(&gen);
	if (r < 0 && wrote) {
		/* no half-written file stays behind */
		for (size_t i = 0; i < p->n_files; i++) {
			_cleanup_free_ char *tmp = NULL;

			if (!todo[i])
				continue;
			tmp = tmp_path(p->files[i].path);
			if (tmp)
				unlink(tmp);
		}
	}
	return r;
}

int fileset_file_residency(const char *path, const struct fs_ranges *only,
			   struct fs_residency *acc)
{
	void *pages[1024];
	int status[ARRAY_SIZE(pages)];
	struct fs_mapped m;
	int r = fileset_map_resident(path, only, &m);

	if (r < 0)
		return r;
	acc->size += m.size;
	acc->span += (uint64_t)m.npages * m.page;
	if (!m.size)
		return 0;
	for (size_t i = 0, end; i < m.npages; i = end) {
		size_t n = 0;

		end = m.npages - i < ARRAY_SIZE(pages) ? m.npages :
							 i + ARRAY_SIZE(pages);
		fileset_recheck(&m, i, end - i);
		for (; i < end; i++) {
			if (!(m.vec[i] & 1))
				continue;
			/*
			 * Map the cached page (a minor fault, no I/O) so that
			 * move_pages can see it.
			 */
			pages[n] = m.map + i * m.page;
			(void)*(volatile unsigned char *)pages[n];
			n++;
		}
		if (!n)
			continue;
		/* on success, move_pages fills every status */
		if (move_pages(0, n, pages, NULL, status, 0) < 0) {
			for (size_t j = 0; j < n; j++)
				status[j] = -ENOENT;
		}
		for (size_t j = 0; j < n; j++) {
			/* whole pages, as fincore counts them */
			uint64_t b = (uint64_t)m.page;

			acc->resident += b;
			if (status[j] >= 0 && status[j] < FS_MAX_NODES)
				acc->node[status[j]] += b;
			else
				acc->node_unknown += b;
		}
	}
	fileset_unmap(&m);
	return 0;
}

/*
 * A set file or image for reading, never through a link and only a
 * regular file: a guest that mounts its set's folder read-write could
 * leave a link to /dev/zero (a warm-up that never ends) or a FIFO (an
 * open that never returns) in its place.
 */
static int open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL; /* "Invalid argument": not a file of a set */
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int fileset_file_evict(const char *path)
{
	_cleanup_close_ int fd = open_regular(path);

	if (fd < 0)
		return fd;
	if (fdatasync(fd) < 0)
		return -errno;
	return -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

/* nftw() has no context: the first error of the walk in progress. */
static _Thread_local int tree_err;

static int evict_entry(const char *path, const struct stat *st, int type,
		       struct FTW *ftw)
{
	int r;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	r = fileset_file_evict(path);
	if (r < 0 && !tree_err)
		tree_err = r;
	return 0;
}

int fileset_tree_evict(const char *dir)
{
	/* the folder itself may be a link, as mkfs.ext4 -d follows it */
	_cleanup_free_ char *real = realpath(dir, NULL);

	if (!real)
		return -errno;
	tree_err = 0;
	if (nftw(real, evict_entry, 16, FTW_PHYS | FTW_MOUNT) < 0)
		return -errno;
	return tree_err;
}

int fileset_file_warm(const char *path)
{
	_cleanup_close_ int fd = open_regular(path);
	_cleanup_free_ char *buf = NULL;
	ssize_t n;
	off_t off = 0;

	if (fd < 0)
		return fd;
	posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	while ((n = pread(fd, buf, CHUNK, off)) > 0)
		off += n;
	if (n < 0)
		return -errno;
	return 0;
}
