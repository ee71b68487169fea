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
#include "qemu.h"
#include "spawn.h"
#include "statedir.h"
#include "util.h"

#define FIX FIXTURES "/config/"
/* Captured outputs: tests/fixtures/qemu/README */
#define QFIX FIXTURES "/qemu/"

static char *fixture(const char *name)
{
	char *text = NULL;
	_cleanup_free_ char *path = strdup_printf("%s%s", QFIX, name);

	if (read_full_file(path, 1 << 20, &text, NULL) < 0)
		fail_msg("cannot read %s", path);
	return text;
}

static struct lab_config *load(const char *name)
{
	struct lab_config *c = NULL;
	struct error err = { 0 };

	if (config_load(name, &c, &err) < 0)
		fail_msg("%s", err.msg);
	return c;
}

static char *joined(char **argv)
{
	return shell_join((const char *const *)argv);
}

/* The word after opt, the n-th time opt appears (0: first). */
static const char *after(char **argv, const char *opt, int n)
{
	for (size_t i = 0; argv[i]; i++)
		if (!strcmp(argv[i], opt) && argv[i + 1] && n-- == 0)
			return argv[i + 1];
	return NULL;
}

/* virtiofsd_build_argv() for a share with socket and source only. */
static int fsd(const struct lab_config *c, const char *binary,
	       enum virtiofsd_style style, const char *socket,
	       const char *source, char ***ret)
{
	struct vm_plan p = { .c = c };
	struct vm_plan_share ps = { .socket = (char *)socket,
				    .source = (char *)source };

	return virtiofsd_build_argv(&p, &ps, binary, style, ret);
}

static void test_virtiofsd_c_style(void **state)
{
	struct lab_config *c = load(FIX "qemu.ini");
	char **v = NULL;
	_cleanup_free_ char *s = NULL;

	(void)state;
	assert_int_equal(fsd(c, "/usr/lib/qemu/virtiofsd", VIRTIOFSD_STYLE_C,
			     "/run/s.sock", "/srv/own/vm0", &v),
			 0);
	s = joined(v);
	assert_string_equal(s, "/usr/lib/qemu/virtiofsd --socket-path=/run/s.sock "
			       "-o source=/srv/own/vm0 -o cache=always "
			       "--thread-pool-size=4 --syslog");
	strv_free(v);
	free(c->virtiofsd.cache);
	c->virtiofsd.cache = strdup("never");
	assert_int_equal(fsd(c, "v", VIRTIOFSD_STYLE_C, "/s", "/d", &v), 0);
	assert_string_equal(v[5], "cache=none");
	strv_free(v);
	/* -o takes a comma list */
	assert_int_equal(fsd(c, "v", VIRTIOFSD_STYLE_C, "/s", "/a,b", &v),
			 -EINVAL);
	config_free(c);
}

static void test_virtiofsd_rust_style(void **state)
{
	struct lab_config *c = load(FIX "qemu.ini");
	char **v = NULL;
	_cleanup_free_ char *s = NULL;

	(void)state;
	assert_int_equal(fsd(c, "/usr/libexec/virtiofsd", VIRTIOFSD_STYLE_RUST,
			     "/run/s.sock", "/a,b c", &v),
			 0);
	s = joined(v);
	assert_string_equal(s, "/usr/libexec/virtiofsd --socket-path /run/s.sock "
			       "--shared-dir '/a,b c' --cache always "
			       "--thread-pool-size 4 --syslog");
	strv_free(v);
	free(c->virtiofsd.cache);
	c->virtiofsd.cache = strdup("none");
	assert_int_equal(fsd(c, "v", VIRTIOFSD_STYLE_RUST, "/s", "/d", &v), 0);
	assert_string_equal(v[6], "never");
	strv_free(v);
	config_free(c);
}

