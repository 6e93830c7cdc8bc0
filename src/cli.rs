//! The command-line grammar (clap derive). Flags follow docker build, buildah
//! and skopeo habits; see ARCHITECTURE.md "The command line".

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod compose;
mod containers;
pub use compose::*;
mod commit_change;
mod entitlement;
pub use entitlement::{Entitlement, device_grants};
mod cdi_device;
mod copy;
mod device_flags;
pub use cdi_device::DeviceFlag;
pub use copy::{CpArgs, CpHelperArgs};
pub use device_flags::*;
mod kv_file;
mod run_flags;
mod volume_options;
mod volumes;
pub use containers::*;
pub use kv_file::{EnvFile, LabelFile};
pub use run_flags::*;
pub use volume_options::*;
pub use volumes::*;
mod attach;
mod processes;
pub use attach::*;
pub use processes::*;

#[derive(Debug, Parser)]
#[command(
    name = "strata",
    version,
    about = "Build OCI images from Dockerfiles and run them"
)]
pub struct Cli {
    /// Store root (default /var/lib/strata as root, $XDG_DATA_HOME/strata otherwise).
    #[arg(long, global = true, env = "STRATA_ROOT")]
    pub root: Option<PathBuf>,
    /// More output. Not global: `run -v` is a volume, as in docker.
    #[arg(short, long)]
    pub verbose: bool,
    /// Less output.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the AST of a Dockerfile.
    Parse(ParseArgs),
    /// Lint a Dockerfile.
    Check(CheckArgs),
    /// Run a command in a sandbox on plain directories (developer tool).
    #[command(hide = true)]
    Sandbox(Box<SandboxArgs>),
    /// Run a command in a new container from an image.
    Run(Box<RunArgs>),
    /// Log in to a registry (credentials go to docker's config.json).
    Login(LoginArgs),
    /// Forget the credentials of a registry.
    Logout(LogoutArgs),
    /// Make a one-layer image from a root filesystem (directory or tar).
    Import(ImportArgs),
    /// Copy an image into the store (oci:, oci-archive:, docker-archive:).
    Pull(PullArgs),
    /// Copy an image out of the store (oci:, oci-archive:, docker-archive:).
    Push(PushArgs),
    /// List images.
    Images(ImagesArgs),
    /// Show a container's or an image's record as JSON.
    Inspect(ImageArg),
    /// Show an image's history, newest first.
    History(ImageArg),
    /// Give an image another name.
    Tag(TagArgs),
    /// Remove image names.
    Rmi(RmiArgs),
    /// Store maintenance.
    System(SystemArgs),
    /// Build an image from a Dockerfile.
    Build(Box<BuildArgs>),
    /// The build cache.
    Cache(CacheArgs),
    /// Run a command in the rootless user namespace, where the store's
    /// files have their image owners (`strata unshare sh -c 'rm -rf "$STRATA_ROOT"'`).
    Unshare(UnshareArgs),
    /// Create a container from an image, without starting it.
    Create(Box<CreateArgs>),
    /// Start containers under their monitors.
    Start(StartArgs),
    /// Stop containers: the stop signal, then SIGKILL after a timeout.
    Stop(StopArgs),
    /// Stop and start containers again.
    Restart(StopArgs),
    /// Send a signal to containers.
    Kill(KillArgs),
    /// Remove containers.
    Rm(RmArgs),
    /// List containers.
    Ps(PsArgs),
    /// Print a container's output (stdout and stderr kept apart).
    Logs(LogsArgs),
    /// Wait for containers to stop; print their exit codes.
    Wait(ContainersArg),
    /// Make an image of a container: its changes become one new layer.
    Commit(CommitArgs),
    /// A container's changes to its image: A added, C changed, D deleted.
    Diff(ContainersArg),
    /// Give a container another name.
    Rename(RenameArgs),
    /// Run a command in a running container (its namespaces, cgroups and confinement).
    Exec(ExecArgs),
    /// Connect to a running container's output (and its stdin, if made with -i).
    Attach(AttachArgs),
    /// List a running container's processes (the host's ps, filtered).
    Top(TopArgs),
    /// Running containers' CPU, memory and pids (cgroups, else /proc).
    Stats(StatsArgs),
    /// Container maintenance: prune.
    Container(ContainerCmdArgs),
    /// Freeze every process of containers (cgroup freezer; root only).
    Pause(ContainersArg),
    /// Thaw paused containers.
    Unpause(ContainersArg),
    /// A container's monitor (started by start/run -d).
    #[command(hide = true)]
    ContainerMonitor(MonitorArgs),
    /// Copy files between a container and the host (or a tar stream).
    Cp(CpArgs),
    /// The container's side of `cp` (started by cp).
    #[command(hide = true)]
    ContainerCp(CpHelperArgs),
    /// Container networks: create, ls, inspect, rm, prune.
    Network(crate::cli_network::NetworkArgs),
    /// Applications of several containers from a compose file (config, up, down, ps, logs).
    Compose(ComposeArgs),
    /// Named and anonymous volumes: create, ls, inspect, rm, prune.
    Volume(VolumeArgs),
    /// A running container's published ports: `port CONTAINER [PRIVATE[/PROTO]]`.
    Port(crate::cli_network::PortArgs),
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: ParseFormat,
    /// The Dockerfile (default ./Dockerfile; - for stdin).
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ParseFormat {
    Buildkit,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The Dockerfile (default ./Dockerfile; - for stdin).
    pub file: Option<PathBuf>,
    /// The build context, for the rules that need it (CopyIgnoredFile).
    pub context: Option<PathBuf>,
}

/// Flags shared by `run` and `sandbox`: how the process runs and is confined.
#[derive(Debug, Args)]
pub struct ContainerArgs {
    /// Set an environment variable (K=V, or K to take it from here).
    #[arg(short = 'e', long = "env", value_name = "K=V", value_parser = parse_var)]
    pub env: Vec<String>,
    /// Working directory inside the container.
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<String>,
    /// User (name or uid) and optional group, from the image's /etc/passwd and /etc/group.
    #[arg(short = 'u', long = "user", value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    /// Bind mount a host path.
    #[arg(short = 'v', long = "volume", value_name = "SRC:DST[:ro]", value_parser = volume_arg)]
    pub volumes: Vec<String>,
    /// host, none, pasta (a namespace of its own, out through pasta; rootless
    /// too), bridge (the default network), container:NAME (another running
    /// container's network namespace) or network names NAME[,NAME2]
    /// (default: $STRATA_NETWORK_DEFAULT, else bridge; host for rootless strata).
    #[arg(long, value_name = "MODE|NAME")]
    pub network: Option<String>,
    /// Memory limit (bytes, or with k/m/g suffix).
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// Maximum number of processes.
    #[arg(long = "pids-limit", value_name = "N")]
    pub pids_limit: Option<u64>,
    /// Hostname inside the container.
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Use a user namespace even as root (always on for other users).
    #[arg(long)]
    pub userns: bool,
    /// seccomp=unconfined|PROFILE.json (Docker's format), no-new-privileges.
    #[arg(long = "security-opt", value_name = "OPT")]
    pub security_opt: Vec<String>,
    /// Add a capability to the default set (NET_ADMIN, CAP_SYS_PTRACE, ALL).
    #[arg(long = "cap-add", value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a capability from the default set (ALL drops every one).
    #[arg(long = "cap-drop", value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Every capability, no seccomp filter, every device, no masked paths.
    #[arg(long)]
    pub privileged: bool,
    /// A resource limit, NAME=SOFT[:HARD] (nofile, nproc, core, ...; -1 is unlimited).
    #[arg(long = "ulimit", value_name = "NAME=SOFT[:HARD]")]
    pub ulimits: Vec<strata_executor::Ulimit>,
    #[command(flatten)]
    pub run_flags: RunFlags,
    #[command(flatten)]
    pub device_flags: DeviceFlags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NetworkMode {
    /// (build only, its default) RUN steps in a network namespace of the
    /// build's own, out through pasta, as BuildKit's sandbox.
    Sandbox,
    Host,
    None,
    /// (build only) one namespace on the default network, with NAT out, for the build's RUN steps.
    Bridge,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub lifecycle: LifecycleArgs,
    #[command(flatten)]
    pub terminal: TerminalArgs,
    /// Discard the container's writes when it ends (else they are kept and listed).
    #[arg(long)]
    pub rm: bool,
    #[command(flatten)]
    pub container: ContainerArgs,
    #[command(flatten)]
    pub net: crate::cli_network::RunNetworkFlags,
    /// The platform's image of a multi-platform image (OS/ARCH[/VARIANT];
    /// default: this machine's). A foreign one runs through emulation.
    #[arg(long)]
    pub platform: Option<strata_store::Platform>,
    /// The image: a name, a digest, or oci:DIR[:REF] | oci-archive:FILE[:REF] | docker-archive:FILE[:NAME[:TAG]].
    pub image: String,
    /// The command and its arguments (default: the image's CMD, after its ENTRYPOINT).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// A root directory used in place.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["lower", "upper", "work"])]
    pub rootfs: Option<PathBuf>,
    /// Overlay lower dirs, lowest first.
    #[arg(long, value_name = "DIR", requires_all = ["upper", "work"])]
    pub lower: Vec<PathBuf>,
    /// Overlay upper dir (receives the writes).
    #[arg(long, value_name = "DIR")]
    pub upper: Option<PathBuf>,
    /// Overlay work dir (same filesystem as the upper dir).
    #[arg(long, value_name = "DIR")]
    pub work: Option<PathBuf>,
    #[command(flatten)]
    pub container: ContainerArgs,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Registry host[:port] (docker.io when omitted), or a URL.
    pub server: Option<String>,
    #[arg(short, long)]
    pub username: Option<String>,
    /// The password (visible in the process list: prefer --password-stdin).
    #[arg(short, long)]
    pub password: Option<String>,
    /// Read the password from standard input.
    #[arg(long, conflicts_with = "password")]
    pub password_stdin: bool,
    /// Credentials file (default $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker/config.json).
    #[arg(long)]
    pub authfile: Option<PathBuf>,
    /// Check TLS certificates; false also allows plain http.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub tls_verify: bool,
}

/// Options of pull/push from/to `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`.
#[derive(Debug, Args)]
pub struct RegistryOpts {
    /// Platform to pull from a multi-platform image (OS/ARCH[/VARIANT]; default: this host's).
    #[arg(long)]
    pub platform: Option<String>,
    /// Check TLS certificates; false also allows plain http.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub tls_verify: bool,
    /// Credentials file (default $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker/config.json).
    #[arg(long)]
    pub authfile: Option<PathBuf>,
    /// Credentials USER:PASSWORD, instead of the credentials file.
    #[arg(long)]
    pub creds: Option<String>,
    /// Blobs transferred at once.
    #[arg(long, default_value_t = 3)]
    pub jobs: usize,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Registry host[:port] (docker.io when omitted), or a URL.
    pub server: Option<String>,
    /// Credentials file (default as for login).
    #[arg(long)]
    pub authfile: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A root filesystem: a directory, or a tar (gzip/zstd/plain).
    pub rootfs: PathBuf,
    /// Name for the image.
    pub name: String,
    /// The platform the tree is for (OS/ARCH[/VARIANT]): the image joins
    /// NAME's image index as that platform's entry.
    #[arg(long)]
    pub platform: Option<strata_store::Platform>,
    /// How the imported layer is stored: gzip|zstd|none[:LEVEL].
    #[arg(long, default_value = "gzip")]
    pub compression: String,
    /// Refuse a layer (or ADD archive) that expands past SIZE (`10MB`,
    /// `1.5GiB`); default 100GiB or the store's free space, whichever is smaller.
    #[arg(long, value_name = "SIZE")]
    pub max_layer_size: Option<strata_builder::cache::ByteSize>,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// oci:DIR[:REF] | oci-archive:FILE[:REF] | docker-archive:FILE[:NAME[:TAG]] | NAME[:TAG]
    pub source: String,
    /// Name for the image in the store (default: the source's REF or tag).
    pub name: Option<String>,
    /// From a registry or an OCI layout: every platform of a
    /// multi-platform image, named together by its index (instead of one,
    /// as --platform picks).
    #[arg(long, conflicts_with = "platform")]
    pub all_platforms: bool,
    #[command(flatten)]
    pub registry: RegistryOpts,
    /// Refuse a layer (or ADD archive) that expands past SIZE (`10MB`,
    /// `1.5GiB`); default 100GiB or the store's free space, whichever is smaller.
    #[arg(long, value_name = "SIZE")]
    pub max_layer_size: Option<strata_builder::cache::ByteSize>,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The image: a name or a digest (or a unique prefix of one).
    pub image: String,
    /// oci:DIR[:REF] | oci-archive:FILE[:REF] | docker-archive:FILE[:NAME[:TAG]]
    pub dest: String,
    /// How uncompressed layers (the ones `build` makes) are compressed on
    /// the way out: gzip|zstd|none[:LEVEL]. Layers that are already
    /// compressed (pulled, imported) are sent as they are; docker-archive
    /// always holds plain layer.tar files.
    #[arg(long, default_value = "gzip")]
    pub compression: String,
    #[command(flatten)]
    pub registry: RegistryOpts,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    /// Show each image's digest (an index's own for a multi-platform one).
    #[arg(long)]
    pub digests: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ImageArg {
    /// The image: a name or a digest (or a unique prefix of one).
    pub image: String,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// The image to name.
    pub source: String,
    /// One or more new names.
    #[arg(required = true)]
    pub targets: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Remove the name even when a container uses the image (the container
    /// keeps the content).
    #[arg(short = 'f', long)]
    pub force: bool,
    #[arg(required = true)]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SystemArgs {
    #[command(subcommand)]
    pub command: SystemCommand,
}

#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Disk usage of the store.
    Df,
    /// Remove blobs and snapshots nothing names or caches.
    Gc,
    /// Verify every blob and reference; exit 1 listing what is wrong.
    Fsck,
    /// gc, and with --volumes also the anonymous volumes no container uses.
    Prune {
        /// Also remove unused anonymous volumes.
        #[arg(long)]
        volumes: bool,
        /// Do not ask (strata never asks; accepted as docker spells it).
        #[arg(short, long)]
        force: bool,
    },
    /// Emulation of other architectures: list the binfmt_misc handlers, or
    /// register qemu-user-static's.
    Binfmt(BinfmtArgs),
}

#[derive(Debug, Args)]
pub struct BinfmtArgs {
    /// Register Debian's qemu-user-static for every architecture that has
    /// no handler (interpreter /usr/bin/qemu-ARCH-static, flag F), then list.
    #[arg(long)]
    pub install: bool,
    /// List the handlers (the default).
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The Dockerfile (default CONTEXT/Dockerfile).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Name the image (repeatable).
    #[arg(short = 't', long = "tag", value_name = "NAME[:TAG]")]
    pub tags: Vec<String>,
    /// Set a build arg (K=V, or K to take it from this environment).
    #[arg(long = "build-arg", value_name = "K[=V]", value_parser = parse_var)]
    pub build_args: Vec<String>,
    /// Build this stage instead of the last.
    #[arg(long)]
    pub target: Option<String>,
    /// A named context `FROM NAME`, `COPY --from=NAME` and `RUN --mount
    /// from=NAME` read (repeatable; overrides a stage or image of that name).
    #[arg(
        long = "build-context",
        value_name = "NAME=DIR|docker-image://REF|oci-layout://DIR[@DIGEST]"
    )]
    pub build_contexts: Vec<strata_builder::solve::NamedContextArg>,
    /// Lint the Dockerfile (with the context's rules) and stop, building
    /// nothing: exit 1 if any rule fires (buildx's `--check`).
    #[arg(long)]
    pub check: bool,
    /// Set a label on the image's config (K=V, repeatable; over the
    /// Dockerfile's LABEL).
    #[arg(long = "label", value_name = "K=V", value_parser = parse_label)]
    pub labels: Vec<(String, String)>,
    /// Annotate the image's manifest, or with `index:` a multi-platform
    /// build's index (buildx's `[TYPE[PLATFORM]:]K=V`; repeatable).
    #[arg(long = "annotation", value_name = "[TYPE:]K=V")]
    pub annotations: Vec<strata_builder::solve::annotation::Annotation>,
    /// Write what the build made as JSON (buildx's keys, strata.cache).
    #[arg(long = "metadata-file", value_name = "FILE")]
    pub metadata_file: Option<PathBuf>,
    /// Run every step; reuse nothing from the cache.
    #[arg(long)]
    pub no_cache: bool,
    /// When to pull images the Dockerfile names (FROM, COPY --from,
    /// RUN --mount from=) from their registry.
    #[arg(long, value_enum, default_value = "missing")]
    pub pull: PullPolicy,
    /// Platforms to build for (OS/ARCH[/VARIANT], comma-separated; default:
    /// this host's). Several make one image each, named together by an
    /// image index; foreign RUN steps run through emulation.
    #[arg(long, value_delimiter = ',')]
    pub platform: Vec<strata_store::Platform>,
    /// How many platforms build at once.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// Check registries' TLS certificates; false also allows plain http.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub tls_verify: bool,
    /// Registry credentials file (default as for pull).
    #[arg(long)]
    pub authfile: Option<PathBuf>,
    /// Export the build cache: type=registry,ref=HOST/REPO:TAG or
    /// type=local,dest=DIR, with mode=min (the image's stages, default) or
    /// mode=max (every stage); cache-mounts=true also carries the contents
    /// of the RUN --mount=type=cache dirs.
    #[arg(long = "cache-to", value_name = "type=TYPE,...")]
    pub cache_to: Vec<strata_builder::cache::remote::CacheTo>,
    /// Import build cache (repeatable): type=registry,ref=HOST/REPO:TAG or
    /// type=local,src=DIR.
    #[arg(long = "cache-from", value_name = "type=TYPE,...")]
    pub cache_from: Vec<strata_builder::cache::remote::CacheFrom>,
    /// keep, or normalize: files and dirs COPY/ADD take from the context
    /// lose the group/other write bits (umask 0002 and 0022 checkouts
    /// share the cache).
    #[arg(
        long = "source-modes",
        value_name = "keep|normalize",
        default_value = "keep"
    )]
    pub source_modes: strata_builder::copy::SourceModes,
    /// all, or referenced: a RUN's key takes only the build args its
    /// command or heredocs name (a program reading one unnamed is missed).
    #[arg(
        long = "cache-args",
        value_name = "all|referenced",
        default_value = "all"
    )]
    pub cache_args: strata_builder::solve::CacheArgs,
    /// Network for RUN steps that do not set --network.
    #[arg(long, value_enum, default_value = "sandbox")]
    pub network: NetworkMode,
    /// Grant an entitlement: security.insecure lets `RUN --security=insecure` run privileged,
    /// network.host lets `RUN --network=host` have the host's network, device lets `RUN
    /// --device` have every CDI device, device=NAME[,alias=ALIAS] the devices NAME names.
    #[arg(long = "allow", value_name = "ENTITLEMENT")]
    pub allow: Vec<Entitlement>,
    /// A directory of CDI specs for `RUN --device` (repeatable, later ones win; replaces
    /// the default /etc/cdi and /var/run/cdi).
    #[arg(long = "cdi-spec-dir", value_name = "DIR")]
    pub cdi_spec_dirs: Vec<PathBuf>,
    /// Progress output.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
    /// Also write the image out: type=oci|oci-archive|docker-archive,dest=PATH.
    #[arg(short = 'o', long = "output", value_name = "type=TYPE,dest=PATH")]
    pub outputs: Vec<String>,
    /// Write the image id (manifest digest) to this file.
    #[arg(long, value_name = "FILE")]
    pub iidfile: Option<PathBuf>,
    /// Layer compression of the build's exports (--output, --cache-to):
    /// gzip|zstd|none[:LEVEL]. The image in the store keeps uncompressed
    /// layers; `push` compresses them (its own --compression).
    #[arg(long, default_value = "gzip")]
    pub compression: String,
    /// A secret for RUN --mount=type=secret: id=ID,src=PATH[,cache=content]
    /// (content: a keyed hash of it is in the key of the RUNs that mount it).
    #[arg(long = "secret", value_name = "id=ID,src=PATH")]
    pub secrets: Vec<String>,
    /// An ssh agent for RUN --mount=type=ssh: `default` ($SSH_AUTH_SOCK),
    /// ID=SOCKET, or ID=KEYFILE[,KEYFILE] (loaded into an agent of the
    /// build's own; the keys never enter a step).
    #[arg(long = "ssh", value_name = "default|ID[=SOCKET|KEYFILE,...]")]
    pub ssh: Vec<String>,
    /// A line of every RUN's /etc/hosts: NAME:IP.
    #[arg(long = "add-host", value_name = "NAME:IP")]
    pub add_hosts: Vec<String>,
    /// A resource limit of every RUN, NAME=SOFT[:HARD] (nofile, nproc, ...).
    #[arg(long = "ulimit", value_name = "NAME=SOFT[:HARD]")]
    pub ulimits: Vec<strata_executor::Ulimit>,
    /// The size of every RUN's /dev/shm (binary units: 128m = 128 MiB).
    #[arg(long = "shm-size", value_name = "SIZE")]
    pub shm_size: Option<String>,
    /// For each step that misses the cache, say which input changed.
    #[arg(long)]
    pub explain_cache: bool,
    /// After the build, prune the cache down to SIZE (or `none`). Default:
    /// STRATA_CACHE_LIMIT, else ROOT/cache/limit, else 10% of the disk or
    /// 20GB, whichever is smaller.
    #[arg(long, value_name = "SIZE")]
    pub cache_limit: Option<strata_builder::cache::CacheLimit>,
    /// Clamp timestamps to this time for reproducible digests.
    #[arg(long, env = "SOURCE_DATE_EPOCH", value_name = "SECONDS")]
    pub source_date_epoch: Option<u64>,
    /// Refuse a layer (or ADD archive) that expands past SIZE (`10MB`,
    /// `1.5GiB`); default 100GiB or the store's free space, whichever is smaller.
    #[arg(long, value_name = "SIZE")]
    pub max_layer_size: Option<strata_builder::cache::ByteSize>,
    /// The build context directory.
    pub context: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PullPolicy {
    Missing,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    Auto,
    Tty,
    Plain,
    Json,
    Quiet,
}

