/*
 * mibench - bounded load client for Kamailio's local RPC transports.
 *
 *   mibench fifo   <method> <N> <clients> [max_seconds]
 *   mibench dgram  <method> <N> <clients> [max_seconds]
 *   mibench binrpc <method> <N> <clients> [max_seconds]   (unix stream, persistent conn)
 *   mibench binrpc-tcp <method> <N> <clients> [max_seconds] (tcp 127.0.0.1:2049)
 *   mibench sb-fifo  <method> <N> <clients> [max_seconds]  (Switchboard FIFO, JSON dialect)
 *   mibench sb-dgram <method> <N> <clients> [max_seconds]  (Switchboard unix dgram, bare JSON-RPC)
 *
 * N is the TOTAL number of requests, split evenly across <clients> forked
 * client processes; each client sends its share strictly sequentially
 * (one outstanding request).  Every client also stops at max_seconds
 * (default 20 s), so a run is bounded in count and time.
 *
 * Paths/ports default to those in kamailio.cfg (env overrides in brackets):
 *   fifo:   /tmp/kamailio_rpc.fifo [KAM_RPC_FIFO], reply fifo /tmp/kbench_r_<pid>
 *   dgram:  /tmp/kamailio_rpc.sock [KAM_RPC_SOCK], client socket /tmp/kbench_d_<pid>.sock
 *   binrpc: /tmp/kamailio_ctl [KAM_CTL] (unix stream), or tcp:127.0.0.1:2049
 *   sb-fifo:  /tmp/switchboard_fifo [SB_FIFO]; reply fifo <SB_REPLY_DIR, default /tmp>/sbbench_r_<pid>
 *             request `:<reply_name>:{"jsonrpc":"2.0","method":"<m>","id":1}`, reply read to EOF
 *   sb-dgram: /tmp/switchboard.sock [SB_SOCK]; client socket <SB_REPLY_DIR>/sbbench_d_<pid>.sock
 *
 * PARAMS (env, optional): JSON text sent as the request's "params" (fifo, dgram, sb-fifo, sb-dgram),
 *   e.g. PARAMS='["sl:","shmem:"]'.
 *
 * Output (one line):  transport method clients N_ok N_err secs req/s
 *                     p50_us p90_us p99_us max_us reply_bytes
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}
#define FIFO_PATH env_or("KAM_RPC_FIFO", "/tmp/kamailio_rpc.fifo")
#define DGRAM_PATH env_or("KAM_RPC_SOCK", "/tmp/kamailio_rpc.sock")
#define CTL_PATH env_or("KAM_CTL", "/tmp/kamailio_ctl")
#define SB_FIFO_PATH env_or("SB_FIFO", "/tmp/switchboard_fifo")
#define SB_DGRAM_PATH env_or("SB_SOCK", "/tmp/switchboard.sock")
#define SB_REPLY_DIR env_or("SB_REPLY_DIR", "/tmp")
#define CTL_TCP_PORT 2049
#define IO_TIMEOUT_MS 2000
#define RBUF_SZ (1 << 20)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct shared {
	volatile int go;
	double t_start;
	double t_end[64];
	long ok[64], err[64];
	long reply_bytes[64];
	uint32_t lat_us[]; /* N entries, client c writes slots [c*per, c*per+per) */
};

static char *rbuf;

/* ---------------------------------------------------------------- FIFO */
static int fifo_req(int wfd, const char *rpath, const char *req, size_t reqlen, long *rb)
{
	int rfd = open(rpath, O_RDONLY | O_NONBLOCK);
	if (rfd < 0)
		return -1;
	if (write(wfd, req, reqlen) != (ssize_t)reqlen) {
		close(rfd);
		return -1;
	}
	size_t got = 0;
	struct pollfd p = {.fd = rfd, .events = POLLIN};
	for (;;) {
		int r = poll(&p, 1, IO_TIMEOUT_MS);
		if (r <= 0) {
			close(rfd);
			return -1;
		}
		ssize_t n = read(rfd, rbuf + got, RBUF_SZ - got);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			close(rfd);
			return -1;
		}
		if (n == 0)
			break; /* server closed the reply fifo: reply complete */
		got += n;
	}
	close(rfd);
	*rb = got;
	while (got > 0 && (rbuf[got - 1] == '\n' || rbuf[got - 1] == '\r'))
		got--; /* Switchboard's JSON dialect ends the reply with "\n" */
	if (got == 0 || rbuf[got - 1] != '}')
		return -1;
	if (memmem(rbuf, got, "\"error\"", 7))
		return -1; /* a JSON-RPC error reply is not a success */
	return 0;
}

