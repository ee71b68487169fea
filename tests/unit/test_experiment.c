// SPDX-License-Identifier: MIT
/*
 * lib/experiment.c: the driver with fake steps that write what happened
 * into a trace ("b0" step 0 begins, "r0" it runs, "d0" done, "f0" failed,
 * "i0" interrupted, "w2" the undos begin after 2 steps, "u0" undo of
 * step 0 begins, "x0" it runs, "e0" it failed): order, undos in reverse
 * after a failure (the failed step's too), after an interruption and
 * after a complete run, a failed undo reported while the others still
 * run; and an experiment made (its results folder, run.log, what it
 * says) or refused before it has a results folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiment.h"
#include "util.h"

#define N 4

struct fake {
	int fail_run; /* this step's run fails, or -1 */
	int fail_undo; /* this step's undo fails, or -1 */
	int interrupt_in; /* this step's run sets the flag, or -1 */
	volatile sig_atomic_t flag;
	char trace[256];
	char msg[N][64]; /* the last event's message per step */
};

static void trace(struct fake *f, char c, size_t i)
{
	size_t n = strlen(f->trace);

	snprintf(f->trace + n, sizeof(f->trace) - n, "%s%c%zu", n ? " " : "", c,
		 i);
}

#define FAKE_STEP(i)                                                  \
	static int run##i(void *ud, struct error *err)                \
	{                                                             \
		struct fake *f = ud;                                  \
		trace(f, 'r', i);                                     \
		if (f->interrupt_in == i)                             \
			f->flag = SIGINT;                             \
		if (f->fail_run == i) {                               \
			err_set(err, "run %d failed", i);             \
			return -EIO - i;                              \
		}                                                     \
		return 0;                                             \
	}                                                             \
	__attribute__((unused)) static int undo##i(void *ud,          \
						   struct error *err) \
	{                                                             \
		struct fake *f = ud;                                  \
		trace(f, 'x', i);                                     \
		if (f->fail_undo == i) {                              \
			err_set(err, "undo %d failed", i);            \
			return -EIO;                                  \
		}                                                     \
		return 0;                                             \
	}
FAKE_STEP(0)
FAKE_STEP(1)
FAKE_STEP(2)
FAKE_STEP(3)

/* step 2 has nothing to undo */
static const struct step fake_steps[N] = {
	{ "zero", run0, undo0 },
	{ "one", run1, undo1 },
	{ "two", run2, NULL },
	{ NULL, run3, undo3 },
};

static void fake_event(void *ud, size_t i, enum step_event ev, const char *msg)
{
	static const char code[] = {
		[STEP_EV_BEGIN] = 'b',	    [STEP_EV_DONE] = 'd',
		[STEP_EV_FAILED] = 'f',	    [STEP_EV_INTERRUPTED] = 'i',
		[STEP_EV_UNWIND] = 'w',	    [STEP_EV_UNDO] = 'u',
		[STEP_EV_UNDO_FAILED] = 'e'
	};
	struct fake *f = ud;

	assert_non_null(msg);
	trace(f, code[ev], i);
	if (i < N)
		snprintf(f->msg[i], sizeof(f->msg[i]), "%s", msg);
}

static struct steps steps_of(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->fail_run = f->fail_undo = f->interrupt_in = -1;
	return (struct steps){ .v = fake_steps,
			       .n = N,
			       .event = fake_event,
			       .ud = f,
			       .interrupted = &f->flag };
}

static void test_all_steps_in_order_then_undos_in_reverse(void **state)
{
	struct fake f;
	struct steps s = steps_of(&f);

	(void)state;
	assert_int_equal(steps_run(&s), 0);
	assert_string_equal(f.trace, "b0 r0 d0 b1 r1 d1 b2 r2 d2 b3 r3 d3 w4 "
				     "u3 x3 u1 x1 u0 x0");
}

static void test_failure_undoes_what_ran_in_reverse(void **state)
{
	struct fake f;
	struct steps s = steps_of(&f);

	(void)state;
	f.fail_run = 2;
	assert_int_equal(steps_run(&s), -EIO - 2);
	/* step 3 never begins; step 2 failed half-way and has no undo */
	assert_string_equal(f.trace,
			    "b0 r0 d0 b1 r1 d1 b2 r2 f2 w3 u1 x1 u0 x0");
	assert_string_equal(f.msg[2], "run 2 failed");
}

