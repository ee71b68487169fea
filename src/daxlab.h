/* SPDX-License-Identifier: MIT */
/*
 * What every subcommand shares: the error vocabulary (git style), the
 * command-line contract (util-linux style) and the command table.
 */
#ifndef DAXLAB_H
#define DAXLAB_H

#include <stdbool.h>
#include <stdnoreturn.h>

/* Prints "daxlab: MSG" to stderr; returns -1 so callers write return error(). */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, with ": strerror(-err)" appended (err is -errno or errno). */
int error_errno(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A progress or info line on stderr, unless quiet. */
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool daxlab_quiet;

/*
 * A usage error: one line, then "Try 'daxlab CMD --help' for more
 * information." on stderr, exit 1. cmd is "stats monitor", "vm", ...
 */
noreturn void usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * --alpha P of cmd: a significance level, 0 < P < 1; anything else is a
 * usage error.
 */
double parse_alpha(const char *cmd, const char *arg);
/*
 * handler for SIGINT, SIGTERM and, when hup, SIGHUP; without SA_RESTART,
 * so that it interrupts a blocking call (EINTR).
 */
void trap_signals(void (*handler)(int), bool hup);

/*
 * daxlab-resident, which guests run to measure their page cache: next to
 * this daxlab (the build folder), else the installed one in libexecdir.
 * Allocated; NULL when neither exists (src/guest.c).
 */
char *daxlab_resident_path(void);

struct lab_config;
/*
 * The lab config that --config names (NULL: config_find()'s);
 * NULL after a message when it cannot be read.
 */
struct lab_config *load_lab_config(const char *explicit_path);
/*
 * -1 after the message of config_load()'s r and msg for path, which
 * explicit_path or config_find() gave: where the path came from
 * when the user did not type it.
 */
int config_error(const char *path, const char *explicit_path, int r,
		 const char *msg);

/* The subcommands, one file each in src/. argv[0] is the subcommand. */
int cmd_stats(int argc, char **argv);
/* `daxlab stats compare`, called by cmd_stats (src/stats_compare.c). */
int cmd_stats_compare(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_guest(int argc, char **argv);
int cmd_files(int argc, char **argv);
int cmd_fio(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_report(int argc, char **argv);
struct sweep_notes;
/* Warns of what the summary of the sweep in dir left out or mixed. */
void say_sweep_notes(const char *dir, const struct sweep_notes *n);

#include <stddef.h>

/*
 * The options every subcommand takes alike, for the default: branch of
 * its getopt_long() loop: -q, -h (print_usage(), exit 0) and -V; anything
 * else is bad_option()'s usage error of cmd. argv is getopt_long()'s.
 */
void common_option(const char *cmd, int o, char **argv,
		   void (*print_usage)(void));

/*
 * The usage error of cmd for the ':' or '?' of a getopt_long() whose
 * optstring starts with ":" (or "+:"), argv its argv; main() turns
 * opterr off, so it is the one message: "option '-i' needs a value",
 * "unknown option '-z'", "unknown option '--frob'".
 */
noreturn void bad_option(const char *cmd, int o, char **argv);

/* clang-format off */
/* The last entries of a longopts[]: -q, -h and -V (above), then the end. */
#define COMMON_LONGOPTS \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ NULL, 0, NULL, 0 }
/* clang-format on */

/*
 * The COMMAND of `daxlab CMD COMMAND ...` (argv[0] is CMD): --help or -h
 * calls print_usage() and exits 0, --version or -V prints the version;
 * none, or one not in cmds[], is a usage error. Returns its index in cmds.
 */
size_t pick_command(const char *cmd, int argc, char **argv,
		    const char *const *cmds, size_t n,
		    void (*print_usage)(void));

/* Whether the usage errors of pick_command_as() list the commands. */
enum cmds_listed {
	CMDS_UNLISTED,
	CMDS_LISTED_WHEN_NONE, /* pick_command()'s: when none is given */
	CMDS_LISTED, /* also after an unknown one */
};

size_t pick_command_as(enum cmds_listed listed, const char *cmd, int argc,
		       char **argv, const char *const *cmds, size_t n,
		       void (*print_usage)(void));

#endif
