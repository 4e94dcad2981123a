/**
 * Importance analyses per model id: produced by the Analyse step (and Prune's one-click L1), consumed by Prune. The
 * engine stores every analysis with its model version (`studio.analyses(modelId)`), so after a reload `load()` fetches
 * them again; `get()` is the one in use (the newest, unless the user picked another).
 */
import type { AnalysisResult, StoredAnalysis } from '../../api/types';
import type { Studio } from './studio';

class AnalysisStore {
  byModel = $state<Record<string, AnalysisResult>>({});
  /** Every stored analysis per model (newest first), once loaded. */
  stored = $state<Record<string, StoredAnalysis[]>>({});
  private loading = new Map<string, Promise<void>>();

  set(modelId: string, result: AnalysisResult): void {
    this.byModel[modelId] = result;
    const id = (result as Partial<StoredAnalysis>).id;
    if (id) this.stored[modelId] = [result as StoredAnalysis, ...(this.stored[modelId] ?? []).filter((a) => a.id !== id)];
  }

  get(modelId: string | null | undefined): AnalysisResult | undefined {
    return modelId ? this.byModel[modelId] : undefined;
  }

  list(modelId: string | null | undefined): StoredAnalysis[] {
    return modelId ? this.stored[modelId] ?? [] : [];
  }

  /** Fetches the model's stored analyses once (again with `force`); the newest becomes the one in use if none is. */
  load(studio: Studio, modelId: string, force = false): Promise<void> {
    const pending = this.loading.get(modelId);
    if (pending && !force) return pending;
    const p = studio.analyses(modelId).then((list) => {
      this.stored[modelId] = list;
      if (!this.byModel[modelId] && list[0]) this.byModel[modelId] = list[0];
    }, () => { this.loading.delete(modelId); });
    this.loading.set(modelId, p);
    return p;
  }

  /** Makes a stored analysis the one in use. */
  use(modelId: string, id: string): void {
    const a = this.list(modelId).find((x) => x.id === id);
    if (a) this.byModel[modelId] = a;
  }
}

export const analyses = new AnalysisStore();
