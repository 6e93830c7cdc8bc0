//! `--network pasta` for a monitored container: an attachment whose
//! namespace is served by pasta instead of a bridge. It is an ordinary
//! attachment record (owner, ports as reserved, namespace, hosts and
//! resolv.conf) plus the pasta process's pid and start time, so the
//! paths that exist for bridges serve it too: the monitor sets it up and
//! tears it down around each run, `port` and `inspect` read its ports,
//! and a reaper that finds its monitor dead ends its pasta. pasta is the
//! monitor's child, as it is the foreground `run`'s (pasta.rs).
//!
//! Host ports are reserved as a bridge's are (port files under the
//! networks lock and a bind probe), so `-p CONTAINER` gets a free host
//! port, and two containers cannot both be given one.

use std::path::Path;
use std::time::Duration;

use crate::attach::{Attachment, Request};
use crate::error::{Error, Result, io};
use crate::owner::Owner;
use crate::record::Networks;
use crate::{PastaNames, Publish, atomic, etc, netns, pasta, ports, reap_stale};

/// How long a killed pasta may take to exit (its tap device is
/// unregistered on the way, tens of milliseconds).
const EXIT_WITHIN: Duration = Duration::from_secs(5);

impl Attachment {
    /// Reserves the ports, makes the namespace and starts pasta on it,
    /// publishing the ports; returns once pasta has configured it.
    /// `start_in`: a `cgroup.procs` pasta moves into first (see
    /// [`crate::UserNet::create`]).
    pub fn setup_pasta(store_root: &Path, req: &Request, start_in: Option<&Path>) -> Result<Self> {
        reap_stale(store_root)?;
        let nets = Networks::new(store_root);
        let mut att = Self::unwired(store_root, nets, req);
        let dir = att.dir.clone();
        {
            let locked = att.nets.lock()?;
            std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
            att.save()?;
            att.record.ports =
                ports::reserve(&locked, att.nets.dir(), &req.container_id, &req.ports)?;
            att.save()?;
        }
        att.write_files(req)?;
        att.record.wired = true;
        att.save()?;
        if !crate::routes::has_default_route() {
            // As for a foreground run: nothing outside to reach, and pasta
            // would refuse to start.
            netns::create_with_loopback(&att.record.netns)?;
            return Ok(att);
        }
        netns::create(&att.record.netns)?;
        let publish = Publish::of(&att.record.ports)?;
        let child = pasta::spawn(&att.record.netns, &dir, &publish, start_in)?;
        att.record.pasta = Owner::of(child.id());
        att.pasta = Some(child);
        att.save()?;
        if let Some(child) = att.pasta.as_mut() {
            pasta::ready(child, &dir)?;
        }
        Ok(att)
    }

    /// The container's /etc/hosts (localhost and `--add-host`s: it has no
    /// address of its own to name) and resolv.conf (the outer one, made
    /// reachable from inside, with what `--dns*` replace), and the init
    /// layer they are bound onto.
    fn write_files(&self, req: &Request) -> Result<()> {
        let names = PastaNames::of(req);
        let hosts = names.hosts()?;
        let init_etc = self.init_layer().join("etc");
        std::fs::create_dir_all(&init_etc).map_err(io("create", &init_etc))?;
        for f in ["hosts", "resolv.conf"] {
            atomic::write(&init_etc.join(f), b"")?;
        }
        atomic::write(&self.hosts(), etc::hosts(&req.name, &[], &hosts).as_bytes())?;
        let outer = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        atomic::write(&self.resolv_conf(), names.resolv_conf(&outer).as_bytes())
    }

    /// Ends the attachment's pasta and waits for its exit: our child is
    /// killed and reaped; one another process started (whose monitor was
    /// killed) is killed by pid, if it still is that process.
    pub(crate) fn stop_pasta(&mut self) -> Result<()> {
        if let Some(mut child) = self.pasta.take() {
            let _ = child.kill();
            return child
                .wait()
                .map(drop)
                .map_err(io("wait for pasta of", &self.record.netns));
        }
        match &self.record.pasta {
            Some(p) if !p.kill_and_wait(EXIT_WITHIN) => Err(Error::Tool {
                tool: "pasta".into(),
                msg: format!("pid {} still runs {EXIT_WITHIN:?} after SIGKILL", p.pid),
            }),
            _ => Ok(()),
        }
    }
}