static void test_virtiofsd_style_from_help_and_version(void **state)
{
	_cleanup_free_ char *rh = fixture("virtiofsd-rust-1.13.2.help");
	_cleanup_free_ char *rv = fixture("virtiofsd-rust-1.13.2.version");
	_cleanup_free_ char *ch = fixture("virtiofsd-c-7.2.help");
	_cleanup_free_ char *cv = fixture("virtiofsd-c-7.2.version");
	_cleanup_free_ char *qh = fixture("qemu-10.0-vhost-user-fs-pci.help");
	enum virtiofsd_style st = VIRTIOFSD_STYLE_AUTO;

	(void)state;
	assert_int_equal(virtiofsd_style_of(rh, rv, &st), 0);
	assert_int_equal(st, VIRTIOFSD_STYLE_RUST);
	assert_int_equal(virtiofsd_style_of(ch, cv, &st), 0);
	assert_int_equal(st, VIRTIOFSD_STYLE_C);
	/* either output alone tells */
	assert_int_equal(virtiofsd_style_of(rh, NULL, &st), 0);
	assert_int_equal(st, VIRTIOFSD_STYLE_RUST);
	assert_int_equal(virtiofsd_style_of(NULL, rv, &st), 0);
	assert_int_equal(st, VIRTIOFSD_STYLE_RUST);
	assert_int_equal(virtiofsd_style_of(ch, NULL, &st), 0);
	assert_int_equal(st, VIRTIOFSD_STYLE_C);
	assert_int_equal(virtiofsd_style_of(NULL, cv, &st), 0);
	assert_int_equal(st, VIRTIOFSD_STYLE_C);
	/* the Rust one's help has "-o <COMPAT_OPTIONS>": still Rust */
	assert_non_null(strstr(rh, "-o <COMPAT_OPTIONS>"));
	assert_int_equal(virtiofsd_style_of(rh, cv, &st), 0);
	assert_int_equal(st, VIRTIOFSD_STYLE_RUST);
	/* something else: no guess */
	assert_int_equal(virtiofsd_style_of(qh, "qemu 10.0", &st), -ENOEXEC);
	assert_int_equal(virtiofsd_style_of(NULL, NULL, &st), -ENOEXEC);
	assert_int_equal(virtiofsd_style_of("", "virtiofsd x", &st), -ENOEXEC);
	assert_string_equal(virtiofsd_style_name(VIRTIOFSD_STYLE_RUST), "rust");
	assert_string_equal(virtiofsd_style_name(VIRTIOFSD_STYLE_C), "c");
}

/* help has word as a whole option: not followed by a letter or '-'. */
static bool help_has(const char *help, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = help; (p = strstr(p, word)); p++) {
		char next = p[n];

		if (word[n - 1] == '=' || !(next == '-' || next == '_' ||
					    (next >= 'a' && next <= 'z')))
			return true;
	}
	return false;
}

/* Every option word of argv ("--x", "--x=", "-o key=") is in help. */
static void assert_options_in_help(char **argv, const char *help)
{
	for (size_t i = 1; argv[i]; i++) {
		char want[128];
		const char *w = argv[i];

		if (!strcmp(w, "-o") && argv[i + 1]) {
			const char *eq = strchr(argv[i + 1], '=');

			snprintf(want, sizeof(want),
				 "-o %.*s=", (int)(eq ? eq - argv[i + 1] : 64),
				 argv[i + 1]);
			i++;
		} else if (str_has_prefix(w, "--")) {
			const char *eq = strchr(w, '=');

			snprintf(want, sizeof(want), "%.*s%s",
				 (int)(eq ? eq - w : 64), w, eq ? "=" : "");
		} else {
			continue;
		}
		if (!help_has(help, want))
			fail_msg("'%s' (from '%s') is not in the help", want,
				 w);
	}
}

