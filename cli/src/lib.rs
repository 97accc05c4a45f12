//! The `migseal` command-line tool: keygen, seal, verify, inspect, compat
//! and descriptor, for people (clear verdicts that name expected and
//! found) and for machines (`--json`, distinct exit codes).
//!
//! The binary is a thin `main` over [`run`]; everything else lives in
//! modules so it can be unit-tested.
#![forbid(unsafe_code)]

pub mod compat;
pub mod descriptor_file;
pub mod error;
pub mod files;
pub mod header_file;
pub mod inspect;
pub mod keys;
pub mod libvirt;
pub mod report;
pub mod seal;
mod seal_parallel;
pub mod sniff;
pub mod sysfs;
pub mod verify;
pub mod verify_parallel;

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use migseal_format::envelope::Descriptor;
use serde_json::json;

use crate::descriptor_file::DescriptorJson;
use crate::error::{EXIT_CODE_TABLE, Exit, Failure, Result};
use crate::header_file::HeaderJson;

const FILES_HELP: &str = "\
Files:
  policy      JSON: {\"trusted\": [{\"public_key\": HEX, \"vendor\": V, \"device_types\": [..]}],
              \"revoked\": [KEY-ID HEX], \"min_security\": [{\"vendor\": V, \"device_type\": T,
              \"minimum\": N}], \"session\": HEX, \"subject\": S, \"limits\": {..}}
  descriptor  canonical CBOR (*.cbor), or JSON: {\"role\": \"destination\", \"vendor\": V,
              \"device_api\": A, \"device_type\": T, \"versions\": [{\"min\": \"1.0\", \"max\": \"1.3\"}],
              \"features\": [..], \"config\": {\"kind\": K, \"data_hex\": HEX}, \"codecs\": [..]}
  secret key  `migseal secret key (ed25519)`, then 64 hex digits (mode 0600), from `migseal keygen`
  public key  KEYFILE.pub: `migseal public key (ed25519)`, then 64 hex digits";

/// Sealed, canonical migration envelopes for assigned devices.
#[derive(Debug, Parser)]
#[command(
    name = "migseal",
    version,
    about = "Seal, verify and inspect device migration state; check device compatibility",
    long_about = "Seal, verify and inspect device migration state (VFIO mediated devices, vendor variant \
drivers, vfio-ccw / vfio-ap shell devices), and check whether a source device's state can go to a \
destination device.\n\nNothing of an image's payload should reach a vendor state parser before \
`migseal verify` said VERIFIED (exit 0).",
    after_long_help = long_help()
)]
pub struct Cli {
    /// Machine-readable output: one JSON object (verdict, code, name,
    /// errno, offset, message, header fields) on stdout, or on stderr when
    /// stdout carries data (seal -o -, verify --payload-out -, descriptor).
    #[arg(long, global = true)]
    pub json: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

fn long_help() -> String {
    format!("{EXIT_CODE_TABLE}\n\n{FILES_HELP}")
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make an Ed25519 key pair: KEYFILE (secret, mode 0600) and KEYFILE.pub;
    /// or, with --show-id, print a public key's key id.
    #[command(after_long_help = "Key files are typed: the first line names the kind and the \
algorithm (`migseal secret key (ed25519)` or `migseal public key (ed25519)`), the second holds \
64 hex digits. `seal --key` refuses a public key file, and a secret key file that other users can \
read. Files of the old form (64 hex digits alone) are still read, with a warning, in this release.")]
    Keygen {
        /// The secret key file; the public key goes to FILE.pub.
        #[arg(long, value_name = "KEYFILE", required_unless_present = "show_id", conflicts_with = "show_id")]
        out: Option<PathBuf>,
        /// Print the key id (what an untrusted-key refusal names) and the
        /// policy entry of a public key file (or a secret key file).
        #[arg(long, value_name = "KEY.pub")]
        show_id: Option<PathBuf>,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
    /// Seal raw vendor state into an image (streaming, constant memory).
    #[command(after_long_help = "Header fields come from --descriptor (a source descriptor), then \
--header-json, then the flags; later ones win. Required: vendor, device API, device type, state \
version, codec.\n\nExample:\n  migseal seal state.bin --key k --vendor linux --device-api vfio-pci \
--device-type mtty-2 --state-version 1.0 --codec mtty --security-version 3 --out state.migseal")]
    Seal {
        /// Raw state file, or - for stdin.
        input: PathBuf,
        /// Secret key file (from `migseal keygen`).
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// Output image file, or - for stdout (the default; refused when it
        /// is a terminal). An existing file is refused without --force.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
        /// Bytes per chunk. Above 16 MiB (the default verifier limit) only
        /// with --allow-large-chunks.
        #[arg(long, default_value_t = seal::DEFAULT_CHUNK_SIZE)]
        chunk_size: u64,
        /// Allow chunks above the default verifier limit (16 MiB): only
        /// destinations whose policy raises `limits.max_chunk_len` accept them.
        #[arg(long)]
        allow_large_chunks: bool,
        /// Threads hashing chunks (default: the number of cores); 1 hashes on
        /// the reading thread. The image is the same either way.
        #[arg(long, value_name = "N")]
        threads: Option<std::num::NonZeroUsize>,
        /// Use a secret key file that other users can read. Unsafe: anyone
        /// who can read it can seal images your destinations trust.
        #[arg(long)]
        insecure_key_permissions: bool,
        /// Header fields as JSON.
        #[arg(long, value_name = "FILE")]
        header_json: Option<PathBuf>,
        /// A source descriptor (CBOR or JSON) for identity, features, config,
        /// codec and (its highest) state version.
        #[arg(long, value_name = "FILE")]
        descriptor: Option<PathBuf>,
        /// Vendor.
        #[arg(long)]
        vendor: Option<String>,
        /// Device API (vfio-pci, vfio-ccw, vfio-ap, ...).
        #[arg(long)]
        device_api: Option<String>,
        /// Device type (the mdev type id, such as mtty-2).
        #[arg(long)]
        device_type: Option<String>,
        /// State version MAJOR.MINOR.
        #[arg(long)]
        state_version: Option<String>,
        /// A feature the state depends on (repeatable).
        #[arg(long = "feature")]
        features: Vec<String>,
        /// Payload codec.
        #[arg(long)]
        codec: Option<String>,
        /// Security version number (default 1; the summary says when the
        /// default was used). Destinations refuse images below their
        /// policy's minimum as a rollback.
        #[arg(long)]
        security_version: Option<u64>,
        /// Session nonce, hex (16-64 bytes).
        #[arg(long)]
        session: Option<String>,
        /// Subject (the VM the state belongs to).
        #[arg(long)]
        subject: Option<String>,
        /// Shell-device config kind (with --config-hex).
        #[arg(long, requires = "config_hex")]
        config_kind: Option<String>,
        /// Shell-device config bytes, hex (with --config-kind).
        #[arg(long, requires = "config_kind")]
        config_hex: Option<String>,
    },
    /// Verify an image against a policy and the destination device.
    #[command(after_long_help = "Reads the image in fixed-size pieces (constant memory, any size, \
from a pipe with -). Exit 0 only when the image VERIFIED; otherwise the exit code names the class \
of refusal (see `migseal --help`). With --payload-out FILE, payload bytes are staged to an unnamed \
temporary file that takes its name only after the seal verified: a refused image, or a signal, \
leaves nothing behind. With --payload-out -, the staged payload is copied to stdout only after the \
verdict, and the report goes to stderr.")]
    Verify {
        /// The image file, or - for stdin.
        image: PathBuf,
        /// The policy file (JSON).
        #[arg(long, value_name = "POLICY.json")]
        policy: PathBuf,
        /// The destination device's descriptor (canonical CBOR or JSON).
        #[arg(long, value_name = "DEVICE")]
        device: PathBuf,
        /// Write the verified payload here, or to stdout with - (only if
        /// it verified; the report then goes to stderr).
        #[arg(long, value_name = "FILE")]
        payload_out: Option<PathBuf>,
        /// Replace an existing --payload-out file.
        #[arg(long)]
        force: bool,
        /// After verification, decode the payload with the reference codec
        /// its header names (mtty, virtio-dev-parts, vfio-ap-matrix) and
        /// show the device state; exit 15 if the codec refuses it. Holds the
        /// payload in memory (at most 64 MiB).
        #[arg(long)]
        decode: bool,
        /// Also compute the SHA-256 of the image file's bytes (what
        /// `sha256sum` prints), to compare a copy; the image digest is
        /// another value.
        #[arg(long)]
        file_sha256: bool,
        /// Bytes per read.
        #[arg(long, default_value_t = verify::DEFAULT_READ_SIZE, hide = true)]
        read_size: usize,
        /// Threads verifying (default: the number of cores): a file is read
        /// and hashed by all N; from a pipe one of them reads and N - 1 hash.
        /// 1 keeps the one-thread streaming path; --decode and --file-sha256
        /// always use it.
        #[arg(long, value_name = "N")]
        threads: Option<std::num::NonZeroUsize>,
    },
    /// Show what an image says about itself, UNVERIFIED.
    #[command(after_long_help = "Walks the structure (header, chunks, seal) without any trust: \
no policy, no signature check. Stops at the first structural error and says where. Exit 0 when the \
structure is complete, else the class of that error.")]
    Inspect {
        /// The image file, or - for stdin.
        image: PathBuf,
    },
    /// Check whether a source device's state can go to a destination.
    #[command(after_long_help = "Prints every reason with its code, and the state version both \
sides would use. Exit 0 when compatible, 13 when not.")]
    Compat {
        /// The source descriptor (CBOR or JSON).
        source: PathBuf,
        /// The destination descriptor (CBOR or JSON).
        destination: PathBuf,
    },
    /// Build or convert a device descriptor.
    #[command(after_long_help = concat!(
        "Sources (exactly one):\n",
        "  --from-json FILE   the human-editable JSON form\n",
        "  --from-cbor FILE   a canonical CBOR descriptor (to read it as JSON)\n",
        "  --sysfs DIR        an mdev device directory, such as /sys/bus/mdev/devices/<uuid>:\n",
        "      DIR/mdev_type                link to <parent>/mdev_supported_types/<type-id>; the\n",
        "                                   type id is the device type, its prefix the driver\n",
        "      DIR/mdev_type/device_api     vfio-pci, vfio-ccw, vfio-ap (mandatory)\n",
        "      DIR/mdev_type/{name,description,available_instances}   reported\n",
        "      DIR/../vendor                PCI vendor id of the parent (0x10de: nvidia, ...)\n",
        "      DIR/matrix, DIR/control_domains   vfio-ap: the AP matrix, encoded as config\n",
        "                                   vfio-ap-matrix (APM | AQM | ADM, 3 x 32 bytes)\n",
        "      DIR/migseal/{versions,codecs,features}   optional (proposed vendor attributes),\n",
        "                                   one entry per line\n",
        "    The vendor comes from the PCI vendor id, else the driver (mtty: linux, vfio_ap: ibm,\n",
        "    nvidia, i915: intel); --vendor, --version, --codec, --feature supply or override.\n",
        "\n",
        "Output: --format cbor (default) or json; to --out FILE or stdout (CBOR is not written to a\n",
        "terminal). --from-cbor defaults to json, and so does an --out name ending in .json."
    ))]
    Descriptor {
        /// Convert a JSON descriptor.
        #[arg(long, value_name = "FILE", group = "from")]
        from_json: Option<PathBuf>,
        /// Read a canonical CBOR descriptor.
        #[arg(long, value_name = "FILE", group = "from")]
        from_cbor: Option<PathBuf>,
        /// Build a destination descriptor from an mdev device's sysfs directory.
        #[arg(long, value_name = "DIR", group = "from")]
        sysfs: Option<PathBuf>,
        /// Output file, or - for stdout (the default).
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// --sysfs: the vendor, when sysfs does not tell it.
        #[arg(long)]
        vendor: Option<String>,
        /// --sysfs: an accepted state version range, "1.0" or "1.0-1.3" (repeatable).
        #[arg(long = "version", value_name = "RANGE")]
        versions: Vec<String>,
        /// --sysfs: a codec the device decodes (repeatable).
        #[arg(long = "codec")]
        codecs: Vec<String>,
        /// --sysfs: a feature the device supports (repeatable).
        #[arg(long = "feature")]
        features: Vec<String>,
        /// --sysfs: describe the device as a source rather than a destination.
        #[arg(long)]
        source: bool,
    },
    /// libvirt: annotate a domain with its device descriptors (source), check them in the qemu hook (destination).
    #[command(subcommand)]
    Libvirt(libvirt::LibvirtCommand),
}

