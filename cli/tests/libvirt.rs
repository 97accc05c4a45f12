//! `migseal libvirt annotate` and `migseal libvirt hook` with the real
//! libvirt tools (Debian's libvirt-clients and libxml2-utils): the
//! annotated domain validates against libvirt's own schema, the metadata
//! round-trips through `virsh` against libvirt's test driver, and the hook
//! is run exactly as libvirt runs it on the destination
//! (`HOOK guest migrate begin -`, the domain XML as `virsh dumpxml
//! --migratable` gives it on stdin) against sysfs trees.
//!
//! The sysfs trees are copies of `cli/tests/fixtures/sysfs` (or of the
//! tree `MIGSEAL_TEST_SYSFS` names, such as one recorded from a kernel
//! running the mtty sample driver), changed per case on the destination
//! side. Devices are found by their mdev type, not by a fixed UUID.
//!
//! Without the tools these tests are skipped with a loud message. They
//! fail instead when `MIGSEAL_LIBVIRT_REQUIRED` is set: the `libvirt` CI
//! step (`cargo xtask libvirt`) installs the tools and sets it, so in CI
//! they always run. (`CI` alone does not make them fail: the `test` step
//! runs before the `libvirt` step has installed anything.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

const NAMESPACE: &str = "https://migseal.dev/xmlns/libvirt/domain/1";
const GUEST: &str = "migseal-guest";
const TOOLS: &[(&str, &str)] =
    &[("virsh", "libvirt-clients"), ("virt-xml-validate", "libvirt-clients"), ("xmllint", "libxml2-utils")];

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// True when the libvirt tools are here. Missing tools skip the test
/// loudly, or fail it when `MIGSEAL_LIBVIRT_REQUIRED` is set.
fn tools() -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let missing: Vec<String> = TOOLS
        .iter()
        .filter(|(tool, _)| !std::env::split_paths(&path).any(|d| d.join(tool).is_file()))
        .map(|(tool, package)| format!("{tool} (Debian package {package})"))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "libvirt tools missing: {}. Run `cargo xtask libvirt`, or `apt-get install libvirt-clients libxml2-utils`",
        missing.join(", ")
    );
    assert!(
        std::env::var_os("MIGSEAL_LIBVIRT_REQUIRED").is_none(),
        "{message} (MIGSEAL_LIBVIRT_REQUIRED is set: these tests must run)"
    );
    // Straight to the process's stderr: the test harness captures
    // `eprintln!`, and a skip must be seen.
    let bar = "!".repeat(100);
    let _ = writeln!(std::io::stderr(), "\n{bar}\n!!! SKIPPED libvirt test: {message}\n{bar}\n");
    false
}