static void test_virtiofsd_argv_suits_its_help(void **state)
{
	struct lab_config *c = load(FIX "qemu.ini");
	_cleanup_free_ char *rh = fixture("virtiofsd-rust-1.13.2.help");
	_cleanup_free_ char *ch = fixture("virtiofsd-c-7.2.help");
	_cleanup_free_ char *s = NULL;
	char **v = NULL;

	(void)state;
	/* --syslog of qemu.ini is an extra arg: both have it */
	c->virtiofsd.sandbox = strdup("chroot");
	assert_int_equal(fsd(c, "/usr/libexec/virtiofsd", VIRTIOFSD_STYLE_RUST,
			     "/run/s.sock", "/srv/x", &v),
			 0);
	s = joined(v);
	assert_string_equal(s,
			    "/usr/libexec/virtiofsd --socket-path /run/s.sock "
			    "--shared-dir /srv/x --cache always "
			    "--sandbox chroot --thread-pool-size 4 --syslog");
	assert_options_in_help(v, rh);
	/* the values too: Rust 1.13 lists its sandboxes and caches */
	assert_non_null(strstr(rh, "(namespace, chroot, none)"));
	assert_non_null(strstr(rh, "(auto, always, never, metadata)"));
	strv_free(v);
	free(s);
	assert_int_equal(fsd(c, "/usr/lib/qemu/virtiofsd", VIRTIOFSD_STYLE_C,
			     "/run/s.sock", "/srv/x", &v),
			 0);
	s = joined(v);
	assert_string_equal(s,
			    "/usr/lib/qemu/virtiofsd --socket-path=/run/s.sock "
			    "-o source=/srv/x -o cache=always "
			    "-o sandbox=chroot --thread-pool-size=4 --syslog");
	assert_options_in_help(v, ch);
	assert_non_null(strstr(ch, "-o sandbox=namespace|chroot"));
	strv_free(v);
	/* the C one has no sandbox "none" */
	free(c->virtiofsd.sandbox);
	c->virtiofsd.sandbox = strdup("none");
	assert_int_equal(fsd(c, "v", VIRTIOFSD_STYLE_C, "/s", "/d", &v),
			 -EOPNOTSUPP);
	assert_int_equal(fsd(c, "v", VIRTIOFSD_STYLE_RUST, "/s", "/d", &v), 0);
	assert_string_equal(after(v, "--sandbox", 0), "none");
	strv_free(v);
	/* without a sandbox key, neither gets one (virtiofsd's default) */
	free(c->virtiofsd.sandbox);
	c->virtiofsd.sandbox = NULL;
	assert_int_equal(fsd(c, "v", VIRTIOFSD_STYLE_RUST, "/s", "/d", &v), 0);
	assert_null(after(v, "--sandbox", 0));
	strv_free(v);
	config_free(c);
}

static void test_cpuinfo_virt_flag(void **state)
{
	_cleanup_free_ char *tcg = fixture("cpuinfo-tcg");
	_cleanup_free_ char *svm = fixture("cpuinfo-svm");
	_cleanup_free_ char *vmx = fixture("cpuinfo-vmx");
	_cleanup_free_ char *decoy = fixture("cpuinfo-decoy");

	(void)state;
	/* this build machine: an EPYC under TCG, vmmcall but no svm */
	assert_null(qemu_cpuinfo_virt_flag(tcg));
	assert_string_equal(qemu_cpuinfo_virt_flag(svm), "svm");
	assert_string_equal(qemu_cpuinfo_virt_flag(vmx), "vmx");
	/* svm/vmx in another field or as part of a word do not count */
	assert_null(qemu_cpuinfo_virt_flag(decoy));
	assert_null(qemu_cpuinfo_virt_flag(""));
}

static void test_kvm_probe_says_why(void **state)
{
	char why[512];

	(void)state;
	assert_false(qemu_kvm_probe(QFIX "cpuinfo-tcg", "/dev/kvm", why,
				    sizeof(why)));
	assert_string_equal(why, "no vmx or svm flag in " QFIX "cpuinfo-tcg");
	assert_false(qemu_kvm_probe(QFIX "nope", "/dev/kvm", why, sizeof(why)));
	assert_non_null(strstr(why, "No such file or directory"));
	assert_false(qemu_kvm_probe(QFIX "cpuinfo-vmx", QFIX "no-kvm", why,
				    sizeof(why)));
	assert_string_equal(why, "vmx in " QFIX "cpuinfo-vmx, but " QFIX
				 "no-kvm does not open read-write: No such "
				 "file or directory");
	/* a device that opens read-write but is not KVM */
	assert_false(qemu_kvm_probe(QFIX "cpuinfo-svm", "/dev/null", why,
				    sizeof(why)));
	assert_non_null(strstr(why, "svm in "));
	assert_non_null(strstr(why, "/dev/null: KVM_GET_API_VERSION"));
}

