/* Attacks a sandbox escape test tries from inside a container. Each
 * subcommand prints one line, "NAME: ok ..." when the attack worked (exit
 * 0) or "NAME: WHAT: strerror" when the kernel refused it (exit 1).
 * Built static by the tests (gcc -static), so it needs nothing in the
 * image. Written for strata's tests; same licence as the repository. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static const char *name;

static int refused(const char *what) {
    printf("%s: %s: %s\n", name, what, strerror(errno));
    return 1;
}

/* The fds open here, without the one reading the listing. */
static int fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return refused("opendir");
    printf("fds:");
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (atoi(e->d_name) == dirfd(d)) continue;
        printf(" %s", e->d_name);
    }
    printf("\n");
    closedir(d);
    return 0;
}

/* mknod PATH b|c MAJOR MINOR (EEXIST is fine: an imported node), then
 * open it and read up to 40 bytes. */
static int mknod_open(char **a) {
    mode_t type = a[1][0] == 'b' ? S_IFBLK : S_IFCHR;
    dev_t dev = makedev(atoi(a[2]), atoi(a[3]));
    if (mknod(a[0], type | 0600, dev) != 0 && errno != EEXIST) return refused("mknod");
    int fd = open(a[0], O_RDWR);
    if (fd < 0) return refused("open");
    char buf[41] = {0};
    ssize_t n = read(fd, buf, 40);
    if (n < 0) return refused("read");
    printf("%s: ok read %s\n", name, buf);
    return 0;
}

static int open_read(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return refused("open");
    char buf[41] = {0};
    ssize_t n = read(fd, buf, 40);
    if (n < 0) return refused("read");
    printf("%s: ok read %zd bytes %s\n", name, n, buf);
    return 0;
}

static int keyctl_read(long id) {
    char buf[128] = {0};
    long n = syscall(SYS_keyctl, 11 /* KEYCTL_READ */, id, buf, sizeof buf - 1);
    if (n < 0) return refused("keyctl read");
    printf("%s: ok %s\n", name, buf);
    return 0;
}

static int add_key(void) {
    long id = syscall(SYS_add_key, "user", "strata-escape-inside", "x", 1,
                      -3 /* KEY_SPEC_SESSION_KEYRING */);
    if (id < 0) return refused("add_key");
    printf("%s: ok key %ld\n", name, id);
    return 0;
}

/* unshare(NEWUSER|NEWNS|NEWCGROUP), mount a v1 hierarchy, write FILE. */
static int cgroup_write(const char *controller, const char *file, const char *value) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP) != 0) return refused("unshare");
    mkdir("/tmp/cg", 0700);
    if (mount("none", "/tmp/cg", "cgroup", 0, controller) != 0) return refused("mount cgroup");
    char path[512];
    snprintf(path, sizeof path, "/tmp/cg/%s", file);
    int fd = open(path, O_WRONLY);
    if (fd < 0) return refused("open");
    if (write(fd, value, strlen(value)) < 0) return refused("write");
    close(fd);
    char back[64] = {0};
    fd = open(path, O_RDONLY);
    if (fd < 0 || read(fd, back, sizeof back - 1) < 0) return refused("read back");
    printf("%s: ok %s", name, back);
    return 0;
}

static int write_file(const char *path, const char *value) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return refused("open");
    if (write(fd, value, strlen(value)) < 0) return refused("write");
    printf("%s: ok\n", name);
    return 0;
}

/* A handle for PATH (on a filesystem that exports them, as tmpfs does),
 * opened back: with CAP_DAC_READ_SEARCH that reaches any file of the
 * filesystem, the "shocker" escape. */
static int by_handle(const char *path) {
    struct { struct file_handle h; unsigned char b[128]; } fh;
    fh.h.handle_bytes = 128;
    int mount_id;
    if (name_to_handle_at(AT_FDCWD, path, &fh.h, &mount_id, 0) != 0) return refused("name_to_handle_at");
    int fd = open_by_handle_at(AT_FDCWD, &fh.h, O_RDONLY);
    if (fd < 0) return refused("open_by_handle_at");
    printf("%s: ok\n", name);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: escape ATTACK [ARGS]\n");
        return 2;
    }
    name = argv[1];
    char **a = argv + 2;
    int n = argc - 2;
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(name, "fds")) return fds();
    if (!strcmp(name, "mknod-open") && n == 4) return mknod_open(a);
    if (!strcmp(name, "read") && n == 1) return open_read(a[0]);
    if (!strcmp(name, "keyctl-read") && n == 1) return keyctl_read(atol(a[0]));
    if (!strcmp(name, "add-key")) return add_key();
    if (!strcmp(name, "cgroup-write") && n == 3) return cgroup_write(a[0], a[1], a[2]);
    if (!strcmp(name, "write") && n == 2) return write_file(a[0], a[1]);
    if (!strcmp(name, "mount")) {
        mkdir("/tmp/m", 0700);
        if (mount("tmpfs", "/tmp/m", "tmpfs", 0, NULL) != 0) return refused("mount");
        printf("%s: ok\n", name);
        return 0;
    }
    if (!strcmp(name, "umount") && n == 1) {
        if (umount2(a[0], MNT_DETACH) != 0) return refused("umount");
        printf("%s: ok\n", name);
        return 0;
    }
    if (!strcmp(name, "sethostname")) {
        if (sethostname("escaped", 7) != 0) return refused("sethostname");
        printf("%s: ok\n", name);
        return 0;
    }
    if (!strcmp(name, "open-by-handle") && n == 1) return by_handle(a[0]);
    if (!strcmp(name, "clone-newuser")) {
        /* The raw syscall: glibc's clone3 path could hide what clone does. */
        long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (pid < 0) return refused("clone");
        if (pid == 0) _exit(0);
        waitpid(pid, NULL, 0);
        printf("%s: ok\n", name);
        return 0;
    }
    if (!strcmp(name, "personality")) {
        /* ADDR_NO_RANDOMIZE: not among the personas the profile allows. */
        if (personality(ADDR_NO_RANDOMIZE) == -1) return refused("personality");
        printf("%s: ok\n", name);
        return 0;
    }
    if (!strcmp(name, "ptrace") && n == 1) {
        if (ptrace(PTRACE_ATTACH, atoi(a[0]), 0, 0) != 0) return refused("ptrace attach");
        printf("%s: ok\n", name);
        return 0;
    }
    fprintf(stderr, "escape: unknown attack %s\n", name);
    return 2;
}
