//! What `depends_on` conditions ask before a dependent is created:
//! `service_started` (the dependency was started just before, nothing to
//! wait for), `service_healthy` (its healthcheck passed) and
//! `service_completed_successfully` (it exited 0). A dependency that can
//! no longer get there (unhealthy, exited) fails the `up` at once, with
//! docker compose's wording.

use std::time::{Duration, Instant};

use miette::{Result, miette};
use strata_containers::{Containers, Health, Status};

use super::labels;
use crate::commands::containers::report;

const POLL: Duration = Duration::from_millis(100);

pub fn dependency(
    containers: &Containers,
    project: &str,
    service: &str,
    condition: &str,
) -> Result<()> {
    let deps: Vec<_> = labels::containers_of(containers, project)?
        .into_iter()
        .filter(|c| labels::service_of(c) == service)
        .collect();
    for c in &deps {
        let name = &c.config.name;
        match condition {
            "service_healthy" => {
                if c.config.health.is_none() {
                    return Err(miette!(
                        "dependency failed to start: container {name} has no healthcheck configured"
                    ));
                }
                loop {
                    let s = c.refresh().map_err(report)?;
                    match s.health.as_ref().map(|h| h.status) {
                        Some(Health::Healthy) => break,
                        Some(Health::Unhealthy) => {
                            return Err(miette!(
                                "dependency failed to start: container {name} is unhealthy{}",
                                last_output(&s)
                            ));
                        }
                        _ if s.status == Status::Exited => {
                            return Err(miette!(
                                "dependency failed to start: container {name} exited ({})",
                                s.exit_code.map_or("unknown".to_owned(), |c| c.to_string())
                            ));
                        }
                        _ => std::thread::sleep(POLL),
                    }
                }
                eprintln!(" Container {name}  Healthy");
            }
            "service_completed_successfully" => loop {
                let s = c.refresh().map_err(report)?;
                if s.status == Status::Exited {
                    match s.exit_code {
                        Some(0) => break,
                        code => {
                            return Err(miette!(
                                "service {service:?} didn't complete successfully: exit {}",
                                code.map_or("unknown".to_owned(), |c| c.to_string())
                            ));
                        }
                    }
                }
                std::thread::sleep(POLL);
            },
            _ => {}
        }
    }
    Ok(())
}

/// `up --wait-timeout`: when to give up, and the seconds it was given.
pub type Deadline = Option<(Instant, u64)>;

/// Sleeps one poll, or fails once the deadline has passed, with docker
/// compose's wording (the containers are left as they are).
fn poll(deadline: Deadline) -> Result<()> {
    if let Some((at, secs)) = deadline
        && Instant::now() >= at
    {
        return Err(miette!("application not healthy after {secs}s"));
    }
    std::thread::sleep(POLL);
    Ok(())
}

/// `up --wait` for a one-shot service others need completed: it exited 0.
pub fn completed_until(
    containers: &Containers,
    project: &str,
    service: &str,
    deadline: Deadline,
) -> Result<()> {
    for c in labels::containers_of(containers, project)?
        .into_iter()
        .filter(|c| labels::service_of(c) == service)
    {
        loop {
            let s = c.refresh().map_err(report)?;
            if s.status == Status::Exited {
                match s.exit_code {
                    Some(0) => break,
                    code => {
                        return Err(miette!(
                            "service {service:?} didn't complete successfully: exit {}",
                            code.map_or("unknown".to_owned(), |c| c.to_string())
                        ));
                    }
                }
            }
            poll(deadline)?;
        }
    }
    Ok(())
}

/// `up --wait`: every container of `service` running, and healthy when it
/// has a healthcheck.
pub fn ready(
    containers: &Containers,
    project: &str,
    service: &str,
    deadline: Deadline,
) -> Result<()> {
    for c in labels::containers_of(containers, project)?
        .into_iter()
        .filter(|c| labels::service_of(c) == service)
    {
        let name = &c.config.name;
        loop {
            let s = c.refresh().map_err(report)?;
            let health = s.health.as_ref().map(|h| h.status);
            match (s.status, health) {
                (Status::Exited, _) => {
                    return Err(miette!(
                        "container {name} exited ({})",
                        s.exit_code.map_or("unknown".to_owned(), |c| c.to_string())
                    ));
                }
                (_, Some(Health::Unhealthy)) => {
                    return Err(miette!("container {name} is unhealthy{}", last_output(&s)));
                }
                (Status::Running, Some(Health::Healthy)) => {
                    eprintln!(" Container {name}  Healthy");
                    break;
                }
                (Status::Running, None) if c.config.health.is_none() => {
                    eprintln!(" Container {name}  Running");
                    break;
                }
                _ => poll(deadline)?,
            }
        }
    }
    Ok(())
}

/// The last health check's output, so a check that never passes says why
/// (`: OUTPUT`), or nothing when it printed nothing.
fn last_output(state: &strata_containers::ContainerState) -> String {
    let last = state.health.as_ref().and_then(|h| h.log.last());
    match last.map(|r| r.output.trim()) {
        Some(text) if !text.is_empty() => format!(": {text}"),
        _ => String::new(),
    }
}