/// Descriptor output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Canonical CBOR.
    Cbor,
    /// The JSON form.
    Json,
}

/// Runs a parsed command line; prints; returns the exit code.
#[must_use]
pub fn run(cli: Cli) -> u8 {
    let sink = report::Sink { json: cli.json, to_stderr: cli.command.writes_data_to_stdout() };
    match dispatch(cli.command, sink) {
        Ok(exit) => exit.code(),
        Err(f) => {
            let printed = if sink.json {
                let mut value = f.to_json();
                if let Some(obj) = value.as_object_mut() {
                    obj.insert("verdict".into(), "error".into());
                }
                sink.emit_json(&value)
            } else {
                Err(f.clone())
            };
            if printed.is_err() {
                // One line on stderr; if even that is closed, the exit
                // code still tells.
                let _ = writeln!(std::io::stderr(), "migseal: {}", f.message);
            }
            f.exit.code()
        }
    }
}

impl Command {
    /// Whether the command writes data (an image, a payload, a
    /// descriptor) to stdout; then every report goes to stderr.
    #[must_use]
    pub fn writes_data_to_stdout(&self) -> bool {
        match self {
            Self::Seal { out, .. } | Self::Descriptor { out, .. } => files::is_stdout(out.as_deref()),
            Self::Verify { payload_out, .. } => {
                payload_out.as_deref().is_some_and(|p| files::is_stdout(Some(p)))
            }
            _ => false,
        }
    }
}

