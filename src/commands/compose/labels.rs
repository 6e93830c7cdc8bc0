//! The labels that are a project's state: every container, network and
//! volume `up` makes carries them, and `down`, `ps` and `logs` find the
//! project's resources by them (docker compose's com.docker.compose.*).

use std::collections::BTreeMap;

use miette::Result;
use strata_compose::model::Project;
use strata_containers::{Container, Containers};

pub const PROJECT: &str = "com.docker.compose.project";
pub const SERVICE: &str = "com.docker.compose.service";
pub const NUMBER: &str = "com.docker.compose.container-number";
pub const ONEOFF: &str = "com.docker.compose.oneoff";
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
pub const NETWORK: &str = "com.docker.compose.network";
pub const VOLUME: &str = "com.docker.compose.volume";

pub fn container(
    project: &Project,
    service: &str,
    number: u32,
    hash: &str,
) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (PROJECT.to_owned(), project.name.clone()),
        (SERVICE.to_owned(), service.to_owned()),
        (NUMBER.to_owned(), number.to_string()),
        (ONEOFF.to_owned(), "False".to_owned()),
        (CONFIG_HASH.to_owned(), hash.to_owned()),
    ]);
    labels.extend(
        super::origin::labels()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v)),
    );
    labels
}

/// A network's or volume's labels: the project, which key of the file it
/// is, and the file's own labels.
pub fn resource(
    project: &str,
    kind: &str,
    key: &str,
    own: &BTreeMap<String, Option<String>>,
) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = own
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
        .collect();
    labels.insert(PROJECT.to_owned(), project.to_owned());
    labels.insert(kind.to_owned(), key.to_owned());
    labels
}

/// The project's containers, by service then number.
pub fn containers_of(containers: &Containers, project: &str) -> Result<Vec<Container>> {
    let mut found: Vec<Container> = containers
        .list()
        .map_err(crate::commands::containers::report)?
        .into_iter()
        .filter(|c| c.config.labels.get(PROJECT).is_some_and(|p| p == project))
        .collect();
    found.sort_by_key(|c| (service_of(c).to_owned(), number_of(c)));
    Ok(found)
}

pub fn service_of(c: &Container) -> &str {
    c.config.labels.get(SERVICE).map_or("", String::as_str)
}

pub fn number_of(c: &Container) -> u32 {
    c.config
        .labels
        .get(NUMBER)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