static void test_device_help_props(void **state)
{
	_cleanup_free_ char *q10 = fixture("qemu-10.0-vhost-user-fs-pci.help");
	_cleanup_free_ char *q72 = fixture("qemu-7.2-vhost-user-fs-pci.help");
	_cleanup_free_ char *pm = fixture("qemu-10.0-virtio-pmem-pci.help");

	(void)state;
	/* what qemu_build_argv() gives vhost-user-fs-pci and virtio-pmem-pci */
	assert_true(qemu_device_help_has(q10, "chardev"));
	assert_true(qemu_device_help_has(q10, "tag"));
	assert_true(qemu_device_help_has(q10, "queue-size"));
	assert_true(qemu_device_help_has(q72, "queue-size"));
	assert_true(qemu_device_help_has(pm, "memdev"));
	/* upstream qemu has no DAX window, 7.2 nor 10.0 */
	assert_false(qemu_device_help_has(q10, "cache-size"));
	assert_false(qemu_device_help_has(q72, "cache-size"));
	assert_true(qemu_device_help_has("  cache-size=<size>  - x\n",
					 "cache-size"));
	/* a word inside a description is not a property */
	assert_false(qemu_device_help_has(q10, "backend"));
}

static void touch_exec(const char *root, const char *path, unsigned mode)
{
	_cleanup_free_ char *p = strdup_printf("%s%s", root, path);
	_cleanup_free_ char *d = strdup(p);
	FILE *f;

	*strrchr(d, '/') = 0;
	assert_int_equal(mkdir_p(d, 0755), 0);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
}

static void test_virtiofsd_find_debian_12_and_13(void **state)
{
	char root[] = "/tmp/daxlab-test-qemu.XXXXXX";
	char *found = NULL;

	(void)state;
	assert_non_null(mkdtemp(root));
	assert_int_equal(virtiofsd_find_in(root, NULL, &found), -ENOENT);
	/* Debian 12: qemu's C virtiofsd only */
	touch_exec(root, "/usr/lib/qemu/virtiofsd", 0755);
	assert_int_equal(virtiofsd_find_in(root, NULL, &found), 0);
	assert_string_equal(found, "/usr/lib/qemu/virtiofsd");
	free(found);
	/* Debian 13's Rust one comes first; one not executable is skipped */
	touch_exec(root, "/usr/libexec/virtiofsd", 0644);
	assert_int_equal(virtiofsd_find_in(root, NULL, &found), 0);
	assert_string_equal(found, "/usr/lib/qemu/virtiofsd");
	free(found);
	touch_exec(root, "/usr/libexec/virtiofsd", 0755);
	assert_int_equal(virtiofsd_find_in(root, NULL, &found), 0);
	assert_string_equal(found, "/usr/libexec/virtiofsd");
	free(found);
	/* configured: used as it is (a path must be there) */
	assert_int_equal(virtiofsd_find_in(root, "/nope/virtiofsd", &found),
			 -ENOENT);
	assert_int_equal(virtiofsd_find_in(root, "virtiofsd", &found), 0);
	assert_string_equal(found, "virtiofsd");
	free(found);
	{
		const char *argv[] = { "rm", "-rf", root, NULL };
		_cleanup_free_ char *out = NULL;
		int ex;

		assert_int_equal(spawn_capture(argv, true, 4096, &out, &ex), 0);
		assert_int_equal(ex, 0);
	}
}

/* The plan of vm with state_dir and image_dir moved to dir. */
static void plan_in(struct lab_config *c, const char *dir, int vm,
		    struct vm_plan *ret)
{
	free(c->lab.state_dir);
	free(c->lab.image_dir);
	c->lab.state_dir = strdup(dir);
	c->lab.image_dir = strdup(dir);
	assert_int_equal(vm_plan_paths(c, &c->vms[vm], ret), 0);
}

