// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config.h"
#include "util.h"

#define FIX FIXTURES "/config/"

static struct lab_config *load_ok(const char *name)
{
	struct lab_config *c = NULL;
	struct error err = { 0 };
	int r = config_load(name, &c, &err);

	if (r < 0)
		fail_msg("%s: %s", name, err.msg);
	assert_non_null(c);
	return c;
}

/* Loads a bad file: the error must hold every piece of want. */
static void load_bad(const char *name, int want_r, const char *const *want)
{
	struct lab_config *c = NULL;
	struct error err = { 0 };
	int r = config_load(name, &c, &err);

	assert_int_equal(r, want_r);
	assert_null(c);
	for (size_t i = 0; want[i]; i++)
		if (!strstr(err.msg, want[i]))
			fail_msg("'%s' not in '%s'", want[i], err.msg);
}

static void test_full_lab_and_virtiofsd(void **state)
{
	struct lab_config *c = load_ok(FIX "full.ini");

	(void)state;
	assert_string_equal(c->lab.state_dir, FIXTURES "/config/state");
	assert_int_equal(c->lab.accel, LAB_ACCEL_TCG);
	assert_string_equal(c->lab.qemu, "/usr/bin/qemu-system-x86_64");
	assert_string_equal(c->lab.cgroup_parent, "daxlab.slice/lab");
	assert_string_equal(c->lab.cgroup_version, "v2");
	/* "../guest/./dir" resolved and normalised */
	assert_true(str_has_suffix(c->lab.guest_dir, "/fixtures/guest/dir"));
	assert_null(strstr(c->lab.guest_dir, ".."));
	assert_string_equal(c->lab.ssh_key, "/root/.ssh/lab_key");
	assert_int_equal(c->lab.boot_timeout, 120);
	assert_int_equal(c->lab.stop_timeout, 7);

	assert_string_equal(c->virtiofsd.path, "virtiofsd");
	assert_int_equal(c->virtiofsd.style, VIRTIOFSD_STYLE_RUST);
	assert_string_equal(c->virtiofsd.cg.cgroup, "fsd");
	assert_int_equal(c->virtiofsd.cg.node, 0);
	assert_string_equal(c->virtiofsd.cg.cpus, "0-1");
	assert_string_equal(c->virtiofsd.cg.mems, "0");
	assert_int_equal(c->virtiofsd.cg.memory_max, 1ULL << 30);
	assert_string_equal(c->virtiofsd.cache, "auto");
	assert_string_equal(c->virtiofsd.sandbox, "chroot");
	assert_int_equal(c->virtiofsd.thread_pool_size, 8);
	assert_int_equal(c->virtiofsd.n_extra_args, 3);
	assert_string_equal(c->virtiofsd.extra_args[0], "--log-level");
	assert_string_equal(c->virtiofsd.extra_args[1], "debug");
	assert_string_equal(c->virtiofsd.extra_args[2], "--xattr");
	assert_null(c->virtiofsd.extra_args[3]);
	config_free(c);
}

static void test_full_shares(void **state)
{
	struct lab_config *c = load_ok(FIX "full.ini");
	const struct share_config *s;

	(void)state;
	assert_int_equal(c->n_shares, 3);
	s = config_find_share(c, "shared");
	assert_non_null(s);
	assert_string_equal(s->tag, "daxfs-shared");
	assert_string_equal(s->mount, "/srv/dax/shared");
	assert_string_equal(s->options, "dax=always");
	assert_int_equal(s->dax_window, 4ULL << 30);
	assert_int_equal(s->queue_size, 512);
	assert_int_equal(s->backend, SHARE_BACKEND_VIRTIOFS);
	assert_true(s->shared);

	s = config_find_share(c, "private");
	assert_false(s->shared);
	assert_int_equal(s->queue_size, 1024);
	assert_null(s->options);

	s = config_find_share(c, "pm");
	assert_int_equal(s->backend, SHARE_BACKEND_VIRTIO_PMEM);
	assert_string_equal(s->tag, "pm"); /* default: the name */
	assert_string_equal(s->mount, "/mnt/pm");
	assert_int_equal(s->image_size, 100ULL << 20);
	assert_null(config_find_share(c, "nope"));
	config_free(c);
}

