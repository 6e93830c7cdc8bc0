//! Global ("meta") ARGs: the automatic platform ARGs, then the ARGs before
//! the first FROM, each overridable with `--build-arg`.

use std::collections::BTreeMap;

use super::{PlanError, PlanOptions, Platform};
use crate::dockerfile::Dockerfile;
use crate::shell::expand;

fn platform_args(prefix: &str, p: &Platform, out: &mut BTreeMap<String, String>) {
    out.insert(format!("{prefix}PLATFORM"), p.to_string());
    out.insert(format!("{prefix}OS"), p.os.clone());
    out.insert(format!("{prefix}ARCH"), p.architecture.clone());
    out.insert(
        format!("{prefix}VARIANT"),
        p.variant.clone().unwrap_or_default(),
    );
}

/// The values every FROM line sees (and that `ARG NAME` in a stage imports).
pub fn meta_args(
    df: &Dockerfile,
    opts: &PlanOptions,
    target_name: Option<&str>,
) -> Result<BTreeMap<String, String>, PlanError> {
    let mut env = BTreeMap::new();
    platform_args("BUILD", &opts.build_platform, &mut env);
    platform_args("TARGET", &opts.target_platform, &mut env);
    if let Some(t) = target_name {
        env.insert("TARGETSTAGE".into(), t.to_string());
    }
    for (k, v) in &opts.build_args {
        if env.contains_key(k) {
            env.insert(k.clone(), v.clone());
        }
    }
    for located in &df.global_arg_lines {
        let crate::instruction::Instruction::Arg(decls) = &located.value else {
            continue;
        };
        for d in decls {
            if let Some(v) = opts.build_args.get(&d.name) {
                env.insert(d.name.clone(), v.clone());
            } else if let Some(def) = &d.default {
                let v = expand(def, &env, df.escape)
                    .map_err(|e| PlanError::new(located.line, located.column, e.to_string()))?;
                env.insert(d.name.clone(), v);
            }
        }
    }
    Ok(env)
}
