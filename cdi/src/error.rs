use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A spec file that cannot be read, parsed or validated.
    #[error("CDI spec {}: {message}", path.display())]
    Spec { path: PathBuf, message: String },
    /// A device whose edits cannot be given as asked.
    #[error("CDI spec {}: device {device}: {message}", path.display())]
    Edit {
        path: PathBuf,
        device: String,
        message: String,
    },
    /// A required device that no spec defines; `hint` names the spec
    /// files that failed to load, which may be where it was meant to be.
    #[error("required device {name:?} is not registered{hint}")]
    NotRegistered { name: String, hint: String },
    #[error("{}", forbidden_message(.0))]
    Forbidden(Vec<String>),
    #[error("{0}")]
    Flag(String),
}

fn forbidden_message(names: &[String]) -> String {
    let grant = names
        .iter()
        .map(|n| format!("--allow device={n}"))
        .collect::<Vec<_>>()
        .join(" ");
    match names {
        [one] => format!(
            "device {one} is requested by the build but not allowed: \
             build with {grant} (or --allow device for every device)"
        ),
        _ => format!(
            "devices {} are requested by the build but not allowed: \
             build with {grant} (or --allow device for every device)",
            names.join(", ")
        ),
    }
}
