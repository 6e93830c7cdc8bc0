//! A real `docker-registry` process (with or without htpasswd basic auth)
//! on 127.0.0.1, stopped on drop, and what tests put into it.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

pub struct TestRegistry {
    pub addr: SocketAddr,
    child: Child,
    _dir: TempDir,
}

impl TestRegistry {
    /// A plain-http registry, open to everyone.
    pub fn start() -> TestRegistry {
        Self::start_with(None)
    }

    /// A registry that wants basic auth for `user`/`password`.
    pub fn start_with_basic_auth(user: &str, password: &str) -> TestRegistry {
        Self::start_with(Some((user, password)))
    }

    fn start_with(auth: Option<(&str, &str)>) -> TestRegistry {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
             http:\n  addr: {PORT_PLACEHOLDER}\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = auth {
            let hash = bcrypt::hash(password, 5).expect("bcrypt");
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, format!("{user}:{hash}\n")).expect("htpasswd");
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: strata-test\n    path: {}\n",
                htpasswd.display()
            ));
        }
        // A port picked free can be taken again before the registry binds it,
        // and a loaded machine can be slow to start it: try a few ports, and
        // say what the registry printed when none worked.
        let log_path = dir.path().join("registry.log");
        let mut last_error = String::new();
        for _ in 0..3 {
            let addr = free_addr();
            let config_path = dir.path().join("config.yml");
            std::fs::write(
                &config_path,
                config.replace(PORT_PLACEHOLDER, &addr.to_string()),
            )
            .expect("config");
            let log = std::fs::File::create(&log_path).expect("registry log");
            let mut child = Command::new(REGISTRY_BIN)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start docker-registry (apt-get install docker-registry)");
            if wait_until_listening(addr, &mut child) {
                return TestRegistry {
                    addr,
                    child,
                    _dir: dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
            last_error = std::fs::read_to_string(&log_path).unwrap_or_default();
        }
        panic!("docker-registry did not start; its last output:\n{last_error}");
    }

    /// `127.0.0.1:PORT`, as written in image references.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr")
}

/// Stands for the listen address in the config until a port is picked.
const PORT_PLACEHOLDER: &str = "@ADDR@";

/// Whether the registry answers HTTP on `addr`; false when it exits or stays
/// silent for 30 s.
fn wait_until_listening(addr: SocketAddr, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect(addr) {
            let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\n\r\n");
            let mut first = String::new();
            if BufReader::new(s).read_line(&mut first).is_ok() && first.starts_with("HTTP/") {
                return true;
            }
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Writes `bytes` to a file in `dir` and returns its path.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

/// Tags `repo:latest` on `host` as an OCI index of the images already
/// tagged there, each (tag, architecture) listed as linux on that
/// architecture, in the order given.
pub fn put_platform_index(host: &str, repo: &str, images: &[(&str, &str)]) {
    use strata_store::registry::{ClientOptions, ManifestKind, RegistryClient, Target};

    let client = RegistryClient::new(host, &ClientOptions::default());
    let entries: Vec<String> = images
        .iter()
        .map(|(tag, arch)| {
            let m = client
                .get_manifest(repo, &Target::Tag((*tag).into()))
                .expect("manifest");
            format!(
                r#"{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"os":"linux","architecture":"{arch}"}}}}"#,
                m.kind,
                m.digest,
                m.bytes.len()
            )
        })
        .collect();
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
        entries.join(",")
    );
    client
        .put_manifest(
            repo,
            &Target::Tag("latest".into()),
            ManifestKind::OciIndex,
            index.as_bytes(),
        )
        .expect("put index");
}
