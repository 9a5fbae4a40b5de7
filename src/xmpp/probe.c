/* Reachability probe: TCP connect and, for XMPP's own ports, the server's
 * stream header. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop/loop.h"
#include "xmpp/probe.h"

static int left(long long deadline)
{
	long long l = deadline - (long long)loop_now_ms();

	return l > 0 ? (int)l : 0;
}

static int wait_for(int fd, short events, long long deadline)
{
	struct pollfd p = {fd, events, 0};
	int rc;

	do
		rc = poll(&p, 1, left(deadline));
	while (rc < 0 && errno == EINTR);
	return rc > 0 ? 0 : -1;
}

static int connect_one(const struct addrinfo *ai, long long deadline)
{
	int fd =
	    socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	int err = 0;
	socklen_t len = sizeof err;

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS)
		goto fail;
	if (wait_for(fd, POLLOUT, deadline) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) ||
	    err)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Sends the stream header and waits for the server's "<stream:stream". */
static int hears_stream(int fd, const char *domain, long long deadline)
{
	char *header = NULL, buf[512] = "";
	size_t have = 0;
	int n = asprintf(&header,
	                 "<?xml version='1.0'?><stream:stream to='%s' version='1.0' "
	                 "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
	                 domain);
	bool sent = n > 0 && send(fd, header, (size_t)n, MSG_NOSIGNAL) == n;

	if (n >= 0)
		free(header);
	if (!sent)
		return -1;
	while (have < sizeof buf - 1 && !wait_for(fd, POLLIN, deadline)) {
		ssize_t got = recv(fd, buf + have, sizeof buf - 1 - have, 0);

		if (got <= 0)
			return -1;
		have += (size_t)got;
		buf[have] = '\0';
		if (strstr(buf, "stream:stream") || strstr(buf, "<stream"))
			break;
	}
	if (!strstr(buf, "stream"))
		return -1;
	/* An orderly goodbye; the server closes its side. */
	send(fd, "</stream:stream>", 16, MSG_NOSIGNAL);
	return 0;
}

int probe_server(const char *host, unsigned short port, const char *domain, bool tls,
                 int timeout_ms, const char **why)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	long long deadline = (long long)loop_now_ms() + timeout_ms;
	char service[8];
	int fd = -1, rc = -1;

	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof service, "%u", port);
	if (getaddrinfo(host, service, &hints, &res)) {
		*why = "the server's address could not be resolved";
		return -1;
	}
	for (ai = res; ai && fd < 0 && left(deadline); ai = ai->ai_next)
		fd = connect_one(ai, deadline);
	freeaddrinfo(res);
	if (fd < 0) {
		*why = "the server does not accept connections";
		return -1;
	}
	/* Direct TLS would need a handshake to say more; a connect will do. */
	if (tls || !hears_stream(fd, domain, deadline))
		rc = 0;
	else
		*why = "the server does not answer a stream header";
	close(fd);
	return rc;
}
