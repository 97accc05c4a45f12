//! `cargo xtask kernel` (CI step `kernel`): migseal inside a real Linux
//! kernel. Debian's newest 6.12 kernel boots under QEMU (TCG) with the
//! mtty sample driver patched to seal and verify its migration state
//! (kernel/mtty-migseal.patch), and a C program (kernel/test/migtest.c)
//! migrates between mdevs through the VFIO migration uAPI v2.
//!
//! 1. Host packages (apt), the newest 6.12 image ABI the archive lists,
//!    its .debs and linux-source-6.12 cached in target/kernel-cache/.
//! 2. The C ABI as one relocatable object: nightly build-std for
//!    x86_64-unknown-none with the kernel's code model, IBT, return
//!    thunks and retpolines; `ld -r --gc-sections`, `objcopy`. Checked:
//!    no SSE/AVX register, no bare `ret`, no indirect branch but through
//!    the thunks, only the listed undefined symbols, and (the probe's IR
//!    scan) no reachable panic in migseal's own code.
//! 3. The stock and the patched mtty built out of tree, the test program,
//!    images the host CLI seals for the refusals, an initramfs.
//! 4. One boot; the console's `verdict:` lines, no oops or warning, the
//!    live sysfs equal to the CLI's fixture. Last line:
//!    `kernel: N passed, M failed`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::{Ctx, output, run};

const PACKAGES: &[&str] = &[
    "qemu-system-x86",
    "busybox-static",
    "cpio",
    "kmod",
    "libelf-dev",
    "bc",
    "flex",
    "bison",
    "pahole",
    "xz-utils",
    "gcc",
    "make",
    "patch",
    "libc6-dev",
];

/// Exactly the flags observed to satisfy objtool and modpost on Debian's
/// 6.12 (IBT, RETPOLINE, RETHUNK, SLS): see /work/shared/KERNEL.md.
const RUSTFLAGS: &str = concat!(
    "-C code-model=kernel -C relocation-model=static ",
    r#"--cfg curve25519_dalek_backend="serial" --cfg sha2_backend="soft" "#,
    "-Zplt=yes -Zcf-protection=branch -Zfunction-return=thunk-extern ",
    "-Zretpoline-external-thunk -Zindirect-branch-cs-prefix -Cjump-tables=n ",
    "-Cno-redzone=y -Cforce-unwind-tables=n -Zemit-stack-sizes"
);

/// What the object may leave undefined: the kernel's string functions
/// (when LLVM emits calls instead of compiler_builtins' local copies),
/// the return and retpoline thunks, and the module's panic hook.
const ALLOWED_UNDEFINED: &[&str] = &[
    "memcpy",
    "memmove",
    "memset",
    "memcmp",
    "bcmp",
    "__x86_return_thunk",
    "__x86_indirect_thunk_r11",
    "migseal_kernel_panic",
];

/// Every scenario the console must report as passed.
const SCENARIOS: &[&str] = &[
    "source-seals",
    "source-unchanged",
    "refuse-payload-bit-flip",
    "refuse-seal-bit-flip",
    "refuse-truncated",
    "refuse-mtty-1-into-mtty-2",
    "refuse-untrusted-key",
    "refuse-cross-vendor",
    "refuse-rollback",
    "refuse-replay-other-session",
    "refuse-raw-unsealed-stream",
    "refuse-codec-fifo-head-200",
    "one-byte-fragments",
    "good-migration",
    "stock-mtty-loads-broken-magic",
];

/// The session nonce the module requires (and seals with).
const SESSION: &str = "11111111111111111111111111111111";
const BOOT_TIMEOUT_SECS: &str = "300";

struct Paths {
    cache: PathBuf,
    build: PathBuf,
}

