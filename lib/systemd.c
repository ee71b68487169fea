// SPDX-License-Identifier: MIT
#include "systemd.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "util.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT "org.freedesktop.systemd1.Unit"
#define SD_PRIVATE "/run/systemd/private"
#define CALL_USEC (10ULL * 1000000)

static const char *why(const sd_bus_error *e, int r)
{
	if (e && e->message)
		return e->message;
	return strerror(r < 0 ? -r : r);
}

bool sysd_booted(const char *dir)
{
	struct stat st;

	return lstat(dir ? dir : "/run/systemd/system", &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.';
}

char *sysd_lab_unit(const char *state_dir)
{
	const size_t max = 96;
	char buf[128];
	size_t n = 0;
	bool lossy = false, slash = true;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	const char *s = state_dir;

	for (const char *p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	while (*s == '/')
		s++;
	for (; *s; s++) {
		char c = *s;

		if (c == '/') {
			/* an empty component ("a//b", "a/") is lossy */
			if (slash || !s[1])
				lossy = true;
			slash = true;
			c = '-';
		} else {
			slash = false;
			if (!name_char(c)) {
				c = '_';
				lossy = true;
			}
		}
		if (n == max) {
			lossy = true;
			break;
		}
		buf[n++] = c;
	}
	if (!n)
		lossy = true;
	buf[n] = 0;
	if (lossy)
		return strdup_printf("daxlab-%s%s%08x.scope", buf, n ? "-" : "",
				     (unsigned)(h ^ (h >> 32)));
	return strdup_printf("daxlab-%s.scope", buf);
}

void sysd_unit_free(struct sysd_unit *u)
{
	free(u->id);
	free(u->active);
	free(u->cgroup);
	memset(u, 0, sizeof(*u));
}

/*
 * PID 1's own socket first when root (what systemctl does: it works
 * without a D-Bus daemon, and trixie's minimal installs have none), else
 * the system bus.
 */
static int bus_open(sd_bus **ret, struct error *err)
{
	sd_bus *b = NULL;
	int r, rp = -ENOENT;

	*ret = NULL;
	if (geteuid() == 0 && access(SD_PRIVATE, F_OK) == 0) {
		rp = sd_bus_new(&b);
		if (rp >= 0)
			rp = sd_bus_set_address(b, "unix:path=" SD_PRIVATE);
		if (rp >= 0)
			rp = sd_bus_start(b);
		if (rp >= 0) {
			*ret = b;
			return 0;
		}
		sd_bus_unref(b);
		b = NULL;
	}
	r = sd_bus_open_system(&b);
	if (r < 0)
		return err_fail(
			err, r,
			"cannot reach systemd: %s: %s; the system bus: %s",
			SD_PRIVATE,
			rp == -ENOENT && geteuid() != 0 ? "only for root" :
							  strerror(-rp),
			strerror(-r));
	*ret = b;
	return 0;
}

#define _cleanup_bus_ __attribute__((cleanup(sd_bus_flush_close_unrefp)))
#define _cleanup_bus_error_ __attribute__((cleanup(sd_bus_error_free)))
#define _cleanup_bus_message_ __attribute__((cleanup(sd_bus_message_unrefp)))

/* The D-Bus interface that carries ControlGroup and Delegate for a unit. */
static const char *unit_iface(const char *id)
{
	static const char *const types[][2] = {
		{ ".scope", "org.freedesktop.systemd1.Scope" },
		{ ".service", "org.freedesktop.systemd1.Service" },
		{ ".slice", "org.freedesktop.systemd1.Slice" },
		{ ".socket", "org.freedesktop.systemd1.Socket" },
		{ ".mount", "org.freedesktop.systemd1.Mount" },
		{ ".swap", "org.freedesktop.systemd1.Swap" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (str_has_suffix(id, types[i][0]))
			return types[i][1];
	return NULL;
}

static int read_props(sd_bus *b, const char *path, struct sysd_unit *ret,
		      struct error *err)
{
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *iface;
	_cleanup_free_ char *cg = NULL;
	int r, dlg = 0;

	r = sd_bus_get_property_string(b, SD_DEST, path, SD_UNIT, "Id", &e,
				       &ret->id);
	if (r >= 0)
		r = sd_bus_get_property_string(b, SD_DEST, path, SD_UNIT,
					       "ActiveState", &e, &ret->active);
	if (r < 0)
		return err_fail(err, r, "systemd: properties of %s: %s", path,
				why(&e, r));
	iface = unit_iface(ret->id);
	if (!iface)
		return 0;
	r = sd_bus_get_property_string(b, SD_DEST, path, iface, "ControlGroup",
				       &e, &cg);
	if (r >= 0)
		r = sd_bus_get_property_trivial(b, SD_DEST, path, iface,
						"Delegate", &e, 'b', &dlg);
	if (r < 0)
		return err_fail(err, r,
				"systemd: ControlGroup or Delegate of %s: %s",
				ret->id, why(&e, r));
	ret->delegate = dlg;
	if (cg && *cg) {
		const char *rel = cg;

		while (*rel == '/')
			rel++;
		ret->cgroup = strdup(rel);
		if (!ret->cgroup)
			return -ENOMEM;
	}
	return 0;
}

/* method(arg) -> o, then its properties; NoSuchUnit: not there. */
static int unit_lookup(sd_bus *b, const char *method, const char *arg,
		       struct sysd_unit *ret, struct error *err)
{
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_bus_message_ sd_bus_message *reply = NULL;
	const char *path;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = sd_bus_call_method(b, SD_DEST, SD_PATH, SD_MANAGER, method, &e,
			       &reply, "s", arg);
	if (r < 0) {
		bool none = sd_bus_error_has_name(
			&e, "org.freedesktop.systemd1.NoSuchUnit");

		if (!none)
			r = err_fail(err, r, "systemd: %s %s: %s", method, arg,
				     why(&e, r));
		return none ? 0 : r;
	}
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		return err_fail(err, r, "systemd: %s %s: bad reply", method,
				arg);
	ret->exists = true;
	r = read_props(b, path, ret, err);
	if (r < 0)
		sysd_unit_free(ret);
	return r;
}

/* unit_lookup() on a bus of its own (arg NULL: out of memory). */
static int bus_unit_lookup(const char *method, const char *arg,
			   struct sysd_unit *ret, struct error *err)
{
	_cleanup_bus_ sd_bus *b = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!arg)
		return -ENOMEM;
	r = bus_open(&b, err);
	if (r < 0)
		return r;
	return unit_lookup(b, method, arg, ret, err);
}

int sysd_unit_get(const char *name, struct sysd_unit *ret, struct error *err)
{
	return bus_unit_lookup("GetUnit", name, ret, err);
}

int sysd_unit_by_cgroup(const char *cgroup, struct sysd_unit *ret,
			struct error *err)
{
	_cleanup_free_ char *abs = strdup_printf("/%s", cgroup);

	return bus_unit_lookup("GetUnitByControlGroup", abs, ret, err);
}

struct job_wait {
	const char *path; /* in the reply of StartTransientUnit */
	bool done;
	char result[32];
};

static int on_job_removed(sd_bus_message *m, void *ud, sd_bus_error *e)
{
	struct job_wait *w = ud;
	const char *path, *unit, *result;
	uint32_t id;

	(void)e;
	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (w->path && !strcmp(path, w->path)) {
		w->done = true;
		snprintf(w->result, sizeof(w->result), "%s", result);
	}
	return 0;
}

static int append_props(sd_bus_message *m, const char *slice,
			const char *description, pid_t pid)
{
	int r;

	r = sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)", "Description", "s",
					  description);
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)", "Slice", "s", slice);
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)", "Delegate", "b", 1);
	/* a scope that failed is collected too, and leaves no unit */
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)", "CollectMode", "s",
					  "inactive-or-failed");
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1,
					  (uint32_t)pid);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	/* no auxiliary units */
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sa(sv))", 0);
	return r;
}

