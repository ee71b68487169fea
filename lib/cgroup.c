// SPDX-License-Identifier: MIT
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "array.h"
#include "topology.h"
#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const char *const v1_controllers[] = { "cpuset", "memory", NULL };

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int cg_detect(const char *root, const char *want, enum cg_version *ret)
{
	_cleanup_free_ char *ctl = strdup_printf("%s/cgroup.controllers", root);
	_cleanup_free_ char *cs = strdup_printf("%s/cpuset", root);
	_cleanup_free_ char *mem = strdup_printf("%s/memory", root);
	struct statfs sfs;
	bool v2, v1;

	if (!ctl || !cs || !mem)
		return -ENOMEM;
	v2 = (statfs(root, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) ||
	     access(ctl, F_OK) == 0;
	v1 = is_dir(cs) && is_dir(mem);
	if (want && !strcmp(want, "v1"))
		v2 = false;
	else if (want && !strcmp(want, "v2"))
		v1 = false;
	else if (want && strcmp(want, "auto"))
		return -EINVAL;
	if (!v2 && !v1)
		return -ENOENT;
	*ret = v2 ? CG_V2 : CG_V1;
	return 0;
}

int cg_ctx_init(struct cg_ctx *ctx, const char *root, const char *want,
		const char *parent)
{
	int r;

	memset(ctx, 0, sizeof(*ctx));
	r = cg_detect(root, want, &ctx->version);
	if (r < 0)
		return r;
	ctx->root = strdup(root);
	if (!ctx->root || cg_ctx_place(ctx, parent, NULL) < 0) {
		cg_ctx_done(ctx);
		return -ENOMEM;
	}
	return 0;
}

void cg_ctx_done(struct cg_ctx *ctx)
{
	free(ctx->root);
	free(ctx->parent);
	free(ctx->delegated);
	ctx->root = ctx->parent = ctx->delegated = NULL;
}

int cg_ctx_place(struct cg_ctx *ctx, const char *parent, const char *delegated)
{
	char *p = strdup(parent ? parent : "");
	char *d = delegated ? strdup(delegated) : NULL;

	if (!p || (delegated && !d)) {
		free(p);
		free(d);
		return -ENOMEM;
	}
	free(ctx->parent);
	free(ctx->delegated);
	ctx->parent = p;
	ctx->delegated = d;
	return 0;
}

bool cg_is_below(const char *rel, const char *top)
{
	size_t n = strlen(top);

	if (!n)
		return true;
	return !strncmp(rel, top, n) && (rel[n] == 0 || rel[n] == '/');
}

/* rel is the delegated cgroup or below it (always, without a limit). */
static bool may_write(const struct cg_ctx *ctx, const char *rel)
{
	return !ctx->delegated || cg_is_below(rel, ctx->delegated);
}

char *cg_path(const struct cg_ctx *ctx, const char *controller,
	      const char *name, const char *file)
{
	const char *sep1 = *ctx->parent ? "/" : "";
	const char *sep2 = name && *name ? "/" : "";
	const char *sep3 = file && *file ? "/" : "";
	bool v1 = ctx->version == CG_V1;

	return strdup_printf("%s%s%s%s%s%s%s%s%s", ctx->root, v1 ? "/" : "",
			     v1 ? controller : "", sep1, ctx->parent, sep2,
			     name ? name : "", sep3, file ? file : "");
}

/* Tells the trace what is done to path; true: a dry run, it is not done. */
static bool trace(const struct cg_ctx *ctx, const char *what, const char *path,
		  const char *value)
{
	if (ctx->trace)
		ctx->trace(ctx->trace_ud, what, path, value);
	return ctx->dry_run;
}

/* "": the empty value, written as a newline (a write needs a byte) */
static int cg_write(const struct cg_ctx *ctx, const char *path,
		    const char *value)
{
	if (trace(ctx, "write", path, value))
		return 0;
	return write_string_file(path, *value ? value : "\n");
}

static int cg_mkdir(const struct cg_ctx *ctx, const char *path, bool *created)
{
	*created = false;
	if (is_dir(path))
		return 0;
	if (trace(ctx, "mkdir", path, NULL))
		return 0;
	if (mkdir(path, 0755) < 0) {
		/* another made it meanwhile; or a file of the parent's */
		if (errno != EEXIST)
			return -errno;
		return is_dir(path) ? 0 : -ENOTDIR;
	}
	*created = true;
	return 0;
}

static int cg_rmdir(const struct cg_ctx *ctx, const char *path)
{
	if (!is_dir(path))
		return 0;
	if (trace(ctx, "rmdir", path, NULL))
		return 0;
	if (rmdir(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int read_trimmed(const char *path, char **ret)
{
	char *s = NULL;
	int r = read_full_file(path, 1 << 20, &s, NULL);

	if (r < 0)
		return r;
	*ret = str_trim(s);
	return 0;
}

/* Same sets, whatever the spelling ("0-1" and "0,1"). */
static bool same_list(const char *a, const char *b)
{
	struct cpu_bits x, y;

	if (cpulist_parse(a, &x) < 0 || cpulist_parse(b, &y) < 0)
		return !strcmp(a, b);
	return !memcmp(&x, &y, sizeof(x));
}

/* v1: a fresh cpuset has empty cpus/mems: copy them from its parent. */
static int v1_inherit(const struct cg_ctx *ctx, const char *dir,
		      const char *file, struct error *err)
{
	const char *slash = strrchr(dir, '/');
	_cleanup_free_ char *from = NULL, *to = NULL, *val = NULL;
	int r;

	if (!slash)
		return -EINVAL;
	from = strdup_printf("%.*s/%s", (int)(slash - dir), dir, file);
	to = strdup_printf("%s/%s", dir, file);
	if (!from || !to)
		return -ENOMEM;
	if (ctx->dry_run && access(from, F_OK) < 0) {
		trace(ctx, "write", to, "(parent's)");
		return 0;
	}
	r = read_trimmed(from, &val);
	if (r < 0)
		return err_fail(err, r, "cannot read %s", from);
	r = cg_write(ctx, to, val);
	if (r < 0)
		return err_fail(err, r, "cannot write '%s' to %s", val, to);
	return 0;
}

/*
 * Creates every level of parent/name in one hierarchy. v2: enables cpuset
 * and memory for the children of each level, but not above the delegated
 * cgroup (systemd's part of the tree), where no folder is made either.
 */
static int make_levels(const struct cg_ctx *ctx, const char *controller,
		       const char *name, bool *existed, struct error *err)
{
	_cleanup_free_ char *rel = NULL, *acc = NULL;
	const char *racc = ""; /* acc past the hierarchy's root and '/' */
	char *save = NULL, *w;
	size_t root_len;
	int r;

	rel = strdup_printf("%s%s%s", ctx->parent, *ctx->parent ? "/" : "",
			    name);
	if (!rel)
		return -ENOMEM;
	acc = ctx->version == CG_V1 ?
		      strdup_printf("%s/%s", ctx->root, controller) :
		      strdup(ctx->root);
	if (!acc)
		return -ENOMEM;
	root_len = strlen(acc);
	for (w = strtok_r(rel, "/", &save); w; w = strtok_r(NULL, "/", &save)) {
		char *next;
		bool created;

		if (ctx->version == CG_V2 && may_write(ctx, racc)) {
			_cleanup_free_ char *sc =
				strdup_printf("%s/cgroup.subtree_control", acc);

			if (!sc)
				return -ENOMEM;
			r = cg_write(ctx, sc, "+cpuset +memory");
			if (r < 0)
				return err_fail(
					err, r,
					"cannot write '+cpuset +memory' to %s (%s)",
					sc,
					r == -EBUSY ?
						"it holds processes, and a v2 cgroup with processes cannot enable controllers for its children" :
					r == -ENOENT ?
						"a controller is not in its cgroup.controllers" :
						strerror(-r));
		}
		next = strdup_printf("%s/%s", acc, w);
		if (!next)
			return -ENOMEM;
		free(acc);
		acc = next;
		racc = acc + root_len + 1;
		/* the delegated cgroup is systemd's to make, not ours */
		if (!may_write(ctx, racc) ||
		    (ctx->delegated && !strcmp(racc, ctx->delegated))) {
			/* a dry run may come before systemd made it */
			if (!is_dir(acc) && !ctx->dry_run)
				return err_fail(
					err, -ENOENT,
					"%s does not exist, and daxlab makes no cgroup but below the delegated %s/%s",
					acc, ctx->root, ctx->delegated);
			continue;
		}
		*existed = is_dir(acc); /* the last level's stays */
		r = cg_mkdir(ctx, acc, &created);
		if (r < 0)
			return err_fail(err, r, "cannot create %s", acc);
		if (ctx->version == CG_V1 && !strcmp(controller, "cpuset") &&
		    (created || ctx->dry_run)) {
			r = v1_inherit(ctx, acc, "cpuset.cpus", err);
			if (r < 0)
				return r;
			r = v1_inherit(ctx, acc, "cpuset.mems", err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int check_effective(const struct cg_ctx *ctx, const char *path,
			   const char *want, struct error *err)
{
	_cleanup_free_ char *got = NULL;
	int r;

	if (ctx->dry_run)
		return 0;
	r = read_trimmed(path, &got);
	if (r < 0)
		return err_fail(err, r, "cannot read %s", path);
	if (!same_list(got, want))
		return err_fail(
			err, -EINVAL,
			"%s is '%s', not '%s' as written (the parent cgroup does not allow it?)",
			path, got, want);
	return 0;
}

/* Writes cpuset.WHAT ("cpus" or "mems") and checks its effective list. */
static int write_list(const struct cg_ctx *ctx, const char *name,
		      const char *what, const char *value, struct error *err)
{
	char file[32], eff[32];
	_cleanup_free_ char *p = NULL, *e = NULL;
	int r;

	if (!value)
		return 0;
	snprintf(file, sizeof(file), "cpuset.%s", what);
	if (ctx->version == CG_V1)
		snprintf(eff, sizeof(eff), "cpuset.effective_%s", what);
	else
		snprintf(eff, sizeof(eff), "cpuset.%s.effective", what);
	p = cg_path(ctx, "cpuset", name, file);
	e = cg_path(ctx, "cpuset", name, eff);
	if (!p || !e)
		return -ENOMEM;
	r = cg_write(ctx, p, value);
	if (r < 0)
		return err_fail(err, r, "cannot write '%s' to %s", value, p);
	return check_effective(ctx, e, value, err);
}

/*
 * Puts back what a cgroup made before (the virtiofsd one, shared by the
 * lab's VMs) holds and this start leaves unset: the parent's cpus and mems,
 * no memory limit.
 */
static int reset_unset(const struct cg_ctx *ctx, const char *name,
		       const char *cpus, const char *mems, uint64_t memory_max,
		       struct error *err)
{
	static const char *const lists[] = { "cpuset.mems", "cpuset.cpus" };
	bool v1 = ctx->version == CG_V1;
	_cleanup_free_ char *dir = cg_path(ctx, "cpuset", name, NULL);
	_cleanup_free_ char *mem =
		cg_path(ctx, "memory", name,
			v1 ? "memory.limit_in_bytes" : "memory.max");
	int r;

	if (!dir || !mem)
		return -ENOMEM;
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *p = NULL;

		if (i == 0 ? mems : cpus)
			continue;
		/* v2: empty is the parent's; v1 has no such value */
		if (v1) {
			r = v1_inherit(ctx, dir, lists[i], err);
			if (r < 0)
				return r;
			continue;
		}
		p = strdup_printf("%s/%s", dir, lists[i]);
		if (!p)
			return -ENOMEM;
		r = cg_write(ctx, p, "");
		if (r < 0)
			return err_fail(err, r, "cannot empty %s", p);
	}
	if (memory_max)
		return 0;
	r = cg_write(ctx, mem, v1 ? "-1" : "max");
	if (r < 0)
		return err_fail(err, r, "cannot write '%s' to %s",
				v1 ? "-1" : "max", mem);
	return 0;
}

int cg_create(const struct cg_ctx *ctx, const char *name, const char *cpus,
	      const char *mems, uint64_t memory_max, struct error *err)
{
	bool v1 = ctx->version == CG_V1, existed = false;
	int r;

	if (!valid_name(name))
		return err_fail(err, -EINVAL, "bad cgroup name '%s'", name);
	/* v2: one hierarchy, where the controller names no folder */
	for (size_t i = 0; v1_controllers[i]; i++) {
		bool e = false;

		r = make_levels(ctx, v1_controllers[i], name, &e, err);
		if (r < 0)
			return r;
		existed |= e;
		if (!v1)
			break;
	}
	if (existed) {
		r = reset_unset(ctx, name, cpus, mems, memory_max, err);
		if (r < 0)
			return r;
	}
	/* mems first: v1 refuses tasks, and the kernel allocations, without */
	r = write_list(ctx, name, "mems", mems, err);
	if (r == 0)
		r = write_list(ctx, name, "cpus", cpus, err);
	if (r < 0)
		return r;
	if (memory_max) {
		_cleanup_free_ char *p = cg_path(
			ctx, "memory", name,
			v1 ? "memory.limit_in_bytes" : "memory.max");
		char v[32];

		if (!p)
			return -ENOMEM;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)memory_max);
		r = cg_write(ctx, p, v);
		if (r < 0)
			return err_fail(err, r, "cannot write '%s' to %s", v,
					p);
	}
	return 0;
}

int cg_spawn_target(const struct cg_ctx *ctx, const char *name, int *ret_fd,
		    char ***ret_procs)
{
	*ret_fd = -1;
	*ret_procs = NULL;
	if (ctx->version == CG_V2) {
		_cleanup_free_ char *p = cg_path(ctx, NULL, name, NULL);
		int fd;

		if (!p)
			return -ENOMEM;
		fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		*ret_fd = fd;
		return 0;
	}
	char **l = calloc(ARRAY_SIZE(v1_controllers), sizeof(char *));

	if (!l)
		return -ENOMEM;
	for (size_t i = 0; v1_controllers[i]; i++) {
		l[i] = cg_path(ctx, v1_controllers[i], name, "cgroup.procs");
		if (!l[i]) {
			strv_free(l);
			return -ENOMEM;
		}
	}
	*ret_procs = l;
	return 0;
}

bool cg_exists(const struct cg_ctx *ctx, const char *name)
{
	for (size_t i = 0; v1_controllers[i]; i++) {
		_cleanup_free_ char *p =
			cg_path(ctx, v1_controllers[i], name, NULL);

		if (p && is_dir(p))
			return true;
		if (ctx->version == CG_V2)
			break;
	}
	return false;
}

/* The pids in the cgroup.procs file at p (NULL: out of memory). */
static int read_pids(const char *p, pid_t **ret, size_t *ret_n)
{
	_cleanup_free_ char *s = NULL;
	pid_t *l = NULL;
	size_t n = 0;
	char *save = NULL, *w;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (!p)
		return -ENOMEM;
	r = read_full_file(p, 1 << 22, &s, NULL);
	if (r < 0)
		return r;
	for (w = strtok_r(s, "\n", &save); w; w = strtok_r(NULL, "\n", &save)) {
		uint64_t v;
		pid_t *e;

		if (parse_u64(str_trim(w), &v) < 0 || !v || v > INT32_MAX)
			continue;
		e = ARRAY_PUSH(l, n);
		if (!e) {
			free(l);
			return -ENOMEM;
		}
		*e = (pid_t)v;
	}
	*ret = l;
	*ret_n = n;
	return 0;
}

int cg_pids(const struct cg_ctx *ctx, const char *name, pid_t **ret,
	    size_t *ret_n)
{
	_cleanup_free_ char *p = cg_path(ctx, "cpuset", name, "cgroup.procs");

	return read_pids(p, ret, ret_n);
}

int cg_inode(const struct cg_ctx *ctx, const char *name, uint64_t *ret)
{
	_cleanup_free_ char *p = cg_path(ctx, "cpuset", name, NULL);
	struct stat st;

	if (!p)
		return -ENOMEM;
	if (stat(p, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*ret = st.st_ino;
	return 0;
}

int cg_kill(const struct cg_ctx *ctx, const char *name, int sig)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r, k = 0;

	r = cg_pids(ctx, name, &pids, &n);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) == 0)
			k++;
	return k;
}

int cg_remove(const struct cg_ctx *ctx, const char *name)
{
	int first = 0, r;

	for (size_t i = 0; v1_controllers[i]; i++) {
		_cleanup_free_ char *p =
			cg_path(ctx, v1_controllers[i], name, NULL);

		if (!p)
			return -ENOMEM;
		r = cg_rmdir(ctx, p);
		if (r < 0 && !first)
			first = r;
		if (ctx->version == CG_V2)
			break;
	}
	return first;
}

int cg_effective(const struct cg_ctx *ctx, const char *name, char **ret_cpus,
		 char **ret_mems)
{
	bool v1 = ctx->version == CG_V1;
	_cleanup_free_ char *pc = cg_path(ctx, "cpuset", name,
					  v1 ? "cpuset.effective_cpus" :
					       "cpuset.cpus.effective");
	_cleanup_free_ char *pm = cg_path(ctx, "cpuset", name,
					  v1 ? "cpuset.effective_mems" :
					       "cpuset.mems.effective");
	int r;

	*ret_cpus = *ret_mems = NULL;
	if (!pc || !pm)
		return -ENOMEM;
	r = read_trimmed(pc, ret_cpus);
	if (r < 0)
		return r;
	r = read_trimmed(pm, ret_mems);
	if (r < 0) {
		free(*ret_cpus);
		*ret_cpus = NULL;
	}
	return r;
}

int cg_read_numa_stat(const struct cg_ctx *ctx, const char *name,
		      char **ret, size_t *ret_len)
{
	_cleanup_free_ char *p = cg_path(ctx, "memory", name,
					 "memory.numa_stat");

	if (!p)
		return -ENOMEM;
	return read_full_file(p, 1 << 20, ret, ret_len);
}

int cg_keyed_value(const char *text, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);
	const char *l = text;

	while (l && *l) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);

		if (len > klen && !strncmp(l, key, klen) && l[klen] == ' ') {
			char num[32];
			size_t n = len - klen - 1;

			if (!n || n >= sizeof(num))
				return n ? -ERANGE : -EINVAL;
			memcpy(num, l + klen + 1, n);
			num[n] = 0;
			return parse_u64(str_trim(num), ret);
		}
		l = nl ? nl + 1 : NULL;
	}
	return -ENODATA;
}

/* The value of key in the keyed file at p (NULL: out of memory). */
static int read_keyed(const char *p, const char *key, uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	int r;

	if (!p)
		return -ENOMEM;
	r = read_full_file(p, 1 << 16, &s, NULL);
	if (r < 0)
		return r;
	return cg_keyed_value(s, key, ret);
}

int cg_oom_kills(const struct cg_ctx *ctx, const char *name, uint64_t *ret,
		 char **ret_path)
{
	_cleanup_free_ char *p = cg_path(
		ctx, "memory", name,
		ctx->version == CG_V1 ? "memory.oom_control" : "memory.events");
	int r;

	if (ret_path)
		*ret_path = NULL;
	r = read_keyed(p, "oom_kill", ret);
	if (r < 0)
		return r;
	if (ret_path)
		*ret_path = TAKE_PTR(p);
	return 0;
}

int cg_memory_limit(const struct cg_ctx *ctx, const char *name, uint64_t *ret)
{
	_cleanup_free_ char *p = cg_path(
		ctx, "memory", name,
		ctx->version == CG_V1 ? "memory.limit_in_bytes" : "memory.max");
	_cleanup_free_ char *s = NULL;
	int r;

	if (!p)
		return -ENOMEM;
	r = read_trimmed(p, &s);
	if (r < 0)
		return r;
	if (!strcmp(s, "max")) {
		*ret = UINT64_MAX;
		return 0;
	}
	r = parse_u64(s, ret);
	/* v1 shows "no limit" as the page counter's maximum, near 2^63 */
	if (r == 0 && *ret >= (1ULL << 62))
		*ret = UINT64_MAX;
	return r;
}

/* ---- v2: cgroups by their path relative to the root ---- */

char *cg_path_at(const struct cg_ctx *ctx, const char *rel, const char *file)
{
	bool r = rel && *rel, f = file && *file;

	return strdup_printf("%s%s%s%s%s", ctx->root, r ? "/" : "",
			     r ? rel : "", f ? "/" : "", f ? file : "");
}

int cg_delegated_mark(const char *dir)
{
	static const char *const names[] = { "trusted.delegate",
					     "user.delegate" };
	int unreadable = 0;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char v[8];
		ssize_t n = getxattr(dir, names[i], v, sizeof(v) - 1);

		if (n >= 0) {
			v[n] = 0;
			if (!strcmp(str_trim(v), "1"))
				return 1;
			continue;
		}
		if (errno != ENODATA && !unreadable)
			unreadable = -errno;
	}
	return unreadable;
}