static void test_virtiofsd_argv_from_the_plan(void **state)
{
	struct lab_config *c = load(FIX "qemu.ini");
	struct vm_plan p;
	_cleanup_free_ char *s = NULL;
	char **v = NULL;

	(void)state;
	plan_in(c, "/st", 0, &p);
	/* the share's socket in the VM's folder, its source with %i */
	assert_string_equal(p.shares[1].s->name, "own");
	assert_int_equal(virtiofsd_build_argv(&p, &p.shares[1],
					      "/usr/libexec/virtiofsd",
					      VIRTIOFSD_STYLE_RUST, &v),
			 0);
	s = joined(v);
	assert_string_equal(s, "/usr/libexec/virtiofsd --socket-path "
			       "/st/vm-0/virtiofsd-own.sock --shared-dir "
			       "/srv/own/vm0 --cache always "
			       "--thread-pool-size 4 --syslog");
	strv_free(v);
	vm_plan_free(&p);
	config_free(c);
}

static void test_kernel_cmdline(void **state)
{
	struct lab_config *c = load(FIX "qemu.ini");
	struct vm_plan p0, p1;
	_cleanup_free_ char *a = NULL, *b = NULL;

	(void)state;
	plan_in(c, "/st", 0, &p0);
	plan_in(c, "/st", 1, &p1);
	a = qemu_kernel_cmdline(&p0);
	b = qemu_kernel_cmdline(&p1);
	assert_string_equal(a, "console=ttyS0 panic=-1 daxlab.name=vm0 "
			       "daxlab.virtiofs=daxfs:/mnt/dax:dax=always "
			       "daxlab.virtiofs=own:/mnt/own "
			       "daxlab.pmem=0:/mnt/pm quiet");
	assert_string_equal(b, "console=ttyS0 panic=-1 daxlab.name=vm1 "
			       "daxlab.virtiofs=own:/mnt/own");
	vm_plan_free(&p0);
	vm_plan_free(&p1);
	config_free(c);
}

static int build(struct lab_config *c, int vm, bool cache_size,
		 const char *mems, char ***v, struct error *err)
{
	struct vm_plan p;
	int r;

	plan_in(c, "/st", vm, &p);
	p.accel = "tcg";
	p.have_cache_size = cache_size;
	p.mems = mems ? strdup(mems) : NULL;
	for (size_t i = 0; i < p.n_shares; i++)
		p.shares[i].image_size = 96ULL << 20;
	r = qemu_build_argv(&p, v, err);
	vm_plan_free(&p);
	return r;
}

static void test_qemu_dax_window_needs_cache_size(void **state)
{
	struct lab_config *c = load(FIX "qemu.ini");
	char **v = NULL;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(build(c, 0, false, NULL, &v, &err), -EOPNOTSUPP);
	assert_null(v);
	assert_non_null(strstr(err.msg, "[share dax]: dax_window"));
	assert_non_null(strstr(err.msg, "'cache-size'"));
	assert_non_null(strstr(err.msg, "/opt/qemu/bin/qemu-system-x86_64"));
	config_free(c);
}