int sysd_scope_start(const char *name, const char *slice,
		     const char *description, pid_t pid, unsigned timeout_ms,
		     struct error *err)
{
	_cleanup_bus_ sd_bus *b = NULL;
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
	__attribute__((cleanup(sd_bus_slot_unrefp))) sd_bus_slot *slot = NULL;
	struct job_wait w = { 0 };
	int64_t end;
	int r;

	r = bus_open(&b, err);
	if (r < 0)
		return r;
	/* before the call: the job may end before its reply is read */
	r = sd_bus_match_signal(b, &slot, SD_DEST, SD_PATH, SD_MANAGER,
				"JobRemoved", on_job_removed, &w);
	if (r < 0)
		return err_fail(err, r,
				"systemd: cannot watch for JobRemoved: %s",
				strerror(-r));
	r = sd_bus_message_new_method_call(b, &m, SD_DEST, SD_PATH, SD_MANAGER,
					   "StartTransientUnit");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", name, "fail");
	if (r >= 0)
		r = append_props(m, slice, description, pid);
	if (r < 0)
		return err_fail(err, r,
				"systemd: cannot build StartTransientUnit: %s",
				strerror(-r));
	r = sd_bus_call(b, m, CALL_USEC, &e, &reply);
	if (r < 0) {
		bool exists = sd_bus_error_has_name(
			&e, "org.freedesktop.systemd1.UnitExists");

		return err_fail(
			err, exists ? -EEXIST : r,
			"systemd refused a transient scope %s (StartTransientUnit): %s",
			name, why(&e, r));
	}
	r = sd_bus_message_read(reply, "o", &w.path);
	if (r < 0)
		return err_fail(err, r,
				"systemd: StartTransientUnit %s: bad reply",
				name);
	end = now_monotonic_ns() + (int64_t)timeout_ms * 1000000;
	while (!w.done) {
		int64_t left = end - now_monotonic_ns();

		r = sd_bus_process(b, NULL);
		if (r < 0)
			return err_fail(
				err, r,
				"systemd: waiting for the job of %s: %s", name,
				strerror(-r));
		if (r > 0)
			continue;
		if (left <= 0)
			return err_fail(
				err, -ETIMEDOUT,
				"systemd: the job starting %s did not finish in %u ms",
				name, timeout_ms);
		r = sd_bus_wait(b, (uint64_t)left / 1000);
		if (r < 0 && r != -EINTR)
			return err_fail(
				err, r,
				"systemd: waiting for the job of %s: %s", name,
				strerror(-r));
	}
	if (strcmp(w.result, "done"))
		return err_fail(
			err, -EIO,
			"systemd: the job starting %s ended '%s', not 'done' (journalctl -u %s)",
			name, w.result, name);
	return 0;
}

