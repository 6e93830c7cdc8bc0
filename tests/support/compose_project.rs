//! A compose project for a runtime test: its own network namespace and
//! store (netenv.rs) with a project directory, `strata compose -p NAME`
//! run there, and every container left removed when it is dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::cli::{run, stderr};
use super::netenv::{Env, out};

pub struct Project {
    pub env: Env,
    pub dir: PathBuf,
    pub name: &'static str,
}

impl Project {
    pub fn new(name: &'static str, compose: &str) -> Self {
        let env = Env::new(name);
        let dir = env.root.parent().unwrap().join("project");
        std::fs::create_dir_all(&dir).unwrap();
        let p = Self { env, dir, name };
        p.write(compose);
        p
    }

    /// A docker/compose e2e project (testdata/compose/docker-compose/...)
    /// with its `alpine` and `bash` images replaced by the store's busybox.
    pub fn from_fixture(name: &'static str, fixture: &str) -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/compose/docker-compose")
            .join(fixture);
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text
            .replace("'alpine'", "bb:1")
            .replace("image: alpine", "image: bb:1")
            .replace("image: bash", "image: bb:1");
        Self::new(name, &text)
    }

    pub fn write(&self, compose: &str) {
        std::fs::write(self.dir.join("compose.yaml"), compose).unwrap();
    }

    /// `strata compose -p NAME ARGS` in the project directory, not run yet.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = self.env.strata(&["compose", "-p", self.name]);
        c.args(args).current_dir(&self.dir);
        c
    }

    pub fn compose(&self, args: &[&str]) -> Output {
        run(&mut self.command(args))
    }

    pub fn compose_ok(&self, args: &[&str]) -> String {
        let o = self.compose(args);
        assert!(
            o.status.success(),
            "compose {args:?} failed: {}",
            stderr(&o)
        );
        out(&o)
    }

    /// `compose ps -a --format json`: one object a line.
    pub fn ps(&self) -> Vec<Value> {
        self.compose_ok(&["ps", "-a", "--format", "json"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// (service, state) of each container, by service.
    pub fn states(&self) -> Vec<(String, String)> {
        self.ps()
            .iter()
            .map(|r| {
                let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
                (s("Service"), s("State"))
            })
            .collect()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let ids = run(&mut self.env.strata(&["ps", "-a", "-q", "--no-trunc"]));
        let ids: Vec<String> = out(&ids).lines().map(str::to_owned).collect();
        if !ids.is_empty() {
            let _ = self.env.strata(&["rm", "-f"]).args(&ids).output();
        }
    }
}
