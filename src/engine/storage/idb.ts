/** KeyValue on IndexedDB through idb-keyval, with quota errors turned into a clear StudioError. */
import { createStore, get, set, del, keys } from 'idb-keyval';
import { StudioError } from '../errors';
import type { KeyValue } from './kv';

function isQuotaError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'QuotaExceededError' || /quota/i.test(e.message));
}

export function idbKeyValue(dbName = 'pruning-studio', storeName = 'artifacts'): KeyValue {
  const store = createStore(dbName, storeName);
  return {
    get: <T>(k: string) => get<T>(k, store),
    async set(k, v) {
      try {
        await set(k, v, store);
      } catch (e) {
        if (isQuotaError(e)) throw new StudioError('quota-exceeded', 'Browser storage is full: delete datasets or model versions you no longer need, then try again.');
        throw e;
      }
    },
    del: (k) => del(k, store),
    keys: async () => (await keys(store)).map(String),
  };
}
