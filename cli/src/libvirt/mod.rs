//! `migseal libvirt`: the compatibility check where libvirt needs it.
//!
//! - `annotate` (source host): the domain's device descriptors into its
//!   metadata (`spec/libvirt-metadata.md`);
//! - `hook` (destination host): a libvirt qemu hook that refuses an
//!   incoming migration at `migrate begin`, before QEMU starts, when a
//!   device here cannot take the state of the device on the source.

pub mod address;
pub mod annotate;
pub mod config;
pub mod devices;
pub mod domain;
pub mod hook;
pub mod metadata;
pub mod report;

use std::path::PathBuf;

use clap::Subcommand;

use crate::error::{Exit, Result};

/// The `migseal libvirt` commands.
#[derive(Debug, Subcommand)]
pub enum LibvirtCommand {
    /// Source host: put the domain's device descriptors into its metadata.
    #[command(after_long_help = concat!(
        "Reads the domain XML (FILE, - for stdin, or `virsh dumpxml` with --domain), describes each\n",
        "<hostdev mode='subsystem' type='mdev'> (and each PCI hostdev bound to a VFIO variant driver)\n",
        "from this host's sysfs as a source descriptor, and prints the command that stores them:\n",
        "  virsh metadata DOMAIN --uri https://migseal.dev/xmlns/libvirt/domain/1 --key migseal --set XML\n",
        "--apply runs it; --out FILE writes the annotated domain XML instead (- for stdout).\n",
        "Settings (--settings, MIGSEAL_LIBVIRT_CONFIG, /etc/migseal/libvirt.json) supply versions,\n",
        "codecs, features and vendor per device type where sysfs does not say them."
    ))]
    Annotate {
        /// The domain XML file, or - for stdin (default: virsh dumpxml DOMAIN).
        input: Option<PathBuf>,
        /// The domain, for `virsh dumpxml` and `virsh metadata`.
        #[arg(long)]
        domain: Option<String>,
        /// The libvirt connection URI (virsh -c).
        #[arg(long, short = 'c', visible_alias = "uri", value_name = "URI")]
        connect: Option<String>,
        /// The sysfs root (default: MIGSEAL_SYSFS_ROOT, else /sys).
        #[arg(long, value_name = "DIR")]
        sysfs_root: Option<PathBuf>,
        /// The settings file (default: MIGSEAL_LIBVIRT_CONFIG, else /etc/migseal/libvirt.json).
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
        /// Run `virsh metadata` rather than print it.
        #[arg(long)]
        apply: bool,
        /// Pass --live to virsh metadata (the running domain).
        #[arg(long)]
        live: bool,
        /// Pass --config to virsh metadata (the persistent definition).
        #[arg(long)]
        config: bool,
        /// Write the annotated domain XML to FILE (- for stdout).
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Replace an existing --out file.
        #[arg(long)]
        force: bool,
    },
    /// Destination host: the libvirt qemu hook (argv as libvirt calls it, domain XML on stdin).
    #[command(after_long_help = concat!(
        "Install: /etc/libvirt/hooks/qemu.d/50-migseal (cli/libvirt/qemu.d/50-migseal), or call it\n",
        "from /etc/libvirt/hooks/qemu as `migseal libvirt hook \"$@\"`.\n\n",
        "`migrate begin`: checks each device in the domain's migseal metadata against its counterpart\n",
        "in this host's sysfs (same mdev UUID or PCI address). All compatible: the domain XML is\n",
        "printed unchanged, exit 0. Otherwise nothing is printed, every reason goes to stderr (the\n",
        "words of `migseal compat`, with the device and what to do), exit 13, and libvirt cancels\n",
        "the incoming migration before QEMU starts. Every other operation: exit 0, no output.\n",
        "A domain without migseal metadata passes unless the settings say \"require_metadata\": true."
    ))]
    Hook {
        /// guest_name.
        #[arg(allow_hyphen_values = true)]
        guest: String,
        /// operation (migrate, prepare, start, started, stopped, release, restore, reconnect, attach).
        #[arg(allow_hyphen_values = true)]
        operation: String,
        /// sub-operation (begin, end, -).
        #[arg(allow_hyphen_values = true)]
        sub_operation: String,
        /// extra argument (- when none).
        #[arg(allow_hyphen_values = true)]
        extra: Option<String>,
        /// The sysfs root (default: MIGSEAL_SYSFS_ROOT, else /sys).
        #[arg(long, value_name = "DIR")]
        sysfs_root: Option<PathBuf>,
        /// The settings file (default: MIGSEAL_LIBVIRT_CONFIG, else /etc/migseal/libvirt.json).
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
    },
}

/// Runs a `migseal libvirt` command.
///
/// # Errors
///
/// See [`annotate::run`] and [`hook::filter`].
pub fn run(command: LibvirtCommand, json_out: bool) -> Result<Exit> {
    match command {
        LibvirtCommand::Annotate {
            input,
            domain,
            connect,
            sysfs_root,
            settings,
            apply,
            live,
            config,
            out,
            force,
        } => annotate::run(
            &annotate::Args { input, domain, connect, sysfs_root, settings, apply, live, config, out, force },
            json_out,
        ),
        // libvirt reads the hook's stdout as XML: never JSON there.
        LibvirtCommand::Hook { guest, operation, sub_operation, extra: _, sysfs_root, settings } => {
            hook::run(&hook::Args { guest, operation, sub_operation, sysfs_root, settings })
        }
    }
}