/* "a/b/c" becomes "a/b", "a" becomes "". */
static void cut_last_level(char *rel)
{
	char *slash = strrchr(rel, '/');

	if (slash)
		*slash = 0;
	else
		*rel = 0;
}

int cg_find_delegated(const struct cg_ctx *ctx, const char *rel, char **ret,
		      bool *ret_unreadable)
{
	_cleanup_free_ char *cur = strdup(rel ? rel : "");

	*ret = NULL;
	*ret_unreadable = false;
	if (!cur)
		return -ENOMEM;
	while (*cur) {
		_cleanup_free_ char *p = cg_path_at(ctx, cur, NULL);
		int m;

		if (!p)
			return -ENOMEM;
		if (is_dir(p)) {
			m = cg_delegated_mark(p);
			if (m > 0) {
				*ret = TAKE_PTR(cur);
				return 0;
			}
			if (m < 0)
				*ret_unreadable = true;
		}
		cut_last_level(cur);
	}
	return 0;
}

char *cg_nearest_existing(const struct cg_ctx *ctx, const char *rel)
{
	char *cur = strdup(rel ? rel : "");

	while (cur && *cur) {
		_cleanup_free_ char *p = cg_path_at(ctx, cur, NULL);

		if (!p) {
			free(cur);
			return NULL;
		}
		if (is_dir(p))
			break;
		cut_last_level(cur);
	}
	return cur;
}