static void test_full_vms(void **state)
{
	struct lab_config *c = load_ok(FIX "full.ini");
	const struct vm_config *vm;

	(void)state;
	assert_int_equal(c->n_vms, 2);
	vm = config_find_vm(c, "0");
	assert_ptr_equal(vm, config_find_vm(c, "alpha"));
	assert_string_equal(vm->name, "alpha");
	assert_string_equal(vm->cg.cgroup, "virtual-vm0");
	assert_int_equal(vm->cg.node, 0);
	assert_string_equal(vm->cg.cpus, "2");
	assert_int_equal(vm->cg.memory_max, 10ULL << 30);
	assert_int_equal(vm->vcpus, 4);
	assert_int_equal(vm->memory, 8ULL << 30);
	assert_string_equal(vm->image, FIXTURES "/config/images/vm0.img");
	assert_null(vm->kernel);
	assert_string_equal(vm->ssh, "admin@alpha");
	assert_int_equal(vm->ssh_port, 2200);
	assert_int_equal(vm->n_shares, 2);
	assert_true(config_vm_has_share(vm, config_find_share(c, "shared")));
	assert_false(config_vm_has_share(vm, config_find_share(c, "private")));
	assert_int_equal(vm->n_qemu_args, 2);
	assert_string_equal(vm->qemu_args[1], "virtio-rng-pci");

	vm = config_find_vm(c, "1");
	assert_string_equal(vm->name, "vm1");
	assert_string_equal(vm->cg.cgroup, "virtual-vm1");
	assert_int_equal(vm->cg.node, -1);
	assert_null(vm->cg.cpus);
	assert_int_equal(vm->vcpus, 1);
	assert_int_equal(vm->memory, 512ULL << 20);
	assert_string_equal(vm->kernel, "/boot/vmlinuz");
	assert_string_equal(vm->append, "quiet loglevel=3");
	assert_int_equal(vm->net, VM_NET_TAP);
	assert_string_equal(vm->bridge, "br0");
	assert_string_equal(vm->ssh, "root@vm1");
	assert_int_equal(vm->ssh_port, 10023);
	assert_int_equal(vm->n_shares, 3); /* all by default */
	config_free(c);
}

static void test_full_workload(void **state)
{
	struct lab_config *c = load_ok(FIX "full.ini");
	const struct workload_config *w = &c->workload;

	(void)state;
	assert_true(c->has_workload);
	assert_int_equal(w->size, 4ULL << 30);
	assert_int_equal(w->file_size, 16ULL << 20);
	assert_int_equal(w->private_ratio, 30);
	assert_int_equal(w->access_ratio, 70);
	assert_int_equal(w->hot_ratio, 10);
	assert_int_equal(w->hot_access_ratio, 90);
	assert_string_equal(w->rw, "randrw");
	assert_string_equal(w->bs, "64k");
	assert_int_equal(w->bs_bytes, 65536);
	assert_int_equal(w->runtime, 120);
	assert_string_equal(w->ioengine, "mmap");
	config_free(c);
}

static void test_defaults(void **state)
{
	struct lab_config *c = load_ok(FIX "minimal.ini");
	const struct vm_config *vm = &c->vms[0];
	_cleanup_free_ char *key = config_ssh_key(c);

	(void)state;
	assert_string_equal(c->lab.state_dir, "/run/daxlab");
	assert_int_equal(c->lab.accel, LAB_ACCEL_AUTO);
	assert_string_equal(c->lab.qemu, "qemu-system-x86_64");
	assert_string_equal(c->lab.cgroup_parent, "");
	assert_string_equal(c->lab.cgroup_version, "auto");
	assert_int_equal(c->lab.boot_timeout, 300);
	assert_int_equal(c->lab.stop_timeout, 30);
	assert_string_equal(key, "/g/id_ed25519");
	assert_string_equal(c->virtiofsd.cg.cgroup, "virtiofsd");
	assert_int_equal(c->virtiofsd.cg.node, -1);
	assert_string_equal(c->virtiofsd.cache, "always");
	assert_int_equal(c->virtiofsd.style, VIRTIOFSD_STYLE_AUTO);
	assert_null(c->virtiofsd.sandbox);
	assert_int_equal(c->virtiofsd.n_extra_args, 0);
	assert_non_null(c->virtiofsd.extra_args);
	assert_string_equal(vm->kernel, "/g/vmlinuz");
	assert_string_equal(vm->initrd, "/g/initrd.img");
	assert_int_equal(vm->ssh_port, 10022);
	assert_false(c->has_workload);
	assert_int_equal(c->workload.size, 1ULL << 30);
	assert_int_equal(c->workload.private_ratio, 25);
	assert_int_equal(c->workload.access_ratio, 75);
	assert_int_equal(c->workload.hot_ratio, 20);
	assert_int_equal(c->workload.hot_access_ratio, 80);
	assert_string_equal(c->workload.rw, "randread");
	assert_string_equal(c->workload.bs, "4k");
	assert_int_equal(c->workload.runtime, 60);
	assert_string_equal(c->workload.ioengine, "psync");
	config_free(c);
}

