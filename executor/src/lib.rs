//! The sandbox: namespaces, overlayfs root, pivot_root, /proc /dev /sys,
//! masked paths, capabilities, cgroup limits, pid 1 reaping, exit status.
