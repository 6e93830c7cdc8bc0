//! buildx's four `--annotation` types on a two-platform build (a base
//! index of Debian's amd64 and arm64 busybox-static; the Dockerfile runs
//! nothing, so no emulator is needed), each read back where BuildKit's
//! exporter puts it: `manifest[PLATFORM]` on each image manifest,
//! `manifest-descriptor[PLATFORM]` on the index's entry for it, `index` on
//! the index, `index-descriptor` on the OCI layout's entry for the index.
//! They must come through the store (`inspect`), `--output type=oci`, a
//! push to a docker-registry and to `oci:` (each re-compressing the built
//! layers, so the index is written again), a re-tag, and a push with
//! another compression. Read with `skopeo inspect --raw` and from the
//! layout's index.json.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::cli::{ok, run, strata, tool};
use support::foreign::import_two_platform_index;
use support::registry::TestRegistry;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

struct Lab {
    tmp: tempfile::TempDir,
    root: PathBuf,
    ctx: PathBuf,
}

impl Lab {
    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
}

/// A store whose `base` is an amd64 + arm64 busybox index, and a context.
fn lab() -> Lab {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("store");
    import_two_platform_index(tmp.path(), &root, "base");
    let ctx = tmp.path().join("ctx");
    std::fs::create_dir(&ctx).expect("mkdir");
    std::fs::write(ctx.join("Dockerfile"), "FROM base\nCOPY hello /hello\n").expect("write");
    std::fs::write(ctx.join("hello"), "hi\n").expect("write");
    Lab { tmp, root, ctx }
}

const ANNOTATIONS: &[&str] = &[
    "--annotation",
    "org.example.every-manifest=m",
    "--annotation",
    "manifest[linux/arm64]:org.example.arm-manifest=only-arm",
    "--annotation",
    "manifest-descriptor:org.example.every-entry=e",
    "--annotation",
    "manifest-descriptor[linux/amd64]:org.example.amd-entry=only-amd",
    "--annotation",
    "index:org.opencontainers.image.title=the index",
    "--annotation",
    "index-descriptor:org.example.layout-entry=top",
];

fn index_json(layout: &Path) -> Value {
    json(&std::fs::read_to_string(layout.join("index.json")).expect("index.json"))
}

/// The layout's one entry (its descriptor of the index).
fn top_entry(layout: &Path) -> Value {
    let index = index_json(layout);
    let entries = index["manifests"].as_array().expect("manifests");
    assert_eq!(entries.len(), 1, "{index}");
    entries[0].clone()
}

fn entry_for<'a>(index: &'a Value, arch: &str) -> &'a Value {
    index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .find(|m| m["platform"]["architecture"] == arch)
        .unwrap_or_else(|| panic!("no {arch} entry: {index}"))
}

/// What the index and its entries say, as every copy of it must say it.
fn assert_index_annotations(index: &Value) {
    assert_eq!(
        index["annotations"]["org.opencontainers.image.title"], "the index",
        "{index}"
    );
    let amd = &entry_for(index, "amd64")["annotations"];
    let arm = &entry_for(index, "arm64")["annotations"];
    assert_eq!(amd["org.example.every-entry"], "e", "{index}");
    assert_eq!(amd["org.example.amd-entry"], "only-amd", "{index}");
    assert_eq!(arm["org.example.every-entry"], "e", "{index}");
    assert!(arm.get("org.example.amd-entry").is_none(), "{index}");
    assert!(
        index["annotations"]
            .get("org.example.layout-entry")
            .is_none(),
        "the index-descriptor annotation is not the index's: {index}"
    );
}

/// The manifests' own annotations.
fn assert_manifest_annotations(arch: &str, manifest: &Value) {
    let a = &manifest["annotations"];
    assert_eq!(a["org.example.every-manifest"], "m", "{manifest}");
    assert_eq!(
        a.get("org.example.arm-manifest").is_some(),
        arch == "arm64",
        "{arch}: {manifest}"
    );
    assert!(
        a.get("org.example.every-entry").is_none(),
        "a descriptor's annotation is not the manifest's: {manifest}"
    );
}

fn skopeo_raw(what: &str) -> Value {
    json(&ok(tool("skopeo").args([
        "inspect",
        "--tls-verify=false",
        "--raw",
        what,
    ])))
}

fn blob(layout: &Path, digest: &str) -> Value {
    let hex = digest.trim_start_matches("sha256:");
    json(&std::fs::read_to_string(layout.join("blobs/sha256").join(hex)).expect("blob"))
}

