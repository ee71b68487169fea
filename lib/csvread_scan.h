/* SPDX-License-Identifier: MIT */
/*
 * The hot loop of lib/csvread.c, included there once per instruction set:
 * SCAN(name) names this copy's functions, SEP_MASK is its separator finder.
 * Not a public header.
 */

/* The next separator's offset; END at the end or at a stray byte. */
static inline __attribute__((always_inline)) uint32_t
SCAN(next_sep)(struct cursor *c)
{
	uint32_t at;

	while (__builtin_expect(!c->m, 0)) {
		uint64_t b;

		if (c->next >= c->len)
			return END;
		c->m = SEP_MASK(c->buf + c->next, &b);
		if (c->len - c->next < 64) {
			uint64_t keep = (1ull << (c->len - c->next)) - 1;

			c->m &= keep;
			b &= keep;
		}
		if (b) {
			c->bad = true;
			c->bad_at = c->next + (uint32_t)__builtin_ctzll(b);
			return END;
		}
		c->base = c->next;
		c->next += 64;
	}
	at = c->base + (uint32_t)__builtin_ctzll(c->m);
	c->m &= c->m - 1;
	return at;
}

/*
 * Scans buf[0, len), whole lines only (buf[len - 1] is '\n'). A line's
 * seven separators are taken first and checked at once (six commas, then
 * a newline), which keeps the loop free of unpredictable branches.
 */
static int SCAN(scan_block)(struct csvread *r, const char *buf, uint32_t len,
			    uint64_t base, csv_row_fn fn, void *userdata)
{
	struct cursor c = { .buf = buf, .len = len };
	uint32_t ls = 0;
	uint64_t rows = 0;
	int k = 0;

	for (;;) {
		uint32_t sep[7], source, stat;
		unsigned got;
		bool ok;

		for (got = 0; got < 7; got++) {
			sep[got] = SCAN(next_sep)(&c);
			if (sep[got] == END)
				break;
		}
		if (__builtin_expect(got < 7, 0)) {
			if (got == 0 && !c.bad)
				break; /* the end of the block */
			k = line_error(r, &c, base, ls, sep, got);
			break;
		}
		ok = (buf[sep[0]] == ',') & (buf[sep[1]] == ',') &
		     (buf[sep[2]] == ',') & (buf[sep[3]] == ',') &
		     (buf[sep[4]] == ',') & (buf[sep[5]] == ',') &
		     (buf[sep[6]] == '\n');
		if (__builtin_expect(!ok, 0)) {
			k = line_error(r, &c, base, ls, sep, 7);
			break;
		}
		rows++;
		k = intern(r, CSV_SOURCE, buf + FIELD(2), FIELD_LEN(2),
			   base + ls, &source);
		if (k < 0)
			break;
		k = intern(r, CSV_STAT, buf + FIELD(3), FIELD_LEN(3), base + ls,
			   &stat);
		if (k < 0)
			break;
		if (r->want_all || (stat < r->want_cap && r->want[stat])) {
			k = do_row(r, buf, base, ls, sep, source, stat, fn,
				   userdata);
			if (k < 0)
				break;
		}
		ls = sep[6] + 1;
	}
	r->rows += rows;
	return k;
}
