//! Loading a project: files read (or stdin), YAML parsed with positions,
//! interpolated, validated, put in long form, paths resolved, `include` and
//! `extends` applied, files merged, profiles applied, then normalized.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::error::LoadError;
use crate::node::Node;
use crate::{discover, dotenv, interpolate, merge, normalize, schema, shapes, yaml};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `-f` files in order; `-` is standard input. Empty: discovered.
    pub files: Vec<PathBuf>,
    pub project_name: Option<String>,
    pub profiles: Vec<String>,
    pub env_files: Vec<PathBuf>,
    pub project_dir: Option<PathBuf>,
    pub interpolate: bool,
    /// Check that every service has an image or a build and needs only
    /// services of the project (off: `config --no-consistency`).
    pub consistency: bool,
    /// Where relative -f paths and discovery start.
    pub working_dir: PathBuf,
    /// The process environment.
    pub environ: IndexMap<String, String>,
    /// What `-f -` reads.
    pub stdin: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub name: String,
    pub project_dir: PathBuf,
    /// The normalized model as JSON (see [`crate::model`] for its types).
    pub model: Value,
    /// Warnings compose prints (unset variables, ...).
    pub warnings: Vec<String>,
    /// The profiles some service names, enabled or not.
    pub all_profiles: Vec<String>,
}

/// The environment interpolation sees: the `.env` files of `dirs` (the
/// project directory, then the working directory over it, as docker compose
/// reads them), or the `--env-file`s instead, with the process environment
/// over all.
pub fn environment(opts: &Options, dirs: &[&Path]) -> Result<IndexMap<String, String>, LoadError> {
    let mut env = IndexMap::new();
    let files: Vec<PathBuf> = if opts.env_files.is_empty() {
        let mut found: Vec<PathBuf> = Vec::new();
        for d in dirs {
            let f = d.join(".env");
            let canon = std::fs::canonicalize(&f).unwrap_or_else(|_| f.clone());
            if f.is_file()
                && !found
                    .iter()
                    .any(|g| std::fs::canonicalize(g).ok().as_ref() == Some(&canon))
            {
                found.push(f);
            }
        }
        found
    } else {
        opts.env_files
            .iter()
            .map(|f| opts.working_dir.join(f))
            .collect()
    };
    for f in files {
        let text = std::fs::read_to_string(&f)
            .map_err(|e| LoadError::new(format!("cannot read env file: {e}")).in_file(&f))?;
        let environ = &opts.environ;
        let lookup = |k: &str| environ.get(k).cloned();
        let vars = dotenv::read(&text, &lookup).map_err(|e| {
            let (line, msg) = match &e {
                dotenv::DotenvError::Syntax { line, message } => (Some(*line), message.clone()),
                other => (None, other.to_string()),
            };
            let err = LoadError::new(msg).in_file(&f);
            match line {
                Some(l) => err.at_line(l),
                None => err,
            }
        })?;
        env.extend(vars);
    }
    for (k, v) in &opts.environ {
        env.insert(k.clone(), v.clone());
    }
    Ok(env)
}

/// One compose file read and turned into its long form, paths resolved
/// against `base`.
pub(crate) struct FileCtx<'a> {
    pub env: &'a IndexMap<String, String>,
    pub interpolate: bool,
    pub warnings: &'a mut Vec<String>,
}

pub(crate) fn read_file(
    path: &Path,
    text: &str,
    base: &Path,
    ctx: &mut FileCtx,
) -> Result<Value, LoadError> {
    let at = |e: LoadError| e.in_file(path);
    let docs = yaml::parse_documents(text, 0)
        .map_err(|e| at(LoadError::new(e.message).at_line(e.line)))?;
    if docs.is_empty() {
        return Err(at(LoadError::new("empty compose file")));
    }
    let mut merged = json!({});
    for doc in docs {
        let shaped = read_document(path, doc, base, ctx)?;
        merge::merge(&mut merged, &shaped, &[]);
    }
    Ok(merged)
}