fn dispatch(command: Command, sink: report::Sink) -> Result<Exit> {
    match command {
        Command::Keygen { out: Some(out), show_id: None, force } => keygen(&out, force, sink),
        Command::Keygen { show_id: Some(key), .. } => show_id(&key, sink),
        Command::Keygen { .. } => Err(Failure::usage("give --out KEYFILE, or --show-id KEY.pub")),
        Command::Seal {
            input,
            key,
            out,
            force,
            chunk_size,
            allow_large_chunks,
            threads,
            insecure_key_permissions,
            header_json,
            descriptor,
            vendor,
            device_api,
            device_type,
            state_version,
            features,
            codec,
            security_version,
            session,
            subject,
            config_kind,
            config_hex,
        } => {
            let fields = HeaderJson {
                vendor,
                device_api,
                device_type,
                state_version,
                features: (!features.is_empty()).then_some(features),
                config: config_kind
                    .zip(config_hex)
                    .map(|(kind, data_hex)| descriptor_file::ConfigJson { kind, data_hex }),
                codec,
                security_version,
                session,
                subject,
            };
            let args = seal::Args {
                input,
                key,
                out,
                force,
                chunk_size,
                allow_large_chunks,
                insecure_key_permissions,
                header_json,
                descriptor,
                fields,
                threads: threads.unwrap_or_else(verify_parallel::default_threads),
            };
            seal::run(&args, sink)
        }
        Command::Verify {
            image,
            policy,
            device,
            payload_out,
            force,
            decode,
            file_sha256,
            read_size,
            threads,
        } => {
            let threads = threads.unwrap_or_else(verify_parallel::default_threads);
            let args = verify::Args {
                image,
                policy,
                device,
                payload_out,
                force,
                decode,
                file_sha256,
                read_size,
                threads,
            };
            verify::run(&args, sink)
        }
        Command::Inspect { image } => inspect::run(&image, sink),
        Command::Compat { source, destination } => compat::run(&source, &destination, sink),
        Command::Descriptor {
            from_json,
            from_cbor,
            sysfs,
            out,
            force,
            format,
            vendor,
            versions,
            codecs,
            features,
            source,
        } => {
            let overrides = sysfs::Overrides { vendor, versions, codecs, features, source };
            descriptor(from_json, from_cbor, sysfs, (out, force), format, &overrides, sink)
        }
        Command::Libvirt(command) => libvirt::run(command, sink.json),
    }
}

