//! A service as the `run -d` flags of one of its containers. The flags are
//! parsed by `run`'s own grammar, so a compose field means exactly what the
//! docker flag it stands for means in strata (one reading of `-p`, `-v`,
//! `--restart`, `--health-*`, not two that could drift apart).

use std::collections::BTreeMap;

use clap::Parser;
use miette::{Result, miette};
use strata_compose::model::{Healthcheck, Project, Service, ServiceVolume};

use super::labels;
use crate::cli::RunArgs;

#[derive(Parser)]
#[command(name = "run", no_binary_name = true)]
struct RunLine {
    #[command(flatten)]
    run: RunArgs,
}

/// Everything a container of `service` is made from besides the store.
pub struct Container<'a> {
    pub project: &'a Project,
    pub service_name: &'a str,
    pub service: &'a Service,
    pub number: u32,
    pub hash: &'a str,
    /// Anonymous volumes the container it replaces had, by target: mounted
    /// again, so a recreate keeps their data (docker compose's default;
    /// `up -V` passes none).
    pub anonymous: BTreeMap<String, String>,
}

impl Container<'_> {
    /// `container_name`, else PROJECT-SERVICE-N (docker compose's names).
    pub fn name(&self) -> String {
        self.service.container_name.clone().unwrap_or_else(|| {
            format!(
                "{}-{}-{}",
                self.project.name, self.service_name, self.number
            )
        })
    }

    pub fn run_args(&self) -> Result<RunArgs> {
        let argv = self.argv()?;
        RunLine::try_parse_from(&argv)
            .map(|l| l.run)
            .map_err(|e| miette!("service {}: {}", self.service_name, e.render()))
    }

    pub(super) fn argv(&self) -> Result<Vec<String>> {
        let s = self.service;
        let image = super::build::image_name(self.project, self.service_name, s)
            .ok_or_else(|| miette!("service {} has neither image nor build", self.service_name))?;
        let mut a: Vec<String> = vec!["-d".into(), "--name".into(), self.name()];
        let mut flag = |f: &str, v: &str| {
            a.push(f.to_owned());
            a.push(v.to_owned());
        };
        for (k, v) in labels::container(self.project, self.service_name, self.number, self.hash) {
            flag("--label", &format!("{k}={v}"));
        }
        for (k, v) in &s.labels {
            flag("--label", &format!("{k}={}", v.as_deref().unwrap_or("")));
        }
        for (k, v) in &s.environment {
            match v {
                Some(v) => flag("--env", &format!("{k}={v}")),
                None => flag("--env", k),
            }
        }
        self.network_flags(&mut flag)?;
        for p in &s.ports {
            let target = format!("{}/{}", p.target, p.protocol);
            let spec = match (&p.host_ip, &p.published) {
                (Some(ip), Some(host)) => format!("{ip}:{host}:{target}"),
                (Some(ip), None) => format!("{ip}::{target}"),
                (None, Some(host)) => format!("{host}:{target}"),
                (None, None) => target,
            };
            flag("--publish", &spec);
        }
        for v in &s.volumes {
            self.volume_flag(v, &mut flag)?;
        }
        for t in s.tmpfs.iter().flatten() {
            flag("--tmpfs", t);
        }
        for (f, v) in [
            ("--user", &s.user),
            ("--workdir", &s.working_dir),
            ("--hostname", &s.hostname),
            ("--restart", &s.restart),
            ("--stop-signal", &s.stop_signal),
        ] {
            if let Some(v) = v {
                flag(f, v);
            }
        }
        if let Some(grace) = &s.stop_grace_period {
            let d = humantime::parse_duration(grace)
                .map_err(|e| miette!("service {}: stop_grace_period: {e}", self.service_name))?;
            flag("--stop-timeout", &d.as_secs().to_string());
        }
        for c in s.cap_add.iter().flatten() {
            flag("--cap-add", c);
        }
        for c in s.cap_drop.iter().flatten() {
            flag("--cap-drop", c);
        }
        for d in &s.devices {
            // A CDI name (`vendor.com/class=name`) is passed as it is, as
            // docker compose hands it to the engine.
            if d.source == d.target && strata_cdi::is_qualified_name(&d.source) {
                flag("--device", &d.source);
                continue;
            }
            flag(
                "--device",
                &format!("{}:{}:{}", d.source, d.target, d.permissions),
            );
        }
        for r in s.device_cgroup_rules.iter().flatten() {
            flag("--device-cgroup-rule", r);
        }
        for d in s.dns.iter().flatten() {
            flag("--dns", d);
        }
        // Not in the typed model: the loader normalizes a lone string to a
        // list (shapes.rs), so each is a list of strings here.
        for (key, run_flag) in [("dns_search", "--dns-search"), ("dns_opt", "--dns-option")] {
            let values = s.other.get(key).and_then(|v| v.as_array());
            for v in values.into_iter().flatten().filter_map(|v| v.as_str()) {
                flag(run_flag, v);
            }
        }
        for h in s.extra_hosts.iter().flatten() {
            // compose writes HOST=IP or HOST:IP; the flag takes HOST:IP.
            flag("--add-host", &h.replacen('=', ":", 1));
        }
        a.extend(s.healthcheck.as_ref().map(health_flags).unwrap_or_default());
        if s.read_only == Some(true) {
            a.push("--read-only".into());
        }
        if s.init == Some(true) {
            a.push("--init".into());
        }
        if s.other.get("privileged").and_then(|v| v.as_bool()) == Some(true) {
            a.push("--privileged".into());
        }
        // The entrypoint's first word is `--entrypoint`; the rest of it
        // leads the command, as docker compose passes a list entrypoint.
        let mut command: Vec<String> = Vec::new();
        match s.entrypoint.as_deref() {
            Some([]) => {
                a.push("--entrypoint".into());
                a.push(String::new());
            }
            Some([first, rest @ ..]) => {
                a.push("--entrypoint".into());
                a.push(first.clone());
                command.extend(rest.iter().cloned());
            }
            None => {}
        }
        command.extend(s.command.iter().flatten().cloned());
        a.push("--".into());
        a.push(image);
        a.extend(command);
        Ok(a)
    }

    /// `--network` with the project's network names, and the service name
    /// (and its aliases) as a name on each, so services find each other.
    fn network_flags(&self, flag: &mut impl FnMut(&str, &str)) -> Result<()> {
        let s = self.service;
        if let Some(mode) = &s.network_mode {
            if let Some(other) = mode.strip_prefix("service:") {
                // The first container of that service (started before
                // this one: start_order follows `service:` modes).
                let target = self.project.services.get(other).ok_or_else(|| {
                    miette!(
                        "service {}: network_mode {mode:?}: no such service",
                        self.service_name
                    )
                })?;
                let name = target
                    .container_name
                    .clone()
                    .unwrap_or_else(|| format!("{}-{other}-1", self.project.name));
                flag("--network", &format!("container:{name}"));
                return Ok(());
            }
            return match mode.as_str() {
                "host" | "none" => {
                    flag("--network", mode);
                    Ok(())
                }
                m if m.starts_with("container:") => {
                    flag("--network", m);
                    Ok(())
                }
                other => Err(miette!(
                    "service {}: network_mode {other:?} is not supported (host, none, service:NAME, container:NAME)",
                    self.service_name
                )),
            };
        }
        let mut names = Vec::new();
        let mut aliases = vec![self.service_name.to_owned()];
        for (key, attach) in &s.networks {
            let net =
                self.project.networks.get(key).ok_or_else(|| {
                    miette!("service {}: undefined network {key}", self.service_name)
                })?;
            names.push(net.name.clone());
            let extra = attach.as_ref().and_then(|a| a.aliases.as_ref());
            for alias in extra.into_iter().flatten() {
                if !aliases.contains(alias) {
                    aliases.push(alias.clone());
                }
            }
        }
        if names.is_empty() {
            return Ok(());
        }
        flag("--network", &names.join(","));
        for alias in aliases {
            flag("--network-alias", &alias);
        }
        Ok(())
    }

    fn volume_flag(&self, v: &ServiceVolume, flag: &mut impl FnMut(&str, &str)) -> Result<()> {
        let ro = if v.read_only { ":ro" } else { "" };
        // A bind's `propagation` goes into the same `-v` options as `:ro`.
        let propagation = v
            .bind
            .as_ref()
            .and_then(|b| b.get("propagation"))
            .and_then(|p| p.as_str());
        let bind_opts = match (v.read_only, propagation) {
            (_, None) => ro.to_owned(),
            (true, Some(p)) => format!(":ro,{p}"),
            (false, Some(p)) => format!(":{p}"),
        };
        match (v.kind.as_str(), &v.source) {
            ("volume", Some(source)) => {
                // A key of the top-level `volumes`: its name is PROJECT_KEY
                // (or its own `name`).
                let name = self
                    .project
                    .volumes
                    .get(source)
                    .map_or(source.as_str(), |vol| vol.name.as_str());
                flag("--volume", &format!("{name}:{}{ro}", v.target));
            }
            ("volume", None) => match self.anonymous.get(&v.target) {
                Some(name) => flag("--volume", &format!("{name}:{}{ro}", v.target)),
                None => flag("--volume", &v.target),
            },
            ("bind", Some(source)) => {
                flag("--volume", &format!("{source}:{}{bind_opts}", v.target))
            }
            ("tmpfs", _) => flag("--tmpfs", &v.target),
            (kind, _) => {
                return Err(miette!(
                    "service {}: volume of type {kind:?} at {} is not supported",
                    self.service_name,
                    v.target
                ));
            }
        }
        Ok(())
    }
}

