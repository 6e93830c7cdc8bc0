//! `strata system binfmt [--install]`: the binfmt_misc handlers that let
//! programs of other architectures run (RUN steps and `run --platform`).

use std::path::Path;

use miette::{Result, miette};
use strata_executor::binfmt::{self, BINFMT_DIR, Installed};
use strata_store::{ARCHES, Arch};

use crate::cli::BinfmtArgs;

pub fn run(args: &BinfmtArgs) -> Result<i32> {
    if args.install {
        let mut missing = false;
        for done in binfmt::install().map_err(|e| miette!("{e}"))? {
            match done {
                Installed::Registered { arch, name } => println!("{arch}: registered {name}"),
                Installed::Present { arch, name } => println!("{arch}: {name} already registered"),
                Installed::Unavailable { arch, reason } => {
                    missing = true;
                    println!("{arch}: not registered: {reason}")
                }
            }
        }
        if missing {
            eprintln!("(install Debian's qemu-user-static for every architecture)");
        }
    }
    list()
}

fn list() -> Result<i32> {
    let dir = Path::new(BINFMT_DIR);
    let host = Arch::host();
    println!(
        "{:<16} {:<10} {:<20} INTERPRETER",
        "PLATFORM", "STATUS", "HANDLER"
    );
    for arch in ARCHES {
        let platform = format!("linux/{}", arch.oci);
        if host.runs_natively(arch) {
            println!("{platform:<16} {:<10} {:<20} -", "native", "-");
            continue;
        }
        match binfmt::handler_for(dir, arch).map_err(|e| miette!("{e}"))? {
            Some(h) => println!(
                "{platform:<16} {:<10} {:<20} {} (flags {})",
                "emulated", h.name, h.interpreter, h.flags
            ),
            None => println!("{platform:<16} {:<10} {:<20} -", "none", "-"),
        }
    }
    Ok(0)
}