static void test_empty_file_is_all_defaults(void **state)
{
	struct lab_config *c = load_ok(FIX "empty.ini");

	(void)state;
	assert_int_equal(c->n_vms, 0);
	assert_int_equal(c->n_shares, 0);
	assert_string_equal(c->lab.state_dir, "/run/daxlab");
	assert_string_equal(c->lab.guest_dir, "/var/lib/daxlab/guest");
	config_free(c);
}

/* No image, kernel, initrd or guest_dir: the guest of `daxlab guest build`. */
static void test_default_guest_dir(void **state)
{
	struct lab_config *c = load_ok(FIX "no-guest-dir.ini");
	_cleanup_free_ char *key = config_ssh_key(c);

	(void)state;
	assert_string_equal(DAXLAB_DEFAULT_GUEST_DIR, "/var/lib/daxlab/guest");
	assert_string_equal(c->lab.guest_dir, "/var/lib/daxlab/guest");
	assert_string_equal(c->vms[0].kernel, "/var/lib/daxlab/guest/vmlinuz");
	assert_string_equal(c->vms[0].initrd,
			    "/var/lib/daxlab/guest/initrd.img");
	assert_string_equal(key, "/var/lib/daxlab/guest/id_ed25519");
	config_free(c);
}

static void test_share_source_expands_id(void **state)
{
	struct lab_config *c = load_ok(FIX "full.ini");
	_cleanup_free_ char *a = config_share_source(
		config_find_share(c, "private"), config_find_vm(c, "1"));
	_cleanup_free_ char *b = config_share_source(
		config_find_share(c, "shared"), config_find_vm(c, "0"));

	(void)state;
	assert_string_equal(a, "/srv/dax/private/vm1/x1");
	assert_string_equal(b, "/srv/dax/shared");
	config_free(c);
}

#define BAD(file, r, ...)                                              \
	do {                                                           \
		static const char *const w[] = { __VA_ARGS__, NULL };  \
		load_bad(FIX file, r, w);                              \
	} while (0)

static void test_errors_name_file_line_key_value(void **state)
{
	(void)state;
	BAD("unknown-key.ini", -EINVAL, "unknown-key.ini:6:", "'bogus'",
	    "'1'", "[vm 0]");
	BAD("bad-size.ini", -EINVAL, "bad-size.ini:5:", "'memory'", "'lots'");
	BAD("dup-section.ini", -EINVAL, "dup-section.ini:3:",
	    "[lab] appears twice");
	BAD("dup-key.ini", -EINVAL, "dup-key.ini:3:", "'stop_timeout'",
	    "'4'", "set twice");
	BAD("bad-accel.ini", -EINVAL, ":2:", "'accel'", "'xen'");
	BAD("bad-ratio.ini", -EINVAL, ":2:", "'private_ratio'", "'101'");
	BAD("bad-bs.ini", -EINVAL, ":2:", "'bs'", "'1000'");
	BAD("bad-cpus.ini", -EINVAL, ":4:", "'cpus'", "'0-'");
	BAD("unknown-section.ini", -EINVAL, ":1:", "[virtualbox]");
	BAD("no-section.ini", -EINVAL, ":1:", "'x'", "outside any section");
}

/*
 * The fio values of [workload]: fio's engines for file I/O and nothing
 * else, block sizes that are multiples of 512 up to 64M, whole seconds.
 * fio job's flags and fiojob_render() take the same answer from here.
 */