fn read_document(
    path: &Path,
    mut doc: Node,
    base: &Path,
    ctx: &mut FileCtx,
) -> Result<Value, LoadError> {
    let at = |e: LoadError| e.in_file(path);
    if doc.as_map().is_none() {
        return Err(at(
            LoadError::new("top-level object must be a mapping").at_line(doc.pos.line)
        ));
    }
    if ctx.interpolate {
        let unset = interpolate::interpolate(&mut doc, ctx.env).map_err(|e| {
            at(LoadError::new(e.error.to_string())
                .at_line(e.node.pos.line)
                .at_path(e.path.to_string()))
        })?;
        for name in unset {
            let w = format!("The \"{name}\" variable is not set. Defaulting to a blank string.");
            if !ctx.warnings.contains(&w) {
                ctx.warnings.push(w);
            }
        }
    }
    if doc.get("version").is_some() {
        let w = format!(
            "{}: the attribute `version` is obsolete, it will be ignored",
            path.display()
        );
        ctx.warnings.push(w);
    }
    crate::pull_policy::check(&doc).map_err(at)?;
    schema::validate(&mut doc).map_err(|v| {
        at(LoadError::new(v.message)
            .at_line(v.pos.line)
            .at_path(v.path.to_string()))
    })?;
    let mut shaped = shapes::file(&doc).map_err(|e| {
        at(LoadError::new(e.message)
            .at_line(e.line)
            .at_path(e.path.to_string()))
    })?;
    normalize::resolve_paths(&mut shaped, base, ctx.env);
    Ok(shaped)
}

fn read_text(path: &Path, opts: &Options) -> Result<String, LoadError> {
    if path == Path::new("-") {
        return opts
            .stdin
            .clone()
            .ok_or_else(|| LoadError::new("no standard input to read"));
    }
    std::fs::read_to_string(path)
        .map_err(|e| LoadError::new(format!("cannot read: {e}")).in_file(path))
}

/// The files of a project (-f, COMPOSE_FILE, or discovered), its directory,
/// and where discovery started.
struct Located {
    files: Vec<PathBuf>,
    project_dir: PathBuf,
    start_dir: PathBuf,
}

fn locate(opts: &Options) -> Result<Located, LoadError> {
    let mut files: Vec<PathBuf> = opts
        .files
        .iter()
        .map(|f| {
            if f == Path::new("-") {
                f.clone()
            } else {
                opts.working_dir.join(f)
            }
        })
        .collect();
    // COMPOSE_FILE and COMPOSE_PROFILES may come from a .env file too: the
    // one of the working directory (or --project-directory), or --env-file.
    let start_dir = match &opts.project_dir {
        Some(d) => opts.working_dir.join(d),
        None => opts.working_dir.clone(),
    };
    let pre_env = environment(opts, &[&start_dir])?;
    if files.is_empty()
        && let Some(list) = pre_env.get("COMPOSE_FILE")
    {
        let sep = pre_env
            .get("COMPOSE_PATH_SEPARATOR")
            .map_or(":", String::as_str);
        files = list
            .split(sep)
            .filter(|s| !s.is_empty())
            .map(|f| opts.working_dir.join(f))
            .collect();
    }
    if files.is_empty() {
        files = discover::find(&start_dir)?;
    }
    let project_dir = match &opts.project_dir {
        Some(d) => opts.working_dir.join(d),
        None => match files.first() {
            Some(f) if f != Path::new("-") => f.parent().map(Path::to_path_buf).unwrap_or_default(),
            _ => opts.working_dir.clone(),
        },
    };
    let project_dir = std::fs::canonicalize(&project_dir).unwrap_or(project_dir);
    Ok(Located {
        files,
        project_dir,
        start_dir,
    })
}

/// The variables the project's files use (`config --variables`), read
/// without interpolating anything.
pub fn variables(
    opts: &Options,
) -> Result<std::collections::BTreeMap<String, crate::variables::Variable>, LoadError> {
    let Located { files, .. } = locate(opts)?;
    let mut out = std::collections::BTreeMap::new();
    for f in &files {
        let text = read_text(f, opts)?;
        let docs = yaml::parse_documents(&text, 0)
            .map_err(|e| LoadError::new(e.message).at_line(e.line).in_file(f))?;
        for doc in &docs {
            crate::variables::in_tree(doc, &mut out);
        }
    }
    Ok(out)
}

