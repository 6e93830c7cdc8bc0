//! The project a command acts on. Normally its files, loaded; but when `-p`
//! names it and there is no compose file to find (no -f, no COMPOSE_FILE,
//! none here or above), the project is what its labels say, as docker
//! compose works from labels: `down`, `ps`, `logs`, `stop` and the other
//! commands that only act on what exists then take the containers,
//! networks and volumes labelled with the name.

use miette::{Result, miette};
use strata_compose::model::Project;
use strata_containers::Container;

use super::labels;
use crate::cli::ComposeArgs;

pub struct Scope {
    pub name: String,
    /// The loaded project, with its JSON model; None when only the name is
    /// known.
    pub loaded: Option<(Project, serde_json::Value)>,
}

/// None when the project's files cannot be loaded (the error is printed).
pub fn resolve(args: &ComposeArgs) -> Result<Option<Scope>> {
    if let Some(name) = &args.project_name
        && args.files.is_empty()
        && std::env::var_os("COMPOSE_FILE").is_none()
    {
        let start = match &args.project_directory {
            Some(d) => d.clone(),
            None => std::env::current_dir().map_err(|e| miette!("current directory: {e}"))?,
        };
        if strata_compose::discover::find(&start).is_err() {
            return Ok(Some(Scope {
                name: name.clone(),
                loaded: None,
            }));
        }
    }
    let Some((project, model)) = super::project(args)? else {
        return Ok(None);
    };
    Ok(Some(Scope {
        name: project.name.clone(),
        loaded: Some((project, model)),
    }))
}

impl Scope {
    pub fn project(&self) -> Option<&Project> {
        self.loaded.as_ref().map(|(p, _)| p)
    }

    /// Names given on the command line must be the file's services; with
    /// no file, any name selects the containers labelled with it.
    pub fn check_services(&self, names: &[String]) -> Result<()> {
        let Some(project) = self.project() else {
            return Ok(());
        };
        match names.iter().find(|s| !project.services.contains_key(*s)) {
            Some(s) => Err(miette!("no such service: {s}")),
            None => Ok(()),
        }
    }

    /// The services in start order: the model's, else the order their
    /// first containers were made in (`up` makes dependencies first).
    pub fn start_order(&self, containers: &[Container]) -> Result<Vec<String>> {
        if let Some((_, model)) = &self.loaded {
            let empty = serde_json::Map::new();
            let services = model["services"].as_object().unwrap_or(&empty);
            return strata_compose::order::start_order(services).map_err(|e| miette!("{e}"));
        }
        let mut by_time: Vec<&Container> = containers.iter().collect();
        by_time.sort_by_key(|c| c.config.created);
        let mut order: Vec<String> = Vec::new();
        for c in by_time {
            let s = labels::service_of(c);
            if !order.iter().any(|o| o == s) {
                order.push(s.to_owned());
            }
        }
        Ok(order)
    }
}

impl Scope {
    /// The project's containers of these services (all when none), by
    /// service then number.
    pub fn containers(
        &self,
        containers: &strata_containers::Containers,
        services: &[String],
    ) -> Result<Vec<Container>> {
        let mut found = labels::containers_of(containers, &self.name)?;
        found
            .retain(|c| services.is_empty() || services.iter().any(|s| s == labels::service_of(c)));
        Ok(found)
    }
}
