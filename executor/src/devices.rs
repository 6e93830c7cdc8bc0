//! Docker's device policy for the cgroup v1 devices controller: deny
//! everything, then allow the harmless character devices a container's
//! /dev holds, and mknod (but not open) of any node, so an image may carry
//! device nodes without reaching the host's disks or kernel log.

/// `TYPE MAJOR:MINOR ACCESS` lines for `devices.allow`, after `a` was
/// written to `devices.deny`.
pub(crate) const ALLOWED: &[&str] = &[
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",   // null
    "c 1:5 rwm",   // zero
    "c 1:7 rwm",   // full
    "c 1:8 rwm",   // random
    "c 1:9 rwm",   // urandom
    "c 5:0 rwm",   // tty
    "c 5:1 rwm",   // console
    "c 5:2 rwm",   // ptmx
    "c 136:* rwm", // pts/*
];
