//! Reading what criterion measured: `<dir>/<group>/<bench>/new/estimates.json`
//! (the statistics) and `benchmark.json` (the throughput the benchmark
//! declared). The median is used throughout: on a machine shared with
//! other work it is the estimate least moved by a stray slow sample.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

/// One benchmark's result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Median time per iteration, nanoseconds.
    pub median_ns: f64,
    /// Lower and upper bound of the median's confidence interval.
    pub median_ci_ns: (f64, f64),
    /// Bytes per iteration, when the benchmark declared a throughput.
    pub bytes: Option<u64>,
}

impl Estimate {
    /// Bytes per second, when a throughput was declared.
    #[must_use]
    pub fn bytes_per_second(&self) -> Option<f64> {
        self.bytes.map(|b| crate::units::to_f64(b) * 1e9 / self.median_ns)
    }
}

/// Where criterion writes a benchmark's latest results.
#[must_use]
pub fn new_dir(root: &Path, group: &str, bench: &str) -> PathBuf {
    root.join(group).join(bench).join("new")
}

/// Reads a benchmark's latest estimate; with `since`, refuses results
/// written before it (a stale run must not pass for this one).
///
/// # Errors
///
/// A message naming the file that is missing, stale or not criterion's.
pub fn read(root: &Path, group: &str, bench: &str, since: Option<SystemTime>) -> Result<Estimate, String> {
    let dir = new_dir(root, group, bench);
    let path = dir.join("estimates.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (did `cargo bench -p migseal-bench` run?)", path.display()))?;
    if let Some(since) = since {
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).map_err(|e| e.to_string())?;
        if modified < since {
            return Err(format!("{}: older than this run", path.display()));
        }
    }
    let estimates: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let num = |v: &Value, key: &str| {
        v.get(key).and_then(Value::as_f64).ok_or_else(|| format!("{}: no {key}", path.display()))
    };
    let median = estimates.get("median").ok_or_else(|| format!("{}: no median", path.display()))?;
    let ci = median.get("confidence_interval").unwrap_or(&Value::Null);
    let median_ns = num(median, "point_estimate")?;
    if !(median_ns.is_finite() && median_ns > 0.0) {
        return Err(format!("{}: median {median_ns} is not a time", path.display()));
    }
    let bytes = std::fs::read_to_string(dir.join("benchmark.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|b| b.get("throughput")?.get("Bytes")?.as_u64());
    Ok(Estimate {
        median_ns,
        median_ci_ns: (
            num(ci, "lower_bound").unwrap_or(median_ns),
            num(ci, "upper_bound").unwrap_or(median_ns),
        ),
        bytes,
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

    fn write(root: &Path, group: &str, bench: &str, estimates: &str, benchmark: Option<&str>) {
        let dir = new_dir(root, group, bench);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("estimates.json"), estimates).unwrap();
        if let Some(b) = benchmark {
            std::fs::write(dir.join("benchmark.json"), b).unwrap();
        }
    }

    fn temp_root(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("migseal-bench-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        root
    }

    #[test]
    fn reads_median_and_throughput() {
        let root = temp_root("read");
        write(
            &root,
            "g",
            "b",
            r#"{"mean":{"point_estimate":12.0},"median":{"point_estimate":10.0,
               "confidence_interval":{"confidence_level":0.95,"lower_bound":9.0,"upper_bound":11.5}}}"#,
            Some(r#"{"throughput":{"Bytes":1000}}"#),
        );
        let e = read(&root, "g", "b", None).unwrap();
        assert_eq!(e.median_ns, 10.0);
        assert_eq!(e.median_ci_ns, (9.0, 11.5));
        assert_eq!(e.bytes, Some(1000));
        assert_eq!(e.bytes_per_second(), Some(1e11));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn missing_stale_and_bogus_results_are_errors() {
        let root = temp_root("errors");
        assert!(read(&root, "g", "none", None).unwrap_err().contains("cargo bench"));
        write(&root, "g", "zero", r#"{"median":{"point_estimate":0.0}}"#, None);
        assert!(read(&root, "g", "zero", None).is_err());
        write(&root, "g", "nomedian", r#"{"mean":{"point_estimate":3.0}}"#, None);
        assert!(read(&root, "g", "nomedian", None).is_err());
        write(&root, "g", "old", r#"{"median":{"point_estimate":3.0}}"#, None);
        let later = SystemTime::now() + std::time::Duration::from_secs(3600);
        assert!(read(&root, "g", "old", Some(later)).unwrap_err().contains("older"));
        let e = read(&root, "g", "old", Some(SystemTime::UNIX_EPOCH)).unwrap();
        assert_eq!((e.median_ns, e.bytes), (3.0, None));
        let _ = std::fs::remove_dir_all(&root);
    }
}
