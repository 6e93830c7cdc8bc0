//! CDI (the Container Device Interface, tags.cncf.io/container-device-interface):
//! vendors describe a device as JSON or YAML spec files in spec dirs; a
//! container asking for `vendor.com/class=name` gets the spec's container
//! edits (environment, device nodes, mounts, groups). This crate reads and
//! validates the specs, resolves the names BuildKit's `RUN --device` accepts,
//! checks the `device` entitlement and returns the edits; applying them to a
//! sandbox is the caller's job.

mod edits;
mod error;
mod grants;
mod mount_options;
mod name;
mod registry;
mod request;
mod spec;
mod yaml;

pub use edits::{DeviceNode, Edits, MountEdit};
pub use error::Error;
pub use grants::{DeviceGrants, Selection, select};
pub use mount_options::MountOptions;
pub use name::{is_qualified_name, parse_qualifier};
pub use registry::{
    ANNOTATION_AUTOALLOW, ANNOTATION_CLASS, Registry, SpecProblem, default_spec_dirs,
};
pub use request::DeviceRequest;