/* --------------------------------------------------------------- DGRAM */
static int dgram_req(int s, struct sockaddr_un *srv, const char *req, size_t reqlen, long *rb)
{
	if (sendto(s, req, reqlen, 0, (struct sockaddr *)srv, sizeof(*srv)) != (ssize_t)reqlen)
		return -1;
	struct pollfd p = {.fd = s, .events = POLLIN};
	if (poll(&p, 1, IO_TIMEOUT_MS) <= 0)
		return -1;
	ssize_t n = recv(s, rbuf, RBUF_SZ, 0);
	if (n <= 0)
		return -1;
	*rb = n;
	if (rbuf[n - 1] != '}' || memmem(rbuf, n, "\"error\"", 7))
		return -1;
	return 0;
}

/* -------------------------------------------------------------- BINRPC */
static size_t int_bytes(uint32_t v, unsigned char *out)
{
	int n = 4;
	while (n && !((v >> ((n - 1) * 8)) & 0xff))
		n--;
	for (int i = 0; i < n; i++)
		out[i] = (v >> ((n - 1 - i) * 8)) & 0xff;
	return n;
}

static size_t binrpc_build(const char *method, uint32_t cookie, unsigned char *out)
{
	unsigned char body[512], *b = body, lb[4], cb[4];
	size_t ml = strlen(method) + 1; /* incl. \0 */
	if (ml < 8) {
		*b++ = (ml << 4) | 1;
	} else {
		size_t k = int_bytes(ml, lb);
		*b++ = ((k | 8) << 4) | 1;
		memcpy(b, lb, k);
		b += k;
	}
	memcpy(b, method, ml);
	b += ml;
	size_t blen = b - body;
	size_t ll = int_bytes(blen, lb), cl = int_bytes(cookie, cb);
	if (!ll) { lb[0] = 0; ll = 1; }
	if (!cl) { cb[0] = 0; cl = 1; }
	unsigned char *o = out;
	*o++ = 0xA1;
	*o++ = (0 << 4) | ((ll - 1) << 2) | (cl - 1);
	memcpy(o, lb, ll); o += ll;
	memcpy(o, cb, cl); o += cl;
	memcpy(o, body, blen); o += blen;
	return o - out;
}

static int read_full(int s, char *buf, size_t want, size_t *have)
{
	struct pollfd p = {.fd = s, .events = POLLIN};
	while (*have < want) {
		ssize_t n = recv(s, buf + *have, RBUF_SZ - *have, MSG_DONTWAIT);
		if (n > 0) { *have += n; continue; }
		if (n == 0) return -1;
		if (errno != EAGAIN && errno != EINTR) return -1;
		if (poll(&p, 1, IO_TIMEOUT_MS) <= 0) return -1;
	}
	return 0;
}

static int binrpc_req(int s, const unsigned char *req, size_t reqlen, long *rb)
{
	if (send(s, req, reqlen, 0) != (ssize_t)reqlen)
		return -1;
	size_t have = 0;
	if (read_full(s, rbuf, 2, &have)) return -1;
	unsigned char *u = (unsigned char *)rbuf;
	if (u[0] != 0xA1) return -1;
	int ll = ((u[1] >> 2) & 3) + 1, cl = (u[1] & 3) + 1, type = u[1] >> 4;
	if (read_full(s, rbuf, 2 + ll + cl, &have)) return -1;
	size_t tlen = 0;
	for (int i = 0; i < ll; i++) tlen = (tlen << 8) | u[2 + i];
	size_t total = 2 + ll + cl + tlen;
	if (read_full(s, rbuf, total, &have)) return -1;
	*rb = total;
	return type == 1 ? 0 : -1; /* 1=reply, 3=fault */
}