fn migseal(args: &[&str], stdin: &[u8], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migseal"));
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env_remove("MIGSEAL_SYSFS_ROOT").env_remove("MIGSEAL_LIBVIRT_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A host's sysfs: a writable copy of the recorded tree.
struct Host {
    dir: TempDir,
}

impl Host {
    fn new() -> Self {
        let from = std::env::var_os("MIGSEAL_TEST_SYSFS")
            .map_or_else(|| manifest().join("tests/fixtures/sysfs"), PathBuf::from);
        let dir = tempfile::tempdir().unwrap();
        // cp -a keeps the symlinks the kernel has (bus/mdev/devices/UUID,
        // mdev_type), which the descriptor code resolves.
        let o = Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", from.display()))
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "cp -a {}: {}", from.display(), text(&o.stderr));
        let o = Command::new("chmod").args(["-R", "u+w"]).arg(dir.path()).output().unwrap();
        assert!(o.status.success());
        let host = Self { dir };
        // The mtty driver does not export the proposed migseal attributes:
        // this host's driver says what it accepts.
        host.set(&host.mtty(), "migseal/versions", "1.0\n");
        host.set(&host.mtty(), "migseal/codecs", "mtty\n");
        host
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The UUID of the first mdev of `type_id`.
    fn uuid_of(&self, type_id: &str) -> String {
        let devices = self.root().join("bus/mdev/devices");
        let mut found: Vec<String> = fs::read_dir(&devices)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                fs::read_link(p.join("mdev_type")).is_ok_and(|t| t.file_name().is_some_and(|n| n == type_id))
            })
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        found.sort();
        found.into_iter().next().unwrap_or_else(|| panic!("no {type_id} mdev in {}", devices.display()))
    }

    fn mtty_uuid(&self) -> String {
        self.uuid_of("mtty-2")
    }

    fn ap_uuid(&self) -> String {
        self.uuid_of("vfio_ap-passthrough")
    }

    /// The device directory (the link resolved) of the mtty-2 device.
    fn mtty(&self) -> PathBuf {
        fs::canonicalize(self.root().join("bus/mdev/devices").join(self.mtty_uuid())).unwrap()
    }

    fn ap(&self) -> PathBuf {
        fs::canonicalize(self.root().join("bus/mdev/devices").join(self.ap_uuid())).unwrap()
    }

    fn set(&self, device: &Path, attr: &str, value: &str) {
        let p = device.join(attr);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        let _ = fs::remove_file(&p);
        fs::write(p, value).unwrap();
    }

    /// Points a device's `mdev_type` at another type of the same parent.
    fn retype(&self, device: &Path, type_id: &str) {
        let link = device.join("mdev_type");
        let target = fs::read_link(&link).unwrap().with_file_name(type_id);
        assert!(device.join(&target).is_dir(), "the parent has no type {type_id}");
        fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(target, link).unwrap();
    }

    /// A PCI device at `addr` bound to `driver` (`bus/pci/devices/ADDR`
    /// links to its directory, its `driver` link to the driver's).
    fn add_pci(&self, addr: &str, driver: &str, vendor: &str, device: &str) -> PathBuf {
        let dev = self.root().join("devices/pci0000:00").join(addr);
        fs::create_dir_all(&dev).unwrap();
        fs::write(dev.join("vendor"), format!("{vendor}\n")).unwrap();
        fs::write(dev.join("device"), format!("{device}\n")).unwrap();
        self.bind(&dev, driver);
        let bus = self.root().join("bus/pci/devices");
        fs::create_dir_all(&bus).unwrap();
        std::os::unix::fs::symlink(&dev, bus.join(addr)).unwrap();
        dev
    }

    fn bind(&self, dev: &Path, driver: &str) {
        let drv = self.root().join("bus/pci/drivers").join(driver);
        fs::create_dir_all(&drv).unwrap();
        let _ = fs::remove_file(dev.join("driver"));
        std::os::unix::fs::symlink(drv, dev.join("driver")).unwrap();
    }

    fn remove(&self, uuid: &str) {
        fs::remove_file(self.root().join("bus/mdev/devices").join(uuid)).unwrap();
    }

    /// A settings file in this host's directory.
    fn settings(&self, json: &str) -> PathBuf {
        let p = self.root().join("migseal-libvirt.json");
        fs::write(&p, json).unwrap();
        p
    }
}

/// vfio-ap exports no migseal attributes: the settings file says them.
const AP_SETTINGS: &str =
    r#"{"devices": {"vfio_ap-passthrough": {"versions": ["1.0"], "codecs": ["vfio-ap-matrix"]}}}"#;

/// The guest's domain XML with the host's devices.
fn guest_xml(host: &Host) -> String {
    fs::read_to_string(manifest().join("tests/fixtures/libvirt/guest.xml.in"))
        .unwrap()
        .replace("@MTTY_UUID@", &host.mtty_uuid())
        .replace("@AP_UUID@", &host.ap_uuid())
}

/// Runs `virsh -c test:///default` with `commands` (`;`-separated, one
/// session: the test driver keeps nothing between sessions) and returns
/// stdout.
fn virsh_session(commands: &str) -> String {
    let o = Command::new("virsh").args(["-q", "-c", "test:///default", commands]).output().unwrap();
    assert!(o.status.success(), "virsh {commands}\n{}{}", text(&o.stdout), text(&o.stderr));
    text(&o.stdout)
}

/// The `<domain>...</domain>` document in virsh output.
fn domain_in(output: &str) -> String {
    let start = output.find("<domain").expect("a domain XML in the virsh output");
    let end = output.rfind("</domain>").unwrap() + "</domain>".len();
    format!("{}\n", &output[start..end])
}

