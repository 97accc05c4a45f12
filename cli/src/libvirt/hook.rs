//! `migseal libvirt hook`: the destination's check at the start of an
//! incoming migration, as a libvirt qemu hook
//! (`/etc/libvirt/hooks/qemu` or `/etc/libvirt/hooks/qemu.d/NAME`).
//!
//! libvirt runs `HOOK guest_name migrate begin -` on the destination
//! before the QEMU process exists, with the domain XML on stdin. The hook
//! is a filter there: what it prints on stdout becomes the domain XML
//! (empty output means unchanged); a non-zero exit cancels the incoming
//! migration and libvirt reports it to `virsh migrate`. So:
//!
//! - `migrate begin`, every device compatible (or no migseal metadata and
//!   no policy demanding it): the input, byte for byte, on stdout; exit 0;
//! - `migrate begin`, any device refused: nothing on stdout, every reason
//!   of every device on stderr, exit 13 (10 or 4 when the metadata is
//!   malformed);
//! - any other operation: stdin is drained, nothing is printed, exit 0.

use std::io::{Read, Write};
use std::path::PathBuf;

use migseal_format::envelope::Descriptor;
use migseal_verifier::compat;

use super::address::Kind;
use super::config::{self, Config};
use super::devices::{self, Lookup};
use super::domain::{self, Hostdev};
use super::metadata::{self, Entry};
use super::report;
use crate::error::{Exit, Failure, Result};

/// The largest domain XML the hook reads (libvirt's own limit on a
/// domain XML is 10 MiB).
const MAX_XML: u64 = 64 << 20;

/// The hook's arguments.
#[derive(Debug)]
pub struct Args {
    /// `guest_name`.
    pub guest: String,
    /// `operation` (`migrate`, `prepare`, `start`, ...).
    pub operation: String,
    /// `sub-operation` (`begin`, `end`, `-`).
    pub sub_operation: String,
    /// The sysfs root (else `MIGSEAL_SYSFS_ROOT`, else `/sys`).
    pub sysfs_root: Option<PathBuf>,
    /// The settings file.
    pub settings: Option<PathBuf>,
}

/// Runs the hook on `input` (the domain XML libvirt wrote to stdin),
/// writing the filtered XML to `out` and the refusal to `err`.
///
/// # Errors
///
/// Malformed domain XML, metadata or settings (the refusal is the error's
/// message); I/O.
pub fn filter(args: &Args, input: &[u8], out: &mut dyn Write, err: &mut dyn Write) -> Result<Exit> {
    if args.operation != "migrate" || args.sub_operation != "begin" {
        return Ok(Exit::Success);
    }
    let refusing = |f: Failure| Failure {
        message: format!("refusing the incoming migration of domain '{}': {}", args.guest, f.message),
        ..f
    };
    let origin = format!("domain '{}' (XML from libvirt on stdin)", args.guest);
    let text = std::str::from_utf8(input)
        .map_err(|e| refusing(Failure::input(format!("{origin}: not UTF-8: {e}"))))?;
    let doc = domain::parse(text, &origin).map_err(refusing)?;
    let settings = config::load(args.settings.as_deref()).map_err(refusing)?;
    let root = config::sysfs_root(args.sysfs_root.as_deref());
    let hostdevs = domain::hostdevs(&doc, &origin).map_err(refusing)?;
    let entries = metadata::read(&doc, &origin).map_err(refusing)?;

    let mut refusals: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    match &entries {
        None if settings.require_metadata && !hostdevs.is_empty() => refusals.push(format!(
            "the domain has {} host device(s) but no migseal metadata, and this host's settings require it \
             (\"require_metadata\": true).\n  to do: on the source host, run `migseal libvirt annotate --domain {} --apply` \
             and migrate again",
            hostdevs.len(),
            args.guest
        )),
        None => {}
        Some(entries) => {
            check_devices(&root, &settings, &hostdevs, entries, &args.guest, &mut refusals, &mut notes)
                .map_err(refusing)?;
        }
    }
    for n in &notes {
        let _ = writeln!(err, "migseal: note: {n}");
    }
    if refusals.is_empty() {
        out.write_all(input)
            .map_err(|e| Failure::new(Exit::Io, format!("cannot write the domain XML to stdout: {e}")))?;
        out.flush()
            .map_err(|e| Failure::new(Exit::Io, format!("cannot write the domain XML to stdout: {e}")))?;
        return Ok(Exit::Success);
    }
    let mut s = match &entries {
        Some(entries) => format!(
            "migseal: refusing the incoming migration of domain '{}': {} of {} device(s) cannot take their state on this host\n",
            args.guest,
            refusals.len(),
            entries.len().max(refusals.len())
        ),
        None => format!("migseal: refusing the incoming migration of domain '{}':\n", args.guest),
    };
    for r in &refusals {
        s.push_str(r);
        if !r.ends_with('\n') {
            s.push('\n');
        }
    }
    s.push_str("The domain keeps running on the source. Fix the devices above on this host, or migrate to another host.\n");
    let _ = err.write_all(s.as_bytes());
    Ok(Exit::Incompatible)
}

