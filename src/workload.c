// SPDX-License-Identifier: MIT
/*
 * The workload options of `daxlab files` and `daxlab fio` (workload.h).
 */
#include "workload.h"
#include "daxlab.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void workload_args_init(struct workload_args *w, const char *cmd)
{
	memset(w, 0, sizeof(*w));
	w->cmd = cmd;
	workload_spec_init(&w->spec);
}

static int load_config(struct workload_args *w, const char *explicit_path)
{
	const char *path;
	const char *env = getenv("DAXLAB_CONFIG");
	struct error err = { 0 };
	int r;

	if (config_find(explicit_path, &path, &err) < 0)
		return error("%s", err.msg);

	/*
	 * A file that --config or $DAXLAB_CONFIG names must be there, as for
	 * vm and run (daxlab.ini(5)); only the default one is optional.
	 */
	if (!explicit_path && !(env && *env) && access(path, F_OK) < 0)
		return 0;
	r = config_load(path, &w->config, &err);
	if (r < 0)
		return config_error(path, explicit_path, r, err.msg);
	r = workload_spec_from_config(w->config, &w->spec, &w->cfgdata, &err);
	if (r < 0)
		return error("%s", err.msg);
	return 0;
}

void workload_args_config(struct workload_args *w, int argc, char **argv,
			  const char *shortopts, const struct option *longopts)
{
	const char *config = NULL;
	bool load = true;
	int o;

	w->argv = argv;
	optind = 0;
	while ((o = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (o == 'c')
			config = optarg;
		/*
		 * The real pass prints the help or the version, or stops at
		 * the bad option, before it uses the config: whatever the
		 * config, which may be missing or broken, is not read.
		 */
		if (o == 'h' || o == 'V' || o == ':' || o == '?')
			load = false;
	}
	if (load && load_config(w, config) < 0)
		exit(1);
	optind = 0;
}

void workload_args_option(struct workload_args *w, int o, const char *arg,
			  void (*print_usage)(void))
{
	/* the keys of WL_OPT_SIZE ... WL_OPT_VMS, in that order */
	static const char *const keys[] = {
		"size",		"file_size", "private_ratio",
		"access_ratio", "hot_ratio", "hot_access_ratio",
		"vms"
	};
	struct error err = { 0 };

	if (o >= WL_OPT_SIZE && o <= WL_OPT_VMS) {
		if (workload_spec_set(&w->spec, keys[o - WL_OPT_SIZE], arg,
				      &err) < 0)
			usage_error(w->cmd, "%s", err.msg);
		if (o == WL_OPT_VMS)
			w->dirs_given = true;
		return;
	}
	switch (o) {
	case 'c':
		break; /* taken by workload_args_config() */
	case WL_OPT_SHARED_DIR:
		w->spec.shared_dir = arg;
		break;
	case WL_OPT_PRIVATE_DIR:
		w->spec.private_dir = arg;
		w->dirs_given = true;
		break;
	default:
		common_option(w->cmd, o, w->argv, print_usage);
	}
}

void workload_args_done(struct workload_args *w)
{
	if (w->dirs_given) {
		w->spec.vm_ids = NULL;
		w->spec.vm_private_dirs = NULL;
	}
}

int workload_args_plan(const struct workload_args *w, struct fileset_plan **ret)
{
	struct error err = { 0 };
	int r = fileset_plan_new(&w->spec, ret, &err);

	if (r < 0)
		return error("%s", err.msg[0] ? err.msg : strerror(-r));
	return 0;
}

int workload_plan_vm(const struct fileset_plan *p, const char *id)
{
	for (unsigned v = 0; v < p->spec.vms; v++)
		if (!strcmp(p->vm_ids[v], id))
			return (int)v;
	return error("no VM '%s' in the workload", id);
}

void workload_args_free(struct workload_args *w)
{
	workload_cfgdata_free(&w->cfgdata);
	config_free(w->config);
	w->config = NULL;
}
