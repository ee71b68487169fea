// SPDX-License-Identifier: MIT
#include "config.h"
#include "array.h"
#include "strv.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "topology.h"
#include "util.h"

#define SECTION_MAX 256

enum section_kind {
	SEC_NONE,
	SEC_LAB,
	SEC_VIRTIOFSD,
	SEC_SHARE,
	SEC_VM,
	SEC_WORKLOAD,
};

struct parser {
	struct lab_config *c;
	const char *path;
	FILE *f;
	unsigned line;          /* line being read by inih */
	unsigned section_line;  /* line of the current [section] */
	enum section_kind kind;
	char section[SECTION_MAX];
	void *cur;              /* share_config or vm_config */
	char **seen_sections; /* to refuse duplicates (a strv) */
	char **seen_keys; /* "section\nkey" */
	struct error *err;
	int error;              /* -errno of the first error */
	unsigned workload_line; /* line of [workload], for checks across keys */
};

/* Keeps the first error; returns it, so callers write return perr(). */
__attribute__((format(printf, 3, 4))) static int
perr(struct parser *p, int err, const char *fmt, ...)
{
	va_list ap;
	char what[sizeof(p->err->msg)];

	if (p->error)
		return p->error;
	p->error = err;
	if (p->err) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		err_fail(p->err, err, "%s:%u: %s", p->path, p->line, what);
	}
	return err;
}

/* "key 'K': bad value 'V': WHY" */
static int bad_value(struct parser *p, const char *key, const char *v,
		     const char *why)
{
	return perr(p, -EINVAL, "key '%s': bad value '%s': %s", key, v, why);
}

static char *xstrdup(struct parser *p, const char *s)
{
	char *r = strdup(s);

	if (!r)
		perr(p, -ENOMEM, "out of memory");
	return r;
}

/* A copy of v in place of *field; -ENOMEM leaves it as it was. */
static int replace_str(char **field, const char *v)
{
	char *n = strdup(v);

	if (!n)
		return -ENOMEM;
	free(*field);
	*field = n;
	return 0;
}

static void set_str(struct parser *p, char **field, const char *v)
{
	if (replace_str(field, v) < 0)
		perr(p, -ENOMEM, "out of memory");
}

/* v into field when ok, else bad_value(why). */
static void set_str_if(struct parser *p, char **field, bool ok, const char *key,
		       const char *v, const char *why)
{
	if (ok)
		set_str(p, field, v);
	else
		bad_value(p, key, v, why);
}

/* Lexically removes "." and ".." components and repeated slashes. */
static void normalize_path(char *p)
{
	char *out = p, *in = p;

	if (*p != '/')
		return;
	while (*in) {
		char *seg;
		size_t n;

		while (*in == '/')
			in++;
		seg = in;
		while (*in && *in != '/')
			in++;
		n = (size_t)(in - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > p && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, n);
		out += n;
	}
	if (out == p)
		*out++ = '/';
	*out = 0;
}

/* A path: non-empty, no newline; relative ones against the file's dir. */
static void set_path(struct parser *p, char **field, const char *key,
		     const char *v)
{
	char *n;

	if (!*v || strpbrk(v, "\n\r")) {
		bad_value(p, key, v, "not a path");
		return;
	}
	n = v[0] == '/' ? strdup(v) : strdup_printf("%s/%s", p->c->dir, v);
	if (!n) {
		perr(p, -ENOMEM, "out of memory");
		return;
	}
	normalize_path(n);
	free(*field);
	*field = n;
}

/* A program: a bare name is looked up in PATH, anything with '/' a path. */
static void set_program(struct parser *p, char **field, const char *key,
			const char *v)
{
	if (strchr(v, '/'))
		set_path(p, field, key, v);
	else
		set_str_if(p, field, *v && !strpbrk(v, " \t\n\r"), key, v,
			   "not a program");
}

static void set_uint(struct parser *p, unsigned *field, const char *key,
		     const char *v, unsigned min, unsigned max)
{
	if (parse_uint_range(v, min, max, field) < 0)
		perr(p, -EINVAL,
		     "key '%s': bad value '%s': expected a whole number %u..%u",
		     key, v, min, max);
}

static void set_size(struct parser *p, uint64_t *field, const char *key,
		     const char *v, bool zero_ok)
{
	uint64_t s;

	if (parse_size(v, &s) < 0 || (!zero_ok && s == 0)) {
		bad_value(p, key, v, "expected a size such as 512M or 4G");
		return;
	}
	*field = s;
}

static void set_bool(struct parser *p, bool *field, const char *key,
		     const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*field = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*field = false;
	else
		bad_value(p, key, v, "expected yes or no");
}

static void set_name(struct parser *p, char **field, const char *key,
		     const char *v)
{
	set_str_if(
		p, field, valid_name(v), key, v,
		"expected 1-64 of [A-Za-z0-9._-], not starting with '.' or '-'");
}

/* The index of v in names (NULL-terminated), or -1. */
static int word_index(const char *v, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -1;
}

/*
 * The index of v in names (NULL-terminated, in the order of the enum it
 * sets); -1 and "expected WHAT" when it is none of them.
 */
static int set_choice(struct parser *p, const char *key, const char *v,
		      const char *const *names, const char *what)
{
	int i = word_index(v, names);

	if (i < 0)
		perr(p, -EINVAL, "key '%s': bad value '%s': expected %s", key,
		     v, what);
	return i;
}

