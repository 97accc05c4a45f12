// The package's ES module entry in Node (`import ... from 'migseal'`):
// the same exports as the browser build, from the Node build, which
// instantiates the WebAssembly module synchronously from the .wasm beside
// it when first imported. `init()` and `initSync()` exist so code shared
// with the browser (which must `await init()`) runs unchanged.
export * from './migseal_wasm.js';

/** Nothing to do in Node; resolves at once. */
export default async function init(_moduleOrPath) {}

/** Nothing to do in Node. */
export function initSync(_module) {}
