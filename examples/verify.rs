//! Verifies an image file against a JSON policy and a destination device
//! descriptor (canonical CBOR or JSON), streaming it in constant memory,
//! and prints the verdict. The `migseal` CLI does the same with more
//! options; this is the smallest complete use of the API.
//!
//! ```sh
//! cargo run -q --example verify -- spec/vectors/images/mtty-2-single-chunk.migseal \
//!     spec/vectors/policies/default.json spec/vectors/devices/mtty-2.cbor
//! ```

use std::process::ExitCode;

use migseal::{Descriptor, PolicyFile, descriptor_cbor, verify_reader};

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
    let policy = PolicyFile::from_json(&policy_text)
        .and_then(|p| p.to_policy())
        .map_err(|e| format!("{policy_path}: {e}"))?;
    let device_file = std::fs::read(device_path).map_err(|e| format!("{device_path}: {e}"))?;
    let device_bytes = descriptor_cbor(&device_file).map_err(|e| format!("{device_path}: {e}"))?;
    let device = Descriptor::decode(&device_bytes).map_err(|e| format!("{device_path}: {e}"))?;
    let file = std::fs::File::open(image_path).map_err(|e| format!("{image_path}: {e}"))?;

    // The payload is only counted here; a restore tool would stage it and
    // use it only after `Ok`.
    let v = verify_reader(file, &policy, &device, std::io::sink()).map_err(|e| e.to_string())?;
    Ok(format!(
        "  device        {} / {} / {}\n  state         version {}, codec {}, security version {}\n  payload       {} bytes in {} chunks\n  image digest  {} (spec 5.4; not the file's sha256sum)",
        v.vendor(),
        v.device_api(),
        v.device_type(),
        v.state_version(),
        v.codec(),
        v.security_version(),
        v.payload_len(),
        v.chunk_count(),
        hex::encode(v.image_digest()),
    ))
}
