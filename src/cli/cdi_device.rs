//! `run/create --device`: a CDI-qualified name (`vendor.com/class=name`)
//! goes through CDI, as docker 25+ and podman send it; anything else is a
//! host device (device_flags.rs).

use super::device_flags::{DeviceArg, device_arg};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceFlag {
    Host(DeviceArg),
    Cdi(String),
}

pub fn device_flag(text: &str) -> Result<DeviceFlag, String> {
    if strata_cdi::is_qualified_name(text) {
        return Ok(DeviceFlag::Cdi(text.to_owned()));
    }
    device_arg(text).map(DeviceFlag::Host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qualified_name_is_cdi_and_a_path_is_a_host_device() {
        assert_eq!(
            device_flag("nvidia.com/gpu=0"),
            Ok(DeviceFlag::Cdi("nvidia.com/gpu=0".into()))
        );
        assert!(matches!(
            device_flag("/dev/kmsg:/dev/k:r"),
            Ok(DeviceFlag::Host(_))
        ));
        // Not qualified (no name): still read as a host path, and refused as one.
        assert!(device_flag("nvidia.com/gpu").is_err());
    }
}
