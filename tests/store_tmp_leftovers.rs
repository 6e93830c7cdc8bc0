//! What a killed build leaves in the store's tmp/: `system df` counts it
//! and says when gc may take it (15 minutes after it was last written,
//! since short writes without the store lock stage there too), and gc
//! removes it then, not before.

mod support;

use std::fs;

use support::cli::{ok, strata};
use support::env::Env;

#[test]
fn df_says_when_tmp_leftovers_become_reclaimable_and_gc_keeps_them_until_then() {
    let env = Env::new();
    let leftover = env.store.join("tmp/d-killed-build");
    fs::create_dir_all(leftover.join("upper")).unwrap();
    fs::write(leftover.join("upper/big"), vec![7u8; 300_000]).unwrap();

    let df = ok(strata(&env.store).args(["system", "df"]));
    assert!(
        df.contains("younger than 15 minutes") && df.contains("reclaimable once older"),
        "{df}"
    );
    ok(strata(&env.store).args(["system", "gc"]));
    assert!(
        leftover.join("upper/big").is_file(),
        "gc keeps a fresh leftover"
    );

    // Twenty minutes later (by its mtime): reclaimable now, and gc takes it.
    let old =
        filetime::FileTime::from_unix_time(filetime::FileTime::now().unix_seconds() - 20 * 60, 0);
    filetime::set_file_mtime(&leftover, old).unwrap();
    let df = ok(strata(&env.store).args(["system", "df"]));
    assert!(!df.contains("younger than"), "{df}");
    let reclaimable = df
        .lines()
        .find_map(|l| l.strip_prefix("reclaimable by gc: "))
        .unwrap_or_else(|| panic!("no reclaimable line: {df}"));
    assert_ne!(reclaimable.trim(), "0B", "{df}");
    ok(strata(&env.store).args(["system", "gc"]));
    assert!(!leftover.exists(), "gc removed the old leftover");
}
