// Typings of the ES module entry in Node (node/index.mjs): every export
// of the Node build, plus the browser build's `init`/`initSync`, which
// accept the browser build's arguments (so shared code type-checks in
// both) and do nothing here.
export * from './migseal_wasm.js';

/** Nothing to do in Node (the module is ready once imported); resolves at once. */
export default function init(module_or_path?: unknown): Promise<void>;

/** Nothing to do in Node (the module is ready once imported). */
export function initSync(module?: unknown): void;