static void test_workload_fio_values(void **state)
{
	static const char *const good[][2] = {
		{ "ioengine", "psync" },  { "ioengine", "mmap" },
		{ "ioengine", "sync" },	  { "ioengine", "vsync" },
		{ "ioengine", "pvsync" }, { "ioengine", "pvsync2" },
		{ "ioengine", "libaio" }, { "ioengine", "io_uring" },
		{ "bs", "512" },	  { "bs", "64M" },
		{ "rw", "readwrite" },	  { "runtime", "2m" },
	};
	static const char *const bad[][2] = {
		{ "ioengine", "posixaio" },
		{ "ioengine", "null" },
		{ "ioengine", "filecreate" },
		{ "ioengine", "net" },
		{ "ioengine", "dev-dax" },
		{ "ioengine", "aio-nope" },
		{ "ioengine", "" },
		{ "bs", "128M" },
		{ "bs", "1000" },
		{ "bs", "0" },
		{ "rw", "trim" },
		{ "runtime", "1500ms" },
		{ "runtime", "0" },
	};
	struct workload_config w = { 0 };
	struct error err = { 0 };
	char want[512];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (config_workload_set(&w, good[i][0], good[i][1], &err) < 0)
			fail_msg("%s = %s: %s", good[i][0], good[i][1],
				 err.msg);
	assert_string_equal(w.ioengine, "io_uring");
	assert_int_equal(w.bs_bytes, 64 << 20);
	assert_int_equal(w.runtime, 120);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err.msg[0] = '\0';
		assert_int_equal(
			config_workload_set(&w, bad[i][0], bad[i][1], &err),
			-EINVAL);
		snprintf(want, sizeof(want),
			 "key '%s': bad value '%s': ", bad[i][0], bad[i][1]);
		if (!str_has_prefix(err.msg, want))
			fail_msg("'%s' does not start with '%s'", err.msg,
				 want);
	}
	assert_string_equal(
		err.msg,
		"key 'runtime': bad value '0': expected whole seconds such as 60 or 2m");
	assert_int_equal(config_workload_set(&w, "ioengine", "posixaio", &err),
			 -EINVAL);
	assert_string_equal(
		err.msg,
		"key 'ioengine': bad value 'posixaio': expected psync, mmap, sync, vsync, pvsync, pvsync2, libaio or io_uring");
	/* what was refused changed nothing */
	assert_string_equal(w.ioengine, "io_uring");
	assert_int_equal(w.bs_bytes, 64 << 20);
	free(w.rw);
	free(w.bs);
	free(w.ioengine);
}

/*
 * A line longer than inih's buffer is refused; its tail must never be read
 * as a line of its own (here: 'vcpus = 2' inside append's value).
 */
static void test_long_line_refused_not_split(void **state)
{
	(void)state;
	BAD("../hostile/long-line.ini", -EINVAL, "long-line.ini:4:",
	    "key 'append'", "line longer than");
	BAD("../hostile/file-size-over-size.ini", -EINVAL,
	    "file-size-over-size.ini:4:", "[workload]", "'file_size'");
}

