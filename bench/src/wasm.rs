//! The WASM figure: the same verification in Node through the package
//! (`bench/wasm-bench.mjs`), against native single-threaded verification
//! of the same image bytes in this process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use crate::fixtures::{DEFAULT_POLICY, MTTY2_DEVICE, with_policy};

/// Where `cargo xtask wasm` may leave the Node (CommonJS) package,
/// relative to the repository root, most likely first.
pub const PACKAGE_CANDIDATES: &[&str] =
    &["wasm/pkg/node", "wasm/pkg-node", "wasm/pkg/nodejs", "target/wasm/node", "target/wasm/pkg-node"];

/// The Node package directory: `explicit` when given, else the first
/// candidate under `root` that holds a `package.json`.
#[must_use]
pub fn find_package(root: &Path, explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return p.join("package.json").is_file().then(|| p.to_path_buf());
    }
    PACKAGE_CANDIDATES.iter().map(|c| root.join(c)).find(|p| p.join("package.json").is_file())
}

/// What the Node script measured.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeRun {
    /// `node --version`.
    pub node: String,
    /// Image bytes.
    pub image_bytes: u64,
    /// Best time of `verify(bytes, policy, device)`, seconds.
    pub verify_seconds: f64,
    /// Best time of `StreamVerifier` fed 64 KiB pieces, seconds.
    pub stream_seconds: f64,
}

/// Runs `node script --pkg ... --image ...` and parses its JSON line.
///
/// # Errors
///
/// When node is missing, the script fails, or the image did not verify.
pub fn run_node(
    script: &Path,
    package: &Path,
    image: &Path,
    root: &Path,
    runs: usize,
) -> Result<NodeRun, String> {
    let out = Command::new("node")
        .arg(script)
        .arg("--pkg")
        .arg(package)
        .arg("--image")
        .arg(image)
        .arg("--policy")
        .arg(root.join(crate::fixtures::paths::DEFAULT_POLICY))
        .arg("--device")
        .arg(root.join(crate::fixtures::paths::MTTY2_DEVICE))
        .arg("--runs")
        .arg(runs.to_string())
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "node {} failed ({}): {stdout}{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse_node_output(&stdout)
}

/// Parses the script's last output line.
///
/// # Errors
///
/// A message naming what is missing.
pub fn parse_node_output(stdout: &str) -> Result<NodeRun, String> {
    let line = stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).ok_or("no JSON from node")?;
    let v: Value = serde_json::from_str(line).map_err(|e| format!("node output: {e}: {line}"))?;
    if v.get("verdict").and_then(Value::as_str) != Some("verified") {
        return Err(format!("the WASM package did not verify the image: {line}"));
    }
    let f = |k: &str| v.get(k).and_then(Value::as_f64).ok_or_else(|| format!("node output: no {k}: {line}"));
    Ok(NodeRun {
        node: v.get("node").and_then(Value::as_str).unwrap_or("unknown").to_owned(),
        image_bytes: v
            .get("bytes")
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("node output: no bytes: {line}"))?,
        verify_seconds: f("verify_seconds")?,
        stream_seconds: f("stream_seconds")?,
    })
}

/// Best time of native single-threaded `verify_image` over `image`,
/// seconds.
///
/// # Errors
///
/// When the image does not verify.
pub fn native_seconds(image: &[u8], runs: usize) -> Result<f64, String> {
    with_policy(DEFAULT_POLICY, MTTY2_DEVICE, |policy, device| {
        let mut best = f64::INFINITY;
        for _ in 0..runs.max(1) {
            let start = Instant::now();
            migseal_verifier::verify_image(std::hint::black_box(image), policy, device)
                .map_err(|e| format!("native verification of the WASM image: {e}"))?;
            best = best.min(start.elapsed().as_secs_f64());
        }
        Ok(best)
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::unreachable
)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_script_line() {
        let out = "warming up\n{\"node\":\"v20.1.0\",\"verdict\":\"verified\",\"bytes\":1048576,\
                   \"verify_seconds\":0.01,\"stream_seconds\":0.02}\n";
        let r = parse_node_output(out).unwrap();
        assert_eq!(r.node, "v20.1.0");
        assert_eq!(r.image_bytes, 1_048_576);
        assert_eq!((r.verify_seconds, r.stream_seconds), (0.01, 0.02));
    }

    #[test]
    fn refuses_unverified_or_partial_output() {
        assert!(parse_node_output("").is_err());
        assert!(parse_node_output("{\"verdict\":\"refused\",\"bytes\":1}").is_err());
        assert!(parse_node_output("{\"verdict\":\"verified\",\"bytes\":1}").is_err());
    }

    #[test]
    fn native_reference_verifies() {
        let image = crate::fixtures::mtty2_image(3000, 1024);
        assert!(native_seconds(&image, 2).unwrap() > 0.0);
        let mut bad = image;
        if let Some(b) = bad.get_mut(100) {
            *b ^= 1;
        }
        assert!(native_seconds(&bad, 1).is_err());
    }

    #[test]
    fn package_lookup() {
        let root = std::env::temp_dir().join(format!("migseal-bench-wasm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(find_package(&root, None), None);
        let pkg = root.join(PACKAGE_CANDIDATES[1]);
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("package.json"), "{}").unwrap();
        assert_eq!(find_package(&root, None), Some(pkg.clone()));
        assert_eq!(find_package(&root, Some(&pkg)), Some(pkg.clone()));
        assert_eq!(find_package(&root, Some(&root)), None);
        let _ = std::fs::remove_dir_all(&root);
    }
}
