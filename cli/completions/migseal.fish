# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_migseal_global_optspecs
    string join \n json h/help V/version
end

function __fish_migseal_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_migseal_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_migseal_using_subcommand
    set -l cmd (__fish_migseal_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c migseal -n "__fish_migseal_needs_command" -l json -d 'Machine-readable output: one JSON object (verdict, code, name, errno, offset, message, header fields) on stdout, or on stderr when stdout carries data (seal -o -, verify --payload-out -, descriptor)'
complete -c migseal -n "__fish_migseal_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migseal -n "__fish_migseal_needs_command" -s V -l version -d 'Print version'
complete -c migseal -n "__fish_migseal_needs_command" -f -a "keygen" -d 'Make an Ed25519 key pair: KEYFILE (secret, mode 0600) and KEYFILE.pub; or, with --show-id, print a public key\'s key id'
complete -c migseal -n "__fish_migseal_needs_command" -f -a "seal" -d 'Seal raw vendor state into an image (streaming, constant memory)'
complete -c migseal -n "__fish_migseal_needs_command" -f -a "verify" -d 'Verify an image against a policy and the destination device'
complete -c migseal -n "__fish_migseal_needs_command" -f -a "inspect" -d 'Show what an image says about itself, UNVERIFIED'
complete -c migseal -n "__fish_migseal_needs_command" -f -a "compat" -d 'Check whether a source device\'s state can go to a destination'
complete -c migseal -n "__fish_migseal_needs_command" -f -a "descriptor" -d 'Build or convert a device descriptor'
complete -c migseal -n "__fish_migseal_needs_command" -f -a "libvirt" -d 'libvirt: annotate a domain with its device descriptors (source), check them in the qemu hook (destination)'
complete -c migseal -n "__fish_migseal_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migseal -n "__fish_migseal_using_subcommand keygen" -l out -d 'The secret key file; the public key goes to FILE.pub' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand keygen" -l show-id -d 'Print the key id (what an untrusted-key refusal names) and the policy entry of a public key file (or a secret key file)' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand keygen" -l force -d 'Replace existing files'
complete -c migseal -n "__fish_migseal_using_subcommand keygen" -l json -d 'Machine-readable output: one JSON object (verdict, code, name, errno, offset, message, header fields) on stdout, or on stderr when stdout carries data (seal -o -, verify --payload-out -, descriptor)'
complete -c migseal -n "__fish_migseal_using_subcommand keygen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l key -d 'Secret key file (from `migseal keygen`)' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand seal" -s o -l out -d 'Output image file, or - for stdout (the default; refused when it is a terminal). An existing file is refused without --force' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l chunk-size -d 'Bytes per chunk. Above 16 MiB (the default verifier limit) only with --allow-large-chunks' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l threads -d 'Threads hashing chunks (default: the number of cores); 1 hashes on the reading thread. The image is the same either way' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l header-json -d 'Header fields as JSON' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l descriptor -d 'A source descriptor (CBOR or JSON) for identity, features, config, codec and (its highest) state version' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l vendor -d 'Vendor' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l device-api -d 'Device API (vfio-pci, vfio-ccw, vfio-ap, ...)' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l device-type -d 'Device type (the mdev type id, such as mtty-2)' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l state-version -d 'State version MAJOR.MINOR' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l feature -d 'A feature the state depends on (repeatable)' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l codec -d 'Payload codec' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l security-version -d 'Security version number (default 1; the summary says when the default was used). Destinations refuse images below their policy\'s minimum as a rollback' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l session -d 'Session nonce, hex (16-64 bytes)' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l subject -d 'Subject (the VM the state belongs to)' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l config-kind -d 'Shell-device config kind (with --config-hex)' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l config-hex -d 'Shell-device config bytes, hex (with --config-kind)' -r
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l force -d 'Replace an existing output file'
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l allow-large-chunks -d 'Allow chunks above the default verifier limit (16 MiB): only destinations whose policy raises `limits.max_chunk_len` accept them'
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l insecure-key-permissions -d 'Use a secret key file that other users can read. Unsafe: anyone who can read it can seal images your destinations trust'
complete -c migseal -n "__fish_migseal_using_subcommand seal" -l json -d 'Machine-readable output: one JSON object (verdict, code, name, errno, offset, message, header fields) on stdout, or on stderr when stdout carries data (seal -o -, verify --payload-out -, descriptor)'
complete -c migseal -n "__fish_migseal_using_subcommand seal" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migseal -n "__fish_migseal_using_subcommand verify" -l policy -d 'The policy file (JSON)' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand verify" -l device -d 'The destination device\'s descriptor (canonical CBOR or JSON)' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand verify" -l payload-out -d 'Write the verified payload here, or to stdout with - (only if it verified; the report then goes to stderr)' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand verify" -l read-size -d 'Bytes per read' -r
complete -c migseal -n "__fish_migseal_using_subcommand verify" -l threads -d 'Threads verifying (default: the number of cores): a file is read and hashed by all N; from a pipe one of them reads and N - 1 hash. 1 keeps the one-thread streaming path; --decode and --file-sha256 always use it' -r
complete -c migseal -n "__fish_migseal_using_subcommand verify" -l force -d 'Replace an existing --payload-out file'
complete -c migseal -n "__fish_migseal_using_subcommand verify" -l decode -d 'After verification, decode the payload with the reference codec its header names (mtty, virtio-dev-parts, vfio-ap-matrix) and show the device state; exit 15 if the codec refuses it. Holds the payload in memory (at most 64 MiB)'
complete -c migseal -n "__fish_migseal_using_subcommand verify" -l file-sha256 -d 'Also compute the SHA-256 of the image file\'s bytes (what `sha256sum` prints), to compare a copy; the image digest is another value'
complete -c migseal -n "__fish_migseal_using_subcommand verify" -l json -d 'Machine-readable output: one JSON object (verdict, code, name, errno, offset, message, header fields) on stdout, or on stderr when stdout carries data (seal -o -, verify --payload-out -, descriptor)'
complete -c migseal -n "__fish_migseal_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migseal -n "__fish_migseal_using_subcommand inspect" -l json -d 'Machine-readable output: one JSON object (verdict, code, name, errno, offset, message, header fields) on stdout, or on stderr when stdout carries data (seal -o -, verify --payload-out -, descriptor)'
complete -c migseal -n "__fish_migseal_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migseal -n "__fish_migseal_using_subcommand compat" -l json -d 'Machine-readable output: one JSON object (verdict, code, name, errno, offset, message, header fields) on stdout, or on stderr when stdout carries data (seal -o -, verify --payload-out -, descriptor)'
complete -c migseal -n "__fish_migseal_using_subcommand compat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -l from-json -d 'Convert a JSON descriptor' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -l from-cbor -d 'Read a canonical CBOR descriptor' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -l sysfs -d 'Build a destination descriptor from an mdev device\'s sysfs directory' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -s o -l out -d 'Output file, or - for stdout (the default)' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -l format -d 'Output format' -r -f -a "cbor\t'Canonical CBOR'
json\t'The JSON form'"
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -l vendor -d '--sysfs: the vendor, when sysfs does not tell it' -r
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -l version -d '--sysfs: an accepted state version range, "1.0" or "1.0-1.3" (repeatable)' -r
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -l codec -d '--sysfs: a codec the device decodes (repeatable)' -r
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -l feature -d '--sysfs: a feature the device supports (repeatable)' -r
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -l force -d 'Replace an existing output file'
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -l source -d '--sysfs: describe the device as a source rather than a destination'
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -l json -d 'Machine-readable output: one JSON object (verdict, code, name, errno, offset, message, header fields) on stdout, or on stderr when stdout carries data (seal -o -, verify --payload-out -, descriptor)'
complete -c migseal -n "__fish_migseal_using_subcommand descriptor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and not __fish_seen_subcommand_from annotate hook help" -l json -d 'Machine-readable output: one JSON object (verdict, code, name, errno, offset, message, header fields) on stdout, or on stderr when stdout carries data (seal -o -, verify --payload-out -, descriptor)'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and not __fish_seen_subcommand_from annotate hook help" -s h -l help -d 'Print help'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and not __fish_seen_subcommand_from annotate hook help" -f -a "annotate" -d 'Source host: put the domain\'s device descriptors into its metadata'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and not __fish_seen_subcommand_from annotate hook help" -f -a "hook" -d 'Destination host: the libvirt qemu hook (argv as libvirt calls it, domain XML on stdin)'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and not __fish_seen_subcommand_from annotate hook help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from annotate" -l domain -d 'The domain, for `virsh dumpxml` and `virsh metadata`' -r
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from annotate" -s c -l connect -l uri -d 'The libvirt connection URI (virsh -c)' -r
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from annotate" -l sysfs-root -d 'The sysfs root (default: MIGSEAL_SYSFS_ROOT, else /sys)' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from annotate" -l settings -d 'The settings file (default: MIGSEAL_LIBVIRT_CONFIG, else /etc/migseal/libvirt.json)' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from annotate" -s o -l out -d 'Write the annotated domain XML to FILE (- for stdout)' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from annotate" -l apply -d 'Run `virsh metadata` rather than print it'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from annotate" -l live -d 'Pass --live to virsh metadata (the running domain)'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from annotate" -l config -d 'Pass --config to virsh metadata (the persistent definition)'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from annotate" -l force -d 'Replace an existing --out file'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from annotate" -l json -d 'Machine-readable output: one JSON object (verdict, code, name, errno, offset, message, header fields) on stdout, or on stderr when stdout carries data (seal -o -, verify --payload-out -, descriptor)'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from annotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from hook" -l sysfs-root -d 'The sysfs root (default: MIGSEAL_SYSFS_ROOT, else /sys)' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from hook" -l settings -d 'The settings file (default: MIGSEAL_LIBVIRT_CONFIG, else /etc/migseal/libvirt.json)' -r -F
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from hook" -l json -d 'Machine-readable output: one JSON object (verdict, code, name, errno, offset, message, header fields) on stdout, or on stderr when stdout carries data (seal -o -, verify --payload-out -, descriptor)'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from hook" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from help" -f -a "annotate" -d 'Source host: put the domain\'s device descriptors into its metadata'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from help" -f -a "hook" -d 'Destination host: the libvirt qemu hook (argv as libvirt calls it, domain XML on stdin)'
complete -c migseal -n "__fish_migseal_using_subcommand libvirt; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migseal -n "__fish_migseal_using_subcommand help; and not __fish_seen_subcommand_from keygen seal verify inspect compat descriptor libvirt help" -f -a "keygen" -d 'Make an Ed25519 key pair: KEYFILE (secret, mode 0600) and KEYFILE.pub; or, with --show-id, print a public key\'s key id'
complete -c migseal -n "__fish_migseal_using_subcommand help; and not __fish_seen_subcommand_from keygen seal verify inspect compat descriptor libvirt help" -f -a "seal" -d 'Seal raw vendor state into an image (streaming, constant memory)'
complete -c migseal -n "__fish_migseal_using_subcommand help; and not __fish_seen_subcommand_from keygen seal verify inspect compat descriptor libvirt help" -f -a "verify" -d 'Verify an image against a policy and the destination device'
complete -c migseal -n "__fish_migseal_using_subcommand help; and not __fish_seen_subcommand_from keygen seal verify inspect compat descriptor libvirt help" -f -a "inspect" -d 'Show what an image says about itself, UNVERIFIED'
complete -c migseal -n "__fish_migseal_using_subcommand help; and not __fish_seen_subcommand_from keygen seal verify inspect compat descriptor libvirt help" -f -a "compat" -d 'Check whether a source device\'s state can go to a destination'
complete -c migseal -n "__fish_migseal_using_subcommand help; and not __fish_seen_subcommand_from keygen seal verify inspect compat descriptor libvirt help" -f -a "descriptor" -d 'Build or convert a device descriptor'
complete -c migseal -n "__fish_migseal_using_subcommand help; and not __fish_seen_subcommand_from keygen seal verify inspect compat descriptor libvirt help" -f -a "libvirt" -d 'libvirt: annotate a domain with its device descriptors (source), check them in the qemu hook (destination)'
complete -c migseal -n "__fish_migseal_using_subcommand help; and not __fish_seen_subcommand_from keygen seal verify inspect compat descriptor libvirt help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migseal -n "__fish_migseal_using_subcommand help; and __fish_seen_subcommand_from libvirt" -f -a "annotate" -d 'Source host: put the domain\'s device descriptors into its metadata'
complete -c migseal -n "__fish_migseal_using_subcommand help; and __fish_seen_subcommand_from libvirt" -f -a "hook" -d 'Destination host: the libvirt qemu hook (argv as libvirt calls it, domain XML on stdin)'