/* Words for the kernel command line: no ':', ',', space or newline. */
static bool kcmdline_word(const char *v, bool allow_comma)
{
	if (!*v)
		return false;
	for (const char *s = v; *s; s++) {
		if (*s == ':' || *s == ' ' || *s == '\t' || *s == '\n' ||
		    *s == '\r' || *s == '"' || *s == '\'' || *s == '\\')
			return false;
		if (*s == ',' && !allow_comma)
			return false;
	}
	return true;
}

static void set_words(struct parser *p, char ***field, size_t *n,
		      const char *key, const char *v)
{
	_cleanup_free_ char *copy = xstrdup(p, v);
	char *save = NULL, *w;
	struct strv b = { 0 };
	char **list;

	if (!copy)
		return;
	if (strpbrk(v, "\n\r")) {
		bad_value(p, key, v, "newline");
		return;
	}
	for (w = strtok_r(copy, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save))
		strv_push(&b, w);
	/* no words: an empty list, not NULL (that is "not set") */
	list = b.n || b.err ? strv_steal(&b) : calloc(1, sizeof(*list));
	if (!list) {
		perr(p, -ENOMEM, "out of memory");
		return;
	}
	strv_free(*field);
	*field = list;
	*n = strv_len(list);
}

static void set_cpulist(struct parser *p, char **field, const char *key,
			const char *v)
{
	struct cpu_bits b;

	set_str_if(p, field, cpulist_parse(v, &b) >= 0 && cpu_bits_count(&b),
		   key, v, "expected a list such as 0-3,8");
}

static bool binding_key(struct parser *p, struct cg_binding *b,
			const char *key, const char *v)
{
	unsigned n;

	if (!strcmp(key, "cgroup")) {
		set_name(p, &b->cgroup, key, v);
	} else if (!strcmp(key, "node")) {
		set_uint(p, &n, key, v, 0, 255);
		b->node = (int)n;
	} else if (!strcmp(key, "cpus")) {
		set_cpulist(p, &b->cpus, key, v);
	} else if (!strcmp(key, "mems")) {
		set_cpulist(p, &b->mems, key, v);
	} else if (!strcmp(key, "memory_max")) {
		set_size(p, &b->memory_max, key, v, false);
	} else {
		return false;
	}
	return true;
}

/* [lab] accel, in the order of enum lab_accel */
static const char *const accels[] = { "auto", "kvm", "tcg", NULL };

static bool lab_key(struct parser *p, const char *key, const char *v)
{
	static const char *const versions[] = { "auto", "v1", "v2", NULL };
	struct lab_section *l = &p->c->lab;
	int i;

	if (!strcmp(key, "state_dir")) {
		set_path(p, &l->state_dir, key, v);
	} else if (!strcmp(key, "image_dir")) {
		set_path(p, &l->image_dir, key, v);
	} else if (!strcmp(key, "accel")) {
		i = set_choice(p, key, v, accels, "auto, kvm or tcg");
		if (i >= 0)
			l->accel = (enum lab_accel)i;
	} else if (!strcmp(key, "qemu")) {
		set_program(p, &l->qemu, key, v);
	} else if (!strcmp(key, "cgroup_parent")) {
		_cleanup_free_ char *copy = xstrdup(p, v);
		char *save = NULL, *w;

		if (!copy)
			return true;
		for (w = strtok_r(copy, "/", &save); w;
		     w = strtok_r(NULL, "/", &save))
			if (!valid_name(w)) {
				perr(p, -EINVAL,
				     "key '%s': bad value '%s': component '%s' is not a valid name",
				     key, v, w);
				return true;
			}
		if (strpbrk(v, "\n\r") || strstr(v, "//")) {
			perr(p, -EINVAL, "key '%s': bad value '%s'", key, v);
			return true;
		}
		/* kept relative, without leading or trailing '/' */
		while (*v == '/')
			v++;
		set_str(p, &l->cgroup_parent, v);
		if (l->cgroup_parent) {
			size_t n = strlen(l->cgroup_parent);

			while (n && l->cgroup_parent[n - 1] == '/')
				l->cgroup_parent[--n] = 0;
		}
	} else if (!strcmp(key, "cgroup_version")) {
		if (set_choice(p, key, v, versions, "auto, v1 or v2") >= 0)
			set_str(p, &l->cgroup_version, v);
	} else if (!strcmp(key, "guest_dir")) {
		set_path(p, &l->guest_dir, key, v);
	} else if (!strcmp(key, "ssh_key")) {
		set_path(p, &l->ssh_key, key, v);
	} else if (!strcmp(key, "boot_timeout")) {
		set_uint(p, &l->boot_timeout, key, v, 1, 86400);
	} else if (!strcmp(key, "stop_timeout")) {
		set_uint(p, &l->stop_timeout, key, v, 1, 3600);
	} else {
		return false;
	}
	return true;
}

