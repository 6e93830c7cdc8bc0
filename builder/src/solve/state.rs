//! A stage's state between steps: its config, its layers, the key chain.

use std::collections::BTreeSet;
use std::path::PathBuf;

use strata_store::Descriptor;

use crate::cache::Parent;
use crate::config::{ImageConfig, StageConfig};
use crate::layer_stack::LayerStack;
use crate::layered::LayeredFs;
use strata_store::Digest;

/// One layer of a stage's root filesystem.
#[derive(Debug, Clone)]
pub enum Layer {
    /// A layer of the base image: its blob is already in the store.
    Base {
        descriptor: Box<Descriptor>,
        diff_id: Digest,
        dir: PathBuf,
    },
    /// The snapshot a step made.
    Step { dir: PathBuf, key: Digest },
}

impl Layer {
    pub fn dir(&self) -> &PathBuf {
        match self {
            Layer::Base { dir, .. } | Layer::Step { dir, .. } => dir,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StageState {
    pub name: String,
    pub config: StageConfig,
    /// Lowest first.
    pub layers: Vec<Layer>,
    /// The key of the last step (or the base), parent of the next step.
    pub key: Parent,
    /// The platform the stage runs as (FROM --platform, else the build's
    /// target platform; a stage built FROM another takes that one's).
    pub platform: strata_store::Platform,
    /// ARG values declared in this stage so far, in order.
    pub args: Vec<(String, String)>,
    /// Names whose value was last set by an ARG, not an ENV (or the base
    /// image's env): BuildKit's dispatchArg adds an ARG's value to the
    /// state's env, so an ARG after an ENV of the same name overrides it
    /// for RUN and for expansion, and an ENV after an ARG overrides that.
    /// The image config keeps the ENV's value.
    arg_set_last: BTreeSet<String>,
    /// The time of the newest content: the base image's creation, then
    /// the creation of each step's cache record. A rebuild from the cache
    /// so gets the same timestamps, and the same digest.
    pub created: Option<String>,
}

impl StageState {
    pub fn new(
        name: String,
        base: ImageConfig,
        layers: Vec<Layer>,
        key: Parent,
    ) -> (Self, Vec<String>) {
        let created = base.created.clone();
        let (config, triggers) = StageConfig::from_base(base);
        (
            Self {
                name,
                config,
                layers,
                key,
                platform: strata_store::Platform::host(),
                args: Vec::new(),
                arg_set_last: BTreeSet::new(),
                created,
            },
            triggers,
        )
    }

    /// The merged root filesystem view.
    pub fn fs(&self) -> LayeredFs {
        LayeredFs::new(self.stack())
    }

    /// The stage's snapshot dirs (its layers, lowest first).
    pub fn stack(&self) -> LayerStack {
        LayerStack::lowest_first(self.layers.iter().map(|l| l.dir().clone()).collect())
    }

    /// An ARG declared with a value.
    pub fn declare_arg(&mut self, name: &str, value: String) {
        self.args.retain(|(k, _)| k != name);
        self.args.push((name.to_string(), value));
        self.arg_set_last.insert(name.to_string());
    }

    /// An ENV instruction: its names are ENV's again.
    pub fn set_env(&mut self, pairs: &[(String, String)]) {
        self.config.set_env(pairs);
        for (k, _) in pairs {
            self.arg_set_last.remove(k);
        }
    }

    /// The value of an ARG that was set after any ENV of its name.
    fn arg_over_env(&self, name: &str) -> Option<&String> {
        if !self.arg_set_last.contains(name) {
            return None;
        }
        self.args.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Variables for expanding instructions: ARGs, then ENV (ENV wins, as
    /// in docker build, unless an ARG set the name after it).
    pub fn expansion_env(&self) -> Vec<(String, String)> {
        let env = self.config.env();
        let mut out: Vec<(String, String)> = self
            .args
            .iter()
            .filter(|(k, _)| !env.iter().any(|(e, _)| e == k))
            .cloned()
            .collect();
        out.extend(env.into_iter().map(|(k, v)| {
            let v = self.arg_over_env(&k).cloned().unwrap_or(v);
            (k, v)
        }));
        out
    }

    /// The same environment as [`StageState::expansion_env`], looked up
    /// in place instead of copied: most instructions expand a word or two.
    pub fn expansion_view(&self) -> ExpansionView<'_> {
        ExpansionView { state: self }
    }

    /// The environment a RUN process gets: ENV plus the ARGs ENV does not
    /// override.
    pub fn run_env(&self) -> Vec<String> {
        let env = self.config.env();
        let mut out: Vec<String> = env
            .iter()
            .map(|(k, v)| {
                let v = self.arg_over_env(k).unwrap_or(v);
                format!("{k}={v}")
            })
            .collect();
        for (k, v) in &self.args {
            if !env.iter().any(|(e, _)| e == k) {
                out.push(format!("{k}={v}"));
            }
        }
        out
    }
}

/// ENV over ARG, as [`StageState::expansion_env`] orders them.
pub struct ExpansionView<'a> {
    state: &'a StageState,
}

impl strata_parser::Env for ExpansionView<'_> {
    fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.state.arg_over_env(name) {
            return Some(v.clone());
        }
        self.state.config.get_env(name).or_else(|| {
            let args = &self.state.args;
            args.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }
}
