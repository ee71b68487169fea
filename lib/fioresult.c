// SPDX-License-Identifier: MIT
/*
 * fio's JSON output, parsed with json-c.
 */
#include "fioresult.h"
#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static double get_double(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v ? json_object_get_double(v) : 0;
}

static uint64_t get_u64(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	int64_t x;

	if (!v)
		return 0;
	x = json_object_get_int64(v);
	return x > 0 ? (uint64_t)x : 0;
}

static void copy_str(char *dst, size_t len, json_object *v)
{
	const char *s = v ? json_object_get_string(v) : NULL;

	snprintf(dst, len, "%s", s ? s : "");
}

static void fill_job(struct fio_jobres *j, json_object *o, bool client)
{
	static const char *const dirs[] = { "read", "write", "trim" };
	bool have_lat = false;

	copy_str(j->name, sizeof(j->name), get(o, "jobname"));
	if (client) {
		char host[sizeof(j->host) - 20]; /* and ":PORT" */

		copy_str(host, sizeof(host), get(o, "hostname"));
		snprintf(j->host, sizeof(j->host), "%s:%llu", host,
			 (unsigned long long)get_u64(o, "port"));
	} else {
		snprintf(j->host, sizeof(j->host), "local");
	}
	j->error = (int)get_u64(o, "error");
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		json_object *d = get(o, dirs[i]);
		json_object *pct = get(get(d, "clat_ns"), "percentile");
		uint64_t ios = get_u64(d, "total_ios");

		j->ios += ios;
		j->bytes += get_u64(d, "io_bytes");
		if (i == 0)
			j->read_bytes = j->bytes;
		j->iops += get_double(d, "iops");
		j->bw_bytes += get_double(d, "bw_bytes");
		if (ios && pct && !have_lat) {
			have_lat = true;
			j->mean_ns = get_double(get(d, "clat_ns"), "mean");
			j->p50_ns = get_double(pct, "50.000000");
			j->p99_ns = get_double(pct, "99.000000");
		}
	}
}

/* The first line that starts with '{'. */
static const char *json_start(const char *text)
{
	const char *l = strstr(text, "\n{");

	if (*text == '{')
		return text;
	return l ? l + 1 : NULL;
}

int fioresult_parse(const char *text, struct fio_result **ret)
{
	const char *start = json_start(text);
	json_object *root, *arr;
	struct fio_result *r;
	bool client;
	size_t n;

	if (!start)
		return -EBADMSG;
	root = json_tokener_parse(start);
	if (!root)
		return -EBADMSG;
	arr = get(root, "client_stats");
	client = arr != NULL;
	if (!arr)
		arr = get(root, "jobs");
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(root);
		return -EBADMSG;
	}
	n = json_object_array_length(arr);
	r = calloc(1, sizeof(*r));
	if (r)
		r->jobs = calloc(n ? n : 1, sizeof(*r->jobs));
	if (!r || !r->jobs) {
		free(r);
		json_object_put(root);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		const char *name = json_object_get_string(get(o, "jobname"));

		if (!name || !strcmp(name, "All clients"))
			continue;
		fill_job(&r->jobs[r->n++], o, client);
	}
	json_object_put(root);
	if (!r->n) {
		fioresult_free(r);
		return -EBADMSG;
	}
	*ret = r;
	return 0;
}

void fioresult_free(struct fio_result *r)
{
	if (!r)
		return;
	free(r->jobs);
	free(r);
}

size_t fioresult_hosts(const struct fio_result *r, const char **ret, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++) {
		bool seen = false;

		for (size_t j = 0; j < n && !seen; j++)
			seen = !strcmp(ret[j], r->jobs[i].host);
		if (!seen && n < max)
			ret[n++] = r->jobs[i].host;
	}
	return n;
}

const struct fio_jobres *fioresult_find(const struct fio_result *r,
					const char *host, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->jobs[i].host, host) &&
		    !strcmp(r->jobs[i].name, name))
			return &r->jobs[i];
	return NULL;
}

uint64_t fioresult_host_ios(const struct fio_result *r, const char *host)
{
	uint64_t t = 0;

	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->jobs[i].host, host))
			t += r->jobs[i].ios;
	return t;
}
