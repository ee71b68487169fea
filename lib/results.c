// SPDX-License-Identifier: MIT
/*
 * The results folder: its files, its status marker, provenance lists and
 * the residency table.
 */
#include "results.h"
#include "array.h"
#include "csvread.h"
#include "fileset.h"
#include "imgextents.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

static const char *const status_names[] = {
	[RESULTS_RUNNING] = "running",	     [RESULTS_COMPLETE] = "complete",
	[RESULTS_INCOMPLETE] = "incomplete", [RESULTS_FAILED] = "failed",
	[RESULTS_UNKNOWN] = "unknown",
};

const char *results_status_name(enum results_status s)
{
	if ((unsigned)s >= ARRAY_SIZE(status_names))
		return "unknown";
	return status_names[s];
}

/*
 * mkdir, and chmod: the umask must not take the 0755 away. Through the
 * folder's fd, not its name, which another could make a link meanwhile.
 */
static int mkdir_0755(const char *dir)
{
	_cleanup_close_ int fd = -1;

	if (mkdir(dir, 0755) < 0)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0755) < 0)
		return -errno;
	return 0;
}

int results_create_at(const char *dir, char **ret_dir)
{
	int r = mkdir_0755(dir);
	char *d;

	if (r < 0)
		return r;
	d = strdup(dir);
	if (!d)
		return -ENOMEM;
	*ret_dir = d;
	return 0;
}

int results_create(const char *base, const char *name, time_t when,
		   char **ret_dir)
{
	char stamp[32];
	struct tm tm;
	int r;

	if (!valid_name(name))
		return -EINVAL;
	r = mkdir_p(base, 0755);
	if (r < 0)
		return r;
	if (!localtime_r(&when, &tm))
		return -EINVAL;
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (unsigned i = 1; i < 1000; i++) {
		_cleanup_free_ char *dir = NULL;

		if (i == 1)
			dir = strdup_printf("%s/%s-%s", base, stamp, name);
		else
			dir = strdup_printf("%s/%s-%s-%u", base, stamp, name,
					    i);
		if (!dir)
			return -ENOMEM;
		r = mkdir_0755(dir);
		if (r == -EEXIST)
			continue;
		if (r < 0)
			return r;
		*ret_dir = TAKE_PTR(dir);
		return 0;
	}
	return -EEXIST;
}

int results_write(const char *dir, const char *file, const char *text)
{
	_cleanup_free_ char *path = strdup_printf("%s/%s", dir, file);

	if (!path)
		return -ENOMEM;
	return write_file_atomic(path, text, strlen(text), 0644, NULL);
}

int results_append(const char *dir, const char *file, const char *text)
{
	_cleanup_free_ char *path = strdup_printf("%s/%s", dir, file);
	_cleanup_close_ int fd = -1;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_APPEND,
		  0644);
	if (fd < 0)
		return -errno;
	return write_all(fd, text, strlen(text));
}

bool results_stats_cut(const char *dir)
{
	_cleanup_free_ char *p = strdup_printf("%s/stats.csv", dir);
	_cleanup_close_ int fd =
		p ? open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	struct stat st;
	char last;

	return fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0 ||
	       pread(fd, &last, 1, st.st_size - 1) != 1 || last != '\n';
}

int results_sync(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || syncfs(fd) < 0)
		return -errno;
	return 0;
}

int results_set_status(const char *dir, enum results_status s,
		       const char *reason)
{
	_cleanup_free_ char *r1 =
		strdup_printf_line("%s", reason ? reason : "");
	_cleanup_free_ char *text = NULL;

	if (!r1)
		return -ENOMEM;
	if (*r1 && s != RESULTS_COMPLETE && s != RESULTS_RUNNING)
		text = strdup_printf("%s: %s\n", results_status_name(s), r1);
	else
		text = strdup_printf("%s\n", results_status_name(s));
	if (!text)
		return -ENOMEM;
	return results_write(dir, "status", text);
}

int results_get_status(const char *dir, enum results_status *ret,
		       char **ret_reason)
{
	_cleanup_free_ char *path = strdup_printf("%s/status", dir);
	_cleanup_free_ char *text = NULL;
	char *colon, *nl;
	int r;

	if (!path)
		return -ENOMEM;
	*ret = RESULTS_UNKNOWN;
	if (ret_reason)
		*ret_reason = NULL;
	r = read_full_file(path, 4096, &text, NULL);
	if (r < 0)
		return r;
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	colon = strchr(text, ':');
	if (colon)
		*colon = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(status_names); i++)
		if (strcmp(text, status_names[i]) == 0)
			*ret = (enum results_status)i;
	if (*ret == RESULTS_UNKNOWN)
		return -EBADMSG;
	if (colon && ret_reason) {
		const char *s = colon + 1;

		while (*s == ' ')
			s++;
		*ret_reason = strdup(s);
		if (!*ret_reason)
			return -ENOMEM;
	}
	return 0;
}

