//! A compose project directory beside a test's own namespace and store
//! (netenv.rs), driven through `strata compose -p NAME`; whatever the test
//! left running is removed when it ends.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

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

    /// A file in the project directory (parents made).
    pub fn file(&self, rel: &str, text: &str) {
        let path = self.dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `strata compose -p NAME ARGS` in the project directory, not run yet.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = self.env.strata(&["compose", "-p", self.name]);
        c.args(args).current_dir(&self.dir);
        c
    }

    /// `strata compose -p NAME ARGS` in the project directory.
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

    /// (name, state) of every container of the project.
    pub fn states(&self) -> Vec<(String, String)> {
        self.ps()
            .iter()
            .map(|r| {
                let name = r["Name"].as_str().unwrap().to_owned();
                (name, r["State"].as_str().unwrap().to_owned())
            })
            .collect()
    }

    /// (service, state) of each container, by service.
    pub fn service_states(&self) -> Vec<(String, String)> {
        self.ps()
            .iter()
            .map(|r| {
                let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
                (s("Service"), s("State"))
            })
            .collect()
    }

    pub fn id_of(&self, name: &str) -> String {
        let ps = self.ps();
        let row = ps.iter().find(|r| r["Name"] == name);
        row.unwrap_or_else(|| panic!("no container {name} in {ps:?}"))["ID"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `compose logs ARGS`, once it has a line equal to `want`.
    pub fn wait_for_log(&self, args: &[&str], want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut all = vec!["logs"];
        all.extend_from_slice(args);
        loop {
            let logs = self.compose_ok(&all);
            if logs.lines().any(|l| l == want) {
                return logs;
            }
            assert!(Instant::now() < deadline, "never logged {want:?}: {logs}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The answer to `GET PATH` from 127.0.0.1:PORT in the test's
    /// namespace, once it has `want` in it.
    pub fn wait_for_page(&self, port: u16, path: &str, want: &str) -> String {
        let script = format!(
            "printf 'GET {path} HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 2 127.0.0.1 {port}"
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self
                .env
                .ns
                .cmd("sh")
                .args(["-c", &script])
                .output()
                .unwrap();
            let body = out(&got);
            if body.contains(want) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "{path} on port {port} never said {want:?}; last: {body:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
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
