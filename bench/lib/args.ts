/** Checked conversions of command-line values. */

export function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return value;
}

export function nonNegativeInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be an integer ≥ 0, got "${raw}"`);
  return value;
}

export function positiveNumber(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a number > 0, got "${raw}"`);
  return value;
}

/** A share between 0 and 1, written as 0.05 or 5%. */
export function share(name: string, raw: string): number {
  const value = raw.endsWith('%') ? Number(raw.slice(0, -1)) / 100 : Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error(`--${name} must be in [0, 1], got "${raw}"`);
  return value;
}

export function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if (!allowed.includes(raw as T)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}
