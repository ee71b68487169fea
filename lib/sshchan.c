// SPDX-License-Identifier: MIT
#include "sshchan.h"
#include "spawn.h"
#include "strv.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>

#define RX_MAX (64u << 20) /* an answer larger than this is an error */

struct sshchan *sshchan_new(const char *host, const char *ssh_config)
{
	struct sshchan *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->fd_in = ch->fd_out = ch->fd_err = -1;
	ch->host = strdup(host);
	ch->ssh_config = ssh_config ? strdup(ssh_config) : NULL;
	ch->request = strdup("\n");
	ch->tx = malloc(1 + 24);
	if (!ch->host || (ssh_config && !ch->ssh_config) || !ch->request ||
	    !ch->tx) {
		sshchan_free(ch);
		return NULL;
	}
	ch->request_len = 1;
	return ch;
}

void sshchan_free(struct sshchan *ch)
{
	if (!ch)
		return;
	sshchan_close(ch, NULL);
	strv_free(ch->paths);
	free(ch->results);
	free(ch->request);
	free(ch->tx);
	free(ch->rx);
	free(ch->host);
	free(ch->ssh_config);
	free(ch);
}

int sshchan_add_path(struct sshchan *ch, const char *path)
{
	_cleanup_free_ char *q = shell_quote(path);
	_cleanup_free_ char *req = NULL;
	struct sshchan_result *nr;
	char *tx;

	if (ch->command)
		return -EINVAL;
	if (!q)
		return -ENOMEM;
	nr = realloc(ch->results, (ch->n_paths + 1) * sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	ch->results = nr;
	/* " 'p1' 'p2'" + " 'new'" + "\n" */
	req = strdup_printf("%.*s %s\n", (int)(ch->request_len - 1),
			    ch->request, q);
	if (!req)
		return -ENOMEM;
	tx = realloc(ch->tx, strlen(req) + 24);
	if (!tx)
		return -ENOMEM;
	ch->tx = tx;
	if (strv_append(&ch->paths, path) < 0)
		return -ENOMEM;
	free(ch->request);
	ch->request_len = strlen(req);
	ch->request = TAKE_PTR(req);
	return (int)ch->n_paths++;
}

int sshchan_set_command(struct sshchan *ch, const char *const *argv)
{
	_cleanup_free_ char *words = NULL, *line = NULL;
	struct sshchan_result *nr;
	char *tx;

	if (ch->n_paths || ch->state != SSHCHAN_DOWN || !argv[0])
		return -EINVAL;
	/* " 'w1' 'w2'\n" */
	words = shell_join(argv);
	line = words ? strdup_printf(" %s\n", words) : NULL;
	if (!line)
		return -ENOMEM;
	nr = realloc(ch->results, sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	ch->results = nr;
	tx = realloc(ch->tx, strlen(line) + 24);
	if (!tx)
		return -ENOMEM;
	ch->tx = tx;
	free(ch->request);
	ch->request_len = strlen(line);
	ch->request = TAKE_PTR(line);
	ch->command = true;
	return 0;
}

/* Results an answer holds: one per path, or the command's one. */
static size_t n_results(const struct sshchan *ch)
{
	return ch->command ? 1 : ch->n_paths;
}

static void set_error(struct sshchan *ch, const char *why)
{
	if (ch->err_line_len > 0 && !ch->last_error[0]) {
		/* a partial last line of ssh's stderr */
		ch->err_line[ch->err_line_len] = '\0';
		snprintf(ch->last_error, sizeof(ch->last_error), "%s",
			 ch->err_line);
	}
	if (why) {
		char tmp[2 * sizeof(ch->last_error)];

		snprintf(tmp, sizeof(tmp), "%s%s%s%s", why,
			 ch->last_error[0] ? " (" : "", ch->last_error,
			 ch->last_error[0] ? ")" : "");
		tmp[sizeof(ch->last_error) - 1] = '\0';
		memcpy(ch->last_error, tmp, sizeof(ch->last_error));
	}
}

static void drain_stderr(struct sshchan *ch)
{
	char buf[1024];
	ssize_t n;

	if (ch->fd_err < 0)
		return;
	while ((n = read(ch->fd_err, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];

			if (c == '\r')
				continue;
			if (c == '\n') {
				if (ch->err_line_len > 0) {
					ch->err_line[ch->err_line_len] = '\0';
					snprintf(ch->last_error,
						 sizeof(ch->last_error), "%s",
						 ch->err_line);
				}
				ch->err_line_len = 0;
			} else if (ch->err_line_len + 1 <
				   sizeof(ch->err_line)) {
				ch->err_line[ch->err_line_len++] = c;
			}
		}
	}
}

static void closefd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void sshchan_close(struct sshchan *ch, const char *why)
{
	if (ch->state == SSHCHAN_DOWN && ch->pid <= 0)
		return;
	drain_stderr(ch);
	set_error(ch, why);
	closefd(&ch->fd_in);
	closefd(&ch->fd_out);
	closefd(&ch->fd_err);
	if (ch->pid > 0) {
		int st;

		kill(ch->pid, SIGTERM);
		for (int i = 0; i < 100; i++) {
			pid_t r = waitpid(ch->pid, &st, WNOHANG);
			struct timespec ts = { 0, 2000000 };

			if (r == ch->pid || (r < 0 && errno != EINTR))
				break;
			if (i == 99) {
				kill(ch->pid, SIGKILL);
				while (waitpid(ch->pid, &st, 0) < 0 &&
				       errno == EINTR)
					;
				break;
			}
			nanosleep(&ts, NULL);
		}
		ch->pid = 0;
	}
	ch->state = SSHCHAN_DOWN;
	ch->busy = false;
	ch->replied = false;
	ch->rx_len = ch->rx_used = 0;
	ch->page_size = 0;
}

static int make_pipe(int fds[2], bool parent_reads)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	/* only our end is non-blocking */
	if (fcntl(fds[parent_reads ? 0 : 1], F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int send_all(struct sshchan *ch, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(ch->fd_in, s, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* the pipe is full: ssh is stuck */
				return -EAGAIN;
			}
			return -errno;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int sshchan_connect(struct sshchan *ch)
{
	const char *argv[12];
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct spawn_opts o;
	unsigned char rnd[8];
	_cleanup_free_ char *init = NULL;
	size_t a = 0;
	int r;

	sshchan_close(ch, NULL);
	ch->last_error[0] = '\0';
	ch->err_line_len = 0;
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd)) {
		uint64_t x = (uint64_t)now_monotonic_ns() ^ (uint64_t)getpid();

		memcpy(rnd, &x, sizeof(rnd));
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(ch->token + 2 * i, 3, "%02x", rnd[i]);

	argv[a++] = "ssh";
	argv[a++] = "-T";
	argv[a++] = "-o";
	argv[a++] = "BatchMode=yes";
	if (ch->ssh_config) {
		argv[a++] = "-F";
		argv[a++] = ch->ssh_config;
	}
	argv[a++] = ch->host;
	argv[a++] = "sh";
	argv[a] = NULL;

	if ((r = make_pipe(in, false)) < 0 || (r = make_pipe(out, true)) < 0 ||
	    (r = make_pipe(err, true)) < 0)
		goto fail;
	spawn_opts_init(&o, argv);
	o.fd_in = in[0];
	o.fd_out = out[1];
	o.fd_err = err[1];
	o.new_session = true; /* the terminal's ^C is ours to handle */
	o.die_with_parent = true;
	r = spawn(&o, &ch->pid);
	if (r < 0)
		goto fail;
	close(in[0]);
	close(out[1]);
	close(err[1]);
	ch->fd_in = in[1];
	ch->fd_out = out[0];
	ch->fd_err = err[0];
	ch->state = SSHCHAN_CONNECTING;
	ch->connects++;

	/*
	 * The remote side: LC_ALL=C so nothing is translated; t() reads
	 * every path asked for and frames it. The shell's own read and
	 * printf, not cat: no fork and exec per path and tick (a fork
	 * costs more than reading a small stats file a byte at a time).
	 */
	init = strdup_printf(
		"LC_ALL=C; export LC_ALL\n"
		"t() { s=$1; shift; for p; do "
		"[ -d \"$p\" ] && p=$p/memory.numa_stat; "
		"echo '@%s b'; "
		"while IFS= read -r l || [ -n \"$l\" ]; do "
		"printf '%%s\\n' \"$l\"; done 2>/dev/null <\"$p\"; "
		"r=$?; echo; "
		"echo \"@%s e $r\"; done; echo \"@%s end $s\"; }\n"
		"x() { s=$1; shift; echo '@%s b'; \"$@\" </dev/null 2>&1; "
		"r=$?; echo; echo \"@%s e $r\"; echo \"@%s end $s\"; }\n"
		"echo \"@%s hello $(getconf PAGESIZE 2>/dev/null)\"\n",
		ch->token, ch->token, ch->token, ch->token, ch->token,
		ch->token, ch->token);
	if (!init) {
		sshchan_close(ch, "out of memory");
		return -ENOMEM;
	}
	r = send_all(ch, init, strlen(init));
	if (r < 0) {
		sshchan_close(ch, "cannot talk to ssh");
		return r;
	}
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		closefd(&in[i]);
		closefd(&out[i]);
		closefd(&err[i]);
	}
	snprintf(ch->last_error, sizeof(ch->last_error), "cannot start ssh: %s",
		 strerror(-r));
	return r;
}

int sshchan_request(struct sshchan *ch, uint64_t seq, int64_t now_ns)
{
	int n, r;

	if (ch->state != SSHCHAN_READY)
		return -ENOTCONN;
	if (ch->busy)
		return -EBUSY;
	/* drop the last answer */
	if (ch->rx_used) {
		memmove(ch->rx, ch->rx + ch->rx_used, ch->rx_len - ch->rx_used);
		ch->rx_len -= ch->rx_used;
		ch->rx_used = 0;
	}
	ch->replied = false;
	/* one write: "t SEQ" and the paths, quoted once in add_path */
	n = snprintf(ch->tx, 24, "%c %llu", ch->command ? 'x' : 't',
		     (unsigned long long)seq);
	memcpy(ch->tx + n, ch->request, ch->request_len);
	r = send_all(ch, ch->tx, (size_t)n + ch->request_len);
	if (r < 0) {
		sshchan_close(ch, r == -EAGAIN ? "ssh does not take input" :
						 "connection lost");
		return -EPIPE;
	}
	ch->busy = true;
	ch->seq = seq;
	ch->sent_ns = now_ns;
	return 0;
}

size_t sshchan_pollfds(const struct sshchan *ch, struct pollfd *pfd)
{
	size_t n = 0;

	if (ch->state == SSHCHAN_DOWN)
		return 0;
	if (ch->fd_out >= 0)
		pfd[n++] =
			(struct pollfd){ .fd = ch->fd_out, .events = POLLIN };
	if (ch->fd_err >= 0)
		pfd[n++] =
			(struct pollfd){ .fd = ch->fd_err, .events = POLLIN };
	return n;
}

/* "@TOKEN " at p (within rx_len)? Returns the length matched or 0. */
static size_t marker_at(const struct sshchan *ch, size_t pos)
{
	size_t tl = strlen(ch->token);

	if (ch->rx_len - pos < tl + 2)
		return 0;
	if (ch->rx[pos] != '@' || memcmp(ch->rx + pos + 1, ch->token, tl) ||
	    ch->rx[pos + 1 + tl] != ' ')
		return 0;
	return tl + 2;
}

/* 1: hello parsed, 0: not yet, <0: error */
static int parse_hello(struct sshchan *ch)
{
	char pat[32];
	const char *h, *nl;
	size_t plen;
	uint64_t ps = 0;

	plen = (size_t)snprintf(pat, sizeof(pat), "@%s hello ", ch->token);
	h = memmem(ch->rx, ch->rx_len, pat, plen);
	if (!h)
		return ch->rx_len > (1u << 20) ? -EPROTO : 0;
	nl = memchr(h + plen, '\n', ch->rx_len - (size_t)(h - ch->rx) - plen);
	if (!nl)
		return 0;
	for (const char *p = h + plen; p < nl; p++) {
		if (*p < '0' || *p > '9' || ps > 1u << 30)
			return -EPROTO;
		ps = ps * 10 + (uint64_t)(*p - '0');
	}
	if (ps == 0 || (ps & (ps - 1)))
		return -EPROTO; /* getconf missing or nonsense */
	ch->page_size = ps;
	nl++;
	memmove(ch->rx, nl, ch->rx_len - (size_t)(nl - ch->rx));
	ch->rx_len -= (size_t)(nl - ch->rx);
	return 1;
}

/* 1: a whole reply parsed, 0: not yet, <0: protocol error */
static int parse_reply(struct sshchan *ch)
{
	size_t pos = 0, i = 0, ml;
	char pat[32];
	size_t plen = (size_t)snprintf(pat, sizeof(pat), "\n@%s e ", ch->token);

	/* An answer is parsed once whole: reparsing from 0 is cheap. */
	for (;;) {
		const char *nl;

		ml = marker_at(ch, pos);
		if (!ml)
			return ch->rx_len - pos < strlen(ch->token) + 2 ?
				       0 :
				       -EPROTO;
		nl = memchr(ch->rx + pos + ml, '\n', ch->rx_len - pos - ml);
		if (!nl)
			return 0;
		if ((size_t)(nl - ch->rx) == pos + ml + 1 &&
		    ch->rx[pos + ml] == 'b') {
			size_t start = (size_t)(nl - ch->rx) + 1;
			const char *e = memmem(ch->rx + start,
					       ch->rx_len - start, pat, plen);
			const char *enl;
			int rc = 0;

			if (!e)
				return 0;
			enl = memchr(e + plen, '\n',
				     ch->rx_len - (size_t)(e - ch->rx) - plen);
			if (!enl)
				return 0;
			for (const char *p = e + plen; p < enl; p++) {
				if (*p < '0' || *p > '9' || rc > 1000)
					return -EPROTO;
				rc = rc * 10 + (*p - '0');
			}
			if (i >= n_results(ch))
				return -EPROTO;
			ch->results[i].off = start;
			ch->results[i].len = (size_t)(e - ch->rx) - start;
			ch->results[i].rc = rc;
			i++;
			pos = (size_t)(enl - ch->rx) + 1;
			continue;
		}
		if ((size_t)(nl - ch->rx) > pos + ml + 4 &&
		    memcmp(ch->rx + pos + ml, "end ", 4) == 0) {
			uint64_t seq = 0;

			for (const char *p = ch->rx + pos + ml + 4; p < nl;
			     p++) {
				if (*p < '0' || *p > '9')
					return -EPROTO;
				seq = seq * 10 + (uint64_t)(*p - '0');
			}
			if (i != n_results(ch) || seq != ch->seq)
				return -EPROTO;
			ch->rx_used = (size_t)(nl - ch->rx) + 1;
			return 1;
		}
		return -EPROTO;
	}
}

int sshchan_process(struct sshchan *ch, int64_t now_ns)
{
	int ev = 0, r;
	bool eof = false;

	if (ch->state == SSHCHAN_DOWN)
		return 0;
	drain_stderr(ch);
	for (;;) {
		ssize_t n;

		if (ch->rx_cap - ch->rx_len < 4096) {
			size_t ncap = ch->rx_cap ? ch->rx_cap * 2 : 16384;
			char *nb;

			if (ncap > RX_MAX) {
				sshchan_close(ch, "answer too large");
				return SSHCHAN_EV_DOWN;
			}
			nb = realloc(ch->rx, ncap);
			if (!nb) {
				sshchan_close(ch, "out of memory");
				return SSHCHAN_EV_DOWN;
			}
			ch->rx = nb;
			ch->rx_cap = ncap;
		}
		n = read(ch->fd_out, ch->rx + ch->rx_len,
			 ch->rx_cap - ch->rx_len);
		if (n > 0) {
			ch->rx_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			eof = true;
		break;
	}

	if (ch->state == SSHCHAN_CONNECTING) {
		r = parse_hello(ch);
		if (r < 0) {
			sshchan_close(ch, "the remote shell did not answer as "
					  "expected (no sh or getconf?)");
			return SSHCHAN_EV_DOWN;
		}
		if (r > 0) {
			ch->state = SSHCHAN_READY;
			ev |= SSHCHAN_EV_READY;
		}
	}
	if (ch->state == SSHCHAN_READY && ch->busy && !ch->replied) {
		r = parse_reply(ch);
		if (r < 0) {
			sshchan_close(ch,
				      "garbled answer from the remote shell");
			return ev | SSHCHAN_EV_DOWN;
		}
		if (r > 0) {
			ch->busy = false;
			ch->replied = true;
			ch->last_rtt_ns = now_ns - ch->sent_ns;
			ev |= SSHCHAN_EV_REPLY;
		}
	}
	if (eof) {
		sshchan_close(ch, "connection closed");
		ev |= SSHCHAN_EV_DOWN;
	}
	return ev;
}

int sshchan_result(const struct sshchan *ch, size_t i, const char **ret_text,
		   size_t *ret_len)
{
	if (!ch->replied || ch->command || i >= ch->n_paths)
		return -ENODATA;
	if (ch->results[i].rc != 0)
		return -ENOENT;
	*ret_text = ch->rx + ch->results[i].off;
	*ret_len = ch->results[i].len;
	return 0;
}

int sshchan_command_result(const struct sshchan *ch, const char **ret_text,
			   size_t *ret_len, int *ret_rc)
{
	if (!ch->replied || !ch->command)
		return -ENODATA;
	*ret_text = ch->rx + ch->results[0].off;
	*ret_len = ch->results[0].len;
	*ret_rc = ch->results[0].rc;
	return 0;
}
