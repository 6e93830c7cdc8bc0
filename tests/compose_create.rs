//! `strata compose create [SERVICE...]` as docker compose has it: the
//! project's networks, volumes and containers made and none started (`up
//! --no-start`); `compose start` runs them and `compose up` keeps them
//! when nothing changed; a second `create` keeps what the first made,
//! `--force-recreate` makes new containers, `--no-recreate` keeps changed
//! ones, `--remove-orphans` removes those whose service left the file.
//! Needs root and Debian's netavark (support/netenv.rs).

mod support;

use support::cli::stderr;
use support::compose_project::Project;

/// A web server on a published port with a page in a named volume, and a
/// job (in no network) that says it ran.
fn web_and_job(word: &str) -> String {
    format!(
        r#"
services:
  web:
    image: bb:1
    command: ["sh", "-c", "echo {word} > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["8080:80"]
    volumes:
      - pages:/www
  job:
    image: bb:1
    network_mode: none
    command: ["sh", "-c", "echo job ran && exec sleep 600"]
volumes:
  pages: {{}}
"#
    )
}

fn ids(p: &Project) -> (String, String) {
    let name = |s: &str| format!("{}-{s}-1", p.name);
    (p.id_of(&name("web")), p.id_of(&name("job")))
}

fn all_created(p: &Project) -> bool {
    let states = p.service_states();
    states.len() == 2 && states.iter().all(|(_, s)| s == "created")
}

#[test]
fn create_makes_everything_and_starts_nothing_until_start() {
    require_network!();
    let p = Project::new("composecreate", &web_and_job("hello"));
    let o = p.compose(&["create"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    for made in [
        "Network composecreate_default  Created",
        "Volume composecreate_pages  Created",
        "Container composecreate-web-1  Created",
        "Container composecreate-job-1  Created",
    ] {
        assert!(err.contains(made), "{made}: {err}");
    }
    assert!(all_created(&p), "{:?}", p.service_states());
    let made = ids(&p);

    p.compose_ok(&["start"]);
    p.wait_for_page(8080, "/", "hello");
    p.wait_for_log(&["job"], "job-1 | job ran");
    assert_eq!(ids(&p), made, "start runs the containers create made");

    // Nothing changed: up keeps them.
    let o = p.compose(&["up", "-d"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("Recreated"), "{}", stderr(&o));
    assert_eq!(ids(&p), made);
    p.compose_ok(&["down", "-v"]);
}

#[test]
fn create_again_keeps_the_containers_and_its_recreate_flags_act_as_ups() {
    require_network!();
    let p = Project::new("composecreate2", &web_and_job("one"));
    p.compose_ok(&["create"]);
    let first = ids(&p);
    let o = p.compose(&["create"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("Recreated"), "{}", stderr(&o));
    assert_eq!(ids(&p), first, "a second create is no change");
    assert!(all_created(&p), "{:?}", p.service_states());

    let o = p.compose(&["create", "--force-recreate"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let forced = ids(&p);
    assert_ne!(forced.0, first.0);
    assert_ne!(forced.1, first.1);
    assert!(all_created(&p), "recreated, still not started");

    // The service changed: --no-recreate keeps it, a plain create not.
    p.write(&web_and_job("two"));
    p.compose_ok(&["create", "--no-recreate"]);
    assert_eq!(ids(&p), forced);
    p.compose_ok(&["create", "web"]);
    let (web, job) = ids(&p);
    assert_ne!(web, forced.0, "web's command changed");
    assert_eq!(job, forced.1, "job was not named and did not change");

    // job left the file: an orphan, removed only when asked.
    p.write(&web_and_job("two").replace("  job:", "  gone:"));
    let o = p.compose(&["create", "--remove-orphans", "web"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Container composecreate2-job-1  Removed"),
        "{}",
        stderr(&o)
    );
    let services: Vec<String> = p.service_states().into_iter().map(|(s, _)| s).collect();
    assert_eq!(services, ["web"]);
    p.compose_ok(&["down", "-v"]);
}
