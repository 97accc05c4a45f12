//! The WebCrypto figures (issue #18 item 3): a sealed image verified in
//! headless Chromium through the web package's `verifyWebCrypto`
//! (`bench/webcrypto-bench.mjs`) against native single-threaded
//! `verify_image` of the same bytes in this process; and what the full
//! and slim packages weigh, and where their bytes go.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::comparisons::{Goal, Outcome};
use crate::mode::Mode;
use crate::units;

/// Speed goal of `verifyWebCrypto` in Chromium against native
/// single-threaded `verify_image`.
pub const SPEED_GOAL: Goal = Goal::SpeedAtLeast(0.8);
/// The slim package's `.wasm`, after wasm-opt: at most this many bytes…
pub const SLIM_RAW_GOAL: u64 = 100 * 1024;
/// …and at most this many after `gzip -9n`.
pub const SLIM_GZIP_GOAL: u64 = 40 * 1024;
/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// What the page measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ChromiumRun {
    /// "Chromium 156.0…".
    pub browser: String,
    /// Image bytes.
    pub image_bytes: u64,
    /// Best time of `await verifyWebCrypto(bytes, policy, device)`, seconds.
    pub webcrypto_seconds: f64,
    /// Best time of the in-WASM `verify(bytes, policy, device)`, seconds.
    pub wasm_seconds: f64,
    /// Best time of `crypto.subtle.digest('SHA-256', …)` over the image in
    /// 1 MiB calls, all in flight, no verification: what WebCrypto alone
    /// costs, seconds.
    pub digest_seconds: f64,
}

/// One package build's `.wasm`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildSize {
    /// "full" or "slim".
    pub name: &'static str,
    /// Bytes as shipped (after wasm-opt -Oz, names stripped).
    pub raw: u64,
    /// Bytes after `gzip -9n`.
    pub gzip: u64,
    /// Code and data bytes by crate, largest first, from the same build
    /// with its names kept (`target/wasm-sizes/NAME.wasm`), when present.
    pub parts: Vec<(String, u64)>,
}

/// The figures, or why there are none.
#[derive(Clone, Debug, PartialEq)]
pub struct WebCryptoFigure {
    /// Chromium's run and native `verify_image` of the same bytes
    /// (seconds), or why it was not measured.
    pub speed: Result<(ChromiumRun, f64), String>,
    /// The builds found.
    pub sizes: Vec<BuildSize>,
}

/// (name, shipped `.wasm`, named copy) of each build `cargo xtask wasm` leaves.
const BUILDS: [(&str, &str, &str); 2] = [
    ("full", "wasm/www/pkg/migseal_wasm_bg.wasm", "target/wasm-sizes/full.wasm"),
    ("slim", "wasm/www/pkg-slim/migseal_wasm_bg.wasm", "target/wasm-sizes/slim.wasm"),
];

/// Measures everything: sizes from the built packages, speed in Chromium
/// on an image of [`Mode::wasm_bytes`] payload written under `work`.
///
/// # Errors
///
/// When the image cannot be written or read back (a skipped measurement
/// is not an error: it is said in the figure).
pub fn measure(root: &Path, work: &Path, mode: Mode, runs: usize) -> Result<WebCryptoFigure, String> {
    let sizes =
        BUILDS.iter().filter_map(|&(name, shipped, named)| build_size(root, name, shipped, named)).collect();
    let www = root.join("wasm/www");
    let playwright = root.join("wasm/node_modules/playwright-core");
    let speed = if !www.join("pkg/migseal_wasm_bg.wasm").is_file() {
        Err("skipped: wasm package not built (run cargo xtask wasm)".to_owned())
    } else if !Path::new(CHROMIUM).is_file() || !playwright.is_dir() {
        Err(format!("skipped: needs {CHROMIUM} and wasm/node_modules (cargo xtask wasm installs both)"))
    } else {
        let image = work.join("webcrypto-image.migseal");
        crate::system::write_image_file(&image, mode.wasm_bytes())?;
        // At least five timed runs in the page: WebCrypto's first calls
        // after a page loads vary by 3× (its worker thread and buffers
        // warm up), and a run costs a fraction of a second.
        let run = run_chromium(root, &www, &playwright, &image, runs.max(5));
        let bytes = std::fs::read(&image).map_err(|e| format!("{}: {e}", image.display()));
        let _ = std::fs::remove_file(&image);
        match run {
            Ok(run) => Ok((run, crate::wasm::native_seconds(&bytes?, runs)?)),
            Err(e) => Err(format!("not measured: {e}")),
        }
    };
    Ok(WebCryptoFigure { speed, sizes })
}