/* ---------------------------------------------------------------- main */
static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s fifo|dgram|binrpc|binrpc-tcp|sb-fifo|sb-dgram <method> <N> <clients> [max_seconds]\n", argv[0]);
		return 2;
	}
	const char *tr = argv[1], *method = argv[2];
	long N = atol(argv[3]);
	int C = atoi(argv[4]);
	double maxs = argc > 5 ? atof(argv[5]) : 20.0;
	if (C < 1 || C > 64 || N < C) {
		fprintf(stderr, "bad N/clients\n");
		return 2;
	}
	long per = N / C;
	size_t shsz = sizeof(struct shared) + sizeof(uint32_t) * per * C;
	struct shared *sh = mmap(NULL, shsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) { perror("mmap"); return 1; }
	memset(sh, 0, shsz);
	signal(SIGPIPE, SIG_IGN);

	pid_t kids[64];
	for (int c = 0; c < C; c++) {
		pid_t pid = fork();
		if (pid < 0) { perror("fork"); return 1; }
		if (pid > 0) { kids[c] = pid; continue; }
		/* ---- child ---- */
		rbuf = malloc(RBUF_SZ);
		char req[2048];
		/* ,"params":<PARAMS> when given, for the JSON transports */
		char pfield[1400] = "";
		const char *params = getenv("PARAMS");
		if (params && *params) snprintf(pfield, sizeof pfield, ",\"params\":%s", params);
		unsigned char breq[1024];
		size_t reqlen = 0;
		int wfd = -1, s = -1;
		char rname[64], rpath[128], cpath[108];
		struct sockaddr_un srv = {.sun_family = AF_UNIX};
		if (!strcmp(tr, "fifo")) {
			snprintf(rname, sizeof rname, "kbench_r_%d", getpid());
			snprintf(rpath, sizeof rpath, "/tmp/%s", rname);
			unlink(rpath);
			if (mkfifo(rpath, 0600)) { perror("mkfifo"); _exit(1); }
			wfd = open(FIFO_PATH, O_WRONLY);
			if (wfd < 0) { perror("open fifo"); unlink(rpath); _exit(1); }
			reqlen = snprintf(req, sizeof req,
				"{\"jsonrpc\":\"2.0\",\"method\":\"%s\"%s,\"reply_name\":\"%s\",\"id\":1}\n", method, pfield, rname);
		} else if (!strcmp(tr, "sb-fifo")) {
			/* reply FIFO created and opened for reading before each write (fifo_req) */
			snprintf(rname, sizeof rname, "sbbench_r_%d", getpid());
			snprintf(rpath, sizeof rpath, "%s/%s", SB_REPLY_DIR, rname);
			unlink(rpath);
			if (mkfifo(rpath, 0600)) { perror("mkfifo"); _exit(1); }
			wfd = open(SB_FIFO_PATH, O_WRONLY);
			if (wfd < 0) { perror("open sb fifo"); unlink(rpath); _exit(1); }
			reqlen = snprintf(req, sizeof req,
				":%s:{\"jsonrpc\":\"2.0\",\"method\":\"%s\"%s,\"id\":1}", rname, method, pfield);
		} else if (!strcmp(tr, "sb-dgram")) {
			s = socket(AF_UNIX, SOCK_DGRAM, 0);
			struct sockaddr_un me = {.sun_family = AF_UNIX};
			snprintf(cpath, sizeof cpath, "%s/sbbench_d_%d.sock", SB_REPLY_DIR, getpid());
			unlink(cpath);
			strcpy(me.sun_path, cpath);
			if (bind(s, (struct sockaddr *)&me, sizeof me)) { perror("bind"); unlink(cpath); _exit(1); }
			int sz = 1 << 20;
			setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
			snprintf(srv.sun_path, sizeof srv.sun_path, "%s", SB_DGRAM_PATH);
			reqlen = snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"method\":\"%s\"%s,\"id\":1}", method, pfield);
		} else if (!strcmp(tr, "dgram")) {
			s = socket(AF_UNIX, SOCK_DGRAM, 0);
			struct sockaddr_un me = {.sun_family = AF_UNIX};
			snprintf(cpath, sizeof cpath, "/tmp/kbench_d_%d.sock", getpid());
			unlink(cpath);
			strcpy(me.sun_path, cpath);
			if (bind(s, (struct sockaddr *)&me, sizeof me)) { perror("bind"); unlink(cpath); _exit(1); }
			int sz = 1 << 20;
			setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
			snprintf(srv.sun_path, sizeof srv.sun_path, "%s", DGRAM_PATH);
			reqlen = snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"method\":\"%s\"%s,\"id\":1}", method, pfield);
		} else if (!strcmp(tr, "binrpc")) {
			s = socket(AF_UNIX, SOCK_STREAM, 0);
			snprintf(srv.sun_path, sizeof srv.sun_path, "%s", CTL_PATH);
			if (connect(s, (struct sockaddr *)&srv, sizeof srv)) { perror("connect ctl"); _exit(1); }
			reqlen = binrpc_build(method, 0x1234 + c, breq);
		} else if (!strcmp(tr, "binrpc-tcp")) {
			s = socket(AF_INET, SOCK_STREAM, 0);
			struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(CTL_TCP_PORT)};
			a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			int one = 1;
			setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			if (connect(s, (struct sockaddr *)&a, sizeof a)) { perror("connect tcp"); _exit(1); }
			reqlen = binrpc_build(method, 0x1234 + c, breq);
		} else {
			fprintf(stderr, "unknown transport %s\n", tr);
			_exit(2);
		}
		while (!sh->go)
			usleep(100);
		double deadline = sh->t_start + maxs;
		long ok = 0, err = 0, rb = 0;
		uint32_t *lat = sh->lat_us + (size_t)c * per;
		for (long i = 0; i < per; i++) {
			double t0 = now_s();
			if (t0 > deadline) break;
			int r;
			if (!strcmp(tr, "fifo") || !strcmp(tr, "sb-fifo")) r = fifo_req(wfd, rpath, req, reqlen, &rb);
			else if (!strcmp(tr, "dgram") || !strcmp(tr, "sb-dgram")) r = dgram_req(s, &srv, req, reqlen, &rb);
			else r = binrpc_req(s, breq, reqlen, &rb);
			double t1 = now_s();
			if (r == 0) lat[ok++] = (uint32_t)((t1 - t0) * 1e6 + 0.5);
			else err++;
		}
		sh->t_end[c] = now_s();
		sh->ok[c] = ok;
		sh->err[c] = err;
		sh->reply_bytes[c] = rb;
		if (!strcmp(tr, "fifo") || !strcmp(tr, "sb-fifo")) unlink(rpath);
		if (!strcmp(tr, "dgram") || !strcmp(tr, "sb-dgram")) unlink(cpath);
		_exit(0);
	}
	usleep(200000); /* let clients set up */
	sh->t_start = now_s();
	__sync_synchronize();
	sh->go = 1;
	for (int c = 0; c < C; c++) waitpid(kids[c], NULL, 0);

	long ok = 0, err = 0, rb = 0;
	double tend = sh->t_start;
	for (int c = 0; c < C; c++) {
		ok += sh->ok[c];
		err += sh->err[c];
		if (sh->t_end[c] > tend) tend = sh->t_end[c];
		if (sh->reply_bytes[c]) rb = sh->reply_bytes[c];
	}
	/* compact latencies */
	uint32_t *all = malloc(sizeof(uint32_t) * (ok ? ok : 1));
	long k = 0;
	for (int c = 0; c < C; c++)
		for (long i = 0; i < sh->ok[c]; i++) all[k++] = sh->lat_us[(size_t)c * per + i];
	qsort(all, k, sizeof(uint32_t), cmp_u32);
#define PCT(p) (k ? all[(long)((p) / 100.0 * (k - 1) + 0.5)] : 0)
	double secs = tend - sh->t_start;
	printf("%s %s %d %ld %ld %.3f %.0f %u %u %u %u %ld\n", tr, method, C, ok, err, secs,
	       secs > 0 ? ok / secs : 0.0, PCT(50), PCT(90), PCT(99), k ? all[k - 1] : 0, rb);
	return err ? 1 : 0;
}
