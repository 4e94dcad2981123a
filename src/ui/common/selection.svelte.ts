/** The globally selected dataset and model (by id), shared by every step and remembered in localStorage. */
const DATASET_KEY = 'pruning-studio.selectedDataset';
const MODEL_KEY = 'pruning-studio.selectedModel';

function read(key: string): string | null {
  try { return localStorage.getItem(key); } catch { return null; }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch { /* storage disabled: selection lives for this session only */ }
}

class Selection {
  datasetId = $state<string | null>(read(DATASET_KEY));
  modelId = $state<string | null>(read(MODEL_KEY));

  selectDataset(id: string | null): void {
    this.datasetId = id;
    write(DATASET_KEY, id);
  }

  selectModel(id: string | null): void {
    this.modelId = id;
    write(MODEL_KEY, id);
  }
}

export const selection = new Selection();