fn run_chromium(
    root: &Path,
    www: &Path,
    playwright: &Path,
    image: &Path,
    runs: usize,
) -> Result<ChromiumRun, String> {
    let out = Command::new("node")
        .arg(root.join("bench/webcrypto-bench.mjs"))
        .args(["--www".as_ref(), www.as_os_str(), "--image".as_ref(), image.as_os_str()])
        .arg("--policy")
        .arg(root.join(crate::fixtures::paths::DEFAULT_POLICY))
        .arg("--device")
        .arg(root.join(crate::fixtures::paths::MTTY2_DEVICE))
        .args(["--chromium", CHROMIUM, "--runs", &runs.to_string()])
        .arg("--playwright")
        .arg(playwright)
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "webcrypto-bench.mjs failed ({}): {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse_output(&stdout)
}

/// Parses the script's last JSON line.
///
/// # Errors
///
/// A message naming what is missing, or that the image did not verify.
pub fn parse_output(stdout: &str) -> Result<ChromiumRun, String> {
    let line =
        stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).ok_or("no JSON from the page")?;
    let v: Value = serde_json::from_str(line).map_err(|e| format!("page output: {e}: {line}"))?;
    if v.get("verdict").and_then(Value::as_str) != Some("verified") {
        return Err(format!("the page did not verify the image: {line}"));
    }
    let f = |k: &str| v.get(k).and_then(Value::as_f64).ok_or_else(|| format!("page output: no {k}: {line}"));
    Ok(ChromiumRun {
        browser: v.get("browser").and_then(Value::as_str).unwrap_or("Chromium").to_owned(),
        image_bytes: v
            .get("bytes")
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("page output: no bytes: {line}"))?,
        webcrypto_seconds: f("webcrypto_seconds")?,
        wasm_seconds: f("wasm_seconds")?,
        digest_seconds: f("digest_seconds")?,
    })
}

fn build_size(root: &Path, name: &'static str, shipped: &str, named: &str) -> Option<BuildSize> {
    let shipped = root.join(shipped);
    let raw = std::fs::metadata(&shipped).ok()?.len();
    let gzip = gzip_len(&shipped)?;
    let parts = std::fs::read(target_dir(root).join(named.trim_start_matches("target/")))
        .ok()
        .map(|b| by_crate(&b))
        .unwrap_or_default();
    Some(BuildSize { name, raw, gzip, parts })
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn gzip_len(path: &Path) -> Option<u64> {
    let out = Command::new("gzip").arg("-9nc").arg(path).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| u64::try_from(out.stdout.len()).ok()).flatten()
}

/// The crate a demangled function name belongs to: `core[abc]::fmt::…`,
/// `<migseal_format::x::Y as core::fmt::Display>::fmt` → `core`,
/// `migseal_format`.
fn crate_of(name: &str) -> String {
    let n =
        name.trim_start_matches(['<', '&', '*', ' ']).trim_start_matches("mut ").trim_start_matches("dyn ");
    let end = n.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(n.len());
    match n.get(..end) {
        Some("") | None => "other functions".to_owned(),
        Some("__rustc" | "__rdl_alloc" | "__rdl_dealloc" | "__rdl_realloc" | "__rg_oom") => {
            "alloc".to_owned()
        }
        Some(c) if c.starts_with("_ZN") => "other functions".to_owned(),
        Some(c) => c.to_owned(),
    }
}

