// SPDX-License-Identifier: MIT
/*
 * daxlab vm: start, stop and inspect the lab's VMs (the seed's cgctl and
 * qemuctl). The work is in lib/vm.h (lib/vm.c, vmstart.c, vmstop.c); this
 * file parses options and reports.
 */
#include "daxlab.h"

#include "lib/config.h"
#include "fleet.h"
#include "numastat.h"
#include "statedir.h"
#include "util.h"
#include "vm.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static void vm_usage(void)
{
	printf("Usage: daxlab vm COMMAND [OPTIONS] [ID|all]\n\n"
	       "Start, stop and inspect the lab's VMs, each qemu and "
	       "virtiofsd in its own\ncgroup bound to NUMA nodes (the seed's "
	       "cgctl and qemuctl).\n\n"
	       "Commands:\n"
	       "  start ID|all     validate, create cgroups, start virtiofsd "
	       "and qemu, return\n"
	       "                   when the guest is ready: DAXLAB-READY on "
	       "its console,\n"
	       "                   then ssh answers (net = none: "
	       "DAXLAB-READY only)\n"
	       "  stop ID|all      power off (QMP), stop virtiofsd, remove "
	       "cgroups (not\n"
	       "                   one with processes daxlab did not start "
	       "there); a VM\n"
	       "                   whose qemu died: say how it ended and "
	       "what was removed\n"
	       "  status [ID|all]  pids, cgroups, effective cpus and mems, "
	       "memory per node;\n"
	       "                   how a dead qemu ended (e.g. killed by the "
	       "OOM killer)\n"
	       "  console ID       attach to the serial console (Ctrl-] "
	       "leaves)\n"
	       "  ssh ID [CMD...]  ssh into the guest, or run CMD there "
	       "(options go\n"
	       "                   before ID; each word of CMD is quoted)\n"
	       "  cmdline ID       print the virtiofsd and qemu command "
	       "lines, start nothing\n\n"
	       "Options:\n"
	       "  -c, --config FILE  the lab's configuration (default: "
	       "$DAXLAB_CONFIG,\n"
	       "                     ./daxlab.ini if yours, /etc/daxlab/daxlab.ini)\n"
	       "  -f, --foreground   start: stay attached to the console; "
	       "stop the VM when\n"
	       "                     it powers off or on Ctrl-]\n"
	       "  -n, --dry-run      start, stop: print every cgroup write, "
	       "question to\n"
	       "                     systemd and command; make nothing, fail "
	       "where a real\n"
	       "                     start would be refused\n"
	       "  -t, --timeout S    start: seconds to wait for the guest "
	       "(default: [lab]\n"
	       "                     boot_timeout, 300)\n"
	       "      --no-probe     cmdline: do not probe qemu, virtiofsd "
	       "or KVM (assume\n"
	       "                     kvm, the C virtiofsd unless style = "
	       "rust, a qemu\n"
	       "                     with cache-size)\n"
	       "  -q, --quiet        no progress lines\n"
	       "  -h, --help         show this help and exit\n"
	       "  -V, --version      show the version and exit\n\n"
	       "Probes (start, cmdline): accel = auto takes KVM when vmx or svm "
	       "is in\n/proc/cpuinfo and /dev/kvm opens read-write and creates "
	       "a VM (qemu gets\n-cpu host), else TCG (-cpu max) with a warning "
	       "that says why. virtiofsd is\nlooked for in /usr/libexec/virtiofsd "
	       "(Debian 13, Rust), then in\n/usr/lib/qemu/virtiofsd (Debian 12, "
	       "C) and a few more places; its option\nstyle (rust: --socket-path "
	       "S --shared-dir DIR --cache MODE; c: -o source=DIR\n...) comes "
	       "from its --help and --version, never from its path.\n\n"
	       "Under systemd with cgroup v2 and no [lab] cgroup_parent, the "
	       "cgroups go in the\n"
	       "lab's transient scope with Delegate=yes "
	       "(system.slice/daxlab-STATE.scope).\n\n"
	       "See daxlab-vm(1) and daxlab.ini(5).\n");
}

enum { OPT_NO_PROBE = 0x100 };

struct vm_opts {
	const char *config;
	bool foreground, dry_run, no_probe;
	unsigned timeout;
	int first_arg; /* index of the first non-option */
	char ucmd[32]; /* "vm COMMAND", for messages */
};