pub fn step(ctx: &Ctx) -> Result<(), String> {
    let start = Instant::now();
    let p = Paths {
        cache: ctx.root.join("target/kernel-cache"),
        build: ctx.root.join("target/kernel-cache/build"),
    };
    mkdir(&p.cache)?;
    host_packages(ctx)?;
    let abi = newest_abi()?;
    println!("kernel: Debian ABI {abi}");
    let kernel = fetch_kernel(ctx, &p, &abi)?;
    println!("kernel: packages ready after {:.0} s", start.elapsed().as_secs_f64());
    let mut host = Vec::new();
    let object = rust_object(ctx, &p, &mut host)?;
    if p.build.exists() {
        std::fs::remove_dir_all(&p.build).map_err(|e| format!("{}: {e}", p.build.display()))?;
    }
    let modules = build_modules(ctx, &p, &kernel, &object)?;
    let images = host_images(ctx, &p)?;
    let initrd = initramfs(ctx, &p, &kernel, &modules, &images)?;
    println!("kernel: built after {:.0} s; booting", start.elapsed().as_secs_f64());
    let console = boot(ctx, &p, &kernel, &initrd)?;
    let r = judge(ctx, &console, &host);
    println!("kernel: step took {:.0} s", start.elapsed().as_secs_f64());
    r
}

fn mkdir(d: &Path) -> Result<(), String> {
    std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Runs `sh -c script` in `dir`.
fn sh(ctx: &Ctx, dir: &Path, script: &str) -> Result<(), String> {
    run(ctx, "sh", &["-c", &format!("cd '{}' && {script}", dir.display())], &[])
}

fn host_packages(ctx: &Ctx) -> Result<(), String> {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .copied()
        .filter(|p| !output("dpkg-query", &["-W", "-f=${Status}", p]).contains("install ok installed"))
        .collect();
    // The index is needed anyway: the newest kernel ABI is read from it.
    run(ctx, "apt-get", &["update", "-q"], &[])?;
    if !missing.is_empty() {
        let mut a = vec!["install", "-y", "-q", "--no-install-recommends"];
        a.extend(&missing);
        run(ctx, "apt-get", &a, &[("DEBIAN_FRONTEND", "noninteractive")])?;
    }
    let nightly = output("rustup", &["+nightly", "component", "list", "--installed"]);
    if !nightly.lines().any(|l| l.starts_with("rust-src")) {
        run(ctx, "rustup", &["toolchain", "install", "nightly", "--profile", "minimal"], &[])?;
        run(ctx, "rustup", &["+nightly", "component", "add", "rust-src"], &[])?;
    }
    Ok(())
}

/// "6.12.117+deb12": the highest 6.12 ABI with an unsigned amd64 image.
fn newest_abi() -> Result<String, String> {
    let list =
        output("apt-cache", &["search", "--names-only", r"^linux-image-6\.12\..*\+deb12-amd64-unsigned$"]);
    list.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|name| name.strip_prefix("linux-image-")?.strip_suffix("-amd64-unsigned").map(str::to_owned))
        .filter_map(|abi| {
            let n = abi.strip_prefix("6.12.")?.strip_suffix("+deb12")?.parse::<u32>().ok()?;
            Some((n, abi))
        })
        .max()
        .map(|(_, abi)| abi)
        .ok_or_else(|| "apt-cache lists no linux-image-6.12.*+deb12-amd64-unsigned (is bookworm-security in the sources?)".into())
}

struct Kernel {
    headers: PathBuf,
    vmlinuz: PathBuf,
    modules: PathBuf,
    source: PathBuf,
}

fn fetch_kernel(ctx: &Ctx, p: &Paths, abi: &str) -> Result<Kernel, String> {
    let debs = p.cache.join("debs").join(abi);
    let root = p.cache.join("root").join(abi);
    let src = p.cache.join("src").join(abi);
    let packages = [
        format!("linux-image-{abi}-amd64-unsigned"),
        format!("linux-headers-{abi}-amd64"),
        format!("linux-headers-{abi}-common"),
        format!("linux-kbuild-{abi}"),
        "linux-source-6.12".to_owned(),
    ];
    mkdir(&debs)?;
    for pkg in &packages {
        let have = std::fs::read_dir(&debs)
            .map_err(|e| format!("{}: {e}", debs.display()))?
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(&format!("{pkg}_")));
        if !have {
            // Not `apt-get install`: the headers would install a kernel.
            sh(ctx, &debs, &format!("apt-get download -q {pkg}"))?;
        }
    }
    let done = root.join(".extracted");
    if !done.exists() {
        mkdir(&root)?;
        for pkg in packages.iter().take(4) {
            sh(ctx, &debs, &format!("dpkg-deb -x {pkg}_*.deb '{}'", root.display()))?;
        }
        write(&done, "")?;
    }
    let headers = root.join(format!("usr/src/linux-headers-{abi}-amd64"));
    // The one absolute path in the headers: point it at this copy.
    let common = root.join(format!("usr/src/linux-headers-{abi}-common/Makefile"));
    write(&headers.join("Makefile"), format!("include {}\n", common.display()))?;

    let done = src.join(".extracted");
    if !done.exists() {
        mkdir(&src)?;
        sh(
            ctx,
            &src,
            &format!(
                "dpkg-deb --fsys-tarfile '{}'/linux-source-6.12_*.deb | tar -xO ./usr/src/linux-source-6.12.tar.xz \
                 | tar -xJ linux-source-6.12/samples/vfio-mdev/mtty.c linux-source-6.12/include/uapi/linux/vfio.h",
                debs.display()
            ),
        )?;
        write(&done, "")?;
    }
    Ok(Kernel {
        vmlinuz: root.join(format!("boot/vmlinuz-{abi}-amd64")),
        modules: root.join(format!("lib/modules/{abi}-amd64/kernel/drivers/vfio")),
        headers,
        source: src.join("linux-source-6.12"),
    })
}

