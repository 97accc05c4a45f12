//! `migseal libvirt annotate`: on the source host, describe each of a
//! domain's mdev and VFIO variant-driver host devices from the local sysfs
//! and put the descriptors in the domain's metadata, where they travel
//! with the domain XML to the destination's hook.

use std::path::PathBuf;
use std::process::Command;

use migseal_format::envelope::Descriptor;
use serde_json::json;

use super::config;
use super::devices::{self, Lookup};
use super::domain;
use super::metadata::{self, Entry};
use super::report;
use crate::descriptor_file::DescriptorJson;
use crate::error::{Exit, Failure, Result};
use crate::files;
use crate::report::Sink;

/// The annotate command's arguments.
#[derive(Debug, Default)]
pub struct Args {
    /// Domain XML file, `-` for stdin; else `virsh dumpxml --domain`.
    pub input: Option<PathBuf>,
    /// The domain (name or UUID).
    pub domain: Option<String>,
    /// The libvirt connection URI for virsh (`virsh -c`).
    pub connect: Option<String>,
    /// The sysfs root.
    pub sysfs_root: Option<PathBuf>,
    /// The settings file.
    pub settings: Option<PathBuf>,
    /// Run `virsh metadata` instead of printing it.
    pub apply: bool,
    /// `virsh metadata --live`.
    pub live: bool,
    /// `virsh metadata --config`.
    pub config: bool,
    /// Write the annotated domain XML here (`-`: stdout).
    pub out: Option<PathBuf>,
    /// Replace an existing `out` file.
    pub force: bool,
}

/// The `virsh` program (`MIGSEAL_VIRSH` may name another, for tests and
/// unusual installs).
fn virsh() -> Command {
    Command::new(std::env::var_os("MIGSEAL_VIRSH").unwrap_or_else(|| "virsh".into()))
}

fn connect_args(connect: Option<&str>) -> Vec<String> {
    connect.map(|c| vec!["-c".to_owned(), c.to_owned()]).unwrap_or_default()
}

