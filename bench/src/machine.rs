//! What machine a report was made on: CPU, cores, SHA extensions, kernel,
//! memory, toolchain, load, date. Read from /proc and the tools' own
//! version output; anything unreadable is reported as unknown, never
//! guessed.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The machine and its state when the report ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Machine {
    /// CPU model name.
    pub cpu: String,
    /// Logical CPUs this process may use.
    pub cores: usize,
    /// Whether the CPU has the x86 SHA extensions (SHA-NI), which sha2 and
    /// OpenSSL both use when present.
    pub sha_ni: Option<bool>,
    /// Kernel release.
    pub kernel: String,
    /// Total memory.
    pub memory: String,
    /// `rustc -V`.
    pub rustc: String,
    /// When the report started, UTC.
    pub date: String,
}

impl Machine {
    /// Reads the machine.
    #[must_use]
    pub fn probe() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        Self {
            cpu: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".into()),
            cores: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            sha_ni: has_flag(&cpuinfo, "sha_ni"),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| "unknown".into(), |s| s.trim().to_owned()),
            memory: mem_total(&meminfo).unwrap_or_else(|| "unknown".into()),
            rustc: version_of(&rustc, &["-V"]).unwrap_or_else(|| "unknown".into()),
            date: utc_date(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())),
        }
    }
}

/// The first line of `program args...`'s output, when it runs and
/// succeeds.
#[must_use]
pub fn version_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

/// The 1-, 5- and 15-minute load averages (`/proc/loadavg`).
#[must_use]
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// How the CPUs spent a sampling interval (`/proc/stat`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CpuShare {
    /// Share of CPU time spent running anything (user, system, interrupts).
    pub busy: f64,
    /// Share the hypervisor gave to other guests while this one wanted it.
    pub steal: f64,
}

impl std::fmt::Display for CpuShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} busy, {} stolen by the host",
            crate::units::percent(self.busy),
            crate::units::percent(self.steal)
        )
    }
}

/// The aggregate `cpu` line of `/proc/stat` text: user, nice, system,
/// idle, iowait, irq, softirq, steal.
#[must_use]
pub fn stat_counters(stat: &str) -> Option<[u64; 8]> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let mut out = [0u64; 8];
    let mut fields = line.split_whitespace().skip(1);
    for slot in &mut out {
        *slot = fields.next()?.parse().ok()?;
    }
    Some(out)
}

/// The shares between two readings of [`stat_counters`].
#[must_use]
pub fn cpu_share(before: [u64; 8], after: [u64; 8]) -> Option<CpuShare> {
    let d: Vec<u64> = after.iter().zip(before.iter()).map(|(a, b)| a.saturating_sub(*b)).collect();
    let get = |i: usize| d.get(i).copied().unwrap_or(0);
    let total: u64 = d.iter().sum();
    if total == 0 {
        return None;
    }
    let busy =
        get(0).saturating_add(get(1)).saturating_add(get(2)).saturating_add(get(5)).saturating_add(get(6));
    let t = crate::units::to_f64(total);
    Some(CpuShare { busy: crate::units::to_f64(busy) / t, steal: crate::units::to_f64(get(7)) / t })
}

/// Samples `/proc/stat` over `interval` (while this process sleeps, so
/// `busy` is what others used).
#[must_use]
pub fn sample_cpu(interval: std::time::Duration) -> Option<CpuShare> {
    let read = || std::fs::read_to_string("/proc/stat").ok().as_deref().and_then(stat_counters);
    let before = read()?;
    std::thread::sleep(interval);
    cpu_share(before, read()?)
}

/// The `model name` of the first CPU in `/proc/cpuinfo` text.
#[must_use]
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|l| {
        let (key, value) = l.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_owned())
    })
}

/// Whether the first CPU's `flags` in `/proc/cpuinfo` text has `flag`;
/// `None` when there is no flags line (not x86, or no /proc).
#[must_use]
pub fn has_flag(cpuinfo: &str, flag: &str) -> Option<bool> {
    cpuinfo.lines().find_map(|l| {
        let (key, value) = l.split_once(':')?;
        (key.trim() == "flags").then(|| value.split_whitespace().any(|f| f == flag))
    })
}

/// `MemTotal` from `/proc/meminfo` text, in GiB.
#[must_use]
pub fn mem_total(meminfo: &str) -> Option<String> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.1} GiB", crate::units::to_f64(kib) / 1_048_576.0))
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the Unix epoch (the civil
/// calendar from a day count, after Howard Hinnant's `civil_from_days`).
#[must_use]
pub fn utc_date(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (hour, minute) = (rem / 3600, rem % 3600 / 60);
    // Shift the epoch to 0000-03-01 so leap days fall at the end of a year.
    let z = days.saturating_add(719_468);
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = doe.saturating_sub(doe / 1460).saturating_add(doe / 36_524).saturating_sub(doe / 146_096) / 365;
    let doy = doe.saturating_sub(yoe.saturating_mul(365).saturating_add(yoe / 4).saturating_sub(yoe / 100));
    let mp = doy.saturating_mul(5).saturating_add(2) / 153;
    let day = doy.saturating_sub(mp.saturating_mul(153).saturating_add(2) / 5).saturating_add(1);
    let month = if mp < 10 { mp.saturating_add(3) } else { mp.saturating_sub(9) };
    let year = yoe.saturating_add(era.saturating_mul(400)).saturating_add(u64::from(month <= 2));
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
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
    fn dates() {
        assert_eq!(utc_date(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_date(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_date(951_868_800), "2000-03-01 00:00 UTC");
        assert_eq!(utc_date(1_700_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(utc_date(4_107_542_400), "2100-03-01 00:00 UTC");
    }

    #[test]
    fn cpuinfo_fields() {
        let info = "processor\t: 0\nmodel name\t: Example CPU @ 2.0GHz\nflags\t\t: fpu sse4_1 sha_ni avx2\n\
                    processor\t: 1\nmodel name\t: Other\nflags\t\t: fpu\n";
        assert_eq!(cpu_model(info).as_deref(), Some("Example CPU @ 2.0GHz"));
        assert_eq!(has_flag(info, "sha_ni"), Some(true));
        assert_eq!(has_flag(info, "sha"), Some(false));
        assert_eq!(has_flag("processor : 0\n", "sha_ni"), None);
        assert_eq!(cpu_model(""), None);
    }

    #[test]
    fn cpu_shares() {
        let a = stat_counters("cpu  100 0 50 800 10 0 0 40 0 0\ncpu0 1 2 3 4 5 6 7 8\n").unwrap();
        assert_eq!(a, [100, 0, 50, 800, 10, 0, 0, 40]);
        let b = [150, 0, 100, 1690, 10, 0, 0, 50];
        let share = cpu_share(a, b).unwrap();
        // 100 busy and 10 stolen of 1000 ticks.
        assert!((share.busy - 0.1).abs() < 1e-9 && (share.steal - 0.01).abs() < 1e-9);
        assert_eq!(share.to_string(), "10.0 % busy, 1.0 % stolen by the host");
        assert_eq!(cpu_share(a, a), None);
        assert_eq!(stat_counters("intr 1 2 3"), None);
        assert!(sample_cpu(std::time::Duration::from_millis(50)).is_some());
    }

    #[test]
    fn memory() {
        assert_eq!(mem_total("MemTotal:       24576000 kB\nMemFree: 1 kB\n").as_deref(), Some("23.4 GiB"));
        assert_eq!(mem_total("nothing"), None);
    }
}