static void test_a_failed_step_is_undone_too(void **state)
{
	struct fake f;
	struct steps s = steps_of(&f);

	(void)state;
	f.fail_run = 1;
	assert_int_equal(steps_run(&s), -EIO - 1);
	assert_string_equal(f.trace, "b0 r0 d0 b1 r1 f1 w2 u1 x1 u0 x0");
}

static void test_failure_of_the_first_step(void **state)
{
	struct fake f;
	struct steps s = steps_of(&f);

	(void)state;
	f.fail_run = 0;
	assert_int_equal(steps_run(&s), -EIO);
	assert_string_equal(f.trace, "b0 r0 f0 w1 u0 x0");
}

static void test_interrupt_stops_before_the_next_step(void **state)
{
	struct fake f;
	struct steps s = steps_of(&f);

	(void)state;
	/* the signal comes while step 1 runs: step 1 ends, 2 never runs */
	f.interrupt_in = 1;
	assert_int_equal(steps_run(&s), -EINTR);
	assert_string_equal(f.trace, "b0 r0 d0 b1 r1 d1 b2 i2 w2 u1 x1 u0 x0");
}

static void test_interrupt_before_the_first_step(void **state)
{
	struct fake f;
	struct steps s = steps_of(&f);

	(void)state;
	f.flag = SIGTERM;
	assert_int_equal(steps_run(&s), -EINTR);
	assert_string_equal(f.trace, "b0 i0 w0");
}

static void test_a_failed_undo_is_reported_and_the_rest_run(void **state)
{
	struct fake f;
	struct steps s = steps_of(&f);

	(void)state;
	f.fail_run = 3;
	f.fail_undo = 3;
	assert_int_equal(steps_run(&s), -EIO - 3);
	assert_string_equal(f.trace, "b0 r0 d0 b1 r1 d1 b2 r2 d2 b3 r3 f3 w4 "
				     "u3 x3 e3 u1 x1 u0 x0");
	assert_string_equal(f.msg[3], "undo 3 failed");

	s = steps_of(&f);
	f.fail_undo = 1;
	assert_int_equal(steps_run(&s), 0);
	assert_string_equal(f.trace, "b0 r0 d0 b1 r1 d1 b2 r2 d2 b3 r3 d3 w4 "
				     "u3 x3 u1 x1 e1 u0 x0");
}

static void test_no_event_callback_and_no_flag(void **state)
{
	struct fake f;
	struct steps s = steps_of(&f);

	(void)state;
	s.event = NULL;
	s.interrupted = NULL;
	f.fail_run = 2;
	assert_int_equal(steps_run(&s), -EIO - 2);
	/* only what the steps themselves traced */
	assert_string_equal(f.trace, "r0 r1 r2 x1 x0");
}

static void say(void *ud, enum experiment_say kind, const char *msg)
{
	(void)ud;
	(void)kind;
	(void)msg;
	fail_msg("nothing to say before a results folder exists");
}

static void test_experiment_refused_without_a_config(void **state)
{
	volatile sig_atomic_t flag = 0;
	const struct experiment_opts o = { .config = "/nonexistent/lab.ini",
					   .base = "/nonexistent/results",
					   .name = "demo",
					   .interrupted = &flag,
					   .say = say };
	struct experiment *x = (void *)1;
	struct error err = { 0 };

	(void)state;
	assert_true(experiment_new(&o, &x, &err) < 0);
	assert_null(x);
	assert_non_null(strstr(err.msg, "/nonexistent/lab.ini"));
}

struct heard {
	char progress[1024];
	char warning[512];
};

static void hear(void *ud, enum experiment_say kind, const char *msg)
{
	struct heard *h = ud;
	char *to = kind == EXPERIMENT_PROGRESS ? h->progress : h->warning;
	size_t len = kind == EXPERIMENT_PROGRESS ? sizeof(h->progress) :
						   sizeof(h->warning);

	assert_int_not_equal(kind, EXPERIMENT_ERROR);
	strncat(to, msg, len - strlen(to) - 1);
}

