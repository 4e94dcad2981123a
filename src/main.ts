/** Page entry: service worker (offline + isolation), the engine worker bridge, `window.studio`, and the UI. */
import { mount } from 'svelte';
import App from './ui/App.svelte';
import { StudioClient } from './api/client';
import { createStudioFacade, restoreBackend } from './api/studio';
import { installErrorTransfer } from './api/errors-transfer';
import { registerServiceWorker } from './pwa';

installErrorTransfer();
await registerServiceWorker();

const client = new StudioClient(() => new Worker(new URL('../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' }));
const studio = createStudioFacade(client);
// Published only once the backend the user chose last time is back, so scripts never race the restore.
await restoreBackend(studio).catch(() => undefined);
window.studio = studio;

mount(App, { target: document.getElementById('app')!, props: { studio } });