/// Annotates the guest on `src` and returns the `virsh metadata` command
/// annotate printed (without the leading `virsh`).
fn annotate_command(src: &Host, xml_file: &Path, settings: &Path) -> String {
    let o = migseal(
        &["libvirt", "annotate", xml_file.to_str().unwrap(), "--settings", settings.to_str().unwrap()],
        b"",
        &[("MIGSEAL_SYSFS_ROOT", src.root())],
    );
    assert_eq!(o.status.code(), Some(0), "annotate: {}", text(&o.stderr));
    let line = text(&o.stdout);
    let command = line.trim().strip_prefix("virsh ").expect("a virsh command");
    assert!(
        command.starts_with(&format!("metadata {GUEST} --uri {NAMESPACE} --key migseal --set '<devices")),
        "{line}"
    );
    command.to_owned()
}

/// The source's side, through libvirt: define the guest in the test
/// driver, run the `virsh metadata` command annotate printed, and return
/// the domain XML libvirt sends with a migration (`dumpxml --migratable`).
fn migrated_xml(src: &Host, settings_json: &str) -> String {
    migrated(src, &guest_xml(src), settings_json)
}

/// [`migrated_xml`] for a given domain XML.
fn migrated(src: &Host, domain: &str, settings_json: &str) -> String {
    let xml = src.root().join("guest.xml");
    fs::write(&xml, domain).unwrap();
    let settings = src.settings(settings_json);
    let command = annotate_command(src, &xml, &settings);
    domain_in(&virsh_session(&format!("define {}; {command}; dumpxml --migratable {GUEST}", xml.display())))
}

/// The hook as libvirt runs it on the destination: argv
/// `guest_name operation sub-operation extra`, domain XML on stdin.
fn hook(dst: &Host, args: [&str; 4], xml: &str, settings_json: &str) -> Output {
    let settings = dst.settings(settings_json);
    let mut argv = vec!["libvirt", "hook"];
    argv.extend(args);
    migseal(
        &argv,
        xml.as_bytes(),
        &[("MIGSEAL_SYSFS_ROOT", dst.root()), ("MIGSEAL_LIBVIRT_CONFIG", &settings)],
    )
}

fn migrate_begin(dst: &Host, xml: &str, settings_json: &str) -> Output {
    hook(dst, [GUEST, "migrate", "begin", "-"], xml, settings_json)
}

/// A refusal: exit 13, nothing on stdout (libvirt would read it as the
/// domain XML), the domain and each named device on stderr.
fn assert_refused(o: &Output, devices: &[&str]) -> String {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(13), "stderr: {err}");
    assert!(o.stdout.is_empty(), "a refusal printed XML: {}", text(&o.stdout));
    assert!(
        err.starts_with(&format!("migseal: refusing the incoming migration of domain '{GUEST}'")),
        "{err}"
    );
    for d in devices {
        assert!(err.contains(&format!("device {d}")), "stderr does not name {d}: {err}");
    }
    err
}

/// A pass: exit 0 and the domain XML back byte for byte.
fn assert_passed(o: &Output, xml: &str) {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    assert!(o.stdout == xml.as_bytes(), "the XML changed:\n{}", text(&o.stdout));
}

