//! A service's `build` section as a `strata build`: the section becomes
//! build's flags, parsed by its own grammar (as service_args.rs does for
//! run's), and the image is named as docker compose names it: the
//! service's `image`, else PROJECT-SERVICE.

use std::path::Path;

use clap::Parser;
use miette::{Result, miette};
use strata_compose::model::{Project, Service};
use strata_store::Store;

use crate::cli::BuildArgs;

#[derive(Parser)]
#[command(name = "build", no_binary_name = true)]
struct BuildLine {
    #[command(flatten)]
    build: BuildArgs,
}

/// The image a service's containers run: its `image`, else (with a
/// `build`) the name its build gets.
pub fn image_name(project: &Project, name: &str, service: &Service) -> Option<String> {
    service.image.clone().or_else(|| {
        service
            .build
            .as_ref()
            .map(|_| format!("{}-{name}", project.name))
    })
}

/// Builds the service's image when it has a `build` section and `always`
/// is set or the image is not in the store yet (docker compose's `up`).
pub fn build_if_needed(
    store: &Store,
    project: &Project,
    name: &str,
    service: &Service,
    always: bool,
) -> Result<()> {
    let (Some(build), Some(image)) = (&service.build, image_name(project, name, service)) else {
        return Ok(());
    };
    let present = store
        .resolve_str(&image)
        .map_err(crate::commands::store_open::report)?
        .is_some();
    if present && !always {
        return Ok(());
    }
    if build.dockerfile_inline.is_some() {
        return Err(miette!(
            "service {name}: build.dockerfile_inline is not supported yet"
        ));
    }
    let context = Path::new(&build.context);
    let mut argv: Vec<String> = vec!["--progress".into(), "plain".into()];
    let mut flag = |f: &str, v: String| {
        argv.push(f.to_owned());
        argv.push(v);
    };
    flag("--tag", image.clone());
    for t in build.tags.iter().flatten() {
        flag("--tag", t.clone());
    }
    if let Some(file) = &build.dockerfile {
        flag("--file", context.join(file).display().to_string());
    }
    for (k, v) in &build.args {
        match v {
            Some(v) => flag("--build-arg", format!("{k}={v}")),
            None => flag("--build-arg", k.clone()),
        }
    }
    if let Some(t) = &build.target {
        flag("--target", t.clone());
    }
    match build.network.as_deref() {
        None => {}
        Some(n @ ("host" | "none" | "bridge")) => flag("--network", n.to_owned()),
        Some("default") => flag("--network", "bridge".to_owned()),
        Some(other) => {
            return Err(miette!(
                "service {name}: build.network {other:?} is not supported (host, none, default)"
            ));
        }
    }
    argv.push("--".into());
    argv.push(build.context.clone());
    let args = BuildLine::try_parse_from(&argv)
        .map_err(|e| miette!("service {name}: build: {}", e.render()))?
        .build;
    eprintln!(" Service {name}  Building");
    match crate::commands::build::run(store, &args, false)? {
        0 => {
            eprintln!(" Service {name}  Built");
            Ok(())
        }
        code => Err(miette!("service {name}: build failed ({code})")),
    }
}
