/** The importance criteria offered in the Analyse step, with one-line explanations and whether they need data. */
import type { Criterion } from '../../api/types';

export interface CriterionInfo { id: Criterion; label: string; explain: string; needsData: boolean }

export const CRITERIA: readonly CriterionInfo[] = [
  { id: 'hrank', label: 'HRank', explain: 'Average rank of each filter’s feature maps: low-rank maps carry little information (Lin et al., 2020).', needsData: true },
  { id: 'chip', label: 'CHIP', explain: 'Channel independence: how much the layer’s feature-map matrix loses (nuclear norm) without this channel (Sui et al., 2021).', needsData: true },
  { id: 'apoz', label: 'APoZ', explain: 'Average percentage of zeros after ReLU: mostly-zero channels are rarely used (Hu et al., 2016).', needsData: true },
  { id: 'mean', label: 'Mean activation', explain: 'Mean absolute activation of each channel over the batches.', needsData: true },
  { id: 'l1', label: 'L1 norm', explain: 'Sum of absolute filter weights: small filters contribute little (Li et al., 2017). No data needed.', needsData: false },
  { id: 'l2', label: 'L2 norm', explain: 'Euclidean norm of each filter’s weights. No data needed.', needsData: false },
  { id: 'fpgm', label: 'FPGM', explain: 'Distance to the geometric median: filters near it are replaceable by the others (He et al., 2019). No data needed.', needsData: false },
  { id: 'bn', label: 'BN scale', explain: '|γ| of the following BatchNorm: small scales switch channels off (Liu et al., 2017, network slimming). No data needed.', needsData: false },
  { id: 'taylor', label: 'Taylor', explain: 'First-order Taylor estimate of the loss change when the channel is removed: |activation × gradient| (Molchanov et al., 2019).', needsData: true },
  { id: 'random', label: 'Random', explain: 'Random scores (seeded): the baseline every criterion should beat.', needsData: false },
];

export function criterionInfo(id: Criterion): CriterionInfo {
  return CRITERIA.find((c) => c.id === id) ?? CRITERIA[0]!;
}