pub fn load(opts: &Options) -> Result<Loaded, LoadError> {
    let Located {
        files,
        project_dir,
        start_dir,
    } = locate(opts)?;
    let mut env = environment(opts, &[&project_dir, &start_dir])?;
    let texts: Vec<String> = files
        .iter()
        .map(|f| read_text(f, opts))
        .collect::<Result<_, _>>()?;
    // The name comes before interpolation: files may use ${COMPOSE_PROJECT_NAME}.
    let top_name = top_level_name(&files, &texts, &env, opts.interpolate)?;
    let name = project_name(opts, &env, top_name.as_deref(), &project_dir)?;
    env.insert("COMPOSE_PROJECT_NAME".into(), name.clone());
    let mut warnings = Vec::new();
    let mut merged = json!({});
    for (f, text) in files.iter().zip(&texts) {
        let mut ctx = FileCtx {
            env: &env,
            interpolate: opts.interpolate,
            warnings: &mut warnings,
        };
        let mut shaped = read_file(f, text, &project_dir, &mut ctx)?;
        crate::include::apply(&mut shaped, f, &project_dir, opts, &mut warnings)?;
        merge::merge(&mut merged, &shaped, &[]);
    }
    // Errors of the merged project name the (first) file it came from.
    let first = files.first().cloned().unwrap_or_default();
    let whole = |e: LoadError| {
        if e.file.is_none() {
            e.in_file(&first)
        } else {
            e
        }
    };
    crate::extends::apply(
        &mut merged,
        &project_dir,
        &env,
        opts.interpolate,
        &mut warnings,
    )
    .map_err(whole)?;
    crate::merge_tags::strip_merge_tags(&mut merged);

    let mut enabled: Vec<String> = opts.profiles.clone();
    if enabled.is_empty()
        && let Some(p) = env.get("COMPOSE_PROFILES")
    {
        enabled = p
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
    }
    let all_profiles = crate::profiles::apply(&mut merged, &enabled).map_err(whole)?;
    if let Value::Object(m) = &mut merged {
        m.insert("name".into(), json!(name));
        m.remove("include");
        m.remove("version");
    }
    normalize::finish(&mut merged, &name, &env, &project_dir, opts.consistency).map_err(whole)?;
    Ok(Loaded {
        name,
        project_dir,
        model: merged,
        warnings,
        all_profiles,
    })
}

/// The top-level `name` of the last document that sets one, interpolated.
fn top_level_name(
    files: &[PathBuf],
    texts: &[String],
    env: &IndexMap<String, String>,
    interpolate: bool,
) -> Result<Option<String>, LoadError> {
    let mut name = None;
    for (f, text) in files.iter().zip(texts) {
        let docs = yaml::parse_documents(text, 0)
            .map_err(|e| LoadError::new(e.message).at_line(e.line).in_file(f))?;
        for doc in docs {
            let Some(n) = doc.get("name").and_then(Node::scalar_text) else {
                continue;
            };
            let n = if interpolate {
                let lookup = |k: &str| env.get(k).cloned();
                crate::template::substitute(&n, &lookup)
                    .map_err(|e| LoadError::new(e.to_string()).in_file(f).at_path("name"))?
                    .0
            } else {
                n
            };
            name = Some(n);
        }
    }
    Ok(name)
}

fn project_name(
    opts: &Options,
    env: &IndexMap<String, String>,
    top: Option<&str>,
    project_dir: &Path,
) -> Result<String, LoadError> {
    if let Some(n) = &opts.project_name {
        discover::check_name(n, "project name")?;
        return Ok(n.clone());
    }
    if let Some(n) = env.get("COMPOSE_PROJECT_NAME").filter(|n| !n.is_empty()) {
        discover::check_name(n, "COMPOSE_PROJECT_NAME")?;
        return Ok(n.clone());
    }
    if let Some(n) = top.filter(|n| !n.is_empty()) {
        discover::check_name(n, "the top-level name")?;
        return Ok(n.to_string());
    }
    let base = project_dir
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = discover::normalize_name(&base);
    if n.is_empty() {
        return Err(LoadError::new(format!(
            "project name {base:?} of directory {} is empty once normalized: give one with -p",
            project_dir.display()
        )));
    }
    Ok(n)
}

/// `Map` helper for the other stages.
pub(crate) fn services_mut(doc: &mut Value) -> Option<&mut Map<String, Value>> {
    doc.get_mut("services").and_then(Value::as_object_mut)
}
