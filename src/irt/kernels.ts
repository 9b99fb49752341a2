import { estepKernel } from './estep.js';
import { jointItemInfoKernel, jointItemsKernel, jointModelInfoKernel, jointModelsKernel } from './jointKernels.js';
import { itemFitKernel } from './fitStats.js';
import { colsFillKernel, rowsFillKernel } from '../responses/views.js';

/** Every kernel a worker can run, by name. Each is (ctx, from, to) → a small result, and writes into shared arrays. */
export const kernels = {
  estep: estepKernel,
  jointItems: jointItemsKernel,
  jointModels: jointModelsKernel,
  jointModelInfo: jointModelInfoKernel,
  jointItemInfo: jointItemInfoKernel,
  itemFit: itemFitKernel,
  rowsFill: rowsFillKernel,
  colsFill: colsFillKernel,
};

export type KernelName = keyof typeof kernels;