/// The C ABI as one relocatable object for Kbuild, checked.
/// A host-side check's verdict: passed, name, detail.
type Check = (bool, &'static str, String);

fn rust_object(ctx: &Ctx, p: &Paths, host: &mut Vec<Check>) -> Result<PathBuf, String> {
    let target_dir = ctx.root.join("target/kernel-rust");
    let td = s(&target_dir);
    let out = target_dir.join("x86_64-unknown-none/kernel");
    // The optimised IR the panic scan reads, written by the same rustc run
    // as the object (and kept with it while cargo finds it fresh).
    let ll = target_dir.join("migseal_capi.ll");
    let emit = format!("--emit=link,llvm-ir={}", ll.display());
    run(
        ctx,
        "cargo",
        &[
            "+nightly",
            "rustc",
            "-q",
            "--profile",
            "kernel",
            "-p",
            "migseal-capi",
            "--lib",
            "--crate-type",
            "staticlib",
            "--no-default-features",
            "--features",
            "kernel",
            "--target",
            "x86_64-unknown-none",
            "-Zbuild-std=core,compiler_builtins",
            "--target-dir",
            &td,
            "--",
            &emit,
        ],
        &[("RUSTFLAGS", RUSTFLAGS), ("RUSTC_WRAPPER", "")],
    )?;
    host.push(scan_panics(ctx, &ll)?);
    let lib = out.join("libmigseal_capi.a");
    let obj_dir = p.cache.join("obj");
    mkdir(&obj_dir)?;
    let symbols = output("readelf", &["-sW", &s(&lib)]);
    let mut exports: Vec<&str> = symbols
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 8 && f[4] == "GLOBAL" && f[6] != "UND" && f[7].starts_with("migseal_")).then(|| f[7])
        })
        .collect();
    exports.sort_unstable();
    exports.dedup();
    if exports.len() < 20 {
        return Err(format!("only {} exported migseal_* symbols in {}", exports.len(), lib.display()));
    }
    let tmp = obj_dir.join("linked.o");
    let obj = obj_dir.join("migseal.o");
    let mut a = vec!["-r".to_owned(), "--gc-sections".to_owned()];
    for e in &exports {
        a.extend(["-u".to_owned(), (*e).to_owned()]);
    }
    a.extend([s(&lib), "-o".into(), s(&tmp)]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    run(ctx, "ld", &a, &[])?;
    let stack = stack_sizes(&tmp);
    let mut a = vec!["--strip-debug".to_owned()];
    for sec in [".llvmbc", ".llvmcmd", ".comment", ".stack_sizes"] {
        a.extend(["-R".to_owned(), sec.to_owned()]);
    }
    for e in &exports {
        a.push(format!("--keep-global-symbol={e}"));
    }
    a.extend([s(&tmp), s(&obj)]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    run(ctx, "objcopy", &a, &[])?;
    host.push(match check_object(&obj, &exports) {
        Ok(()) => (true, "object-checks", "no SSE/AVX register, no bare return, no indirect branch outside the thunks, only the listed undefined symbols and relocations".into()),
        Err(e) => (false, "object-checks", e),
    });
    if let Some(stack) = stack {
        println!("check: largest stack frames in the object: {stack}");
    }
    Ok(obj)
}

/// The probe's IR scan on the kernel object's optimised IR: no panic call
/// in migseal's own code; dependency sites only as allowlisted.
fn scan_panics(ctx: &Ctx, ll: &Path) -> Result<Check, String> {
    let text = std::fs::read_to_string(ll).map_err(|e| format!("{}: {e}", ll.display()))?;
    let mut sites = crate::probe::panic_sites(&text);
    // The panic handler's own call into the module's hook.
    sites.retain(|k, _| !k.ends_with("migseal_kernel_panic"));
    let allow = crate::probe::read_allowlist(&ctx.root.join("probe/allowlist.txt"))?;
    // With the location of an inlined core function the site names core:
    // then the calling function says whose code it is.
    let callers: Vec<String> = crate::probe::panic_calls(&text)
        .into_iter()
        .filter(|(caller, site)| caller.contains("migseal") && !allow.contains_key(site))
        .filter(|(_, site)| !site.ends_with("migseal_kernel_panic"))
        .map(|(caller, site)| format!("{caller} ({site})"))
        .collect();
    let mut bad: Vec<String> = sites
        .keys()
        .filter(|k| {
            (k.starts_with("migseal-") || !allow.contains_key(*k)) && !callers.iter().any(|c| c.contains(*k))
        })
        .cloned()
        .collect();
    bad.extend(callers.iter().map(|c| format!("a panic call in migseal's {c}")));
    let project = sites.keys().filter(|k| k.starts_with("migseal-")).count() + callers.len();
    println!(
        "check: reachable panic sites in the kernel object: migseal's own code {project}, dependencies {} (allowlisted)",
        sites.len() - sites.keys().filter(|k| k.starts_with("migseal-")).count()
    );
    Ok(if bad.is_empty() {
        (true, "no-panic-in-migseal-code", "optimised IR: no panic call in migseal's code; dependency sites allowlisted (probe/allowlist.txt)".into())
    } else {
        (false, "no-panic-in-migseal-code", format!("not allowed: {}", bad.join("; ")))
    })
}

/// objdump checks of the object the module links.
fn check_object(obj: &Path, exports: &[&str]) -> Result<(), String> {
    let n_exports = exports.len();
    let o = s(obj);
    let size = output("size", &[&o]);
    let text = size.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap_or("?").to_owned();
    let bytes = std::fs::metadata(obj).map(|m| m.len()).unwrap_or(0);
    println!("check: object {} bytes, text {text} bytes, {n_exports} exported symbols", bytes);
    let dis = output("objdump", &["-d", "--no-show-raw-insn", &o]);
    let mut problems = Vec::new();
    let (mut simd, mut bare_ret, mut indirect) = (0, 0, 0);
    // IBT: the C ABI's functions may be called by pointer, so each must
    // begin with a landing pad. (LLVM leaves it out only where no address
    // is taken; objtool checks those on the linked module, and the module
    // build fails on any objtool warning.)
    let mut pads = 0;
    let mut lines = dis.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(name) = line.strip_suffix(">:").and_then(|l| l.split_once('<')).map(|(_, n)| n) else {
            continue;
        };
        if exports.contains(&name) {
            let first = lines.peek().and_then(|l| l.split_once(":\t")).map_or("", |(_, i)| i.trim());
            if first == "endbr64" {
                pads += 1;
            } else {
                problems.push(format!("no ENDBR landing pad at {name} (first: {first})"));
            }
        }
    }
    println!("check: exported functions starting with endbr64: {pads} of {n_exports}");
    for line in dis.lines() {
        let Some((_, insn)) = line.split_once(":\t") else { continue };
        let insn = insn.trim();
        if ["%xmm", "%ymm", "%zmm"].iter().any(|r| insn.contains(r)) {
            simd += 1;
            if simd <= 3 {
                problems.push(format!("SSE/AVX: {insn}"));
            }
        }
        let mnemonic = insn.split_whitespace().next().unwrap_or("");
        if mnemonic == "ret" || mnemonic == "retq" {
            bare_ret += 1;
            if bare_ret <= 3 {
                problems.push(format!("bare return (objtool wants the return thunk): {insn}"));
            }
        }
        if (mnemonic.starts_with("call") || mnemonic.starts_with("jmp")) && insn.contains('*') {
            indirect += 1;
            if indirect <= 3 {
                problems.push(format!("indirect branch outside the retpoline thunk: {insn}"));
            }
        }
    }
    println!("check: SSE/AVX instructions {simd}, bare returns {bare_ret}, indirect branches {indirect}");
    let undefined: Vec<String> = output("nm", &["-u", &o])
        .lines()
        .filter_map(|l| l.split_whitespace().last().map(str::to_owned))
        .collect();
    let stray: Vec<&String> = undefined.iter().filter(|u| !ALLOWED_UNDEFINED.contains(&u.as_str())).collect();
    println!("check: undefined symbols {} (allowed: {})", undefined.join(" "), ALLOWED_UNDEFINED.join(" "));
    if !stray.is_empty() {
        problems.push(format!("undefined symbols not in the allowed list: {stray:?}"));
    }
    let relocs = output("objdump", &["-r", &o]);
    let mut kinds = BTreeMap::new();
    for l in relocs.lines() {
        if let Some(kind) = l.split_whitespace().nth(1).filter(|k| k.starts_with("R_X86_64")) {
            *kinds.entry(kind.to_owned()).or_insert(0u32) += 1;
        }
    }
    println!("check: relocations {kinds:?}");
    for kind in kinds.keys() {
        if !["R_X86_64_PLT32", "R_X86_64_PC32", "R_X86_64_32S", "R_X86_64_64"].contains(&kind.as_str()) {
            problems.push(format!("relocation the module loader may refuse: {kind}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("the kernel object fails its checks:\n  {}", problems.join("\n  ")))
    }
}

/// The five largest frames from `.stack_sizes` (function, bytes), or None
/// when llvm-readobj is not at hand.
fn stack_sizes(obj: &Path) -> Option<String> {
    let tool = ["llvm-readobj-14", "llvm-readobj"]
        .into_iter()
        .find(|t| Command::new(t).arg("--version").output().is_ok())?;
    let text = output(tool, &["--stack-sizes", &s(obj)]);
    let mut frames: Vec<(u64, String)> = Vec::new();
    let mut name = String::new();
    for l in text.lines() {
        let l = l.trim();
        if let Some(f) = l.strip_prefix("Functions: [") {
            name = f.trim_end_matches(']').to_owned();
        } else if let Some(v) = l.strip_prefix("Size: 0x").and_then(|h| u64::from_str_radix(h, 16).ok()) {
            frames.push((v, std::mem::take(&mut name)));
        }
    }
    frames.sort_unstable_by_key(|f| std::cmp::Reverse(f.0));
    let mut out = String::new();
    for (size, f) in frames.iter().take(5) {
        let short: String = f.chars().take(60).collect();
        let _ = write!(out, "{short} {size} B; ");
    }
    (!frames.is_empty()).then_some(out)
}

struct Modules {
    stock: PathBuf,
    patched: PathBuf,
    test: PathBuf,
}

fn build_modules(ctx: &Ctx, p: &Paths, k: &Kernel, object: &Path) -> Result<Modules, String> {
    let mtty = k.source.join("samples/vfio-mdev/mtty.c");
    let stock = p.build.join("stock");
    let patched = p.build.join("patched");
    let tree = p.build.join("tree/samples/vfio-mdev");
    for d in [&stock, &patched, &tree] {
        mkdir(d)?;
    }
    let copy = |from: &Path, to: &Path| {
        std::fs::copy(from, to).map(|_| ()).map_err(|e| format!("cannot copy {}: {e}", from.display()))
    };
    copy(&mtty, &stock.join("mtty.c"))?;
    write(&stock.join("Kbuild"), "obj-m += mtty.o\n")?;
    // The patch applies to Debian's file at test time; the driver itself
    // is never in the repository.
    copy(&mtty, &tree.join("mtty.c"))?;
    let patch = ctx.root.join("kernel/mtty-migseal.patch");
    sh(ctx, &p.build.join("tree"), &format!("patch -p1 --no-backup-if-mismatch < '{}'", patch.display()))?;
    copy(&tree.join("mtty.c"), &patched.join("mtty_main.c"))?;
    copy(&ctx.root.join("kernel/Kbuild"), &patched.join("Kbuild"))?;
    copy(&ctx.root.join("capi/include/migseal.h"), &patched.join("migseal.h"))?;
    copy(object, &patched.join("migseal_rust.bin"))?;
    for dir in [&stock, &patched] {
        let log =
            p.build.join(format!("{}.log", dir.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()));
        sh(
            ctx,
            &k.headers,
            &format!(
                "make -s M='{}' modules > '{}' 2>&1; r=$?; cat '{}'; exit $r",
                dir.display(),
                log.display(),
                log.display()
            ),
        )?;
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        // Any compiler, objtool or modpost diagnostic fails the build.
        if text.contains("warning") || text.contains("error") || text.contains("WARNING") {
            return Err(format!("the {} module build was not clean:\n{text}", dir.display()));
        }
    }
    let test = p.build.join("migtest");
    run(
        ctx,
        "gcc",
        &[
            "-static",
            "-O2",
            "-Wall",
            "-Werror",
            "-D__user=",
            "-I",
            &s(&k.source.join("include/uapi")),
            "-o",
            &s(&test),
            &s(&ctx.root.join("kernel/test/migtest.c")),
        ],
        &[],
    )?;
    let patch_text = std::fs::read_to_string(&patch).unwrap_or_default();
    let added = patch_text.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).count();
    let removed = patch_text.lines().filter(|l| l.starts_with('-') && !l.starts_with("---")).count();
    println!(
        "check: mtty patch +{added} -{removed} lines; patched module {} bytes",
        file_len(&patched.join("mtty.ko"))
    );
    Ok(Modules { stock: stock.join("mtty.ko"), patched: patched.join("mtty.ko"), test })
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// mtty's migration data (`struct mtty_data`): header and `ports` ports,
/// all registers at reset, port 0's FIFO head at `head`.
fn mtty_state(ports: u32, head: u8) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(0x7e9d_0989_8c3e_2c4e_u64.to_le_bytes());
    for x in [1u32, 0, ports, 0] {
        v.extend(x.to_le_bytes());
    }
    for i in 0..ports {
        let mut port = [0u8; 36];
        port[24] = if i == 0 { head } else { 0 };
        port[33] = 16; // max_fifo_size
        v.extend(port);
    }
    v
}

/// Keys, and the images only a host can make: other keys, vendors,
/// versions and sessions, a state the codec refuses, mtty's raw stream.
fn host_images(ctx: &Ctx, p: &Paths) -> Result<PathBuf, String> {
    let dir = p.build.join("images");
    mkdir(&dir)?;
    run(ctx, "cargo", &["build", "-q", "-p", "migseal-cli"], &[])?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| ctx.root.join("target"), PathBuf::from);
    let cli = target.join("debug/migseal");
    let cli = s(&cli);
    let d = s(&dir);
    run(ctx, &cli, &["keygen", "--force", "--out", &format!("{d}/test.key")], &[])?;
    run(ctx, &cli, &["keygen", "--force", "--out", &format!("{d}/other.key")], &[])?;
    write(&dir.join("mtty-2.state"), mtty_state(2, 0))?;
    write(&dir.join("raw-stock-stream.bin"), mtty_state(2, 0))?;
    write(&dir.join("fifo-head-200.state"), mtty_state(2, 200))?;
    let cases: [(&str, &str, &str, &str, &str, &str); 5] = [
        ("untrusted", "mtty-2.state", "other.key", "linux", "3", SESSION),
        ("cross-vendor", "mtty-2.state", "test.key", "nvidia", "3", SESSION),
        ("rollback", "mtty-2.state", "test.key", "linux", "1", SESSION),
        ("other-session", "mtty-2.state", "test.key", "linux", "3", "22222222222222222222222222222222"),
        ("fifo-head-200", "fifo-head-200.state", "test.key", "linux", "3", SESSION),
    ];
    for (name, state, key, vendor, svn, session) in cases {
        run(
            ctx,
            &cli,
            &[
                "seal",
                &format!("{d}/{state}"),
                "--key",
                &format!("{d}/{key}"),
                "--vendor",
                vendor,
                "--device-api",
                "vfio-pci",
                "--device-type",
                "mtty-2",
                "--state-version",
                "1.0",
                "--codec",
                "mtty",
                "--security-version",
                svn,
                "--session",
                session,
                "-o",
                &format!("{d}/{name}.migseal"),
            ],
            &[],
        )?;
    }
    Ok(dir)
}

fn initramfs(ctx: &Ctx, p: &Paths, k: &Kernel, m: &Modules, images: &Path) -> Result<PathBuf, String> {
    let root = p.build.join("initramfs");
    for d in ["bin", "lib", "images", "proc", "sys", "dev"] {
        mkdir(&root.join(d))?;
    }
    let copy = |from: &Path, to: &Path| {
        std::fs::copy(from, to).map(|_| ()).map_err(|e| format!("cannot copy {}: {e}", from.display()))
    };
    copy(Path::new("/bin/busybox"), &root.join("bin/busybox"))?;
    for applet in [
        "sh", "mount", "insmod", "rmmod", "echo", "cat", "poweroff", "dmesg", "grep", "sed", "readlink",
        "uname",
    ] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet))
            .map_err(|e| format!("cannot link {applet}: {e}"))?;
    }
    for (name, rel) in
        [("vfio", "vfio.ko.xz"), ("vfio_iommu_type1", "vfio_iommu_type1.ko.xz"), ("mdev", "mdev/mdev.ko.xz")]
    {
        sh(ctx, &root, &format!("xz -dc '{}' > lib/{name}.ko", k.modules.join(rel).display()))?;
    }
    copy(&m.stock, &root.join("lib/mtty-stock.ko"))?;
    copy(&m.patched, &root.join("lib/mtty-patched.ko"))?;
    copy(&m.test, &root.join("migtest"))?;
    copy(&ctx.root.join("kernel/test/init.sh"), &root.join("init"))?;
    sh(ctx, &root, "chmod 755 init migtest")?;
    for f in ["untrusted", "cross-vendor", "rollback", "other-session", "fifo-head-200"] {
        copy(&images.join(format!("{f}.migseal")), &root.join(format!("images/{f}.migseal")))?;
    }
    copy(&images.join("raw-stock-stream.bin"), &root.join("images/raw-stock-stream.bin"))?;
    // The CLI's key files are typed: a first line naming the kind, then
    // the 64 hex digits the module parameters take.
    let read = |f: &str| {
        let text = std::fs::read_to_string(images.join(f)).map_err(|e| format!("{f}: {e}"))?;
        text.lines()
            .map(str::trim)
            .find(|l| l.len() == 64 && l.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_owned)
            .ok_or_else(|| format!("{f}: no line of 64 hex digits"))
    };
    write(
        &root.join("params"),
        format!("SEAL_KEY={}\nTRUSTED_KEY={}\nSESSION={SESSION}\n", read("test.key")?, read("test.key.pub")?),
    )?;
    let initrd = p.build.join("initrd.gz");
    sh(ctx, &root, &format!("find . | cpio -o -H newc --quiet | gzip -1 > '{}'", initrd.display()))?;
    Ok(initrd)
}

