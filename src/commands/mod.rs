//! One module per command group; each returns the process exit code.

mod binfmt;
mod build;
mod build_cache_flags;
mod build_check;
mod build_failure;
mod build_run_settings;
mod build_secret_env;
mod build_ssh;
mod cache;
mod cdi_devices;
mod check;
mod compose;
mod dockerfile_input;
mod export_report;
mod images;
mod lint_report;
mod login;
mod metadata_file;
mod network;
mod network_connect;
mod network_container;
mod network_default;
mod network_port;
mod parse;
mod registry;
mod remote_context;
mod secret_cache;
mod stdin_context;
mod store_open;
mod system;
mod transfer;
mod unshare;

use miette::Result;

use crate::cli::{Cli, Command};

mod cidfile;
mod container;
mod container_dir;
mod containers;
mod run;
mod run_image;
mod run_network;
mod run_pasta;
mod volume_copy_up;
mod volume_mounts;
mod volumes;

pub fn dispatch(cli: Cli) -> Result<i32> {
    let root = cli.root.clone();
    match cli.command {
        Command::Parse(args) => parse::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Sandbox(args) => run::sandbox(args),
        Command::Run(args) => run::run(&store_open::open(root)?, &args),
        Command::Login(args) => login::login(&args),
        Command::Logout(args) => login::logout(&args),
        Command::Import(a) => transfer::import(&store_open::bounded(root, a.max_layer_size)?, &a),
        Command::Pull(a) => transfer::pull(&store_open::bounded(root, a.max_layer_size)?, &a),
        Command::Push(a) => transfer::push(&store_open::open(root)?, &a, cli.quiet),
        Command::Images(a) => images::list(&store_open::open(root)?, &a),
        Command::Inspect(a) => containers::inspect(&store_open::open(root)?, &a),
        Command::History(a) => images::history(&store_open::open(root)?, &a),
        Command::Tag(a) => images::tag(&store_open::open(root)?, &a),
        Command::Rmi(a) => images::rmi(&store_open::open(root)?, &a),
        // Emulation is the machine's, not the store's.
        Command::System(crate::cli::SystemArgs {
            command: crate::cli::SystemCommand::Binfmt(b),
            ..
        }) => binfmt::run(&b),
        Command::System(a) => system::run(&store_open::open(root)?, &a),
        Command::Build(a) => {
            build::run(&store_open::bounded(root, a.max_layer_size)?, &a, cli.quiet)
        }
        Command::Cache(a) => cache::run(&store_open::open(root)?, &a),
        Command::Unshare(a) => unshare::run(root, &a),
        Command::Create(a) => containers::create(&store_open::open(root)?, &a),
        Command::Start(a) => containers::start(&store_open::open(root)?, &a),
        Command::Stop(a) => containers::stop(&store_open::open(root)?, &a),
        Command::Restart(a) => containers::restart(&store_open::open(root)?, &a),
        Command::Kill(a) => containers::kill(&store_open::open(root)?, &a),
        Command::Rm(a) => containers::rm(&store_open::open(root)?, &a),
        Command::Ps(a) => containers::ps(&store_open::open(root)?, &a),
        Command::Logs(a) => containers::logs(&store_open::open(root)?, &a),
        Command::Wait(a) => containers::wait(&store_open::open(root)?, &a),
        Command::Commit(a) => containers::commit(&store_open::open(root)?, &a),
        Command::Diff(a) => containers::diff(&store_open::open(root)?, &a),
        Command::Rename(a) => containers::rename(&store_open::open(root)?, &a),
        Command::Exec(a) => containers::exec(&store_open::open(root)?, &a),
        Command::Pause(a) => containers::pause(&store_open::open(root)?, &a),
        Command::Unpause(a) => containers::unpause(&store_open::open(root)?, &a),
        Command::Attach(a) => containers::attach(&store_open::open(root)?, &a),
        Command::Top(a) => containers::top(&store_open::open(root)?, &a),
        Command::Stats(a) => containers::stats(&store_open::open(root)?, &a),
        Command::Container(a) => containers::container(&store_open::open(root)?, &a),
        Command::ContainerMonitor(a) => containers::monitor(&store_open::open(root)?, &a),
        Command::Cp(a) => containers::cp(&store_open::open(root)?, &a),
        Command::ContainerCp(a) => containers::cp_helper(&store_open::open(root)?, &a),
        Command::Network(a) => network::run(&store_open::open(root)?, &a),
        Command::Compose(a) => compose::run(root, &a, cli.quiet),
        Command::Volume(a) => volumes::run(&store_open::open(root)?, &a),
        Command::Port(a) => network_port::port(&store_open::open(root)?, &a),
    }
}
