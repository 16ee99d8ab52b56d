/**
 * Loads a sweep's dataset once, in the controller; the pool then moves it into shared memory for every worker.
 */
import type { Dataset } from '../../trials/types.js';
import type { TabularOptions } from '../../trials/data/tabular.js';
import type { DatasetSpec } from './spec.js';

/** The Dataset a validated spec names (mnist via `loadMnist`, tables via `loadTabular`; `vega:<name>` for bundled files). */
export async function loadSweepDataset(spec: DatasetSpec): Promise<Dataset> {
  if (spec.type === 'mnist') {
    const { loadMnist } = await import('../../trials/data/mnist.js');
    const { type: _type, ...options } = spec;
    return loadMnist(options);
  }
  const { loadTabular, vegaDatasetPath } = await import('../../trials/data/tabular.js');
  const { type: _type, source, ...rest } = spec;
  const file = source === 'vega:penguins' ? vegaDatasetPath('penguins') : source === 'vega:cars' ? vegaDatasetPath('cars') : source;
  return loadTabular({ ...(rest as Omit<TabularOptions, 'source'>), source: file });
}
