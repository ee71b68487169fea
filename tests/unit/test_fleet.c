// SPDX-License-Identifier: MIT
/*
 * lib/fleet.c with fake starts and stops (each in its child, as the real
 * ones): all up; a failed start of member k stops the ones that came up
 * and leaves k alone, in the rollback and in a later fleet_stop(); an interruption stops every one, a start killed
 * half-way too; a failed stop is that member's alone; too many members
 * start nothing. What happened is read from the events, per member.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fleet.h"

#define N 5

struct fake {
	int fail_start; /* this member's start fails, or -1 */
	int block_start; /* this member's start waits for a signal, or -1 */
	int fail_stop; /* this member's stop fails, or -1 */
	size_t interrupt_after_up; /* set *flag once this many are up */
	volatile sig_atomic_t flag;
	/* per member: how many of each event, the last message */
	unsigned ev[N][FLEET_EV_STOP_FAILED + 1];
	char msg[N][64];
	size_t n_up;
	const enum fleet_state *st; /* the caller's states, if checked */
};

static int fake_start(void *ud, size_t i, char *msg, size_t len)
{
	struct fake *f = ud;

	if ((int)i == f->block_start)
		for (;;)
			pause(); /* SIGTERM's default action ends it */
	if ((int)i == f->fail_start) {
		snprintf(msg, len, "start %zu failed", i);
		return -EIO;
	}
	return 0;
}

static int fake_stop(void *ud, size_t i, char *msg, size_t len)
{
	struct fake *f = ud;

	if ((int)i == f->fail_stop) {
		snprintf(msg, len, "stop %zu failed", i);
		return -EIO;
	}
	snprintf(msg, len, "stopped %zu", i);
	return 0;
}

static void fake_event(void *ud, size_t i, enum fleet_event ev, const char *msg)
{
	struct fake *f = ud;

	assert_true(i < N);
	assert_non_null(msg);
	f->ev[i][ev]++;
	snprintf(f->msg[i], sizeof(f->msg[i]), "%s", msg);
	/* the event comes with the state already the new one */
	if (f->st && ev == FLEET_EV_STARTING)
		assert_int_equal(f->st[i], FLEET_STARTING);
	if (f->st && ev == FLEET_EV_UP)
		assert_int_equal(f->st[i], FLEET_UP);
	if (f->st && ev == FLEET_EV_FAILED)
		assert_int_equal(f->st[i], FLEET_FAILED);
	if (f->st && ev == FLEET_EV_STOPPED)
		assert_int_equal(f->st[i], FLEET_DOWN);
	if (ev == FLEET_EV_UP && ++f->n_up == f->interrupt_after_up)
		f->flag = 1;
}

static struct fleet fleet_of(struct fake *fk, size_t n)
{
	memset(fk, 0, sizeof(*fk));
	fk->fail_start = fk->block_start = fk->fail_stop = -1;
	return (struct fleet){ .n = n,
			       .start = fake_start,
			       .stop = fake_stop,
			       .event = fake_event,
			       .ud = fk,
			       .interrupted = &fk->flag };
}

static void test_all_up_then_stopped(void **state)
{
	struct fake fk;
	struct fleet f = fleet_of(&fk, N);
	enum fleet_state st[N];

	(void)state;
	assert_int_equal(fleet_start(&f, st), 0);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(st[i], FLEET_UP);
		assert_int_equal(fk.ev[i][FLEET_EV_STARTING], 1);
		assert_int_equal(fk.ev[i][FLEET_EV_UP], 1);
		assert_int_equal(fk.ev[i][FLEET_EV_FAILED], 0);
		assert_int_equal(fk.ev[i][FLEET_EV_ROLLBACK], 0);
		assert_int_equal(fk.ev[i][FLEET_EV_STOPPED], 0);
	}
	assert_int_equal(fleet_stop(&f, st), 0);
	for (size_t i = 0; i < N; i++) {
		char want[32];

		assert_int_equal(st[i], FLEET_DOWN);
		assert_int_equal(fk.ev[i][FLEET_EV_STOPPED], 1);
		snprintf(want, sizeof(want), "stopped %zu", i);
		assert_string_equal(fk.msg[i], want);
	}
}

