// SPDX-License-Identifier: MIT
/* Image VMs: overlay, seed, readiness; see vmimage.h. */
#include "vmimage.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloudinit.h"
#include "config.h"
#include "fiofwd.h"
#include "fioprobe.h"
#include "fiover.h"
#include "guestbuild.h"
#include "residency.h"
#include "spawn.h"
#include "util.h"

/* Appends to a "; "-separated list in buf. */
#define add(buf, len, ...) str_appendf(buf, len, "; ", __VA_ARGS__)

/* A big-endian 64-bit field of a qcow2 header. */
static uint64_t be64_at(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int vmimage_format(const char *path, const char **ret)
{
	unsigned char h[80] = { 0 };
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, h, sizeof(h), 0);
	if (n < 0)
		return -errno;
	if (n < 4 || memcmp(h, "QFI\xfb", 4)) {
		*ret = "raw";
		return 0;
	}
	*ret = "qcow2";
	/*
	 * backing_file_offset (bytes 8-15), and for version 3 the
	 * incompatible feature "external data file" (bit 2 of bytes
	 * 72-79): either makes qemu open another file that the image
	 * names, which the guest could then read
	 */
	if (n < 16 || be64_at(h + 8) ||
	    (h[7] >= 3 && (n < 80 || (be64_at(h + 72) & 4))))
		return -EXDEV;
	return 0;
}

int vmimage_overlay_argv(const char *base, const char *format,
			 const char *overlay, char ***ret)
{
	const char *const a[] = { "qemu-img", "create", "-q", "-f",   "qcow2",
				  "-b",	      base,	"-F", format, overlay };
	struct strv b = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(a); i++)
		strv_push(&b, a[i]);
	*ret = strv_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

/*
 * The folder of path (image_dir/vm-ID), root's only: the overlay and the
 * seed are made there by programs that create them under root's umask
 * before daxlab can chmod them, and hold the guest's data and host key.
 */
static int private_parent(const char *path, struct error *err)
{
	_cleanup_free_ char *dir = path_parent(path);
	int r = mkdir_parent(path, 0700, err);

	if (r < 0)
		return r;
	if (!dir)
		return err_fail(err, -ENOMEM, "out of memory");
	if (strcmp(dir, ".") && strcmp(dir, "/") && chmod(dir, 0700) < 0)
		return err_fail(err, -errno, "chmod %s: %m", dir);
	return 0;
}

int vmimage_make_overlay(const char *base, const char *overlay,
			 struct error *err)
{
	_cleanup_free_ char *out = NULL;
	const char *format;
	_cleanup_strv_ char **argv = NULL;
	int r, ex = -1;

	r = vmimage_format(base, &format);
	if (r == -EXDEV)
		return err_fail(
			err, r,
			"image '%s' is a qcow2 image that names another file (a backing file or an external data file): the guest could read that file; make a whole image of it (qemu-img convert -O qcow2 IMAGE NEW)",
			base);
	if (r < 0)
		return err_fail(err, r, "image '%s': %s", base, strerror(-r));
	r = private_parent(overlay, err);
	if (r < 0)
		return r;
	(void)unlink(overlay);
	r = vmimage_overlay_argv(base, format, overlay, &argv);
	if (r < 0)
		return r;
	r = spawn_capture((const char *const *)argv, true, 1 << 16, &out, &ex);
	if (r < 0 || ex != 0) {
		_cleanup_free_ char *cmd =
			shell_join((const char *const *)argv);

		if (out)
			out[strcspn(out, "\n")] = 0;
		err_set(err, "%s: %s", cmd ? cmd : "qemu-img",
			r < 0 ? strerror(-r) : (out && *out ? out : "failed"));
		if (r == -ENOENT && err)
			add(err->msg, sizeof(err->msg), "install qemu-utils");
		(void)unlink(overlay);
		return r < 0 ? r : -EIO;
	}
	/* the guest's writes, its ssh host keys among them: root's only */
	if (chmod(overlay, 0600) < 0) {
		r = err_fail(err, -errno, "chmod %s: %m", overlay);
		(void)unlink(overlay);
		return r;
	}
	return 0;
}

