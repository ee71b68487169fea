// SPDX-License-Identifier: MIT
/*
 * daxlab: dispatch to subcommands, and the seed's script names as
 * aliases (argv[0] of "stats", "cgctl", ...).
 */
#include "daxlab.h"
#include "build-config.h"
#include "config.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool daxlab_quiet;

/*
 * A message is one fprintf(), which glibc writes to the unbuffered stderr
 * in one write(): the messages of processes that share stderr (the VMs
 * that vm stop all stops side by side) do not interleave within a line.
 */
__attribute__((format(printf, 3, 0))) static void
vmsg(const char *prefix, int err, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL;

	fflush(stdout);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	/*
	 * No control character reaches the terminal: messages quote what
	 * guests, logs and files said, which may hold escape sequences.
	 */
	str_no_controls(msg);
	fprintf(stderr, "daxlab: %s%s%s%s\n", prefix,
		msg ? msg : "(out of memory for a message)", err ? ": " : "",
		err ? strerror(err < 0 ? -err : err) : "");
}

/* vmsg() of the caller's own fmt and arguments */
#define VMSG(prefix, err, fmt)              \
	do {                                \
		va_list ap;                 \
		va_start(ap, fmt);          \
		vmsg(prefix, err, fmt, ap); \
		va_end(ap);                 \
	} while (0)

int error(const char *fmt, ...)
{
	VMSG("", 0, fmt);
	return -1;
}

int error_errno(int err, const char *fmt, ...)
{
	VMSG("", err, fmt);
	return -1;
}

void warning(const char *fmt, ...)
{
	VMSG("warning: ", 0, fmt);
}

void die(const char *fmt, ...)
{
	VMSG("", 0, fmt);
	exit(1);
}

void info(const char *fmt, ...)
{
	if (daxlab_quiet)
		return;
	VMSG("", 0, fmt);
}

void usage_error(const char *cmd, const char *fmt, ...)
{
	VMSG("", 0, fmt);
	fprintf(stderr, "Try 'daxlab %s%s--help' for more information.\n",
		cmd, *cmd ? " " : "");
	exit(1);
}

struct lab_config *load_lab_config(const char *explicit_path)
{
	const char *path;
	struct lab_config *c = NULL;
	struct error err = { 0 };
	int r;

	if (config_find(explicit_path, &path, &err) < 0) {
		error("%s", err.msg);
		return NULL;
	}
	r = config_load(path, &c, &err);
	if (r < 0) {
		config_error(path, explicit_path, r, err.msg);
		return NULL;
	}
	return c;
}

int config_error(const char *path, const char *explicit_path, int r,
		 const char *msg)
{
	if (!*msg)
		msg = strerror(-r);
	if (path == explicit_path)
		return error("%s", msg);
	if (path == getenv("DAXLAB_CONFIG"))
		return error("%s (the path in $DAXLAB_CONFIG)", msg);
	if (r == -ENOENT)
		return error(
			"no configuration: %s (give --config FILE, or set $DAXLAB_CONFIG)",
			msg);
	return error("%s", msg);
}

double parse_alpha(const char *cmd, const char *arg)
{
	char *end;
	double a;

	errno = 0;
	a = strtod(arg, &end);
	if (errno || end == arg || *end || !(a > 0) || !(a < 1))
		usage_error(cmd, "--alpha wants a number between 0 and 1, not '%s'",
			    arg);
	return a;
}

void trap_signals(void (*handler)(int), bool hup)
{
	struct sigaction sa = { .sa_handler = handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (hup)
		sigaction(SIGHUP, &sa, NULL);
}

/* --version: "daxlab VERSION" on stdout, exit 0. */
static noreturn void print_version(void)
{
	printf("daxlab %s\n", DAXLAB_VERSION);
	exit(0);
}

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "stats", cmd_stats,
	  "sample and compare memory.numa_stat (stats.py)" },
	{ "vm", cmd_vm,
	  "start, stop and inspect VMs bound to NUMA nodes (cgctl)" },
	{ "guest", cmd_guest, "build the tiny guest, a Debian image, seeds" },
	{ "files", cmd_files,
	  "create, inspect, evict and warm file sets (filectl)" },
	{ "fio", cmd_fio,
	  "write fio jobs and run them in the guests (fioctl)" },
	{ "run", cmd_run, "the whole experiment in one command" },
	{ "report", cmd_report, "rebuild and compare experiment reports" },
	{ "sweep", cmd_sweep,
	  "the state of a sweep's runs, local or on Slurm" },
};

/*
 * The seed's script names. Invoked as one of them, daxlab runs the
 * subcommand with the given words put in front of the user's arguments.
 */
static const struct alias {
	const char *name;
	const char *const words[3];
} aliases[] = {
	{ "stats", { "stats", NULL } },
	{ "cgctl", { "vm", "start", NULL } },
	{ "qemuctl", { "vm", "cmdline", NULL } },
	{ "filectl", { "files", NULL } },
	{ "fioctl", { "fio", "job", NULL } },
};

