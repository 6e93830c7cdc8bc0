//! The network of a `run` or `create` without `--network`: docker's
//! default bridge (the network named `strata`) as root, pasta as rootless
//! strata (podman 5's rootless default: a namespace of its own with
//! outbound access, and `-p` without a flag), unless
//! `STRATA_NETWORK_DEFAULT` names another mode, as podman's
//! containers.conf `netns` does. Tests and scripts that run strata in the
//! host's own namespace set it to `host` or `none`, so they make no
//! bridge and no firewall rule there.

/// The environment variable that sets the default network.
pub const VAR: &str = "STRATA_NETWORK_DEFAULT";

/// `bridge`, `host`, `none` or network names, from the environment;
/// unset or empty: `bridge` as root, `pasta` as rootless strata (bridges
/// need root).
pub fn mode() -> String {
    match std::env::var(VAR) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_owned(),
        _ if strata_executor::rootless::needed()
            || strata_executor::rootless::in_user_namespace() =>
        {
            "pasta".to_owned()
        }
        _ => "bridge".to_owned(),
    }
}