/* A command's options, config, VMs and environment: session_open() */
struct vm_session {
	struct vm_opts o;
	struct lab_config *c;
	const struct vm_config *vm, **vms; /* its one VM, or its list */
	struct vm_env e;
	int argc;
	char **argv;
};

/* What a command takes after its options */
struct vm_command {
	int (*fn)(struct vm_session *s);
	int min, max; /* how many words */
	bool list; /* "all" or an id (load_vms()), else one id (load_vm()) */
	const char *words; /* the usage error when there are too few or many */
};

static void report_cb(void *ud, enum vm_report kind, const char *msg)
{
	(void)ud;
	switch (kind) {
	case VM_REPORT_DRY:
		printf("%s\n", msg);
		fflush(stdout);
		break;
	case VM_REPORT_WARN:
		warning("%s", msg);
		break;
	default:
		info("%s", msg);
	}
}

static void parse_opts(const char *cmd, int argc, char **argv,
		       struct vm_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "no-probe", no_argument, NULL, OPT_NO_PROBE },
		COMMON_LONGOPTS,
	};
	const char *ucmd = o->ucmd;
	int c;

	memset(o, 0, sizeof(*o));
	snprintf(o->ucmd, sizeof(o->ucmd), "vm %s", cmd);
	optind = 1;
	while ((c = getopt_long(argc, argv,
				strcmp(cmd, "ssh") ? ":c:fnt:qhV" :
						     "+:c:fnt:qhV",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'f':
			if (strcmp(cmd, "start"))
				usage_error(ucmd, "--foreground is for start");
			o->foreground = true;
			break;
		case 'n':
			if (strcmp(cmd, "start") && strcmp(cmd, "stop"))
				usage_error(ucmd,
					    "--dry-run is for start and stop");
			o->dry_run = true;
			break;
		case 't':
			if (strcmp(cmd, "start"))
				usage_error(ucmd, "--timeout is for start");
			if (parse_uint_range(optarg, 1, 86400, &o->timeout) < 0)
				usage_error(ucmd,
					    "--timeout: '%s' is not a number of seconds (1-86400)",
					    optarg);
			break;
		case OPT_NO_PROBE:
			if (strcmp(cmd, "cmdline"))
				usage_error(ucmd, "--no-probe is for cmdline");
			o->no_probe = true;
			break;
		default:
			common_option(ucmd, c, argv, vm_usage);
		}
	}
	o->first_arg = optind;
}

/* The config of o, and in *vm the VM that id names; NULL after a message. */
static struct lab_config *load_vm(const struct vm_opts *o, const char *id,
				  const struct vm_config **vm)
{
	struct lab_config *c = load_lab_config(o->config);

	if (!c)
		return NULL;
	*vm = config_find_vm(c, id);
	if (!*vm) {
		error("%s: no [vm %s] in %s", o->ucmd, id, c->path);
		config_free(c);
		return NULL;
	}
	return c;
}

/*
 * The config of o, and in *ret the VMs that arg names ("all" or an id),
 * NULL-terminated and allocated; NULL after a message.
 */
static struct lab_config *load_vms(const struct vm_opts *o, const char *arg,
				   const struct vm_config ***ret)
{
	const struct vm_config *one = NULL, **l;
	struct lab_config *c = strcmp(arg, "all") ? load_vm(o, arg, &one) :
						    load_lab_config(o->config);

	if (!c)
		return NULL;
	l = calloc(c->n_vms + 1, sizeof(*l));
	if (!l)
		die("out of memory");
	l[0] = one;
	for (size_t i = 0; !one && i < c->n_vms; i++)
		l[i] = &c->vms[i];
	*ret = l;
	return c;
}

/* Set by SIGINT, SIGTERM or SIGHUP during a start or the console. */
static volatile sig_atomic_t interrupted;

/* daxlab-resident, for image VMs (kept for the process's life) */
static char *resident;

/*
 * Reads cmd's options and words, loads its config and VMs and sets its
 * environment up; < 0 after a message.
 */