#[test]
fn each_annotation_type_lands_where_buildx_puts_it_and_stays_there() {
    let lab = lab();
    let out = lab.path("out");
    let meta = lab.path("meta.json");
    ok(strata(&lab.root)
        .args(["build", "-q", "--platform", "linux/amd64,linux/arm64"])
        .args(["-t", "app:1"])
        .args(ANNOTATIONS)
        .arg("--output")
        .arg(format!("type=oci,dest={}", out.display()))
        .arg("--metadata-file")
        .arg(&meta)
        .arg(&lab.ctx));

    // --output type=oci: the layout's entry, the index, each manifest.
    let top = top_entry(&out);
    assert_eq!(
        top["annotations"]["org.example.layout-entry"], "top",
        "{top}"
    );
    assert_eq!(top["mediaType"], "application/vnd.oci.image.index.v1+json");
    let index = skopeo_raw(&format!("oci:{}:1", out.display()));
    assert_index_annotations(&index);
    for arch in ["amd64", "arm64"] {
        let digest = entry_for(&index, arch)["digest"].as_str().expect("digest");
        assert_manifest_annotations(arch, &blob(&out, digest));
    }

    // --metadata-file: buildx's containerimage.descriptor is the
    // descriptor of the index, with the index-descriptor annotations.
    let meta = json(&std::fs::read_to_string(&meta).expect("metadata file"));
    let d = &meta["containerimage.descriptor"];
    assert_eq!(d["digest"], meta["containerimage.digest"], "{meta}");
    assert_eq!(d["mediaType"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(
        d["annotations"]["org.example.layout-entry"], "top",
        "{meta}"
    );

    // The store: inspect shows the index's and its entry's annotations.
    let inspect = json(&ok(strata(&lab.root).args(["inspect", "app:1"])));
    assert_eq!(
        inspect["Annotations"]["org.opencontainers.image.title"], "the index",
        "{inspect}"
    );
    assert_eq!(
        inspect["DescriptorAnnotations"]["org.example.layout-entry"], "top",
        "{inspect}"
    );
    assert_index_annotations(&inspect["Index"]);

    // A docker-registry: the index and each manifest, by digest.
    let reg = TestRegistry::start();
    let remote = format!("{}/team/app", reg.host());
    ok(strata(&lab.root).args(["push", "app:1", &format!("docker://{remote}:1")]));
    let pushed = skopeo_raw(&format!("docker://{remote}:1"));
    assert_index_annotations(&pushed);
    for arch in ["amd64", "arm64"] {
        let digest = entry_for(&pushed, arch)["digest"].as_str().expect("digest");
        assert_manifest_annotations(arch, &skopeo_raw(&format!("docker://{remote}@{digest}")));
    }

    // Re-tagged, then pushed to an OCI layout with zstd: another set of
    // compressed layers, so another index, saying the same.
    ok(strata(&lab.root).args(["tag", "app:1", "again:2"]));
    let again = json(&ok(strata(&lab.root).args(["inspect", "again:2"])));
    assert_eq!(again["Id"], inspect["Id"], "the index itself is re-tagged");
    let zstd = lab.path("zstd");
    ok(strata(&lab.root)
        .args(["push", "--compression", "zstd", "again:2"])
        .arg(format!("oci:{}:2", zstd.display())));
    let top = top_entry(&zstd);
    assert_eq!(
        top["annotations"]["org.example.layout-entry"], "top",
        "{top}"
    );
    let index = skopeo_raw(&format!("oci:{}:2", zstd.display()));
    assert_ne!(index, pushed, "zstd layers make other manifests");
    assert_index_annotations(&index);
    for arch in ["amd64", "arm64"] {
        let digest = entry_for(&index, arch)["digest"].as_str().expect("digest");
        let manifest = blob(&zstd, digest);
        // The built layer (the base's came compressed and stays as it is).
        let built = manifest["layers"].as_array().and_then(|l| l.last());
        assert!(
            built
                .and_then(|l| l["mediaType"].as_str())
                .is_some_and(|m| m.ends_with("+zstd")),
            "{manifest}"
        );
        assert_manifest_annotations(arch, &manifest);
    }
}

#[test]
fn without_index_annotations_the_index_has_none() {
    let lab = lab();
    ok(strata(&lab.root)
        .args(["build", "-q", "--platform", "linux/amd64,linux/arm64"])
        .args(["-t", "plain:1", "--annotation", "k=v"])
        .arg(&lab.ctx));
    let inspect = json(&ok(strata(&lab.root).args(["inspect", "plain:1"])));
    let index = &inspect["Index"];
    assert!(index.get("annotations").is_none(), "{index}");
    for m in index["manifests"].as_array().expect("manifests") {
        assert!(m.get("annotations").is_none(), "{index}");
    }
    assert_eq!(inspect["Annotations"], serde_json::json!({}));
}

#[test]
fn index_annotations_on_a_single_platform_build_are_refused_before_building() {
    let lab = lab();
    for flag in ["index:org.example.k=v", "index-descriptor:org.example.k=v"] {
        let out = run(strata(&lab.root)
            .args(["build", "-q", "--platform", "linux/amd64", "-t", "one:1"])
            .args(["--annotation", flag])
            .arg(&lab.ctx));
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("--annotation {flag}")), "{err}");
        assert!(err.contains("no image index"), "{err}");
        assert!(
            run(strata(&lab.root).args(["inspect", "one:1"]))
                .status
                .code()
                != Some(0),
            "nothing was built"
        );
    }
}