fn boot(ctx: &Ctx, p: &Paths, k: &Kernel, initrd: &Path) -> Result<String, String> {
    let log = p.build.join("console.log");
    let start = Instant::now();
    let status = Command::new("timeout")
        .args([
            BOOT_TIMEOUT_SECS,
            "qemu-system-x86_64",
            "-accel",
            "tcg",
            "-m",
            "512",
            "-nographic",
            "-net",
            "none",
            "-no-reboot",
            "-kernel",
            &s(&k.vmlinuz),
            "-initrd",
            &s(initrd),
            "-append",
            "console=ttyS0 panic=-1 quiet",
        ])
        .current_dir(&ctx.root)
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?)
        .stderr(std::process::Stdio::inherit())
        .status()
        .map_err(|e| format!("cannot start qemu: {e}"))?;
    let console = String::from_utf8_lossy(&std::fs::read(&log).unwrap_or_default()).into_owned();
    println!(
        "kernel: QEMU ran {:.1} s ({status}); console in {}",
        start.elapsed().as_secs_f64(),
        log.display()
    );
    if status.code() == Some(124) {
        println!("{console}");
        return Err(format!("the boot did not finish within {BOOT_TIMEOUT_SECS} s"));
    }
    Ok(console)
}

/// Reads the console: verdicts, kernel trouble, sysfs against the fixture.
fn judge(ctx: &Ctx, console: &str, host: &[Check]) -> Result<(), String> {
    let mut passed = 0;
    let mut failed = 0;
    for (ok, name, detail) in host {
        println!("verdict: {} {name}: {detail}", if *ok { "PASS" } else { "FAIL" });
        if *ok { passed += 1 } else { failed += 1 }
    }
    let mut seen = Vec::new();
    for line in console.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("kernel-test:") || line.starts_with("verdict:") || line.starts_with("dmesg:") {
            println!("{line}");
        }
        if let Some(rest) = line.strip_prefix("verdict: PASS ") {
            passed += 1;
            seen.push(rest.split(':').next().unwrap_or("").to_owned());
        } else if line.starts_with("verdict: FAIL") {
            failed += 1;
        }
    }
    for name in SCENARIOS {
        if !seen.iter().any(|s| s == name) {
            println!("verdict: FAIL {name}: not reported as passed");
            failed += 1;
        }
    }
    let trouble: Vec<&str> = console
        .lines()
        .filter(|l| {
            ["BUG:", "Oops", "WARNING:", "Call Trace", "Kernel panic", "general protection", "stack guard"]
                .iter()
                .any(|t| l.contains(t))
        })
        .collect();
    if trouble.is_empty() {
        println!("verdict: PASS no-oops-or-warning: the console and the kernel log hold none");
        passed += 1;
    } else {
        println!("verdict: FAIL no-oops-or-warning: {}", trouble.join(" | "));
        failed += 1;
    }
    if !console.contains("kernel-test: done") {
        println!("verdict: FAIL finished: /init did not reach its end");
        failed += 1;
    }
    match sysfs_matches_fixture(ctx, console) {
        Ok(n) => {
            println!(
                "verdict: PASS sysfs-fixture: {n} attributes of the live mtty equal cli/tests/fixtures/sysfs"
            );
            passed += 1;
        }
        Err(e) => {
            println!("verdict: FAIL sysfs-fixture: {e}");
            failed += 1;
        }
    }
    println!("kernel: {passed} passed, {failed} failed");
    if failed == 0 { Ok(()) } else { Err(format!("{failed} kernel scenario(s) failed")) }
}