/// The `error ...` lines `migseal compat` prints for the descriptors of
/// the source and destination devices, built from sysfs with
/// `migseal descriptor --sysfs`.
fn compat_lines(src: &Host, src_dev: &str, dst: &Host, dst_dev: &str, flags: &[&str]) -> Vec<String> {
    let work = tempfile::tempdir().unwrap();
    let describe = |host: &Host, uuid: &str, out: &str, source: bool| {
        let dir = host.root().join("bus/mdev/devices").join(uuid);
        let path = work.path().join(out);
        let mut args = vec!["descriptor", "--sysfs", dir.to_str().unwrap(), "--out", path.to_str().unwrap()];
        args.extend(flags);
        if source {
            args.push("--source");
        }
        let o = migseal(&args, b"", &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        path
    };
    let s = describe(src, src_dev, "s.cbor", true);
    let d = describe(dst, dst_dev, "d.cbor", false);
    let o = migseal(&["compat", s.to_str().unwrap(), d.to_str().unwrap()], b"", &[]);
    assert_eq!(o.status.code(), Some(13), "{}", text(&o.stdout));
    let lines: Vec<String> =
        text(&o.stdout).lines().filter(|l| l.trim_start().starts_with("error ")).map(str::to_owned).collect();
    assert!(!lines.is_empty());
    lines
}

#[test]
fn annotated_domain_xml_validates_as_a_libvirt_domain() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let xml = src.root().join("guest.xml");
    fs::write(&xml, guest_xml(&src)).unwrap();
    let settings = src.settings(AP_SETTINGS);
    let out = src.root().join("annotated.xml");
    let o = migseal(
        &[
            "libvirt",
            "annotate",
            xml.to_str().unwrap(),
            "--settings",
            settings.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        b"",
        &[("MIGSEAL_SYSFS_ROOT", src.root())],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let annotated = fs::read_to_string(&out).unwrap();
    assert!(annotated.contains(&format!("<migseal:devices xmlns:migseal=\"{NAMESPACE}\" version=\"1\">")));
    assert_eq!(annotated.matches("<migseal:device ").count(), 2, "{annotated}");
    let v = Command::new("virt-xml-validate").arg(&out).arg("domain").output().unwrap();
    assert!(v.status.success(), "virt-xml-validate: {}{}", text(&v.stdout), text(&v.stderr));
    // The validator does validate: the same metadata where the schema
    // has no place for it (inside <devices>) does not pass.
    let meta_start = annotated.find("  <metadata>").unwrap();
    let meta_end = annotated.find("</metadata>\n").unwrap() + "</metadata>\n".len();
    let moved = format!("{}{}", &annotated[..meta_start], &annotated[meta_end..])
        .replace("  </devices>", &format!("{}  </devices>", &annotated[meta_start..meta_end]));
    let broken = src.root().join("broken.xml");
    fs::write(&broken, moved).unwrap();
    let v = Command::new("virt-xml-validate").arg(&broken).arg("domain").output().unwrap();
    assert!(!v.status.success(), "virt-xml-validate accepted <metadata> inside <devices>");
    // Everything but the metadata is the input, byte for byte.
    assert_eq!(format!("{}{}", &annotated[..meta_start], &annotated[meta_end..]), guest_xml(&src));
}

#[test]
fn metadata_round_trips_through_virsh() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let xml = src.root().join("guest.xml");
    fs::write(&xml, guest_xml(&src)).unwrap();
    let settings = src.settings(AP_SETTINGS);
    let command = annotate_command(&src, &xml, &settings);
    let out = virsh_session(&format!(
        "define {}; {command}; metadata {GUEST} --uri {NAMESPACE}; dumpxml {GUEST}",
        xml.display()
    ));
    // What annotate put in is what libvirt gives back: the element
    // (`virsh metadata --uri` prints it without prefix), its devices and
    // their descriptors.
    let o = migseal(
        &["--json", "libvirt", "annotate", xml.to_str().unwrap(), "--settings", settings.to_str().unwrap()],
        b"",
        &[("MIGSEAL_SYSFS_ROOT", src.root())],
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let devices = report["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    let element = report["element"].as_str().unwrap();
    for piece in element.split("<device ").skip(1) {
        let (attrs, rest) = piece.split_once('>').unwrap();
        let b64 = rest.split('<').next().unwrap();
        assert!(
            out.contains(&format!("<device {attrs}>{b64}</device>")),
            "virsh metadata lost {attrs}:\n{out}"
        );
        assert!(
            out.contains(&format!("<migseal:device {attrs}>{b64}</migseal:device>")),
            "dumpxml lost {attrs}:\n{out}"
        );
    }
    assert!(out.contains(&format!("<migseal:devices xmlns:migseal=\"{NAMESPACE}\" version=\"1\">")), "{out}");
    // And the XML libvirt dumps carries what the hook reads: the source
    // descriptors check against the same host as compatible.
    let dumped = domain_in(&out);
    assert_passed(&migrate_begin(&src, &dumped, AP_SETTINGS), &dumped);

    // --apply runs the same command through virsh (the test driver loads
    // the domain from a node file per connection).
    let node = src.root().join("node.xml");
    fs::write(&node, format!("<node>\n{}</node>\n", guest_xml(&src))).unwrap();
    let uri = format!("test://{}", node.display());
    let o = migseal(
        &[
            "libvirt",
            "annotate",
            "--domain",
            GUEST,
            "--connect",
            &uri,
            "--settings",
            settings.to_str().unwrap(),
            "--apply",
        ],
        b"",
        &[("MIGSEAL_SYSFS_ROOT", src.root())],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).starts_with(&format!("annotated domain '{GUEST}': 2 device(s)")),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn compatible_mtty_2_to_mtty_2_passes_the_xml_through_unchanged() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let dst = Host::new();
    let xml = migrated_xml(&src, AP_SETTINGS);
    let o = migrate_begin(&dst, &xml, AP_SETTINGS);
    assert_passed(&o, &xml);
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

#[test]
fn mtty_2_to_mtty_1_is_refused_for_its_type() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let dst = Host::new();
    let uuid = dst.mtty_uuid();
    dst.retype(&dst.mtty(), "mtty-1");
    let xml = migrated_xml(&src, AP_SETTINGS);
    let o = migrate_begin(&dst, &xml, AP_SETTINGS);
    let err = assert_refused(&o, &[&format!("mdev {uuid}")]);
    assert!(err.contains("1 of 2 device(s)"), "{err}");
    assert!(err.contains("error 502 (device-type-mismatch)"), "{err}");
    for line in compat_lines(&src, &uuid, &dst, &uuid, &[]) {
        assert!(err.contains(&line), "not in the words of migseal compat: {line}\n{err}");
    }
    assert!(err.contains("create the destination device as type mtty-2"), "{err}");
}

#[test]
fn a_destination_version_range_above_the_source_is_refused() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let dst = Host::new();
    let uuid = dst.mtty_uuid();
    dst.set(&dst.mtty(), "migseal/versions", "2.0-2.3\n");
    let xml = migrated_xml(&src, AP_SETTINGS);
    let err = assert_refused(&migrate_begin(&dst, &xml, AP_SETTINGS), &[&format!("mdev {uuid}")]);
    assert!(err.contains("error 503 (version-unsupported)"), "{err}");
    assert!(err.contains("versions 2.0..2.3"), "{err}");
    for line in compat_lines(&src, &uuid, &dst, &uuid, &[]) {
        assert!(err.contains(&line), "not in the words of migseal compat: {line}\n{err}");
    }
}

#[test]
fn a_missing_feature_is_refused() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let dst = Host::new();
    let uuid = dst.mtty_uuid();
    src.set(&src.mtty(), "migseal/features", "fifo-16\n");
    dst.set(&dst.mtty(), "migseal/features", "# none\n");
    let xml = migrated_xml(&src, AP_SETTINGS);
    let err = assert_refused(&migrate_begin(&dst, &xml, AP_SETTINGS), &[&format!("mdev {uuid}")]);
    assert!(err.contains("error 504 (feature-missing)"), "{err}");
    assert!(err.contains("fifo-16"), "{err}");
    for line in compat_lines(&src, &uuid, &dst, &uuid, &[]) {
        assert!(err.contains(&line), "not in the words of migseal compat: {line}\n{err}");
    }
}

#[test]
fn a_vfio_ap_device_with_a_different_matrix_is_refused() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let dst = Host::new();
    let uuid = dst.ap_uuid();
    // Adapter 6 is gone from the destination's matrix.
    dst.set(&dst.ap(), "matrix", "05.0004\n05.0047\n");
    let xml = migrated_xml(&src, AP_SETTINGS);
    let err = assert_refused(&migrate_begin(&dst, &xml, AP_SETTINGS), &[&format!("mdev {uuid}")]);
    assert!(err.contains("1 of 2 device(s)"), "{err}");
    assert!(err.contains("error 505 (config-mismatch)"), "{err}");
    let flags = ["--version", "1.0", "--codec", "vfio-ap-matrix"];
    for line in compat_lines(&src, &uuid, &dst, &uuid, &flags) {
        assert!(err.contains(&line), "not in the words of migseal compat: {line}\n{err}");
    }
}