static int session_open(struct vm_session *s, const char *name,
			const struct vm_command *cmd, int argc, char **argv)
{
	int n;

	memset(s, 0, sizeof(*s));
	parse_opts(name, argc, argv, &s->o);
	n = argc - s->o.first_arg;
	if (n < cmd->min || n > cmd->max)
		usage_error(s->o.ucmd, "%s", cmd->words);
	s->c = cmd->list ? load_vms(&s->o, n ? argv[s->o.first_arg] : "all",
				    &s->vms) :
			   load_vm(&s->o, argv[s->o.first_arg], &s->vm);
	if (!s->c)
		return -1;
	s->e.report = report_cb;
	s->e.interrupted = &interrupted;
	resident = daxlab_resident_path();
	s->e.resident = resident;
	/* for tests: a fake cgroup tree, a fake sd_booted() */
	s->e.cgroup_root = getenv("DAXLAB_CGROUP_ROOT");
	s->e.systemd_dir = getenv("DAXLAB_SYSTEMD_DIR");
	vm_env_init(&s->e, s->c, s->o.dry_run, s->o.no_probe);
	s->argc = argc;
	s->argv = argv;
	return 0;
}

static void session_close(struct vm_session *s)
{
	vm_env_done(&s->e);
	free(s->vms);
	config_free(s->c);
}

/* Says why vm failed (e->err); 1, the exit status. */
static int vm_failed(const struct vm_session *s, const struct vm_config *vm)
{
	error("vm %s: %s", vm->id, s->e.err.msg);
	return 1;
}

/* ---- console ---- */

static struct termios saved_tio;
static bool tio_saved;

static void restore_tty(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

/* Relays stdin and vm's console socket until EOF or Ctrl-]. */
static int console_relay(struct vm_env *e, const struct vm_config *vm)
{
	_cleanup_free_ char *dir = statedir_vm_dir(e->c, vm);
	_cleanup_free_ char *sock =
		dir ? statedir_vm_file(dir, STATEDIR_CONSOLE_SOCK) : NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (!sock)
		die("out of memory");
	if (lstat(sock, &st) < 0 || !S_ISSOCK(st.st_mode))
		return error("%s: no console socket (is the VM running?)",
			     sock);
	if (strlen(sock) >= sizeof(sa.sun_path))
		return error("%s: path too long", sock);
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return error_errno(err, "cannot connect to %s", sock);
	}
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		struct termios raw = saved_tio;

		tio_saved = true;
		atexit(restore_tty);
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		fprintf(stderr,
			"Connected to the console of %s; Ctrl-] leaves.\r\n",
			vm->name);
	}
	struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
			       { .fd = fd, .events = POLLIN } };
	bool in_open = true;
	char buf[4096];

	for (;;) {
		ssize_t n;

		int r;

		p[0].fd = in_open ? STDIN_FILENO : -1;
		/* input from a pipe has ended: stop once the guest is quiet */
		r = poll(p, 2, in_open ? -1 : 3000);
		if (interrupted)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (r == 0)
			break;
		if (p[1].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
				break;
		}
		if (in_open && p[0].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0) {
				in_open = false;
				continue;
			}
			if (tio_saved && memchr(buf, 0x1d, (size_t)n))
				break;
			if (write_all(fd, buf, (size_t)n) < 0)
				break;
		}
	}
	close(fd);
	restore_tty();
	tio_saved = false;
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "\n");
	return 0;
}

/* ---- commands ---- */

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Starts vm and says so; < 0 with e->err filled. */
static int start_one(struct vm_env *e, const struct vm_config *vm,
		     unsigned timeout, bool dry_run)
{
	if (!dry_run)
		info("starting vm %s", vm->id);
	if (vm_start(e, vm, timeout) < 0)
		return -1;
	if (dry_run)
		return 0;
	if (vm->net == VM_NET_NONE && vm->image) {
		info("vm %s is started (net = none: not waited for, no ssh): daxlab vm console %s",
		     vm->id, vm->id);
	} else if (vm->net == VM_NET_NONE) {
		info("vm %s is up (net = none: no ssh): daxlab vm console %s",
		     vm->id, vm->id);
	} else {
		_cleanup_free_ char *cfg = statedir_ssh_config(e->c);

		info("vm %s is up: daxlab vm ssh %s (ssh -F %s %s)", vm->id,
		     vm->id, cfg ? cfg : "?", vm->name);
	}
	return 0;
}

static int in_parallel(struct vm_env *e, const struct vm_config **vms,
		       unsigned timeout, bool start);