/// Function bodies by crate, data segments and the rest (type, import,
/// export, element sections, wasm-bindgen's custom sections), without the
/// name section itself: what the shipped module holds.
#[must_use]
pub fn by_crate(wasm: &[u8]) -> Vec<(String, u64)> {
    use wasmparser::{Name, NameSectionReader, Parser, Payload};
    let mut names = BTreeMap::new();
    let mut bodies = Vec::new();
    let mut imported = 0u32;
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    let mut add = |k: &str, n: u64| {
        let e = sizes.entry(k.to_owned()).or_default();
        *e = e.saturating_add(n);
    };
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else { break };
        match payload {
            Payload::ImportSection(r) => {
                imported = r
                    .into_iter()
                    .flatten()
                    .filter(|i| matches!(i, wasmparser::Imports::Single(..)))
                    .count()
                    .try_into()
                    .unwrap_or(0);
            }
            Payload::CodeSectionEntry(body) => bodies.push(span(&body.range())),
            Payload::DataSection(r) => add("data (strings, tables)", span(&r.range())),
            Payload::CustomSection(c) if c.name() == "name" => {
                let reader = NameSectionReader::new(wasmparser::BinaryReader::new(c.data(), c.data_offset()));
                for n in reader.into_iter().flatten() {
                    if let Name::Function(map) = n {
                        for naming in map.into_iter().flatten() {
                            names.insert(naming.index, naming.name.to_owned());
                        }
                    }
                }
            }
            Payload::CodeSectionStart { .. } | Payload::End(_) | Payload::Version { .. } => {}
            other => {
                if let Some((_, range)) = other.as_section() {
                    add("other sections", span(&range));
                }
            }
        }
    }
    for (i, len) in bodies.into_iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX).saturating_add(imported);
        let owner = names.get(&index).map_or_else(|| "other functions".to_owned(), |n| crate_of(n));
        add(&owner, len);
    }
    let mut out: Vec<(String, u64)> = sizes.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

fn span(r: &core::ops::Range<u64>) -> u64 {
    r.end.saturating_sub(r.start)
}

impl WebCryptoFigure {
    /// verifyWebCrypto's speed ratio to native and its outcome.
    #[must_use]
    pub fn speed_outcome(&self) -> Option<(f64, Outcome)> {
        let (run, native) = self.speed.as_ref().ok()?;
        let ratio = native / run.webcrypto_seconds;
        Some((ratio, SPEED_GOAL.judge(ratio)))
    }

    fn slim(&self) -> Option<&BuildSize> {
        self.sizes.iter().find(|b| b.name == "slim")
    }

    /// Why each goal this figure missed was missed, one list item each,
    /// for the report's "Missed goals" (empty when all are met): the speed
    /// against the browser's own digest floor measured in the same page,
    /// the sizes from the per-crate size profile of the builds.
    #[must_use]
    pub fn misses(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let (Some((ratio, Outcome::Missed(by))), Ok((run, native))) = (self.speed_outcome(), &self.speed) {
            notes.push(format!(
                "- **`verifyWebCrypto` in Chromium** at {} native, missed by {}: in the same page, \
                 `crypto.subtle.digest` alone over the same bytes (1 MiB calls, all in flight, no \
                 verification) took {:.3} s, {} native; `verifyWebCrypto` took {:.3} s, {} that \
                 digest-only time, so it runs at the speed WebCrypto hashes. The browser's hashing is \
                 the limit: WebCrypto copies every input before hashing it, and a verifier that hashes \
                 through it cannot run much faster than that digest alone.",
                units::ratio(ratio),
                units::percent(by),
                run.digest_seconds,
                units::ratio(native / run.digest_seconds),
                run.webcrypto_seconds,
                units::ratio(run.webcrypto_seconds / run.digest_seconds),
            ));
        }
        if let Some(slim) = self.slim() {
            let over_raw = slim.raw.saturating_sub(SLIM_RAW_GOAL);
            let over_gzip = slim.gzip.saturating_sub(SLIM_GZIP_GOAL);
            if over_raw > 0 || over_gzip > 0 {
                let full = self.sizes.iter().find(|b| b.name == "full");
                let saved = full.map_or_else(String::new, |f| {
                    format!(
                        "leaving the in-WASM SHA-256 and Ed25519 out saves {} raw ({} → {}); ",
                        kib(f.raw.saturating_sub(slim.raw)),
                        kib(f.raw),
                        kib(slim.raw)
                    )
                });
                let parts: Vec<String> =
                    slim.parts.iter().take(6).map(|(c, n)| format!("{c} {}", kib(*n))).collect();
                let largest = slim.parts.first().map_or(0, |(_, n)| *n);
                notes.push(format!(
                    "- **slim package size** {} raw / {} gzip, over the goal by {} raw and {} gzip: from \
                     the size profile of the build (code bytes per crate from its name section, data and \
                     other sections), {saved}what remains is {}. The excess is {} the largest part, so \
                     no single crate's removal meets the goal: it needs a smaller CBOR reader and \
                     encoder, bindings and messages together.",
                    kib(slim.raw),
                    kib(slim.gzip),
                    kib(over_raw),
                    kib(over_gzip),
                    parts.join(", "),
                    if over_raw > largest { "more than" } else { "not more than" },
                ));
            }
        }
        notes
    }