static bool virtiofsd_key(struct parser *p, const char *key, const char *v)
{
	static const char *const styles[] = { "auto", "c", "rust", NULL };
	static const char *const caches[] = { "always", "auto", "never", "none",
					      NULL };
	static const char *const sandboxes[] = { "namespace", "chroot", "none",
						 NULL };
	struct virtiofsd_section *d = &p->c->virtiofsd;
	int i;

	if (binding_key(p, &d->cg, key, v))
		return true;
	if (!strcmp(key, "path")) {
		set_program(p, &d->path, key, v);
	} else if (!strcmp(key, "style")) {
		i = set_choice(p, key, v, styles, "auto, c or rust");
		if (i >= 0)
			d->style = (enum virtiofsd_style)i;
	} else if (!strcmp(key, "cache")) {
		if (set_choice(p, key, v, caches, "always, auto or never") >= 0)
			set_str(p, &d->cache, v);
	} else if (!strcmp(key, "sandbox")) {
		if (set_choice(p, key, v, sandboxes,
			       "namespace, chroot or none") >= 0)
			set_str(p, &d->sandbox, v);
	} else if (!strcmp(key, "thread_pool_size")) {
		set_uint(p, &d->thread_pool_size, key, v, 0, 1024);
	} else if (!strcmp(key, "extra_args")) {
		set_words(p, &d->extra_args, &d->n_extra_args, key, v);
	} else {
		return false;
	}
	return true;
}

static bool share_key(struct parser *p, const char *key, const char *v)
{
	static const char *const backends[] = { "virtiofs", "virtio-pmem",
						NULL };
	struct share_config *s = p->cur;
	int i;

	if (!strcmp(key, "tag")) {
		set_str_if(
			p, &s->tag, kcmdline_word(v, false) && strlen(v) <= 36,
			key, v,
			"a tag has 1-36 characters and no ':', ',', quote or space");
	} else if (!strcmp(key, "source")) {
		set_path(p, &s->source, key, v);
	} else if (!strcmp(key, "mount")) {
		set_str_if(p, &s->mount, v[0] == '/' && kcmdline_word(v, false),
			   key, v,
			   "an absolute path with no ':', ',', quote or space");
	} else if (!strcmp(key, "options")) {
		set_str_if(
			p, &s->options, kcmdline_word(v, true), key, v,
			"comma-separated options with no ':', quote or space");
	} else if (!strcmp(key, "backend")) {
		i = set_choice(p, key, v, backends, "virtiofs or virtio-pmem");
		if (i >= 0)
			s->backend = (enum share_backend)i;
	} else if (!strcmp(key, "dax_window")) {
		set_size(p, &s->dax_window, key, v, true);
	} else if (!strcmp(key, "queue_size")) {
		/* qemu's vhost-user-fs-pci: "must be 1024 or smaller" */
		set_uint(p, &s->queue_size, key, v, 1, 1024);
		if (!p->error && (s->queue_size & (s->queue_size - 1)))
			bad_value(p, key, v, "expected a power of two");
	} else if (!strcmp(key, "image_size")) {
		set_size(p, &s->image_size, key, v, false);
	} else {
		return false;
	}
	return true;
}

static bool vm_key(struct parser *p, const char *key, const char *v)
{
	static const char *const nets[] = { "user", "tap", "none", NULL };
	struct vm_config *vm = p->cur;
	int i;

	if (binding_key(p, &vm->cg, key, v))
		return true;
	if (!strcmp(key, "name")) {
		set_str_if(p, &vm->name,
			   valid_name(v) && kcmdline_word(v, false), key, v,
			   "expected a host name");
	} else if (!strcmp(key, "vcpus")) {
		set_uint(p, &vm->vcpus, key, v, 1, 1024);
	} else if (!strcmp(key, "memory")) {
		set_size(p, &vm->memory, key, v, false);
		if (!p->error && vm->memory % (1024 * 1024))
			bad_value(p, key, v, "expected whole MiB");
	} else if (!strcmp(key, "image")) {
		set_path(p, &vm->image, key, v);
	} else if (!strcmp(key, "keep_disk")) {
		set_bool(p, &vm->keep_disk, key, v);
	} else if (!strcmp(key, "seed")) {
		set_path(p, &vm->seed, key, v);
	} else if (!strcmp(key, "kernel")) {
		set_path(p, &vm->kernel, key, v);
	} else if (!strcmp(key, "initrd")) {
		set_path(p, &vm->initrd, key, v);
	} else if (!strcmp(key, "append")) {
		set_str_if(p, &vm->append, !strpbrk(v, "\n\r"), key, v,
			   "newline");
	} else if (!strcmp(key, "ssh")) {
		set_str_if(p, &vm->ssh, kcmdline_word(v, false) && v[0] != '-',
			   key, v, "expected user@host");
	} else if (!strcmp(key, "net")) {
		i = set_choice(p, key, v, nets, "user, tap or none");
		if (i >= 0)
			vm->net = (enum vm_net)i;
	} else if (!strcmp(key, "bridge")) {
		set_name(p, &vm->bridge, key, v);
	} else if (!strcmp(key, "ssh_port")) {
		set_uint(p, &vm->ssh_port, key, v, 1, 65535);
	} else if (!strcmp(key, "fio_port")) {
		/* not used (lib/fiofwd.h); checked, for older configs */
		set_uint(p, &(unsigned){ 0 }, key, v, 1, 65535);
	} else if (!strcmp(key, "shares")) {
		set_words(p, &vm->shares, &vm->n_shares, key, v);
	} else if (!strcmp(key, "qemu_args")) {
		set_words(p, &vm->qemu_args, &vm->n_qemu_args, key, v);
	} else {
		return false;
	}
	return true;
}

