/**
 * Loads a sweep's dataset once, in the controller; the pool then moves it into shared memory for every worker.
 * `checkDataset` is the entry the runner uses: it runs before the output directory is created, so a sweep whose data is bad
 * fails with a listed problem and leaves nothing behind.
 */
import { SweepFileError, TunekitError } from '../core/errors.js';
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

/**
 * Loads and checks the dataset of a validated sweep without writing anything. Bad data (DataError: it names the data file,
 * column and row) and bad loader options (OptionsError, e.g. `clean.impute`) become a SweepFileError for `sweepFile` with
 * the problem at `dataset`, like every other sweep problem; anything else (a bug) is rethrown as is. Call it before creating
 * the output directory and hand the Dataset to the run.
 */
export async function checkDataset(spec: DatasetSpec, sweepFile: string): Promise<Dataset> {
  try {
    return await loadSweepDataset(spec);
  } catch (error) {
    // OptionsError is a TypeError with a code, not a TunekitError: both carry tunekit's own messages.
    const code = (error as { code?: unknown }).code;
    if (error instanceof TunekitError || (error instanceof Error && typeof code === 'string' && code.startsWith('ERR_TUNEKIT_'))) {
      throw new SweepFileError(sweepFile, [`dataset: ${error.message}`]);
    }
    throw error;
  }
}