fn keygen(out: &Path, force: bool, sink: report::Sink) -> Result<Exit> {
    if files::is_stdout(Some(out)) {
        // `-` means stdout everywhere, and a secret key never goes there.
        return Err(Failure::usage(
            "keygen --out takes a file name: the secret key is never written to stdout",
        ));
    }
    let g = keys::generate(out, force)?;
    if sink.json {
        sink.emit_json(&json!({
            "secret_key_file": out.display().to_string(),
            "public_key_file": g.public_path.display().to_string(),
            "public_key": hex::encode(g.public_key),
            "key_id": hex::encode(g.key_id),
        }))?;
    } else {
        sink.emit(&format!(
            "secret key  {} (mode 0600; keep it secret, never share it)\npublic key  {} ({})\nkey id      {}\n\
             Trust it in a policy: {{\"public_key\": \"{}\", \"vendor\": \"<your vendor>\"}}",
            out.display(),
            g.public_path.display(),
            hex::encode(g.public_key),
            hex::encode(g.key_id),
            hex::encode(g.public_key),
        ))?;
    }
    Ok(Exit::Success)
}

fn show_id(path: &Path, sink: report::Sink) -> Result<Exit> {
    let public_key = keys::load_public(path)?;
    let key_id = keys::key_id(&public_key);
    if sink.json {
        sink.emit_json(&json!({
            "file": path.display().to_string(),
            "public_key": hex::encode(public_key),
            "key_id": hex::encode(key_id),
        }))?;
    } else {
        sink.emit(&format!(
            "public key  {}\nkey id      {}\nTrust it in a policy: {{\"public_key\": \"{}\", \"vendor\": \"<your vendor>\"}}",
            hex::encode(public_key),
            hex::encode(key_id),
            hex::encode(public_key),
        ))?;
    }
    Ok(Exit::Success)
}

