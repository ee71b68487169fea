/* SPDX-License-Identifier: MIT */
/*
 * The workload options that `daxlab files` and `daxlab fio` share: the
 * config, read in a first pass so that the other options override it,
 * and --size ... --private-dir, which shape the file sets.
 */
#ifndef DAXLAB_WORKLOAD_H
#define DAXLAB_WORKLOAD_H

#include <getopt.h>
#include <stdbool.h>

#include "fileset.h"
#include "lib/config.h"

enum {
	WL_OPT_SIZE = 0x100,
	WL_OPT_FILE_SIZE,
	WL_OPT_PRIVATE_RATIO,
	WL_OPT_ACCESS_RATIO,
	WL_OPT_HOT_RATIO,
	WL_OPT_HOT_ACCESS_RATIO,
	WL_OPT_VMS,
	WL_OPT_SHARED_DIR,
	WL_OPT_PRIVATE_DIR,
	WL_OPT_END, /* a command's own options start here */
};

/* clang-format off */
/* The longopts[] entries of -c and the options above. */
#define WORKLOAD_LONGOPTS \
	{ "config", required_argument, NULL, 'c' }, \
	{ "size", required_argument, NULL, WL_OPT_SIZE }, \
	{ "file-size", required_argument, NULL, WL_OPT_FILE_SIZE }, \
	{ "private-ratio", required_argument, NULL, WL_OPT_PRIVATE_RATIO }, \
	{ "access-ratio", required_argument, NULL, WL_OPT_ACCESS_RATIO }, \
	{ "hot-ratio", required_argument, NULL, WL_OPT_HOT_RATIO }, \
	{ "hot-access-ratio", required_argument, NULL, WL_OPT_HOT_ACCESS_RATIO }, \
	{ "vms", required_argument, NULL, WL_OPT_VMS }, \
	{ "shared-dir", required_argument, NULL, WL_OPT_SHARED_DIR }, \
	{ "private-dir", required_argument, NULL, WL_OPT_PRIVATE_DIR }

/* Their --help lines but for --vms and the folders, said per command. */
#define WORKLOAD_USAGE \
	" -c, --config FILE          lab configuration (default $DAXLAB_CONFIG or\n" \
	"                              ./daxlab.ini when present and yours)\n" \
	"     --size SIZE            what one VM reads: private + shared (1G)\n" \
	"     --file-size SIZE       size of each file (16M)\n" \
	"     --private-ratio PCT    % of a VM's files private to it (25)\n" \
	"     --access-ratio PCT     % of a VM's I/O to its private files (75)\n" \
	"     --hot-ratio PCT        % of each set's files that are hot (20)\n" \
	"     --hot-access-ratio PCT % of a set's I/O to its hot files (80)\n"
/* clang-format on */

struct workload_args {
	const char *cmd; /* for usage errors: "files create", "fio job", ... */
	struct workload_spec spec;
	struct lab_config *config; /* NULL: no config */
	struct workload_cfgdata cfgdata;
	bool dirs_given; /* --vms or --private-dir */
	char **argv; /* getopt_long()'s, for bad_option() */
};

void workload_args_init(struct workload_args *w, const char *cmd);

/*
 * The first pass over the options: loads the config that -c names (else
 * $DAXLAB_CONFIG, else ./daxlab.ini when present) and the workload in it;
 * exits 1 when that fails. Does not read it when the options hold -h, -V
 * or a bad option, which the real pass stops at first. Leaves
 * getopt_long() ready for the real pass.
 */
void workload_args_config(struct workload_args *w, int argc, char **argv,
			  const char *shortopts, const struct option *longopts);

/*
 * Takes -c or a WL_OPT_* option, else one of common_option() (-q, -h
 * calling print_usage(), -V) or its usage error: the default: branch of
 * the command's getopt_long() loop.
 */
void workload_args_option(struct workload_args *w, int o, const char *arg,
			  void (*print_usage)(void));

/* After the options: --vms or --private-dir replace the config's VMs. */
void workload_args_done(struct workload_args *w);

/* The file sets of w->spec; a message and -1 when there can be none. */
int workload_args_plan(const struct workload_args *w,
		       struct fileset_plan **ret);

/* The index of VM id in the plan; a message and -1 when it has none. */
int workload_plan_vm(const struct fileset_plan *p, const char *id);

void workload_args_free(struct workload_args *w);

#endif