int config_workload_set(struct workload_config *w, const char *key,
			const char *v, struct error *err)
{
	static const char *const rws[] = { "read",	"randread", "write",
					   "randwrite", "rw",	    "readwrite",
					   "randrw",	NULL };
	/*
	 * fio's engines that read and write files through the file
	 * system, as a workload on a share does; not posixaio (glibc's
	 * threads imitating aio), nor engines without file data I/O
	 * (null, cpuio, filecreate, ...) or for devices and networks.
	 */
	static const char *const engines[] = { "psync",	 "mmap",     "sync",
					       "vsync",	 "pvsync",   "pvsync2",
					       "libaio", "io_uring", NULL };
	static const char *const ratios[] = { "private_ratio", "access_ratio",
					      "hot_ratio", "hot_access_ratio",
					      NULL };
	unsigned *const ratio_fields[] = { &w->private_ratio, &w->access_ratio,
					   &w->hot_ratio,
					   &w->hot_access_ratio };
	int i = word_index(key, ratios);
	uint64_t n;

	if (i >= 0) {
		if (parse_uint_range(v, 0, 100, ratio_fields[i]) < 0)
			return err_fail(
				err, -EINVAL,
				"key '%s': bad value '%s': expected a whole number 0..100",
				key, v);
	} else if (!strcmp(key, "size") || !strcmp(key, "file_size")) {
		if (parse_size(v, &n) < 0 || n == 0)
			return err_fail(
				err, -EINVAL,
				"key '%s': bad value '%s': expected a size such as 512M or 4G",
				key, v);
		*(strcmp(key, "size") ? &w->file_size : &w->size) = n;
	} else if (!strcmp(key, "rw")) {
		if (word_index(v, rws) >= 0)
			return replace_str(&w->rw, v);
		return err_fail(
			err, -EINVAL,
			"key '%s': bad value '%s': expected read, randread, write, randwrite, rw, readwrite or randrw",
			key, v);
	} else if (!strcmp(key, "bs")) {
		if (parse_size(v, &n) < 0 || n == 0 || n % 512 ||
		    n > (64u << 20))
			return err_fail(
				err, -EINVAL,
				"key '%s': bad value '%s': expected a block size such as 4k (a multiple of 512 up to 64M)",
				key, v);
		w->bs_bytes = n;
		return replace_str(&w->bs, v);
	} else if (!strcmp(key, "runtime")) {
		if (parse_duration_ms(v, &n) < 0 || n < 1000 || n % 1000 ||
		    n / 1000 > UINT_MAX)
			return err_fail(
				err, -EINVAL,
				"key '%s': bad value '%s': expected whole seconds such as 60 or 2m",
				key, v);
		w->runtime = (unsigned)(n / 1000);
	} else if (!strcmp(key, "residency_interval")) {
		if (parse_duration_ms(v, &n) < 0 || (n && n < 100))
			return err_fail(
				err, -EINVAL,
				"key '%s': bad value '%s': expected a duration of 100ms or more such as 1s, or 0 for none",
				key, v);
		w->residency_interval_ms = n;
	} else if (!strcmp(key, "ioengine")) {
		if (word_index(v, engines) >= 0)
			return replace_str(&w->ioengine, v);
		return err_fail(
			err, -EINVAL,
			"key '%s': bad value '%s': expected psync, mmap, sync, vsync, pvsync, pvsync2, libaio or io_uring",
			key, v);
	} else {
		return err_fail(
			err, -ENOKEY,
			"unknown key '%s' (a [workload] key: size, file_size, private_ratio, access_ratio, hot_ratio, hot_access_ratio, rw, bs, runtime, ioengine, residency_interval)",
			key);
	}
	return 0;
}

static bool workload_key(struct parser *p, const char *key, const char *v)
{
	struct error e = { 0 };
	int r = config_workload_set(&p->c->workload, key, v, &e);

	if (r == -ENOKEY)
		return false;
	if (r == -ENOMEM)
		perr(p, r, "out of memory");
	else if (r < 0)
		perr(p, r, "%s", e.msg);
	return true;
}

static int begin_section(struct parser *p, const char *section)
{
	struct lab_config *c = p->c;
	const char *arg = NULL;

	if (strv_contains(p->seen_sections, section))
		return perr(p, -EINVAL, "section [%s] appears twice", section);
	if (strv_append(&p->seen_sections, section) < 0)
		goto oom;

	snprintf(p->section, sizeof(p->section), "%s", section);
	p->section_line = p->line;
	p->cur = NULL;
	if (!strcmp(section, "lab")) {
		p->kind = SEC_LAB;
	} else if (!strcmp(section, "virtiofsd")) {
		p->kind = SEC_VIRTIOFSD;
	} else if (!strcmp(section, "workload")) {
		p->kind = SEC_WORKLOAD;
		p->workload_line = p->line;
		c->has_workload = true;
	} else if (str_has_prefix(section, "share ")) {
		struct share_config *s;

		arg = section + 6;
		if (!valid_name(arg))
			return perr(
				p, -EINVAL,
				"section [%s]: '%s' is not a valid share name",
				section, arg);
		s = ARRAY_PUSH(c->shares, c->n_shares);
		if (!s)
			goto oom;
		s->line = p->line;
		s->queue_size = 1024;
		s->name = strdup(arg);
		if (!s->name)
			goto oom;
		p->cur = s;
		p->kind = SEC_SHARE;
	} else if (str_has_prefix(section, "vm ")) {
		struct vm_config *vm;

		arg = section + 3;
		if (!valid_name(arg))
			return perr(p, -EINVAL,
				    "section [%s]: '%s' is not a valid VM id",
				    section, arg);
		vm = ARRAY_PUSH(c->vms, c->n_vms);
		if (!vm)
			goto oom;
		vm->cg.node = -1;
		vm->line = p->line;
		vm->id = strdup(arg);
		if (!vm->id)
			goto oom;
		p->cur = vm;
		p->kind = SEC_VM;
	} else {
		return perr(
			p, -EINVAL,
			"unknown section [%s] (expected lab, virtiofsd, share NAME, vm ID or workload)",
			section);
	}
	return 0;
oom:
	return perr(p, -ENOMEM, "out of memory");
}