#[test]
fn a_single_platform_builds_manifest_descriptor_annotation_is_on_the_layouts_entry() {
    let lab = lab();
    let out = lab.path("single");
    let meta = lab.path("single.json");
    ok(strata(&lab.root)
        .args(["build", "-q", "--platform", "linux/arm64", "-t", "one:1"])
        .args(["--annotation", "manifest-descriptor:org.example.entry=e"])
        .arg("--output")
        .arg(format!("type=oci,dest={}", out.display()))
        .arg("--metadata-file")
        .arg(&meta)
        .arg(&lab.ctx));
    let top = top_entry(&out);
    assert_eq!(top["annotations"]["org.example.entry"], "e", "{top}");
    let manifest = skopeo_raw(&format!("oci:{}:1", out.display()));
    assert!(manifest.get("annotations").is_none(), "{manifest}");
    let inspect = json(&ok(strata(&lab.root).args(["inspect", "one:1"])));
    assert_eq!(
        inspect["DescriptorAnnotations"]["org.example.entry"], "e",
        "{inspect}"
    );
    let meta = json(&std::fs::read_to_string(&meta).expect("metadata file"));
    let d = &meta["containerimage.descriptor"];
    assert_eq!(d["annotations"]["org.example.entry"], "e", "{meta}");
    assert_eq!(d["platform"]["architecture"], "arm64", "{meta}");
}

#[test]
fn two_names_of_one_index_keep_their_own_index_descriptor_annotations() {
    let lab = lab();
    // The same index twice (descriptor annotations are not in it), named
    // with different layout-entry annotations.
    for (name, value) in [("first:1", "one"), ("second:1", "two")] {
        ok(strata(&lab.root)
            .args(["build", "-q", "--platform", "linux/amd64,linux/arm64"])
            .args(["-t", name, "--annotation"])
            .arg(format!("index-descriptor:org.example.which={value}"))
            .arg(&lab.ctx));
    }
    let first = json(&ok(strata(&lab.root).args(["inspect", "first:1"])));
    let second = json(&ok(strata(&lab.root).args(["inspect", "second:1"])));
    assert_eq!(first["Id"], second["Id"], "one index");
    ok(strata(&lab.root).args(["tag", "first:1", "copy:1"]));
    for (name, value) in [("first:1", "one"), ("second:1", "two"), ("copy:1", "one")] {
        let layout = lab.path(&format!("layout-{}", name.replace(':', "-")));
        ok(strata(&lab.root)
            .args(["push", name])
            .arg(format!("oci:{}:x", layout.display())));
        let top = top_entry(&layout);
        assert_eq!(
            top["annotations"]["org.example.which"], value,
            "{name}: {top}"
        );
    }
}

/// `push oci:` -> `pull oci:` -> `push oci:`: the layout entry's
/// descriptor annotation (a single-platform build's manifest-descriptor)
/// comes back into the store and out again; one platform pulled from a
/// layout's index keeps what the index's entry for it says.
#[test]
fn a_layouts_descriptor_annotations_survive_a_pull_from_it() {
    let lab = lab();
    ok(strata(&lab.root)
        .args(["build", "-q", "--platform", "linux/arm64", "-t", "one:1"])
        .args(["--annotation", "manifest-descriptor:org.example.entry=e"])
        .arg(&lab.ctx));
    let first = lab.path("first");
    ok(strata(&lab.root)
        .args(["push", "one:1"])
        .arg(format!("oci:{}:1", first.display())));

    let other = lab.path("other-store");
    ok(strata(&other)
        .arg("pull")
        .arg(format!("oci:{}:1", first.display()))
        .arg("back:1"));
    let inspect = json(&ok(strata(&other).args(["inspect", "back:1"])));
    assert_eq!(
        inspect["DescriptorAnnotations"]["org.example.entry"], "e",
        "{inspect}"
    );
    let second = lab.path("second");
    ok(strata(&other)
        .args(["push", "back:1"])
        .arg(format!("oci:{}:1", second.display())));
    let top = top_entry(&second);
    assert_eq!(top["annotations"]["org.example.entry"], "e", "{top}");
    assert_eq!(top_entry(&first)["digest"], top["digest"], "the same image");

    // One platform of a layout's index: the index's entry for it.
    ok(strata(&lab.root)
        .args(["build", "-q", "--platform", "linux/amd64,linux/arm64"])
        .args(["-t", "app:1"])
        .args(ANNOTATIONS)
        .arg(&lab.ctx));
    let multi = lab.path("multi");
    ok(strata(&lab.root)
        .args(["push", "app:1"])
        .arg(format!("oci:{}:1", multi.display())));
    ok(strata(&other)
        .args(["pull", "--platform", "linux/amd64"])
        .arg(format!("oci:{}:1", multi.display()))
        .arg("amd:1"));
    let inspect = json(&ok(strata(&other).args(["inspect", "amd:1"])));
    let d = &inspect["DescriptorAnnotations"];
    assert_eq!(d["org.example.every-entry"], "e", "{inspect}");
    assert_eq!(d["org.example.amd-entry"], "only-amd", "{inspect}");
    assert!(d.get("org.example.layout-entry").is_none(), "{inspect}");
}

