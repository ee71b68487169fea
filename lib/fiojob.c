// SPDX-License-Identifier: MIT
/*
 * fio job files for the workload's file sets.
 */
#include "fiojob.h"
#include "config.h"
#include "util.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fiojob_opts_init(struct fiojob_opts *o)
{
	*o = (struct fiojob_opts){
		.rw = "randread",
		.bs = 4096,
		.runtime = 60,
		.ioengine = "psync",
		.shared_path = "/srv/dax/shared",
		.private_path = "/srv/dax/private",
	};
}

void fiojob_opts_from_config(struct fiojob_opts *o,
			     const struct workload_config *w,
			     const struct workload_cfgdata *d)
{
	o->rw = w->rw;
	o->bs = w->bs_bytes;
	o->runtime = w->runtime;
	o->ioengine = w->ioengine;
	if (d->shared_mount)
		o->shared_path = d->shared_mount;
	if (d->private_mount)
		o->private_path = d->private_mount;
}

/* rw, bs, runtime and ioengine as daxlab.ini's [workload] keys are checked. */
static int check_workload(const struct fiojob_opts *o, struct error *err)
{
	struct workload_config w = { 0 };
	char bs[32], runtime[32];
	const char *kv[][2] = {
		{ "rw", o->rw ? o->rw : "" },
		{ "bs", bs },
		{ "runtime", runtime },
		{ "ioengine", o->ioengine ? o->ioengine : "" },
	};
	int r = 0;

	snprintf(bs, sizeof(bs), "%llu", (unsigned long long)o->bs);
	snprintf(runtime, sizeof(runtime), "%u", o->runtime);
	for (size_t i = 0; i < ARRAY_SIZE(kv) && r >= 0; i++)
		r = config_workload_set(&w, kv[i][0], kv[i][1], err);
	free(w.rw);
	free(w.bs);
	free(w.ioengine);
	return r == -ENOMEM ? err_fail(err, r, "out of memory") : r;
}

static int check_opts(const struct fiojob_opts *o, struct error *err)
{
	const char *paths[2] = { o->shared_path, o->private_path };
	int r = check_workload(o, err);

	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		const char *s = paths[i];

		if (!s || s[0] != '/' || strpbrk(s, ":\n\t ") ||
		    strlen(s) > 1024)
			return err_fail(
				err, -EINVAL,
				"%s path '%s' is not an absolute path without ':' or spaces",
				i ? "private" : "shared", s ? s : "");
	}
	return 0;
}

/* filename= lines for a group: values of at most FIOJOB_MAX_VALUE chars. */
static int write_filenames(FILE *f, unsigned g, unsigned count)
{
	size_t used = 0;

	for (unsigned i = 0; i < count; i++) {
		_cleanup_free_ char *name = fileset_file_name(g, i);
		size_t len;

		if (!name)
			return -ENOMEM;
		len = strlen(name);
		if (used && used + 1 + len > FIOJOB_MAX_VALUE) {
			fputc('\n', f);
			used = 0;
		}
		if (!used)
			fputs("filename=", f);
		else
			fputc(':', f), used++;
		fputs(name, f);
		used += len;
	}
	if (used)
		fputc('\n', f);
	return 0;
}