/* A line longer than inih's buffer: refused, naming its key if it has one. */
static void line_too_long(struct parser *p, const char *buf, int size)
{
	const char *k = buf, *e;

	while (*k == ' ' || *k == '\t')
		k++;
	e = k + strcspn(k, "=:");
	while (e > k && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (*k && k[strcspn(k, "=:")] && e > k && e - k <= 64 && *k != '[' &&
	    *k != ';' && *k != '#')
		perr(p, -EINVAL, "key '%.*s': line longer than %d bytes",
		     (int)(e - k), k, size - 2);
	else
		perr(p, -EINVAL, "line longer than %d bytes", size - 2);
}

/*
 * fgets() that counts what it read, so that a NUL byte is not taken for
 * the end of the line: the bytes read, 0 at the end of the file, or -1
 * with errno set on a read error.
 */
static int read_line(FILE *f, char *buf, int size)
{
	int n = 0, c;

	errno = 0;
	while (n < size - 1 && (c = getc(f)) != EOF) {
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	buf[n] = 0;
	if (ferror(f)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return n;
}

/* inih reads line by line through this, so p->line is the current line. */
static char *reader(char *buf, int size, void *stream)
{
	struct parser *p = stream;
	const char *s;
	int n = read_line(p->f, buf, size);

	if (n < 0) {
		/* an error is not the end of the file (EIO) */
		int e = errno;

		p->line++;
		perr(p, -e, "cannot read this line: %s", strerror(e));
		return NULL;
	}
	if (!n)
		return NULL;
	p->line++;
	if (memchr(buf, 0, n)) {
		/* inih would stop the line there */
		perr(p, -EINVAL, "a NUL byte in this line");
		return NULL;
	}
	if (buf[n - 1] != '\n' && !feof(p->f)) {
		/* inih would read the rest as a line of its own */
		line_too_long(p, buf, size);
		return NULL;
	}
	/* Catch [sections] here: inih says nothing about empty ones. */
	for (s = buf; *s == ' ' || *s == '\t'; s++)
		;
	if (*s == '[' && !p->error) {
		const char *e = strchr(s, ']');

		if (e && (size_t)(e - s - 1) < SECTION_MAX) {
			char norm[SECTION_MAX];
			size_t k = 0;
			bool space = false;

			/* trim and collapse "vm  0" spacing */
			for (const char *q = s + 1;
			     q < e && k + 1 < sizeof(norm); q++) {
				if (*q == ' ' || *q == '\t') {
					space = true;
					continue;
				}
				if (space && k)
					norm[k++] = ' ';
				space = false;
				norm[k++] = *q;
			}
			norm[k] = 0;
			begin_section(p, norm);
		} else {
			perr(p, -EINVAL, "bad section header");
		}
	}
	return buf;
}

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	static bool (*const section_keys[])(struct parser *, const char *,
					    const char *) = {
		[SEC_LAB] = lab_key,	       [SEC_VIRTIOFSD] = virtiofsd_key,
		[SEC_SHARE] = share_key,       [SEC_VM] = vm_key,
		[SEC_WORKLOAD] = workload_key,
	};
	struct parser *p = user;
	_cleanup_free_ char *k = NULL;

	(void)section;
	if (p->error)
		return 0;
	k = strdup_printf("%u\n%s", p->section_line, key);
	/* the first error found ends the checks */
	if (p->kind == SEC_NONE)
		perr(p, -EINVAL, "key '%s' = '%s' outside any section", key,
		     value);
	else if (!k)
		perr(p, -ENOMEM, "out of memory");
	else if (strv_contains(p->seen_keys, k))
		perr(p, -EINVAL, "key '%s': value '%s': set twice in [%s]", key,
		     value, p->section);
	else if (strv_append(&p->seen_keys, k) < 0)
		perr(p, -ENOMEM, "out of memory");
	else if (!section_keys[p->kind](p, key, value))
		perr(p, -EINVAL, "unknown key '%s' (value '%s') in [%s]", key,
		     value, p->section);
	return p->error ? 0 : 1;
}

static void defaults(struct lab_config *c)
{
	c->lab.accel = LAB_ACCEL_AUTO;
	c->lab.boot_timeout = 300;
	c->lab.stop_timeout = 30;
	c->virtiofsd.cg.node = -1;
	c->virtiofsd.style = VIRTIOFSD_STYLE_AUTO;
	c->workload.size = 1ULL << 30;
	c->workload.file_size = 16ULL << 20;
	c->workload.private_ratio = 25;
	c->workload.access_ratio = 75;
	c->workload.hot_ratio = 20;
	c->workload.hot_access_ratio = 80;
	c->workload.bs_bytes = 4096;
	c->workload.runtime = 60;
	c->workload.residency_interval_ms = 1000;
}

static int fill_str(char **field, const char *v)
{
	if (*field)
		return 0;
	*field = strdup(v);
	return *field ? 0 : -ENOMEM;
}

/* Defaults that depend on other keys, and checks across sections. */
static int finish(struct parser *p)
{
	struct lab_config *c = p->c;
	int r = 0;

	r |= fill_str(&c->lab.state_dir, "/run/daxlab");
	r |= fill_str(&c->lab.image_dir, DAXLAB_DEFAULT_IMAGE_DIR);
	r |= fill_str(&c->lab.guest_dir, DAXLAB_DEFAULT_GUEST_DIR);
	r |= fill_str(&c->lab.qemu, "qemu-system-x86_64");
	r |= fill_str(&c->lab.cgroup_parent, "");
	r |= fill_str(&c->lab.cgroup_version, "auto");
	r |= fill_str(&c->virtiofsd.cg.cgroup, "virtiofsd");
	r |= fill_str(&c->virtiofsd.cache, "always");
	r |= fill_str(&c->workload.rw, "randread");
	r |= fill_str(&c->workload.bs, "4k");
	r |= fill_str(&c->workload.ioengine, "psync");
	if (!c->virtiofsd.extra_args) {
		c->virtiofsd.extra_args = calloc(1, sizeof(char *));
		if (!c->virtiofsd.extra_args)
			r = -ENOMEM;
	}
	if (r)
		goto oom;

	for (size_t i = 0; i < c->n_shares; i++) {
		struct share_config *s = &c->shares[i];

		p->line = s->line;
		if (fill_str(&s->tag, s->name) < 0)
			goto oom;
		if (!s->source)
			return perr(p, -EINVAL,
				    "[share %s]: key 'source' is missing",
				    s->name);
		if (!s->mount) {
			s->mount = strdup_printf("/mnt/%s", s->name);
			if (!s->mount)
				goto oom;
		}
		s->shared = !strstr(s->source, "%i");
		if (s->backend == SHARE_BACKEND_VIRTIO_PMEM && s->dax_window)
			return perr(
				p, -EINVAL,
				"[share %s]: dax_window is for virtiofs shares; virtio-pmem is DAX already",
				s->name);
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(c->shares[j].tag, s->tag))
				return perr(
					p, -EINVAL,
					"[share %s]: key 'tag': value '%s' also used by [share %s]",
					s->name, s->tag, c->shares[j].name);
			if (!strcmp(c->shares[j].mount, s->mount))
				return perr(
					p, -EINVAL,
					"[share %s]: key 'mount': value '%s' also used by [share %s]",
					s->name, s->mount, c->shares[j].name);
		}
		/* %i is the only expansion: refuse other % uses. */
		for (const char *q = s->source; (q = strchr(q, '%')); q += 2)
			if (q[1] != 'i')
				return perr(
					p, -EINVAL,
					"[share %s]: key 'source': value '%s': only %%i may follow '%%'",
					s->name, s->source);
	}

	for (size_t i = 0; i < c->n_vms; i++) {
		struct vm_config *vm = &c->vms[i];
		uint64_t idn;
		bool numeric = parse_u64(vm->id, &idn) == 0 && idn < 1000;
		unsigned base = numeric ? (unsigned)idn : (unsigned)i;

		p->line = vm->line;
		if (!vm->name) {
			vm->name = strdup_printf("vm%s", vm->id);
			if (!vm->name)
				goto oom;
			if (!valid_name(vm->name))
				return perr(
					p, -EINVAL,
					"[vm %s]: VM id too long for a name",
					vm->id);
		}
		if (!vm->cg.cgroup) {
			vm->cg.cgroup = strdup_printf("virtual-vm%s", vm->id);
			if (!vm->cg.cgroup)
				goto oom;
			if (!valid_name(vm->cg.cgroup))
				return perr(
					p, -EINVAL,
					"[vm %s]: VM id too long for a cgroup name",
					vm->id);
		}
		if (!strcmp(vm->cg.cgroup, c->virtiofsd.cg.cgroup))
			return perr(
				p, -EINVAL,
				"[vm %s]: key 'cgroup': value '%s' is virtiofsd's cgroup",
				vm->id, vm->cg.cgroup);
		if (!vm->vcpus)
			vm->vcpus = 1;
		if (!vm->memory)
			vm->memory = 512ULL << 20;
		if (!vm->ssh) {
			vm->ssh = strdup_printf("root@%s", vm->name);
			if (!vm->ssh)
				goto oom;
		}
		if (!vm->ssh_port)
			vm->ssh_port = 10022 + base;
		if (vm->net == VM_NET_TAP && !vm->bridge)
			return perr(p, -EINVAL,
				    "[vm %s]: net = tap needs key 'bridge'",
				    vm->id);
		if (vm->image && (vm->kernel || vm->initrd))
			return perr(
				p, -EINVAL,
				"[vm %s]: give either 'image' or 'kernel'/'initrd', not both",
				vm->id);
		if (vm->seed && !vm->image)
			return perr(
				p, -EINVAL,
				"[vm %s]: key 'seed': value '%s': a seed is for a VM that boots an 'image'",
				vm->id, vm->seed);
		if (!vm->image && (!vm->kernel || !vm->initrd)) {
			if (!vm->kernel)
				vm->kernel = strdup_printf(
					"%s/vmlinuz", c->lab.guest_dir);
			if (!vm->initrd)
				vm->initrd = strdup_printf(
					"%s/initrd.img", c->lab.guest_dir);
			if (!vm->kernel || !vm->initrd)
				goto oom;
		}
		if (!vm->shares) {
			vm->shares = calloc(c->n_shares + 1, sizeof(char *));
			if (!vm->shares)
				goto oom;
			for (size_t j = 0; j < c->n_shares; j++) {
				vm->shares[j] = strdup(c->shares[j].name);
				if (!vm->shares[j])
					goto oom;
			}
			vm->n_shares = c->n_shares;
		}
		for (size_t j = 0; j < vm->n_shares; j++)
			if (!config_find_share(c, vm->shares[j]))
				return perr(
					p, -EINVAL,
					"[vm %s]: key 'shares': value '%s': no [share %s]",
					vm->id, vm->shares[j], vm->shares[j]);
		if (!vm->qemu_args) {
			vm->qemu_args = calloc(1, sizeof(char *));
			if (!vm->qemu_args)
				goto oom;
		}
		for (size_t j = 0; j < i; j++) {
			struct vm_config *o = &c->vms[j];

			if (!strcmp(o->cg.cgroup, vm->cg.cgroup) ||
			    !strcmp(o->name, vm->name) ||
			    o->ssh_port == vm->ssh_port)
				return perr(
					p, -EINVAL,
					"[vm %s]: cgroup, name or ssh_port also used by [vm %s]",
					vm->id, o->id);
		}
	}
	if (c->workload.file_size > c->workload.size) {
		p->line = p->workload_line;
		return perr(
			p, -EINVAL,
			"[workload]: key 'file_size': value %llu is larger than size (%llu)",
			(unsigned long long)c->workload.file_size,
			(unsigned long long)c->workload.size);
	}
	return 0;
oom:
	return perr(p, -ENOMEM, "out of memory");
}