/* Writes [vm 0] with LINE as its 4th line to a fresh file; the path. */
static char *write_vm_line(const char *line, size_t len)
{
	static const char head[] = "[lab]\nguest_dir = /g\n[vm 0]\n";
	static char path[] = "/tmp/daxlab-test-config.XXXXXX";
	int fd;

	strcpy(path + sizeof(path) - 7, "XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, head, strlen(head)), strlen(head));
	assert_int_equal(write(fd, line, len), len);
	assert_int_equal(close(fd), 0);
	return path;
}

/* Loads LEN bytes of LINE as line 4: 0, or the error's message in msg. */
static int load_vm_line(const char *line, size_t len, char *msg, size_t size)
{
	struct lab_config *c = NULL;
	struct error err = { 0 };
	char *path = write_vm_line(line, len);
	int r = config_load(path, &c, &err);
	const char *m = err.msg;

	/* the message without the file name */
	if (str_has_prefix(m, path))
		m += strlen(path);
	snprintf(msg, size, "%s", m);
	unlink(path);
	config_free(c);
	return r;
}

/*
 * A line holds at most 198 bytes before its newline (inih's buffer of 200
 * less the newline and the NUL): a CR counts, a last line without a
 * newline too. A NUL byte is refused as such, not as a long line.
 */
static void test_line_limit_and_nul_byte(void **state)
{
	char line[256], msg[4096];

	(void)state;
	memcpy(line, "append = ", 9);
	memset(line + 9, 'x', sizeof(line) - 9);
	line[198] = '\n';
	assert_int_equal(load_vm_line(line, 199, msg, sizeof(msg)), 0);
	assert_int_equal(load_vm_line(line, 198, msg, sizeof(msg)), 0);
	line[197] = '\r';
	assert_int_equal(load_vm_line(line, 199, msg, sizeof(msg)), 0);
	line[197] = 'x';
	line[198] = 'x';
	line[199] = '\n';
	assert_int_equal(load_vm_line(line, 200, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg,
			    ":4: key 'append': line longer than 198 bytes");
	assert_int_equal(load_vm_line(line, 199, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg,
			    ":4: key 'append': line longer than 198 bytes");

	assert_int_equal(load_vm_line("x\0y = 1\n", 8, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, ":4: a NUL byte in this line");
	assert_int_equal(load_vm_line("vcpus = 2\0", 10, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, ":4: a NUL byte in this line");
	assert_int_equal(load_vm_line("; \0\n", 4, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, ":4: a NUL byte in this line");
}

static void test_names_that_become_paths_are_checked(void **state)
{
	(void)state;
	BAD("bad-share-name.ini", -EINVAL, ":3:", "'../x'",
	    "not a valid share name");
	BAD("bad-cgroup.ini", -EINVAL, ":4:", "'cgroup'", "'../../etc'");
	BAD("bad-vm-id.ini", -EINVAL, ":3:", "'a/b'", "not a valid VM id");
	BAD("bad-tag.ini", -EINVAL, ":5:", "'tag'", "'a:b'");
	BAD("bad-mount.ini", -EINVAL, ":5:", "'mount'", "'/mnt/a b'");
	BAD("bad-percent.ini", -EINVAL, "'source'", "only %i");
}

static void test_cross_section_checks(void **state)
{
	(void)state;
	BAD("unknown-share.ini", -EINVAL, "'shares'", "'nope'");
	BAD("no-source.ini", -EINVAL, ":3:", "[share a]", "'source'");
	BAD("port-clash.ini", -EINVAL, "[vm 1]", "also used by [vm 0]");
	BAD("pmem-dax-window.ini", -EINVAL, "[share a]", "dax_window");
}

static void test_missing_file(void **state)
{
	struct lab_config *c = NULL;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(config_load(FIX "nope.ini", &c, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "nope.ini: No such file"));
	/* not ": No such file or directory" */
	assert_int_equal(config_load("", &c, &err), -ENOENT);
	assert_null(c);
	assert_string_equal(err.msg, "the configuration file name is empty");
}

/* What a caller read: the file's folder and name, a NUL byte as in one. */
static void test_load_text(void **state)
{
	static const char text[] = "[lab]\nstate_dir = s\n[vm 0]\nvcpus = 2\n"
				   "; x\0y\n";
	struct lab_config *c = NULL;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(
		config_load_text("/x/lab.ini", text, strlen(text), &c, &err),
		0);
	assert_string_equal(c->path, "/x/lab.ini");
	assert_string_equal(c->lab.state_dir, "/x/s");
	assert_int_equal(c->vms[0].vcpus, 2);
	config_free(c);
	c = NULL;
	assert_int_equal(config_load_text("/x/lab.ini", text, sizeof(text) - 1,
					  &c, &err),
			 -EINVAL);
	assert_null(c);
	assert_string_equal(err.msg, "/x/lab.ini:5: a NUL byte in this line");
	assert_int_equal(config_load_text("/x/lab.ini", "", 0, &c, &err), 0);
	assert_int_equal(c->n_vms, 0);
	config_free(c);
}

/* A directory is not an empty configuration, nor a read error an end. */
static void test_not_a_file(void **state)
{
	struct lab_config *c = NULL;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(config_load(FIX, &c, &err), -EISDIR);
	assert_null(c);
	assert_string_equal(err.msg, FIX ": Is a directory");
	/* a character device or a pipe reads as a file */
	assert_int_equal(config_load("/dev/null", &c, &err), 0);
	config_free(c);
	c = NULL;
	/* a regular file whose first read fails (EIO at address 0) */
	assert_int_equal(config_load("/proc/self/mem", &c, &err), -EIO);
	assert_null(c);
	assert_string_equal(err.msg, "/proc/self/mem:1: cannot read this line: "
				     "Input/output error");
}

static void test_default_path(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX", *old = getcwd(NULL, 0);
	struct error err = { 0 };
	const char *p = NULL;

	(void)state;
	assert_int_equal(config_find("/x.ini", &p, &err), 0);
	assert_string_equal(p, "/x.ini");
	setenv("DAXLAB_CONFIG", "/env.ini", 1);
	assert_int_equal(config_find(NULL, &p, &err), 0);
	assert_string_equal(p, "/env.ini");
	unsetenv("DAXLAB_CONFIG");
	/* ./daxlab.ini: taken when this user's and no one else's to write */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(config_find(NULL, &p, &err), 0);
	assert_string_equal(p, "/etc/daxlab/daxlab.ini");
	assert_int_equal(write_text_file("daxlab.ini", "", 0644, false), 0);
	assert_int_equal(config_find(NULL, &p, &err), 0);
	assert_string_equal(p, "daxlab.ini");
	assert_int_equal(chmod("daxlab.ini", 0664), 0);
	assert_int_equal(config_find(NULL, &p, &err), 0);
	assert_int_equal(chmod("daxlab.ini", 0646), 0);
	assert_int_equal(config_find(NULL, &p, &err), -EPERM);
	assert_string_equal(
		err.msg,
		"./daxlab.ini can be written by every user (mode 0646): not read unless named (--config ./daxlab.ini)");
	assert_int_equal(chmod("daxlab.ini", 0644), 0);
	if (geteuid() == 0) {
		/* another user's, as one left in /tmp would be */
		assert_int_equal(chown("daxlab.ini", 65534, 65534), 0);
		assert_int_equal(config_find(NULL, &p, &err), -EPERM);
		assert_string_equal(
			err.msg,
			"./daxlab.ini belongs to user 65534, not to you: not read unless named (--config ./daxlab.ini)");
		/* unless it is the user of sudo's */
		setenv("SUDO_UID", "65534", 1);
		assert_int_equal(config_find(NULL, &p, &err), 0);
		unsetenv("SUDO_UID");
	}
	/* a link, even to a file of one's own */
	assert_int_equal(rename("daxlab.ini", "lab.ini"), 0);
	assert_int_equal(symlink("lab.ini", "daxlab.ini"), 0);
	assert_int_equal(config_find(NULL, &p, &err), -EPERM);
	assert_string_equal(
		err.msg,
		"./daxlab.ini is not a regular file (a link?): not read unless named (--config ./daxlab.ini)");
	assert_int_equal(unlink("lab.ini"), 0);
	assert_int_equal(unlink("daxlab.ini"), 0);
	assert_int_equal(chdir(old), 0);
	assert_int_equal(rmdir(dir), 0);
	free(old);
}

static void test_examples_parse(void **state)
{
	struct lab_config *c;

	(void)state;
	c = load_ok(FIXTURES "/../../examples/seed.ini");
	assert_int_equal(c->n_vms, 2);
	assert_int_equal(c->vms[1].cg.node, 1);
	assert_string_equal(c->vms[1].cg.cgroup, "virtual-vm1");
	config_free(c);
	c = load_ok(FIXTURES "/../../examples/demo.ini");
	assert_int_equal(c->n_vms, 2);
	assert_int_equal(config_find_share(c, "shared")->backend,
			 SHARE_BACKEND_VIRTIO_PMEM);
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_lab_and_virtiofsd),
		cmocka_unit_test(test_full_shares),
		cmocka_unit_test(test_full_vms),
		cmocka_unit_test(test_full_workload),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_default_guest_dir),
		cmocka_unit_test(test_empty_file_is_all_defaults),
		cmocka_unit_test(test_share_source_expands_id),
		cmocka_unit_test(test_errors_name_file_line_key_value),
		cmocka_unit_test(test_workload_fio_values),
		cmocka_unit_test(test_long_line_refused_not_split),
		cmocka_unit_test(test_names_that_become_paths_are_checked),
		cmocka_unit_test(test_cross_section_checks),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_not_a_file),
		cmocka_unit_test(test_load_text),
		cmocka_unit_test(test_line_limit_and_nul_byte),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_examples_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