static int do_start(struct vm_session *s)
{
	const struct vm_config **vms = s->vms;
	unsigned timeout;

	if (s->o.foreground && (!vms[0] || vms[1])) {
		session_close(s);
		usage_error("vm start", "--foreground takes one VM id");
	}
	/* validate everything first */
	for (size_t i = 0; vms[i]; i++)
		if (vm_check(&s->e, vms[i]) < 0)
			return vm_failed(s, vms[i]);
	timeout = s->o.timeout ? s->o.timeout : s->c->lab.boot_timeout;
	/* ^C or SIGTERM during a start: undo it rather than leave it half-way */
	if (!s->o.dry_run)
		trap_signals(on_interrupt, true);
	if (!s->o.dry_run && vms[0] && vms[1])
		return in_parallel(&s->e, vms, timeout, true);
	for (size_t i = 0; vms[i]; i++)
		if (start_one(&s->e, vms[i], timeout, s->o.dry_run) < 0)
			return vm_failed(s, vms[i]);
	if (s->o.foreground && !s->o.dry_run) {
		struct vm_stop_info st;

		console_relay(&s->e, vms[0]);
		info("stopping vm %s", vms[0]->id);
		if (vm_stop_report(&s->e, vms[0], &st) < 0)
			return vm_failed(s, vms[0]);
	}
	return 0;
}

/* Stops vm and says how it was; < 0 with e->err filled. */
static int stop_one(struct vm_env *e, const struct vm_config *vm,
		    bool dry_run)
{
	struct vm_stop_info s;
	_cleanup_free_ char *dir = NULL;

	if (vm_stop_report(e, vm, &s) < 0)
		return -1;
	if (dry_run) {
		if (!s.was_running && !s.stale && !s.died)
			info("vm %s is not running: a stop would do nothing",
			     vm->id);
		return 0;
	}
	if (s.was_running) {
		info("vm %s stopped", vm->id);
		return 0;
	}
	if (!s.stale && !s.died) {
		info("vm %s was not running", vm->id);
		return 0;
	}
	dir = statedir_vm_dir(e->c, vm);
	/* how a dead qemu ended came as a warning from vm_stop_report() */
	if (s.died && s.end.how == VM_END_POWEROFF)
		info("vm %s was not running: its qemu (pid %d) had ended, %s; cleaned its stale state in %s: removed %s",
		     vm->id, (int)s.end.pid, s.end.what, dir ? dir : "?",
		     s.removed[0] ? s.removed : "nothing");
	else if (s.died)
		info("vm %s had died (qemu pid %d gone); cleaned its stale state in %s: removed %s",
		     vm->id, (int)s.end.pid, dir ? dir : "?",
		     s.removed[0] ? s.removed : "nothing");
	else
		info("vm %s was not running; cleaned what a killed start left in %s: removed %s",
		     vm->id, dir ? dir : "?", s.removed);
	return 0;
}

/* vm start all, vm stop all: lib/fleet.h, a child per VM */
struct vm_fleet {
	struct vm_env *e;
	const struct vm_config **vms;
	unsigned timeout;
};

static int fleet_start_one(void *ud, size_t i, char *msg, size_t len)
{
	struct vm_fleet *vf = ud;

	if (start_one(vf->e, vf->vms[i], vf->timeout, false) < 0)
		return snprintf(msg, len, "%s", vf->e->err.msg), -1;
	return 0;
}

static int fleet_stop_one(void *ud, size_t i, char *msg, size_t len)
{
	struct vm_fleet *vf = ud;

	if (stop_one(vf->e, vf->vms[i], false) < 0)
		return snprintf(msg, len, "%s", vf->e->err.msg), -1;
	return 0;
}

static void fleet_event(void *ud, size_t i, enum fleet_event ev,
			const char *msg)
{
	struct vm_fleet *vf = ud;

	if (ev == FLEET_EV_FAILED || ev == FLEET_EV_STOP_FAILED)
		error("vm %s: %s", vf->vms[i]->id, msg);
	else if (ev == FLEET_EV_ROLLBACK)
		info("stopping vm %s again", vf->vms[i]->id);
}

/*
 * All or nothing, their boots and power-off timeouts overlapping (see
 * lib/fleet.h); then the last one out removes virtiofsd's shared cgroup,
 * and the leaf.
 */