/// `pull --all-platforms oci:` keeps the layout's index whole, so its
/// entry's index-descriptor annotation and the index's own annotations
/// come back out of `push oci:` as they went in.
#[test]
fn a_layouts_index_descriptor_annotation_survives_pulling_all_platforms() {
    let lab = lab();
    ok(strata(&lab.root)
        .args(["build", "-q", "--platform", "linux/amd64,linux/arm64"])
        .args(["-t", "app:1"])
        .args(ANNOTATIONS)
        .arg(&lab.ctx));
    let first = lab.path("first");
    ok(strata(&lab.root)
        .args(["push", "app:1"])
        .arg(format!("oci:{}:1", first.display())));

    let other = lab.path("other-store");
    ok(strata(&other)
        .args(["pull", "--all-platforms"])
        .arg(format!("oci:{}:1", first.display()))
        .arg("back:1"));
    let inspect = json(&ok(strata(&other).args(["inspect", "back:1"])));
    assert_eq!(
        inspect["DescriptorAnnotations"]["org.example.layout-entry"], "top",
        "{inspect}"
    );
    assert_index_annotations(&inspect["Index"]);

    let second = lab.path("second");
    ok(strata(&other)
        .args(["push", "back:1"])
        .arg(format!("oci:{}:1", second.display())));
    let top = top_entry(&second);
    assert_eq!(
        top["annotations"]["org.example.layout-entry"], "top",
        "{top}"
    );
    assert_eq!(top["mediaType"], "application/vnd.oci.image.index.v1+json");
    let index = skopeo_raw(&format!("oci:{}:1", second.display()));
    assert_index_annotations(&index);
    for arch in ["amd64", "arm64"] {
        let digest = entry_for(&index, arch)["digest"].as_str().expect("digest");
        assert_manifest_annotations(arch, &blob(&second, digest));
    }
}

/// buildx fails a build given `manifest[PLATFORM]:` (or
/// `manifest-descriptor[PLATFORM]:`) for a platform it does not build,
/// before building anything; the error names the flag and what is built.
#[test]
fn a_platforms_annotation_for_a_platform_not_built_fails_the_build() {
    let lab = lab();
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["--platform", "linux/amd64,linux/arm64"],
            "manifest[linux/s390x]:org.example.k=v",
            "linux/amd64, linux/arm64",
        ),
        (
            &["--platform", "linux/arm64"],
            "manifest-descriptor[linux/amd64]:org.example.k=v",
            "linux/arm64",
        ),
    ];
    for (platforms, flag, built) in cases {
        let out = run(strata(&lab.root)
            .args(["build", "-q", "-t", "unbuilt:1"])
            .args(*platforms)
            .args(["--annotation", flag])
            .arg(&lab.ctx));
        assert_eq!(out.status.code(), Some(2), "{flag}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("--annotation {flag}")), "{err}");
        assert!(err.contains(&format!("it builds {built}")), "{err}");
        assert!(
            run(strata(&lab.root).args(["inspect", "unbuilt:1"]))
                .status
                .code()
                != Some(0),
            "nothing was built"
        );
    }
    // A platform that is built takes its annotation.
    ok(strata(&lab.root)
        .args(["build", "-q", "-t", "built:1", "--platform", "linux/arm64"])
        .args(["--annotation", "manifest[linux/arm64]:org.example.k=v"])
        .arg(&lab.ctx));
    let inspect = json(&ok(strata(&lab.root).args(["inspect", "built:1"])));
    assert_eq!(
        inspect["Manifest"]["annotations"]["org.example.k"], "v",
        "{inspect}"
    );
}