static void test_qemu_kernel_boot_with_every_share(void **state)
{
	struct lab_config *c = load(FIX "qemu.ini");
	char **v = NULL;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(build(c, 0, true, "0-1,3", &v, &err), 0);
	assert_string_equal(v[0], "/opt/qemu/bin/qemu-system-x86_64");
	assert_string_equal(after(v, "-accel", 0), "tcg");
	assert_string_equal(after(v, "-cpu", 0), "max");
	assert_string_equal(after(v, "-smp", 0), "2");
	assert_string_equal(after(v, "-m", 0), "1024M,slots=1,maxmem=1120M");
	assert_string_equal(after(v, "-object", 0),
			    "memory-backend-memfd,id=mem0,size=1024M,share=on,"
			    "host-nodes=0-1,host-nodes=3,policy=bind");
	assert_string_equal(after(v, "-numa", 0), "node,memdev=mem0");
	assert_string_equal(after(v, "-kernel", 0), "/guest/vmlinuz");
	assert_string_equal(after(v, "-initrd", 0), "/guest/initrd.img");
	assert_string_equal(after(v, "-chardev", 0),
			    "socket,id=fs0,path=/st/vm-0/virtiofsd-dax.sock");
	assert_string_equal(after(v, "-device", 0),
			    "vhost-user-fs-pci,chardev=fs0,tag=daxfs,"
			    "queue-size=1024,cache-size=2048M");
	assert_string_equal(after(v, "-device", 1),
			    "vhost-user-fs-pci,chardev=fs1,tag=own,"
			    "queue-size=1024");
	assert_string_equal(after(v, "-object", 1),
			    "memory-backend-file,id=pm0,"
			    "mem-path=/st/share-pm.img,size=96M,share=on,"
			    "readonly=on");
	assert_string_equal(after(v, "-device", 2),
			    "virtio-pmem-pci,memdev=pm0,id=pmem0");
	assert_string_equal(after(v, "-netdev", 0),
			    "user,id=n0,restrict=on,"
			    "hostfwd=tcp:127.0.0.1:10022-:22");
	assert_string_equal(after(v, "-mon", 0), "chardev=qmp,mode=control");
	assert_string_equal(after(v, "-serial", 0), "chardev:ser0");
	assert_null(after(v, "-drive", 0));
	strv_free(v);
	config_free(c);
}

static void test_qemu_tap_only_listed_shares_extra_args(void **state)
{
	struct lab_config *c = load(FIX "qemu.ini");
	char **v = NULL;
	struct error err = { 0 };
	size_t n = 0;

	(void)state;
	assert_int_equal(build(c, 1, false, NULL, &v, &err), 0);
	assert_string_equal(after(v, "-m", 0), "512M");
	assert_string_equal(after(v, "-object", 0),
			    "memory-backend-memfd,id=mem0,size=512M,share=on");
	assert_string_equal(after(v, "-netdev", 0), "bridge,id=n0,br=br0");
	assert_string_equal(after(v, "-device", 0),
			    "vhost-user-fs-pci,chardev=fs0,tag=own,"
			    "queue-size=1024");
	assert_null(after(v, "-object", 1));
	while (v[n])
		n++;
	assert_string_equal(v[n - 1], "-S");
	strv_free(v);
	config_free(c);
}

static void test_qemu_escapes_commas_in_paths(void **state)
{
	struct lab_config *c = load(FIX "minimal.ini");
	struct vm_plan p;
	char **v = NULL;
	struct error err = { 0 };

	(void)state;
	free(c->vms[0].kernel);
	free(c->vms[0].initrd);
	c->vms[0].kernel = c->vms[0].initrd = NULL;
	c->vms[0].image = strdup("/img,1.qcow2");
	plan_in(c, "/st,x", 0, &p);
	p.accel = "kvm";
	assert_int_equal(qemu_build_argv(&p, &v, &err), 0);
	assert_string_equal(after(v, "-cpu", 0), "host");
	/* the overlay in image_dir, then the seed made at start */
	assert_string_equal(after(v, "-drive", 0),
			    "file=/st,,x/vm-0/disk.qcow2,if=virtio,"
			    "format=qcow2");
	assert_string_equal(after(v, "-drive", 1),
			    "file=/st,,x/vm-0/seed.img,if=virtio,format=raw,"
			    "readonly=on");
	assert_string_equal(after(v, "-chardev", 0),
			    "socket,id=qmp,path=/st,,x/vm-0/qmp.sock,"
			    "server=on,wait=off");
	strv_free(v);
	vm_plan_free(&p);
	config_free(c);
}