static void test_failed_start_stops_the_others(void **state)
{
	struct fake fk;
	struct fleet f = fleet_of(&fk, N);
	enum fleet_state st[N];

	(void)state;
	fk.fail_start = 2;
	fk.st = st;
	assert_int_equal(fleet_start(&f, st), -EIO);
	for (size_t i = 0; i < N; i++) {
		if (i == 2) {
			/* undone by itself: reported, not stopped */
			assert_int_equal(st[i], FLEET_FAILED);
			assert_int_equal(fk.ev[i][FLEET_EV_FAILED], 1);
			assert_int_equal(fk.ev[i][FLEET_EV_ROLLBACK], 0);
			assert_int_equal(fk.ev[i][FLEET_EV_STOPPED], 0);
			assert_string_equal(fk.msg[i], "start 2 failed");
			continue;
		}
		/* every other one ran to its end, and was stopped again */
		assert_int_equal(st[i], FLEET_DOWN);
		assert_int_equal(fk.ev[i][FLEET_EV_UP], 1);
		assert_int_equal(fk.ev[i][FLEET_EV_ROLLBACK], 1);
		assert_int_equal(fk.ev[i][FLEET_EV_STOPPED], 1);
	}
	/*
	 * A caller's teardown after that stops nothing more: not the others
	 * again, and not member 2, whose name may be another's VM now.
	 */
	assert_int_equal(fleet_stop(&f, st), 0);
	assert_int_equal(st[2], FLEET_FAILED);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(fk.ev[i][FLEET_EV_STOPPED], i == 2 ? 0 : 1);
		assert_int_equal(fk.ev[i][FLEET_EV_STOP_FAILED], 0);
	}
}

static void test_interruption_stops_all(void **state)
{
	struct fake fk;
	struct fleet f = fleet_of(&fk, N);
	enum fleet_state st[N];

	(void)state;
	/* member 4 never comes up; the flag is set once the others are */
	fk.block_start = 4;
	fk.interrupt_after_up = N - 1;
	assert_int_equal(fleet_start(&f, st), -EINTR);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(st[i], FLEET_DOWN);
		assert_int_equal(fk.ev[i][FLEET_EV_ROLLBACK], 1);
		assert_int_equal(fk.ev[i][FLEET_EV_STOPPED], 1);
	}
	/* the one killed half-way: reported, and stopped all the same */
	assert_int_equal(fk.ev[4][FLEET_EV_UP], 0);
	assert_int_equal(fk.ev[4][FLEET_EV_FAILED], 1);
}

static void test_interrupted_before_any_start(void **state)
{
	struct fake fk;
	struct fleet f = fleet_of(&fk, N);
	enum fleet_state st[N];

	(void)state;
	fk.flag = 1;
	assert_int_equal(fleet_start(&f, st), -EINTR);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(st[i], FLEET_DOWN);
		assert_int_equal(fk.ev[i][FLEET_EV_STARTING], 0);
		assert_int_equal(fk.ev[i][FLEET_EV_STOPPED], 0);
	}
}

static void test_failed_stop_is_its_own(void **state)
{
	struct fake fk;
	struct fleet f = fleet_of(&fk, N);
	enum fleet_state st[N] = { FLEET_UP, FLEET_DOWN, FLEET_FAILED,
				   FLEET_STARTING, FLEET_UP };

	(void)state;
	fk.fail_stop = 3;
	assert_int_equal(fleet_stop(&f, st), -EIO);
	assert_int_equal(st[0], FLEET_DOWN);
	assert_int_equal(st[1], FLEET_DOWN);
	assert_int_equal(st[2], FLEET_FAILED);
	assert_int_equal(st[3], FLEET_STOP_FAILED);
	assert_int_equal(st[4], FLEET_DOWN);
	/*
	 * A member not started is left alone, and so is a failed start: it
	 * undid itself, and what runs under its name is not ours.
	 */
	assert_int_equal(fk.ev[1][FLEET_EV_STOPPED], 0);
	assert_int_equal(fk.ev[2][FLEET_EV_STOPPED], 0);
	assert_int_equal(fk.ev[3][FLEET_EV_STOP_FAILED], 1);
	assert_string_equal(fk.msg[3], "stop 3 failed");
	assert_int_equal(fk.ev[4][FLEET_EV_STOPPED], 1);
}

static void test_too_many_start_nothing(void **state)
{
	struct fake fk;
	struct fleet f = fleet_of(&fk, N);
	enum fleet_state st[FLEET_MAX + 1];

	(void)state;
	f.n = FLEET_MAX + 1;
	assert_int_equal(fleet_start(&f, st), -E2BIG);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(fk.ev[i][FLEET_EV_STARTING], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_up_then_stopped),
		cmocka_unit_test(test_failed_start_stops_the_others),
		cmocka_unit_test(test_interruption_stops_all),
		cmocka_unit_test(test_interrupted_before_any_start),
		cmocka_unit_test(test_failed_stop_is_its_own),
		cmocka_unit_test(test_too_many_start_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
