//! Generated blocks inside hand-written reports: a command owns the text
//! between its BEGIN and END markers and replaces only that, so the notes
//! people write around it survive every run.

use std::path::Path;

use crate::output;

/// The reports the project's commands write into (generated blocks) and
/// no build or test reads.
pub const REPORTS: &[&str] = &["MUTANTS.md", "BENCHMARKS.md", "fuzz/RESULTS.md"];

/// HEAD's short hash in the repository at `root`, marked `+changes` when
/// tracked files other than [`REPORTS`] differ from it: the commit a
/// generated figure belongs to. (A run that writes its row into a report
/// leaves that report changed; the next run is still of HEAD's code.)
#[must_use]
pub fn commit(root: &Path) -> String {
    let root = root.display().to_string();
    let head = output("git", &["-C", &root, "rev-parse", "--short=12", "HEAD"]).trim().to_owned();
    let changed = output("git", &["-C", &root, "status", "--porcelain", "--untracked-files=no"]);
    // Porcelain v1 lines are "XY path".
    let dirty = changed.lines().any(|l| l.get(3..).is_none_or(|path| !REPORTS.contains(&path)));
    if dirty { format!("{head}+changes") } else { head }
}

/// `text` with the block between `begin` and `end` (markers included)
/// replaced by `section`, which carries both markers; appended when the
/// markers are missing or out of order.
#[must_use]
pub fn splice(text: &str, begin: &str, end: &str, section: &str) -> String {
    match (text.find(begin), text.find(end)) {
        (Some(a), Some(b)) if b > a => {
            format!("{}{}{}", &text[..a], section.trim_end(), &text[b + end.len()..])
        }
        _ if text.trim().is_empty() => format!("{}\n", section.trim_end()),
        _ => format!("{}\n\n{}\n", text.trim_end(), section.trim_end()),
    }
}

/// The lines strictly between `begin` and `end` in `text` (empty when the
/// block is missing).
#[must_use]
pub fn inside<'t>(text: &'t str, begin: &str, end: &str) -> &'t str {
    match (text.find(begin), text.find(end)) {
        (Some(a), Some(b)) if b > a => &text[a + begin.len()..b],
        _ => "",
    }
}

/// Replaces the block in the file at `path` (see [`splice`]); a missing
/// file is created with the block alone.
///
/// # Errors
///
/// When the file cannot be read or written.
pub fn write_block(path: &Path, begin: &str, end: &str, section: &str) -> Result<(), String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    std::fs::write(path, splice(&text, begin, end, section))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote the generated section of {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: &str = "<!-- BEGIN x -->";
    const E: &str = "<!-- END x -->";

    #[test]
    fn only_the_block_is_replaced_and_a_missing_one_is_appended() {
        let text = format!("notes before\n{B}\nold\n{E}\nnotes after\n");
        let new = splice(&text, B, E, &format!("{B}\nnew\n{E}\n"));
        assert_eq!(new, format!("notes before\n{B}\nnew\n{E}\nnotes after\n"));
        assert_eq!(inside(&new, B, E), "\nnew\n");
        let appended = splice("notes\n", B, E, &format!("{B}\nnew\n{E}\n"));
        assert_eq!(appended, format!("notes\n\n{B}\nnew\n{E}\n"));
        assert_eq!(inside("no block", B, E), "");
        // Notes after the block stay after it; an empty file gets the block alone.
        let with_notes = splice(&format!("{appended}\n## Notes\n"), B, E, &format!("{B}\nagain\n{E}\n"));
        assert_eq!(with_notes, format!("notes\n\n{B}\nagain\n{E}\n\n## Notes\n"));
        assert_eq!(splice("", B, E, &format!("{B}\nx\n{E}\n")), format!("{B}\nx\n{E}\n"));
    }
}
