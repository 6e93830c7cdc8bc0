//! `build --platform A,B`: one build of the Dockerfile per platform, at
//! most `jobs` at once, named together by an OCI image index. The builds
//! share the store's step cache and its per-key locks, so a stage that does
//! not depend on the target platform (`FROM --platform=$BUILDPLATFORM`
//! without the TARGET args) has the same keys in every build and is built
//! once: the other builds wait on its key and take the result.

use std::sync::Mutex;

use strata_store::{ImageRef, Platform, PlatformImage, Store};

use crate::event::{Event, EventSink};
use crate::solve::{BuildError, BuildOptions, BuildResult, annotation, build};

/// What a multi-platform build made.
#[derive(Debug, Clone)]
pub struct PlatformsResult {
    /// The index over every platform's image.
    pub index_digest: strata_store::Digest,
    /// Each platform's build, in the order asked for.
    pub builds: Vec<(Platform, BuildResult)>,
}

/// Builds `opts` once per platform and writes the index; `opts.tags` name
/// the index and `opts.outputs` get the index and every image.
pub fn build_platforms(
    store: &Store,
    opts: &BuildOptions,
    platforms: &[Platform],
    jobs: usize,
    events: &dyn EventSink,
) -> Result<PlatformsResult, BuildError> {
    let mut seen: Vec<Platform> = Vec::new();
    for p in platforms {
        if seen.iter().any(|s| s.normalized() == p.normalized()) {
            return Err(BuildError::Flag(format!("--platform lists {p} twice")));
        }
        seen.push(p.clone());
    }
    // Held from the first build to the tag, so gc never collects an image
    // that is built but not yet named by the index.
    let _busy = store.lock_shared()?;
    let per_platform = |p: &Platform| BuildOptions {
        platform: p.clone(),
        tags: Vec::new(),
        outputs: Vec::new(),
        cache_limit: None,
        ..opts.clone()
    };
    let queue = Mutex::new(platforms.iter().enumerate());
    let results: Mutex<Vec<Option<Result<BuildResult, BuildError>>>> =
        Mutex::new(platforms.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, platforms.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let Some((i, p)) = next else { break };
                    let result = build(store, &per_platform(p), events).map_err(|e| {
                        BuildError::ForPlatform {
                            platform: p.to_string(),
                            source: Box::new(e),
                        }
                    });
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(result);
                }
            });
        }
    });
    let mut builds = Vec::new();
    let mut images = Vec::new();
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    for (p, result) in platforms.iter().zip(results) {
        let result = result
            .ok_or_else(|| BuildError::Invariant(format!("the build for {p} did not run")))??;
        images.push(PlatformImage {
            platform: p.clone(),
            image: store.image(&result.manifest_digest)?,
            annotations: annotation::for_manifest_descriptor(&opts.annotations, p),
        });
        builds.push((p.clone(), result));
    }
    let index = store.write_platform_index(&images, &annotation::for_index(&opts.annotations))?;
    let descriptor = annotation::for_index_descriptor(&opts.annotations);
    let mut names = Vec::new();
    for tag in &opts.tags {
        let name = ImageRef::parse(tag).map_err(strata_store::StoreError::from)?;
        store.tag_annotated(&name, &index, &descriptor)?;
        names.push(name);
    }
    if !opts.outputs.is_empty() {
        let strata_store::Stored::Index(stored) = store.stored(&index)? else {
            return Err(BuildError::Invariant(
                "the index just written is not an index".into(),
            ));
        };
        for out in &opts.outputs {
            store.export_index_annotated(
                &stored,
                &out.transport(names.first()),
                opts.compression,
                &|_| {},
                &descriptor,
            )?;
        }
    }
    events.emit(Event::ImageWritten {
        manifest: index,
        config: None,
        tags: names.iter().map(|n| n.to_string()).collect(),
    });
    if let Some(limit) = opts.cache_limit
        && let Err(e) = crate::cache::prune::enforce_limit(store, limit)
    {
        events.emit(Event::Warning {
            message: format!("could not apply the cache limit: {e}"),
        });
    }
    Ok(PlatformsResult {
        index_digest: index,
        builds,
    })
}
