# shellcheck shell=bash
# The base images every tool starts from, made from the host's static busybox
# so that no tool pulls anything from a registry.

# busybox_rootfs DIR: /bin/busybox, a symlink per applet, minimal passwd/group.
busybox_rootfs() {
    local dir=$1 applet
    mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root"
    chmod 1777 "$dir/tmp"
    cp /bin/busybox "$dir/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
}

# random_file PATH BYTES: incompressible content, fast (AES-CTR keystream).
# head closes the pipe once it has enough, so openssl's SIGPIPE is expected:
# the size of the file is what tells success.
random_file() {
    { openssl enc -aes-128-ctr -pass pass:strata-bench -nosalt -pbkdf2 </dev/zero 2>/dev/null || true; } |
        head -c "$2" >"$1"
    [ "$(stat -c %s "$1")" = "$2" ] || die "could not write $2 random bytes to $1"
}

# base_tar ROOTFS OUT.tar [BYTES]: the rootfs as a tar, with a /big file of
# BYTES random bytes when given (the large bases of the layer-cost scenario).
base_tar() {
    local rootfs=$1 out=$2 bytes=${3:-0}
    if [ "$bytes" -gt 0 ]; then
        local big
        big=$(mktemp -d "$WORK/base.XXXXXX")
        random_file "$big/big" "$bytes"
        tar -C "$rootfs" -cf "$out" . && tar -C "$big" -rf "$out" ./big
        rm -rf "$big"
    else
        tar -C "$rootfs" -cf "$out" .
    fi
}

# bytes_of SIZE: 10M / 1G style sizes to bytes (powers of 1000 are not used:
# M and G mean MiB and GiB here).
bytes_of() {
    numfmt --from=iec "$1"
}