#[derive(Debug, Args)]
pub struct UnshareArgs {
    /// The command and its arguments (default: $SHELL, else /bin/sh).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub command: CacheCommand,
}

#[derive(Debug, Args)]
pub struct CachePruneArgs {
    /// Also drop records whose layers an image uses (the image keeps its
    /// content; the cache forgets it).
    #[arg(long)]
    pub all: bool,
    /// Keep at most SIZE of cache (e.g. 512MB, 2GiB).
    #[arg(long, value_name = "SIZE")]
    pub keep_storage: Option<strata_builder::cache::ByteSize>,
    /// Filter: `until=DURATION` prunes only entries unused for DURATION
    /// (e.g. until=24h).
    #[arg(long = "filter", value_name = "until=DURATION", value_parser = parse_until)]
    pub filters: Vec<std::time::Duration>,
    /// List what would be removed and why; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// table, or json (the dry run's list, or the prune's counts).
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
}

/// `until=DURATION` (the one prune filter), as docker spells it.
/// `K=V` or `K`: a variable needs a name (docker refuses `=x` too).
fn parse_label(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err("a label is K=V".to_string()),
    }
}

fn parse_var(s: &str) -> Result<String, String> {
    match s.split_once('=').map_or(s, |(k, _)| k) {
        "" => Err("a variable needs a name: K=V, or K".to_string()),
        _ => Ok(s.to_string()),
    }
}

fn parse_until(s: &str) -> Result<std::time::Duration, String> {
    match s.split_once('=') {
        Some(("until", d)) => humantime::parse_duration(d).map_err(|e| format!("{d}: {e}")),
        _ => Err("the known filter is until=DURATION (e.g. until=24h)".to_string()),
    }
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List build cache records.
    Ls {
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
    },
    /// Totals: size on disk, reclaimable, in use by images.
    Du {
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
    },
    /// Every input of a record's key, and the snapshot and layers it maps to.
    Inspect {
        /// A record id (its key, or a unique prefix of it).
        id: String,
    },
    /// Remove cache entries, least recently used first; never what an
    /// image in the store needs.
    Prune(CachePruneArgs),
}