static int in_parallel(struct vm_env *e, const struct vm_config **vms,
		       unsigned timeout, bool start)
{
	struct vm_fleet vf = { .e = e, .vms = vms, .timeout = timeout };
	struct fleet f = { .start = fleet_start_one,
			   .stop = fleet_stop_one,
			   .event = fleet_event,
			   .ud = &vf,
			   .interrupted = &interrupted };
	enum fleet_state *st;
	int r;

	while (vms[f.n])
		f.n++;
	if (start && f.n > FLEET_MAX)
		return error("vm start: %zu VMs, at most %d start together",
			     f.n, FLEET_MAX);
	st = calloc(f.n, sizeof(*st));
	if (!st)
		die("out of memory");
	if (start) {
		r = fleet_start(&f, st);
	} else {
		for (size_t i = 0; i < f.n; i++)
			st[i] = FLEET_UP;
		r = fleet_stop(&f, st);
	}
	if (!start || r < 0)
		(void)vm_cgroups_release(e);
	free(st);
	return r < 0 ? 1 : 0;
}

static int do_stop(struct vm_session *s)
{
	int ret = 0;

	if (!s->o.dry_run && s->vms[0] && s->vms[1])
		return in_parallel(&s->e, s->vms, 0, false);
	for (size_t i = 0; s->vms[i]; i++)
		if (stop_one(&s->e, s->vms[i], s->o.dry_run) < 0)
			ret = vm_failed(s, s->vms[i]);
	return ret;
}

static void print_numa(const char *label, const char *text)
{
	struct numastat ns;
	struct error err = { 0 };
	static const char *const keys[] = { "total", "anon", "file", "shmem",
					    NULL };

	if (!text) {
		printf("  %-14s (no memory.numa_stat)\n", label);
		return;
	}
	numastat_init(&ns);
	if (numastat_parse(&ns, text, strlen(text),
			   (uint64_t)sysconf(_SC_PAGESIZE), &err) < 0) {
		printf("  %-14s (memory.numa_stat: %s)\n", label, err.msg);
		numastat_free(&ns);
		return;
	}
	for (size_t k = 0; keys[k]; k++) {
		const struct numastat_stat *st = numastat_find(&ns, keys[k]);
		const struct numastat_node *nd;
		char b[32];

		if (!st)
			continue;
		nd = numastat_nodes(&ns, st);
		printf("  %-14s %-6s", label, keys[k]);
		for (size_t i = 0; i < st->n_nodes; i++)
			printf(" N%u=%s", nd[i].id,
			       format_bytes(nd[i].value, b, sizeof(b)));
		printf("\n");
	}
	numastat_free(&ns);
}

static int do_status(struct vm_session *s)
{
	const struct vm_config **vms = s->vms;
	int ret = 0;

	for (size_t i = 0; vms[i]; i++) {
		struct vm_status st;

		if (vm_status(&s->e, vms[i], &st) < 0) {
			error("vm %s: cannot read its state", vms[i]->id);
			ret = 1;
			continue;
		}
		printf("vm %s (%s): %s\n", vms[i]->id, vms[i]->name,
		       st.running && st.stale ?
			       "running, but a virtiofsd is not (daxlab vm stop cleans up)" :
		       st.running ?
			       "running" :
		       st.qemu_died && st.end.how == VM_END_OOM ?
			       "stopped, qemu was killed by the OOM killer; stale state left (daxlab vm stop cleans it)" :
		       st.foreign_cgroup ?
			       "stopped; its cgroup holds processes that daxlab did not start there (a start refuses it: stop them, or name another [vm] cgroup)" :
		       st.stale ?
			       "stopped, stale state left (daxlab vm stop cleans it)" :
			       "stopped");
		if (st.qemu_pid)
			printf("  %-14s %d\n", "qemu pid", (int)st.qemu_pid);
		if (st.qemu_died)
			printf("  %-14s pid %d: %s\n", "qemu ended",
			       (int)st.end.pid, st.end.what);
		if (st.oom_known && st.oom_kills &&
		    !(st.qemu_died && st.end.how == VM_END_OOM))
			printf("  %-14s %llu in the VM's memory cgroup\n",
			       "oom kills", (unsigned long long)st.oom_kills);
		for (size_t k = 0; k < st.n_fsd; k++)
			if (st.fsd_pid[k])
				printf("  %-14s %d (share %s)\n",
				       "virtiofsd pid", (int)st.fsd_pid[k],
				       st.fsd_share[k]);
			else if (st.running)
				printf("  %-14s not running (share %s)\n",
				       "virtiofsd", st.fsd_share[k]);
		if (st.cgroup) {
			printf("  %-14s %s\n", "cgroup", st.cgroup);
			printf("  %-14s cpus %s, mems %s\n", "effective",
			       st.cg_cpus ? st.cg_cpus : "?",
			       st.cg_mems ? st.cg_mems : "?");
			printf("  %-14s", "cgroup pids");
			for (size_t k = 0; k < st.n_cg_pids; k++)
				printf(" %d", (int)st.cg_pids[k]);
			printf("%s\n", st.n_cg_pids ? "" : " (none)");
			print_numa("memory", st.numa_stat);
		}
		if (st.fsd_cgroup && st.running) {
			printf("  %-14s %s\n", "fsd cgroup", st.fsd_cgroup);
			printf("  %-14s cpus %s, mems %s\n", "fsd effective",
			       st.fsd_cpus ? st.fsd_cpus : "?",
			       st.fsd_mems ? st.fsd_mems : "?");
			print_numa("fsd memory", st.fsd_numa_stat);
		}
		vm_status_free(&st);
	}
	return ret;
}