/* The pids in rel's cgroup.procs. -ENOENT: no such cgroup. */
static int cg_procs_at(const struct cg_ctx *ctx, const char *rel, pid_t **ret,
		       size_t *ret_n)
{
	_cleanup_free_ char *p = cg_path_at(ctx, rel, "cgroup.procs");

	return read_pids(p, ret, ret_n);
}

int cg_populated_at(const struct cg_ctx *ctx, const char *rel)
{
	_cleanup_free_ char *p = cg_path_at(ctx, rel, "cgroup.events");
	uint64_t v;
	int r = read_keyed(p, "populated", &v);

	if (r < 0)
		return r;
	return v ? 1 : 0;
}

static int move_pid(const struct cg_ctx *ctx, const char *procs, pid_t pid,
		    struct error *err)
{
	char v[24];
	int r;

	snprintf(v, sizeof(v), "%d", (int)pid);
	r = cg_write(ctx, procs, v);
	/* a process that ended meanwhile has nothing to move */
	if (r == -ESRCH)
		return 0;
	if (r < 0)
		return err_fail(err, r,
				"cannot move pid %d: write '%s' to %s: %s",
				(int)pid, v, procs, strerror(-r));
	return 1;
}

int cg_enter(const struct cg_ctx *ctx, const char *name, struct error *err)
{
	for (size_t i = 0; v1_controllers[i]; i++) {
		_cleanup_free_ char *p =
			cg_path(ctx, v1_controllers[i], name, "cgroup.procs");
		int r;

		if (!p)
			return err_fail(err, -ENOMEM, "out of memory");
		r = move_pid(ctx, p, getpid(), err);
		if (r < 0)
			return r;
		if (ctx->version == CG_V2)
			break;
	}
	return 0;
}