int vmimage_make_seed(const struct lab_config *c, const struct vm_config *vm,
		      const char *path, const char *host_key, struct error *err)
{
	_cleanup_free_ char *key = config_ssh_key(c);
	_cleanup_free_ char *pub = NULL, *ud = NULL, *md = NULL, *nc = NULL;
	_cleanup_free_ char *hk = NULL, *hpub = NULL, *hpub_path = NULL;
	struct error why = { 0 };
	int r;

	if (!key)
		return -ENOMEM;
	(void)mkdir_parent(key, 0700, NULL);
	/* the lab's key, made once: image VMs need no tiny guest build */
	r = guest_lab_key(key, &pub, &why);
	if (r < 0)
		return err_fail(err, r, "the lab's ssh key %s: %s", key,
				why.msg[0] ? why.msg : strerror(-r));
	if (host_key) {
		hpub_path = strdup_printf("%s.pub", host_key);
		if (!hpub_path)
			return -ENOMEM;
		r = read_full_file(host_key, 1 << 16, &hk, NULL);
		if (r == 0)
			r = read_full_file(hpub_path, 1 << 16, &hpub, NULL);
		if (r < 0)
			return err_fail(err, r, "the guest's host key %s: %s",
					host_key, strerror(-r));
		hpub[strcspn(hpub, "\r\n")] = '\0';
	}
	ud = cloudinit_user_data(c, vm, pub, hk, hpub);
	md = cloudinit_meta_data(vm);
	nc = cloudinit_network_config(vm);
	if (!ud || !md || !nc)
		return -ENOMEM;
	r = private_parent(path, err);
	if (r < 0)
		return r;
	r = cloudinit_write_seed(path, ud, md, nc, &why);
	if (r < 0)
		err_set(err, "%s: %s", path,
			why.msg[0] ? why.msg : strerror(-r));
	return r;
}

/* ---- readiness ---- */

/*
 * Run by the guest's sh (`sh -s -- TIMEOUT HOST_FIO UNIT...`). Every
 * section starts with a line "@@daxlab ...". With no fio, or one whose
 * version is not HOST_FIO, it does not wait for cloud-init: the start
 * fails on that at once.
 */
static const char vmimage_ready_script[] =
	"t=$1\n"
	"h=$2\n"
	"shift 2\n"
	/* fio first: with none, or another version, nothing else matters */
	"echo '@@daxlab fio'\n"
	"v=\n"
	"if f=$(command -v fio); then\n"
	"\techo \"$f\"\n"
	"\tv=$(fio --version 2>&1 | head -n 1)\n"
	"\techo \"$v\"\n"
	"fi\n"
	"echo '@@daxlab cloud-init'\n"
	"r=/run/cloud-init/result.json\n"
	"if [ -z \"$v\" ] || { [ -n \"$h\" ] && [ \"$v\" != \"$h\" ]; }; then\n"
	"\techo '@@daxlab rc skipped'\n"
	"elif ! command -v cloud-init >/dev/null 2>&1; then\n"
	"\techo '@@daxlab rc none'\n"
	"elif [ ! -e /run/cloud-init/enabled ]; then\n"
	"\techo '@@daxlab rc disabled'\n"
	"else\n"
	/* result.json is written when the final stage ends: a shell loop,
	 * not `cloud-init status --wait`, a Python process that takes seconds
	 * of the guest's CPU under TCG */
	"\tn=0\n"
	"\twhile [ ! -e $r ] && [ $n -lt \"$t\" ]; do\n"
	"\t\tsleep 1\n"
	"\t\tn=$((n + 1))\n"
	"\tdone\n"
	"\tif [ -e $r ]; then\n"
	"\t\techo '@@daxlab rc done'\n"
	"\t\tcat $r\n"
	"\t\techo\n"
	"\telse\n"
	"\t\techo '@@daxlab rc timeout'\n"
	"\tfi\n"
	"fi\n"
	"echo '@@daxlab mounts'\n"
	"cat /proc/mounts\n"
	"for u in \"$@\"; do\n"
	"\ts=$(systemctl is-active \"$u\" 2>/dev/null)\n"
	"\techo \"@@daxlab unit $u ${s:-unknown}\"\n"
	"\t[ \"$s\" = active ] ||\n"
	"\t\tjournalctl -b -u \"$u\" -o cat --no-pager -n 8 2>/dev/null\n"
	"done\n"
	"echo '@@daxlab end'\n";

#define MARK "@@daxlab "

enum section { SEC_NONE, SEC_RESULT, SEC_MOUNTS, SEC_UNIT, SEC_FIO };

