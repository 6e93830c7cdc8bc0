//! Helpers shared by every end-to-end test: a busybox root filesystem, the
//! `strata` binary, images read back from stores and OCI layouts, tree
//! comparison, build and cache environments, a real registry with a
//! fault-injecting proxy in front. Each test binary uses only some of it.
#![allow(dead_code)]

pub mod build_cases;
pub mod busybox;
pub mod cache;
pub mod case;
pub mod cgroup2;
pub mod cli;
pub mod compose_case;
pub mod compose_project;
pub mod containers;
pub mod env;
pub mod escape;
pub mod events;
pub mod foreign;
pub mod git;
pub mod hostile;
pub mod layout;
pub mod netenv;
pub mod netns;
pub mod proxy;
pub mod registry;
pub mod rootless;
pub mod rootless_net;
pub mod sandbox;
pub mod store;
pub mod tree;

/// Returns from a test that needs root (device cgroups, mounts, the
/// test user) when run without it: it says so and passes.
#[macro_export]
macro_rules! require_root {
    () => {
        if !$crate::support::sandbox::is_root() {
            eprintln!("skipped: needs root");
            return;
        }
    };
}

/// Returns from a test that needs bridge networks where they cannot be
/// had (not root, or no netavark): it says so and passes, as the other
/// `require_*` guards do.
#[macro_export]
macro_rules! require_network {
    () => {
        if !$crate::support::netenv::available() {
            eprintln!(
                "skipped: needs root and netavark (apt-get install netavark aardvark-dns iptables)"
            );
            return;
        }
    };
}

/// The rootless network tests' guard (see rootless_net.rs).
#[macro_export]
macro_rules! require_pasta {
    () => {
        if !$crate::support::rootless_net::available() {
            eprintln!("skipped: needs root (to create the user) and pasta (apt-get install passt)");
            return;
        }
    };
}
