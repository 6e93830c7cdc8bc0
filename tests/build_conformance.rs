//! testdata/build cases built by strata through the binary and by buildah
//! on the same Dockerfile and base image: same root filesystem (paths,
//! types, modes, owners, contents, link targets) and config (Env, Cmd,
//! Entrypoint, WorkingDir, User, ExposedPorts, Volumes, Labels,
//! StopSignal). Cases buildah 1.28 cannot build say `"peer": false` in
//! their case.json and are checked against its explicit expectations.
//! Every case is built twice: the second build is fully cached and gives
//! the same image digest.

mod build_support;

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                build_support::case::run_case(stringify!($name));
            }
        )*
    };
}

cases!(
    add_local_file,
    add_tar,
    add_url,
    add_url_peer,
    arg_scope,
    copy_basic,
    copy_chmod,
    copy_chown,
    copy_dest_symlink,
    copy_from_image,
    copy_glob,
    copy_parents_exclude,
    dockerignore,
    entrypoint_clears_cmd,
    entrypoint_clears_cmd_child,
    env_arg,
    env_forms,
    heredoc_copy,
    heredoc_run,
    metadata,
    multistage,
    onbuild,
    run_exec,
    run_mount_bind,
    run_mount_cache,
    run_mount_secret,
    run_mount_tmpfs,
    run_network,
    run_shell,
    scratch,
    shell_cmd,
    shell_instruction,
    symlinks,
    target,
    user,
    whiteout_opaque,
    workdir,
);