static int append(char **s, const char *line, size_t len)
{
	size_t n = *s ? strlen(*s) : 0;
	char *ns = realloc(*s, n + len + 2);

	if (!ns)
		return -ENOMEM;
	memcpy(ns + n, line, len);
	ns[n + len] = '\n';
	ns[n + len + 1] = 0;
	*s = ns;
	return 0;
}

/* A journal line for the log: messages that say why, not systemd's own. */
static void unit_log(struct vmimage_unit *u, const char *line, size_t len)
{
	char l[512];

	snprintf(l, sizeof(l), "%.*s", (int)len, line);
	str_trim(l);
	if (!*l || str_has_prefix(l, "Mounting ") ||
	    str_has_prefix(l, "Started ") || str_has_prefix(l, "Starting "))
		return;
	add(u->log, sizeof(u->log), "%s", l);
}

int vmimage_parse_report(const char *out, struct vmimage_report *r)
{
	enum section sec = SEC_NONE;
	unsigned fio_lines = 0;

	memset(r, 0, sizeof(*r));
	for (const char *l = out; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);

		if (len >= strlen(MARK) && !strncmp(l, MARK, strlen(MARK))) {
			char word[64] = "", a[256] = "", b[32] = "";
			char line[512];

			snprintf(line, sizeof(line), "%.*s", (int)len,
				 l + strlen(MARK));
			sscanf(line, "%63s %255s %31s", word, a, b);
			sec = SEC_NONE;
			if (!strcmp(word, "rc")) {
				snprintf(r->cloud_init, sizeof(r->cloud_init),
					 "%.*s", (int)sizeof(r->cloud_init) - 1,
					 a);
				sec = SEC_RESULT;
			} else if (!strcmp(word, "mounts")) {
				sec = SEC_MOUNTS;
				if (!r->mounts && !(r->mounts = strdup("")))
					return -ENOMEM;
			} else if (!strcmp(word, "unit") &&
				   r->n_units < VMIMAGE_MAX_UNITS) {
				struct vmimage_unit *u =
					&r->units[r->n_units++];

				snprintf(u->name, sizeof(u->name), "%s", a);
				snprintf(u->state, sizeof(u->state), "%s", b);
				sec = SEC_UNIT;
			} else if (!strcmp(word, "fio")) {
				sec = SEC_FIO;
			} else if (!strcmp(word, "end")) {
				r->complete = true;
			}
		} else if (sec == SEC_RESULT || sec == SEC_MOUNTS) {
			if (append(sec == SEC_RESULT ? &r->result : &r->mounts,
				   l, len) < 0)
				return -ENOMEM;
		} else if (sec == SEC_UNIT) {
			unit_log(&r->units[r->n_units - 1], l, len);
		} else if (sec == SEC_FIO) {
			if (fio_lines == 0)
				snprintf(r->fio_path, sizeof(r->fio_path),
					 "%.*s", (int)len, l);
			else if (fio_lines == 1)
				snprintf(r->fio_version, sizeof(r->fio_version),
					 "%.*s", (int)len, l);
			fio_lines++;
		}
		l = nl ? nl + 1 : NULL;
	}
	str_trim(r->fio_path);
	/* "fio-3.33", as fiover reads it (and what else fio said, if not) */
	{
		char v[sizeof(r->fio_version)];

		if (fiover_parse(r->fio_version, v, sizeof(v)) == 0)
			snprintf(r->fio_version, sizeof(r->fio_version), "%s",
				 v);
		else
			str_trim(r->fio_version);
	}
	return 0;
}

void vmimage_report_free(struct vmimage_report *r)
{
	free(r->result);
	free(r->mounts);
	r->result = r->mounts = NULL;
}