    /// The rows of the report's goal table (`| goal | measured | result |`).
    #[must_use]
    pub fn goal_rows(&self, mode: Mode) -> Vec<String> {
        let goal = format!(
            "`verifyWebCrypto` in headless Chromium on a {} image: speed ≥ 0.8× native single-thread `verify_image`",
            crate::mode::size_label(mode.wasm_bytes())
        );
        let mut rows = vec![match (&self.speed, self.speed_outcome()) {
            (Ok(_), Some((ratio, o))) => format!("| {goal} | {} speed | {} |", units::ratio(ratio), cell(o)),
            (Err(why), _) => format!("| {goal} | {why} | — |"),
            (Ok(_), None) => format!("| {goal} | not measured | — |"),
        }];
        match self.slim() {
            Some(b) => {
                let o = |v: u64, max: u64| {
                    if v <= max { Outcome::Met } else { Outcome::Missed(ratio_over(v, max)) }
                };
                rows.push(format!(
                    "| slim package `.wasm` ≤ 100 KiB | {} | {} |",
                    kib(b.raw),
                    cell(o(b.raw, SLIM_RAW_GOAL))
                ));
                rows.push(format!(
                    "| slim package `.wasm` ≤ 40 KiB gzip | {} | {} |",
                    kib(b.gzip),
                    cell(o(b.gzip, SLIM_GZIP_GOAL))
                ));
            }
            None => rows.push(
                "| slim package ≤ 100 KiB, ≤ 40 KiB gzip | skipped: not built (cargo xtask wasm) | — |"
                    .into(),
            ),
        }
        rows
    }

    /// The report's section: the speed figures, the sizes and where the
    /// bytes go.
    #[must_use]
    pub fn section(&self) -> String {
        let mut s = String::from("## WebCrypto in the browser\n\n");
        match &self.speed {
            Ok((run, native)) => {
                let rate = |secs: f64| units::rate(crate::units::to_f64(run.image_bytes) / secs);
                let _ = writeln!(
                    s,
                    "{} bytes verified in headless {}, best of the runs after a warm-up:\n\n\
                     | path | time | rate | speed vs native |\n|---|---|---|---|\n\
                     | native single-thread `verify_image` (this process) | {:.3} s | {} | 1.00× |\n\
                     | `verifyWebCrypto` (WebCrypto SHA-256 and Ed25519) | {:.3} s | {} | {} |\n\
                     | `verify` (in-WASM SHA-256 and Ed25519) | {:.3} s | {} | {} |\n\
                     | WebCrypto alone: `crypto.subtle.digest` of the same bytes in 1 MiB calls, all in flight, no verification | {:.3} s | {} | {} |\n\n\
                     The last row is WebCrypto's hashing alone, the pace any verifier that hashes \
                     through it keeps within run-to-run noise: Chromium copies every `digest()` input \
                     (WebCrypto requires it) and hashes on its WebCrypto thread, so the gap from it \
                     to native is the browser's.\n",
                    run.image_bytes,
                    run.browser,
                    native,
                    rate(*native),
                    run.webcrypto_seconds,
                    rate(run.webcrypto_seconds),
                    units::ratio(native / run.webcrypto_seconds),
                    run.wasm_seconds,
                    rate(run.wasm_seconds),
                    units::ratio(native / run.wasm_seconds),
                    run.digest_seconds,
                    rate(run.digest_seconds),
                    units::ratio(native / run.digest_seconds),
                );
            }
            Err(why) => {
                let _ = writeln!(s, "Speed: {why}.\n");
            }
        }
        if self.sizes.is_empty() {
            s.push_str("Sizes: the packages are not built (`cargo xtask wasm`).\n\n");
            return s;
        }
        s.push_str(
            "Package `.wasm` as shipped (wasm-opt -Oz, names stripped). The breakdown is of the same \
             build with its names kept, before stripping: code bytes per crate, data and the other \
             sections.\n\n| build | raw | gzip -9n | largest parts |\n|---|---|---|---|\n",
        );
        for b in &self.sizes {
            let parts: Vec<String> =
                b.parts.iter().take(8).map(|(c, n)| format!("{c} {}", kib(*n))).collect();
            let parts = if parts.is_empty() { "(no named build)".to_owned() } else { parts.join(", ") };
            let _ = writeln!(s, "| {} | {} | {} | {parts} |", b.name, kib(b.raw), kib(b.gzip));
        }
        s.push('\n');
        s
    }
}