/* What config_load() leaves: the file, the lists, the config unless taken */
static void parser_done(struct parser *p)
{
	if (p->f)
		fclose(p->f);
	strv_free(p->seen_sections);
	strv_free(p->seen_keys);
	config_free(p->c);
}

/* The file name: not empty, no newline. */
static int check_name(struct parser *p, const char *path)
{
	if (!*path)
		return err_fail(p->err, -ENOENT,
				"the configuration file name is empty");
	if (strpbrk(path, "\n\r"))
		return perr(p, -EINVAL, "newline in the file name");
	return 0;
}

static int parse(struct parser *p, struct lab_config **ret);

/* The file at path, or text (len bytes) that names path. */
static int load(const char *path, const char *text, size_t len,
		struct lab_config **ret, struct error *err)
{
	struct parser p __attribute__((cleanup(parser_done))) = { 0 };
	struct stat st;
	int r;

	if (err)
		err->msg[0] = 0;
	p.path = path;
	p.err = err;
	r = check_name(&p, path);
	if (r < 0)
		return r;
	/* an empty text: fmemopen() of 0 bytes is EINVAL */
	if (text && len)
		p.f = fmemopen((void *)text, len, "r");
	else
		p.f = fopen(text ? "/dev/null" : path, "re");
	if (!p.f)
		return err_fail(err, -errno, "%s: %m", path);
	/*
	 * A directory would read as an empty file. Pipes (-c <(...)) and
	 * character devices read as files do.
	 */
	if (!text && fstat(fileno(p.f), &st) < 0)
		return err_fail(err, -errno, "%s: %m", path);
	if (!text && S_ISDIR(st.st_mode))
		return err_fail(err, -EISDIR, "%s: %s", path, strerror(EISDIR));
	return parse(&p, ret);
}