static void usage(void)
{
	printf("Usage: daxlab [--version] [--help] COMMAND [ARGS...]\n\n"
	       "Memory experiments on VMs that share files through virtio-fs\n"
	       "and DAX on a NUMA host.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].summary);
	printf("\nRun 'daxlab COMMAND --help' for a command's options;\n"
	       "see daxlab(1) and daxlab-COMMAND(1).\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/*
 * daxlab(1): 0 on success, 1 on any error. A subcommand's error() gives
 * -1; 128+N (a signal that stopped the work) is kept as a shell keeps it.
 */
/*
 * The command's exit status. SIGPIPE is ignored (main()), so a reader of
 * stdout that went away (daxlab report | head) ends daxlab here as the
 * signal would have, once the command is done.
 */
static int exit_code(int r)
{
	if (fflush(stdout) != 0 && errno == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	return r < 0 ? 1 : r;
}

static int run_alias(const struct alias *a, int argc, char **argv)
{
	size_t nw = 0, n;
	_cleanup_free_ char **nargv = NULL;
	const struct command *c;

	while (a->words[nw])
		nw++;
	n = nw + (size_t)argc - 1;
	nargv = calloc(n + 1, sizeof(*nargv));
	if (!nargv)
		die("out of memory");
	for (size_t i = 0; i < nw; i++)
		nargv[i] = (char *)a->words[i];
	for (int i = 1; i < argc; i++)
		nargv[nw + (size_t)i - 1] = argv[i];
	c = find_command(nargv[0]);
	return exit_code(c->fn((int)n, nargv));
}

int main(int argc, char **argv)
{
	const char *self = argc > 0 ? basename(argv[0]) : "daxlab";
	const struct command *c;

	/*
	 * daxlab writes to pipes and sockets of its children (ssh, gzip,
	 * qemu's QMP): one that is gone is an error to report, not a death
	 * without a word. spawn() gives the children SIGPIPE back.
	 */
	signal(SIGPIPE, SIG_IGN);
	/* a bad option is bad_option()'s one message, not getopt's too */
	opterr = 0;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(self, aliases[i].name) == 0)
			return run_alias(&aliases[i], argc, argv);

	if (argc < 2)
		usage_error("", "no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage();
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		print_version();
	c = find_command(argv[1]);
	if (!c)
		usage_error("", "unknown command '%s'", argv[1]);
	return exit_code(c->fn(argc - 1, argv + 1));
}

/*
 * With opterr off getopt_long() tells only optopt: a short option's
 * letter, a long option's val, 0 for a long option it does not know.
 * argv[optind - 1] is the word of a long option, and of a short one that
 * ends its word, but not of one inside a cluster: for -zq, -z is not the
 * last letter, optind still points at "-zq" and argv[optind - 1] is the
 * word before it.
 */
noreturn void bad_option(const char *cmd, int o, char **argv)
{
	const char *prev = argv[optind - 1], *cur = argv[optind];
	bool dashes = !strncmp(prev, "--", 2), is_long;

	if (o == ':') /* the option ends argv: prev is its word */
		is_long = dashes;
	else if (!optopt) /* a long option getopt_long() does not know */
		is_long = true;
	else /* a short one unknown, or --NAME=VALUE of one without value */
		is_long = dashes && strchr(prev, '=') &&
			  !(cur && cur[0] == '-' && cur[1] != '-' &&
			    strchr(cur + 1, optopt));
	if (!is_long && o == ':')
		usage_error(cmd, "option '-%c' needs a value", optopt);
	if (!is_long)
		usage_error(cmd, "unknown option '-%c'", optopt);
	if (o == ':')
		usage_error(cmd, "option '%s' needs a value", prev);
	if (optopt)
		usage_error(cmd, "option '%.*s' takes no value",
			    (int)strcspn(prev, "="), prev);
	usage_error(cmd, "unknown option '%.*s'", (int)strcspn(prev, "="),
		    prev);
}

void common_option(const char *cmd, int o, char **argv,
		   void (*print_usage)(void))
{
	switch (o) {
	case 'q':
		daxlab_quiet = true;
		return;
	case 'h':
		print_usage();
		exit(0);
	case 'V':
		print_version();
	default:
		bad_option(cmd, o, argv);
	}
}

size_t pick_command(const char *cmd, int argc, char **argv,
		    const char *const *cmds, size_t n,
		    void (*print_usage)(void))
{
	return pick_command_as(CMDS_LISTED_WHEN_NONE, cmd, argc, argv, cmds, n,
			       print_usage);
}

size_t pick_command_as(enum cmds_listed listed, const char *cmd, int argc,
		       char **argv, const char *const *cmds, size_t n,
		       void (*print_usage)(void))
{
	char list[256] = "";
	size_t len = 0;

	/* " (job or run)" */
	for (size_t i = 0;
	     listed != CMDS_UNLISTED && i < n && len < sizeof(list); i++) {
		const char *sep = i + 1 < n ? ", " : " or ";

		len += (size_t)snprintf(list + len, sizeof(list) - len,
					"%s%s%s", i ? sep : " (", cmds[i],
					i + 1 < n ? "" : ")");
	}
	if (argc < 2)
		usage_error(cmd, "no command given%s", list);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_usage();
		exit(0);
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		print_version();
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], cmds[i]))
			return i;
	usage_error(cmd, "unknown command '%s'%s", argv[1],
		    listed == CMDS_LISTED ? list : "");
}
