//! The cases under testdata/build, one list for every test binary that
//! builds them all (against buildah, and rootless against root), so a new
//! case cannot be left out of one of them. tests/build_rootless.rs checks
//! the list against the directory.

/// Calls the macro `$m` with every testdata/build case name.
#[allow(unused_macros)]
macro_rules! with_build_cases {
    ($m:ident) => {
        $m!(
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
            copy_symlink_source,
            dockerignore,
            dockerignore_reinclude_wildcard,
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
    };
}
#[allow(unused_imports)]
pub(crate) use with_build_cases;
