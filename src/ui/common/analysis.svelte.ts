/** The latest importance analysis per model id: produced by the Analyse step, consumed by the Prune step. */
import type { AnalysisResult } from '../../api/types';

class AnalysisStore {
  byModel = $state<Record<string, AnalysisResult>>({});

  set(modelId: string, result: AnalysisResult): void {
    this.byModel[modelId] = result;
  }

  get(modelId: string | null | undefined): AnalysisResult | undefined {
    return modelId ? this.byModel[modelId] : undefined;
  }
}

export const analyses = new AnalysisStore();
