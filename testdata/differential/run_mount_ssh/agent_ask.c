/* Asks the ssh agent at $SSH_AUTH_SOCK for its identities
 * (SSH2_AGENTC_REQUEST_IDENTITIES, draft-miller-ssh-agent section 3.5) and
 * prints one line per key: its type and comment. Built static by
 * tests/build_ssh.rs, so a busybox image can run it. Written for strata's
 * tests; same licence as the repository. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int read_full(int fd, unsigned char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

static uint32_t be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int main(void) {
    const char *path = getenv("SSH_AUTH_SOCK");
    if (!path) { fprintf(stderr, "SSH_AUTH_SOCK is not set\n"); return 2; }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("connect");
        return 3;
    }
    const unsigned char ask[5] = {0, 0, 0, 1, 11};
    if (write(fd, ask, sizeof ask) != sizeof ask) { perror("write"); return 4; }
    unsigned char head[4];
    if (read_full(fd, head, 4) != 0) { fprintf(stderr, "no reply\n"); return 5; }
    uint32_t len = be32(head);
    if (len < 5 || len > (1u << 20)) { fprintf(stderr, "bad reply length\n"); return 6; }
    unsigned char *body = malloc(len);
    if (!body || read_full(fd, body, len) != 0 || body[0] != 12) {
        fprintf(stderr, "not an identities answer\n");
        return 7;
    }
    uint32_t keys = be32(body + 1), at = 5;
    printf("keys %u\n", keys);
    for (uint32_t i = 0; i < keys; i++) {
        if (at + 4 > len) return 8;
        uint32_t blob = be32(body + at);
        if (at + 4 + blob + 4 > len || blob < 4) return 8;
        uint32_t tlen = be32(body + at + 4);
        if (tlen > blob - 4) return 8;
        const unsigned char *type = body + at + 8;
        at += 4 + blob;
        uint32_t clen = be32(body + at);
        if (at + 4 + clen > len) return 8;
        printf("%.*s %.*s\n", (int)tlen, type, (int)clen, body + at + 4);
        at += 4 + clen;
    }
    return 0;
}
