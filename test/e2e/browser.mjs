/**
 * Launches Debian's Chromium through playwright-core (never downloads a browser) with WebGPU on SwiftShader,
 * and serves the built app on 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './serve.mjs';

/** ../shared beside the repo: real CIFAR-10 and the akamaster models (read-only, never copied). */
export const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared');
export function requireShared() {
  if (!existsSync(SHARED)) throw new Error(`These tests need ../shared (real CIFAR-10 and akamaster models) beside the repo; not found at ${SHARED}.`);
  return SHARED;
}

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean);

export function findChromium() {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`No Chromium found (looked at ${CANDIDATES.join(', ')}). Install Debian's: apt-get install -y chromium, or set CHROMIUM_PATH. The tests never download a browser.`);
  }
  return found;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage',
];

export async function launch() {
  return chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS });
}

/** Launch browser + server; returns {browser, url, close}. */
export async function startStudio(opts = {}) {
  const server = await serve(opts);
  const browser = await launch();
  return { browser, url: server.url, close: async () => { await browser.close(); await server.close(); } };
}

/** Opens the studio in a fresh context and waits until `window.studio` answers. */
export async function openStudio(browser, url, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => typeof window.studio === 'object', null, { timeout: 60_000 });
  return { context, page, errors };
}

/**
 * Imports the akamaster ResNet-20 from ../shared through the Model step's file input (as a user would) and returns
 * its ModelInfo once the worker has stored it.
 */
export async function importResnet20ThroughUi(page, url, shared) {
  await page.goto(url + '#/model');
  const dir = join(shared, 'models/akamaster-tfjs/resnet20');
  await page.getByTestId('model-files').setInputFiles([join(dir, 'model.json'), join(dir, 'group1-shard1of1.bin')]);
  return page.evaluate(async () => {
    for (let i = 0; i < 300; i++) {
      const m = (await window.studio.models()).find((x) => x.arch === 'resnet20');
      if (m) return m;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error('the imported ResNet-20 did not appear within 60 s');
  });
}
