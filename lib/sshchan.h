/* SPDX-License-Identifier: MIT */
/*
 * One persistent ssh connection to a host, kept for a whole run, that reads
 * a set of remote files in one round trip.
 *
 * It runs `ssh -T -o BatchMode=yes [-F CONFIG] [USER@]HOST sh` and gives the
 * remote shell a small function once; each request is then one line,
 * "t SEQ 'path1' 'path2' ...", every word quoted with shell_quote(). The
 * answer frames each file between marker lines that carry a random token
 * chosen per connection:
 *
 *   @TOKEN b            then the file's bytes, then
 *   \n@TOKEN e RC       RC: cat's exit status (0: read whole)
 *   ...                 once per path, in order
 *   @TOKEN end SEQ
 *
 * A path that is a directory means DIR/memory.numa_stat. On connect, the
 * remote answers "@TOKEN hello PAGESIZE" (getconf PAGESIZE, once).
 *
 * Or, after sshchan_set_command(), each request runs one program instead:
 * "x SEQ 'prog' 'arg1' ...", every word quoted; its stdout and stderr are
 * the one result, framed the same way, RC its exit status.
 *
 * Everything is non-blocking: the caller polls the fds given by
 * sshchan_pollfds() and calls sshchan_process(). Nothing prints.
 */
#ifndef DAXLAB_SSHCHAN_H
#define DAXLAB_SSHCHAN_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum sshchan_state {
	SSHCHAN_DOWN,
	SSHCHAN_CONNECTING, /* ssh started, no hello yet */
	SSHCHAN_READY,
};

/* What sshchan_process() saw; a bit set. */
enum {
	SSHCHAN_EV_READY = 1 << 0, /* hello received */
	SSHCHAN_EV_REPLY = 1 << 1, /* a whole answer arrived */
	SSHCHAN_EV_DOWN = 1 << 2, /* connection lost; see last_error */
};

struct sshchan_result {
	size_t off, len; /* the file's bytes in rx */
	int rc; /* remote cat's exit status */
};

struct sshchan {
	char *host; /* [user@]host */
	char *ssh_config; /* -F, or NULL */
	char **paths;
	size_t n_paths;
	char *request; /* " 'p1' 'p2'\n", quoted once */
	bool command; /* the request runs request's words, see set_command */
	size_t request_len;
	char *tx; /* "t SEQ" + request, sent in one write */

	enum sshchan_state state;
	pid_t pid;
	int fd_in, fd_out, fd_err; /* our ends: ssh's stdin, stdout, stderr */
	char token[20];
	uint64_t page_size; /* from the remote, 0 until ready */

	char *rx;
	size_t rx_len, rx_cap, rx_used; /* rx_used: bytes of the last reply */
	bool busy; /* a request is out */
	uint64_t seq; /* of the request out or answered */
	int64_t sent_ns;
	bool replied; /* results hold the answer to seq */
	struct sshchan_result *results;
	int64_t last_rtt_ns;

	char last_error[256]; /* ssh's last stderr line, or why it went down */
	char err_line[256]; /* stderr line being read */
	size_t err_line_len;
	unsigned connects; /* times ssh was started */
};

/* Allocates a channel; no connection yet. */
struct sshchan *sshchan_new(const char *host, const char *ssh_config);
void sshchan_free(struct sshchan *ch);
/* Adds a remote path before the first connect; returns its index. */
int sshchan_add_path(struct sshchan *ch, const char *path);

/*
 * Makes every request run argv (NULL-terminated) in the remote shell,
 * each word quoted, instead of reading paths; before the first connect
 * and instead of sshchan_add_path(). The answer is result 0.
 */
int sshchan_set_command(struct sshchan *ch, const char *const *argv);

/* Starts ssh (state CONNECTING). -errno if ssh cannot be started. */
int sshchan_connect(struct sshchan *ch);
/* Ends the connection (kills and reaps ssh); state DOWN. */
void sshchan_close(struct sshchan *ch, const char *why);

/*
 * Sends the request for all paths, tagged with seq. -EBUSY while an answer
 * is still out, -ENOTCONN unless ready, -EPIPE (and DOWN) if ssh is gone.
 */
int sshchan_request(struct sshchan *ch, uint64_t seq, int64_t now_ns);

/* Fills up to 2 pollfds; returns how many. */
size_t sshchan_pollfds(const struct sshchan *ch, struct pollfd *pfd);
/* Reads what is there, parses; returns SSHCHAN_EV_* bits. */
int sshchan_process(struct sshchan *ch, int64_t now_ns);

/* After SSHCHAN_EV_REPLY: path i's bytes, valid until the next request. */
int sshchan_result(const struct sshchan *ch, size_t i, const char **ret_text,
		   size_t *ret_len);
/*
 * After SSHCHAN_EV_REPLY of a command: its output (stdout and stderr)
 * and exit status, valid until the next request.
 */
int sshchan_command_result(const struct sshchan *ch, const char **ret_text,
			   size_t *ret_len, int *ret_rc);

#endif
