// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static void test_panels_axes_and_escaping(void **state)
{
	struct svg_point a[] = { { 0, 0 }, { 30, 512 << 20 }, { 60, 1 << 30 } };
	struct svg_point b[] = { { 0, 5 }, { 4000, 7 } };
	struct svg_series s1[] = {
		{ .label = "N0", .points = a, .n_points = 3 },
		{ .label = "a<b>&\"c\"",
		  .points = a,
		  .n_points = 1,
		  .dashed = true },
	};
	struct svg_series s2[] = {
		{ .label = "x", .points = b, .n_points = 2 }
	};
	struct svg_panel p[] = {
		{ .title = "host & co",
		  .x = { "time", SVG_UNIT_SECONDS, NULL },
		  .y = { "file", SVG_UNIT_BYTES, NULL },
		  .series = s1,
		  .n_series = 2 },
		{ .title = "vm0",
		  .x = { "time", SVG_UNIT_SECONDS, NULL },
		  .y = { "refaults", SVG_UNIT_PLAIN, "count" },
		  .series = s2,
		  .n_series = 1 },
		{ .title = "empty",
		  .x = { "time", SVG_UNIT_SECONDS, NULL },
		  .y = { "file", SVG_UNIT_BYTES, NULL } },
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(svg_write(f, "t<1>", p, 3, 0), 0);
	fclose(f);
	assert_non_null(
		strstr(buf, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_int_equal(count(buf, "class=\"panel\""), 3);
	assert_int_equal(count(buf, "<polyline"), 3);
	assert_non_null(strstr(buf, "file (GiB)"));
	assert_non_null(strstr(buf, "time (s)"));
	/* 4000 s is shown in minutes, the plain axis with its unit name. */
	assert_non_null(strstr(buf, "time (min)"));
	assert_non_null(strstr(buf, "refaults (count)"));
	assert_non_null(strstr(buf, "a&lt;b&gt;&amp;&quot;c&quot;"));
	assert_non_null(strstr(buf, "host &amp; co"));
	assert_non_null(strstr(buf, "t&lt;1&gt;"));
	assert_non_null(strstr(buf, "stroke-dasharray"));
	assert_null(strstr(buf, "nan"));
	assert_null(strstr(buf, "inf"));
	free(buf);
}

static char *escaped(void (*esc)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	esc(f, s);
	fclose(f);
	return buf;
}

static void test_escape_xml_and_html(void **state)
{
	char *x = escaped(svg_escape, "a'b\"<c>&\x01\td");
	char *h = escaped(svg_escape_html, "a'b\"<c>&\x01\td");

	/* XML: every special character, no control characters but tab */
	assert_string_equal(x, "a&apos;b&quot;&lt;c&gt;&amp;\td");
	/* HTML: the apostrophe and the rest as they are */
	assert_string_equal(h, "a'b&quot;&lt;c&gt;&amp;\x01\td");
	free(x);
	free(h);
}

static void test_nice_step(void **state)
{
	assert_true(svg_nice_step(100, 5) == 20);
	assert_true(svg_nice_step(7, 5) == 2);
	assert_true(fabs(svg_nice_step(0.3, 6) - 0.05) < 1e-12);
	assert_true(svg_nice_step(1000, 5) == 200);
	assert_true(svg_nice_step(5, 5) == 1);
	assert_true(svg_nice_step(0, 5) == 1);
	assert_true(svg_nice_step(-3, 5) == 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_panels_axes_and_escaping),
		cmocka_unit_test(test_escape_xml_and_html),
		cmocka_unit_test(test_nice_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
