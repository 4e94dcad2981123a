/** The model zoo: CIFAR-style architectures built from scratch with seeded initial weights. */
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../errors';
import { createDenseNet40 } from './densenet';
import { createMobileNetV2 } from './mobilenetv2';
import { createCifarResNet } from './resnet';
import { createVgg16 } from './vgg';

export type ZooArch = 'vgg16' | 'resnet20' | 'resnet32' | 'resnet44' | 'resnet56' | 'resnet110' | 'densenet40' | 'mobilenetv2';

export interface ZooEntry {
  label: string;
  /** Published parameter count (PyTorch convention, trainable parameters). */
  paperParams: string;
  /** Published MACs per 32x32 image (main convs + FC; papers often call these FLOPs). */
  paperMacs: string;
  description: string;
}

export const ZOO: Record<ZooArch, ZooEntry> = {
  vgg16: {
    label: 'VGG-16 (BN, CIFAR)',
    paperParams: '14.98M',
    paperMacs: '313.73M',
    description: '13 conv3x3+BN+ReLU layers, 5 pools, 512-512 FC head (HRank/CHIP CIFAR VGG-16).',
  },
  resnet20: {
    label: 'ResNet-20',
    paperParams: '0.27M',
    paperMacs: '40.55M',
    description: 'CIFAR ResNet, 3 stages × 3 basic blocks (16/32/64 ch), option-A shortcuts.',
  },
  resnet32: {
    label: 'ResNet-32',
    paperParams: '0.46M',
    paperMacs: '68.86M',
    description: 'CIFAR ResNet, 3 stages × 5 basic blocks (16/32/64 ch), option-A shortcuts.',
  },
  resnet44: {
    label: 'ResNet-44',
    paperParams: '0.66M',
    paperMacs: '97.17M',
    description: 'CIFAR ResNet, 3 stages × 7 basic blocks (16/32/64 ch), option-A shortcuts.',
  },
  resnet56: {
    label: 'ResNet-56',
    paperParams: '0.85M',
    paperMacs: '125.49M',
    description: 'CIFAR ResNet, 3 stages × 9 basic blocks (16/32/64 ch), option-A shortcuts.',
  },
  resnet110: {
    label: 'ResNet-110',
    paperParams: '1.72M',
    paperMacs: '252.89M',
    description: 'CIFAR ResNet, 3 stages × 18 basic blocks (16/32/64 ch), option-A shortcuts.',
  },
  densenet40: {
    label: 'DenseNet-40',
    paperParams: '1.04M (conv + FC weights, BN not counted)',
    paperMacs: '282.00M',
    description: 'Growth 12, 3 dense blocks of 12 BN-ReLU-Conv3x3 layers, transitions without compression (HRank).',
  },
  mobilenetv2: {
    label: 'MobileNetV2 (CIFAR)',
    paperParams: '2.24M',
    paperMacs: '87.98M (no canonical published figure; this port)',
    description: 'Inverted residuals with depthwise convs and ReLU6; stride 1 stem and first stages for 32x32 inputs.',
  },
};

export interface ZooCreateOptions {
  numClasses: number;
  inputSize: number;
  classes?: string[];
  seed?: number;
}

export function createZooModel(arch: ZooArch, opts: ZooCreateOptions): tf.LayersModel {
  switch (arch) {
    case 'vgg16':
      return createVgg16(opts);
    case 'resnet20':
      return createCifarResNet(20, opts);
    case 'resnet32':
      return createCifarResNet(32, opts);
    case 'resnet44':
      return createCifarResNet(44, opts);
    case 'resnet56':
      return createCifarResNet(56, opts);
    case 'resnet110':
      return createCifarResNet(110, opts);
    case 'densenet40':
      return createDenseNet40(opts);
    case 'mobilenetv2':
      return createMobileNetV2(opts);
    default:
      throw new StudioError('bad-input', `Unknown zoo architecture '${String(arch)}'.`);
  }
}

export function isZooArch(s: string): s is ZooArch {
  return Object.prototype.hasOwnProperty.call(ZOO, s);
}