int fiojob_render(const struct fileset_plan *p, const struct fiojob_opts *o,
		  char **ret, struct error *err)
{
	const struct workload_spec *w = &p->spec;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	r = check_opts(o, err);
	if (r < 0)
		return r;
	f = open_memstream(&buf, &len);
	if (!f)
		return err_fail(err, -ENOMEM, "out of memory");
	if (o->comment)
		fprintf(f, "; %s\n", o->comment);
	fprintf(f,
		"; daxlab fio job: size=%llu file_size=%llu private_ratio=%u access_ratio=%u hot_ratio=%u hot_access_ratio=%u\n",
		(unsigned long long)w->size, (unsigned long long)w->file_size,
		w->private_ratio, w->access_ratio, w->hot_ratio,
		w->hot_access_ratio);
	fprintf(f, "; asked share of each VM's I/O:");
	for (unsigned g = 0; g < FS_GROUPS; g++)
		fprintf(f, " %s %u.%02u%%", fs_group_name(g), p->share[g] / 100,
			p->share[g] % 100);
	fprintf(f, "\n\n[global]\n");
	fprintf(f, "rw=%s\n", o->rw);
	fprintf(f, "bs=%llu\n", (unsigned long long)o->bs);
	fprintf(f, "ioengine=%s\n", o->ioengine);
	fprintf(f, "direct=%d\n", o->direct ? 1 : 0);
	fprintf(f, "time_based=1\n");
	fprintf(f, "runtime=%u\n", o->runtime);
	fprintf(f, "randrepeat=0\n");
	fprintf(f, "allow_file_create=0\n");
	fprintf(f, "invalidate=%d\n", o->warm ? 0 : 1);
	fprintf(f, "flow_id=1\n");
	fprintf(f, "flow_sleep=100\n");
	/*
	 * Each job's runtime counts from its own start, after its own setup,
	 * and fio takes a job's count and weight out of the flow when it
	 * reaps the job: jobs that started later then run on unthrottled
	 * against it, and a lone job on a warm mmap cache does tens of times
	 * the I/Os a second of the flow, which sleeps flow_sleep to take turns.
	 * exitall: the first job to reach the runtime stops them all.
	 */
	fprintf(f, "exitall\n");

	for (unsigned g = 0; g < FS_GROUPS; g++) {
		bool shared = g < 2;

		if (!p->weight[g] || !p->count[g])
			continue;
		fprintf(f, "\n[%s]\n", fs_group_name(g));
		/* no per-client prefix under directory=: one copy for all */
		fprintf(f, "unique_filename=0\n");
		fprintf(f, "directory=%s\n",
			shared ? o->shared_path : o->private_path);
		r = write_filenames(f, g, p->count[g]);
		if (r < 0)
			break;
		fprintf(f, "flow=%u\n", p->weight[g]);
	}
	if (!memstream_close(f, &buf, r == 0))
		return err_fail(err, -ENOMEM, "out of memory");
	*ret = buf;
	return 0;
}

int fiojob_parse_flows(const char *text, struct fiojob_section *ret, size_t max)
{
	int n = -1;

	for (const char *l = text; l && *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);

		if (len > 2 && l[0] == '[' && l[len - 1] == ']') {
			if (len - 2 < sizeof(ret->name) &&
			    (size_t)(n + 1) < max &&
			    strncmp(l, "[global]", len)) {
				n++;
				memcpy(ret[n].name, l + 1, len - 2);
				ret[n].name[len - 2] = '\0';
				ret[n].flow = 0;
			}
		} else if (n >= 0 && str_has_prefix(l, "flow=")) {
			ret[n].flow = (unsigned)strtoul(l + 5, NULL, 10);
		}
		l = end ? end + 1 : NULL;
	}
	return n + 1;
}

char *fiojob_fio_dir(const char *job_path)
{
	_cleanup_free_ char *a = strdup(job_path);
	_cleanup_free_ char *b = NULL;
	char *dir;

	if (!a)
		return NULL;
	dir = dirname(a);
	b = strdup(dir);
	if (!b)
		return NULL;
	if (!strcmp(basename(b), "jobs"))
		dir = dirname(dir);
	return strdup(dir);
}

int fiojob_update_current(const char *fio_dir, const char *job_path)
{
	_cleanup_free_ char *link = strdup_printf("%s/current", fio_dir);
	_cleanup_free_ char *tmp = strdup_printf("%s/.current.tmp", fio_dir);
	_cleanup_free_ char *prefix = strdup_printf("%s/", fio_dir);
	const char *target = job_path;

	if (!link || !tmp || !prefix)
		return -ENOMEM;
	if (str_has_prefix(job_path, prefix))
		target = job_path + strlen(prefix);
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return -errno;
	if (rename(tmp, link) < 0) {
		int r = -errno;

		unlink(tmp);
		return r;
	}
	return 0;
}

int fiojob_write_host_list(const char *path, const char *const *words)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; words[i]; i++)
		fprintf(f, "%s\n", words[i]);
	if (fclose(f))
		return -ENOMEM;
	return write_file_atomic(path, text, len, 0644, NULL);
}
