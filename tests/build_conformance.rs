//! testdata/build cases built by strata through the binary and by buildah
//! on the same Dockerfile and base image: same root filesystem (paths,
//! types, modes, owners, contents, link targets) and config (Env, Cmd,
//! Entrypoint, WorkingDir, User, ExposedPorts, Volumes, Labels,
//! StopSignal). Cases buildah 1.28 cannot build say `"peer": false` in
//! their case.json and are checked against its explicit expectations.
//! Every case is built twice: the second build is fully cached and gives
//! the same image digest.

mod support;

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                support::case::run_case(stringify!($name));
            }
        )*
    };
}

support::build_cases::with_build_cases!(cases);
