/**
 * Shared lists of datasets and models (what the engine has stored), refreshed after every change so all steps agree.
 * Keeps the global selection valid: a selected id that no longer exists is cleared.
 */
import type { DatasetSummary, ModelInfo } from '../../api/types';
import { toUiError, type UiError } from './errors';
import { selection } from './selection.svelte';
import type { Studio } from './studio';

class Catalog {
  datasets = $state<DatasetSummary[]>([]);
  models = $state<ModelInfo[]>([]);
  datasetsError = $state<UiError | null>(null);
  modelsError = $state<UiError | null>(null);
  loaded = $state(false);

  async refreshDatasets(studio: Studio): Promise<void> {
    try {
      this.datasets = await studio.datasets();
      this.datasetsError = null;
      if (selection.datasetId && !this.datasets.some((d) => d.id === selection.datasetId)) selection.selectDataset(null);
    } catch (e) {
      this.datasetsError = toUiError(e);
    }
  }

  async refreshModels(studio: Studio): Promise<void> {
    try {
      this.models = await studio.models();
      this.modelsError = null;
      if (selection.modelId && !this.models.some((m) => m.id === selection.modelId)) selection.selectModel(null);
    } catch (e) {
      this.modelsError = toUiError(e);
    }
  }

  async refresh(studio: Studio): Promise<void> {
    await Promise.all([this.refreshDatasets(studio), this.refreshModels(studio)]);
    this.loaded = true;
  }

  dataset(id: string | null | undefined): DatasetSummary | undefined {
    return id ? this.datasets.find((d) => d.id === id) : undefined;
  }

  model(id: string | null | undefined): ModelInfo | undefined {
    return id ? this.models.find((m) => m.id === id) : undefined;
  }
}

export const catalog = new Catalog();
