//! Git sources: `ADD https://HOST/repo.git#REF:DIR`, `git@HOST:repo.git`,
//! `git://…` and a git URL as the build context. Which strings are git
//! URLs follows BuildKit (`url.rs`); the ref is resolved to a commit with
//! the system `git` (`remote.rs`), and the commit's tree is checked out
//! once into the store's cache, named by the commit (`checkout.rs`), so a
//! step keyed by the commit needs no fetch when it hits.

pub mod checkout;
mod error;
pub mod remote;
mod submodules;
pub mod url;

pub use checkout::{Checkout, checkout};
pub use error::GitError;
pub use remote::{Resolved, resolve};
pub use url::GitUrl;