fn dumpxml(domain: &str, connect: Option<&str>) -> Result<String> {
    let mut cmd = virsh();
    cmd.args(connect_args(connect)).args(["dumpxml", domain]);
    let out = cmd.output().map_err(|e| {
        Failure::new(
            Exit::Io,
            format!("cannot run virsh: {e}: install libvirt-clients, or give the domain XML as a file"),
        )
    })?;
    if !out.status.success() {
        return Err(Failure::new(
            Exit::Io,
            format!(
                "virsh dumpxml {domain} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    String::from_utf8(out.stdout)
        .map_err(|e| Failure::input(format!("virsh dumpxml {domain}: not UTF-8: {e}")))
}

/// The `virsh metadata` arguments (after `virsh`) that set the element.
#[must_use]
pub fn metadata_args(
    domain: &str,
    connect: Option<&str>,
    live: bool,
    config: bool,
    element: &str,
) -> Vec<String> {
    let mut a = connect_args(connect);
    a.extend(["metadata", domain, "--uri", metadata::NAMESPACE, "--key", metadata::KEY].map(str::to_owned));
    if live {
        a.push("--live".into());
    }
    if config {
        a.push("--config".into());
    }
    a.push("--set".into());
    a.push(element.to_owned());
    a
}

/// Runs `annotate`.
///
/// # Errors
///
/// Unreadable or malformed domain XML (3/4), a device that is not on this
/// host or that sysfs cannot describe (4), virsh failing (3).
pub fn run(a: &Args, json_out: bool) -> Result<Exit> {
    let out_file = a.out.as_deref().filter(|p| !files::is_stdout(Some(p)));
    // Refuse to replace a file before any work (and before --apply changes
    // the domain), not after.
    if let Some(p) = out_file.filter(|p| !files::is_special(p)) {
        files::check_output(p, a.force)?;
    }
    let (text, origin) = match (&a.input, &a.domain) {
        (Some(p), _) if p.as_os_str() == "-" => (read_stdin()?, "stdin".to_owned()),
        (Some(p), _) => {
            let bytes = files::read_small(p)?;
            let t = String::from_utf8(bytes)
                .map_err(|e| Failure::input(format!("{}: not UTF-8: {e}", p.display())))?;
            (t, p.display().to_string())
        }
        (None, Some(d)) => (dumpxml(d, a.connect.as_deref())?, format!("virsh dumpxml {d}")),
        (None, None) => {
            return Err(Failure::usage("give the domain XML (FILE, or - for stdin) or --domain NAME"));
        }
    };
    let doc = domain::parse(&text, &origin)?;
    let name = a.domain.clone().or_else(|| domain::name(&doc)).ok_or_else(|| {
        Failure::input(format!("{origin}: the domain XML has no <name>: pass --domain NAME"))
    })?;
    let settings = config::load(a.settings.as_deref())?;
    let root = config::sysfs_root(a.sysfs_root.as_deref());
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    for h in domain::hostdevs(&doc, &origin)? {
        match devices::describe(&root, &h.address, &settings, true)? {
            Lookup::Found(found) => {
                entries
                    .push((Entry { address: h.address, alias: h.alias, descriptor: found.cbor }, found.dir));
            }
            Lookup::Missing(dir) => {
                return Err(Failure::input(format!(
                    "{origin}: device {}: {} does not exist: run annotate on the host the domain runs on, \
                     or point --sysfs-root (or MIGSEAL_SYSFS_ROOT) at its sysfs",
                    h.label(),
                    dir.display()
                )));
            }
            Lookup::NotMigratable(why) => skipped.push(format!("device {}: not annotated: {why}", h.label())),
        }
    }
    let list: Vec<Entry> = entries.iter().map(|(e, _)| e.clone()).collect();
    let element = metadata::element_for_virsh(&list).replace("\n  ", "").replace('\n', "");
    let args = metadata_args(&name, a.connect.as_deref(), a.live, a.config, &element);
    let command = format!(
        "virsh {}",
        shlex::try_join(args.iter().map(String::as_str))
            .map_err(|e| { Failure::new(Exit::Internal, format!("cannot quote the virsh command: {e}")) })?
    );
    let notes = Sink { json: false, to_stderr: true };
    for s in &skipped {
        notes.emit(&format!("migseal: note: {s}"))?;
    }
    if a.apply {
        let status = virsh()
            .args(&args)
            .output()
            .map_err(|e| Failure::new(Exit::Io, format!("cannot run virsh: {e}")))?;
        if !status.status.success() {
            return Err(Failure::new(
                Exit::Io,
                format!(
                    "{command}\nfailed ({}): {}",
                    status.status,
                    String::from_utf8_lossy(&status.stderr).trim()
                ),
            ));
        }
    }
    if a.out.is_some() {
        let existing = metadata::find(&doc, &origin)?.map(|n| n.range());
        let annotated = domain::with_metadata(&text, &doc, &metadata::element_in_domain(&list), existing);
        files::write_output(out_file, annotated.as_bytes(), false, a.force)?;
        if out_file.is_none() {
            return Ok(Exit::Success);
        }
    }
    let sink = Sink { json: json_out, to_stderr: false };
    if json_out {
        let devices: Vec<_> = entries
            .iter()
            .map(|(e, dir)| {
                let d = Descriptor::decode(&e.descriptor).ok().map(|d| DescriptorJson::from_descriptor(&d));
                json!({"type": e.address.kind.as_str(), "address": e.address.text, "alias": e.alias,
                       "sysfs": dir.display().to_string(), "descriptor": d})
            })
            .collect();
        let value = json!({
            "domain": name, "namespace": metadata::NAMESPACE, "key": metadata::KEY, "element": element,
            "virsh": args, "command": command, "applied": a.apply, "devices": devices, "skipped": skipped,
        });
        sink.emit_json(&value)?;
        return Ok(Exit::Success);
    }
    let mut text = String::new();
    if a.apply {
        text.push_str(&format!("annotated domain '{name}': {} device(s)\n", list.len()));
        for (e, dir) in &entries {
            if let Ok(d) = Descriptor::decode(&e.descriptor) {
                text.push_str(&format!(
                    "  {}: {}\n",
                    e.address,
                    report::describe(&d, &dir.display().to_string())
                ));
            }
        }
    } else {
        if let Some(out) = &a.out {
            text.push_str(&format!(
                "wrote {}: domain '{name}' with {} device descriptor(s)\n",
                out.display(),
                list.len()
            ));
        }
        text.push_str(&command);
    }
    sink.emit(&text)?;
    Ok(Exit::Success)
}

fn read_stdin() -> Result<String> {
    use std::io::Read;
    let mut s = String::new();
    std::io::stdin()
        .lock()
        .take(64 << 20)
        .read_to_string(&mut s)
        .map_err(|e| Failure::new(Exit::Io, format!("cannot read the domain XML from stdin: {e}")))?;
    Ok(s)
}