#[test]
fn a_destination_without_the_mdev_uuid_is_refused_with_the_fix() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let dst = Host::new();
    let uuid = dst.mtty_uuid();
    dst.remove(&uuid);
    let xml = migrated_xml(&src, AP_SETTINGS);
    let err = assert_refused(&migrate_begin(&dst, &xml, AP_SETTINGS), &[&format!("mdev {uuid}")]);
    assert!(err.contains("MISSING on this host"), "{err}");
    assert!(err.contains(&format!("mdevctl start --uuid {uuid} --parent PARENT --type mtty-2")), "{err}");
}

#[test]
fn every_device_and_every_reason_is_reported_at_once() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let dst = Host::new();
    let (mtty, uuid) = (dst.mtty(), dst.mtty_uuid());
    dst.retype(&mtty, "mtty-1");
    dst.set(&mtty, "migseal/versions", "2.0\n");
    dst.set(&dst.ap(), "matrix", "05.0004\n");
    let xml = migrated_xml(&src, AP_SETTINGS);
    let err = assert_refused(
        &migrate_begin(&dst, &xml, AP_SETTINGS),
        &[&format!("mdev {uuid}"), &format!("mdev {}", dst.ap_uuid())],
    );
    assert!(err.contains("2 of 2 device(s)"), "{err}");
    assert!(err.contains("INCOMPATIBLE: 2 reasons"), "{err}");
    for code in ["502 (device-type-mismatch)", "503 (version-unsupported)", "505 (config-mismatch)"] {
        assert!(err.contains(&format!("error {code}")), "{code} missing: {err}");
    }
}