static int add_pid(pid_t **l, size_t *n, pid_t pid)
{
	pid_t *e;

	for (size_t i = 0; i < *n; i++)
		if ((*l)[i] == pid)
			return 0;
	e = ARRAY_PUSH(*l, *n);
	if (!e)
		return -ENOMEM;
	*e = pid;
	return 0;
}

int cg_move_to_leaf(const struct cg_ctx *ctx, const char *rel, const char *leaf,
		    pid_t also_pid, pid_t **ret_moved, size_t *ret_n,
		    struct error *err)
{
	_cleanup_free_ char *dir = cg_path_at(ctx, rel, leaf);
	_cleanup_free_ char *procs =
		dir ? strdup_printf("%s/cgroup.procs", dir) : NULL;
	_cleanup_free_ pid_t *moved = NULL;
	size_t nmoved = 0;
	bool made = false, created;
	int r;

	if (ret_moved)
		*ret_moved = NULL;
	if (ret_n)
		*ret_n = 0;
	if (!procs)
		return -ENOMEM;
	/* processes may fork while they are moved: until none is left */
	for (int round = 0;; round++) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;

		r = cg_procs_at(ctx, rel, &pids, &n);
		/* a dry run before the cgroup is made: nothing there yet */
		if (r == -ENOENT && ctx->dry_run)
			r = 0;
		if (r < 0)
			return err_fail(
				err, r, "cannot read %s/%s%scgroup.procs: %s",
				ctx->root, rel, *rel ? "/" : "", strerror(-r));
		if (also_pid && round == 0) {
			r = add_pid(&pids, &n, also_pid);
			if (r < 0)
				return r;
		}
		if (!n)
			break;
		if (round == 20)
			return err_fail(
				err, -EBUSY,
				"%s/%s still holds processes after moving them into %s 20 times",
				ctx->root, rel, dir);
		if (!made) {
			r = cg_mkdir(ctx, dir, &created);
			if (r < 0)
				return err_fail(err, r, "cannot create %s: %s",
						dir, strerror(-r));
			made = true;
		}
		for (size_t i = 0; i < n; i++) {
			r = move_pid(ctx, procs, pids[i], err);
			if (r < 0)
				return r;
			if (r > 0 && add_pid(&moved, &nmoved, pids[i]) < 0)
				return -ENOMEM;
		}
		/* a dry run moved nothing: reading again shows the same */
		if (ctx->dry_run)
			break;
	}
	if (ret_moved)
		*ret_moved = TAKE_PTR(moved);
	if (ret_n)
		*ret_n = nmoved;
	return 0;
}

