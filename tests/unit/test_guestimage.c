// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guestimage.h"
#include "util.h"

static void test_mirror_deb822(void **state)
{
	char *m = NULL;
	struct error err = { 0 };

	(void)state;
	/* disabled, deb-src and non-Debian suites are skipped */
	assert_int_equal(guest_image_mirror(FIXTURES "/apt/deb822", &m, &err),
			 0);
	assert_string_equal(m, "http://deb.debian.org/debian");
	free(m);
}

static void test_mirror_list(void **state)
{
	char *m = NULL;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(guest_image_mirror(FIXTURES "/apt/list", &m, &err), 0);
	assert_string_equal(m, "https://mirror.example/debian");
	free(m);
}

static void test_mirror_none(void **state)
{
	char *m = NULL;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(guest_image_mirror(FIXTURES "/apt/none", &m, &err),
			 -ENOENT);
	assert_null(m);
	assert_non_null(strstr(err.msg, "--mirror"));
	assert_non_null(strstr(err.msg, FIXTURES "/apt/none/sources.list"));
}

static void test_key(void **state)
{
	char a[65], b[65], c[65];

	(void)state;
	guest_image_key("bookworm", a);
	guest_image_key("bookworm", b);
	guest_image_key("trixie", c);
	assert_int_equal(strlen(a), 64);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void test_mbr(void **state)
{
	unsigned char mbr[512], code[500];

	(void)state;
	memset(code, 0xab, sizeof(code));
	guest_image_mbr(mbr, code, sizeof(code), 2048, 131072, 133120, 4194304);
	/* the boot code stops where the disk signature begins */
	assert_int_equal(mbr[439], 0xab);
	assert_int_equal(mbr[440], 0);
	assert_int_equal(mbr[446], 0x80); /* active */
	assert_int_equal(mbr[450], 0x0e); /* FAT16 LBA */
	assert_int_equal(le32(mbr + 454), 2048);
	assert_int_equal(le32(mbr + 458), 131072);
	assert_int_equal(mbr[462], 0);
	assert_int_equal(mbr[466], 0x83);
	assert_int_equal(le32(mbr + 470), 133120);
	assert_int_equal(le32(mbr + 474), 4194304);
	assert_int_equal(mbr[478], 0); /* no third partition */
	assert_int_equal(mbr[510], 0x55);
	assert_int_equal(mbr[511], 0xaa);
}

static void test_syslinux_cfg(void **state)
{
	_cleanup_free_ char *cfg = guest_image_syslinux_cfg();

	(void)state;
	assert_non_null(strstr(cfg, "  LINUX /vmlinuz\n"));
	assert_non_null(strstr(cfg, "  INITRD /initrd.img\n"));
	assert_non_null(strstr(cfg, "root=LABEL=daxlab-root rw console=ttyS0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mirror_deb822),
		cmocka_unit_test(test_mirror_list),
		cmocka_unit_test(test_mirror_none),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_mbr),
		cmocka_unit_test(test_syslinux_cfg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