#[test]
fn a_domain_without_metadata_passes_unless_the_settings_require_it() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let dst = Host::new();
    dst.retype(&dst.mtty(), "mtty-1");
    let file = src.root().join("guest.xml");
    fs::write(&file, guest_xml(&src)).unwrap();
    let xml = domain_in(&virsh_session(&format!("define {}; dumpxml --migratable {GUEST}", file.display())));
    assert!(!xml.contains(NAMESPACE));
    assert_passed(&migrate_begin(&dst, &xml, "{}"), &xml);
    let err = assert_refused(&migrate_begin(&dst, &xml, r#"{"require_metadata": true}"#), &[]);
    assert!(err.contains("no migseal metadata"), "{err}");
    assert!(err.contains(&format!("migseal libvirt annotate --domain {GUEST} --apply")), "{err}");
}

#[test]
fn other_operations_are_no_ops() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let dst = Host::new();
    dst.remove(&dst.mtty_uuid());
    let xml = migrated_xml(&src, AP_SETTINGS);
    for args in [
        [GUEST, "prepare", "begin", "-"],
        [GUEST, "start", "begin", "-"],
        [GUEST, "started", "begin", "-"],
        [GUEST, "stopped", "end", "-"],
        [GUEST, "release", "end", "migrated"],
        [GUEST, "restore", "begin", "-"],
        [GUEST, "reconnect", "begin", "-"],
        [GUEST, "migrate", "end", "-"],
    ] {
        let o = hook(&dst, args, &xml, r#"{"require_metadata": true}"#);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
        assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{args:?} printed something");
        // Not even read as XML there.
        let o = hook(&dst, args, "not xml \u{0}\u{ff}", "{}");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
    }
}

#[test]
fn malformed_metadata_is_refused_with_its_position() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let xml = migrated_xml(&src, AP_SETTINGS);
    let bad = xml.replacen("address=\"", "address=\"../../", 1);
    let o = migrate_begin(&src, &bad, AP_SETTINGS);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(o.stdout.is_empty());
    assert!(err.contains(&format!("refusing the incoming migration of domain '{GUEST}'")), "{err}");
    assert!(err.contains("is not an mdev UUID"), "{err}");
}