static int do_cmdline(struct vm_session *s)
{
	char ***fsd = NULL;
	char **qemu = NULL;
	int ret = 0;

	if (vm_cmdlines(&s->e, s->vm, &fsd, &qemu) < 0) {
		ret = vm_failed(s, s->vm);
	} else {
		for (size_t i = 0; fsd[i]; i++) {
			_cleanup_free_ char *line =
				shell_join((const char *const *)fsd[i]);

			printf("%s\n", line ? line : "");
		}
		_cleanup_free_ char *line =
			shell_join((const char *const *)qemu);
		printf("%s\n", line ? line : "");
	}
	vm_cmdlines_free(fsd, qemu);
	return ret;
}

static int do_console(struct vm_session *s)
{
	return console_relay(&s->e, s->vm) < 0 ? 1 : 0;
}

static int do_ssh(struct vm_session *s)
{
	_cleanup_free_ char *cfg = statedir_ssh_config(s->c), *remote = NULL;
	char **argv = s->argv;
	int argc = s->argc, first = s->o.first_arg;
	const char *args[8];
	size_t n = 0;

	if (!cfg)
		die("out of memory");
	if (access(cfg, R_OK) < 0)
		return error_errno(errno, "%s (start a VM first)", cfg);
	/* "vm ssh ID -- CMD...": the "--" ends daxlab's words, not CMD's */
	if (argc - first > 1 && !strcmp(argv[first + 1], "--"))
		first++;
	if (argc - first > 1) {
		remote = shell_join((const char *const *)&argv[first + 1]);
		if (!remote)
			die("out of memory");
	}
	args[n++] = "ssh";
	args[n++] = "-F";
	args[n++] = cfg;
	if (!remote && isatty(STDIN_FILENO))
		args[n++] = "-t";
	args[n++] = s->vm->name;
	if (remote) {
		args[n++] = "--";
		args[n++] = remote;
	}
	args[n] = NULL;
	fflush(NULL);
	/* ssh as if run by hand: main() ignores SIGPIPE for daxlab */
	signal(SIGPIPE, SIG_DFL);
	execvp("ssh", (char *const *)args);
	error_errno(errno, "cannot run ssh");
	return errno == ENOENT ? 127 : 126;
}

int cmd_vm(int argc, char **argv)
{
	static const char *const cmds[] = { "start",   "stop", "status",
					    "console", "ssh",  "cmdline" };
	static const struct vm_command fns[] = {
		{ do_start, 1, 1, true, "give one VM id, or all" },
		{ do_stop, 1, 1, true, "give one VM id, or all" },
		{ do_status, 0, 1, true, "give at most one VM id, or all" },
		{ do_console, 1, 1, false, "give one VM id" },
		{ do_ssh, 1, INT_MAX, false, "give a VM id" },
		{ do_cmdline, 1, 1, false, "give one VM id" },
	};
	size_t i = pick_command_as(CMDS_LISTED, "vm", argc, argv, cmds,
				   ARRAY_SIZE(cmds), vm_usage);
	struct vm_session s;
	int ret;

	if (session_open(&s, cmds[i], &fns[i], argc - 1, argv + 1) < 0)
		return 1;
	ret = fns[i].fn(&s);
	session_close(&s);
	return ret;
}