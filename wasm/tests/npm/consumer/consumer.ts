// Type-checked (never run) against the installed package's typings, twice:
// as Node resolves it (tsconfig.json: node/index.d.mts) and as a bundler
// for the browser does (tsconfig.browser.json: web/migseal_wasm.d.ts).
// Every export is used with its documented types; the @ts-expect-error
// lines fail the check if the typings ever degrade to `any`.
import init, {
  StreamVerifier,
  checkCompat,
  descriptorToCbor,
  descriptorToJson,
  initSync,
  inspect,
  memoryBytes,
  validateCbor,
  verify,
} from 'migseal';
import type {
  CborCheck,
  CompatReason,
  CompatResult,
  DescriptorInput,
  DescriptorJson,
  HeaderFields,
  HeaderSummary,
  MigsealError,
  PolicyInput,
  PolicyJson,
  Verdict,
} from 'migseal';

export async function preflight(image: Uint8Array, policy: PolicyJson, device: DescriptorInput): Promise<string> {
  await init();
  const claim: HeaderSummary = inspect(image.subarray(0, 4096));
  const compat: CompatResult = checkCompat(claim.source_descriptor, device);
  const reasons: CompatReason[] = compat.reasons;
  const asJson: DescriptorJson = descriptorToJson(device);
  const asCbor: Uint8Array = descriptorToCbor(asJson);
  const cbor: CborCheck = validateCbor(asCbor);
  const policyInput: PolicyInput = policy;
  try {
    const verdict: Verdict = verify(image, policyInput, asCbor);
    const header: HeaderFields = verdict.header;
    const v = new StreamVerifier(policyInput, device);
    v.push(image);
    const streamed: Verdict = v.finish();
    const done: number = v.bytesVerified;
    v.free();
    return `${header.vendor} ${verdict.image_digest} ${streamed.chunk_count} ${done} ${reasons.length} ${cbor.len} ${memoryBytes()}`;
  } catch (e) {
    const err = e as MigsealError;
    const code: number | null = err.code;
    return `${err.input} ${code ?? ''} ${err.codeName ?? ''} ${err.offset ?? ''}`;
  }
}

export function typingsAreReal(): void {
  // @ts-expect-error: bytes must be a Uint8Array
  verify(42, '{}', new Uint8Array());
  // @ts-expect-error: a verdict has no such field
  void ({} as Verdict).no_such_field;
  // @ts-expect-error: inspect takes one argument
  inspect();
}

export const initialise: typeof initSync = initSync;