int config_load(const char *path, struct lab_config **ret, struct error *err)
{
	return load(path, NULL, 0, ret, err);
}

int config_load_text(const char *path, const char *text, size_t len,
		     struct lab_config **ret, struct error *err)
{
	return load(path, text, len, ret, err);
}

/* The text of p->f, p->path naming it. */
static int parse(struct parser *p, struct lab_config **ret)
{
	_cleanup_free_ char *abs = NULL;
	int r;

	p->c = calloc(1, sizeof(*p->c));
	if (!p->c)
		return -ENOMEM;
	defaults(p->c);
	if (p->path[0] == '/') {
		abs = strdup(p->path);
	} else {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		abs = strdup_printf("%s/%s", cwd, p->path);
	}
	if (!abs)
		return -ENOMEM;
	p->c->path = strdup(abs);
	p->c->dir = path_parent(abs);
	if (!p->c->path || !p->c->dir)
		return -ENOMEM;
	r = ini_parse_stream(reader, p, handler, p);
	if (p->error)
		return p->error;
	if (r != 0) {
		p->line = r > 0 ? (unsigned)r : p->line;
		return perr(p, -EINVAL, "cannot parse this line");
	}
	r = finish(p);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p->c);
	return 0;
}

static void free_binding(struct cg_binding *b)
{
	free(b->cgroup);
	free(b->cpus);
	free(b->mems);
}