int kv_set(struct kvlist *l, const char *key, const char *fmt, ...)
{
	_cleanup_free_ char *value = NULL;
	struct kv *nv;
	va_list ap;

	va_start(ap, fmt);
	value = strdup_vprintf_line(fmt, ap);
	va_end(ap);
	if (!value)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0) {
			free(l->v[i].value);
			l->v[i].value = TAKE_PTR(value);
			return 0;
		}
	nv = ARRAY_PUSH(l->v, l->n);
	if (!nv)
		return -ENOMEM;
	nv->key = strdup(key);
	if (!nv->key) {
		l->n--;
		return -ENOMEM;
	}
	nv->value = TAKE_PTR(value);
	return 0;
}

char *kv_format(const struct kvlist *l)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%s = %s\n", l->v[i].key, l->v[i].value);
	return memstream_close(f, &buf, true);
}

int kv_parse(const char *text, struct kvlist *ret)
{
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL;
	int r;

	if (!copy)
		return -ENOMEM;
	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq, *key, *value;

		key = str_trim(line);
		if (!*key || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq)
			return -EBADMSG;
		*eq = '\0';
		value = str_trim(eq + 1);
		key = str_trim(key);
		r = kv_set(ret, key, "%s", value);
		if (r < 0)
			return r;
	}
	return 0;
}

void kv_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

char *results_tool_version(const char *const *argv)
{
	_cleanup_free_ char *out = NULL;
	int code = 0, r;

	r = spawn_capture(argv, true, 1 << 16, &out, &code);
	if (r < 0)
		return strdup_printf("unknown (%s: %s)", argv[0], strerror(-r));
	for (char *line = out; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		line = str_trim(line);
		if (*line)
			return strdup_printf_line("%s", line);
		line = nl ? nl + 1 : NULL;
	}
	return strdup_printf("unknown (%s exited %d with no output)", argv[0],
			     code);
}

bool results_options_have_dax(const char *options)
{
	_cleanup_free_ char *copy = strdup(options ? options : "");
	char *save = NULL;
	bool dax = false;

	if (!copy)
		return false;
	for (char *o = strtok_r(copy, ",", &save); o;
	     o = strtok_r(NULL, ",", &save)) {
		/*
		 * dax=inode is DAX only for files flagged so (ext4's
		 * FS_XFLAG_DAX, virtiofsd's per-file answer): ours are not,
		 * and virtiofs shows it without a DAX window at all
		 */
		if (strcmp(o, "dax") == 0 || strcmp(o, "dax=always") == 0)
			dax = true;
		else if (strncmp(o, "dax=", 4) == 0)
			dax = false;
	}
	return dax;
}