/// The packaged hook script, run as libvirt runs a `qemu.d` script
/// (executed directly, argv and stdin as for the main hook).
fn packaged_hook(dst: &Host, migseal_bin: &Path, args: [&str; 4], xml: &str, settings_json: &str) -> Output {
    let script = manifest().join("libvirt/qemu.d/50-migseal");
    let settings = dst.settings(settings_json);
    let mut child = Command::new(&script)
        .args(args)
        .env("MIGSEAL", migseal_bin)
        .env("MIGSEAL_SYSFS_ROOT", dst.root())
        .env("MIGSEAL_LIBVIRT_CONFIG", &settings)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (is it executable?)", script.display()));
    let mut stdin = child.stdin.take().unwrap();
    let bytes = xml.as_bytes().to_vec();
    // A script that exits without reading closes the pipe: not an error here.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[test]
fn the_packaged_hook_script_runs_migseal_for_migrate_begin_only() {
    if !tools() {
        return;
    }
    let src = Host::new();
    let good = Host::new();
    let bad = Host::new();
    bad.retype(&bad.mtty(), "mtty-1");
    let xml = migrated_xml(&src, AP_SETTINGS);
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_migseal"));
    let args = [GUEST, "migrate", "begin", "-"];
    assert_passed(&packaged_hook(&good, &bin, args, &xml, AP_SETTINGS), &xml);
    let o = packaged_hook(&bad, &bin, args, &xml, AP_SETTINGS);
    assert_refused(&o, &[]);
    assert!(text(&o.stderr).contains("error 502 (device-type-mismatch)"));
    // Without migseal, a guest still starts; a migration is refused.
    let none = Path::new("/nonexistent/migseal");
    let o = packaged_hook(&good, none, [GUEST, "prepare", "begin", "-"], &xml, AP_SETTINGS);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty());
    let o = packaged_hook(&good, none, args, &xml, AP_SETTINGS);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(text(&o.stderr).contains("/nonexistent/migseal is not an executable"), "{}", text(&o.stderr));
}

/// A guest with two PCI hostdevs besides its mdevs: 0000:00:05.0 (a
/// ConnectX VF bound to the mlx5_vfio_pci variant driver) and 0000:00:06.0
/// (bound to plain vfio-pci, which cannot migrate device state).
fn pci_guest(host: &Host) -> String {
    let pci = |slot: &str| {
        format!(
            "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <driver name='vfio'/>\n      <source>\n        \
             <address domain='0x0000' bus='0x00' slot='{slot}' function='0x0'/>\n      </source>\n    </hostdev>\n"
        )
    };
    guest_xml(host).replace("  </devices>", &format!("{}{}  </devices>", pci("0x05"), pci("0x06")))
}

fn pci_host() -> (Host, PathBuf) {
    let host = Host::new();
    let vf = host.add_pci("0000:00:05.0", "mlx5_vfio_pci", "0x15b3", "0x101e");
    host.set(&vf, "migseal/versions", "1.0-1.2\n");
    host.set(&vf, "migseal/codecs", "mlx5-vf\n");
    host.add_pci("0000:00:06.0", "vfio-pci", "0x8086", "0x1520");
    (host, vf)
}

