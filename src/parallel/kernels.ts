import { estepKernel } from '../irt/estep.js';
import { jointItemsKernel, jointModelsKernel } from '../irt/jointKernels.js';

/** Every kernel a worker can run, by name. Each is (ctx, from, to) → a small result, and writes into shared arrays. */
export const kernels = {
  estep: estepKernel,
  jointItems: jointItemsKernel,
  jointModels: jointModelsKernel,
};

export type KernelName = keyof typeof kernels;
