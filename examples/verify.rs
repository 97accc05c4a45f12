//! Verifies an image file against a JSON policy and a destination device
//! descriptor (canonical CBOR), streaming it in 64 KiB reads, and prints
//! the verdict. The `migseal` CLI does the same with more options; this is
//! the smallest complete use of the API.
//!
//! ```sh
//! cargo run -q --example verify -- spec/vectors/images/mtty-2-single-chunk.migseal \
//!     spec/vectors/policies/default.json spec/vectors/devices/mtty-2.cbor
//! ```

use std::io::Read;
use std::process::ExitCode;

use migseal::format::envelope::Descriptor;
use migseal::policy_file::PolicyFile;
use migseal::verifier::Verifier;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [image, policy, device] = args.as_slice() else {
        eprintln!("usage: verify IMAGE POLICY.json DEVICE.cbor");
        return ExitCode::from(2);
    };
    match run(image, policy, device) {
        Ok(summary) => {
            println!("VERIFIED {image}\n{summary}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            println!("REFUSED {image}\n{message}");
            ExitCode::FAILURE
        }
    }
}

fn run(image_path: &str, policy_path: &str, device_path: &str) -> Result<String, String> {
    let policy_text = std::fs::read_to_string(policy_path).map_err(|e| format!("{policy_path}: {e}"))?;
    let policy = PolicyFile::from_json(&policy_text).map_err(|e| format!("{policy_path}: {e}"))?;
    let device_bytes = std::fs::read(device_path).map_err(|e| format!("{device_path}: {e}"))?;
    let device = Descriptor::decode(&device_bytes).map_err(|e| format!("{device_path}: {e}"))?;
    let mut file = std::fs::File::open(image_path).map_err(|e| format!("{image_path}: {e}"))?;

    // The policy is built once (keys checked and prepared); the verifier
    // borrows it, and the device, for each call.
    let policy = policy.to_policy().map_err(|e| format!("{policy_path}: {e}"))?;
    let mut v = Verifier::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut payload = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| format!("{image_path}: {e}"))?;
        if n == 0 {
            break;
        }
        v.feed(&policy, &device, &buf[..n], |piece| payload += piece.bytes.len() as u64)
            .map_err(|e| e.to_string())?;
    }
    let verdict = v.finish().map_err(|e| e.to_string())?;
    let h = verdict.header();
    let id = &h.identity;
    Ok(format!(
        "  device      {} / {} / {}\n  state       version {}, codec {}, security version {}\n  payload     {payload} bytes in {} chunks\n  image       sha256:{}",
        id.vendor,
        id.device_api,
        id.device_type,
        h.state_version,
        h.codec,
        h.security_version,
        verdict.chunk_count(),
        hex::encode(verdict.image_digest()),
    ))
}