/// The live `mdev_supported_types/*/*` (one mtty-2 mdev created) and the
/// mdev's `mdev_type` link against the CLI's sysfs fixture.
fn sysfs_matches_fixture(ctx: &Ctx, console: &str) -> Result<usize, String> {
    let fixture = ctx.root.join("cli/tests/fixtures/sysfs/devices/virtual/mtty/mtty");
    let mut live = BTreeMap::new();
    for line in console.lines() {
        if let Some((k, v)) =
            line.trim_end_matches('\r').strip_prefix("sysfs: ").and_then(|r| r.split_once('='))
        {
            live.insert(k.to_owned(), v.to_owned());
        }
    }
    let link = live.remove("mdev_type").ok_or("the console has no sysfs dump")?;
    let mut fixed = BTreeMap::new();
    let types = fixture.join("mdev_supported_types");
    for t in std::fs::read_dir(&types).map_err(|e| format!("{}: {e}", types.display()))?.flatten() {
        for f in std::fs::read_dir(t.path()).map_err(|e| format!("{e}"))?.flatten() {
            let v = std::fs::read_to_string(f.path()).unwrap_or_default();
            fixed.insert(
                format!("{}/{}", t.file_name().to_string_lossy(), f.file_name().to_string_lossy()),
                v.trim_end().to_owned(),
            );
        }
    }
    let mdev = fixture.join("83b8f4f2-509f-382f-3c1e-e6bfe0fa1001/mdev_type");
    let fixed_link = std::fs::read_link(&mdev).map(|l| s(&l)).unwrap_or_default();
    let mut diffs = Vec::new();
    for k in live.keys().chain(fixed.keys()).collect::<std::collections::BTreeSet<_>>() {
        if live.get(k) != fixed.get(k) {
            diffs.push(format!("{k}: live {:?}, fixture {:?}", live.get(k), fixed.get(k)));
        }
    }
    if link != fixed_link {
        diffs.push(format!("mdev_type link: live {link}, fixture {fixed_link}"));
    }
    if diffs.is_empty() { Ok(live.len() + 1) } else { Err(diffs.join("; ")) }
}