/// compose's healthcheck as docker's `--health-*` flags: `CMD` words are
/// quoted for the `sh -c` the flag runs, `CMD-SHELL` is the shell text,
/// `NONE` (or `disable`) turns the image's check off.
fn health_flags(h: &Healthcheck) -> Vec<String> {
    let mut a = Vec::new();
    let test = h.test.as_deref().unwrap_or_default();
    if h.disable || test.first().is_some_and(|t| t == "NONE") {
        a.push("--no-healthcheck".to_owned());
        return a;
    }
    let mut flag = |f: &str, v: &str| {
        a.push(f.to_owned());
        a.push(v.to_owned());
    };
    match test {
        [kind, words @ ..] if kind == "CMD" => {
            let quoted: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
            flag("--health-cmd", &quoted.join(" "));
        }
        [kind, text] if kind == "CMD-SHELL" => flag("--health-cmd", text),
        _ => {}
    }
    for (f, v) in [
        ("--health-interval", &h.interval),
        ("--health-timeout", &h.timeout),
        ("--health-start-period", &h.start_period),
    ] {
        if let Some(v) = v {
            flag(f, v);
        }
    }
    if let Some(n) = h.retries {
        flag("--health-retries", &n.to_string());
    }
    a
}

fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn argv_of(service: serde_json::Value) -> Vec<String> {
        let project = Project::from_json(json!({
            "name": "proj",
            "services": {"svc": service},
            "networks": {"default": {"name": "proj_default"}},
            "volumes": {"data": {"name": "proj_data"}},
        }))
        .unwrap();
        let c = Container {
            project: &project,
            service_name: "svc",
            service: &project.services["svc"],
            number: 2,
            hash: "h",
            anonymous: Default::default(),
        };
        c.run_args().unwrap();
        c.argv().unwrap()
    }

    fn after<'a>(argv: &'a [String], flag: &str) -> Vec<&'a str> {
        argv.windows(2)
            .filter(|w| w[0] == flag)
            .map(|w| w[1].as_str())
            .collect()
    }

    #[test]
    fn a_service_becomes_a_named_labelled_container_on_its_networks() {
        let argv = argv_of(json!({
            "image": "bb:1",
            "networks": {"default": {"aliases": ["db"]}},
            "volumes": [{"type": "volume", "source": "data", "target": "/d", "read_only": true}],
        }));
        assert_eq!(after(&argv, "--name"), ["proj-svc-2"]);
        assert_eq!(after(&argv, "--network"), ["proj_default"]);
        assert_eq!(after(&argv, "--network-alias"), ["svc", "db"]);
        assert_eq!(after(&argv, "--volume"), ["proj_data:/d:ro"]);
        assert!(after(&argv, "--label").contains(&"com.docker.compose.container-number=2"));
        assert!(after(&argv, "--label").contains(&"com.docker.compose.config-hash=h"));
    }

    #[test]
    fn a_binds_propagation_and_read_only_become_its_volume_options() {
        let argv = argv_of(json!({
            "image": "bb:1",
            "volumes": [
                {"type": "bind", "source": "/a", "target": "/x", "read_only": true,
                 "bind": {"propagation": "rslave"}},
                {"type": "bind", "source": "/b", "target": "/y", "bind": {"propagation": "shared"}},
                {"type": "bind", "source": "/c", "target": "/z", "bind": {"create_host_path": true}},
            ],
        }));
        assert_eq!(
            after(&argv, "--volume"),
            ["/a:/x:ro,rslave", "/b:/y:shared", "/c:/z"]
        );
    }

    #[test]
    fn a_list_entrypoint_leads_the_command_and_cmd_tests_are_quoted() {
        let argv = argv_of(json!({
            "image": "bb:1",
            "entrypoint": ["sh", "-c"],
            "command": ["echo hi"],
            "healthcheck": {"test": ["CMD", "test", "-e", "/a b"], "interval": "1m30s"},
        }));
        assert_eq!(after(&argv, "--entrypoint"), ["sh"]);
        let tail: Vec<&str> = argv
            .iter()
            .skip_while(|a| *a != "--")
            .map(String::as_str)
            .collect();
        assert_eq!(tail, ["--", "bb:1", "-c", "echo hi"]);
        assert_eq!(after(&argv, "--health-cmd"), ["test -e '/a b'"]);
        assert_eq!(after(&argv, "--health-interval"), ["1m30s"]);
    }

    #[test]
    fn devices_and_device_cgroup_rules_become_the_run_flags() {
        let argv = argv_of(json!({
            "image": "bb:1",
            "devices": [{"source": "/dev/kmsg", "target": "/dev/k", "permissions": "r"}],
            "device_cgroup_rules": ["c 1:11 r"],
        }));
        assert_eq!(after(&argv, "--device"), ["/dev/kmsg:/dev/k:r"]);
        assert_eq!(after(&argv, "--device-cgroup-rule"), ["c 1:11 r"]);
    }

    #[test]
    fn dns_search_and_dns_opt_become_the_run_flags() {
        let argv = argv_of(json!({
            "image": "bb:1",
            "dns": ["10.0.0.53"],
            "dns_search": ["lab.example", "example"],
            "dns_opt": ["ndots:2", "timeout:1"],
        }));
        assert_eq!(after(&argv, "--dns"), ["10.0.0.53"]);
        assert_eq!(after(&argv, "--dns-search"), ["lab.example", "example"]);
        assert_eq!(after(&argv, "--dns-option"), ["ndots:2", "timeout:1"]);
    }

    #[test]
    fn a_cdi_device_name_is_passed_as_it_is() {
        let argv = argv_of(json!({
            "image": "bb:1",
            "devices": [{"source": "nvidia.com/gpu=all", "target": "nvidia.com/gpu=all", "permissions": "rwm"}],
        }));
        assert_eq!(after(&argv, "--device"), ["nvidia.com/gpu=all"]);
    }
}