int vmimage_ready_args(const struct lab_config *c, const struct vm_config *vm,
		       unsigned timeout_s, const char *host_fio, char ***ret)
{
	struct strv b = { 0 };

	strv_pushf(&b, "%u", timeout_s);
	strv_push(&b, host_fio ? host_fio : "");
	for (size_t i = 0; i < c->n_shares; i++) {
		_cleanup_free_ char *unit = NULL;

		if (!config_vm_has_share(vm, &c->shares[i]))
			continue;
		unit = cloudinit_mount_unit(c->shares[i].mount);
		if (!unit) {
			b.err = -EINVAL;
			break;
		}
		strv_push(&b, unit);
	}
	strv_push(&b, CLOUDINIT_FIO_UNIT);
	if (b.err == -EINVAL) {
		strv_free(strv_steal(&b));
		return -EINVAL;
	}
	*ret = strv_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

/* Options that mount(8) or systemd read and the kernel never shows. */
static bool userspace_option(const char *o)
{
	static const char *const words[] = { "defaults", "nofail", "auto",
					     "noauto",	 "user",   "nouser",
					     "users",	 "owner",  "group",
					     "_netdev",	 NULL };

	for (size_t i = 0; words[i]; i++)
		if (!strcmp(o, words[i]))
			return true;
	return str_has_prefix(o, "x-") || str_has_prefix(o, "comment=");
}

static bool has_option(const char *list, const char *o)
{
	size_t n = strlen(o);

	for (const char *p = list; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && !strncmp(p, o, n))
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

bool vmimage_options_match(const char *asked, const char *shown,
			   char *ret_missing, size_t len)
{
	_cleanup_free_ char *copy = strdup(asked ? asked : "");
	char *save = NULL;

	if (!copy)
		return false;
	for (char *o = strtok_r(copy, ",", &save); o;
	     o = strtok_r(NULL, ",", &save)) {
		bool ok;

		if (userspace_option(o))
			continue;
		if (!strcmp(o, "dax") || !strcmp(o, "dax=always"))
			ok = has_option(shown, "dax") ||
			     has_option(shown, "dax=always");
		else if (!strcmp(o, "noload") || !strcmp(o, "norecovery"))
			ok = has_option(shown, "noload") ||
			     has_option(shown, "norecovery");
		else
			ok = has_option(shown, o);
		if (!ok) {
			snprintf(ret_missing, len, "%s", o);
			return false;
		}
	}
	return true;
}

/* The last /proc/mounts entry on where: fields 1, 3, 4. */
static bool find_mount(const char *mounts, const char *where, char *what,
		       size_t wlen, char *type, size_t tlen, char *opts,
		       size_t olen)
{
	bool found = false;

	for (const char *l = mounts; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char line[2048], f1[512], f2[512], f3[64], f4[1024];

		snprintf(line, sizeof(line), "%.*s", (int)len, l);
		if (sscanf(line, "%511s %511s %63s %1023s", f1, f2, f3, f4) ==
			    4 &&
		    !strcmp(f2, where)) {
			snprintf(what, wlen, "%s", f1);
			snprintf(type, tlen, "%s", f3);
			snprintf(opts, olen, "%s", f4);
			found = true;
		}
		l = nl ? nl + 1 : NULL;
	}
	return found;
}

static const struct vmimage_unit *find_unit(const struct vmimage_report *r,
					    const char *name)
{
	for (size_t i = 0; i < r->n_units; i++)
		if (!strcmp(r->units[i].name, name))
			return &r->units[i];
	return NULL;
}

/* The messages of result.json's v1.KEY list, "; "-separated. */
static void json_list(struct json_object *v1, const char *key, char *buf,
		      size_t len)
{
	struct json_object *errs;

	if (!json_object_object_get_ex(v1, key, &errs) ||
	    !json_object_is_type(errs, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(errs); i++) {
		const char *e = json_object_get_string(
			json_object_array_get_idx(errs, i));
		char one[400];

		snprintf(one, sizeof(one), "%s", e ? e : "?");
		for (char *p = one; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		add(buf, len, "%s", one);
	}
}

/*
 * cloud-init's errors from result.json; recoverable ones (cloud-init
 * 23.4 and later: a dict of level -> messages) into warn.
 */
static bool cloud_init_result(const char *result, char *errs, size_t elen,
			      char *warn, size_t wlen)
{
	struct json_object *j = result ? json_tokener_parse(result) : NULL;
	struct json_object *v1, *rec;

	errs[0] = warn[0] = 0;
	if (!j)
		return false;
	if (!json_object_object_get_ex(j, "v1", &v1)) {
		json_object_put(j);
		return false;
	}
	json_list(v1, "errors", errs, elen);
	if (json_object_object_get_ex(v1, "recoverable_errors", &rec) &&
	    json_object_is_type(rec, json_type_object)) {
		json_object_object_foreach(rec, level, list)
		{
			(void)list;
			json_list(rec, level, warn, wlen);
		}
	}
	json_object_put(j);
	return true;
}

static void check_cloud_init(const struct vmimage_report *r, struct error *err,
			     char *warn, size_t warnlen, int *problems)
{
	char errors[1024], recoverable[1024];

	if (!strcmp(r->cloud_init, "done")) {
		if (!cloud_init_result(r->result, errors, sizeof(errors),
				       recoverable, sizeof(recoverable))) {
			add(err->msg, sizeof(err->msg),
			    "cloud-init finished, but its result.json cannot be read");
		} else if (errors[0]) {
			add(err->msg, sizeof(err->msg),
			    "cloud-init finished with errors: %s", errors);
		} else {
			if (recoverable[0])
				add(warn, warnlen,
				    "cloud-init finished degraded: %s",
				    recoverable);
			return;
		}
	} else if (!strcmp(r->cloud_init, "timeout")) {
		add(err->msg, sizeof(err->msg),
		    "cloud-init did not finish in time (no /run/cloud-init/result.json)");
	} else if (!strcmp(r->cloud_init, "disabled")) {
		add(err->msg, sizeof(err->msg),
		    "cloud-init is disabled in the guest: it found no seed (a vfat or ISO 9660 disk labelled cidata)");
	} else {
		add(err->msg, sizeof(err->msg),
		    "the image has no cloud-init: the seed was not applied");
	}
	(*problems)++;
}

static void check_mounts(const struct lab_config *c, const struct vm_config *vm,
			 const struct vmimage_report *r, struct error *err,
			 FILE *mounts, int *problems)
{
	for (size_t i = 0; i < c->n_shares; i++) {
		const struct share_config *s = &c->shares[i];
		_cleanup_free_ char *what = NULL, *opts = NULL;
		_cleanup_free_ char *where = NULL, *unit = NULL;
		char mwhat[512], mtype[64], mopts[1024], missing[128];
		char why[256] = ""; /* for DAXLAB-MOUNT-FAILED */
		const struct vmimage_unit *u;
		const char *type;

		if (cloudinit_share_mount(c, vm, i, &what, &type, &opts) < 0)
			continue;
		where = cloudinit_mount_where(s->mount);
		unit = cloudinit_mount_unit(s->mount);
		if (!where || !unit)
			continue;
		u = find_unit(r, unit);
		if (!find_mount(r->mounts, where, mwhat, sizeof(mwhat), mtype,
				sizeof(mtype), mopts, sizeof(mopts))) {
			add(err->msg, sizeof(err->msg),
			    "share %s (%s %s) is not mounted on %s (%s: %s%s%s)",
			    s->name, type, what, where, unit,
			    u ? u->state : "not reported",
			    u && u->log[0] ? ": " : "", u ? u->log : "");
			snprintf(why, sizeof(why), "not mounted");
		} else if (strcmp(mtype, type)) {
			add(err->msg, sizeof(err->msg),
			    "share %s: %s is a %s mount (%s), not %s %s",
			    s->name, where, mtype, mwhat, type, what);
			snprintf(why, sizeof(why), "%s, not %s", mtype, type);
		} else if (!vmimage_options_match(opts, mopts, missing,
						  sizeof(missing))) {
			add(err->msg, sizeof(err->msg),
			    "share %s is mounted on %s without '%s' (asked %s; mounted %s %s)",
			    s->name, where, missing, opts, mtype, mopts);
			snprintf(why, sizeof(why), "mounted without %s",
				 missing);
		}
		if (why[0]) {
			fprintf(mounts, "DAXLAB-MOUNT-FAILED %s: %s\n", where,
				why);
			(*problems)++;
		} else {
			fprintf(mounts, "DAXLAB-MOUNT-OK %s %s %s\n", where,
				mtype, mopts);
		}
	}
}

static void check_fio(const struct vmimage_report *r, const char *host_fio,
		      struct error *err, int *problems)
{
	const struct vmimage_unit *u = find_unit(r, CLOUDINIT_FIO_UNIT);

	if (!r->fio_path[0])
		add(err->msg, sizeof(err->msg),
		    "fio is not installed in the guest: put it in the image (daxlab guest image does; apt-get install fio in one of your own); a guest without a way out cannot fetch it");
	else if (host_fio && strcmp(r->fio_version, host_fio))
		add(err->msg, sizeof(err->msg),
		    "fio in the guest (%s) is %s, the host's is %s: fio's client and server must be the same version (build the image for the host's release, or install the same fio on both)",
		    r->fio_path, r->fio_version[0] ? r->fio_version : "?",
		    host_fio);
	else if (u && strcmp(u->state, "active"))
		add(err->msg, sizeof(err->msg), "the fio server (%s) is %s%s%s",
		    CLOUDINIT_FIO_UNIT, u->state, u->log[0] ? ": " : "",
		    u->log);
	else
		return;
	(*problems)++;
}

int vmimage_check(const struct lab_config *c, const struct vm_config *vm,
		  const struct vmimage_report *r, const char *host_fio,
		  struct error *err, char *warn, size_t warnlen,
		  char **ret_mounts)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mounts = open_memstream(&buf, &len);
	int problems = 0;

	if (!mounts)
		return -ENOMEM;
	err->msg[0] = 0;
	if (warn && warnlen)
		warn[0] = 0;
	check_fio(r, host_fio, err, &problems);
	/* the guest did not wait for cloud-init: its fio is wrong already */
	if (strcmp(r->cloud_init, "skipped")) {
		check_cloud_init(r, err, warn, warnlen, &problems);
		check_mounts(c, vm, r, err, mounts, &problems);
	}
	if (fclose(mounts) != 0 || !buf) {
		free(buf);
		return -ENOMEM;
	}
	*ret_mounts = buf;
	return problems;
}

/*
 * Runs argv with stdin from in, collecting stdout and stderr, until it
 * exits, the deadline passes or *interrupted is set (then it is killed:
 * -ETIMEDOUT, -EINTR).
 */
static int run_until_fd(const char *const *argv, int in, int64_t deadline_ns,
			const volatile sig_atomic_t *interrupted,
			char **ret_out, int *ret_status)
{
	int pipefd[2] = { -1, -1 };
	struct spawn_opts o;
	pid_t pid;
	int r;

	*ret_out = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	spawn_opts_init(&o, argv);
	o.fd_in = in;
	o.fd_out = pipefd[1];
	o.fd_err = pipefd[1];
	o.new_session = true;
	r = spawn(&o, &pid);
	close(pipefd[1]);
	if (r < 0) {
		close(pipefd[0]);
		return r;
	}
	/* 4 MiB: more than the script ever prints */
	return spawn_collect(pipefd[0], pid, 4u << 20, deadline_ns, interrupted,
			     ret_out, ret_status);
}

/* run_until_fd() with stdin_text on its stdin. */
static int run_until(const char *const *argv, const char *stdin_text,
		     int64_t deadline_ns,
		     const volatile sig_atomic_t *interrupted, char **ret_out,
		     int *ret_status)
{
	_cleanup_close_ int in = memfd_create("daxlab-ready", MFD_CLOEXEC);
	int r;

	*ret_out = NULL;
	if (in < 0)
		return -errno;
	r = write_all(in, stdin_text, strlen(stdin_text));
	if (r < 0)
		return r;
	if (lseek(in, 0, SEEK_SET) < 0)
		return -errno;
	return run_until_fd(argv, in, deadline_ns, interrupted, ret_out,
			    ret_status);
}

int vmimage_wait_ready(struct vmimage_ready *rd, struct error *err)
{
	const struct vm_config *vm = rd->vm;
	const char *const ssh[] = { "ssh",    "-F", rd->ssh_config, "-T",
				    vm->name, "sh", "-s",	    "--" };
	int64_t left_s = (rd->deadline_ns - now_monotonic_ns()) / 1000000000;
	_cleanup_free_ char *out = NULL, *mounts = NULL, *host = NULL;
	_cleanup_free_ char *probe = NULL;
	struct fiofwd fw = { 0 };
	struct vmimage_report rep;
	struct strv b = { 0 };
	char host_fio[128], *hf = host_fio;
	struct error why = { 0 };
	_cleanup_strv_ char **args = NULL, **argv = NULL;
	int r, status = -1, problems;

	rd->warn[0] = 0;
	if (fiover_host(rd->fio, host_fio, sizeof(host_fio), &why) < 0)
		hf = NULL; /* no host fio to compare with: run says so */
	/* leave time to read the report after cloud-init's wait */
	r = vmimage_ready_args(rd->c, vm,
			       left_s > 15 ? (unsigned)left_s - 10 : 5, hf,
			       &args);
	if (r < 0)
		return err_fail(err, r,
				"a share's mount point makes no unit name");
	for (size_t i = 0; i < ARRAY_SIZE(ssh); i++)
		strv_push(&b, ssh[i]);
	/* ssh hands the words to a remote shell: quote each */
	for (size_t i = 0; args[i]; i++) {
		_cleanup_free_ char *q = shell_quote(args[i]);

		if (!q)
			b.err = -ENOMEM;
		else
			strv_push(&b, q);
	}
	argv = strv_steal(&b);
	if (!argv)
		return -ENOMEM;
	r = run_until((const char *const *)argv, vmimage_ready_script,
		      rd->deadline_ns, rd->interrupted, &out, &status);
	if (r == -ETIMEDOUT || r == -EINTR)
		return err_fail(
			err, r,
			r == -EINTR ?
				"interrupted while checking the guest" :
				"the guest's check over ssh did not end in time");
	if (r < 0)
		return err_fail(err, r, "ssh %s: %s", vm->name, strerror(-r));
	r = vmimage_parse_report(out, &rep);
	if (r < 0)
		return r;
	if (!rep.complete) {
		out[strcspn(out, "\n")] = 0;
		err_set(err,
			"the check over ssh ended early (ssh exit status %d): %s",
			status, *out ? out : "no output");
		vmimage_report_free(&rep);
		return -EIO;
	}
	problems = vmimage_check(rd->c, vm, &rep, hf, err, rd->warn,
				 sizeof(rd->warn), &mounts);
	vmimage_report_free(&rep);
	if (problems < 0)
		return problems;
	if (rd->mounts_file && mounts &&
	    (r = write_text_file(rd->mounts_file, mounts, 0600, false)) < 0)
		return err_fail(err, r, "%s: %s", rd->mounts_file,
				strerror(-r));
	if (problems)
		return -EIO;

	/* the server's unit is active; a real answer through the forward */
	host = fiofwd_client(rd->c, vm);
	r = fioprobe_job(&probe);
	if (!host || r < 0)
		return err_fail(err, r < 0 ? r : -ENOMEM,
				"cannot write a fio probe job under /tmp");
	r = fiofwd_start(rd->c, &vm, 1, &fw, rd->deadline_ns, rd->interrupted,
			 err);
	while (r == 0 && !fioprobe_answers(rd->fio, host, probe)) {
		if (rd->interrupted && *rd->interrupted) {
			r = err_fail(err, -EINTR,
				     "interrupted while asking the fio server");
		} else if (now_monotonic_ns() >= rd->deadline_ns) {
			r = err_fail(
				err, -ETIMEDOUT,
				"the fio server (%s, on the guest's 127.0.0.1:8765) does not answer fio --client=%s through ssh (does the guest's sshd allow TCP forwarding?)",
				CLOUDINIT_FIO_UNIT, host);
		} else {
			usleep(500000);
		}
	}
	fiofwd_stop(&fw, 1);
	unlink(probe);
	return r;
}

int vmimage_copy_helper(const struct vmimage_ready *rd, const char *helper,
			struct error *err)
{
	_cleanup_close_ int in = open(helper, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *qpath = shell_quote(RS_GUEST_HELPER);
	_cleanup_free_ char *dir = strdup(RS_GUEST_HELPER), *qdir = NULL;
	_cleanup_free_ char *script = NULL, *qscript = NULL, *out = NULL;
	int r, status = -1;

	if (in < 0)
		return err_fail(err, -errno, "%s: %s", helper, strerror(errno));
	if (!qpath || !dir)
		return -ENOMEM;
	*strrchr(dir, '/') = '\0';
	qdir = shell_quote(dir);
	/* the remote shell runs `sh -c SCRIPT`: the script is one word */
	script = qdir ? strdup_printf("mkdir -p %s && cat >%s.new && "
				      "chmod 0755 %s.new && mv -f %s.new %s",
				      qdir, qpath, qpath, qpath, qpath) :
			NULL;
	qscript = script ? shell_quote(script) : NULL;
	if (!qscript)
		return -ENOMEM;
	{
		const char *argv[] = { "ssh", "-F",	    rd->ssh_config,
				       "-T",  rd->vm->name, "sh",
				       "-c",  qscript,	    NULL };

		r = run_until_fd(argv, in, rd->deadline_ns, rd->interrupted,
				 &out, &status);
	}
	if (r < 0)
		return err_fail(err, r, "copying %s into the guest: %s", helper,
				strerror(-r));
	if (status != 0) {
		out[strcspn(out, "\n")] = '\0';
		return err_fail(
			err, -EIO,
			"copying %s to %s in the guest: ssh exit status %d: %s",
			helper, RS_GUEST_HELPER, status,
			*out ? out : "no output");
	}
	return 0;
}