#[test]
fn a_pci_device_of_a_variant_driver_is_annotated_and_checked() {
    if !tools() {
        return;
    }
    let (src, _) = pci_host();
    let file = src.root().join("pci-guest.xml");
    fs::write(&file, pci_guest(&src)).unwrap();
    let settings = src.settings(AP_SETTINGS);
    let out = src.root().join("annotated.xml");
    let annotate = |input: &Path| {
        migseal(
            &[
                "--json",
                "libvirt",
                "annotate",
                input.to_str().unwrap(),
                "--settings",
                settings.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                // The second run below replaces the first one's file.
                "--force",
            ],
            b"",
            &[("MIGSEAL_SYSFS_ROOT", src.root())],
        )
    };
    let o = annotate(&file);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let pci = report["devices"].as_array().unwrap().iter().find(|d| d["type"] == "pci").unwrap().clone();
    assert_eq!(pci["address"], "0000:00:05.0");
    assert_eq!(pci["descriptor"]["vendor"], "mellanox");
    assert_eq!(pci["descriptor"]["device_type"], "mlx5_vfio_pci-0x101e");
    assert_eq!(pci["descriptor"]["role"], "source");
    assert_eq!(report["devices"].as_array().unwrap().len(), 3);
    assert!(text(&o.stderr).contains("device pci 0000:00:06.0: not annotated:"), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("plain vfio-pci"), "{}", text(&o.stderr));
    let v = Command::new("virt-xml-validate").arg(&out).arg("domain").output().unwrap();
    assert!(v.status.success(), "virt-xml-validate: {}{}", text(&v.stdout), text(&v.stderr));
    // Annotating the annotated XML replaces the element: still one.
    let again = src.root().join("again.xml");
    fs::copy(&out, &again).unwrap();
    assert_eq!(annotate(&again).status.code(), Some(0));
    let twice = fs::read_to_string(&out).unwrap();
    assert_eq!(twice.matches("<migseal:devices ").count(), 1, "{twice}");
    assert_eq!(twice, fs::read_to_string(&again).unwrap());

    let xml = migrated(&src, &pci_guest(&src), AP_SETTINGS);
    assert!(xml.contains("type=\"pci\" address=\"0000:00:05.0\""), "{xml}");
    let (same, _) = pci_host();
    assert_passed(&migrate_begin(&same, &xml, AP_SETTINGS), &xml);

    let (older, vf) = pci_host();
    older.set(&vf, "migseal/versions", "0.9\n");
    let err = assert_refused(&migrate_begin(&older, &xml, AP_SETTINGS), &["pci 0000:00:05.0"]);
    assert!(err.contains("error 503 (version-unsupported)"), "{err}");
    assert!(err.contains("mellanox / vfio-pci / mlx5_vfio_pci-0x101e"), "{err}");

    let (plain, vf) = pci_host();
    plain.bind(&vf, "vfio-pci");
    let err = assert_refused(&migrate_begin(&plain, &xml, AP_SETTINGS), &["pci 0000:00:05.0"]);
    assert!(err.contains("CANNOT MIGRATE here"), "{err}");
    assert!(err.contains("bind its vendor's VFIO variant driver"), "{err}");
}

/// `--out` replaces nothing without `--force`, refuses before any work,
/// and a report that cannot be written is an I/O failure (exit 3), not a
/// silent success. No libvirt tool is needed: the XML comes from a file.
#[test]
fn annotate_keeps_an_existing_out_file_unless_forced_and_reports_write_failures() {
    let src = Host::new();
    let xml = src.root().join("guest.xml");
    fs::write(&xml, guest_xml(&src)).unwrap();
    let settings = src.settings(AP_SETTINGS);
    let out = src.root().join("annotated.xml");
    fs::write(&out, "precious").unwrap();
    let env = [("MIGSEAL_SYSFS_ROOT", src.root())];
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut a: Vec<String> = ["libvirt", "annotate", xml.to_str().unwrap(), "--settings"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        a.push(settings.to_str().unwrap().to_owned());
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let run = |a: &[String]| migseal(&a.iter().map(String::as_str).collect::<Vec<_>>(), b"", &env);

    let mut a = args(&["--out"]);
    a.push(out.to_str().unwrap().to_owned());
    let o = run(&a);
    assert_ne!(o.status.code(), Some(0), "replaced an existing file without --force");
    assert!(text(&o.stderr).contains("--force"), "{}", text(&o.stderr));
    assert_eq!(fs::read_to_string(&out).unwrap(), "precious");

    a.push("--force".to_owned());
    let o = run(&a);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(fs::read_to_string(&out).unwrap().contains("<migseal:devices"));
    assert!(text(&o.stdout).starts_with(&format!("wrote {}", out.display())), "{}", text(&o.stdout));

    // The printed command into a full device: exit 3, one line saying so.
    let full = fs::File::create("/dev/full").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_migseal"))
        .args(args(&[]))
        .env("MIGSEAL_SYSFS_ROOT", src.root())
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("<stdout>"), "{}", text(&o.stderr));
}
