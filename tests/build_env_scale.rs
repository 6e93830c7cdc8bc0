//! Metadata instructions cost time linear in their count (benches/
//! env_lines.sh measures it): here, that a long ENV list is still built
//! right, and that only what a filesystem step sees enters its cache key,
//! as in BuildKit: a LABEL before a RUN does not invalidate it, an ENV does.

mod support;

use serde_json::Value;
use support::env::Env;
use support::events::{fs_steps_cached, fs_steps_run};

const N: usize = 20_000;

#[test]
fn twenty_thousand_env_lines_all_reach_the_image_config_in_order() {
    let env = Env::new();
    let ctx = env.path("ctx");
    std::fs::create_dir_all(&ctx).expect("mkdir");
    let mut df = String::from("FROM scratch\nENV V0=v\n");
    for i in 1..N {
        df.push_str(&format!("ENV V{i}=${{V0}}{i}\n"));
    }
    // Replaced in place, as docker keeps the first position.
    df.push_str("ENV V7=again\n");
    std::fs::write(ctx.join("Dockerfile"), df).expect("write");
    let (id, _) = env.build_json(&ctx, &[]);
    let (_, config) = env.unpack(id.trim(), "img");
    let list: Vec<&str> = config["config"]["Env"]
        .as_array()
        .expect("Env")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(list.len(), N + 1, "PATH and every V");
    assert!(list[0].starts_with("PATH="));
    assert_eq!(list[1], "V0=v");
    assert_eq!(list[3], "V2=v2");
    assert_eq!(list[8], "V7=again");
    assert_eq!(list[N], format!("V{}=v{}", N - 1, N - 1));
}

#[test]
fn a_label_before_a_run_keeps_its_cache_and_an_env_change_does_not() {
    let env = Env::new();
    let ctx = env.path("ctx");
    std::fs::create_dir_all(&ctx).expect("mkdir");
    let write = |label: &str, value: &str| {
        std::fs::write(
            ctx.join("Dockerfile"),
            format!("FROM busybox\nENV A={value}\nLABEL x={label}\nRUN echo $A > /a\n"),
        )
        .expect("write");
    };
    write("1", "one");
    let (_, first) = env.build_json(&ctx, &[]);
    assert_eq!(fs_steps_run(&first), vec![(0, 2)]);
    write("2", "one");
    let (_, relabeled) = env.build_json(&ctx, &[]);
    assert_eq!(
        fs_steps_cached(&relabeled),
        vec![(0, 2)],
        "LABEL changed only the config"
    );
    write("2", "two");
    let (id, changed) = env.build_json(&ctx, &[]);
    assert_eq!(
        fs_steps_run(&changed),
        vec![(0, 2)],
        "the RUN sees the new ENV"
    );
    let (root, config) = env.unpack(id.trim(), "img");
    assert_eq!(
        std::fs::read_to_string(root.join("a")).ok().as_deref(),
        Some("two\n")
    );
    assert_eq!(config["config"]["Labels"]["x"], "2");
}