int cg_remove_leaf(const struct cg_ctx *ctx, const char *rel, const char *leaf)
{
	_cleanup_free_ char *dir = cg_path_at(ctx, rel, leaf);

	return dir ? cg_rmdir(ctx, dir) : -ENOMEM;
}

void cg_missing_controllers(const char *list, char *buf, size_t len)
{
	static const char *const want[] = { "cpuset", "memory" };

	*buf = 0;
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const char *p = list;
		size_t wl = strlen(want[i]);
		bool found = false;

		while (p && *p && !found) {
			while (*p == ' ' || *p == '\n')
				p++;
			if (!strncmp(p, want[i], wl) &&
			    (p[wl] == 0 || p[wl] == ' ' || p[wl] == '\n'))
				found = true;
			p = strpbrk(p, " \n");
		}
		if (!found) {
			size_t n = strlen(buf);

			snprintf(buf + n, len - n, "%s%s", n ? " and " : "",
				 want[i]);
		}
	}
}

static int check_level(const struct cg_ctx *ctx, const char *rel, bool movable,
		       bool *ret_busy, struct error *err)
{
	_cleanup_free_ char *sc =
		cg_path_at(ctx, rel, "cgroup.subtree_control");
	_cleanup_free_ char *cc = cg_path_at(ctx, rel, "cgroup.controllers");
	_cleanup_free_ char *have = NULL, *avail = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	char miss[64];
	size_t n = 0;
	int r;

	if (!sc || !cc)
		return -ENOMEM;
	r = read_trimmed(sc, &have);
	if (r < 0)
		return err_fail(err, r, "cannot read %s: %s", sc, strerror(-r));
	cg_missing_controllers(have, miss, sizeof(miss));
	if (!*miss)
		return 0;
	r = read_trimmed(cc, &avail);
	if (r < 0)
		return err_fail(err, r, "cannot read %s: %s", cc, strerror(-r));
	cg_missing_controllers(avail, miss, sizeof(miss));
	if (*miss)
		return err_fail(
			err, -ENOENT, "%s is not in %s ('%s'): %s", miss, cc,
			avail,
			ctx->delegated ?
				"the unit that delegates it must pass it on (Delegate=yes, or DelegateControllers=cpuset memory)" :
				"the kernel lacks it, or a cgroup v1 hierarchy holds it");
	if (!*rel)
		return 0; /* the root may hold processes */
	r = cg_procs_at(ctx, rel, &pids, &n);
	if (r < 0)
		return err_fail(err, r, "cannot read %s/%s/cgroup.procs: %s",
				ctx->root, rel, strerror(-r));
	if (!n)
		return 0;
	if (movable) {
		*ret_busy = true;
		return 0;
	}
	return err_fail(
		err, -EBUSY,
		"%s/%s holds processes (pid %d%s) and so cannot enable controllers for its children (cgroup v2: no processes in a cgroup whose children have controllers): move them into a child cgroup, or set [lab] cgroup_parent to a cgroup without processes",
		ctx->root, rel, (int)pids[0], n > 1 ? " and more" : "");
}