size_t results_parse_mount_lines(const char *console, struct mount_line *ret,
				 size_t max)
{
	size_t n = 0;

	for (const char *l = console; l && *l && n < max;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char line[1024];
		struct mount_line *m = &ret[n];
		const char *ok, *bad;

		snprintf(line, sizeof(line), "%.*s", (int)len, l);
		/* the console may prefix kernel output; find the marker */
		ok = strstr(line, "DAXLAB-MOUNT-OK ");
		bad = strstr(line, "DAXLAB-MOUNT-FAILED ");
		memset(m, 0, sizeof(*m));
		if (ok) {
			if (sscanf(ok + 16, "%255s %31s %511s", m->mount,
				   m->fstype, m->options) >= 2) {
				m->ok = true;
				n++;
			}
		} else if (bad) {
			const char *p = bad + 20;
			const char *colon = strchr(p, ':');

			if (colon) {
				snprintf(m->mount, sizeof(m->mount), "%.*s",
					 (int)(colon - p), p);
				p = colon + 1;
				while (*p == ' ')
					p++;
				snprintf(m->options, sizeof(m->options), "%s",
					 p);
				str_trim(m->options);
			} else {
				snprintf(m->mount, sizeof(m->mount), "%s", p);
			}
			n++;
		}
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

char *residency_format(const struct residency_row *rows, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "%s\n", RESIDENCY_HEADER);
	for (size_t i = 0; i < n; i++) {
		const struct residency_row *r = &rows[i];

		fprintf(f, "%s,%s,%s,%s,%llu,", r->set, r->vm, r->via, r->node,
			(unsigned long long)r->resident);
		if (strcmp(r->node, "total") == 0)
			fprintf(f, "%llu", (unsigned long long)r->size);
		fputc('\n', f);
	}
	return memstream_close(f, &buf, true);
}

static int push_row(struct residency_row **rows, size_t *n,
		    const struct residency_row *r)
{
	struct residency_row *nr = ARRAY_PUSH(*rows, *n);

	if (!nr)
		return -ENOMEM;
	*nr = *r;
	return 0;
}

/* A field into dst, len bytes with its NUL; -EINVAL when it does not fit. */
static int copy_span(char *dst, size_t len, const struct csv_span *f)
{
	if (f->len >= len)
		return -EINVAL;
	memcpy(dst, f->p, f->len);
	dst[f->len] = '\0';
	return 0;
}

static int copy_field(char *dst, size_t len, const char *s)
{
	return copy_span(dst, len, &(struct csv_span){ s, strlen(s) });
}

struct residency_rows {
	struct residency_row *v;
	size_t n;
};

/* "total", "unknown" or N and a number: what residency_measure() names */
static bool node_ok(const char *s)
{
	if (!strcmp(s, "total") || !strcmp(s, "unknown"))
		return true;
	if (*s++ != 'N' || !*s)
		return false;
	return strspn(s, "0123456789") == strlen(s);
}

/* A row of the table, its fields split by csvread_text(). */
static int parse_row(const struct csv_span *f, void *ud, struct error *msg)
{
	struct residency_rows *rows = ud;
	struct residency_row r = { 0 };
	char resident[24], size[24];

	if (copy_span(r.set, sizeof(r.set), &f[0]) < 0 ||
	    (strcmp(r.set, "shared") && strcmp(r.set, "private")) ||
	    copy_span(r.vm, sizeof(r.vm), &f[1]) < 0 ||
	    copy_span(r.via, sizeof(r.via), &f[2]) < 0 ||
	    (strcmp(r.via, "files") && strcmp(r.via, "image")) ||
	    copy_span(r.node, sizeof(r.node), &f[3]) < 0 || !node_ok(r.node) ||
	    copy_span(resident, sizeof(resident), &f[4]) < 0 ||
	    parse_u64(resident, &r.resident) < 0 ||
	    copy_span(size, sizeof(size), &f[5]) < 0 ||
	    (*size && parse_u64(size, &r.size) < 0))
		return err_fail(msg, -EBADMSG, "malformed row");
	return push_row(&rows->v, &rows->n, &r);
}

int residency_parse(const char *path, const char *text,
		    struct residency_row **ret, size_t *ret_n,
		    struct error *err)
{
	struct residency_rows rows = { 0 };
	int r = csvread_text(path, text, strlen(text), RESIDENCY_HEADER, 6,
			     true, parse_row, &rows, err);

	if (r < 0) {
		free(rows.v);
		return r;
	}
	*ret = rows.v;
	*ret_n = rows.n;
	return 0;
}

int residency_measure(const char *set, const char *vm, const char *via,
		      const char *const *paths, struct residency_row **rows,
		      size_t *n)
{
	struct fs_residency acc = { 0 };
	struct residency_row r = { 0 };
	int ret;

	for (size_t i = 0; paths[i]; i++) {
		struct fs_ranges only = { 0 };
		bool image = !strcmp(via, "image");

		ret = image ? imgextents_load(paths[i], &only) : -ENOENT;
		if (ret < 0 && ret != -ENOENT)
			return ret;
		ret = fileset_file_residency(paths[i], ret ? NULL : &only,
					     &acc);
		imgextents_free(&only);
		if (ret < 0)
			return ret;
	}
	if (copy_field(r.set, sizeof(r.set), set) < 0 ||
	    copy_field(r.vm, sizeof(r.vm), vm ? vm : "") < 0 ||
	    copy_field(r.via, sizeof(r.via), via) < 0)
		return -EINVAL;
	strcpy(r.node, "total");
	r.resident = acc.resident;
	r.size = acc.size;
	ret = push_row(rows, n, &r);
	if (ret < 0)
		return ret;
	r.size = 0;
	/* the nodes, then (i == FS_MAX_NODES) what no node was found for */
	for (unsigned i = 0; i <= FS_MAX_NODES; i++) {
		r.resident = i < FS_MAX_NODES ? acc.node[i] : acc.node_unknown;
		if (!r.resident)
			continue;
		if (i < FS_MAX_NODES)
			snprintf(r.node, sizeof(r.node), "N%u", i);
		else
			strcpy(r.node, "unknown");
		ret = push_row(rows, n, &r);
		if (ret < 0)
			return ret;
	}
	return 0;
}
