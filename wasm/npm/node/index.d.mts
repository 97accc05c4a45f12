// Typings of the ES module entry in Node (node/index.mjs): every export
// of the Node build, plus the browser build's `init`/`initSync`, which do
// nothing here.
export * from './migseal_wasm.js';

/** Nothing to do in Node (the module is ready once imported); resolves at once. */
export default function init(): Promise<void>;

/** Nothing to do in Node (the module is ready once imported). */
export function initSync(): void;
