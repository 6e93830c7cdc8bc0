//! Nothing leaks: 50 containers on a user network, removed with `rm -f`,
//! and 50 more whose monitors are killed with SIGKILL, cleaned up by the
//! next `ps`. Afterwards no address file, veth, iptables rule, aardvark-dns
//! entry or network namespace remains. Runs strata in its own network
//! namespace (support/netenv.rs). Needs root and Debian's netavark,
//! aardvark-dns and iptables.

mod support;

use serde_json::Value;
use support::cli::{ok, run};
use support::netenv::{Env, out};

const N: usize = 50;

/// `run -d` of N sleeping containers on `app`, publishing a port each;
/// their ids.
fn start_many(env: &Env, round: &str) -> Vec<String> {
    (0..N)
        .map(|i| {
            let name = format!("{round}{i}");
            let port = format!("{}:80", 9000 + i);
            let mut c = env.strata(&["run", "-d", "--name", &name, "--network", "app", "-p"]);
            c.args([port.as_str(), "bb:1", "sleep", "1000"]);
            ok(&mut c).trim().to_owned()
        })
        .collect()
}

/// How many of each kind of leftover there are: address files, netns
/// files, veths, aardvark-dns entries, port files.
fn count(left: &[String], kind: &str) -> usize {
    left.iter().filter(|l| l.starts_with(kind)).count()
}

fn assert_all_set_up(env: &Env) {
    let left = env.leftovers();
    for kind in [
        "networks/ipam/app/",
        "networks/ports/",
        "netns/",
        "link veth",
        "dns app: ",
    ] {
        assert_eq!(count(&left, kind), N, "{kind}: {left:#?}");
    }
    // netavark 1.4's iptables rules: a DNAT chain entry per port.
    let dnat = env
        .ns
        .rules()
        .lines()
        .filter(|l| l.contains("--dport 9"))
        .count();
    assert!(dnat >= N, "{dnat} port rules");
}

// The issue's cleanup case, with netavark's 250-bridge "$fw_driver -
// port forwarding" teardown checks (no rule left) at scale.
#[test]
fn fifty_containers_removed_or_with_killed_monitors_leave_nothing() {
    require_network!();
    let env = Env::new("cleanup50");
    ok(&mut env.strata(&["network", "create", "app"]));

    let ids = start_many(&env, "a");
    assert_all_set_up(&env);
    ok(env.strata(&["rm", "-f"]).args(&ids));
    assert_eq!(env.leftovers(), Vec::<String>::new(), "after rm -f");
    assert_eq!(
        env.ns
            .rules()
            .lines()
            .filter(|l| l.contains("--dport 9"))
            .count(),
        0
    );

    let ids = start_many(&env, "b");
    assert_all_set_up(&env);
    for id in &ids {
        let v: Value = serde_json::from_str(&ok(&mut env.strata(&["inspect", id]))).unwrap();
        let pid = v["State"]["MonitorPid"].as_u64().unwrap();
        let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
    }
    let ps = out(&run(&mut env.strata(&["ps", "-a"])));
    assert_eq!(env.leftovers(), Vec::<String>::new(), "after ps:\n{ps}");
    assert_eq!(ps.matches("Exited").count(), N, "{ps}");
    ok(env.strata(&["rm"]).args(&ids));
    assert_eq!(env.leftovers(), Vec::<String>::new());
}

// The outbound NAT case for a monitored container on a user
// network: a server in a second namespace one veth away ("the outside")
// sees the test namespace's address, not the container's.
#[test]
fn a_monitored_containers_traffic_leaves_with_the_namespaces_address() {
    require_network!();
    let env = Env::new("mon_nat");
    let server = env.far_server();
    ok(&mut env.strata(&["network", "create", "app"]));
    ok(&mut env.strata(&[
        "run",
        "-d",
        "--name",
        "box",
        "--network",
        "app",
        "bb:1",
        "sleep",
        "1000",
    ]));
    let script = support::netenv::ask_far();
    let mut text = String::new();
    for _ in 0..20 {
        text = out(&run(&mut env.strata(&["exec", "box", "sh", "-c", &script])));
        if text.contains("from ") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    drop(server);
    assert!(
        text.contains(&format!("from {}\n", support::netns::OUTWARD)),
        "{text}"
    );
    ok(&mut env.strata(&["rm", "-f", "box"]));
    assert_eq!(env.leftovers(), Vec::<String>::new());
}
