//! Rootless networking: an unprivileged user's strata gives a container
//! (`run --network pasta`) and the RUN steps of a build (by default) a
//! network namespace of their own, outbound through pasta, with `-p`
//! through pasta's port forwarding; `--network host|none` work as for
//! root. The world each test makes (its user, its namespace) is
//! support/rootless_net.rs's; containers under a monitor are
//! tests/network_rootless_detached.rs's.

mod support;

use std::process::Command;
use std::time::Duration;

use support::cli::{stderr, stdout};
use support::rootless_net::{Env, GATEWAY};

#[test]
fn rootless_run_network_pasta_reaches_out_and_hides_the_hosts_interfaces() {
    require_pasta!();
    let env = Env::new("out");
    let _server = env.loopback_server(8071);
    let out = env.run(&[
        "run",
        "--rm",
        "--network",
        "pasta",
        "bb:1",
        "sh",
        "-c",
        &format!("cat /proc/net/dev; wget -q -O- http://{GATEWAY}:8071/"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = stdout(&out);
    assert!(seen.contains("page of the host\n"), "{seen}");
    assert!(seen.contains("eth0"), "{seen}");
    assert!(!seen.contains("out0") && !seen.contains("out1"), "{seen}");
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

#[test]
fn rootless_host_and_none_work_and_bridge_says_what_is_supported() {
    require_pasta!();
    let env = Env::new("modes");
    let links = |mode: &str| {
        let out = env.run(&[
            "run",
            "--rm",
            "--network",
            mode,
            "bb:1",
            "cat",
            "/proc/net/dev",
        ]);
        assert!(out.status.success(), "{mode}: {}", stderr(&out));
        stdout(&out)
    };
    assert!(links("host").contains("out0"));
    let none = links("none");
    assert!(!none.contains("out0") && !none.contains("eth0"), "{none}");
    let bridge = env.run(&["run", "--rm", "--network", "bridge", "bb:1", "true"]);
    assert!(!bridge.status.success());
    let err = stderr(&bridge);
    assert!(err.contains("bridge networks need root"), "{err}");
    // miette wraps lines: compare the words.
    let words: Vec<&str> = err
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter(|w| !w.is_empty())
        .collect();
    assert!(
        words
            .join(" ")
            .contains("rootless strata has --network pasta"),
        "{err}"
    );
}

#[test]
fn rootless_build_steps_get_a_pasta_namespace_by_default() {
    require_pasta!();
    let env = Env::new("build");
    let _server = env.loopback_server(8073);
    let ctx = env.dir.join("ctx");
    std::fs::write(
        ctx.join("Dockerfile"),
        format!(
            "FROM bb:1\nRUN cat /proc/net/dev > /netdev && wget -q -O /got http://{GATEWAY}:8073/\n"
        ),
    )
    .unwrap();
    let built = env.run(&[
        "build",
        "--progress",
        "plain",
        "-t",
        "out:1",
        ctx.to_str().unwrap(),
    ]);
    assert!(built.status.success(), "{}", stderr(&built));
    let out = env.run(&["run", "--rm", "out:1", "cat", "/got", "/netdev"]);
    let seen = stdout(&out);
    assert!(
        seen.starts_with("page of the host\n"),
        "{seen}{}",
        stderr(&out)
    );
    assert!(seen.contains("eth0") && !seen.contains("out0"), "{seen}");
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

/// pasta's `-t` for `-p`: an unprivileged user's container answers on the
/// test namespace's 127.0.0.1 and outward address. It serves until the
/// test creates `stop` in its /ctl.
#[test]
fn rootless_run_network_pasta_publishes_a_port() {
    require_pasta!();
    let env = Env::new("port");
    let ctl = env.dir.join("ctl");
    std::fs::create_dir_all(&ctl).unwrap();
    let _ = Command::new("chmod").arg("777").arg(&ctl).status();
    let volume = format!("{}:/ctl", ctl.display());
    let web = env
        .strata(&[
            "run",
            "--rm",
            "--network",
            "pasta",
            "-p",
            "8091:80",
            "-v",
            &volume,
            "bb:1",
            "sh",
            "-c",
            "httpd -p 80 -h /www && while [ ! -e /ctl/stop ]; do sleep 0.1; done",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let serves = |host: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let got = env
                .ns
                .cmd("sh")
                .arg("-c")
                .arg(format!(
                    "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 2 {host} 8091"
                ))
                .output()
                .unwrap();
            if stdout(&got).contains("page of the container") {
                return true;
            }
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let reached = (serves("127.0.0.1"), serves(support::netns::OUTWARD));
    std::fs::write(ctl.join("stop"), "").unwrap();
    let done = web.wait_with_output().unwrap();
    assert_eq!(reached, (true, true), "{}", stderr(&done));
    assert!(done.status.success(), "{}", stderr(&done));
    assert_eq!(env.leftovers(), Vec::<String>::new());
}