static void test_experiment_new_makes_the_results_folder(void **state)
{
	volatile sig_atomic_t flag = 0;
	char tmp[] = "/tmp/daxlab-test-experiment.XXXXXX";
	const char *keys[] = { "private_ratio" }, *vals[] = { "0" };
	struct heard h = { "", "" };
	_cleanup_free_ char *folder = NULL, *status = NULL, *log = NULL;
	_cleanup_free_ char *path = NULL;
	struct experiment_opts o = { .config = FIXTURES "/config/minimal.ini",
				     .name = "demo",
				     .keys = keys,
				     .vals = vals,
				     .n_keys = 1,
				     .interrupted = &flag,
				     .say = hear,
				     .ud = &h };
	struct experiment *x = NULL;
	struct error err = { 0 };

	(void)state;
	assert_non_null(mkdtemp(tmp));
	folder = strdup_printf("%s/run", tmp);
	o.folder = folder;
	assert_int_equal(experiment_new(&o, &x, &err), 0);
	assert_string_equal(x->dir, folder);
	assert_string_equal(x->point, "private_ratio=0");
	/* a set without files gets no I/O: access_ratio follows */
	assert_int_equal(x->c->workload.access_ratio, 0);
	assert_int_equal(x->n_keys, 2);
	assert_string_equal(x->keys[1], "access_ratio");
	assert_non_null(strstr(h.warning, "private_ratio 0: access_ratio"));
	assert_non_null(strstr(h.progress, "s] results in "));
	assert_non_null(strstr(h.progress, ", sweep point private_ratio=0\n"));
	path = strdup_printf("%s/status", folder);
	assert_int_equal(read_full_file(path, 4096, &status, NULL), 0);
	assert_string_equal(status, "running\n");
	free(path);
	path = strdup_printf("%s/run.log", folder);
	assert_int_equal(read_full_file(path, 4096, &log, NULL), 0);
	assert_string_equal(log, h.progress);
	experiment_free(x);
	unlink(path);
	free(path);
	path = strdup_printf("%s/status", folder);
	unlink(path);
	assert_int_equal(rmdir(folder), 0);
	assert_int_equal(rmdir(tmp), 0);
}

static void test_experiment_refused_for_a_bad_sweep_value(void **state)
{
	volatile sig_atomic_t flag = 0;
	const char *keys[] = { "private_ratio" }, *vals[] = { "150" };
	const struct experiment_opts o = {
		.config = FIXTURES "/config/minimal.ini",
		.folder = "/nonexistent/run",
		.name = "demo",
		.keys = keys,
		.vals = vals,
		.n_keys = 1,
		.interrupted = &flag,
		.say = say,
	};
	struct experiment *x = NULL;
	struct error err = { 0 };

	(void)state;
	assert_true(experiment_new(&o, &x, &err) < 0);
	assert_null(x);
	assert_true(strncmp(err.msg, "--sweep: ", 9) == 0);
}

static void test_sweep_value_checked(void **state)
{
	struct lab_config c;
	struct error err = { 0 };

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_true(experiment_set_workload(&c, "private_ratio", "150", &err) <
		    0);
	assert_true(strncmp(err.msg, "--sweep: ", 9) == 0);
	assert_int_equal(
		experiment_set_workload(&c, "private_ratio", "25", &err), 0);
	assert_int_equal(c.workload.private_ratio, 25);
	assert_true(c.has_workload);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_steps_in_order_then_undos_in_reverse),
		cmocka_unit_test(test_failure_undoes_what_ran_in_reverse),
		cmocka_unit_test(test_a_failed_step_is_undone_too),
		cmocka_unit_test(test_failure_of_the_first_step),
		cmocka_unit_test(test_interrupt_stops_before_the_next_step),
		cmocka_unit_test(test_interrupt_before_the_first_step),
		cmocka_unit_test(
			test_a_failed_undo_is_reported_and_the_rest_run),
		cmocka_unit_test(test_no_event_callback_and_no_flag),
		cmocka_unit_test(test_experiment_refused_without_a_config),
		cmocka_unit_test(test_experiment_new_makes_the_results_folder),
		cmocka_unit_test(test_experiment_refused_for_a_bad_sweep_value),
		cmocka_unit_test(test_sweep_value_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