fn cell(o: Outcome) -> String {
    match o {
        Outcome::Met => "met".into(),
        Outcome::Missed(by) => format!("**missed** by {}", units::percent(by)),
        Outcome::NoGoal => "—".into(),
    }
}

fn ratio_over(v: u64, max: u64) -> f64 {
    (crate::units::to_f64(v) - crate::units::to_f64(max)) / crate::units::to_f64(max)
}

fn kib(n: u64) -> String {
    format!("{:.1} KiB", crate::units::to_f64(n) / 1024.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_page_line() {
        let out = "webcrypto: ...\n{\"browser\":\"Chromium 156\",\"verdict\":\"verified\",\"bytes\":1048576,\
                   \"webcrypto_seconds\":0.01,\"wasm_seconds\":0.03,\"digest_seconds\":0.008}\n";
        let r = parse_output(out).unwrap();
        assert_eq!((r.browser.as_str(), r.image_bytes), ("Chromium 156", 1_048_576));
        assert_eq!((r.webcrypto_seconds, r.wasm_seconds), (0.01, 0.03));
        assert!(parse_output("{\"verdict\":\"refused\",\"bytes\":1}").is_err());
        assert!(parse_output("").is_err());
    }

    #[test]
    fn crates_of_demangled_names() {
        assert_eq!(crate_of("core[c5930c85a12de822]::str::count::do_count_chars"), "core");
        assert_eq!(
            crate_of("<migseal_format::error::Error as core::fmt::Display>::fmt::h3c"),
            "migseal_format"
        );
        assert_eq!(crate_of("<&curve25519_dalek::field::FieldElement2625 as Mul>::mul"), "curve25519_dalek");
        assert_eq!(crate_of("__rustc[b7974e8690430dd9]::__rdl_realloc"), "alloc");
    }

    /// A page's figures: verifyWebCrypto's and the digest-only time.
    fn page(webcrypto_seconds: f64, digest_seconds: f64) -> ChromiumRun {
        ChromiumRun {
            browser: "C".into(),
            image_bytes: 1,
            webcrypto_seconds,
            wasm_seconds: 3.0,
            digest_seconds,
        }
    }

    #[test]
    fn goals_are_judged() {
        let slim = BuildSize { name: "slim", raw: 150 * 1024, gzip: 30 * 1024, parts: vec![] };
        let f = WebCryptoFigure { speed: Ok((page(1.0, 0.9), 0.9)), sizes: vec![slim] };
        let rows = f.goal_rows(Mode::Quick);
        assert!(rows[0].contains("0.90× speed") && rows[0].ends_with("| met |"), "{}", rows[0]);
        assert!(rows[1].contains("**missed** by 50"), "{}", rows[1]);
        assert!(rows[2].ends_with("| met |"), "{}", rows[2]);
        assert!(f.section().contains("| slim | 150.0 KiB | 30.0 KiB |"));
    }

    #[test]
    fn misses_are_explained_from_the_floor_and_the_size_profile() {
        let parts = vec![("migseal_format".to_owned(), 30 * 1024), ("core".to_owned(), 20 * 1024)];
        let slim = BuildSize { name: "slim", raw: 150 * 1024, gzip: 30 * 1024, parts };
        let full = BuildSize { name: "full", raw: 200 * 1024, gzip: 90 * 1024, parts: vec![] };
        let f = WebCryptoFigure { speed: Ok((page(2.0, 1.8), 0.8)), sizes: vec![full, slim] };
        let notes = f.misses();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("at 0.40× native, missed by 50"), "{}", notes[0]);
        assert!(
            notes[0].contains("took 1.800 s, 0.44× native; `verifyWebCrypto` took 2.000 s, 1.11× that"),
            "{}",
            notes[0]
        );
        assert!(notes[1].contains("over the goal by 50.0 KiB raw and 0.0 KiB gzip"), "{}", notes[1]);
        assert!(notes[1].contains("saves 50.0 KiB raw (200.0 KiB → 150.0 KiB)"), "{}", notes[1]);
        assert!(notes[1].contains("what remains is migseal_format 30.0 KiB, core 20.0 KiB"), "{}", notes[1]);
        assert!(notes[1].contains("is more than the largest part"), "{}", notes[1]);
        // Met goals: no note.
        let met = WebCryptoFigure { speed: Err("no browser".into()), sizes: vec![] };
        assert!(met.misses().is_empty());
    }
}