/// Matches each metadata entry with the domain's hostdev (by address, else
/// by alias), finds its counterpart here and checks it.
fn check_devices(
    root: &std::path::Path,
    settings: &Config,
    hostdevs: &[Hostdev],
    entries: &[Entry],
    guest: &str,
    refusals: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Result<()> {
    for entry in entries {
        let hostdev = hostdevs.iter().find(|h| h.address == entry.address).or_else(|| {
            entry.alias.as_ref().and_then(|a| {
                hostdevs.iter().find(|h| h.alias.as_ref() == Some(a) && h.address.kind == entry.address.kind)
            })
        });
        let Some(hostdev) = hostdev else {
            notes.push(format!(
                "the migseal metadata names {}, which the domain no longer has: ignored (re-run `migseal libvirt annotate` on the source to drop it)",
                entry.address
            ));
            continue;
        };
        let label = hostdev.label();
        let src = Descriptor::decode(&entry.descriptor).map_err(|e| Failure::format(&e, Some(&label)))?;
        match devices::describe(root, &hostdev.address, settings, false)? {
            Lookup::Missing(dir) => refusals.push(missing(&label, &hostdev.address.kind, &dir, &src)),
            Lookup::NotMigratable(why) => {
                refusals.push(format!("device {label}: CANNOT MIGRATE here: {why}\n"))
            }
            Lookup::Found(found) => {
                let dst = Descriptor::decode(&found.cbor).map_err(|e| Failure::format(&e, Some(&label)))?;
                let c = compat::check(&src, &dst);
                if !c.is_compatible() {
                    refusals.push(report::incompatible(
                        &label,
                        &c,
                        (&src, "from the domain's migseal metadata"),
                        (&dst, &found.dir.display().to_string()),
                    ));
                }
            }
        }
    }
    for h in hostdevs {
        let annotated =
            entries.iter().any(|e| e.address == h.address || (e.alias.is_some() && e.alias == h.alias));
        if annotated {
            continue;
        }
        if settings.require_metadata && h.address.kind == Kind::Mdev {
            refusals.push(format!(
                "device {}: no migseal descriptor in the domain's metadata, and this host's settings require one.\n  \
                 to do: on the source host, run `migseal libvirt annotate --domain {guest} --apply` and migrate again\n",
                h.label()
            ));
        } else if h.address.kind == Kind::Mdev {
            notes.push(format!(
                "device {} has no migseal descriptor in the domain's metadata: not checked",
                h.label()
            ));
        }
    }
    Ok(())
}

fn missing(label: &str, kind: &Kind, dir: &std::path::Path, src: &Descriptor<'_>) -> String {
    let t = src.identity.device_type.as_str();
    let how = match kind {
        Kind::Mdev => {
            let uuid = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            format!(
                "create it on this host with the source's type before migrating, for example \
                 `mdevctl start --uuid {uuid} --parent PARENT --type {t}`, or \
                 `echo {uuid} > /sys/class/mdev_bus/PARENT/mdev_supported_types/{t}/create` \
                 (PARENT: a device that lists {t} in its mdev_supported_types)"
            )
        }
        Kind::Pci => format!(
            "give the domain a device of type {t} at this address on this host (bound to its VFIO variant driver), \
             or migrate with --xml naming the local device"
        ),
    };
    format!(
        "device {label}: MISSING on this host: {} does not exist\n  {}\n  to do: {how}\n",
        dir.display(),
        report::describe(src, "from the domain's migseal metadata")
    )
}

/// Runs the hook on the process's stdin and stdout.
///
/// # Errors
///
/// See [`filter`]; also an unreadable stdin.
pub fn run(args: &Args) -> Result<Exit> {
    let mut input = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_XML.saturating_add(1))
        .read_to_end(&mut input)
        .map_err(|e| Failure::new(Exit::Io, format!("cannot read the domain XML from stdin: {e}")))?;
    let migrating = args.operation == "migrate" && args.sub_operation == "begin";
    if migrating && u64::try_from(input.len()).unwrap_or(u64::MAX) > MAX_XML {
        return Err(Failure::input(format!(
            "refusing the incoming migration of domain '{}': the domain XML on stdin is larger than {MAX_XML} bytes",
            args.guest
        )));
    }
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    filter(args, &input, &mut stdout.lock(), &mut stderr.lock())
}
