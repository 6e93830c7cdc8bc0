//! The grammar of `strata network ...` and of the network flags of `run`.

use clap::{Args, Subcommand};

use crate::cli::ListFormat;

#[derive(Debug, Args)]
pub struct NetworkArgs {
    #[command(subcommand)]
    pub command: NetworkCommand,
}

#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Create a bridge network.
    Create(NetworkCreateArgs),
    /// List networks.
    #[command(alias = "list")]
    Ls {
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
    },
    /// Show networks as JSON.
    Inspect {
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Remove networks no container uses.
    #[command(alias = "remove")]
    Rm {
        /// Disconnect the containers using it first.
        #[arg(short, long)]
        force: bool,
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Connect a container to a network (at once if it runs, and at its
    /// later starts).
    Connect(NetworkConnectArgs),
    /// Disconnect a container from a network.
    Disconnect { network: String, container: String },
    /// Remove every user network no container uses.
    Prune {
        /// Do not ask (strata never asks; accepted as docker spells it).
        #[arg(short, long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct NetworkCreateArgs {
    /// Only `bridge`.
    #[arg(short, long, default_value = "bridge")]
    pub driver: String,
    /// IPv4 subnet (default: a free /24 in 10.89.0.0/16 or 10.90.0.0/16).
    #[arg(long, value_name = "CIDR")]
    pub subnet: Option<String>,
    /// Gateway address (default: the subnet's first address).
    #[arg(long, value_name = "IP", requires = "subnet")]
    pub gateway: Option<String>,
    /// No route out of the network: containers reach only each other.
    #[arg(long)]
    pub internal: bool,
    /// Metadata, KEY=VALUE.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct NetworkConnectArgs {
    /// Another name the container is found by on this network.
    #[arg(long = "alias", value_name = "NAME")]
    pub aliases: Vec<String>,
    /// The container's address on this network.
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    pub network: String,
    pub container: String,
}

/// `run`'s flags for a container on a network (with `--network`).
#[derive(Debug, Args)]
pub struct RunNetworkFlags {
    /// The container's address on its (first) network.
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// Another name the container is found by on its networks.
    #[arg(long = "network-alias", value_name = "NAME")]
    pub network_aliases: Vec<String>,
    /// Publish a container port on the host: [IP:]HOSTPORT:CONTAINERPORT[/tcp|udp].
    #[arg(
        short = 'p',
        long = "publish",
        value_name = "[IP:]HOST:CONTAINER[/PROTO]"
    )]
    pub publish: Vec<String>,
    /// Publish every port the image EXPOSEs on a free host port (from the
    /// kernel's ephemeral range, picked at each start).
    #[arg(short = 'P', long = "publish-all")]
    pub publish_all: bool,
    /// An /etc/hosts entry, NAME:IP; with --network pasta, NAME:host-gateway
    /// names the host.
    #[arg(long = "add-host", value_name = "NAME:IP")]
    pub add_hosts: Vec<String>,
    /// A nameserver for the container's /etc/resolv.conf.
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,
    /// A search domain for the container's /etc/resolv.conf (instead of the network's).
    #[arg(long = "dns-search", value_name = "DOMAIN")]
    pub dns_search: Vec<String>,
    /// An option for the container's /etc/resolv.conf (`ndots:2`), instead of the host's.
    #[arg(long = "dns-option", alias = "dns-opt", value_name = "OPTION")]
    pub dns_options: Vec<String>,
    /// The MAC address of the container's interface on its first network.
    #[arg(long = "mac-address", value_name = "MAC")]
    pub mac_address: Option<String>,
}

#[derive(Debug, Args)]
pub struct PortArgs {
    /// The container (name, id, or a unique id prefix).
    pub container: String,
    /// Only this container port: PORT or PORT/PROTO (tcp when not given).
    pub private: Option<String>,
}