void config_free(struct lab_config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->dir);
	free(c->lab.state_dir);
	free(c->lab.image_dir);
	free(c->lab.qemu);
	free(c->lab.cgroup_parent);
	free(c->lab.cgroup_version);
	free(c->lab.guest_dir);
	free(c->lab.ssh_key);
	free(c->virtiofsd.path);
	free_binding(&c->virtiofsd.cg);
	free(c->virtiofsd.cache);
	free(c->virtiofsd.sandbox);
	strv_free(c->virtiofsd.extra_args);
	for (size_t i = 0; i < c->n_shares; i++) {
		struct share_config *s = &c->shares[i];

		free(s->name);
		free(s->tag);
		free(s->source);
		free(s->mount);
		free(s->options);
	}
	free(c->shares);
	for (size_t i = 0; i < c->n_vms; i++) {
		struct vm_config *vm = &c->vms[i];

		free(vm->id);
		free(vm->name);
		free_binding(&vm->cg);
		free(vm->image);
		free(vm->seed);
		free(vm->kernel);
		free(vm->initrd);
		free(vm->append);
		free(vm->ssh);
		free(vm->bridge);
		strv_free(vm->shares);
		strv_free(vm->qemu_args);
	}
	free(c->vms);
	free(c->workload.rw);
	free(c->workload.bs);
	free(c->workload.ioengine);
	free(c);
}

/*
 * Whether ./daxlab.ini, which no one named, may be read as this user: it
 * names the programs daxlab starts as root, so one that another user
 * made (in /tmp, in a shared folder) or that every user can write is not
 * taken. Group-writable is: umask 002 makes it so, for the user's group.
 */
static int cwd_config_trusted(const char *path, struct error *err)
{
	const char *sudo = getenv("SUDO_UID");
	uint64_t su;
	struct stat st;

	/* the file itself: a link could be pointed elsewhere after */
	if (lstat(path, &st) < 0)
		return err_fail(err, -errno, "%s: %m", path);
	if (!S_ISREG(st.st_mode))
		return err_fail(
			err, -EPERM,
			"./%s is not a regular file (a link?): not read unless named (--config ./%s)",
			path, path);
	if (st.st_uid != geteuid() &&
	    !(sudo && parse_u64(sudo, &su) == 0 && su == st.st_uid))
		return err_fail(
			err, -EPERM,
			"./%s belongs to user %u, not to you: not read unless named (--config ./%s)",
			path, (unsigned)st.st_uid, path);
	if (st.st_mode & S_IWOTH)
		return err_fail(
			err, -EPERM,
			"./%s can be written by every user (mode %04o): not read unless named (--config ./%s)",
			path, (unsigned)(st.st_mode & 07777), path);
	/*
	 * the folder: where every user may rename files (no sticky bit),
	 * one can swap another file in between this check and the read
	 */
	if (stat(".", &st) < 0)
		return err_fail(err, -errno, ".: %m");
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		return err_fail(
			err, -EPERM,
			"./%s is in a folder every user can write (mode %04o): not read unless named (--config ./%s)",
			path, (unsigned)(st.st_mode & 07777), path);
	return 0;
}

int config_find(const char *explicit_path, const char **ret, struct error *err)
{
	const char *e = getenv("DAXLAB_CONFIG");

	*ret = explicit_path;
	if (!*ret && e && *e)
		*ret = e;
	if (*ret)
		return 0;
	if (access("daxlab.ini", F_OK) < 0) {
		*ret = "/etc/daxlab/daxlab.ini";
		return 0;
	}
	*ret = "daxlab.ini";
	return cwd_config_trusted(*ret, err);
}

const struct vm_config *config_find_vm(const struct lab_config *c,
				       const char *id)
{
	for (size_t i = 0; i < c->n_vms; i++)
		if (!strcmp(c->vms[i].id, id) || !strcmp(c->vms[i].name, id))
			return &c->vms[i];
	return NULL;
}

const struct share_config *config_find_share(const struct lab_config *c,
					     const char *name)
{
	for (size_t i = 0; i < c->n_shares; i++)
		if (!strcmp(c->shares[i].name, name))
			return &c->shares[i];
	return NULL;
}

bool config_vm_has_share(const struct vm_config *vm,
			 const struct share_config *share)
{
	for (size_t i = 0; i < vm->n_shares; i++)
		if (!strcmp(vm->shares[i], share->name))
			return true;
	return false;
}

char *config_share_source(const struct share_config *share,
			  const struct vm_config *vm)
{
	size_t n = 1, idlen = strlen(vm->id);
	const char *s;
	char *r, *o;

	for (s = share->source; *s; s++)
		n += (s[0] == '%' && s[1] == 'i') ? idlen : 1;
	r = malloc(n);
	if (!r)
		return NULL;
	for (s = share->source, o = r; *s; s++) {
		if (s[0] == '%' && s[1] == 'i') {
			memcpy(o, vm->id, idlen);
			o += idlen;
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
	return r;
}

char *config_ssh_key(const struct lab_config *c)
{
	const char *dir;

	if (c->lab.ssh_key)
		return strdup(c->lab.ssh_key);
	dir = c->lab.guest_dir ? c->lab.guest_dir : DAXLAB_DEFAULT_GUEST_DIR;
	return strdup_printf("%s/id_ed25519", dir);
}

const char *config_accel_name(enum lab_accel a)
{
	return a == LAB_ACCEL_KVM || a == LAB_ACCEL_TCG ? accels[a] : "auto";
}

const char *config_backend_name(enum share_backend b)
{
	return b == SHARE_BACKEND_VIRTIO_PMEM ? "virtio-pmem" : "virtiofs";
}