int sysd_unit_wait_gone(const char *name, unsigned timeout_ms,
			struct error *err)
{
	_cleanup_bus_ sd_bus *b = NULL;
	int64_t end = now_monotonic_ns() + (int64_t)timeout_ms * 1000000;
	int r;

	r = bus_open(&b, err);
	if (r < 0)
		return r;
	for (;;) {
		struct sysd_unit u;

		r = unit_lookup(b, "GetUnit", name, &u, err);
		if (r < 0)
			return r;
		if (!u.exists)
			return 0;
		sysd_unit_free(&u);
		if (now_monotonic_ns() >= end)
			return err_fail(
				err, -ETIMEDOUT,
				"systemd: %s is still loaded after %u ms", name,
				timeout_ms);
		usleep(20000);
	}
}

int sysd_unit_stop(const char *name, struct error *err)
{
	_cleanup_bus_ sd_bus *b = NULL;
	_cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	r = bus_open(&b, err);
	if (r < 0)
		return r;
	r = sd_bus_call_method(b, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit", &e,
			       NULL, "ss", name, "fail");
	if (r < 0 &&
	    !sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit"))
		return err_fail(err, r, "systemd: StopUnit %s: %s", name,
				why(&e, r));
	/* a unit that is gone has no failed state to reset: not an error */
	(void)sd_bus_call_method(b, SD_DEST, SD_PATH, SD_MANAGER,
				 "ResetFailedUnit", NULL, NULL, "s", name);
	return 0;
}
