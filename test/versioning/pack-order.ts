/** packOrder in every version: wrap, wait for the ship signal (across worker deploys), ship. Only the wrap changes. */
import { condition, setHandler } from '@temporalio/workflow';
import { shipSignal, stepsQuery } from './shared';

export async function packOrderWith(wrap: () => Promise<string>): Promise<string[]> {
  const steps: string[] = [];
  let shipped = false;
  setHandler(stepsQuery, () => steps);
  setHandler(shipSignal, () => void (shipped = true));

  steps.push(await wrap());
  await condition(() => shipped);
  steps.push('shipped');
  return steps;
}
