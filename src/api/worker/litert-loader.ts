/**
 * Starts LiteRT.js inside the (module) engine worker. The package evaluates its emscripten loader with
 * `importScripts`, which module workers do not allow, so we fetch the loader script (a bundled, precached asset),
 * evaluate it as a blob module that publishes its `ModuleFactory`, point `locateFile` at the bundled .wasm, and let
 * `loadLiteRt` find the factory already in place. Relaxed-SIMD browsers get the SIMD build, others the compat
 * build (both single-threaded). The CSP needs nothing beyond 'wasm-unsafe-eval' and blob: scripts.
 */
import { loadLiteRt, supportsFeature } from '@litertjs/core';
import jsSimd from '@litertjs/core/wasm/litert_wasm_internal.js?url';
import wasmSimd from '@litertjs/core/wasm/litert_wasm_internal.wasm?url';
import jsCompat from '@litertjs/core/wasm/litert_wasm_compat_internal.js?url';
import wasmCompat from '@litertjs/core/wasm/litert_wasm_compat_internal.wasm?url';
import type { LiteRtLoader } from '../../engine/export/litert';

export const workerLiteRtLoader: LiteRtLoader = async () => {
  const relaxed = await supportsFeature('relaxedSimd');
  const base = self.location.href;
  const js = new URL(relaxed ? jsSimd : jsCompat, base).href;
  const wasm = new URL(relaxed ? wasmSimd : wasmCompat, base).href;
  const res = await fetch(js);
  if (!res.ok) throw new Error(`could not fetch ${js} (HTTP ${res.status})`);
  const text = await res.text();
  const blobUrl = URL.createObjectURL(new Blob([text, '\n;self.ModuleFactory = ModuleFactory;\n'], { type: 'text/javascript' }));
  try {
    await import(/* @vite-ignore */ blobUrl);
  } finally {
    URL.revokeObjectURL(blobUrl);
  }
  const g = self as unknown as Record<string, unknown>;
  g.Module = {
    locateFile: (p: string) => (p.endsWith('.wasm') ? wasm : new URL(p, js).href),
    // The runtime logs every registration and compile at INFO level; keep warnings and errors only.
    print: () => undefined,
    printErr: (line: string) => {
      if (!/^INFO:/.test(line)) console.warn(`LiteRT: ${line}`);
    },
  };
  const had = Object.prototype.hasOwnProperty.call(g, 'importScripts');
  const own = g.importScripts;
  g.importScripts = () => undefined; // the factory is already published
  try {
    await loadLiteRt(js);
  } finally {
    if (had) g.importScripts = own;
    else delete g.importScripts;
  }
};