#[allow(clippy::too_many_arguments)]
fn descriptor(
    from_json: Option<PathBuf>,
    from_cbor: Option<PathBuf>,
    sysfs_dir: Option<PathBuf>,
    (out, force): (Option<PathBuf>, bool),
    format: Option<Format>,
    overrides: &sysfs::Overrides,
    sink: report::Sink,
) -> Result<Exit> {
    let json_out = sink.json;
    if let Some(p) = out.as_deref().filter(|p| !files::is_stdout(Some(p))) {
        files::check_output(p, force)?;
    }
    let (cbor, facts, default_format, origin) = match (from_json, from_cbor, sysfs_dir) {
        (Some(p), None, None) => (descriptor_file::load(&p)?, None, Format::Cbor, p),
        (None, Some(p), None) => {
            let bytes = files::read_small(&p)?;
            Descriptor::decode(&bytes).map_err(|e| Failure::format(&e, Some(&p.display().to_string())))?;
            (bytes, None, Format::Json, p)
        }
        (None, None, Some(dir)) => {
            let found = sysfs::read(&dir, overrides)?;
            let cbor = found
                .descriptor
                .encode()
                .map_err(|e| Failure::input(format!("{} (from sysfs): {e}", dir.display())))?;
            (cbor, Some(found.facts), Format::Cbor, dir)
        }
        _ => return Err(Failure::usage("give one of --from-json FILE, --from-cbor FILE, --sysfs DIR")),
    };
    let d =
        Descriptor::decode(&cbor).map_err(|e| Failure::format(&e, Some(&origin.display().to_string())))?;
    let as_json = DescriptorJson::from_descriptor(&d);
    let out_is_json_name = out.as_deref().and_then(Path::extension).is_some_and(|e| e == "json");
    let format = format.unwrap_or(if out_is_json_name || (out.is_none() && json_out) {
        Format::Json
    } else {
        default_format
    });
    let bytes = match format {
        Format::Cbor => cbor.clone(),
        Format::Json => {
            let mut t = serde_json::to_string_pretty(&as_json)
                .map_err(|e| Failure::new(Exit::Internal, format!("cannot format JSON: {e}")))?;
            t.push('\n');
            t.into_bytes()
        }
    };
    let Some(target) = out.filter(|p| !files::is_stdout(Some(p))) else {
        files::write_output(None, &bytes, format == Format::Cbor, force)?;
        return Ok(Exit::Success);
    };
    files::write_output(Some(&target), &bytes, format == Format::Cbor, force)?;
    if json_out {
        let value = json!({
            "written": target.display().to_string(),
            "format": match format { Format::Cbor => "cbor", Format::Json => "json" },
            "cbor_len": cbor.len(),
            "descriptor": as_json,
            "sysfs": facts,
        });
        sink.emit_json(&value)?;
    } else {
        sink.emit(&format!(
            "wrote {}: {} descriptor {}, versions {}, codecs {}{} ({} bytes of canonical CBOR)",
            target.display(),
            match d.role {
                migseal_format::envelope::Role::Source => "source",
                migseal_format::envelope::Role::Destination => "destination",
            },
            descriptor_file::identity_line(&d),
            descriptor_file::versions_line(&d),
            d.codecs.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
            d.config.map(|c| format!(", config {} ({} bytes)", c.kind, c.data.len())).unwrap_or_default(),
            cbor.len()
        ))?;
    }
    Ok(Exit::Success)
}