static void test_pmem_sizes_and_mkfs(void **state)
{
	char **v = NULL;
	_cleanup_free_ char *s = NULL;
	uint64_t size = 0;

	(void)state;
	assert_int_equal(qemu_pmem_align(1), 2ULL << 20);
	assert_int_equal(qemu_pmem_align(2ULL << 20), 2ULL << 20);
	assert_int_equal(qemu_pmem_align((2ULL << 20) + 1), 4ULL << 20);
	assert_int_equal(qemu_pmem_size_for(FIX, &size), 0);
	assert_int_equal(size, 64ULL << 20); /* the floor for a small tree */
	assert_int_equal(qemu_pmem_size_for(FIX "nope", &size), -ENOENT);
	assert_int_equal(qemu_mkfs_argv("/src dir", "/st/x.img", "lbl", &v),
			 0);
	s = joined(v);
	assert_string_equal(s, "mkfs.ext4 -q -F -b 4096 -L lbl -d '/src dir' "
			       "/st/x.img");
	strv_free(v);
}

static void test_socket_paths(void **state)
{
	_cleanup_free_ char *a = statedir_share_socket("/st/vm-0", "own");
	_cleanup_free_ char *b = statedir_share_pidfile("/st/vm-0", "own");
	_cleanup_free_ char *c = statedir_share_log("/st/vm-0", "own");
	_cleanup_free_ char *d = statedir_share_own_pidfile("/st/vm-0", "own");

	(void)state;
	assert_string_equal(a, "/st/vm-0/virtiofsd-own.sock");
	assert_string_equal(b, "/st/vm-0/virtiofsd-own.pid");
	assert_string_equal(c, "/st/vm-0/virtiofsd-own.log");
	assert_string_equal(d, "/st/vm-0/virtiofsd-own.sock.pid");
}

/* fio's JSON names a sock: client "PATH:PORT": the VM is in the path */
static void test_fio_sock_vm(void **state)
{
	char id[8];

	(void)state;
	assert_true(statedir_fio_sock_vm("/run/daxlab/vm-12/fio.sock:8765", id,
					 sizeof(id)));
	assert_string_equal(id, "12");
	assert_true(statedir_fio_sock_vm("sock:/s/vm-a.b/fio.sock", id,
					 sizeof(id)));
	assert_string_equal(id, "a.b");
	assert_true(statedir_fio_sock_vm("vm-x/fio.sock", id, sizeof(id)));
	assert_string_equal(id, "x");
	assert_false(statedir_fio_sock_vm("127.0.0.1:18765", id, sizeof(id)));
	assert_false(
		statedir_fio_sock_vm("/s/vm-/fio.sock:8765", id, sizeof(id)));
	assert_false(statedir_fio_sock_vm("/s/x-1/fio.sock", id, sizeof(id)));
	assert_false(statedir_fio_sock_vm("/s/vm-1/fio.sockx", id, sizeof(id)));
	/* an id longer than the buffer is none, not cut */
	assert_false(statedir_fio_sock_vm("/s/vm-12345678/fio.sock", id,
					  sizeof(id)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virtiofsd_c_style),
		cmocka_unit_test(test_virtiofsd_rust_style),
		cmocka_unit_test(test_virtiofsd_style_from_help_and_version),
		cmocka_unit_test(test_virtiofsd_argv_suits_its_help),
		cmocka_unit_test(test_cpuinfo_virt_flag),
		cmocka_unit_test(test_kvm_probe_says_why),
		cmocka_unit_test(test_device_help_props),
		cmocka_unit_test(test_virtiofsd_find_debian_12_and_13),
		cmocka_unit_test(test_virtiofsd_argv_from_the_plan),
		cmocka_unit_test(test_kernel_cmdline),
		cmocka_unit_test(test_qemu_dax_window_needs_cache_size),
		cmocka_unit_test(test_qemu_kernel_boot_with_every_share),
		cmocka_unit_test(test_qemu_tap_only_listed_shares_extra_args),
		cmocka_unit_test(test_qemu_escapes_commas_in_paths),
		cmocka_unit_test(test_pmem_sizes_and_mkfs),
		cmocka_unit_test(test_socket_paths),
		cmocka_unit_test(test_fio_sock_vm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
