/**
 * Loads LiteRT.js's real WASM runtime in Node for the unit tests. The package's loader evaluates its emscripten
 * script with `importScripts` (workers) or a script tag (pages); Node has neither, so this shim evaluates the
 * script file with `vm` (giving it `require`/`__dirname`, which emscripten's Node path needs) and hands its
 * `ModuleFactory` to the package. Node 20 has no relaxed SIMD, so the package picks its compat build.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { loadLiteRt } from '@litertjs/core';
import type { LiteRtLoader } from '../../src/engine/export/litert';

const WASM_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../node_modules/@litertjs/core/wasm') + '/';

export const nodeLiteRtLoader: LiteRtLoader = async () => {
  const g = globalThis as Record<string, unknown>;
  g.self ??= globalThis;
  const req = createRequire(WASM_DIR);
  g.importScripts = (url: string) => {
    const fn = vm.runInThisContext(`(function (require, __dirname, __filename) {${readFileSync(url, 'utf8')}\n;return ModuleFactory;})`, { filename: url }) as (
      r: NodeRequire, d: string, f: string,
    ) => unknown;
    g.ModuleFactory = fn(req, WASM_DIR, url);
  };
  // LiteRT's C++ side logs each registration to stdout; keep the test output readable.
  const log = console.log;
  console.log = () => undefined;
  try {
    await loadLiteRt(WASM_DIR);
  } finally {
    console.log = log;
  }
};
