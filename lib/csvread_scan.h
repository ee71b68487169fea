/* SPDX-License-Identifier: MIT */
/*
 * The hot loop of lib/csvread.c, included there once per instruction set:
 * SCAN(name) names this copy's functions, WINDOW is its 64-byte
 * separator finder and EQ_SPAN its comparison of short byte strings. Not a public header.
 * It undefines the three at its end, ready for the next copy.
 */

/*
 * Scans buf[0, len), whole lines only (buf[len - 1] is '\n'), a line at a
 * time: one 64-byte window from the line's start (two for lines of 64 to
 * 127 bytes) gives its newline and commas as bit masks, so a line costs a
 * few vector compares and bit operations, and no loop over its bytes.
 * Source and stat are looked up only when the line's "source,stat" is
 * neither the last line's nor the one that came after that last time
 * (struct pair); numbers are parsed only in rows of a wanted stat.
 */
static int SCAN(scan_block)(struct csvread *r, const char *buf, uint32_t len,
			    uint64_t base, csv_row_fn fn, void *userdata)
{
	const struct pair *pr = pair_at(r, r->cur_pair);
	uint32_t ls = 0;
	uint64_t rows = 0;
	int k = 0;

	while (ls < len) {
		const char *p = buf + ls;
		uint32_t sep[7], nl, s1, s2, s3, span;
		uint64_t c0, n0, c1, n1, below, lo, hi = 0;
		bool x0, x1;

		WINDOW(p, &c0, &n0, &x0);
		if (__builtin_expect(n0 != 0, 1)) {
			below = (n0 & (0 - n0)) - 1;
			nl = ctz64(n0);
			if (__builtin_expect(x0, 0) &&
			    (stray_bits(p) & below)) {
				k = stray_byte(r, p, base + ls,
					       ctz64(stray_bits(p) & below));
				break;
			}
			lo = c0 & below;
		} else {
			WINDOW(p + 64, &c1, &n1, &x1);
			if (__builtin_expect(!n1, 0)) {
				k = long_line(r, p, base + ls, sep, &nl);
				if (k < 0)
					break;
				lo = 0;
				s1 = sep[1];
				s2 = sep[2];
				s3 = sep[3];
				goto names;
			}
			below = (n1 & (0 - n1)) - 1;
			nl = 64 + ctz64(n1);
			if (__builtin_expect(x0, 0) && stray_bits(p)) {
				k = stray_byte(r, p, base + ls,
					       ctz64(stray_bits(p)));
				break;
			}
			if (__builtin_expect(x1, 0) &&
			    (stray_bits(p + 64) & below)) {
				k = stray_byte(
					r, p, base + ls,
					64 + ctz64(stray_bits(p + 64) & below));
				break;
			}
			lo = c0;
			hi = c1 & below;
		}
		if (__builtin_expect(popcount64(lo) + popcount64(hi) != 6, 0)) {
			k = field_count(r, base + ls,
					popcount64(lo) + popcount64(hi));
			break;
		}
		if (__builtin_expect(popcount64(lo) >= 4, 1)) {
			uint64_t x = lo & (lo - 1);

			s1 = ctz64(x);
			x &= x - 1;
			s2 = ctz64(x);
			x &= x - 1;
			s3 = ctz64(x);
		} else {
			u128 x = lo | (u128)hi << 64;

			x &= x - 1;
			s1 = ctz128(x);
			x &= x - 1;
			s2 = ctz128(x);
			x &= x - 1;
			s3 = ctz128(x);
		}
	names:
		rows++;
		span = s3 - s1 - 1;
		if (__builtin_expect(
			    span != pr->len ||
				    !EQ_SPAN(p + s1 + 1, pr->bytes, span),
			    0)) {
			uint32_t nx = pr->next;

			if (nx != NONE && span == r->pairs[nx].len &&
			    EQ_SPAN(p + s1 + 1, r->pairs[nx].bytes, span)) {
				r->cur_pair = nx;
			} else {
				k = pair_slow(r, p + s1 + 1, s2 - s1 - 1,
					      s3 - s2 - 1, base + ls);
				if (k < 0)
					break;
			}
			pr = pair_at(r, r->cur_pair);
		}
		if (pr->wanted) {
			if (nl < 128) { /* else long_line() filled sep */
				u128 x = lo | (u128)hi << 64;

				for (int i = 0; i < 6; i++) {
					sep[i] = ctz128(x);
					x &= x - 1;
				}
				sep[6] = nl;
			}
			k = do_row(r, p, base + ls, sep, pr->source, pr->stat,
				   fn, userdata);
			if (k < 0)
				break;
		}
		ls += nl + 1;
	}
	r->rows += rows;
	return k;
}

#undef SCAN
#undef WINDOW
#undef EQ_SPAN
