//! A compose service's `network_mode`: `service:NAME` and
//! `container:NAME` put it in another container's network namespace (and
//! a recreated `service:` target takes its joiners with it, their
//! namespace being gone), `none` gives it loopback only, `host` the
//! host's network. Needs root and Debian's netavark, aardvark-dns and
//! iptables (support/netenv.rs).

mod support;

use support::compose_project::Project;

fn project(web_env: &str) -> String {
    format!(
        r#"
services:
  web:
    image: bb:1
    command: ["httpd", "-f", "-p", "8000", "-h", "/www"]
    environment:
      V: "{web_env}"
  side:
    image: bb:1
    network_mode: "service:web"
    command: ["sh", "-c", "until wget -q -O - http://127.0.0.1:8000/; do sleep 0.2; done; exec sleep 1000"]
  by_name:
    image: bb:1
    network_mode: "container:netmode-web-1"
    depends_on: [web]
    command: ["sh", "-c", "until wget -q -O - http://localhost:8000/; do sleep 0.2; done; exec sleep 1000"]
  alone:
    image: bb:1
    network_mode: none
    command: ["sh", "-c", "echo interfaces $$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"]
  on_host:
    image: bb:1
    network_mode: host
    # After web: its veth and the project's bridge are in the host's list.
    depends_on: [web]
    command: ["sh", "-c", "echo interfaces $$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"]
"#
    )
}

#[test]
fn network_mode_service_container_none_and_host() {
    require_network!();
    let p = Project::new("netmode", &project("1"));
    p.compose_ok(&["up", "-d"]);
    p.wait_for_log(&["side"], "side-1 | page of netmode");
    p.wait_for_log(&["by_name"], "by_name-1 | page of netmode");
    p.wait_for_log(&["alone"], "alone-1 | interfaces lo");
    // The host's network is the test's namespace.
    let dev = p
        .env
        .ns
        .cmd("sh")
        .args([
            "-c",
            "echo interfaces $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' ')",
        ])
        .output()
        .unwrap();
    let host_line = String::from_utf8_lossy(&dev.stdout)
        .trim_end_matches('\n')
        .to_owned();
    p.wait_for_log(&["on_host"], &format!("on_host-1 | {host_line}"));

    // web is made again: side, in its namespace, is too.
    let side = p.id_of("netmode-side-1");
    p.write(&project("2"));
    p.compose_ok(&["up", "-d"]);
    assert_ne!(p.id_of("netmode-side-1"), side);
    p.wait_for_log(&["side"], "side-1 | page of netmode");
    p.compose_ok(&["down"]);
}