char *cg_next_level(const char *cur, const char *target)
{
	size_t cl = strlen(cur);
	const char *next;

	if (strlen(target) <= cl)
		return NULL;
	next = target + cl + (cl ? 1 : 0);
	return strdup_printf("%s%s%.*s", cur, cl ? "/" : "",
			     (int)strcspn(next, "/"), next);
}

int cg_check_levels(const struct cg_ctx *ctx, const char *movable,
		    bool *ret_busy, struct error *err)
{
	_cleanup_free_ char *cur = NULL;
	int r;

	*ret_busy = false;
	if (ctx->version != CG_V2)
		return 0;
	cur = strdup(ctx->delegated ? ctx->delegated : "");
	if (!cur)
		return -ENOMEM;
	/* from the top level daxlab writes down to parent, existing ones */
	for (;;) {
		_cleanup_free_ char *p = cg_path_at(ctx, cur, NULL);
		char *n;

		if (!p)
			return -ENOMEM;
		if (!is_dir(p))
			return 0; /* made by cg_create(): empty */
		r = check_level(ctx, cur, movable && cg_is_below(cur, movable),
				ret_busy, err);
		if (r < 0)
			return r;
		n = cg_next_level(cur, ctx->parent);
		if (!n)
			return 0;
		free(cur);
		cur = n;
	}
}
